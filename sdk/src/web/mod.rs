//! The browser glue (wasm32 only): it owns the sockets, timers and page listeners, feeds what
//! happens to the sans-IO [`Session`](crate::Session) and carries out what it asks.
//!
//! ```text
//!  WebSocket / timer / online, visibilitychange, pageshow
//!        │ (plain Rust values)
//!        ▼
//!  client::Shared ── Session::handle_*(now) ──► poll_command ─► transport
//!                                          └─► poll_event ──► listeners (Rust Fn, JS)
//!                                          └─► poll_timeout ► timer
//! ```
//!
//! Nothing here decides anything: every decision is in the session, tested natively.

mod client;
mod clock;
mod listener;
mod transport;

#[cfg(feature = "js")]
pub(crate) use client::ReceivedText;
pub use client::{
    Client, ClientOptions, ConnectError, EventStream, Subscription, TokenReply, TokenSource,
};
pub use listener::Listener;
#[doc(hidden)]
pub use listener::live_resources;
