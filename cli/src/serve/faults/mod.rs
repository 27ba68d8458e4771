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
//!
//! The module is in four parts: [`config`] (the kinds, their rates, presets and `--fault`
//! parsing), [`analysis`] (a run's structure and where each kind is detectable in it),
//! [`inject`] (drawing the faults of a run and assembling what is sent) and [`edit`] (what a
//! fault does to one frame's text or timestamps).

mod analysis;
mod config;
mod edit;
mod inject;

pub(crate) use config::{FaultKind, FaultRates, FaultSetting};
pub(crate) use inject::{InjectedFault, Outgoing, apply_to_run};
