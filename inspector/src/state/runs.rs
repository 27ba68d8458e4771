//! Runs as timelines: executions, thinking steps, tool calls, where each flag sits, and the
//! connection's lifecycle on the same time axis.
//!
//! Events are assigned to runs as the checker assigns them (docs/rules.md, "Run"): by
//! `run_id`, else `thread_id`; an agent event with neither belongs to the run of the previous
//! agent event, or to the connection's anonymous run. Tool completions close the oldest open
//! call with the same `execution_id` (when the completion has one), else the same tool name, and
//! agent completions the open execution of the same agent, else the latest: the checker's
//! matching, so a bar ends where the checker says the call ended.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use agentwire::event::{Duration as ReportedDuration, EventKind};
use agentwire::session::{ClosedReason, Disconnect, HandshakeOutcome};
use agentwire::{Event, Rule, Severity, Timestamp};

use super::FlagId;
use super::capped::Capped;

/// How many runs a lane keeps (the oldest go first).
pub const MAX_RUNS_PER_LANE: usize = 2000;

/// How many executions, thinking steps, tool calls, flag marks and lifecycle markers a run keeps
/// of each (the oldest go first).
pub const MAX_ITEMS_PER_RUN: usize = 2000;

/// How many open tool calls a run tracks for matching (as the checker does).
const MAX_OPEN_TOOLS: usize = 1024;

/// How much of a thought a thinking step keeps (the full text is in the stream).
const THOUGHT_PREVIEW_CHARS: usize = 240;

/// How a run is keyed: its id, or `None` for the connection's anonymous run.
type RunKey = Option<Arc<str>>;

/// A lane's runs, in the order they were first seen.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    named: HashMap<Arc<str>, Run>,
    anonymous: Option<Run>,
    order: VecDeque<RunKey>,
    /// The run of the last agent event (where an agent event without ids goes).
    last: Option<RunKey>,
    evicted: u64,
}

impl Runs {
    /// How many runs are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no run is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// How many runs were dropped, oldest first, to respect [`MAX_RUNS_PER_LANE`].
    #[must_use]
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The runs, in the order they were first seen.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Run> + '_ {
        self.order.iter().filter_map(|key| self.get(key.as_deref()))
    }

    /// The run with this id (`None`: the anonymous run).
    #[must_use]
    pub fn get(&self, id: Option<&str>) -> Option<&Run> {
        match id {
            Some(id) => self.named.get(id),
            None => self.anonymous.as_ref(),
        }
    }

    fn get_mut(&mut self, id: Option<&str>) -> Option<&mut Run> {
        match id {
            Some(id) => self.named.get_mut(id),
            None => self.anonymous.as_mut(),
        }
    }

    /// The id as a shared string, reusing the run's own when the run is known.
    fn intern(&self, id: &str) -> Arc<str> {
        self.named.get_key_value(id).map_or_else(|| Arc::from(id), |(key, _)| Arc::clone(key))
    }

    /// Applies one event and returns the run it belongs to, for the stream. Only agent events
    /// change runs; other frames just name theirs.
    pub(crate) fn apply(&mut self, at: Timestamp, frame: u64, seq: u64, event: &Event) -> RunKey {
        let context = &event.context;
        let named = context.run_id.as_deref().or(context.thread_id.as_deref());
        if !event.kind.is_agent_event() {
            return named.map(|id| self.intern(id));
        }
        let key = match named {
            Some(id) => Some(self.intern(id)),
            None => self.last.clone().flatten(),
        };
        if self.get(key.as_deref()).is_none() {
            self.insert(key.clone(), Run::new(key.clone(), at));
        }
        if let Some(run) = self.get_mut(key.as_deref()) {
            run.apply(at, frame, seq, event);
        }
        self.last = Some(key.clone());
        key
    }

    fn insert(&mut self, key: RunKey, run: Run) {
        if self.order.len() >= MAX_RUNS_PER_LANE {
            if let Some(oldest) = self.order.pop_front() {
                match &oldest {
                    Some(id) => {
                        self.named.remove(id);
                    }
                    None => self.anonymous = None,
                }
                if self.last.as_ref() == Some(&oldest) {
                    self.last = None;
                }
                self.evicted += 1;
            }
        }
        match &key {
            Some(id) => {
                self.named.insert(Arc::clone(id), run);
            }
            None => self.anonymous = Some(run),
        }
        self.order.push_back(key);
    }

    /// Undoes the agent event at `frame`, applied to run `id`: the checker flagged it
    /// `duplicate-event` and did not apply it, so the timeline must not show it twice.
    pub(crate) fn retract(&mut self, id: Option<&str>, frame: u64) {
        if let Some(run) = self.get_mut(id) {
            run.retract(frame);
        }
    }

    /// Places a flag on its run's timeline (flags of runs no longer kept are not placed).
    pub(crate) fn mark_flag(&mut self, id: Option<&str>, mark: FlagMark) {
        if let Some(run) = self.get_mut(id) {
            run.flags.push(mark);
        }
    }

    /// Places a connection lifecycle marker on the timeline of every run still open.
    pub(crate) fn mark_connection(&mut self, marker: &ConnectionMarker) {
        let runs = self.named.values_mut().chain(self.anonymous.as_mut());
        for run in runs.filter(|run| run.is_open()) {
            run.connection.push(marker.clone());
        }
    }
}

/// One run's timeline.
#[derive(Clone, Debug)]
pub struct Run {
    id: RunKey,
    first_at: Timestamp,
    last_at: Timestamp,
    events: u64,
    executions: Capped<Execution>,
    thinking: Capped<ThinkingStep>,
    tools: Capped<ToolCall>,
    flags: Capped<FlagMark>,
    connection: Capped<ConnectionMarker>,
    /// Numbers of the open executions, in the order opened.
    open_executions: Vec<u64>,
    /// Numbers of the open tool calls, in the order opened, with their matching keys.
    open_tools: VecDeque<(ToolKey, u64)>,
}

impl Run {
    fn new(id: RunKey, at: Timestamp) -> Self {
        Run {
            id,
            first_at: at,
            last_at: at,
            events: 0,
            executions: Capped::new(MAX_ITEMS_PER_RUN),
            thinking: Capped::new(MAX_ITEMS_PER_RUN),
            tools: Capped::new(MAX_ITEMS_PER_RUN),
            flags: Capped::new(MAX_ITEMS_PER_RUN),
            connection: Capped::new(MAX_ITEMS_PER_RUN),
            open_executions: Vec::new(),
            open_tools: VecDeque::new(),
        }
    }

    /// The run id (or thread id); `None` for the connection's anonymous run.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// When its first agent event arrived.
    #[must_use]
    pub fn first_at(&self) -> Timestamp {
        self.first_at
    }

    /// When its latest agent event arrived.
    #[must_use]
    pub fn last_at(&self) -> Timestamp {
        self.last_at
    }

    /// How many agent events it had (repeats the checker ignored not counted).
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Whether an execution or a tool call is still open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.open_executions.is_empty() || !self.open_tools.is_empty()
    }

    /// Its executions, in the order started.
    #[must_use]
    pub fn executions(&self) -> &Capped<Execution> {
        &self.executions
    }

    /// Its thinking steps.
    #[must_use]
    pub fn thinking(&self) -> &Capped<ThinkingStep> {
        &self.thinking
    }

    /// Its tool calls, in the order started.
    #[must_use]
    pub fn tools(&self) -> &Capped<ToolCall> {
        &self.tools
    }

    /// Where its flags sit.
    #[must_use]
    pub fn flags(&self) -> &Capped<FlagMark> {
        &self.flags
    }

    /// The connection's lifecycle while the run was open: disconnects, retries, resumes, gaps.
    #[must_use]
    pub fn connection(&self) -> &Capped<ConnectionMarker> {
        &self.connection
    }

    fn apply(&mut self, at: Timestamp, frame: u64, seq: u64, event: &Event) {
        self.events += 1;
        self.last_at = self.last_at.max(at);
        let agent = event.context.agent_name.clone();
        let start = Mark { at, frame, seq };
        match &event.kind {
            EventKind::AgentStarted(_) => {
                let number = self.executions.push(Execution {
                    agent,
                    start,
                    end: None,
                    status: ExecutionStatus::Open,
                });
                self.open_executions.push(number);
            }
            EventKind::AgentThinking(thinking) => {
                self.thinking.push(ThinkingStep {
                    mark: start,
                    agent,
                    step: thinking.step_number,
                    text: thinking.reasoning.as_deref().map(preview).unwrap_or_default(),
                });
            }
            EventKind::ToolExecuting(tool) => {
                let key = ToolKey::new(tool.tool_name.as_deref(), tool.execution_id.as_deref());
                let number = self.tools.push(ToolCall {
                    tool_name: tool.tool_name.clone(),
                    execution_id: tool.execution_id.clone(),
                    agent,
                    start,
                    end: None,
                    status: ToolStatus::Open,
                    reported_duration: None,
                });
                if self.open_tools.len() >= MAX_OPEN_TOOLS {
                    self.open_tools.pop_front();
                }
                self.open_tools.push_back((key, number));
            }
            EventKind::ToolCompleted(tool) => {
                let key = ToolKey::new(tool.tool_name.as_deref(), tool.execution_id.as_deref());
                self.close_tool(&key, start, ToolStatus::Completed, tool.duration);
            }
            EventKind::ToolError(tool) => {
                let key = ToolKey::new(tool.tool_name.as_deref(), tool.execution_id.as_deref());
                let status = ToolStatus::Failed { error: tool.error.clone() };
                self.close_tool(&key, start, status, None);
            }
            EventKind::AgentCompleted(_) => {
                self.close_execution(agent.as_deref(), start, ExecutionStatus::Completed);
            }
            EventKind::AgentError(error) => {
                let status = ExecutionStatus::Error { error: error.error.clone() };
                self.close_execution(agent.as_deref(), start, status);
            }
            EventKind::AgentDeath(death) => {
                let status = ExecutionStatus::Death { cause: death.death_cause.clone() };
                self.close_execution(agent.as_deref(), start, status);
            }
            EventKind::AgentTimeoutFailure(failure) => {
                let status = ExecutionStatus::TimedOut { error: failure.error.clone() };
                self.close_execution(agent.as_deref(), start, status);
            }
            _ => {}
        }
    }

    /// Closes the oldest open call with the same key (the checker's first in, first out); a
    /// completion with neither id nor name closes the oldest open call.
    fn close_tool(
        &mut self,
        key: &ToolKey,
        end: Mark,
        status: ToolStatus,
        reported_duration: Option<ReportedDuration>,
    ) {
        let position = match key {
            ToolKey::Unnamed => (!self.open_tools.is_empty()).then_some(0),
            key => self.open_tools.iter().position(|(open, _)| open == key),
        };
        let Some((_, number)) = position.and_then(|at| self.open_tools.remove(at)) else { return };
        if let Some(call) = self.tools.get_mut(number) {
            call.end = Some(end);
            call.status = status;
            call.reported_duration = reported_duration;
        }
    }

    /// Closes the open execution of this agent, else the latest one (as the checker does).
    fn close_execution(&mut self, agent: Option<&str>, end: Mark, status: ExecutionStatus) {
        let executions = &self.executions;
        let by_name = agent.and_then(|agent| {
            self.open_executions.iter().rposition(|number| {
                executions.get(*number).is_some_and(|e| e.agent.as_deref() == Some(agent))
            })
        });
        let Some(at) = by_name.or_else(|| self.open_executions.len().checked_sub(1)) else {
            return;
        };
        let number = self.open_executions.remove(at);
        if let Some(execution) = self.executions.get_mut(number) {
            execution.end = Some(end);
            execution.status = status;
        }
    }

    /// Undoes the event at `frame`, which was applied to this run: removes what it started
    /// (the newest item of its kind) and reopens what it ended.
    fn retract(&mut self, frame: u64) {
        self.events = self.events.saturating_sub(1);
        let started_here = |mark: &Mark| mark.frame == frame;
        if let Some(number) = self.executions.pop_if(|e| started_here(&e.start)) {
            self.open_executions.retain(|open| *open != number);
        }
        self.thinking.pop_if(|step| started_here(&step.mark));
        if let Some(number) = self.tools.pop_if(|call| started_here(&call.start)) {
            self.open_tools.retain(|(_, open)| *open != number);
        }
        let ended_here = |end: &Option<Mark>| end.is_some_and(|mark| mark.frame == frame);
        for (number, execution) in self.executions.numbered() {
            if ended_here(&execution.end) {
                let at = self.open_executions.partition_point(|open| *open < number);
                self.open_executions.insert(at, number);
            }
        }
        for execution in self.executions.iter_mut().filter(|e| ended_here(&e.end)) {
            execution.end = None;
            execution.status = ExecutionStatus::Open;
        }
        for (number, call) in self.tools.numbered() {
            if ended_here(&call.end) {
                let key = ToolKey::new(call.tool_name.as_deref(), call.execution_id.as_deref());
                let at = self.open_tools.partition_point(|(_, open)| *open < number);
                self.open_tools.insert(at, (key, number));
            }
        }
        for call in self.tools.iter_mut().filter(|call| ended_here(&call.end)) {
            call.end = None;
            call.status = ToolStatus::Open;
            call.reported_duration = None;
        }
    }
}

/// What a tool call is matched by: its `execution_id` when non-null, else its tool name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ToolKey {
    Id(String),
    Name(String),
    Unnamed,
}

impl ToolKey {
    fn new(tool_name: Option<&str>, execution_id: Option<&str>) -> Self {
        match (execution_id, tool_name) {
            (Some(id), _) => ToolKey::Id(id.to_owned()),
            (None, Some(name)) => ToolKey::Name(name.to_owned()),
            (None, None) => ToolKey::Unnamed,
        }
    }
}

/// A point on a timeline: a frame, when it arrived, and where it is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// When the frame arrived.
    pub at: Timestamp,
    /// Its index on the connection (as flags name frames).
    pub frame: u64,
    /// Its stream sequence number.
    pub seq: u64,
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecutionStatus {
    /// No agent_completed, agent_error, agent_death or agent_timeout_failure yet.
    Open,
    /// agent_completed.
    Completed,
    /// agent_error.
    Error {
        /// The error text, when given.
        error: Option<String>,
    },
    /// agent_death.
    Death {
        /// Why, when given (`timeout`, `no_heartbeat`, ...).
        cause: Option<String>,
    },
    /// agent_timeout_failure (October 2025 manager): the agent ran out of time.
    TimedOut {
        /// The error text, when given.
        error: Option<String>,
    },
}

/// One agent execution: from agent_started to its agent_completed, agent_error or agent_death.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The agent.
    pub agent: Option<String>,
    /// Its agent_started.
    pub start: Mark,
    /// The event that ended it, if any.
    pub end: Option<Mark>,
    /// How it ended.
    pub status: ExecutionStatus,
}

/// One agent_thinking.
#[derive(Clone, Debug, PartialEq)]
pub struct ThinkingStep {
    /// The frame.
    pub mark: Mark,
    /// The agent.
    pub agent: Option<String>,
    /// The step number, when given.
    pub step: Option<u64>,
    /// The start of the thought (the whole text is in the stream row).
    pub text: String,
}

/// How a tool call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolStatus {
    /// No tool_completed or tool_error matched yet.
    Open,
    /// tool_completed.
    Completed,
    /// tool_error.
    Failed {
        /// The error text, when given.
        error: Option<String>,
    },
}

/// One tool call: a bar from tool_executing to its tool_completed or tool_error.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    /// The tool.
    pub tool_name: Option<String>,
    /// The call id, when the server sent one.
    pub execution_id: Option<String>,
    /// The agent that called it.
    pub agent: Option<String>,
    /// Its tool_executing.
    pub start: Mark,
    /// The tool_completed or tool_error that ended it, if any.
    pub end: Option<Mark>,
    /// How it ended.
    pub status: ToolStatus,
    /// The duration the server reported in its tool_completed, when it did.
    pub reported_duration: Option<ReportedDuration>,
}

impl ToolCall {
    /// Whether no completion matched it yet.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }

    /// From tool_executing to its end, by arrival time, in microseconds.
    #[must_use]
    pub fn duration_micros(&self) -> Option<i64> {
        self.end.map(|end| end.at.micros_since(self.start.at))
    }
}

/// Where a flag sits on a run's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagMark {
    /// The flag.
    pub id: FlagId,
    /// Its rule.
    pub rule: Rule,
    /// Its severity.
    pub severity: Severity,
    /// The frame that raised it (`None` for timer and end-of-stream flags).
    pub frame: Option<u64>,
    /// That frame's stream sequence number, when it is in the stream.
    pub seq: Option<u64>,
    /// When it was raised.
    pub at: Timestamp,
}

/// Something that happened to the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lifecycle {
    /// A socket opened.
    Opened,
    /// A socket went away.
    Disconnected(Disconnect),
    /// The SDK will try again after a wait.
    RetryScheduled {
        /// The attempt that will follow the wait.
        attempt: u32,
        /// The wait, in milliseconds.
        delay_ms: u64,
        /// When the attempt starts (live only: a recording does not say).
        retry_at: Option<Timestamp>,
    },
    /// A `resume` after a reconnect brought frames back.
    Resumed {
        /// The last sequence number received before the reconnect.
        last_seq: u64,
        /// How many frames were replayed.
        replayed: u64,
    },
    /// Frames the server could not replay: lost for good.
    Gap {
        /// The first lost sequence number.
        first: u64,
        /// The last lost sequence number.
        last: u64,
    },
    /// The server numbers from scratch (it restarted): what it sent during the outage cannot
    /// be counted or replayed.
    ServerRestarted {
        /// The last sequence number received before the reconnect.
        last_seq: u64,
        /// The restarted server's last sequence number.
        server_last_seq: u64,
    },
    /// The October 2025 manager's handshake ended: its thread, or that none came.
    Handshake(HandshakeOutcome),
    /// The session ended for good (the client closed it, auth failed, or it gave up).
    Closed(ClosedReason),
}

/// A lifecycle event, placed on the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionMarker {
    /// When it happened.
    pub at: Timestamp,
    /// The stream sequence number of the next frame to arrive: the marker sits just before it.
    pub before_seq: u64,
    /// What happened.
    pub lifecycle: Lifecycle,
}

/// The first [`THOUGHT_PREVIEW_CHARS`] characters of a thought.
fn preview(text: &str) -> String {
    match text.char_indices().nth(THOUGHT_PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> Event {
        agentwire::decode(text).unwrap()
    }

    fn feed(runs: &mut Runs, frames: &[&str]) {
        for (frame, text) in frames.iter().enumerate() {
            let frame = frame as u64;
            let at = Timestamp::from_unix_micros(1_000_000 * (frame as i64 + 1));
            runs.apply(at, frame, frame + 100, &event(text));
        }
    }

    #[test]
    fn concurrent_calls_of_one_tool_close_by_execution_id() {
        let mut runs = Runs::default();
        feed(
            &mut runs,
            &[
                r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x1"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x2"}"#,
                r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","execution_id":"x2","results":{}}"#,
                r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","execution_id":"x1","results":{}}"#,
            ],
        );
        let run = runs.get(Some("r1")).unwrap();
        let calls: Vec<(Option<&str>, u64, Option<u64>)> = run
            .tools()
            .iter()
            .map(|call| (call.execution_id.as_deref(), call.start.frame, call.end.map(|e| e.frame)))
            .collect();
        assert_eq!(calls, [(Some("x1"), 1, Some(4)), (Some("x2"), 2, Some(3))]);
        assert_eq!(run.tools().get(1).unwrap().duration_micros(), Some(1_000_000));
        assert!(run.is_open(), "the execution is still open");
    }

    #[test]
    fn calls_without_ids_close_first_in_first_out_by_name() {
        let mut runs = Runs::default();
        feed(
            &mut runs,
            &[
                r#"{"type":"agent_started","run_id":"r1"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"web"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
                r#"{"type":"tool_error","run_id":"r1","tool_name":"db","error":"timeout"}"#,
                r#"{"type":"agent_completed","run_id":"r1","status":"completed"}"#,
            ],
        );
        let run = runs.get(Some("r1")).unwrap();
        let ends: Vec<Option<u64>> = run.tools().iter().map(|c| c.end.map(|e| e.frame)).collect();
        assert_eq!(ends, [Some(4), None, None]);
        assert_eq!(
            run.tools().get(0).unwrap().status,
            ToolStatus::Failed { error: Some("timeout".into()) }
        );
        assert_eq!(run.executions().get(0).unwrap().status, ExecutionStatus::Completed);
        assert!(run.is_open(), "two tool calls never completed");
    }

    #[test]
    fn an_agent_event_without_ids_joins_the_previous_run() {
        let mut runs = Runs::default();
        feed(
            &mut runs,
            &[
                r#"{"type":"agent_thinking","reasoning":"no run yet"}"#,
                r#"{"type":"agent_started","thread_id":"t1","agent_name":"a"}"#,
                r#"{"type":"agent_thinking","reasoning":"hmm"}"#,
                r#"{"type":"heartbeat"}"#,
            ],
        );
        let ids: Vec<Option<&str>> = runs.iter().map(Run::id).collect();
        assert_eq!(ids, [None, Some("t1")]);
        assert_eq!(runs.get(Some("t1")).unwrap().thinking().len(), 1);
        assert_eq!(runs.get(None).unwrap().thinking().len(), 1);
    }

    #[test]
    fn a_retracted_duplicate_leaves_the_timeline_as_before() {
        let mut runs = Runs::default();
        feed(
            &mut runs,
            &[
                r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
                r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#,
                r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
                r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#,
            ],
        );
        let before = runs.get(Some("r1")).unwrap().clone();
        runs.apply(
            Timestamp::from_unix_micros(9_000_000),
            5,
            105,
            &event(r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#),
        );
        runs.retract(Some("r1"), 5);
        runs.apply(
            Timestamp::from_unix_micros(9_000_000),
            6,
            106,
            &event(r#"{"type":"agent_completed","run_id":"r1","agent_name":"a"}"#),
        );
        runs.retract(Some("r1"), 6);
        let after = runs.get(Some("r1")).unwrap();
        assert_eq!(
            after.tools().iter().collect::<Vec<_>>(),
            before.tools().iter().collect::<Vec<_>>()
        );
        assert_eq!(after.executions().get(0).unwrap().status, ExecutionStatus::Open);
        assert_eq!(after.events(), before.events());
        assert!(after.is_open());
    }

    #[test]
    fn long_thoughts_are_kept_as_a_preview() {
        let long = "x".repeat(1000);
        assert_eq!(preview(&long).chars().count(), THOUGHT_PREVIEW_CHARS + 1);
        assert_eq!(preview("short"), "short");
    }
}
