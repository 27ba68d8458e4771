//! What the checker did with one decoded frame: the run it judged it in, and what it changed
//! there. A view of runs (the inspector's timelines, a test) draws from this instead of matching
//! runs, executions and tool calls a second time.

use std::sync::Arc;

/// What the checker did with one decoded frame ([`Checker::handle_event`](super::Checker::handle_event)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The run, as flags name it ([`Flag::run_id`](super::Flag::run_id)): the run id, else the
    /// thread id, an id longer than 256 bytes kept as the checker keeps it (a prefix and a hash).
    /// For an agent event, the run it was judged in, `None` being the connection's anonymous run
    /// (docs/rules.md, "Run"). For a run-related frame (progress, partial results, ...), the run
    /// it names, if any. `None` for any other frame.
    pub run: Option<Arc<str>>,
    /// What the checker did with it.
    pub outcome: Outcome,
}

impl Verdict {
    /// Whether the frame is an agent event applied to its run.
    #[must_use]
    pub fn is_applied(&self) -> bool {
        matches!(self.outcome, Outcome::Applied(_))
    }

    /// The frame this one repeats, when it was flagged `duplicate-event` and not applied.
    #[must_use]
    pub fn duplicate_of(&self) -> Option<u64> {
        match self.outcome {
            Outcome::Duplicate { original } => Some(original),
            _ => None,
        }
    }
}

/// What the checker did with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Not an agent event: the connection's rules judged it, and it changed no run.
    NotAgentEvent,
    /// An agent event applied to [`Verdict::run`].
    Applied(Applied),
    /// An agent event equal to frame `original`: flagged `duplicate-event`, not applied.
    Duplicate {
        /// The frame it repeats (0-based, as flags name frames).
        original: u64,
    },
}

/// What an agent event changed in its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The frame of the `agent_started` or `tool_executing` whose execution or tool call this
    /// event closed (docs/rules.md, "Execution" and "Tool call"). An `agent_started` opens an
    /// execution and a `tool_executing` a call at their own frame; neither closes anything.
    pub closed: Option<u64>,
    /// Whether the run has an open execution after the event (it is *active*).
    pub run_active: bool,
}
