//! With `--seq`, when a new connection's live frames (the hub's) may go out: not before the
//! client had the chance to send `resume`, so a resume is answered first and the client sees one
//! increasing sequence (the replay, `resume_result`, then live frames). Sans-IO: `now` comes in.
//!
//! ```text
//!  September ─► Grace{until: start + grace} ─ first client message / until ─► Released
//!  October ───► Handshake ─ handshake complete ─► Grace{until: then + grace} ─► …
//! ```
//!
//! An October client speaks only after the handshake (docs/protocol.md §6): the ack itself
//! is not the message that may be a `resume` (the SDK sends `resume` right after it receives
//! `handshake_complete`). So an October connection holds its live frames through the handshake,
//! the grace starts when the handshake completes, and the first message after it releases them.

use std::time::Duration;

use tokio::time::Instant;

/// With `--seq`, how long a connection's live frames wait for a `resume` once the client may
/// send one (at the connection's start in September, when the handshake completes in October).
pub(crate) const RESUME_GRACE: Duration = Duration::from_millis(500);

/// Whether a connection's live frames are held, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LiveHold {
    /// Live frames go out (no `--seq`, or the hold is over).
    Released,
    /// October: held through the handshake; the grace starts when it completes.
    Handshake,
    /// Held until the client's first message or `until`, whichever comes first.
    Grace {
        /// When the frames go out anyway.
        until: Instant,
    },
}

impl LiveHold {
    /// The hold of a connection starting at `now`: none without `--seq` (`numbered` false),
    /// through the handshake for an October connection, else the grace from `now`.
    pub(crate) fn new(numbered: bool, october: bool, now: Instant) -> Self {
        match (numbered, october) {
            (false, _) => LiveHold::Released,
            (true, true) => LiveHold::Handshake,
            (true, false) => LiveHold::Grace { until: now + RESUME_GRACE },
        }
    }

    /// Whether live frames must wait.
    pub(crate) fn is_holding(self) -> bool {
        !matches!(self, LiveHold::Released)
    }

    /// When the hold ends by itself; `None` when released or waiting for the handshake.
    #[must_use]
    pub(crate) fn deadline(self) -> Option<Instant> {
        match self {
            LiveHold::Grace { until } => Some(until),
            LiveHold::Released | LiveHold::Handshake => None,
        }
    }

    /// The October handshake completed at `now`: the grace starts.
    pub(crate) fn on_handshake_complete(&mut self, now: Instant) {
        if *self == LiveHold::Handshake {
            *self = LiveHold::Grace { until: now + RESUME_GRACE };
        }
    }

    /// A client message arrived: it ends the grace (a `resume` is answered before any live
    /// frame, since it is handled before the socket task reads the hub again). During the
    /// handshake it changes nothing: a `ping` or the ack is no `resume`.
    pub(crate) fn on_client_message(&mut self) {
        if matches!(self, LiveHold::Grace { .. }) {
            *self = LiveHold::Released;
        }
    }

    /// The deadline passed: the frames go out.
    pub(crate) fn on_deadline(&mut self) {
        if matches!(self, LiveHold::Grace { .. }) {
            *self = LiveHold::Released;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::clock::instant;

    #[test]
    fn without_seq_nothing_is_held() {
        let now = instant();
        for october in [false, true] {
            let hold = LiveHold::new(false, october, now);
            assert!(!hold.is_holding());
            assert_eq!(hold.deadline(), None);
        }
    }

    #[test]
    fn a_september_connection_holds_from_its_start_until_its_first_message() {
        let now = instant();
        let mut hold = LiveHold::new(true, false, now);
        assert_eq!(hold.deadline(), Some(now + RESUME_GRACE));
        hold.on_client_message();
        assert!(!hold.is_holding());
        let mut hold = LiveHold::new(true, false, now);
        hold.on_deadline();
        assert_eq!(hold, LiveHold::Released);
    }

    #[test]
    fn an_october_connection_holds_through_the_handshake_then_for_the_grace() {
        let start = instant();
        let mut hold = LiveHold::new(true, true, start);
        assert!(hold.is_holding());
        assert_eq!(hold.deadline(), None, "no grace runs during the handshake");
        // A ping, an early message and the ack itself release nothing.
        hold.on_client_message();
        hold.on_deadline();
        assert_eq!(hold, LiveHold::Handshake);
        let completed = start + Duration::from_secs(3);
        hold.on_handshake_complete(completed);
        assert_eq!(hold.deadline(), Some(completed + RESUME_GRACE), "the grace starts now");
        // The first message after the handshake (a `resume`) releases them.
        hold.on_client_message();
        assert_eq!(hold, LiveHold::Released);
        hold.on_handshake_complete(completed);
        assert_eq!(hold, LiveHold::Released, "a late completion holds nothing again");
    }

    #[test]
    fn an_october_connection_silent_after_the_handshake_is_released_at_the_deadline() {
        let start = instant();
        let mut hold = LiveHold::new(true, true, start);
        hold.on_handshake_complete(start);
        hold.on_deadline();
        assert!(!hold.is_holding());
    }
}
