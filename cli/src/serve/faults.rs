//! Fault injection for the simulated manager: the pure, per-run part (sans-IO).
//!
//! [`apply_to_run`] takes one scripted run ([`script::script_run`](super::script::script_run))
//! and returns what the server sends for it ([`Outgoing`], in order) together with the ground
//! truth of what was injected ([`InjectedFault`], for the `--truth` file). Randomness is an
//! argument: the same generator state gives the same faults.
//!
//! Every injected fault is *detectable* by the checker (docs/rules.md, "What can and cannot be
//! detected"): the affected event is chosen only among the events where the fault breaks a rule,
//! judged from the protocol's structure (never by running the checker, so measuring the checker's
//! recall on these faults is not circular):
//!
//! | kind | what is sent | chosen among | the checker says |
//! |---|---|---|---|
//! | `drop` | the event is not sent (its delay is added to the next frame's) | every agent event but an `agent_thinking` when the run has several | whatever the gap breaks: `event-before-start`, `event-after-completion`, `tool-completed-without-executing`, `tool-never-completed`, `run-incomplete` or `missing-thinking` |
//! | `duplicate` | the event twice, identical, the copy right after it | agent events | `duplicate-event` |
//! | `duplicate_attempt` | the event, then a copy with `"attempt": 2` | agent events | `duplicate-event` |
//! | `reorder` | two adjacent events swapped | the run's first `agent_started` and the next event; a `tool_executing` and its own `tool_completed`; the event that ends the run and the thinking or tool event before it | `event-before-start`, `tool-completed-without-executing` (then `tool-never-completed`), or `event-after-completion` / `tool-never-completed` |
//! | `delay` | the event and every later one held back by `stall_after + 2 s` (delay and timestamps) | agent events after the first, while the run is active | `run-stalled` |
//! | `skew_timestamp` | the event's timestamp moved 5 s back, nothing else | agent events whose moved timestamp lands more than 1.25 s before the run's latest so far | `timestamp-regression` |
//! | `cross_user` | unchanged; the event is marked for the server to also deliver to another user | agent events with a `user_id` (not equal to their `thread_id`) | `cross-user-event` on the other user's connection |
//! | `malformed` | the first half of the event's JSON text, in its place | every frame | `malformed-frame` (plus what the missing event causes) |
//!
//! Each per-run kind affects at most one event of a run (one pair for `reorder`), and different
//! kinds drawn for the same run affect different events. Detectability is guaranteed for each
//! fault alone; when several kinds hit one run, one fault can occasionally mask another (a dropped
//! first `agent_started` makes a later stall unjudgeable, for instance).
//!
//! The connection-level kinds are part of [`FaultKind`] and [`FaultRates`] but are applied by the
//! server itself; [`apply_to_run`] never produces them:
//!
//! | kind | what happens | when |
//! |---|---|---|
//! | `drop_connection` | one of the user's connections ends abruptly: no close frame (the client sees 1006) | per run delivered, after the run's middle frame |
//! | `freeze_connection` | one of the user's connections goes silent but stays open (half-open, as after a pulled cable or a hung proxy): the server sends nothing more on it (no frames, heartbeats, replies, pongs or close frame) and ignores what it receives, until the client closes it; the user's later frames are still numbered and kept (`--seq`), so a client that notices, reconnects and sends `resume` gets every frame it missed | per run delivered, after the run's middle frame (not when the run drew `drop_connection` too) |
//! | `refuse_connections` | new connections get HTTP 503 with `Retry-After` before the upgrade for a few seconds | per connection attempt |

use std::fmt;
use std::str::FromStr;

use agentwire::{EventKind, Timestamp, decode_value};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::script::ScriptedFrame;

/// How far back `skew_timestamp` moves an event's timestamp (5 s), in microseconds.
const SKEW_MICROS: i64 = 5_000_000;
/// The checker's timestamp-regression tolerance (1 s) plus a safety margin, in microseconds: a
/// skewed timestamp must land at least this far before the run's latest one.
const SKEW_MIN_REGRESSION_MICROS: i64 = 1_250_000;
/// How much longer than `stall_after` a `delay` holds an event back, in milliseconds.
const DELAY_BEYOND_STALL_MS: u64 = 2_000;
/// The `attempt` a `duplicate_attempt` copy carries.
const RETRY_ATTEMPT: u64 = 2;
/// Epoch numbers above this are milliseconds (docs/protocol.md §2).
const EPOCH_MILLIS_THRESHOLD: f64 = 1e12;

/// The order [`apply_to_run`] draws the per-run kinds in: the most constrained first (a reorder
/// needs a particular adjacent pair, a delay an active run, a skew a recent timestamp), and the
/// skew after the delay, whose shift it takes into account.
const DRAW_ORDER: [FaultKind; 8] = [
    FaultKind::Reorder,
    FaultKind::Delay,
    FaultKind::SkewTimestamp,
    FaultKind::Drop,
    FaultKind::CrossUser,
    FaultKind::Duplicate,
    FaultKind::DuplicateAttempt,
    FaultKind::Malformed,
];

/// One kind of fault the simulated manager can inject.
///
/// Names are snake_case on the wire (truth file) and on the command line; the command line also
/// accepts the kebab-case spelling (`duplicate-attempt`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    /// An event is never sent.
    Drop,
    /// An event is sent twice, identical.
    Duplicate,
    /// An event is resent with `"attempt": 2` (a manager retry).
    #[value(alias = "duplicate-attempt")]
    DuplicateAttempt,
    /// Two adjacent events are swapped.
    Reorder,
    /// One event is held back past the stall deadline: its delay and the timestamps of it and
    /// every later frame of the run move by `stall_after + 2 s`.
    Delay,
    /// One event's timestamp is moved 5 s backwards; nothing else changes.
    #[value(alias = "skew-timestamp")]
    SkewTimestamp,
    /// A copy of one event is also delivered to another user (a user-isolation breach).
    #[value(alias = "cross-user")]
    CrossUser,
    /// A malformed frame (the event's JSON text cut in half) is sent in the event's place.
    Malformed,
    /// A connection is dropped abruptly (applied by the server).
    #[value(alias = "drop-connection")]
    DropConnection,
    /// A connection goes silent but stays open, half-open (applied by the server): nothing more
    /// is sent on it and what it receives is ignored.
    #[value(alias = "freeze-connection")]
    FreezeConnection,
    /// New connections are refused with 503 before the upgrade for a while (applied by the
    /// server).
    #[value(alias = "refuse-connections")]
    RefuseConnections,
}

impl FaultKind {
    /// Every kind, per-run ones first.
    pub(crate) const ALL: [FaultKind; 11] = [
        FaultKind::Drop,
        FaultKind::Duplicate,
        FaultKind::DuplicateAttempt,
        FaultKind::Reorder,
        FaultKind::Delay,
        FaultKind::SkewTimestamp,
        FaultKind::CrossUser,
        FaultKind::Malformed,
        FaultKind::DropConnection,
        FaultKind::FreezeConnection,
        FaultKind::RefuseConnections,
    ];

    /// The kinds [`apply_to_run`] injects.
    #[cfg(test)]
    pub(crate) const PER_RUN: [FaultKind; 8] = [
        FaultKind::Drop,
        FaultKind::Duplicate,
        FaultKind::DuplicateAttempt,
        FaultKind::Reorder,
        FaultKind::Delay,
        FaultKind::SkewTimestamp,
        FaultKind::CrossUser,
        FaultKind::Malformed,
    ];

    /// The snake_case name (as in the truth file and on the command line).
    pub(crate) fn name(self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Duplicate => "duplicate",
            FaultKind::DuplicateAttempt => "duplicate_attempt",
            FaultKind::Reorder => "reorder",
            FaultKind::Delay => "delay",
            FaultKind::SkewTimestamp => "skew_timestamp",
            FaultKind::CrossUser => "cross_user",
            FaultKind::Malformed => "malformed",
            FaultKind::DropConnection => "drop_connection",
            FaultKind::FreezeConnection => "freeze_connection",
            FaultKind::RefuseConnections => "refuse_connections",
        }
    }

    /// Whether [`apply_to_run`] injects this kind (the others are the server's).
    #[cfg(test)]
    pub(crate) fn is_per_run(self) -> bool {
        !matches!(
            self,
            FaultKind::DropConnection | FaultKind::FreezeConnection | FaultKind::RefuseConnections
        )
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = FaultConfigError;

    /// A kind by name: snake_case or kebab-case, any letter case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        <FaultKind as clap::ValueEnum>::from_str(text, true)
            .map_err(|_| FaultConfigError::UnknownKind(text.to_owned()))
    }
}

/// A bad `--fault`/`--faults` value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum FaultConfigError {
    /// The text has no `=`.
    #[error("`{0}` is not KIND=RATE (for example drop=0.05)")]
    MissingRate(String),
    /// The kind is not one of [`FaultKind::ALL`].
    #[error(
        "unknown fault kind `{0}` (expected drop, duplicate, duplicate_attempt, reorder, delay, skew_timestamp, cross_user, malformed, drop_connection, freeze_connection or refuse_connections)"
    )]
    UnknownKind(String),
    /// The rate is not a number.
    #[error("fault rate `{0}` is not a number")]
    InvalidRate(String),
    /// The rate is not a probability.
    #[error("fault rate {0} is outside 0 to 1")]
    OutOfRange(f64),
    /// The preset does not exist.
    #[error("unknown fault preset `{0}` (expected none, mild or chaos)")]
    UnknownPreset(String),
}

/// One `--fault KIND=RATE` override.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FaultSetting {
    /// The fault.
    pub(crate) kind: FaultKind,
    /// Its rate, in 0..=1 (units: see [`FaultRates`]).
    pub(crate) rate: f64,
}

impl FromStr for FaultSetting {
    type Err = FaultConfigError;

    /// `KIND=RATE`, for example `drop=0.05` or `duplicate-attempt=1`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((kind, rate)) = text.split_once('=') else {
            return Err(FaultConfigError::MissingRate(text.to_owned()));
        };
        let kind = kind.parse::<FaultKind>()?;
        let rate_text = rate.trim();
        let rate = rate_text
            .parse::<f64>()
            .map_err(|_| FaultConfigError::InvalidRate(rate_text.to_owned()))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultConfigError::OutOfRange(rate));
        }
        Ok(FaultSetting { kind, rate })
    }
}

/// How often each fault happens. All zero (the default) injects nothing.
///
/// Units:
/// * per-run kinds (`drop` to `malformed`): the probability that a given run gets that fault.
///   A run that gets it has exactly one event affected (one adjacent pair for `reorder`); kinds
///   are drawn independently, so a run may get several kinds at once.
/// * `drop_connection`: per run the server delivers, the probability that it drops one of that
///   user's connections abruptly (no close frame) while the run is being delivered.
/// * `freeze_connection`: per run the server delivers, the probability that it freezes one of
///   that user's connections while the run is being delivered: the connection stays open but the
///   server never sends on it again and ignores what it receives. A run that also draws
///   `drop_connection` only drops.
/// * `refuse_connections`: per connection attempt, the probability that the server starts
///   refusing new connections (HTTP 503 before the upgrade) for a while, from that attempt on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub(crate) struct FaultRates {
    /// [`FaultKind::Drop`], per run.
    pub(crate) drop: f64,
    /// [`FaultKind::Duplicate`], per run.
    pub(crate) duplicate: f64,
    /// [`FaultKind::DuplicateAttempt`], per run.
    pub(crate) duplicate_attempt: f64,
    /// [`FaultKind::Reorder`], per run.
    pub(crate) reorder: f64,
    /// [`FaultKind::Delay`], per run.
    pub(crate) delay: f64,
    /// [`FaultKind::SkewTimestamp`], per run.
    pub(crate) skew_timestamp: f64,
    /// [`FaultKind::CrossUser`], per run.
    pub(crate) cross_user: f64,
    /// [`FaultKind::Malformed`], per run.
    pub(crate) malformed: f64,
    /// [`FaultKind::DropConnection`], per run delivered.
    pub(crate) drop_connection: f64,
    /// [`FaultKind::FreezeConnection`], per run delivered.
    pub(crate) freeze_connection: f64,
    /// [`FaultKind::RefuseConnections`], per connection attempt.
    pub(crate) refuse_connections: f64,
}

impl FaultRates {
    /// The preset names, for help texts.
    #[cfg(test)]
    pub(crate) const PRESETS: [&'static str; 3] = ["none", "mild", "chaos"];

    /// No faults at all.
    pub(crate) fn none() -> Self {
        FaultRates::default()
    }

    /// Every per-run kind at `per_run`, and the connection kinds at their own rates.
    fn uniform(
        per_run: f64,
        drop_connection: f64,
        freeze_connection: f64,
        refuse_connections: f64,
    ) -> Self {
        FaultRates {
            drop: per_run,
            duplicate: per_run,
            duplicate_attempt: per_run,
            reorder: per_run,
            delay: per_run,
            skew_timestamp: per_run,
            cross_user: per_run,
            malformed: per_run,
            drop_connection,
            freeze_connection,
            refuse_connections,
        }
    }

    /// A named preset: `none` (no faults), `mild` (each per-run kind in 3% of runs, a dropped
    /// connection in 1% of runs, a refusal window on 0.5% of connection attempts, no frozen
    /// connection: a demo where most runs are clean, and none waits for a client to notice a
    /// silent connection) or `chaos` (25% per kind, a dropped connection in 10% of runs, a frozen
    /// one in 5%, a refusal window on 5% of attempts: something in most runs).
    /// Names are case-insensitive.
    pub(crate) fn preset(name: &str) -> Option<FaultRates> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Some(FaultRates::none()),
            "mild" => Some(FaultRates::uniform(0.03, 0.01, 0.0, 0.005)),
            "chaos" => Some(FaultRates::uniform(0.25, 0.1, 0.05, 0.05)),
            _ => None,
        }
    }

    /// The name of the preset these rates are, or `custom`.
    pub(crate) fn preset_name(&self) -> &'static str {
        ["none", "mild", "chaos"]
            .into_iter()
            .find(|name| FaultRates::preset(name).as_ref() == Some(self))
            .unwrap_or("custom")
    }

    /// Every fault kind with a non-zero rate, with its rate (what `GET /dev/info` lists).
    pub(crate) fn active(&self) -> Vec<(String, f64)> {
        FaultKind::ALL
            .iter()
            .filter(|kind| probability(self.rate(**kind)) > 0.0)
            .map(|kind| (kind.to_string(), self.rate(*kind)))
            .collect()
    }

    /// [`FaultRates::preset`] with a typed error, for clap's `value_parser`.
    ///
    /// # Errors
    /// [`FaultConfigError::UnknownPreset`] for a name that is not a preset.
    pub(crate) fn parse_preset(name: &str) -> Result<FaultRates, FaultConfigError> {
        FaultRates::preset(name).ok_or_else(|| FaultConfigError::UnknownPreset(name.to_owned()))
    }

    /// The rate of one kind.
    pub(crate) fn rate(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::Drop => self.drop,
            FaultKind::Duplicate => self.duplicate,
            FaultKind::DuplicateAttempt => self.duplicate_attempt,
            FaultKind::Reorder => self.reorder,
            FaultKind::Delay => self.delay,
            FaultKind::SkewTimestamp => self.skew_timestamp,
            FaultKind::CrossUser => self.cross_user,
            FaultKind::Malformed => self.malformed,
            FaultKind::DropConnection => self.drop_connection,
            FaultKind::FreezeConnection => self.freeze_connection,
            FaultKind::RefuseConnections => self.refuse_connections,
        }
    }

    /// Sets the rate of one kind (brought into 0..=1; not-a-number counts as 0).
    pub(crate) fn set(&mut self, kind: FaultKind, rate: f64) {
        let rate = probability(rate);
        let slot = match kind {
            FaultKind::Drop => &mut self.drop,
            FaultKind::Duplicate => &mut self.duplicate,
            FaultKind::DuplicateAttempt => &mut self.duplicate_attempt,
            FaultKind::Reorder => &mut self.reorder,
            FaultKind::Delay => &mut self.delay,
            FaultKind::SkewTimestamp => &mut self.skew_timestamp,
            FaultKind::CrossUser => &mut self.cross_user,
            FaultKind::Malformed => &mut self.malformed,
            FaultKind::DropConnection => &mut self.drop_connection,
            FaultKind::FreezeConnection => &mut self.freeze_connection,
            FaultKind::RefuseConnections => &mut self.refuse_connections,
        };
        *slot = rate;
    }

    /// These rates with the overrides applied, in order (a later one for a kind wins).
    pub(crate) fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = &'a FaultSetting>,
    ) -> Self {
        for setting in overrides {
            self.set(setting.kind, setting.rate);
        }
        self
    }

    /// Whether no fault of any kind can happen.
    pub(crate) fn is_none(&self) -> bool {
        FaultKind::ALL.iter().all(|kind| probability(self.rate(*kind)) <= 0.0)
    }
}

/// `rate` as a probability: clamped to 0..=1, not-a-number as 0.
fn probability(rate: f64) -> f64 {
    if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) }
}

/// One frame the server sends for a run, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Outgoing {
    /// Milliseconds to wait after the previous frame (after the run's start for the first one).
    pub(crate) delay_ms: u64,
    /// The exact frame text.
    pub(crate) text: String,
    /// The fault this frame carries out, if any: the copy of a duplicate, both frames of a
    /// reorder, the delayed, skewed or malformed frame, the frame to leak to another user.
    pub(crate) fault: Option<FaultKind>,
    /// Deliver a copy of this frame (same text) to another user as well (`cross_user`). The
    /// frame still goes to its own user.
    pub(crate) also_to_other_user: bool,
}

/// The ground truth of one injected fault (a `--truth` record, with the server adding the user).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct InjectedFault {
    /// What was done.
    pub(crate) kind: FaultKind,
    /// The run: the event's `run_id`, else its `thread_id` (else the run's first one, else empty).
    pub(crate) run_id: String,
    /// The original event's canonical type (`agent_thinking` for a wire `reasoning`).
    pub(crate) event_type: String,
    /// Index in the run's outgoing list of the affected frame: the copy of a duplicate; the
    /// frame that now arrives first of a reordered pair (the other one follows it); the delayed,
    /// skewed, leaked or malformed frame; for a drop, where the event would have been.
    pub(crate) index: usize,
    /// The original event, as scripted (for a reorder, the event now sent first).
    pub(crate) frame: Value,
}

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
struct Info {
    /// Its structural role.
    role: Role,
    /// Its canonical type name (empty when it does not decode).
    event_type: String,
    /// Its run: `run_id`, else `thread_id`.
    run: Option<String>,
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
struct Analysis {
    /// One entry per frame.
    infos: Vec<Info>,
    /// How many `agent_thinking` events the run has.
    thinking: usize,
    /// The run of the first frame that names one.
    run: String,
}

impl Analysis {
    /// Decodes and walks the run's frames.
    fn of(script: &[ScriptedFrame]) -> Self {
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
    fn info(&self, index: usize) -> Option<&Info> {
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
    fn candidates(
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

/// The frame each per-run kind affects (for `reorder`, the first of the pair).
#[derive(Clone, Copy, Debug, Default)]
struct Targets {
    /// [`FaultKind::Drop`].
    drop: Option<usize>,
    /// [`FaultKind::Duplicate`].
    duplicate: Option<usize>,
    /// [`FaultKind::DuplicateAttempt`].
    duplicate_attempt: Option<usize>,
    /// [`FaultKind::Reorder`]: the first of the pair.
    reorder: Option<usize>,
    /// [`FaultKind::Delay`].
    delay: Option<usize>,
    /// [`FaultKind::SkewTimestamp`].
    skew_timestamp: Option<usize>,
    /// [`FaultKind::CrossUser`].
    cross_user: Option<usize>,
    /// [`FaultKind::Malformed`].
    malformed: Option<usize>,
}

impl Targets {
    /// Records the frame `kind` affects.
    fn set(&mut self, kind: FaultKind, index: usize) {
        let slot = match kind {
            FaultKind::Drop => &mut self.drop,
            FaultKind::Duplicate => &mut self.duplicate,
            FaultKind::DuplicateAttempt => &mut self.duplicate_attempt,
            FaultKind::Reorder => &mut self.reorder,
            FaultKind::Delay => &mut self.delay,
            FaultKind::SkewTimestamp => &mut self.skew_timestamp,
            FaultKind::CrossUser => &mut self.cross_user,
            FaultKind::Malformed => &mut self.malformed,
            FaultKind::DropConnection
            | FaultKind::FreezeConnection
            | FaultKind::RefuseConnections => return,
        };
        *slot = Some(index);
    }
}

/// Applies the per-run faults of `rates` to one scripted run (all frames of one run, as
/// [`script_run`](super::script::script_run) makes them): returns the frames to send, in order,
/// and what was injected, in outgoing order. `stall_after_ms` is the stall deadline a `delay`
/// must exceed (the checker's `stall_after`, 30 s for the manager).
///
/// Each per-run kind is drawn once per run with its rate (no draw at all for a zero rate), then its event is picked uniformly among the events where it is
/// detectable and not already affected (see the [module documentation](self)); a run with no such
/// event does not get that fault. With every rate at zero the output is the input: same delays,
/// texts `frame.to_string()`, no faults, and the generator untouched.
pub(crate) fn apply_to_run(
    rng: &mut impl Rng,
    script: Vec<ScriptedFrame>,
    rates: &FaultRates,
    stall_after_ms: u64,
) -> (Vec<Outgoing>, Vec<InjectedFault>) {
    let analysis = Analysis::of(&script);
    let delay_shift_ms = stall_after_ms.saturating_add(DELAY_BEYOND_STALL_MS);
    let delay_shift_us =
        i64::try_from(delay_shift_ms).unwrap_or(i64::MAX / 1000).saturating_mul(1000);

    let mut taken = vec![false; script.len()];
    let mut targets = Targets::default();
    for kind in DRAW_ORDER {
        let rate = probability(rates.rate(kind));
        if rate <= 0.0 || !rng.random_bool(rate) {
            continue;
        }
        let delayed = targets.delay.map(|index| (index, delay_shift_us));
        let candidates = analysis.candidates(kind, &taken, delayed);
        if candidates.is_empty() {
            continue;
        }
        let Some(&index) = candidates.get(rng.random_range(0..candidates.len())) else { continue };
        targets.set(kind, index);
        let width = if kind == FaultKind::Reorder { 2 } else { 1 };
        for slot in taken.iter_mut().skip(index).take(width) {
            *slot = true;
        }
    }

    build(&analysis, script, &targets, delay_shift_ms, delay_shift_us)
}

/// Renders the run with its faults.
fn build(
    analysis: &Analysis,
    script: Vec<ScriptedFrame>,
    targets: &Targets,
    delay_shift_ms: u64,
    delay_shift_us: i64,
) -> (Vec<Outgoing>, Vec<InjectedFault>) {
    let mut order: Vec<usize> = (0..script.len()).collect();
    if let Some(first) = targets.reorder {
        if first + 1 < order.len() {
            order.swap(first, first + 1);
        }
    }
    let record = |kind: FaultKind, index: usize, original: usize| {
        let info = analysis.info(original);
        InjectedFault {
            kind,
            run_id: info.and_then(|info| info.run.clone()).unwrap_or_else(|| analysis.run.clone()),
            event_type: info.map(|info| info.event_type.clone()).unwrap_or_default(),
            index,
            frame: script.get(original).map(|scripted| scripted.frame.clone()).unwrap_or_default(),
        }
    };

    let mut outgoing: Vec<Outgoing> = Vec::with_capacity(script.len() + 2);
    let mut injected = Vec::new();
    let mut carried_ms = 0u64;
    for (position, &original) in order.iter().enumerate() {
        let (Some(slot), Some(scripted)) = (script.get(position), script.get(original)) else {
            continue;
        };
        let mut delay_ms = slot.delay_ms.saturating_add(carried_ms);
        carried_ms = 0;
        if targets.drop == Some(original) {
            // Keep the rest of the run on schedule: the next frame waits this one's delay too.
            carried_ms = delay_ms;
            injected.push(record(FaultKind::Drop, outgoing.len(), original));
            continue;
        }

        let mut fault = None;
        let delayed = targets.delay.is_some_and(|from| original >= from);
        let skewed = targets.skew_timestamp == Some(original);
        let text = if delayed || skewed {
            let mut frame = scripted.frame.clone();
            if delayed {
                shift_timestamps(&mut frame, delay_shift_us);
            }
            if skewed {
                shift_timestamps(&mut frame, -SKEW_MICROS);
            }
            frame.to_string()
        } else {
            scripted.frame.to_string()
        };
        if targets.delay == Some(original) {
            delay_ms = delay_ms.saturating_add(delay_shift_ms);
            fault = Some(FaultKind::Delay);
            injected.push(record(FaultKind::Delay, outgoing.len(), original));
        }
        if skewed {
            fault = Some(FaultKind::SkewTimestamp);
            injected.push(record(FaultKind::SkewTimestamp, outgoing.len(), original));
        }
        if let Some(first) = targets.reorder {
            if original == first || original == first + 1 {
                fault = Some(FaultKind::Reorder);
                if position == first {
                    injected.push(record(FaultKind::Reorder, outgoing.len(), original));
                }
            }
        }
        let also_to_other_user = targets.cross_user == Some(original);
        if also_to_other_user {
            fault = Some(FaultKind::CrossUser);
            injected.push(record(FaultKind::CrossUser, outgoing.len(), original));
        }
        let text = if targets.malformed == Some(original) {
            fault = Some(FaultKind::Malformed);
            injected.push(record(FaultKind::Malformed, outgoing.len(), original));
            first_half(&text)
        } else {
            text
        };

        let duplicate = (targets.duplicate == Some(original)).then(|| text.clone());
        let retry = (targets.duplicate_attempt == Some(original)).then(|| with_attempt(&text));
        outgoing.push(Outgoing { delay_ms, text, fault, also_to_other_user });
        for (kind, copy) in
            [(FaultKind::Duplicate, duplicate), (FaultKind::DuplicateAttempt, retry)]
        {
            if let Some(text) = copy {
                injected.push(record(kind, outgoing.len(), original));
                outgoing.push(Outgoing {
                    delay_ms: 0,
                    text,
                    fault: Some(kind),
                    also_to_other_user: false,
                });
            }
        }
    }
    (outgoing, injected)
}

/// The frame text with `"attempt": 2` at the root (a manager retry of the same object).
fn with_attempt(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut object)) => {
            object.insert("attempt".into(), Value::from(RETRY_ATTEMPT));
            Value::Object(object).to_string()
        }
        _ => text.to_owned(),
    }
}

/// The first half of `text` (at a character boundary): never a complete JSON object, since an
/// object's text only closes at its last character.
fn first_half(text: &str) -> String {
    let mut end = text.len() / 2;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// Moves every valid `timestamp` of the frame (at the root and in every tolerated body location:
/// `payload`, `data`, `data.payload`, `metadata`) by `micros`, keeping each one's format.
fn shift_timestamps(frame: &mut Value, micros: i64) {
    let Some(root) = frame.as_object_mut() else { return };
    shift_field(root, micros);
    for key in ["payload", "metadata"] {
        if let Some(Value::Object(body)) = root.get_mut(key) {
            shift_field(body, micros);
        }
    }
    if let Some(Value::Object(data)) = root.get_mut("data") {
        shift_field(data, micros);
        if let Some(Value::Object(inner)) = data.get_mut("payload") {
            shift_field(inner, micros);
        }
    }
}

/// Moves the object's `timestamp`, when valid, by `micros`.
fn shift_field(object: &mut Map<String, Value>, micros: i64) {
    let Some(value) = object.get_mut("timestamp") else { return };
    if let Some(shifted) = shifted_timestamp(value, micros) {
        *value = shifted;
    }
}

/// A timestamp value moved by `micros`, in the original's format: an epoch number in the same
/// unit, or ISO 8601 with the same kind of suffix (`Z`, `+00:00` for any offset, or naive UTC).
/// `None` when the value is not a valid timestamp (left as it is).
fn shifted_timestamp(value: &Value, micros: i64) -> Option<Value> {
    match value {
        Value::Number(number) => {
            let original = number.as_f64()?;
            let at = Timestamp::from_epoch_number(original)?.add_micros(micros);
            Some(Value::from(epoch_like(original, at)))
        }
        Value::String(text) => {
            let at = Timestamp::parse(text)?.add_micros(micros);
            let text = text.trim();
            if let Ok(original) = text.parse::<f64>() {
                return Some(Value::String(epoch_like(original, at).to_string()));
            }
            let utc = at.to_string();
            let base = utc.strip_suffix('Z').unwrap_or(&utc);
            let offset = text.get(10..).unwrap_or_default();
            Some(Value::String(if text.ends_with(['Z', 'z']) {
                utc.clone()
            } else if offset.contains(['+', '-']) {
                format!("{base}+00:00")
            } else {
                base.to_owned()
            }))
        }
        _ => None,
    }
}

/// `at` as an epoch number in the unit of `original` (milliseconds above 1e12, else seconds).
fn epoch_like(original: f64, at: Timestamp) -> f64 {
    if original.abs() > EPOCH_MILLIS_THRESHOLD {
        at.as_unix_millis_f64()
    } else {
        at.as_unix_micros() as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agentwire::{Checker, CheckerConfig, Flag, Rule, Severity};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::script::{RunSpec, Shapes, script_run};
    use super::*;

    const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const OTHER: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const START_US: i64 = 1_758_207_374_123_456;
    const SEEDS: u64 = 200;

    fn all_shapes() -> Shapes {
        Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false }
    }

    fn script_for(user: &str, seed: u64, shapes: Shapes, speed: f64) -> Vec<ScriptedFrame> {
        let run_id = format!("run_ws_{seed}");
        let spec = RunSpec {
            user_id: user,
            thread_id: "thread_ws_1758207374_1_ab12cd34",
            run_id: &run_id,
            request_id: "ws_req_1758207374_2_ef56ab78",
            request: "Why did our AWS bill jump 40% last month?",
        };
        let mut rng = StdRng::seed_from_u64(seed);
        script_run(&mut rng, &spec, &shapes, Timestamp::from_unix_micros(START_US), speed)
    }

    fn script(seed: u64) -> Vec<ScriptedFrame> {
        script_for(USER, seed, Shapes::default(), 100.0)
    }

    /// The deadline varies with the seed: the manager's 30 s, a short one, a long one.
    fn stall_after_ms(seed: u64) -> u64 {
        match seed % 3 {
            0 => 30_000,
            1 => 8_000,
            _ => 90_000,
        }
    }

    fn only(kind: FaultKind) -> FaultRates {
        let mut rates = FaultRates::none();
        rates.set(kind, 1.0);
        rates
    }

    fn inject(
        frames: Vec<ScriptedFrame>,
        rates: &FaultRates,
        seed: u64,
    ) -> (Vec<Outgoing>, Vec<InjectedFault>) {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_fa17);
        apply_to_run(&mut rng, frames, rates, stall_after_ms(seed))
    }

    fn check<'a>(user: &str, stall_ms: u64, texts: impl IntoIterator<Item = &'a str>) -> Vec<Flag> {
        let config = CheckerConfig::offline()
            .with_user(user)
            .with_stall_after(Duration::from_millis(stall_ms));
        let mut checker = Checker::new(config);
        for text in texts {
            let _ = checker.handle_text(text, None);
        }
        checker.finish();
        std::iter::from_fn(|| checker.poll_flag()).collect()
    }

    fn check_outgoing(seed: u64, outgoing: &[Outgoing]) -> Vec<Flag> {
        check(USER, stall_after_ms(seed), outgoing.iter().map(|o| o.text.as_str()))
    }

    fn rules(flags: &[Flag]) -> Vec<Rule> {
        flags.iter().map(|flag| flag.rule).collect()
    }

    fn serious(flags: &[Flag]) -> Vec<Rule> {
        flags.iter().filter(|flag| flag.severity != Severity::Info).map(|flag| flag.rule).collect()
    }

    fn texts(frames: &[ScriptedFrame]) -> Vec<String> {
        frames.iter().map(|f| f.frame.to_string()).collect()
    }

    fn timestamp_of(text: &str) -> Timestamp {
        let frame: Value = serde_json::from_str(text).unwrap();
        match &frame["timestamp"] {
            Value::String(text) => Timestamp::parse(text).unwrap(),
            Value::Number(number) => {
                Timestamp::from_epoch_number(number.as_f64().unwrap()).unwrap()
            }
            other => panic!("no timestamp: {other}"),
        }
    }

    /// The one fault of a run, checked against the script: kind, run, type, and which scripted
    /// frame it names (returned).
    fn the_fault(
        seed: u64,
        kind: FaultKind,
        frames: &[ScriptedFrame],
        injected: &[InjectedFault],
    ) -> (InjectedFault, usize) {
        assert_eq!(injected.len(), 1, "seed {seed}: {injected:#?}");
        let fault = injected[0].clone();
        assert_eq!(fault.kind, kind);
        assert_eq!(fault.run_id, format!("run_ws_{seed}"));
        let original = frames
            .iter()
            .position(|f| f.frame == fault.frame)
            .unwrap_or_else(|| panic!("seed {seed}: the truth names no scripted frame"));
        assert_eq!(fault.event_type, decode_value(&fault.frame).unwrap().name());
        (fault, original)
    }

    /// The rule(s) each kind must raise in the affected user's stream.
    fn detected(kind: FaultKind, flags: &[Flag]) -> bool {
        let rules = rules(flags);
        match kind {
            FaultKind::Drop | FaultKind::Reorder => !serious(flags).is_empty(),
            FaultKind::Duplicate | FaultKind::DuplicateAttempt => rules == [Rule::DuplicateEvent],
            FaultKind::Delay => rules.contains(&Rule::RunStalled),
            FaultKind::SkewTimestamp => rules.contains(&Rule::TimestampRegression),
            FaultKind::Malformed => rules.contains(&Rule::MalformedFrame),
            FaultKind::CrossUser => flags.is_empty(),
            FaultKind::DropConnection
            | FaultKind::FreezeConnection
            | FaultKind::RefuseConnections => false,
        }
    }

    #[test]
    fn zero_rates_send_the_script_unchanged_and_the_checker_stays_clean() {
        for seed in 0..SEEDS {
            for shapes in [Shapes::default(), all_shapes()] {
                let frames = script_for(USER, seed, shapes, 100.0);
                let mut rng = StdRng::seed_from_u64(seed);
                let (outgoing, injected) =
                    apply_to_run(&mut rng, frames.clone(), &FaultRates::none(), 30_000);
                assert!(injected.is_empty());
                assert_eq!(outgoing.len(), frames.len());
                for (sent, scripted) in outgoing.iter().zip(&frames) {
                    assert_eq!(sent.delay_ms, scripted.delay_ms);
                    assert_eq!(sent.text, scripted.frame.to_string());
                    assert_eq!(sent.fault, None);
                    assert!(!sent.also_to_other_user);
                }
                // No draw at all: the generator is where it was.
                assert_eq!(rng.random::<u64>(), StdRng::seed_from_u64(seed).random::<u64>());
                let flags = check_outgoing(seed, &outgoing);
                assert!(flags.is_empty(), "seed {seed}: {flags:#?}");
            }
        }
    }

    #[test]
    fn connection_kinds_are_never_applied_to_a_run() {
        let mut rates = FaultRates::none();
        rates.set(FaultKind::DropConnection, 1.0);
        rates.set(FaultKind::FreezeConnection, 1.0);
        rates.set(FaultKind::RefuseConnections, 1.0);
        for seed in 0..20 {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &rates, seed);
            assert!(injected.is_empty());
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), texts(&frames));
        }
    }

    #[test]
    fn drop_removes_one_detectable_event_and_keeps_the_schedule() {
        let mut dropped = std::collections::BTreeSet::new();
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Drop), seed);
            let (fault, original) = the_fault(seed, FaultKind::Drop, &frames, &injected);
            assert_eq!(fault.index, original);
            let mut expected = texts(&frames);
            expected.remove(original);
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), expected);
            if original + 1 < frames.len() {
                let sent: u64 = outgoing.iter().map(|o| o.delay_ms).sum();
                let scripted: u64 = frames.iter().map(|f| f.delay_ms).sum();
                assert_eq!(sent, scripted, "seed {seed}: the schedule is kept");
            }
            assert!(outgoing.iter().all(|o| o.fault.is_none() && !o.also_to_other_user));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Drop, &flags), "seed {seed}: dropped {fault:#?}");
            dropped.insert(fault.event_type);
        }
        for event_type in [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed",
        ] {
            assert!(dropped.contains(event_type), "never dropped {event_type}: {dropped:?}");
        }
    }

    #[test]
    fn drop_never_picks_one_thinking_among_several() {
        let mut thinking_dropped = 0;
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (_, injected) = inject(frames.clone(), &only(FaultKind::Drop), seed);
            let thinking = frames
                .iter()
                .filter(|f| decode_value(&f.frame).unwrap().name() == "agent_thinking");
            if injected[0].event_type == "agent_thinking" {
                thinking_dropped += 1;
                assert_eq!(thinking.count(), 1, "seed {seed}");
            }
        }
        assert!(thinking_dropped > 0, "a lone thinking event is a fair target");
    }

    #[test]
    fn duplicate_sends_the_event_twice_and_raises_exactly_duplicate_event() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Duplicate), seed);
            let (fault, original) = the_fault(seed, FaultKind::Duplicate, &frames, &injected);
            assert_eq!(fault.index, original + 1);
            assert_eq!(outgoing[fault.index].text, outgoing[original].text);
            assert_eq!(outgoing[fault.index].text, fault.frame.to_string());
            assert_eq!(outgoing[fault.index].delay_ms, 0);
            assert_eq!(outgoing[fault.index].fault, Some(FaultKind::Duplicate));
            let mut rest: Vec<String> = outgoing.iter().map(|o| o.text.clone()).collect();
            rest.remove(fault.index);
            assert_eq!(rest, texts(&frames));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Duplicate, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn duplicate_attempt_resends_with_attempt_two_and_raises_exactly_duplicate_event() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) =
                inject(frames.clone(), &only(FaultKind::DuplicateAttempt), seed);
            let (fault, original) =
                the_fault(seed, FaultKind::DuplicateAttempt, &frames, &injected);
            assert_eq!(fault.index, original + 1);
            assert_eq!(outgoing[original].text, fault.frame.to_string());
            let copy: Value = serde_json::from_str(&outgoing[fault.index].text).unwrap();
            let mut expected = fault.frame.clone();
            expected["attempt"] = Value::from(2);
            assert_eq!(copy, expected);
            assert_eq!(outgoing[fault.index].fault, Some(FaultKind::DuplicateAttempt));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::DuplicateAttempt, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn reorder_swaps_two_adjacent_events_detectably() {
        let mut patterns = std::collections::BTreeSet::new();
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Reorder), seed);
            let (fault, original) = the_fault(seed, FaultKind::Reorder, &frames, &injected);
            let first = fault.index;
            assert_eq!(original, first + 1, "the truth names the event now sent first");
            let scripted = texts(&frames);
            assert_eq!(outgoing.len(), frames.len());
            for (position, sent) in outgoing.iter().enumerate() {
                assert_eq!(sent.delay_ms, frames[position].delay_ms);
                let expected = match position {
                    p if p == first => &scripted[first + 1],
                    p if p == first + 1 => &scripted[first],
                    p => &scripted[p],
                };
                assert_eq!(&sent.text, expected, "seed {seed}, frame {position}");
                let marked = position == first || position == first + 1;
                assert_eq!(sent.fault, marked.then_some(FaultKind::Reorder));
            }
            let name = |i: usize| decode_value(&frames[i].frame).unwrap().name().to_owned();
            patterns.insert((name(first), name(first + 1)));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Reorder, &flags), "seed {seed}: {patterns:?}");
        }
        // All three detectable patterns occur.
        assert!(patterns.iter().any(|(a, _)| a == "agent_started"), "{patterns:?}");
        assert!(patterns.contains(&("tool_executing".into(), "tool_completed".into())));
        assert!(patterns.iter().any(|(_, b)| b == "agent_completed"), "{patterns:?}");
    }

    #[test]
    fn delay_holds_one_event_past_the_stall_deadline_and_raises_run_stalled() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let stall = stall_after_ms(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Delay), seed);
            let (fault, original) = the_fault(seed, FaultKind::Delay, &frames, &injected);
            assert_eq!(fault.index, original);
            assert!(original > 0);
            assert_eq!(outgoing.len(), frames.len());
            let shift_us = (stall as i64 + 2_000) * 1_000;
            for (position, (sent, scripted)) in outgoing.iter().zip(&frames).enumerate() {
                let text = scripted.frame.to_string();
                if position < original {
                    assert_eq!(sent.text, text);
                    assert_eq!(sent.delay_ms, scripted.delay_ms);
                    continue;
                }
                let extra = if position == original { stall + 2_000 } else { 0 };
                assert_eq!(sent.delay_ms, scripted.delay_ms + extra);
                assert_eq!(sent.fault, (position == original).then_some(FaultKind::Delay));
                let moved = timestamp_of(&sent.text).micros_since(timestamp_of(&text));
                assert!((moved - shift_us).abs() <= 2, "seed {seed}: moved {moved} us");
                // Nothing but the timestamp changes.
                let (mut sent, mut scripted): (Value, Value) =
                    (serde_json::from_str(&sent.text).unwrap(), scripted.frame.clone());
                sent["timestamp"] = Value::Null;
                scripted["timestamp"] = Value::Null;
                assert_eq!(sent, scripted);
            }
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Delay, &flags), "seed {seed}: {flags:#?}");
            assert_eq!(serious(&flags), [Rule::RunStalled], "seed {seed}");
        }
    }

    #[test]
    fn skew_moves_one_timestamp_five_seconds_back_and_raises_timestamp_regression() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) =
                inject(frames.clone(), &only(FaultKind::SkewTimestamp), seed);
            let (fault, original) = the_fault(seed, FaultKind::SkewTimestamp, &frames, &injected);
            assert_eq!(fault.index, original);
            assert!(original > 0, "never the run's first event");
            for (position, (sent, scripted)) in outgoing.iter().zip(&frames).enumerate() {
                assert_eq!(sent.delay_ms, scripted.delay_ms);
                let text = scripted.frame.to_string();
                if position != original {
                    assert_eq!(sent.text, text);
                    continue;
                }
                assert_eq!(sent.fault, Some(FaultKind::SkewTimestamp));
                let moved = timestamp_of(&sent.text).micros_since(timestamp_of(&text));
                assert!((moved + 5_000_000).abs() <= 2, "seed {seed}: moved {moved} us");
            }
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::SkewTimestamp, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn cross_user_marks_one_event_that_another_users_checker_flags() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::CrossUser), seed);
            let (fault, original) = the_fault(seed, FaultKind::CrossUser, &frames, &injected);
            assert_eq!(fault.index, original);
            // The user's own stream is unchanged and clean.
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), texts(&frames));
            let marked: Vec<usize> =
                (0..outgoing.len()).filter(|i| outgoing[*i].also_to_other_user).collect();
            assert_eq!(marked, [original]);
            assert_eq!(outgoing[original].fault, Some(FaultKind::CrossUser));
            assert!(detected(FaultKind::CrossUser, &check_outgoing(seed, &outgoing)));

            // The other user gets the copy in the middle of their own run.
            let own = texts(&script_for(OTHER, seed + 10_000, Shapes::default(), 100.0));
            let leak_at = own.len() / 2;
            let mut stream: Vec<&str> = own.iter().map(String::as_str).collect();
            stream.insert(leak_at, &outgoing[original].text);
            let flags = check(OTHER, stall_after_ms(seed), stream);
            let leaks: Vec<&Flag> =
                flags.iter().filter(|f| f.rule == Rule::CrossUserEvent).collect();
            assert_eq!(leaks.len(), 1, "seed {seed}: {flags:#?}");
            assert_eq!(leaks[0].frame, Some(leak_at as u64));
        }
    }

    #[test]
    fn malformed_sends_half_the_event_in_its_place_and_raises_malformed_frame() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Malformed), seed);
            let (fault, original) = the_fault(seed, FaultKind::Malformed, &frames, &injected);
            assert_eq!(fault.index, original);
            assert_eq!(outgoing.len(), frames.len());
            let sent = &outgoing[original];
            let full = fault.frame.to_string();
            assert!(full.starts_with(&sent.text) && sent.text.len() * 2 <= full.len());
            assert!(sent.text.len() * 2 + 4 >= full.len());
            assert!(serde_json::from_str::<Value>(&sent.text).is_err());
            assert_eq!(sent.fault, Some(FaultKind::Malformed));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Malformed, &flags), "seed {seed}: {flags:#?}");
            assert_eq!(
                flags.iter().filter(|f| f.rule == Rule::MalformedFrame).count(),
                1,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn every_kind_is_detected_with_every_shape_mixed_in_and_at_human_speed() {
        for kind in FaultKind::PER_RUN {
            for seed in 0..SEEDS {
                let speed = if seed % 2 == 0 { 1.0 } else { 100.0 };
                let frames = script_for(USER, seed, all_shapes(), speed);
                let (outgoing, injected) = inject(frames.clone(), &only(kind), seed);
                let (fault, _) = the_fault(seed, kind, &frames, &injected);
                let flags = check_outgoing(seed, &outgoing);
                assert!(detected(kind, &flags), "{kind}, seed {seed}: {fault:#?}\n{flags:#?}");
            }
        }
    }

    #[test]
    fn every_kind_at_once_hits_distinct_events_at_most_once_each() {
        let mut all = FaultRates::none();
        for kind in FaultKind::PER_RUN {
            all.set(kind, 1.0);
        }
        let mut complete = 0;
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &all, seed);
            let mut kinds: Vec<FaultKind> = injected.iter().map(|f| f.kind).collect();
            kinds.sort();
            kinds.dedup();
            assert_eq!(kinds.len(), injected.len(), "seed {seed}: a kind twice");
            // A short run has fewer free events than eight kinds need.
            if kinds == FaultKind::PER_RUN {
                complete += 1;
            }
            let mut targets: Vec<String> = injected.iter().map(|f| f.frame.to_string()).collect();
            targets.sort();
            targets.dedup();
            assert_eq!(targets.len(), injected.len(), "seed {seed}: two kinds on one event");
            assert!(injected.windows(2).all(|w| w[0].index <= w[1].index));
            let leaks = usize::from(kinds.contains(&FaultKind::CrossUser));
            assert_eq!(outgoing.iter().filter(|o| o.also_to_other_user).count(), leaks);
            let rules = rules(&check_outgoing(seed, &outgoing));
            for (kind, rule) in [
                (FaultKind::Duplicate, Rule::DuplicateEvent),
                (FaultKind::Malformed, Rule::MalformedFrame),
            ] {
                if kinds.contains(&kind) {
                    assert!(rules.contains(&rule), "seed {seed}: {rules:?}");
                }
            }
        }
        assert!(complete > SEEDS / 2, "{complete} runs got all eight kinds");
    }

    #[test]
    fn the_same_generator_state_gives_the_same_faults() {
        let rates = FaultRates::preset("chaos").unwrap();
        let mut differ = 0;
        for seed in 0..50 {
            let once = inject(script(seed), &rates, seed);
            assert_eq!(once, inject(script(seed), &rates, seed));
            if once != inject(script(seed), &rates, seed + 1) {
                differ += 1;
            }
        }
        assert!(differ > 25, "{differ}");
    }

    #[test]
    fn presets_parse_and_scale_from_none_to_chaos() {
        let none = FaultRates::preset("none").unwrap();
        let mild = FaultRates::preset("mild").unwrap();
        let chaos = FaultRates::preset(" Chaos ").unwrap();
        assert_eq!(none, FaultRates::default());
        assert!(none.is_none() && !mild.is_none());
        for kind in FaultKind::ALL {
            assert_eq!(none.rate(kind), 0.0);
            assert!(chaos.rate(kind) <= 1.0);
            if kind == FaultKind::FreezeConnection {
                // A frozen connection stalls a demo until the client's heartbeat gives up on it.
                assert_eq!(mild.rate(kind), 0.0);
                assert!(chaos.rate(kind) > 0.0);
                continue;
            }
            assert!(mild.rate(kind) > 0.0 && mild.rate(kind) < chaos.rate(kind), "{kind}");
            if kind.is_per_run() {
                assert_eq!(mild.rate(kind), 0.03);
            } else {
                assert!(mild.rate(kind) < 0.03, "connection faults are rarer: {kind}");
            }
        }
        for kind in FaultKind::ALL.into_iter().filter(|kind| !kind.is_per_run()) {
            assert!(chaos.rate(kind) < chaos.drop, "connection faults are rarer: {kind}");
        }
        for name in FaultRates::PRESETS {
            assert_eq!(FaultRates::parse_preset(name), Ok(FaultRates::preset(name).unwrap()));
        }
        assert_eq!(FaultRates::preset("wild"), None);
        assert_eq!(
            FaultRates::parse_preset("wild"),
            Err(FaultConfigError::UnknownPreset("wild".into()))
        );
    }

    #[test]
    fn fault_overrides_parse_and_apply_over_a_preset() {
        let parse = |text: &str| text.parse::<FaultSetting>();
        assert_eq!(parse("drop=0.5"), Ok(FaultSetting { kind: FaultKind::Drop, rate: 0.5 }));
        assert_eq!(
            parse(" duplicate-attempt = 1 "),
            Ok(FaultSetting { kind: FaultKind::DuplicateAttempt, rate: 1.0 })
        );
        assert_eq!(
            parse("SKEW_TIMESTAMP=0"),
            Ok(FaultSetting { kind: FaultKind::SkewTimestamp, rate: 0.0 })
        );
        assert_eq!(
            parse("refuse_connections=1e-3"),
            Ok(FaultSetting { kind: FaultKind::RefuseConnections, rate: 0.001 })
        );
        assert_eq!(
            parse("freeze-connection=1"),
            Ok(FaultSetting { kind: FaultKind::FreezeConnection, rate: 1.0 })
        );
        assert_eq!(
            parse("Freeze_Connection=0.05"),
            Ok(FaultSetting { kind: FaultKind::FreezeConnection, rate: 0.05 })
        );
        for kind in FaultKind::ALL {
            assert_eq!(parse(&format!("{kind}=0.25")).map(|s| s.kind), Ok(kind));
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }

        let mild = FaultRates::preset("mild").unwrap();
        let settings = [parse("drop=0.5").unwrap(), parse("cross-user=0").unwrap()];
        let rates = mild.with_overrides(&settings);
        assert_eq!(rates.drop, 0.5);
        assert_eq!(rates.cross_user, 0.0);
        assert_eq!(rates.malformed, mild.malformed);
        let frozen = mild.with_overrides(&[parse("freeze_connection=1").unwrap()]);
        assert_eq!(frozen.freeze_connection, 1.0);
        assert_eq!(frozen.rate(FaultKind::FreezeConnection), 1.0);
        assert_eq!(frozen.drop_connection, mild.drop_connection);
        assert!(
            !FaultRates::none().with_overrides(&[parse("freeze_connection=1").unwrap()]).is_none()
        );
    }

    #[test]
    fn bad_fault_overrides_are_rejected_with_typed_errors() {
        let parse = |text: &str| text.parse::<FaultSetting>();
        assert_eq!(parse("drop"), Err(FaultConfigError::MissingRate("drop".into())));
        assert_eq!(parse(""), Err(FaultConfigError::MissingRate(String::new())));
        assert_eq!(parse("teleport=0.1"), Err(FaultConfigError::UnknownKind("teleport".into())));
        assert_eq!(parse("=0.1"), Err(FaultConfigError::UnknownKind(String::new())));
        assert_eq!(parse("drop=often"), Err(FaultConfigError::InvalidRate("often".into())));
        assert_eq!(parse("drop="), Err(FaultConfigError::InvalidRate(String::new())));
        assert_eq!(parse("drop=1.5"), Err(FaultConfigError::OutOfRange(1.5)));
        assert_eq!(parse("drop=-0.1"), Err(FaultConfigError::OutOfRange(-0.1)));
        assert!(matches!(parse("drop=NaN"), Err(FaultConfigError::OutOfRange(r)) if r.is_nan()));
        assert!(matches!(parse("drop=inf"), Err(FaultConfigError::OutOfRange(_))));
        let message = parse("teleport=0.1").unwrap_err().to_string();
        assert!(message.contains("teleport") && message.contains("skew_timestamp"), "{message}");
        assert!(message.contains("freeze_connection"), "{message}");
    }

    #[test]
    fn kinds_have_stable_snake_case_names_everywhere() {
        use clap::ValueEnum;
        for kind in FaultKind::ALL {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire, kind.name());
            assert_eq!(serde_json::from_value::<FaultKind>(wire).unwrap(), kind);
            let cli = kind.to_possible_value().unwrap();
            assert_eq!(cli.get_name(), kind.name());
            assert_eq!(kind.is_per_run(), FaultKind::PER_RUN.contains(&kind));
        }
        assert_eq!(FaultKind::value_variants().len(), FaultKind::ALL.len());
        let fault = InjectedFault {
            kind: FaultKind::DuplicateAttempt,
            run_id: "run_ws_1".into(),
            event_type: "agent_thinking".into(),
            index: 3,
            frame: serde_json::json!({"type": "reasoning"}),
        };
        assert_eq!(
            serde_json::to_value(&fault).unwrap(),
            serde_json::json!({
                "kind": "duplicate_attempt", "run_id": "run_ws_1", "event_type": "agent_thinking",
                "index": 3, "frame": {"type": "reasoning"}
            })
        );
    }

    #[test]
    fn shifted_timestamps_keep_their_format() {
        let shift = |value: Value, micros: i64| shifted_timestamp(&value, micros).unwrap();
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14.123456+00:00"), -5_000_000),
            "2025-09-18T14:56:09.123456+00:00"
        );
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14+02:00"), 1_000_000),
            "2025-09-18T12:56:15+00:00"
        );
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14Z"), 500_000),
            "2025-09-18T14:56:14.500000Z"
        );
        assert_eq!(shift(Value::from("2025-09-18 14:56:14"), 1_000_000), "2025-09-18T14:56:15");
        assert_eq!(shift(Value::from(1_758_207_374.5), -5_000_000), Value::from(1_758_207_369.5));
        assert_eq!(
            shift(Value::from(1_758_207_374_500.0), 1_000),
            Value::from(1_758_207_374_501.0)
        );
        assert_eq!(shifted_timestamp(&Value::from("yesterday"), 1), None);
        assert_eq!(shifted_timestamp(&Value::Null, 1), None);

        let mut frame = serde_json::json!({
            "timestamp": "2025-09-18T14:56:14Z",
            "data": {"timestamp": 1_758_207_374.0, "payload": {"timestamp": "bad"}},
        });
        shift_timestamps(&mut frame, 2_000_000);
        assert_eq!(frame["timestamp"], "2025-09-18T14:56:16Z");
        assert_eq!(frame["data"]["timestamp"], 1_758_207_376.0);
        assert_eq!(frame["data"]["payload"]["timestamp"], "bad");
    }

    #[test]
    fn cutting_in_half_respects_characters() {
        assert_eq!(first_half(r#"{"a":"é"}"#), r#"{"a":"#);
        assert_eq!(first_half("xéy"), "x");
        assert_eq!(first_half("{}"), "{");
        assert_eq!(first_half(""), "");
        assert_eq!(first_half("éé"), "é");
    }
}
