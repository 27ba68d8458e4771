//! # agentwire
//!
//! Typed, tolerant decoding and live checking of the event streams that AI-agent backends send
//! to the browser over their WebSocket "manager".
//!
//! Every frame decodes into one typed [`Event`] (or a typed [`DecodeError`], never a panic), and
//! the run [`Checker`] flags every way the stream departs from a healthy agent run: missing,
//! out-of-order, duplicate and cross-user events, stalls and sequence gaps. Rule ids
//! ([`Rule`]) are stable public names.
//!
//! ```text
//!  frame text ──► decode ──► Event ──► Checker ──► Flag (rule, severity, frames, sentence)
//!                   │                     ▲
//!                   └── DecodeError ──────┘ (malformed-frame)
//!
//!  recording (JSONL) / HAR ──► recording::RecordingReader / read_har_messages ──► frame text
//! ```
//!
//! Everything here is sans-IO and compiles natively: time comes in as an argument
//! ([`Timestamp`]), nothing reads a clock or a socket.
//!
//! ```
//! use agentwire::{Checker, CheckerConfig, Rule};
//!
//! let mut checker = Checker::new(CheckerConfig::offline());
//! let frames = [
//!     r#"{"type":"agent_started","user_id":"u1","thread_id":"t1","run_id":"r1","timestamp":"2025-09-18T14:56:14+00:00"}"#,
//!     r#"{"type":"tool_completed","tool_name":"cost_analyzer","results":{},"run_id":"r1"}"#,
//! ];
//! for frame in frames {
//!     let _ = checker.handle_text(frame, None);
//! }
//! checker.finish();
//! let rules: Vec<Rule> = std::iter::from_fn(|| checker.poll_flag()).map(|flag| flag.rule).collect();
//! assert!(rules.contains(&Rule::ToolCompletedWithoutExecuting));
//! assert!(rules.contains(&Rule::RunIncomplete));
//! ```
#![deny(missing_docs)]

pub mod backoff;
mod bytes;
pub mod check;
pub mod close;
pub mod decode;
pub mod encode;
pub mod event;
mod fingerprint;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js;
mod json;
pub mod recording;
pub mod session;
pub mod timestamp;
pub mod token;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use backoff::Backoff;
pub use check::{
    Checked, Checker, CheckerConfig, Flag, Rule, RuleCounts, Scope, Severity, Summary, Verdict,
};
pub use close::CloseAction;
pub use decode::{DecodeError, decode, decode_bytes, decode_owned, decode_value};
pub use encode::{ClientMessage, CustomMessage, CustomMessageError};
pub use event::{Context, Event, EventKind, RawFrame};
pub use session::{
    Command, ConnectionState, HandshakeMode, HandshakeOutcome, ResumeOutcome, SendError, Session,
    SessionConfig, SessionEvent, Stats,
};
pub use timestamp::Timestamp;
#[cfg(target_arch = "wasm32")]
pub use web::{Client, ClientOptions, ConnectError, EventStream, Subscription};

/// The npm package's allocator: talc instead of the standard library's dlmalloc, smaller and
/// faster in wasm (BENCHMARKS.md, "A lean data path, sixth step"). Only the JS API's builds set
/// it: a Rust program that links the SDK (the inspector) keeps its own choice.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics"), feature = "js"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The README's Rust examples, compiled and run as doc tests so the front page stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
