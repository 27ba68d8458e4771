//! The October 2025 manager's handshake (docs/protocol.md §6), as the [`Session`] sees it.
//!
//! The server speaks first: `connection_established`, then `handshake_response` with the
//! connection's thread. The session answers `handshake_acknowledged` at once, before anything
//! queued; sends wait until `handshake_complete` (or `handshake_grace`), and the server's thread
//! becomes the default thread of sends. [`HandshakeMode`] says whether every connection waits
//! for the handshake, or only one whose server shows it is an October manager.

use serde::Serialize;

use super::{ClientMessage, Phase, Session, SessionEvent, after};
use crate::event::Event;
use crate::timestamp::Timestamp;

/// Whether a [`Session`] waits for the October 2025 manager's handshake (docs/protocol.md
/// §6) before it sends queued messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeMode {
    /// A `handshake_response` is acknowledged whenever it comes, and holds the queue if the
    /// connection was not ready yet. A welcome that shows an October manager (a
    /// `connection_established` with the full user id, where a September manager truncates it)
    /// holds the queue for up to `handshake_grace` for its `handshake_response`. A server that
    /// never sends one is used as before (a September manager).
    #[default]
    Auto,
    /// Every connection waits for a `handshake_response` (up to `handshake_timeout`) before
    /// the queue is sent: what an October manager needs, which rejects messages sent before
    /// the acknowledgement. The SDK's `env` subprotocol style implies it.
    Expect,
}

/// How the October 2025 handshake of a connection ended (docs/protocol.md §6).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandshakeOutcome {
    /// `handshake_response` acknowledged, then `handshake_complete` received.
    Complete {
        /// The thread the server assigned (`None` when its `handshake_response` named none).
        thread_id: Option<String>,
    },
    /// `handshake_response` acknowledged, but no `handshake_complete` within
    /// `handshake_grace`: the connection is used anyway.
    Acknowledged {
        /// The thread the server assigned (`None` when its `handshake_response` named none).
        thread_id: Option<String>,
    },
    /// A handshake was expected ([`HandshakeMode::Expect`]) and no `handshake_response` came
    /// within `handshake_timeout`: the connection is used without one, and sends carry no
    /// server-assigned thread.
    Missing,
}

/// Where a connection's October 2025 handshake is.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum HandshakeStep {
    /// None seen and none expected (a September manager, or one whose handshake is over).
    Idle,
    /// Expected: waiting for `handshake_response` until `deadline`.
    Awaiting { deadline: Timestamp },
    /// Acknowledged: waiting for `handshake_complete` until `deadline`, sends held.
    Acknowledged { thread_id: Option<String>, deadline: Timestamp },
    /// Acknowledged on a connection that was already ready (a late handshake in
    /// [`HandshakeMode::Auto`]): sends flow; `handshake_complete` is awaited only to report
    /// the outcome.
    Trailing { thread_id: Option<String>, deadline: Timestamp },
}

impl HandshakeStep {
    /// Whether the handshake holds sends back (the state is `handshaking`).
    pub(super) fn is_pending(&self) -> bool {
        matches!(self, HandshakeStep::Awaiting { .. } | HandshakeStep::Acknowledged { .. })
    }

    pub(super) fn deadline(&self) -> Option<Timestamp> {
        match self {
            HandshakeStep::Idle => None,
            HandshakeStep::Awaiting { deadline }
            | HandshakeStep::Acknowledged { deadline, .. }
            | HandshakeStep::Trailing { deadline, .. } => Some(*deadline),
        }
    }
}

impl Session {
    /// The handshake step a new connection starts in.
    pub(super) fn opening_handshake(&self, now: Timestamp) -> HandshakeStep {
        match self.config.handshake {
            HandshakeMode::Auto => HandshakeStep::Idle,
            HandshakeMode::Expect => {
                HandshakeStep::Awaiting { deadline: after(now, self.config.handshake_timeout) }
            }
        }
    }

    /// A `connection_established` before the connection is ready: in [`HandshakeMode::Auto`],
    /// one that shows an October manager makes the queue wait for its `handshake_response`.
    pub(super) fn welcomed(&mut self, now: Timestamp, event: &Event) {
        let october = event.wire_type == "connection_established"
            && event.context.user_id.as_deref().is_some_and(|user| !user.ends_with("..."));
        if !october || self.config.handshake != HandshakeMode::Auto {
            return;
        }
        let deadline = after(now, self.config.handshake_grace);
        let Phase::Open { handshake, ready_at: Some(_), .. } = &mut self.phase else { return };
        if matches!(handshake, HandshakeStep::Idle) {
            *handshake = HandshakeStep::Awaiting { deadline };
            self.push_state();
        }
    }

    /// The outcome of a handshake whose deadline passed.
    pub(super) fn handshake_timed_out(&mut self, now: Timestamp, step: HandshakeStep) {
        let outcome = match step {
            HandshakeStep::Acknowledged { thread_id, .. }
            | HandshakeStep::Trailing { thread_id, .. } => {
                HandshakeOutcome::Acknowledged { thread_id }
            }
            HandshakeStep::Awaiting { .. } | HandshakeStep::Idle => HandshakeOutcome::Missing,
        };
        self.end_handshake(now, outcome);
    }

    /// A `handshake_response`: acknowledged at once (before anything queued, which waits for
    /// `handshake_complete` or the grace), and its thread adopted.
    pub(super) fn acknowledge_handshake(&mut self, now: Timestamp, thread_id: Option<String>) {
        self.transmit(now, &ClientMessage::HandshakeAcknowledged { thread_id: thread_id.clone() });
        if let Some(thread) = thread_id.as_deref() {
            self.thread_id = Some(thread.to_owned());
            self.add_thread(thread);
        }
        let deadline = after(now, self.config.handshake_grace);
        let Phase::Open { handshake, ready_at, resume, .. } = &mut self.phase else { return };
        // A `resume` sent before the handshake was refused by the manager (it takes nothing
        // before the acknowledgement): it goes again once the handshake is over.
        if let Some(pending) = resume.as_mut() {
            pending.sent = false;
        }
        let was_pending = handshake.is_pending();
        if was_pending || ready_at.is_some() {
            *handshake = HandshakeStep::Acknowledged { thread_id, deadline };
            if !was_pending {
                self.push_state();
            }
        } else {
            *handshake = HandshakeStep::Trailing { thread_id, deadline };
        }
    }

    pub(super) fn complete_handshake(&mut self, now: Timestamp) {
        if let Phase::Open {
            handshake:
                HandshakeStep::Acknowledged { thread_id, .. }
                | HandshakeStep::Trailing { thread_id, .. },
            ..
        } = &self.phase
        {
            let thread_id = thread_id.clone();
            self.end_handshake(now, HandshakeOutcome::Complete { thread_id });
        }
    }

    pub(super) fn end_handshake(&mut self, now: Timestamp, outcome: HandshakeOutcome) {
        let Phase::Open { handshake, ready_at, .. } = &mut self.phase else { return };
        let held = handshake.is_pending();
        let unready = ready_at.is_some();
        *handshake = HandshakeStep::Idle;
        self.events.push_back(SessionEvent::Handshake(outcome));
        // The resume first, so the server replays before anything live; then the queue (and
        // the state `open`).
        self.send_resume(now);
        if held || unready {
            self.become_ready(now);
        }
    }
}
