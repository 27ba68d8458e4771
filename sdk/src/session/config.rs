//! How a session behaves: [`SessionConfig`], every field with its documented default.

use std::collections::HashSet;
use std::time::Duration;

use super::HandshakeMode;
use crate::backoff::Backoff;
use crate::check::CheckerConfig;
use crate::recording::MAX_LINE;

/// How a [`Session`](super::Session) behaves. Every field has a documented default
/// ([`SessionConfig::default`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// The reconnect delays (full jitter, 0.5 s first ceiling, 30 s cap, unlimited attempts,
    /// counter reset after 5 s of uptime).
    pub backoff: Backoff,
    /// How long a socket may take to open, token fetch included (default 10 s).
    pub connect_timeout: Duration,
    /// How often to send a `ping` while open (default 25 s).
    pub ping_every: Duration,
    /// Silence after which the connection counts as dead and is recycled (default 45 s). It
    /// should exceed `ping_every` so a ping's answer has time to arrive.
    pub dead_after: Duration,
    /// How long a freshly opened, silent connection waits before its queue is flushed anyway
    /// (default 1 s).
    pub ready_after: Duration,
    /// How many messages may wait while the connection is not ready (default 100).
    pub queue_limit: usize,
    /// The longest frame decoded, in bytes (default [`MAX_LINE`], 16 MiB, the longest line a
    /// recording reader keeps). A longer frame is not decoded, and in the browser not even
    /// copied into wasm: it is a `malformed-frame` flag with [`DecodeError::TooLong`] and the
    /// connection goes on. The manager advertises 1 MiB; the bound is for a broken or hostile
    /// server, whose one frame could otherwise exhaust the page's wasm memory. A limit below
    /// the size of the manager's own control frames (`connection_established` is a few hundred
    /// bytes) refuses those too, and the connection is never welcomed; the JS option takes
    /// 4 KiB to 256 MiB.
    ///
    /// [`DecodeError::TooLong`]: crate::DecodeError::TooLong
    pub max_frame_bytes: usize,
    /// Whether to `resume` after a reconnect when the server numbers its frames (default true).
    pub resume: bool,
    /// Whether the driver can fetch a fresh token; if so, an auth failure gets one retry with
    /// a fresh token before the session gives up (default false).
    pub refresh_token: bool,
    /// When set, only events of these threads (or of threads the client sends to) and events
    /// without a thread reach the application; the others are counted in
    /// [`Stats::filtered`](super::Stats::filtered). They are still checked (a foreign `user_id`
    /// is a flag either way). The session grows this set as it goes;
    /// [`Session::config`](super::Session::config) shows the live one.
    pub threads: Option<HashSet<String>>,
    /// Whether events the checker flags as `duplicate-event` (the same agent event again, as
    /// at-least-once delivery and manager retries produce) still reach the application (default
    /// false: the flag is raised, the repeat is counted in
    /// [`Stats::duplicates`](super::Stats::duplicates) and not delivered, so an app never shows
    /// a tool call twice). A debugging view wants them.
    pub deliver_duplicates: bool,
    /// Whether the server is expected to open with the October 2025 handshake (default
    /// [`HandshakeMode::Auto`]: answered when it comes, not waited for).
    pub handshake: HandshakeMode,
    /// With [`HandshakeMode::Expect`]: how long a new connection waits for `handshake_response`
    /// before it is used without a handshake (default 5 s; the manager's own client gives up
    /// after about 7 s).
    pub handshake_timeout: Duration,
    /// After `handshake_acknowledged`: how long to wait for `handshake_complete` before the
    /// connection counts as ready anyway; in [`HandshakeMode::Auto`], also how long an
    /// October-looking welcome waits for `handshake_response` (default 1 s).
    pub handshake_grace: Duration,
    /// The live checker's configuration (the user, the stall deadline, ...).
    pub checker: CheckerConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(10),
            ping_every: Duration::from_secs(25),
            dead_after: Duration::from_secs(45),
            ready_after: Duration::from_secs(1),
            queue_limit: 100,
            max_frame_bytes: MAX_LINE,
            resume: true,
            refresh_token: false,
            threads: None,
            deliver_duplicates: false,
            handshake: HandshakeMode::Auto,
            handshake_timeout: Duration::from_secs(5),
            handshake_grace: Duration::from_secs(1),
            checker: CheckerConfig::live(),
        }
    }
}
