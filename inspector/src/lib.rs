//! # agentwire-inspector
//!
//! The state behind the agentwire inspector, the debugging page that shows each user's live
//! agent event stream with every missing, out-of-order, duplicate or cross-user event flagged.
//! It is built on the SDK's Rust API: each user is one SDK client (a `Session` inside an
//! `agentwire::Client`), whose [`SessionEvent`](agentwire::SessionEvent)s become
//! [`state::Action`]s; an imported recording is replayed through the SDK's own
//! [`Checker`](agentwire::Checker), as `agentwire check` does.
//!
//! ```text
//!  agentwire::Client (one per user) ──SessionEvent──┐
//!  recording / HAR / frames file ──parse_capture────┼──► Action ──► State::apply ──► State
//!  the page (pause, filter, clear, clock tick) ─────┘                                 │
//!                          lanes · runs · stream · flags (queried by the views) ◄─────┘
//! ```
//!
//! [`state`] is plain data, an `Action` enum and `State::apply`: no IO, no clock, no DOM, so
//! it compiles and is tested natively. The Yew views render what its queries return, always as
//! text: frame contents are data, never markup.
#![deny(missing_docs)]

pub mod state;

pub use state::{Action, State};
