//! The state of one run: its open executions and open tool calls.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::timestamp::Timestamp;

/// How a run is identified: by `run_id`, else by `thread_id`, else the connection's anonymous run.
/// Ids are shared (`Arc<str>`), so keys are cheap to clone on every event.
#[derive(Clone, Debug, Eq)]
pub(crate) enum RunKey {
    Run(Arc<str>),
    Thread(Arc<str>),
    Anonymous,
}

impl RunKey {
    /// The id shown in flags and verdicts: the run id or thread id; `None` for the anonymous run.
    pub(crate) fn id(&self) -> Option<Arc<str>> {
        match self {
            RunKey::Run(id) | RunKey::Thread(id) => Some(Arc::clone(id)),
            RunKey::Anonymous => None,
        }
    }

    /// [`RunKey::id`] as a flag's `run_id`.
    pub(crate) fn label(&self) -> Option<String> {
        self.id().as_deref().map(str::to_owned)
    }
}

// By `bytes::equal`: a derived `==` on the ids calls `memcmp`, a byte loop in wasm, on every
// lookup of the run maps. Equal keys hash alike: the same variant and the same id.
impl PartialEq for RunKey {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RunKey::Run(a), RunKey::Run(b)) | (RunKey::Thread(a), RunKey::Thread(b)) => {
                crate::bytes::equal_str(a, b)
            }
            (RunKey::Anonymous, RunKey::Anonymous) => true,
            _ => false,
        }
    }
}

impl Hash for RunKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            RunKey::Run(id) => {
                state.write_u8(0);
                id.hash(state);
            }
            RunKey::Thread(id) => {
                state.write_u8(1);
                id.hash(state);
            }
            RunKey::Anonymous => state.write_u8(2),
        }
    }
}

impl fmt::Display for RunKey {
    /// `run \`r1\``, or `the connection's anonymous run`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunKey::Run(id) | RunKey::Thread(id) => write!(f, "run `{id}`"),
            RunKey::Anonymous => f.write_str("the connection's anonymous run"),
        }
    }
}

/// An open agent execution (an `agent_started` not yet closed).
#[derive(Clone, Debug)]
pub(crate) struct Execution {
    pub(crate) agent_name: Option<String>,
    pub(crate) frame: u64,
}

/// The most open tool calls and executions tracked per run: beyond them the oldest is dropped
/// (a tool call with a `tool-never-completed` flag, an execution counted in the summary), so one
/// endless run cannot exhaust memory.
pub(crate) const MAX_OPEN_TOOLS: usize = 1024;
/// See [`MAX_OPEN_TOOLS`].
pub(crate) const MAX_OPEN_EXECUTIONS: usize = 256;
/// Ids and names longer than this are kept as a prefix plus a hash of the whole.
const MAX_ID_BYTES: usize = 256;

/// `text` itself when short; otherwise its first 200 bytes (at a character boundary), `…#` and a
/// hash of the whole, so long ids stay distinct without being stored in full.
pub(crate) fn bounded(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_ID_BYTES {
        return Cow::Borrowed(text);
    }
    let mut cut = 200;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let prefix = text.get(..cut).unwrap_or_default();
    Cow::Owned(format!("{prefix}…#{:016x}", crate::fingerprint::string_hash(text)))
}

/// What a tool call is keyed by: its `execution_id` when non-null, else its `tool_name`.
/// Borrowed: a completion is matched against the open calls without copying its ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ToolKey<'a> {
    Id(&'a str),
    Name(&'a str),
    Unnamed,
}

impl<'a> ToolKey<'a> {
    /// The key of a call with these (already [`bounded`]) fields.
    pub(crate) fn new(tool_name: Option<&'a str>, execution_id: Option<&'a str>) -> Self {
        match (execution_id, tool_name) {
            (Some(id), _) => ToolKey::Id(id),
            (None, Some(name)) => ToolKey::Name(name),
            (None, None) => ToolKey::Unnamed,
        }
    }
}

/// An open tool call (a `tool_executing` not yet closed), its ids [`bounded`].
#[derive(Clone, Debug)]
pub(crate) struct ToolCall {
    pub(crate) tool_name: Option<String>,
    pub(crate) execution_id: Option<String>,
    pub(crate) frame: u64,
}

impl ToolCall {
    /// The call of a `tool_executing` with these fields, opened at `frame`.
    pub(crate) fn new(tool_name: Option<&str>, execution_id: Option<&str>, frame: u64) -> Self {
        let owned = |text: &str| bounded(text).into_owned();
        ToolCall { tool_name: tool_name.map(owned), execution_id: execution_id.map(owned), frame }
    }

    /// What completions match this call by.
    pub(crate) fn key(&self) -> ToolKey<'_> {
        ToolKey::new(self.tool_name.as_deref(), self.execution_id.as_deref())
    }

    /// `tool_executing \`cost_analyzer\` (frame 5)`
    pub(crate) fn describe(&self) -> String {
        match &self.tool_name {
            Some(name) => format!("tool_executing `{name}` (frame {})", self.frame),
            None => format!("tool_executing (frame {})", self.frame),
        }
    }
}

/// One run's state.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// Open executions, in the order opened.
    pub(crate) executions: Vec<Execution>,
    /// Open tool calls, in the order opened.
    pub(crate) tools: VecDeque<ToolCall>,
    /// Whether the run has ever had an `agent_started`.
    pub(crate) started: bool,
    pub(crate) first_start_frame: Option<u64>,
    /// Whether an `agent_thinking` arrived since the first `agent_started`.
    pub(crate) thinking_seen: bool,
    pub(crate) missing_thinking_flagged: bool,
    /// The frame at which the last execution closed, while the run is inactive.
    pub(crate) closed_at: Option<u64>,
    /// The time of the last event (arrival live, event timestamp offline).
    pub(crate) last_event_at: Option<Timestamp>,
    pub(crate) last_event_frame: u64,
    /// Whether the current silence was already flagged `run-stalled`.
    pub(crate) stalled: bool,
    /// The latest event timestamp in the run, and its frame.
    pub(crate) latest_timestamp: Option<(Timestamp, u64)>,
    pub(crate) first_frame: u64,
    /// Last-use order, for eviction.
    pub(crate) touched: u64,
}

impl Run {
    pub(crate) fn new(frame: u64) -> Self {
        Run {
            executions: Vec::new(),
            tools: VecDeque::new(),
            started: false,
            first_start_frame: None,
            thinking_seen: false,
            missing_thinking_flagged: false,
            closed_at: None,
            last_event_at: None,
            last_event_frame: frame,
            stalled: false,
            latest_timestamp: None,
            first_frame: frame,
            touched: 0,
        }
    }

    /// A run is active while at least one execution is open.
    pub(crate) fn is_active(&self) -> bool {
        !self.executions.is_empty()
    }

    /// Closes the open execution with this agent name, or else the most recently opened one.
    pub(crate) fn close_execution(&mut self, agent_name: Option<&str>) -> Option<Execution> {
        let agent_name = agent_name.map(bounded);
        let index = agent_name
            .and_then(|name| {
                self.executions
                    .iter()
                    .rposition(|execution| execution.agent_name.as_deref() == Some(&*name))
            })
            .or_else(|| self.executions.len().checked_sub(1))?;
        Some(self.executions.remove(index))
    }

    /// Closes the oldest open call with the same key (first in, first out): the same
    /// `execution_id` when the completion has one, else the same `tool_name`; a completion with
    /// neither closes the oldest open call.
    pub(crate) fn close_tool(&mut self, key: ToolKey<'_>) -> Option<ToolCall> {
        let index = match key {
            ToolKey::Unnamed => (!self.tools.is_empty()).then_some(0),
            key => self.tools.iter().position(|tool| tool.key() == key),
        }?;
        self.tools.remove(index)
    }
}
