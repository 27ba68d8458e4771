//! The structure of one scripted run as the checker sees it (executions opened and closed,
//! tool calls by key, thinking events, timestamps), and where each per-run fault kind is
//! detectable in it.

use agentwire::{EventKind, Timestamp, decode_value};

use super::FaultKind;
use crate::serve::script::ScriptedFrame;

/// How far back `skew_timestamp` moves an event's timestamp (5 s), in microseconds.
pub(super) const SKEW_MICROS: i64 = 5_000_000;
/// The checker's timestamp-regression tolerance (1 s) plus a safety margin, in microseconds: a
/// skewed timestamp must land at least this far before the run's latest one.
const SKEW_MIN_REGRESSION_MICROS: i64 = 1_250_000;

/// What an agent event does to the run's structure (the checker's model, docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    /// `agent_started`: opens an execution.
    Start,
    /// `agent_thinking`.
    Thinking,
    /// `tool_executing`: opens a call with this key.
    ToolStart(ToolKey),
    /// `tool_completed` or `tool_error`: closes a call with this key.
    ToolEnd(ToolKey),
    /// `agent_completed`, `agent_error` or `agent_death`: closes an execution.
    Close,
    /// Not an agent event (or not an event at all): drives no rule.
    Other,
}

/// What a tool call is keyed by: its `execution_id` when present, else its `tool_name`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ToolKey {
    /// By `execution_id`.
    Id(String),
    /// By `tool_name`.
    Name(String),
    /// Neither: matches any call.
    Unnamed,
}

impl ToolKey {
    /// The key of a call with these fields.
    fn new(tool_name: Option<&String>, execution_id: Option<&String>) -> Self {
        match (execution_id, tool_name) {
            (Some(id), _) => ToolKey::Id(id.clone()),
            (None, Some(name)) => ToolKey::Name(name.clone()),
            (None, None) => ToolKey::Unnamed,
        }
    }
}

/// What the injector knows about one scripted frame.
#[derive(Clone, Debug)]
pub(super) struct Info {
    /// Its structural role.
    role: Role,
    /// Its canonical type name (empty when it does not decode).
    pub(super) event_type: String,
    /// Its run: `run_id`, else `thread_id`.
    pub(super) run: Option<String>,
    /// Its `user_id`.
    user_id: Option<String>,
    /// Its `thread_id`.
    thread_id: Option<String>,
    /// Its timestamp, when present and valid.
    timestamp: Option<Timestamp>,
    /// Open executions of the run just before it (counting starts and closes).
    open_before: usize,
}

impl Info {
    /// Whether it is an agent event (the events that drive the checker's rules).
    fn is_agent(&self) -> bool {
        self.role != Role::Other
    }
}

/// The structure of one scripted run.
pub(super) struct Analysis {
    /// One entry per frame.
    infos: Vec<Info>,
    /// How many `agent_thinking` events the run has.
    thinking: usize,
    /// The run of the first frame that names one.
    pub(super) run: String,
}

impl Analysis {
    /// Decodes and walks the run's frames.
    pub(super) fn of(script: &[ScriptedFrame]) -> Self {
        let mut open = 0usize;
        let mut infos = Vec::with_capacity(script.len());
        for scripted in script {
            let (role, event_type, context) = match decode_value(&scripted.frame) {
                Ok(event) => {
                    let role = role_of(&event.kind);
                    (role, event.name().to_owned(), Some(event.context))
                }
                Err(_) => (Role::Other, String::new(), None),
            };
            let (run, user_id, thread_id, timestamp) = match context {
                Some(context) => (
                    context.run_id.clone().or_else(|| context.thread_id.clone()),
                    context.user_id,
                    context.thread_id,
                    context.timestamp,
                ),
                None => (None, None, None, None),
            };
            let open_before = open;
            match role {
                Role::Start => open = open.saturating_add(1),
                Role::Close => open = open.saturating_sub(1),
                _ => {}
            }
            infos.push(Info { role, event_type, run, user_id, thread_id, timestamp, open_before });
        }
        let thinking = infos.iter().filter(|info| info.role == Role::Thinking).count();
        let run = infos.iter().find_map(|info| info.run.clone()).unwrap_or_default();
        Analysis { infos, thinking, run }
    }

    /// The frame at `index`.
    pub(super) fn info(&self, index: usize) -> Option<&Info> {
        self.infos.get(index)
    }

    /// Agent events not yet affected by another fault.
    fn free_agent_events<'s>(
        &'s self,
        taken: &'s [bool],
    ) -> impl Iterator<Item = (usize, &'s Info)> + 's {
        self.infos
            .iter()
            .enumerate()
            .filter(move |(index, info)| info.is_agent() && !is_taken(taken, *index))
    }

    /// Where `kind` can be injected detectably (for `reorder`, the first of the pair).
    /// `delayed` is the frame a `delay` already holds back, with its shift in microseconds.
    pub(super) fn candidates(
        &self,
        kind: FaultKind,
        taken: &[bool],
        delayed: Option<(usize, i64)>,
    ) -> Vec<usize> {
        match kind {
            // Dropping one thinking among several is the one undetectable drop.
            FaultKind::Drop => self
                .free_agent_events(taken)
                .filter(|(_, info)| info.role != Role::Thinking || self.thinking == 1)
                .map(|(index, _)| index)
                .collect(),
            FaultKind::Duplicate | FaultKind::DuplicateAttempt => {
                self.free_agent_events(taken).map(|(index, _)| index).collect()
            }
            FaultKind::Reorder => self.reorder_candidates(taken),
            FaultKind::Delay => self.delay_candidates(taken),
            FaultKind::SkewTimestamp => self.skew_candidates(taken, delayed),
            FaultKind::CrossUser => self
                .free_agent_events(taken)
                .filter(|(_, info)| match (&info.user_id, &info.thread_id) {
                    (Some(user), thread) => !user.is_empty() && thread.as_ref() != Some(user),
                    (None, _) => false,
                })
                .map(|(index, _)| index)
                .collect(),
            FaultKind::Malformed => {
                (0..self.infos.len()).filter(|index| !is_taken(taken, *index)).collect()
            }
            FaultKind::DropConnection
            | FaultKind::FreezeConnection
            | FaultKind::RefuseConnections => Vec::new(),
        }
    }

    /// Adjacent pairs whose swap breaks a rule:
    /// * the run's first event, an `agent_started`, and the next one (not a start): that event
    ///   then comes before any start (`event-before-start`);
    /// * a `tool_executing` and its own `tool_completed` right after it, with no other call of
    ///   that key open: the completion then matches nothing (`tool-completed-without-executing`);
    /// * the event that ends the run (closes its last open execution) and the thinking or tool
    ///   event just before it: that event then comes after the end (`event-after-completion`, or
    ///   `tool-never-completed` for a tool completion).
    fn reorder_candidates(&self, taken: &[bool]) -> Vec<usize> {
        let first_agent = self.infos.iter().position(Info::is_agent);
        let mut open_calls: Vec<&ToolKey> = Vec::new();
        let mut candidates = Vec::new();
        for (index, pair) in self.infos.windows(2).enumerate() {
            let (Some(first), Some(second)) = (pair.first(), pair.get(1)) else { continue };
            let free = !is_taken(taken, index) && !is_taken(taken, index + 1);
            let detectable = match (&first.role, &second.role) {
                (Role::Start, role) => {
                    first_agent == Some(index) && !matches!(role, Role::Start | Role::Other)
                }
                (Role::ToolStart(key), Role::ToolEnd(end)) => {
                    key == end && *key != ToolKey::Unnamed && !open_calls.contains(&key)
                }
                (Role::Thinking | Role::ToolStart(_) | Role::ToolEnd(_), Role::Close) => {
                    second.open_before == 1
                }
                _ => false,
            };
            if free && detectable {
                candidates.push(index);
            }
            match &first.role {
                Role::ToolStart(key) => open_calls.push(key),
                Role::ToolEnd(key) => close_call(&mut open_calls, key),
                _ => {}
            }
        }
        candidates
    }

    /// Agent events with a timestamp, after an earlier timestamped agent event, while the run is
    /// active: the gap before them then exceeds `stall_after` (`run-stalled`).
    fn delay_candidates(&self, taken: &[bool]) -> Vec<usize> {
        let mut seen_timestamp = false;
        let mut candidates = Vec::new();
        for (index, info) in self.infos.iter().enumerate() {
            if info.is_agent() && info.timestamp.is_some() {
                if seen_timestamp && info.open_before > 0 && !is_taken(taken, index) {
                    candidates.push(index);
                }
                seen_timestamp = true;
            }
        }
        candidates
    }

    /// Agent events whose timestamp, moved 5 s back, lands more than 1.25 s before the latest
    /// timestamp of the run so far (after a `delay`'s shift): `timestamp-regression`.
    fn skew_candidates(&self, taken: &[bool], delayed: Option<(usize, i64)>) -> Vec<usize> {
        let effective = |index: usize, at: Timestamp| match delayed {
            Some((from, shift)) if index >= from => at.add_micros(shift),
            _ => at,
        };
        let mut latest: Option<Timestamp> = None;
        let mut candidates = Vec::new();
        for (index, info) in self.infos.iter().enumerate() {
            let Some(at) = info.timestamp.filter(|_| info.is_agent()) else { continue };
            let at = effective(index, at);
            if let Some(latest) = latest {
                let regression = latest.micros_since(at.add_micros(-SKEW_MICROS));
                if regression >= SKEW_MIN_REGRESSION_MICROS && !is_taken(taken, index) {
                    candidates.push(index);
                }
            }
            latest = Some(latest.map_or(at, |latest| latest.max(at)));
        }
        candidates
    }
}

/// Closes the first open call matching `key` (first in, first out), as the checker does.
fn close_call(open_calls: &mut Vec<&ToolKey>, key: &ToolKey) {
    let position = match key {
        ToolKey::Unnamed => (!open_calls.is_empty()).then_some(0),
        key => open_calls.iter().position(|open| *open == key),
    };
    if let Some(position) = position {
        open_calls.remove(position);
    }
}

/// Whether frame `index` is already affected by a fault.
fn is_taken(taken: &[bool], index: usize) -> bool {
    taken.get(index).copied().unwrap_or(true)
}

/// The structural role of a decoded event.
fn role_of(kind: &EventKind) -> Role {
    match kind {
        EventKind::AgentStarted(_) => Role::Start,
        EventKind::AgentThinking(_) => Role::Thinking,
        EventKind::ToolExecuting(tool) => {
            Role::ToolStart(ToolKey::new(tool.tool_name.as_ref(), tool.execution_id.as_ref()))
        }
        EventKind::ToolCompleted(tool) => {
            Role::ToolEnd(ToolKey::new(tool.tool_name.as_ref(), tool.execution_id.as_ref()))
        }
        EventKind::ToolError(tool) => {
            Role::ToolEnd(ToolKey::new(tool.tool_name.as_ref(), tool.execution_id.as_ref()))
        }
        EventKind::AgentCompleted(_) | EventKind::AgentError(_) | EventKind::AgentDeath(_) => {
            Role::Close
        }
        _ => Role::Other,
    }
}
