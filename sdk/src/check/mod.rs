//! The run checker (docs/rules.md): reads one connection's frames in arrival order and flags
//! every way the stream departs from a healthy agent run. It never stops at a problem: it flags,
//! then carries on.
//!
//! The checker is sans-IO. Frames go in through [`Checker::handle_text`] (or
//! [`Checker::handle_event`] for an already decoded one), flags come out of
//! [`Checker::poll_flag`]. Time is an argument:
//! * **offline** ([`CheckerConfig::offline`], `agentwire check`): time comes from the frames' own
//!   timestamps, so a recording always gives the same report; call [`Checker::finish`] at the end;
//! * **live** ([`CheckerConfig::live`], the SDK and the inspector): pass each frame's arrival time,
//!   arm a timer for [`Checker::poll_timeout`] and call [`Checker::handle_timeout`] when it fires,
//!   which raises `run-stalled` while the run is still silent.
//!
//! Memory is bounded on an endless stream: once more than [`CheckerConfig::max_runs`] runs (plus
//! an eighth) are tracked, runs are evicted down to `max_runs`, finished ones first and the
//! least recently used first, and the duplicate window keeps 256 fingerprints.

mod agent_event;
mod duplicates;
mod order;
mod rule;
mod run;
mod verdict;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::decode::{DecodeError, decode};
use crate::event::{Event, EventKind};
use crate::fingerprint::FoldState;
use crate::timestamp::{Timestamp, duration_micros};

use duplicates::Window;
use order::{kth_smallest, sorted_by_key};
pub use rule::{Flag, Place, Rule, RuleCounts, Scope, Severity, UnknownRule};
use run::{Run, RunKey, ToolCall, bounded};
pub use verdict::{Applied, Outcome, Verdict};

/// Where the checker's sense of time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClockMode {
    /// Arrival times passed in with each frame; stalls detected by timers.
    Live,
    /// The frames' own timestamps; stalls judged when the next event of the run arrives.
    Offline,
}

/// How a [`Checker`] judges a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckerConfig {
    /// Where time comes from.
    pub clock: ClockMode,
    /// The connection's user id, when known (from the token's `sub`, or `--user`). When `None`,
    /// it is learned from the first `pong` or `ack` that names one.
    pub user_id: Option<String>,
    /// Silence after which an active run is `run-stalled` (default 30 s, the manager's deadline).
    pub stall_after: Duration,
    /// Gap between two events of an active run worth a `slow-gap` (default 15 s, the manager's SLA).
    pub slow_gap: Duration,
    /// How far back `timestamp-regression` tolerates (default 1 s).
    pub regression_tolerance: Duration,
    /// How many recent agent events duplicates are compared with (default 256).
    pub duplicate_window: usize,
    /// How many runs are kept when runs are evicted (default 4096): past this many and an
    /// eighth more, the least recently used finished runs go first.
    pub max_runs: usize,
    /// The index of the first frame (default 0). A checker that goes on with a stream another
    /// one started (a page that reconnects a user whose frames it keeps showing) numbers its
    /// frames on from there, so that flags and verdicts name frames in one sequence.
    pub first_frame: u64,
}

impl CheckerConfig {
    /// Offline checking: time from frame timestamps (`agentwire check`).
    #[must_use]
    pub fn offline() -> Self {
        CheckerConfig {
            clock: ClockMode::Offline,
            user_id: None,
            stall_after: Duration::from_secs(30),
            slow_gap: Duration::from_secs(15),
            regression_tolerance: Duration::from_secs(1),
            duplicate_window: 256,
            max_runs: 4096,
            first_frame: 0,
        }
    }

    /// Live checking: time from arrival, stalls from timers (the SDK and the inspector).
    #[must_use]
    pub fn live() -> Self {
        CheckerConfig { clock: ClockMode::Live, ..Self::offline() }
    }

    /// The same configuration for the given connection user.
    #[must_use]
    pub fn with_user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The same configuration with another stall deadline.
    #[must_use]
    pub fn with_stall_after(mut self, stall_after: Duration) -> Self {
        self.stall_after = stall_after;
        self
    }
}

impl Default for CheckerConfig {
    fn default() -> Self {
        Self::offline()
    }
}

/// Counters over everything the checker has seen.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Frames handled, malformed ones included.
    pub frames: u64,
    /// Frames that decoded to an event.
    pub events: u64,
    /// Agent events among them (the ones that drive the rules).
    pub agent_events: u64,
    /// Distinct runs seen (a run evicted and seen again counts twice).
    pub runs: u64,
    /// Runs currently tracked.
    pub tracked_runs: usize,
    /// Runs with an open execution now.
    pub active_runs: usize,
    /// Runs evicted to bound memory while still active (their later events are judged as new).
    pub evicted_active_runs: u64,
    /// Open executions dropped because a run had 256 open at once (bounded memory).
    pub dropped_open_executions: u64,
    /// Flags raised, by rule.
    // An object keyed by rule id, holding only the rules that fired.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Partial<Record<RuleId, number>>"))]
    pub flags_by_rule: RuleCounts,
}

impl Summary {
    /// Flags raised in all.
    #[must_use]
    pub fn flags(&self) -> u64 {
        self.flags_by_rule.total()
    }

    /// Flags raised of one severity.
    #[must_use]
    pub fn flags_of(&self, severity: Severity) -> u64 {
        self.flags_by_rule
            .iter()
            .filter(|(rule, _)| rule.severity() == severity)
            .map(|(_, n)| n)
            .sum()
    }
}

/// A frame [`Checker::handle_text`] decoded, and what the checker did with it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The decoded frame.
    pub event: Event,
    /// Its run, and what it opened or closed there.
    pub verdict: Verdict,
}

/// The run checker of one connection. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Checker {
    config: CheckerConfig,
    /// The connection's user: configured, or learned from `pong`/`ack`.
    user_id: Option<String>,
    runs: HashMap<RunKey, Run, FoldState>,
    /// The runs with an open execution: the only ones with a stall deadline. Kept apart so the
    /// next deadline, asked for after every frame in live mode, costs the few active runs and
    /// not every tracked one (up to `max_runs`).
    active: HashSet<RunKey, FoldState>,
    /// The run of the previous agent event, for agent events without ids.
    last_run: Option<RunKey>,
    duplicates: Window,
    highest_seq: Option<u64>,
    next_frame: u64,
    flags: std::collections::VecDeque<Flag>,
    summary: Summary,
    /// A counter that orders runs by last use, for eviction.
    touch: u64,
}

impl Checker {
    /// A checker with no frames seen yet.
    #[must_use]
    pub fn new(config: CheckerConfig) -> Self {
        let first_frame = config.first_frame;
        Checker {
            user_id: config.user_id.clone().filter(|id| !id.is_empty()),
            duplicates: Window::new(config.duplicate_window),
            config,
            runs: HashMap::default(),
            active: HashSet::default(),
            last_run: None,
            highest_seq: None,
            next_frame: first_frame,
            flags: std::collections::VecDeque::new(),
            summary: Summary::default(),
            touch: 0,
        }
    }

    /// The configuration this checker runs with.
    #[must_use]
    pub fn config(&self) -> &CheckerConfig {
        &self.config
    }

    /// The connection's user id: configured, or learned from the first `pong`/`ack` naming one.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Tells the checker the connection's user (from a token that arrived after it was
    /// created). A user already known, from the configuration or the stream, is kept.
    pub fn learn_user(&mut self, user_id: &str) {
        if self.user_id.is_none() && !user_id.is_empty() {
            self.user_id = Some(user_id.to_owned());
        }
    }

    /// Counters over everything seen so far.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut summary = self.summary.clone();
        summary.tracked_runs = self.runs.len();
        summary.active_runs = self.runs.values().filter(|run| run.is_active()).count();
        summary
    }

    /// The flags raised and not yet taken by [`Checker::poll_flag`], oldest first.
    pub fn pending_flags(&self) -> impl Iterator<Item = &Flag> {
        self.flags.iter()
    }

    /// The highest `seq` adopted so far (docs/rules.md, `sequence-gap`): bogus numbers (beyond
    /// 2^53 − 1, or a jump of more than [`MAX_SEQ_JUMP`]) are flagged and not adopted. The
    /// session resumes from it.
    #[must_use]
    pub fn highest_seq(&self) -> Option<u64> {
        self.highest_seq
    }

    /// The index the next frame will get.
    #[must_use]
    pub fn next_frame_index(&self) -> u64 {
        self.next_frame
    }

    /// Decodes and checks one frame. `received_at` is the arrival time (used in live mode;
    /// ignored offline). Returns the decoded event with what the checker did with it, or the
    /// decode error that was flagged as `malformed-frame`.
    ///
    /// # Errors
    /// The frame's [`DecodeError`]; it has already been reported as a flag.
    pub fn handle_text(
        &mut self,
        text: &str,
        received_at: Option<Timestamp>,
    ) -> Result<Checked, DecodeError> {
        self.handle_decoded(decode(text), received_at)
    }

    /// Checks the outcome of decoding one frame: the event judged, or the decode error flagged
    /// as `malformed-frame` (what [`Checker::handle_text`] does after decoding).
    pub(crate) fn handle_decoded(
        &mut self,
        decoded: Result<Event, DecodeError>,
        received_at: Option<Timestamp>,
    ) -> Result<Checked, DecodeError> {
        // The event is moved once, into the result, and judged there: matched out and packed
        // again, it was copied (about 450 bytes) three times a frame.
        let mut checked = decoded.map(|event| Checked {
            event,
            verdict: Verdict { run: None, outcome: Outcome::NotAgentEvent },
        });
        match &mut checked {
            Ok(Checked { event, verdict }) => *verdict = self.handle_event(event, received_at),
            Err(error) => self.handle_decode_error(error),
        }
        checked
    }

    /// Records a frame that could not be decoded: a `malformed-frame` flag.
    pub fn handle_decode_error(&mut self, error: &DecodeError) {
        let frame = self.take_frame_index();
        self.raise(
            Rule::MalformedFrame,
            Some(frame),
            vec![],
            None,
            format!("frame {frame} is not an event: {error}"),
        );
    }

    /// Checks one decoded frame. `received_at` is the arrival time (used in live mode).
    /// Returns what the checker did with it: its run, and what it opened or closed there.
    pub fn handle_event(&mut self, event: &Event, received_at: Option<Timestamp>) -> Verdict {
        let frame = self.take_frame_index();
        self.summary.events += 1;

        if event.kind.is_agent_event() {
            if let Some(original) = self.duplicates.check_and_insert(event.fingerprint, frame) {
                // A duplicate is reported and otherwise ignored: it changes no run state and no
                // other rule judges it. Its `seq` still counts as received, so a retry sent with
                // a fresh number does not look like a gap (it is never a regression).
                self.check_sequence(event, frame, true);
                let run = self.run_key(event).id();
                self.raise(
                    Rule::DuplicateEvent,
                    Some(frame),
                    vec![original],
                    run.as_deref().map(str::to_owned),
                    format!(
                        "{} (frame {frame}) repeats frame {original} (ignoring attempt, recovered and seq); it was not applied again",
                        event.name()
                    ),
                );
                return Verdict { run, outcome: Outcome::Duplicate { original } };
            }
        }

        self.check_sequence(event, frame, false);

        match &event.kind {
            EventKind::Unknown => self.raise(
                Rule::UnknownType,
                Some(frame),
                vec![],
                None,
                format!("frame {frame} has type `{}`, outside the manager's vocabulary; kept as an opaque event", event.wire_type),
            ),
            EventKind::ResumeResult(result) => self.restart_numbering_if_behind(result),
            EventKind::Pong | EventKind::Ack(_) if self.user_id.is_none() => {
                self.user_id = event.context.user_id.clone().filter(|id| !id.ends_with("..."));
            }
            _ => {}
        }

        if event.kind.is_agent_event() {
            self.summary.agent_events += 1;
            self.check_agent_event(event, frame, received_at)
        } else {
            // Every frame that names a user is judged, lifecycle frames too: another user's
            // welcome or ack on this connection is as much a routing leak as their events.
            let run = event
                .kind
                .is_run_related()
                .then(|| event.context.run_id.as_deref().or(event.context.thread_id.as_deref()))
                .flatten()
                .map(|id| Arc::from(&*bounded(id)));
            self.check_cross_user(event, frame, run.as_deref());
            Verdict { run, outcome: Outcome::NotAgentEvent }
        }
    }

    /// The next time [`Checker::handle_timeout`] should be called (live mode): when the first
    /// active, not yet stalled run reaches its stall deadline. `None` offline or when no run is
    /// active.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.config.clock != ClockMode::Live {
            return None;
        }
        let stall = duration_micros(self.config.stall_after);
        self.active
            .iter()
            .filter_map(|key| self.runs.get(key))
            .filter(|run| !run.stalled)
            .filter_map(|run| run.last_event_at.map(|at| at.add_micros(stall)))
            .min()
    }

    /// Raises `run-stalled` for every active run silent for `stall_after` at `now` (live mode).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.config.clock != ClockMode::Live {
            return;
        }
        let stall = duration_micros(self.config.stall_after);
        let mut stalled: Vec<(RunKey, u64, i64)> = Vec::new();
        for key in &self.active {
            let Some(run) = self.runs.get_mut(key) else { continue };
            let Some(last) = run.last_event_at else { continue };
            if !run.stalled && now.micros_since(last) >= stall {
                run.stalled = true;
                stalled.push((key.clone(), run.last_event_frame, now.micros_since(last)));
            }
        }
        for (key, last_frame, silence) in sorted_by_key(stalled, |(_, frame, _)| *frame) {
            let label = key.label();
            self.raise(
                Rule::RunStalled,
                None,
                vec![last_frame],
                label.clone(),
                format!(
                    "{} has had no event for {} since frame {last_frame} (stall limit {})",
                    key,
                    seconds(silence),
                    seconds(duration_micros(self.config.stall_after)),
                ),
            );
        }
    }

    /// Ends the stream (offline): one `run-incomplete` per run that still has an open execution.
    /// Their open tool calls are part of that flag, not separate flags.
    pub fn finish(&mut self) {
        let incomplete: Vec<(RunKey, Run)> = self
            .runs
            .iter()
            .filter(|(_, run)| run.is_active())
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        for (key, run) in sorted_by_key(incomplete, |(_, run)| run.first_frame) {
            let label = key.label();
            let executions: Vec<String> = run
                .executions
                .iter()
                .map(|execution| {
                    format!(
                        "{} (opened at frame {})",
                        agent(execution.agent_name.as_deref()),
                        execution.frame
                    )
                })
                .collect();
            let mut message = format!(
                "{} never finished: {} still open at the end of the frames",
                key,
                plural(executions.len(), "execution", "executions", &executions.join(", ")),
            );
            if !run.tools.is_empty() {
                let tools: Vec<String> = run.tools.iter().map(ToolCall::describe).collect();
                message.push_str(&format!(
                    ", with {}",
                    plural(tools.len(), "open tool call", "open tool calls", &tools.join(", "))
                ));
            }
            let mut related: Vec<u64> =
                run.executions.iter().map(|execution| execution.frame).collect();
            related.extend(run.tools.iter().map(|tool| tool.frame));
            self.raise(Rule::RunIncomplete, None, related, label, message);
            if let Some(tracked) = self.runs.get_mut(&key) {
                tracked.executions.clear();
                tracked.tools.clear();
            }
        }
    }

    /// The next flag raised, in the order raised.
    #[must_use]
    pub fn poll_flag(&mut self) -> Option<Flag> {
        self.flags.pop_front()
    }

    fn take_frame_index(&mut self) -> u64 {
        let frame = self.next_frame;
        self.next_frame += 1;
        self.summary.frames += 1;
        frame
    }

    fn raise(
        &mut self,
        rule: Rule,
        frame: Option<u64>,
        related_frames: Vec<u64>,
        run_id: Option<String>,
        message: String,
    ) {
        self.summary.flags_by_rule.add(rule);
        self.flags.push_back(Flag {
            rule,
            severity: rule.severity(),
            frame,
            related_frames,
            run_id,
            message,
        });
    }

    /// The run an agent event belongs to (docs/rules.md, "Run"). Reuses the previous agent
    /// event's key when it names the same run (the common case), without allocating.
    fn run_key(&self, event: &Event) -> RunKey {
        let (by_run, id) = match (&event.context.run_id, &event.context.thread_id) {
            (Some(id), _) => (true, id),
            (None, Some(id)) => (false, id),
            (None, None) => return self.last_run.clone().unwrap_or(RunKey::Anonymous),
        };
        let same = |last: &str| crate::bytes::equal_str(last, id);
        match &self.last_run {
            Some(RunKey::Run(last)) if by_run && same(last) => RunKey::Run(Arc::clone(last)),
            Some(RunKey::Thread(last)) if !by_run && same(last) => RunKey::Thread(Arc::clone(last)),
            _ if by_run => RunKey::Run(Arc::from(&*bounded(id))),
            _ => RunKey::Thread(Arc::from(&*bounded(id))),
        }
    }

    /// A `resume_result` whose `to_seq` (the server's last number) is below the highest `seq`
    /// already seen means the server numbers from scratch: it restarted, or lost its history.
    /// Numbering starts again from the server's, so its next frames are neither regressions nor
    /// gaps (what was missed during the outage cannot be counted; the session reports it as a
    /// `reset` resume).
    fn restart_numbering_if_behind(&mut self, result: &crate::event::ResumeResult) {
        if let (Some(to), Some(highest)) = (result.to_seq, self.highest_seq) {
            if to < highest {
                self.highest_seq = Some(to);
            }
        }
    }

    fn check_sequence(&mut self, event: &Event, frame: u64, duplicate: bool) {
        let Some(seq) = event.context.seq else { return };
        if seq > MAX_SAFE_SEQ {
            self.raise(
                Rule::SequenceGap,
                Some(frame),
                vec![],
                None,
                format!(
                    "frame {frame} has seq {seq}, beyond 2^53 - 1 (no JavaScript number holds it \
                     exactly): a bogus number, not adopted as the highest seq"
                ),
            );
            return;
        }
        let Some(highest) = self.highest_seq else {
            self.highest_seq = Some(seq);
            return;
        };
        if highest.checked_add(1) == Some(seq) {
            self.highest_seq = Some(seq);
        } else if seq > highest && seq - highest > MAX_SEQ_JUMP {
            self.raise(
                Rule::SequenceGap,
                Some(frame),
                vec![],
                None,
                format!(
                    "frame {frame} has seq {seq} after seq {highest}: a jump of {}, more than a \
                     server numbering frames one by one could have lost ({MAX_SEQ_JUMP}); not \
                     adopted as the highest seq",
                    seq - highest
                ),
            );
        } else if seq > highest {
            // `seq > highest`, so neither bound can overflow.
            let (first, last) = (highest + 1, seq - 1);
            let missing = if first == last {
                format!("seq {first} is")
            } else {
                format!("seq {first}..{last} ({} frames) are", last - first + 1)
            };
            self.raise(
                Rule::SequenceGap,
                Some(frame),
                vec![],
                None,
                format!("frame {frame} has seq {seq} after seq {highest}: {missing} missing"),
            );
            self.highest_seq = Some(seq);
        } else if !duplicate {
            self.raise(
                Rule::SequenceRegression,
                Some(frame),
                vec![],
                None,
                format!(
                    "frame {frame} ({}) has seq {seq}, not above the highest seq already seen ({highest})",
                    event.name()
                ),
            );
        }
    }

    /// Judges an agent event within its run (see [`agent_event`]) and raises what was found,
    /// after the connection-wide rules (missing fields, cross-user) and before any eviction.
    fn check_agent_event(
        &mut self,
        event: &Event,
        frame: u64,
        received_at: Option<Timestamp>,
    ) -> Verdict {
        let key = self.run_key(event);
        let id = key.id();
        self.check_missing_fields(event, frame, id.as_deref());
        self.last_run = Some(key.clone());
        self.check_cross_user(event, frame, id.as_deref());

        self.touch += 1;
        let touch = self.touch;
        let is_new = !self.runs.contains_key(&key);
        if is_new {
            self.summary.runs += 1;
            self.runs.insert(key.clone(), Run::new(frame));
        }
        // Inserted above when new: never `None`.
        let Some(run) = self.runs.get_mut(&key) else {
            return Verdict { run: id, outcome: Outcome::NotAgentEvent };
        };
        run.touched = touch;
        let judged = agent_event::apply(&self.config, &key, run, event, frame, received_at);
        let is_active = run.is_active();
        if is_active != judged.was_active {
            if is_active {
                self.active.insert(key.clone());
            } else {
                self.active.remove(&key);
            }
        }

        self.summary.dropped_open_executions += judged.dropped_executions;
        for (rule, related, message) in judged.flags {
            self.raise(rule, Some(frame), related, id.as_deref().map(str::to_owned), message);
        }
        if is_new {
            self.evict_if_needed();
        }
        let applied = Applied { closed: judged.closed, run_active: is_active };
        Verdict { run: id, outcome: Outcome::Applied(applied) }
    }

    fn check_missing_fields(&mut self, event: &Event, frame: u64, run: Option<&str>) {
        let context = &event.context;
        let mut missing: Vec<&'static str> = Vec::new();
        match &event.kind {
            EventKind::AgentStarted(_) => {
                if context.user_id.is_none() {
                    missing.push("`user_id`");
                }
                if context.timestamp.is_none() {
                    missing.push("`timestamp`");
                }
                if context.thread_id.is_none() && context.run_id.is_none() {
                    missing.push("`thread_id` or `run_id`");
                }
            }
            EventKind::AgentThinking(thinking) if thinking.reasoning.is_none() => {
                missing.push("`reasoning` (or `thought`, `message`)");
            }
            EventKind::ToolExecuting(tool) if tool.tool_name.is_none() => {
                missing.push("`tool_name` (or `tool`)")
            }
            EventKind::ToolCompleted(tool) => {
                if tool.tool_name.is_none() {
                    missing.push("`tool_name` (or `tool`)");
                }
                if tool.results.is_none() {
                    missing.push("`results` (or `result`, `output`)");
                }
            }
            EventKind::AgentCompleted(done)
                if done.status.is_none()
                    && done.final_response.is_none()
                    && done.result.is_none() =>
            {
                missing.push("`status`, `final_response` (or `response`) or `result`");
            }
            _ => {}
        }
        if missing.is_empty() {
            return;
        }
        let subject = describe_event(event, frame);
        for field in missing {
            self.raise(
                Rule::MissingField,
                Some(frame),
                vec![],
                run.map(str::to_owned),
                format!("{subject} has no {field} in any body location"),
            );
        }
    }

    fn check_cross_user(&mut self, event: &Event, frame: u64, run: Option<&str>) {
        let (Some(expected), Some(actual)) =
            (self.user_id.as_deref(), event.context.user_id.as_deref())
        else {
            return;
        };
        // `bytes::equal_str`, not `==`: see `crate::bytes` (this runs on every event).
        let equal = crate::bytes::equal_str;
        // A user id equal to the event's own thread id is a known manager quirk (§4).
        if event.context.thread_id.as_deref().is_some_and(|thread| equal(thread, actual)) {
            return;
        }
        let same = match actual.strip_suffix("...") {
            Some(prefix) => expected.get(..prefix.len()).is_some_and(|start| equal(start, prefix)),
            None => equal(actual, expected),
        };
        if !same {
            let message = format!(
                "{} is for user `{actual}`, but this connection belongs to `{expected}`: another user's event leaked here",
                describe_event(event, frame)
            );
            self.raise(Rule::CrossUserEvent, Some(frame), vec![], run.map(str::to_owned), message);
        }
    }

    /// Past `max_runs` runs and an eighth more, evicts down to `max_runs`: the least recently
    /// used finished runs first, then, when there are not enough of them, the least recently
    /// used active ones (counted in the summary).
    fn evict_if_needed(&mut self) {
        let max = self.config.max_runs.max(1);
        if self.runs.len() <= max.saturating_add(max / 8) {
            return;
        }
        // Finished runs first, then by last use. `touched` numbers agent events and each event
        // touches one run, so no two runs share a rank (and it stays far below 2^63).
        let rank = |run: &Run| u64::from(run.is_active()) << 63 | run.touched.min(u64::MAX >> 1);
        // The rank of the last run to go: the runs up to it are exactly the excess. Selected,
        // not sorted, and without copying the keys: this runs once every `max / 8 + 1` new runs.
        let excess = self.runs.len() - max;
        let Some(cutoff) = kth_smallest(self.runs.values().map(rank), excess) else {
            return;
        };
        let (active, summary, last_run) = (&mut self.active, &mut self.summary, &mut self.last_run);
        let mut evicted = 0;
        self.runs.retain(|key, run| {
            if rank(run) > cutoff {
                return true;
            }
            evicted += 1;
            if run.is_active() {
                summary.evicted_active_runs += 1;
            }
            active.remove(key);
            if last_run.as_ref() == Some(key) {
                *last_run = None;
            }
            false
        });
        debug_assert_eq!(evicted, excess, "run ranks are unique");
    }
}

/// The largest forward jump of `seq` that is taken as frames gone missing. A server numbers
/// its frames one by one, so a larger jump is a bogus number: it is a `sequence-gap` flag but is
/// not adopted (the highest `seq`, and the SDK's resume point, stay where they were).
pub const MAX_SEQ_JUMP: u64 = 1_000_000;

/// The largest `seq` adopted: 2^53 − 1, the largest integer a JavaScript number holds exactly.
const MAX_SAFE_SEQ: u64 = (1 << 53) - 1;

/// `12.3 s`
fn seconds(micros: i64) -> String {
    // Integer arithmetic: float formatting would add about 15 KB to the wasm package.
    if micros % 1_000_000 == 0 {
        return format!("{} s", micros / 1_000_000);
    }
    let tenths = (micros.saturating_add(50_000)).div_euclid(100_000);
    format!("{}.{} s", tenths.div_euclid(10), tenths.rem_euclid(10))
}

fn agent(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("`{name}`"),
        None => "an unnamed agent".to_owned(),
    }
}

/// An event named in a flag's sentence, formatted only when a flag is raised.
struct Subject<'a> {
    event: &'a Event,
    frame: u64,
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_event(self.event, self.frame))
    }
}

/// `agent_started \`triage\` (frame 3)`, naming the agent or tool when there is one.
fn describe_event(event: &Event, frame: u64) -> String {
    let detail = match &event.kind {
        EventKind::ToolExecuting(tool) => tool.tool_name.as_deref(),
        EventKind::ToolCompleted(tool) => tool.tool_name.as_deref(),
        EventKind::ToolError(tool) => tool.tool_name.as_deref(),
        _ => event.context.agent_name.as_deref(),
    };
    match detail {
        Some(detail) => format!("{} `{detail}` (frame {frame})", event.name()),
        None => format!("{} (frame {frame})", event.name()),
    }
}

fn plural(count: usize, one: &str, many: &str, list: &str) -> String {
    if count == 1 { format!("1 {one}: {list}") } else { format!("{count} {many}: {list}") }
}

#[cfg(test)]
mod tests;
