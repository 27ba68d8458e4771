//! # agentwire-inspector
//!
//! The agentwire inspector, the debugging page that shows each user's live agent event stream
//! with every missing, out-of-order, duplicate or cross-user event flagged. It is built on the
//! SDK's Rust API: each user is one SDK client (an `agentwire::Client`), whose
//! [`SessionEvent`](agentwire::SessionEvent)s become [`state::Action`]s; an imported recording
//! is replayed through the SDK's own [`Checker`](agentwire::Checker), as `agentwire check` does.
//!
//! ```text
//!  agentwire::Client (one per user) ──SessionEvent──┐
//!  recording / HAR / frames file ──parse_capture────┼──► Action ──► State::apply ──► State
//!  the page (pause, filter, clear, clock tick) ─────┘                                 │
//!                          lanes · runs · stream · flags (queried by the views) ◄─────┘
//! ```
//!
//! [`state`] is plain data, an `Action` enum and `State::apply`: no IO, no clock, no DOM, so
//! it compiles and is tested natively, as are [`page`] (the page's own state: selection, dialogs,
//! notices, a reducer `App` dispatches to), [`format`](mod@format), [`settings`] and [`scroll`] (where a
//! virtualised list's rows go, for lists taller than a browser lets an element be). The Yew page (`App`,
//! its components and hooks, wasm32 only) renders what the state's queries return, always as
//! text: frame contents are data, never markup.
#![deny(missing_docs)]

pub mod format;
pub mod page;
pub mod scroll;
pub mod settings;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod hooks;
#[cfg(target_arch = "wasm32")]
pub mod store;

#[cfg(target_arch = "wasm32")]
pub use app::{App, AppProps};
pub use state::{Action, State};

/// Renders the inspector into the page's `<body>` (the host page, www/index.html, calls it
/// after loading the module).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount() {
    yew::Renderer::<App>::new().render();
}
