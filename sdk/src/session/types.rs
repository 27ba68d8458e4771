//! The session's public data: where the connection stands ([`ConnectionState`]), why it ended
//! or a socket went away, what a resume achieved, what the application hears
//! ([`SessionEvent`]), what the driver must do ([`Command`]), why a send was refused, and the
//! counters ([`Stats`]). Re-exported from [`crate::session`].

use serde::Serialize;

use super::HandshakeOutcome;
use crate::check::{Flag, RuleCounts, Verdict};
use crate::decode::DecodeError;
use crate::encode::ClientMessage;
use crate::event::Event;
use crate::timestamp::Timestamp;

/// Where the connection stands, as the application sees it.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectionState {
    /// Created, not connecting yet.
    Idle,
    /// A socket is being opened (or a token fetched for it), or it is open and the server has
    /// not accepted it yet (no frame that is not an auth failure, and `ready_after` has not
    /// passed: a manager accepts the socket before it checks the token).
    Connecting {
        /// 0 for the first attempt, then the number of failed attempts before this one.
        attempt: u32,
    },
    /// The socket is open, and the October 2025 handshake is under way: the server's
    /// `handshake_response` is awaited or acknowledged, `handshake_complete` not yet seen.
    /// Messages sent now wait in the queue.
    Handshaking,
    /// The server accepted the connection: it sent a frame that is not an auth failure (or
    /// stayed silent for `ready_after`), past the handshake if there is one. Sends go out at once.
    Open,
    /// Waiting before the next attempt.
    BackingOff {
        /// The attempt that will follow the wait.
        attempt: u32,
        /// When the next attempt starts.
        #[cfg_attr(target_arch = "wasm32", tsify(type = "Timestamp"))]
        retry_at: Timestamp,
        /// The wait, in milliseconds.
        delay_ms: u64,
    },
    /// Over for good.
    Closed {
        /// Why.
        reason: ClosedReason,
        /// Messages that were still waiting to be sent, in order (never dropped silently).
        unsent: Vec<ClientMessage>,
    },
}

impl ConnectionState {
    /// The state's name: `idle`, `connecting`, `handshaking`, `open`, `backing_off` or `closed`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ConnectionState::Idle => "idle",
            ConnectionState::Connecting { .. } => "connecting",
            ConnectionState::Handshaking => "handshaking",
            ConnectionState::Open => "open",
            ConnectionState::BackingOff { .. } => "backing_off",
            ConnectionState::Closed { .. } => "closed",
        }
    }
}

/// Why a session ended.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClosedReason {
    /// The application closed it.
    Client,
    /// The server refused the credentials (close 1008, an auth-looking 1011, or an
    /// `AUTH_FAILED` frame), and no fresh token helped.
    AuthFailed {
        /// The close code, when the server closed.
        code: Option<u16>,
        /// What the server said (its close reason or error message), or why no token came.
        message: String,
    },
    /// `backoff.max_attempts` retries failed.
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
    },
}

/// Why a socket went away.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DisconnectCause {
    /// The server or the network closed it (see the code and reason).
    Closed,
    /// It did not open within `connect_timeout`.
    ConnectTimeout,
    /// Nothing arrived for `dead_after`: the client recycled it.
    HeartbeatTimeout,
    /// No token could be obtained for the attempt.
    TokenUnavailable,
}

/// A socket that went away, for the lifecycle timeline.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disconnect {
    /// The close code (1006 when the socket never opened or vanished without a close frame).
    pub code: u16,
    /// The close reason as received.
    pub reason: String,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
    /// Why.
    pub cause: DisconnectCause,
}

/// An inclusive range of sequence numbers.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SeqRange {
    /// The first number in the range.
    pub first: u64,
    /// The last number in the range.
    pub last: u64,
}

/// What a `resume` after a reconnect achieved.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResumeOutcome {
    /// Every frame after `last_seq` came back (possibly none was missed).
    Recovered {
        /// The last number received before the reconnect.
        last_seq: u64,
        /// How many frames were replayed.
        replayed: u64,
    },
    /// Some frames came back; the oldest ones had expired on the server.
    Partial {
        /// The last number received before the reconnect.
        last_seq: u64,
        /// How many frames were replayed.
        replayed: u64,
        /// The frames that are lost.
        missing: SeqRange,
    },
    /// Nothing could be replayed.
    Unrecoverable {
        /// The last number received before the reconnect.
        last_seq: u64,
        /// The frames that are lost.
        missing: SeqRange,
    },
    /// The server's numbering is behind the client's: it restarted, or lost its history, and
    /// numbers from scratch. Whatever it sent between the client's last frame and its restart
    /// cannot be counted or replayed (an interrupted run shows up as `run-stalled`). Sequence
    /// tracking starts again from the server's numbers, so later resumes are exact again.
    Reset {
        /// The last number received before the reconnect.
        last_seq: u64,
        /// The server's last number (`to_seq` of its `resume_result`).
        server_last_seq: u64,
    },
}

/// Something the application should hear about, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A decoded frame (control frames included), unless the thread filter held it back or it
    /// repeats an earlier event (see
    /// [`SessionConfig::deliver_duplicates`](super::SessionConfig::deliver_duplicates)).
    Event {
        /// The event.
        event: Box<Event>,
        /// Its index among the frames the checker saw (0-based), as flags name frames.
        frame: u64,
        /// When it arrived: the time the live checker judged it by.
        at: Timestamp,
        /// What the checker did with it: its run, and what it opened or closed there (a view of
        /// runs draws from this instead of matching events a second time).
        verdict: Verdict,
    },
    /// A frame that did not decode (it is also a `malformed-frame` flag). Its text is kept so
    /// nothing the server sent is lost: a debugging view shows it, a recording keeps it. The
    /// one exception is a frame over [`SessionConfig::max_frame_bytes`](super::SessionConfig::max_frame_bytes):
    /// keeping it is what the limit prevents, so its text is empty and `error` is a
    /// [`DecodeError::TooLong`] with its length.
    Malformed {
        /// Its index among the frames the checker saw, as the flag names it.
        frame: u64,
        /// When it arrived.
        at: Timestamp,
        /// The frame's text (a binary frame that is not UTF-8 is decoded lossily; empty for a
        /// frame over the size limit).
        text: String,
        /// Why it did not decode.
        error: DecodeError,
    },
    /// The live checker flagged something.
    Flag(Flag),
    /// The connection state changed.
    State(ConnectionState),
    /// A socket went away (followed by a state change).
    Disconnected(Disconnect),
    /// A `resume` after a reconnect finished.
    Resumed(ResumeOutcome),
    /// The October 2025 handshake of a connection ended (followed by the state `open`).
    Handshake(HandshakeOutcome),
}

/// Something the driver must do with the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Open a new socket, replacing any previous one. With `fresh_token`, fetch a new token
    /// first (call [`Session::handle_token_error`](super::Session::handle_token_error) if that
    /// fails).
    Connect {
        /// Whether the previous token was refused.
        fresh_token: bool,
    },
    /// Send this text on the open socket.
    Send(String),
    /// Close the current socket with this code and reason and forget it: the session has
    /// already moved on, and events from that socket must not be fed back.
    Close {
        /// 1000, or 4000 for a dead connection.
        code: u16,
        /// A short reason, without secrets.
        reason: &'static str,
    },
}

/// Why a send was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is not ready and the queue already holds `limit` messages.
    #[error("the outbound queue is full ({limit} messages wait for the connection)")]
    QueueFull {
        /// The queue's limit.
        limit: usize,
    },
    /// The session is closed for good.
    #[error("the connection is closed")]
    Closed,
}

/// Counters for the application and the inspector.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Frames received.
    pub frames: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Events delivered to the application.
    pub events: u64,
    /// Events held back by the thread filter.
    pub filtered: u64,
    /// Repeated events held back (flagged `duplicate-event`, not delivered).
    pub duplicates: u64,
    /// Frames that did not decode (each is also a `malformed-frame` flag).
    pub decode_errors: u64,
    /// Connection attempts after the first.
    pub reconnects: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages waiting for the connection.
    pub queued: usize,
    /// Flags raised.
    pub flags: u64,
    /// Flags raised, by rule id.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Partial<Record<RuleId, number>>"))]
    pub flags_by_rule: RuleCounts,
    /// The highest `seq` received (sequence extension).
    pub last_seq: Option<u64>,
    /// When the last frame arrived.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Timestamp | null"))]
    pub last_frame_at: Option<Timestamp>,
}
