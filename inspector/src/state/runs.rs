//! Runs as timelines: executions, thinking steps, tool calls, where each flag sits, and the
//! connection's lifecycle on the same time axis.
//!
//! The timelines are drawn from the checker's verdicts ([`Verdict`]), with no run model of
//! their own: an event goes to the run the checker judged it in, a completion ends the
//! execution or tool call the checker says it closed (by the frame that opened it), a duplicate
//! the checker did not apply is not drawn, and a run is open while the checker says it is
//! active. So a bar ends where the checker says the call ended, and a flag sits on the run it
//! names ([`Flag::place`](agentwire::Flag::place)).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use agentwire::check::{Applied, Outcome, Place};
use agentwire::event::{Duration as ReportedDuration, EventKind};
use agentwire::session::{ClosedReason, Disconnect, HandshakeOutcome};
use agentwire::{Event, Rule, Severity, Timestamp, Verdict};

use super::FlagId;
use super::capped::Capped;

/// How many runs a lane keeps (the oldest go first).
pub const MAX_RUNS_PER_LANE: usize = 2000;

/// How many executions, thinking steps, tool calls, flag marks and lifecycle markers a run keeps
/// of each (the oldest go first).
pub const MAX_ITEMS_PER_RUN: usize = 2000;

/// How much of a thought a thinking step keeps (the full text is in the stream).
const THOUGHT_PREVIEW_CHARS: usize = 240;

/// How a run is keyed: its id as the checker names it, or `None` for the connection's
/// anonymous run.
type RunKey = Option<Arc<str>>;

/// A lane's runs, in the order they were first seen.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    named: HashMap<Arc<str>, Run>,
    anonymous: Option<Run>,
    order: VecDeque<RunKey>,
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

    /// Draws one event as the checker judged it, and returns its run for the stream (the run
    /// an agent event was judged in, or the run another frame names). Only applied agent
    /// events change timelines.
    pub(crate) fn apply(
        &mut self,
        at: Timestamp,
        frame: u64,
        seq: u64,
        event: &Event,
        verdict: &Verdict,
    ) -> Option<Arc<str>> {
        let key = verdict.run.clone();
        let Outcome::Applied(applied) = verdict.outcome else { return key };
        if self.get(key.as_deref()).is_none() {
            self.insert(key.clone(), Run::new(key.clone(), at));
        }
        if let Some(run) = self.get_mut(key.as_deref()) {
            run.apply(Mark { at, frame, seq }, event, applied);
        }
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

    /// Places a flag on the timeline of the run it sits on, if that run is kept (a flag about
    /// the connection sits on none).
    pub(crate) fn mark_flag(&mut self, place: Place<'_>, mark: FlagMark) {
        let run = match place {
            Place::Run(id) => self.get_mut(Some(id)),
            Place::AnonymousRun => self.get_mut(None),
            Place::Connection => None,
        };
        if let Some(run) = run {
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
    /// Whether the checker said the run is active (has an open execution) after its latest
    /// event.
    active: bool,
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
            active: false,
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

    /// How many agent events it had (repeats the checker did not apply are not counted).
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Whether an execution is still open: the run is *active*, as the checker says
    /// (docs/rules.md, "Execution"). Its tool calls still open when it stops being active are
    /// `tool-never-completed`.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.active
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

    fn apply(&mut self, mark: Mark, event: &Event, applied: Applied) {
        self.events += 1;
        self.last_at = self.last_at.max(mark.at);
        self.active = applied.run_active;
        let agent = event.context.agent_name.clone();
        match &event.kind {
            EventKind::AgentStarted(_) => {
                self.executions.push(Execution {
                    agent,
                    start: mark,
                    end: None,
                    status: ExecutionStatus::Open,
                });
            }
            EventKind::AgentThinking(thinking) => {
                self.thinking.push(ThinkingStep {
                    mark,
                    agent,
                    step: thinking.step_number,
                    text: thinking.reasoning.as_deref().map(preview).unwrap_or_default(),
                });
            }
            EventKind::ToolExecuting(tool) => {
                self.tools.push(ToolCall {
                    tool_name: tool.tool_name.clone(),
                    execution_id: tool.execution_id.clone(),
                    agent,
                    start: mark,
                    end: None,
                    status: ToolStatus::Open,
                    reported_duration: None,
                });
            }
            EventKind::ToolCompleted(tool) => {
                self.end_tool(applied.closed, mark, ToolStatus::Completed, tool.duration);
            }
            EventKind::ToolError(tool) => {
                let status = ToolStatus::Failed { error: tool.error.clone() };
                self.end_tool(applied.closed, mark, status, None);
            }
            EventKind::AgentCompleted(_) => {
                self.end_execution(applied.closed, mark, ExecutionStatus::Completed);
            }
            EventKind::AgentError(error) => {
                let status = ExecutionStatus::Error { error: error.error.clone() };
                self.end_execution(applied.closed, mark, status);
            }
            EventKind::AgentDeath(death) => {
                let status = ExecutionStatus::Death { cause: death.death_cause.clone() };
                self.end_execution(applied.closed, mark, status);
            }
            EventKind::AgentTimeoutFailure(failure) => {
                let status = ExecutionStatus::TimedOut { error: failure.error.clone() };
                self.end_execution(applied.closed, mark, status);
            }
            _ => {}
        }
    }

    /// Ends the tool call the checker says the completion closed: the one opened at frame
    /// `opened` (nothing when it matched none, or its bar is no longer kept).
    fn end_tool(
        &mut self,
        opened: Option<u64>,
        end: Mark,
        status: ToolStatus,
        reported_duration: Option<ReportedDuration>,
    ) {
        let Some(opened) = opened else { return };
        if let Some(call) = self.tools.find_sorted_mut(opened, |call| call.start.frame) {
            call.end = Some(end);
            call.status = status;
            call.reported_duration = reported_duration;
        }
    }

    /// Ends the execution the checker says the event closed: the one opened at frame `opened`.
    fn end_execution(&mut self, opened: Option<u64>, end: Mark, status: ExecutionStatus) {
        let Some(opened) = opened else { return };
        if let Some(execution) = self.executions.find_sorted_mut(opened, |e| e.start.frame) {
            execution.end = Some(end);
            execution.status = status;
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
    use agentwire::{Checker, CheckerConfig};

    use super::*;

    /// Draws each frame as a live checker judges it, one second apart.
    fn feed(runs: &mut Runs, checker: &mut Checker, frames: &[&str]) {
        for text in frames {
            let frame = checker.next_frame_index();
            let at = Timestamp::from_unix_micros(1_000_000 * (frame as i64 + 1));
            let checked = checker.handle_text(text, Some(at)).unwrap();
            runs.apply(at, frame, frame + 100, &checked.event, &checked.verdict);
        }
    }

    fn drawn(frames: &[&str]) -> Runs {
        let mut runs = Runs::default();
        feed(&mut runs, &mut Checker::new(CheckerConfig::live()), frames);
        runs
    }

    #[test]
    fn concurrent_calls_of_one_tool_close_by_execution_id() {
        let runs = drawn(&[
            r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#,
            r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x1"}"#,
            r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x2"}"#,
            r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","execution_id":"x2","results":{}}"#,
            r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","execution_id":"x1","results":{}}"#,
        ]);
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
        let runs = drawn(&[
            r#"{"type":"agent_started","run_id":"r1"}"#,
            r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
            r#"{"type":"tool_executing","run_id":"r1","tool_name":"web"}"#,
            r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","parameters":{"n":2}}"#,
            r#"{"type":"tool_error","run_id":"r1","tool_name":"db","error":"timeout"}"#,
            r#"{"type":"agent_completed","run_id":"r1","status":"completed"}"#,
        ]);
        let run = runs.get(Some("r1")).unwrap();
        let ends: Vec<Option<u64>> = run.tools().iter().map(|c| c.end.map(|e| e.frame)).collect();
        assert_eq!(ends, [Some(4), None, None]);
        assert_eq!(
            run.tools().get(0).unwrap().status,
            ToolStatus::Failed { error: Some("timeout".into()) }
        );
        assert_eq!(run.executions().get(0).unwrap().status, ExecutionStatus::Completed);
        assert!(!run.is_open(), "its one execution ended (the open calls are flagged)");
    }

    #[test]
    fn an_agent_event_without_ids_joins_the_previous_run() {
        let runs = drawn(&[
            r#"{"type":"agent_thinking","reasoning":"no run yet"}"#,
            r#"{"type":"agent_started","thread_id":"t1","agent_name":"a"}"#,
            r#"{"type":"agent_thinking","reasoning":"hmm"}"#,
            r#"{"type":"heartbeat"}"#,
        ]);
        let ids: Vec<Option<&str>> = runs.iter().map(Run::id).collect();
        assert_eq!(ids, [None, Some("t1")]);
        assert_eq!(runs.get(Some("t1")).unwrap().thinking().len(), 1);
        assert_eq!(runs.get(None).unwrap().thinking().len(), 1);
    }

    #[test]
    fn a_duplicate_the_checker_did_not_apply_is_not_drawn() {
        let started = r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#;
        let tool = r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#;
        let done = r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#;
        let once = drawn(&[started, tool, done]);
        let twice = drawn(&[started, tool, tool, done, done, started]);
        let (once, twice) = (once.get(Some("r1")).unwrap(), twice.get(Some("r1")).unwrap());
        assert_eq!((twice.events(), twice.tools().len(), twice.executions().len()), (3, 1, 1));
        assert_eq!(twice.tools().get(0).unwrap().end.map(|end| end.frame), Some(3));
        assert_eq!(
            once.executions().iter().collect::<Vec<_>>(),
            twice.executions().iter().collect::<Vec<_>>()
        );
        assert!(twice.is_open());
    }

    #[test]
    fn a_run_with_a_long_id_gets_the_flags_that_name_it() {
        let id = "r".repeat(300);
        let frames = [
            format!(r#"{{"type":"agent_started","run_id":"{id}","agent_name":"a"}}"#),
            format!(
                r#"{{"type":"tool_completed","run_id":"{id}","tool_name":"db","results":{{}}}}"#
            ),
        ];
        let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
        let mut checker = Checker::new(CheckerConfig::live());
        let mut runs = Runs::default();
        feed(&mut runs, &mut checker, &frames);
        let flag = std::iter::from_fn(|| checker.poll_flag())
            .find(|flag| flag.rule == Rule::ToolCompletedWithoutExecuting)
            .unwrap();
        let mark = FlagMark {
            id: FlagId(0),
            rule: flag.rule,
            severity: flag.severity,
            frame: flag.frame,
            seq: Some(101),
            at: Timestamp::EPOCH,
        };
        runs.mark_flag(flag.place(), mark);
        let run = runs.iter().next().unwrap();
        assert_eq!(run.flags().len(), 1, "the flag reached the run's timeline");
    }

    #[test]
    fn long_thoughts_are_kept_as_a_preview() {
        let long = "x".repeat(1000);
        assert_eq!(preview(&long).chars().count(), THOUGHT_PREVIEW_CHARS + 1);
        assert_eq!(preview("short"), "short");
    }
}
