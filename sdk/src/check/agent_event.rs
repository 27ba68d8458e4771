//! How one agent event is judged within its run and applied to it (docs/rules.md): the time since
//! the run's previous event, timestamp regression, events outside the run's life, and the
//! executions and tool calls it opens and closes.
//!
//! [`Checker`](super::Checker) finds the event's run and hands it to [`apply`]; the flags found
//! come back in the order they were found, and the checker raises them on the event's frame.

use super::run::{
    Execution, MAX_OPEN_EXECUTIONS, MAX_OPEN_TOOLS, Run, RunKey, ToolCall, ToolKey, bounded,
};
use super::{CheckerConfig, ClockMode, Rule, Subject, duration_micros, seconds};
use crate::event::{Event, EventKind, ToolExecuting};
use crate::timestamp::Timestamp;

/// A flag found for the event, to be raised on its frame: its rule, related frames and sentence.
pub(super) type Found = (Rule, Vec<u64>, String);

/// What applying one agent event to its run gave.
pub(super) struct Judged {
    /// The flags found, in order.
    pub(super) flags: Vec<Found>,
    /// Open executions dropped because the run had [`MAX_OPEN_EXECUTIONS`] open.
    pub(super) dropped_executions: u64,
    /// Whether the run had an open execution before the event.
    pub(super) was_active: bool,
    /// The frame that opened the execution or tool call the event closed.
    pub(super) closed: Option<u64>,
}

/// Judges `event` (frame `frame`, arrived at `received_at`) against its run `key` and applies it:
/// time first (gaps and stalls, then timestamp regression), then the run's state (an event
/// before any start or after the last execution closed), then what the event opens or closes.
pub(super) fn apply(
    config: &CheckerConfig,
    key: &RunKey,
    run: &mut Run,
    event: &Event,
    frame: u64,
    received_at: Option<Timestamp>,
) -> Judged {
    let mut step = Step {
        event,
        frame,
        subject: Subject { event, frame },
        run_text: key,
        config,
        found: Vec::new(),
    };
    // Time: gaps and stalls within an active run, then timestamp regression.
    step.check_gap(run, received_at);
    step.check_timestamp(run);
    // Run state.
    let was_active = run.is_active();
    step.check_lifecycle(run, was_active);
    let (dropped_executions, closed) = step.open_or_close(run, was_active);
    Judged { flags: step.found, dropped_executions, was_active, closed }
}

/// One agent event being applied to its run, and the flags found so far.
struct Step<'a> {
    event: &'a Event,
    frame: u64,
    /// The event as a flag's sentence names it; formatted only when a flag is raised.
    subject: Subject<'a>,
    /// The run as a flag's sentence names it.
    run_text: &'a RunKey,
    config: &'a CheckerConfig,
    found: Vec<Found>,
}

impl Step<'_> {
    /// `run-stalled` or `slow-gap` when the run was active and silent too long before this event;
    /// then the event becomes the run's latest (unless stamped in the past), and the run is no
    /// longer stalled.
    fn check_gap(&mut self, run: &mut Run, received_at: Option<Timestamp>) {
        let (subject, run_text, config) = (&self.subject, self.run_text, self.config);
        // One clock per mode, never mixed: live, arrival times (the timer compares them with the
        // SDK's `now`); offline, the frames' own timestamps.
        let clock_time = match config.clock {
            ClockMode::Live => received_at,
            ClockMode::Offline => self.event.context.timestamp,
        };
        if let (Some(now), Some(last)) = (clock_time, run.last_event_at) {
            let gap = now.micros_since(last);
            if run.is_active() {
                if gap > duration_micros(config.stall_after) && !run.stalled {
                    self.found.push((
                        Rule::RunStalled,
                        vec![run.last_event_frame],
                        format!(
                            "{run_text} had no event for {} between frame {} and {subject} (stall limit {})",
                            seconds(gap),
                            run.last_event_frame,
                            seconds(duration_micros(config.stall_after))
                        ),
                    ));
                } else if gap > duration_micros(config.slow_gap)
                    && gap < duration_micros(config.stall_after)
                    && !run.stalled
                {
                    self.found.push((
                        Rule::SlowGap,
                        vec![run.last_event_frame],
                        format!(
                            "{run_text} went {} between frame {} and {subject} (the manager's SLA is {})",
                            seconds(gap),
                            run.last_event_frame,
                            seconds(duration_micros(config.slow_gap))
                        ),
                    ));
                }
            }
        }
        // Gaps are measured from the run's latest time, so an event stamped in the past (a
        // `timestamp-regression`) neither stretches nor shortens the next gap.
        if let Some(now) =
            clock_time.filter(|now| run.last_event_at.is_none_or(|last| *now >= last))
        {
            run.last_event_at = Some(now);
            run.last_event_frame = self.frame;
        }
        run.stalled = false;
    }

    /// `timestamp-regression` when the event is stamped further back than the tolerance before
    /// the run's latest timestamp; otherwise a later stamp becomes the latest.
    fn check_timestamp(&mut self, run: &mut Run) {
        let (subject, run_text) = (&self.subject, self.run_text);
        let Some(timestamp) = self.event.context.timestamp else { return };
        match run.latest_timestamp {
            Some((latest, latest_frame))
                if latest.micros_since(timestamp)
                    > duration_micros(self.config.regression_tolerance) =>
            {
                self.found.push((
                    Rule::TimestampRegression,
                    vec![latest_frame],
                    format!(
                        "{subject} is stamped {timestamp}, {} before the latest timestamp of {run_text} ({latest}, frame {latest_frame})",
                        seconds(latest.micros_since(timestamp))
                    ),
                ));
            }
            Some((latest, _)) if latest >= timestamp => {}
            _ => run.latest_timestamp = Some((timestamp, self.frame)),
        }
    }

    /// `event-before-start` or `event-after-completion` for an event other than `agent_started`
    /// that arrives outside the run's life.
    fn check_lifecycle(&mut self, run: &Run, was_active: bool) {
        let (subject, run_text) = (&self.subject, self.run_text);
        if matches!(self.event.kind, EventKind::AgentStarted(_)) {
            return;
        }
        if !run.started {
            self.found.push((
                Rule::EventBeforeStart,
                vec![],
                format!("{subject} arrived for {run_text}, which has had no agent_started"),
            ));
        } else if !was_active {
            self.found.push((
                Rule::EventAfterCompletion,
                run.closed_at.into_iter().collect(),
                format!(
                    "{subject} arrived for {run_text} after its last execution closed{}",
                    run.closed_at.map(|f| format!(" at frame {f}")).unwrap_or_default()
                ),
            ));
        }
    }

    /// Applies what the event opens or closes: an execution, a tool call, the run itself.
    /// Returns how many open executions were dropped to stay bounded, and the frame that opened
    /// what the event closed.
    fn open_or_close(&mut self, run: &mut Run, was_active: bool) -> (u64, Option<u64>) {
        let event = self.event;
        let closed = match &event.kind {
            EventKind::AgentStarted(_) => return (self.open_execution(run), None),
            EventKind::AgentThinking(_) => {
                // Only thinking since the first agent_started counts for `missing-thinking`.
                run.thinking_seen |= run.started;
                None
            }
            EventKind::ToolExecuting(tool) => {
                self.open_tool(run, tool);
                None
            }
            EventKind::ToolCompleted(_) | EventKind::ToolError(_) => {
                self.close_tool(run, was_active)
            }
            EventKind::AgentCompleted(_)
            | EventKind::AgentError(_)
            | EventKind::AgentDeath(_)
            | EventKind::AgentTimeoutFailure(_) => {
                let closed = run.close_execution(event.context.agent_name.as_deref());
                if closed.is_some() && !run.is_active() {
                    self.close_run(run);
                }
                closed.map(|execution| execution.frame)
            }
            _ => None,
        };
        (0, closed)
    }

    /// `agent_started`: the run starts (the first time) and gains an open execution, dropping the
    /// oldest beyond [`MAX_OPEN_EXECUTIONS`]. Returns how many were dropped.
    fn open_execution(&mut self, run: &mut Run) -> u64 {
        let mut dropped_executions = 0;
        if !run.started {
            run.started = true;
            run.first_start_frame = Some(self.frame);
        }
        if run.executions.len() >= MAX_OPEN_EXECUTIONS {
            run.executions.remove(0);
            dropped_executions += 1;
        }
        run.executions.push(Execution {
            agent_name: self
                .event
                .context
                .agent_name
                .as_deref()
                .map(|name| bounded(name).into_owned()),
            frame: self.frame,
        });
        dropped_executions
    }

    /// `tool_executing`: a tool call opens; beyond [`MAX_OPEN_TOOLS`] the oldest is given up
    /// with a `tool-never-completed`.
    fn open_tool(&mut self, run: &mut Run, tool: &ToolExecuting) {
        let run_text = self.run_text;
        if run.tools.len() >= MAX_OPEN_TOOLS {
            if let Some(oldest) = run.tools.pop_front() {
                self.found.push((
                    Rule::ToolNeverCompleted,
                    vec![oldest.frame],
                    format!(
                        "{} was never completed: {run_text} has {MAX_OPEN_TOOLS} open tool calls, the most the checker tracks per run",
                        oldest.describe()
                    ),
                ));
            }
        }
        run.tools.push_back(ToolCall::new(
            tool.tool_name.as_deref(),
            tool.execution_id.as_deref(),
            self.frame,
        ));
    }

    /// `tool_completed` or `tool_error`: closes the matching open tool call and returns the
    /// frame that opened it; `tool-completed-without-executing` when an active run has none.
    fn close_tool(&mut self, run: &mut Run, was_active: bool) -> Option<u64> {
        let (subject, run_text) = (&self.subject, self.run_text);
        let (tool_name, execution_id) = match &self.event.kind {
            EventKind::ToolCompleted(tool) => {
                (tool.tool_name.as_deref(), tool.execution_id.as_deref())
            }
            EventKind::ToolError(tool) => (tool.tool_name.as_deref(), tool.execution_id.as_deref()),
            _ => (None, None),
        };
        let (tool_name, execution_id) = (tool_name.map(bounded), execution_id.map(bounded));
        let matched = run.close_tool(ToolKey::new(tool_name.as_deref(), execution_id.as_deref()));
        if matched.is_none() && was_active {
            self.found.push((
                Rule::ToolCompletedWithoutExecuting,
                vec![],
                format!("{subject} matches no open tool_executing in {run_text}"),
            ));
        }
        matched.map(|call| call.frame)
    }

    /// The run's last open execution closed: its open tool calls are `tool-never-completed`, and
    /// a run without any `agent_thinking` is `missing-thinking` (once).
    fn close_run(&mut self, run: &mut Run) {
        let (subject, run_text) = (&self.subject, self.run_text);
        run.closed_at = Some(self.frame);
        for tool in std::mem::take(&mut run.tools) {
            self.found.push((
                Rule::ToolNeverCompleted,
                vec![tool.frame],
                format!(
                    "{} was never completed: {run_text} stopped being active at {subject}",
                    tool.describe()
                ),
            ));
        }
        if !run.thinking_seen && !run.missing_thinking_flagged {
            run.missing_thinking_flagged = true;
            self.found.push((
                Rule::MissingThinking,
                run.first_start_frame.into_iter().collect(),
                format!(
                    "{run_text} stopped being active at {subject} without any agent_thinking since its first agent_started{}",
                    run.first_start_frame.map(|f| format!(" (frame {f})")).unwrap_or_default()
                ),
            ));
        }
    }
}
