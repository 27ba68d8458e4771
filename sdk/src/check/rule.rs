//! Rule ids, severities and flags: the checker's public vocabulary (docs/rules.md).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// How bad a flag is.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// The stream is suspicious, but the answer may be fine.
    Warning,
    /// The user saw, or will see, a wrong or missing answer.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule judges: one run, or the connection as a whole (docs/rules.md, the table's
/// "scope"). A flag sits on the run its [`Flag::run_id`] names; a run-scoped flag that names no
/// run belongs to the connection's anonymous run, a connection-scoped one to the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// A run's events, executions and tool calls.
    Run,
    /// The connection's frames, whatever their run: decoding, numbering, the user.
    Connection,
}

impl Scope {
    /// `run` or `connection`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Run => "run",
            Scope::Connection => "connection",
        }
    }
}

/// A checker rule. Its [`Rule::id`] is a stable public name, like a lint name.
// Serialised as its id: `RuleId`, the union of every id, is declared in js/types.rs.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "RuleId"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `malformed-frame`: the text is not a JSON object, or has no string `type`.
    MalformedFrame,
    /// `unknown-type`: a `type` outside the known vocabulary, even after aliases.
    UnknownType,
    /// `missing-field`: a critical event lacks a field the manager's own validator requires.
    MissingField,
    /// `event-before-start`: an agent event for a run that has never had an `agent_started`.
    EventBeforeStart,
    /// `event-after-completion`: an agent event for a run that had executions but has none open.
    EventAfterCompletion,
    /// `tool-completed-without-executing`: a tool_completed or tool_error with no open call.
    ToolCompletedWithoutExecuting,
    /// `tool-never-completed`: a run stopped being active while a tool call was still open.
    ToolNeverCompleted,
    /// `run-incomplete`: at the end of the frames, a run still has an open execution.
    RunIncomplete,
    /// `run-stalled`: an active run had no event for `stall_after`.
    RunStalled,
    /// `slow-gap`: two consecutive events of an active run more than 15 s apart.
    SlowGap,
    /// `missing-thinking`: a run stopped being active without any agent_thinking.
    MissingThinking,
    /// `duplicate-event`: an agent event equal to a recent one (ignoring `attempt`, `recovered`,
    /// `seq`); it is not applied twice.
    DuplicateEvent,
    /// `timestamp-regression`: an event stamped more than 1 s before the latest of its run.
    TimestampRegression,
    /// `cross-user-event`: an event for another user reached this connection.
    CrossUserEvent,
    /// `sequence-gap`: sequence numbers were skipped.
    SequenceGap,
    /// `sequence-regression`: a sequence number not above one already seen, on a non-duplicate.
    SequenceRegression,
}

impl Rule {
    /// Every rule, in the order of docs/rules.md.
    pub const ALL: [Rule; 16] = [
        Rule::MalformedFrame,
        Rule::UnknownType,
        Rule::MissingField,
        Rule::EventBeforeStart,
        Rule::EventAfterCompletion,
        Rule::ToolCompletedWithoutExecuting,
        Rule::ToolNeverCompleted,
        Rule::RunIncomplete,
        Rule::RunStalled,
        Rule::SlowGap,
        Rule::MissingThinking,
        Rule::DuplicateEvent,
        Rule::TimestampRegression,
        Rule::CrossUserEvent,
        Rule::SequenceGap,
        Rule::SequenceRegression,
    ];

    /// The stable public id, e.g. `tool-never-completed`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Rule::MalformedFrame => "malformed-frame",
            Rule::UnknownType => "unknown-type",
            Rule::MissingField => "missing-field",
            Rule::EventBeforeStart => "event-before-start",
            Rule::EventAfterCompletion => "event-after-completion",
            Rule::ToolCompletedWithoutExecuting => "tool-completed-without-executing",
            Rule::ToolNeverCompleted => "tool-never-completed",
            Rule::RunIncomplete => "run-incomplete",
            Rule::RunStalled => "run-stalled",
            Rule::SlowGap => "slow-gap",
            Rule::MissingThinking => "missing-thinking",
            Rule::DuplicateEvent => "duplicate-event",
            Rule::TimestampRegression => "timestamp-regression",
            Rule::CrossUserEvent => "cross-user-event",
            Rule::SequenceGap => "sequence-gap",
            Rule::SequenceRegression => "sequence-regression",
        }
    }

    /// The rule's severity.
    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Rule::UnknownType | Rule::SlowGap => Severity::Info,
            Rule::MissingField
            | Rule::EventAfterCompletion
            | Rule::RunStalled
            | Rule::MissingThinking
            | Rule::DuplicateEvent
            | Rule::TimestampRegression
            | Rule::SequenceRegression => Severity::Warning,
            Rule::MalformedFrame
            | Rule::EventBeforeStart
            | Rule::ToolCompletedWithoutExecuting
            | Rule::ToolNeverCompleted
            | Rule::RunIncomplete
            | Rule::CrossUserEvent
            | Rule::SequenceGap => Severity::Error,
        }
    }

    /// What the rule judges. `cross-user-event` is about the connection (another user's frame
    /// reached it), though its flag names the run of an agent or run-related frame.
    #[must_use]
    pub fn scope(self) -> Scope {
        match self {
            Rule::MalformedFrame
            | Rule::UnknownType
            | Rule::CrossUserEvent
            | Rule::SequenceGap
            | Rule::SequenceRegression => Scope::Connection,
            Rule::MissingField
            | Rule::EventBeforeStart
            | Rule::EventAfterCompletion
            | Rule::ToolCompletedWithoutExecuting
            | Rule::ToolNeverCompleted
            | Rule::RunIncomplete
            | Rule::RunStalled
            | Rule::SlowGap
            | Rule::MissingThinking
            | Rule::DuplicateEvent
            | Rule::TimestampRegression => Scope::Run,
        }
    }

    /// When the rule fires, in a sentence or two: the opening of its section in docs/rules.md,
    /// and what `agentwire rules` and the inspector's rules dialog show (tests hold the page
    /// to it).
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Rule::MalformedFrame => {
                "The text is not JSON, not a JSON object, has no `type`, has a `type` that is not a string, is not UTF-8, or nests JSON deeper than 512 levels. The checker goes on with the next frame."
            }
            Rule::UnknownType => {
                "A `type` outside the manager's vocabulary, even after aliases. The event is kept as an opaque event with all its JSON; nothing else judges it."
            }
            Rule::MissingField => {
                "A critical event lacks a field the manager's own validator requires, looked up in every body location and under every synonym; one flag per missing requirement."
            }
            Rule::EventBeforeStart => {
                "An agent event other than `agent_started` (thinking, a tool event, `agent_completed`, `agent_error`, `agent_death`, `agent_timeout_failure`) for a run that has never had an `agent_started`."
            }
            Rule::EventAfterCompletion => {
                "An agent event for a run that had executions but has none open now: it arrived after the run finished. A new `agent_started` is always allowed (runs may restart)."
            }
            Rule::ToolCompletedWithoutExecuting => {
                "A `tool_completed` (or `tool_error`) with no open call to match in its active run."
            }
            Rule::ToolNeverCompleted => {
                "A run stopped being active (its last execution closed) while a tool call was still open; one flag per open call, and the call is closed by the flag."
            }
            Rule::RunIncomplete => {
                "Offline, at the end of the frames: a run still has an open execution. One flag per run; its open tool calls are named in it, not flagged separately."
            }
            Rule::RunStalled => {
                "An active run had no event for `stall_after` (default 30 s, the manager's own deadline; `--stall-after` in the CLI)."
            }
            Rule::SlowGap => {
                "Two consecutive events of an active run are more than 15 s apart (the manager's SLA) but less than `stall_after`."
            }
            Rule::MissingThinking => {
                "A run stopped being active without any `agent_thinking` since its first `agent_started`; at most once per run."
            }
            Rule::DuplicateEvent => {
                "An agent event equal, as JSON, to one of the last 256 agent events of the connection, after removing the keys `attempt`, `recovered` and `seq`. It is reported and not applied again."
            }
            Rule::TimestampRegression => {
                "An agent event stamped more than 1 s earlier than the latest timestamp already seen in its run."
            }
            Rule::CrossUserEvent => {
                "The connection's user is known and a frame's `user_id` is another user's: a user-isolation breach."
            }
            Rule::SequenceGap => {
                "Frames carry `seq` (agentwire's optional extension) and one or more numbers were skipped; one flag per jump, naming the missing range."
            }
            Rule::SequenceRegression => {
                "A `seq` lower than or equal to one already seen, on a frame that is not a duplicate: a reordered frame, or a replay whose content changed."
            }
        }
    }

    /// The rule in one line: the tables of docs/rules.md and the README (tests hold them to
    /// it).
    #[must_use]
    pub fn summary(self) -> &'static str {
        match self {
            Rule::MalformedFrame => "the text is not a JSON object with a string `type`",
            Rule::UnknownType => "a `type` outside the manager's vocabulary, even after aliases",
            Rule::MissingField => {
                "a critical event lacks a field the manager's own validator requires"
            }
            Rule::EventBeforeStart => "an agent event for a run that never had an `agent_started`",
            Rule::EventAfterCompletion => "an agent event after the run's last execution closed",
            Rule::ToolCompletedWithoutExecuting => "a tool result with no open tool call to match",
            Rule::ToolNeverCompleted => "a run finished while one of its tool calls was still open",
            Rule::RunIncomplete => "at the end of the frames, a run still has an open execution",
            Rule::RunStalled => "an active run was silent for `stall_after` (default 30 s)",
            Rule::SlowGap => "two events of an active run more than 15 s apart",
            Rule::MissingThinking => "a run finished without any `agent_thinking`",
            Rule::DuplicateEvent => {
                "an agent event equal to a recent one (ignoring `attempt`, `recovered`, `seq`); not applied twice"
            }
            Rule::TimestampRegression => "an event stamped over 1 s before the latest of its run",
            Rule::CrossUserEvent => "a frame naming another user reached this connection",
            Rule::SequenceGap => "sequence numbers were skipped (optional `seq` extension)",
            Rule::SequenceRegression => "a sequence number not above one already seen",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How many flags each rule raised: one counter per rule (a fixed array, not a map: the
/// counters are bumped on every flag, and a map type would add its own code to the wasm
/// package). Serialised as an object keyed by rule id, holding only the rules that fired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCounts([u64; Rule::ALL.len()]);

impl RuleCounts {
    /// How many flags `rule` raised.
    #[must_use]
    pub fn get(&self, rule: Rule) -> u64 {
        self.0.get(rule as usize).copied().unwrap_or_default()
    }

    /// Counts one more flag of `rule`.
    pub fn add(&mut self, rule: Rule) {
        if let Some(count) = self.0.get_mut(rule as usize) {
            *count += 1;
        }
    }

    /// The rules that fired, with their counts, in the order of docs/rules.md.
    pub fn iter(&self) -> impl Iterator<Item = (Rule, u64)> + '_ {
        Rule::ALL.into_iter().map(|rule| (rule, self.get(rule))).filter(|(_, count)| *count > 0)
    }

    /// Flags raised in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Whether no rule fired.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

impl Serialize for RuleCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (rule, count) in self.iter() {
            map.serialize_entry(rule.id(), &count)?;
        }
        map.end()
    }
}

/// The error for a string that is no rule id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rule id")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Rule::ALL.into_iter().find(|rule| rule.id() == text).ok_or_else(|| UnknownRule(text.into()))
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// One departure from a healthy stream.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Which rule fired.
    pub rule: Rule,
    /// The rule's severity.
    pub severity: Severity,
    /// The index of the frame that triggered the flag (from 0, or from
    /// [`CheckerConfig::first_frame`](super::CheckerConfig::first_frame)); `None` for flags raised by a
    /// timer (live stalls) or at the end of the frames.
    pub frame: Option<u64>,
    /// Other frames the flag concerns (the original of a duplicate, the open tool call, ...).
    pub related_frames: Vec<u64>,
    /// The run the flag belongs to: its `run_id`, else its `thread_id`; `None` for frames outside
    /// any run and for the connection's anonymous run.
    pub run_id: Option<String>,
    /// A sentence saying what happened and which frames it concerns.
    pub message: String,
}

impl Flag {
    /// Where the flag sits: the run it names; else, by its rule's [`Scope`], the connection's
    /// anonymous run or the connection (docs/rules.md, "Scopes").
    #[must_use]
    pub fn place(&self) -> Place<'_> {
        match (&self.run_id, self.rule.scope()) {
            (Some(id), _) => Place::Run(id),
            (None, Scope::Run) => Place::AnonymousRun,
            (None, Scope::Connection) => Place::Connection,
        }
    }
}

/// Where a flag sits ([`Flag::place`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place<'a> {
    /// The run with this id (a run id, else a thread id).
    Run(&'a str),
    /// The connection's anonymous run (agent events without ids before any run).
    AnonymousRun,
    /// The connection as a whole.
    Connection,
}
