//! The October 2025 handshake (docs/protocol.md §6), server side, as a sans-IO state
//! machine: the socket task sends `handshake_response` after `connection_established`, then
//! feeds every client message through [`Handshake::on_message`] and waits until
//! [`Handshake::deadline`].
//!
//! ```text
//!  upgrade + auth ─► connection_established ─► handshake_response{thread_id}
//!                                                   │
//!          AwaitingAck ── keepalive ────────► processed as usual: ping ► pong, heartbeat ►
//!               │                             heartbeat_ack, pong and heartbeat_ack ► nothing
//!               │      ── other message ────► error_message HANDSHAKE_INCOMPLETE (not processed)
//!               │      ── ack, other thread ► error_message HANDSHAKE_THREAD_MISMATCH (still waiting)
//!               │      ── deadline ─────────► close 1002 "handshake not acknowledged within N s"
//!               ▼ handshake_acknowledged{thread_id}
//!          Complete ─► handshake_complete, before any other frame; then the hub's held frames
//!                      (with --seq, after the client's next message or a grace: hold.rs)
//! ```
//!
//! Decisions (also in README.md, "The October 2025 profile"):
//! * a keepalive ([`KEEPALIVES`]) before the ack is an ordinary message, answered as in
//!   September, starting no run: a client's keepalive timer need not wait for the handshake;
//! * any other message but the ack before the ack is answered with an `error_message` (code
//!   `HANDSHAKE_INCOMPLETE`) and never processed, so a `user_message` starts no run;
//! * an ack naming another thread gets an `error_message` (code `HANDSHAKE_THREAD_MISMATCH`)
//!   and the server keeps waiting, the deadline unchanged;
//! * no ack by the deadline closes the connection with [`TIMEOUT_CLOSE_CODE`], 1002 (protocol
//!   error), not 1008: clients read 1008 as the manager's authentication failure and stop
//!   retrying for good (the SDK's `close::classify`), while a missing ack is a protocol slip a
//!   reconnect may fix;
//! * after the ack the handshake thread is the connection's default thread: a `user_message`
//!   without `thread_id` runs on it.

use serde_json::Value;
use tokio::time::Instant;

/// The keepalive message types a client may send before the ack: processed as in September
/// (`ping` gets `pong`, `heartbeat` gets `heartbeat_ack`, the answers get nothing), never a run.
pub(crate) const KEEPALIVES: [&str; 4] = ["ping", "pong", "heartbeat", "heartbeat_ack"];

/// Where a connection's handshake stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Handshake {
    /// `handshake_response` is sent; the ack is due by `deadline`.
    AwaitingAck {
        /// The thread the server assigned.
        thread_id: String,
        /// When the connection is closed without an ack.
        deadline: Instant,
    },
    /// The client acknowledged; `handshake_complete` is (being) sent.
    Complete {
        /// The connection's default thread.
        thread_id: String,
    },
}

/// What to do with one client message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The expected ack: send `handshake_complete` now, before anything else.
    Acknowledged,
    /// An ack naming another thread (or none): answer with an error, keep waiting.
    WrongThread {
        /// The thread the ack named, if any.
        named: Option<String>,
    },
    /// A message before the ack: answer with an error and do not process it.
    Early {
        /// Its `type` (`None` when it has none or is not JSON).
        kind: Option<String>,
    },
    /// Process it as usual (a keepalive before the ack, anything after it).
    Process,
}

impl Handshake {
    /// A handshake whose `handshake_response` named `thread_id`, acknowledged by `deadline`.
    pub(crate) fn new(thread_id: String, deadline: Instant) -> Self {
        Handshake::AwaitingAck { thread_id, deadline }
    }

    /// The server-assigned thread: the connection's default thread once complete.
    pub(crate) fn thread_id(&self) -> &str {
        match self {
            Handshake::AwaitingAck { thread_id, .. } | Handshake::Complete { thread_id } => {
                thread_id
            }
        }
    }

    /// Whether the client acknowledged.
    pub(crate) fn is_complete(&self) -> bool {
        matches!(self, Handshake::Complete { .. })
    }

    /// When the connection is closed for want of an ack; `None` once complete.
    #[must_use]
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Handshake::AwaitingAck { deadline, .. } => Some(*deadline),
            Handshake::Complete { .. } => None,
        }
    }

    /// Judges one client text message. An ack with the right thread completes the handshake;
    /// nothing else changes the state.
    pub(crate) fn on_message(&mut self, text: &str) -> Verdict {
        let Handshake::AwaitingAck { thread_id, .. } = self else { return Verdict::Process };
        let message = serde_json::from_str::<Value>(text).ok();
        let kind = message.as_ref().and_then(|m| m.get("type")).and_then(Value::as_str);
        match kind {
            Some(kind) if KEEPALIVES.contains(&kind) => Verdict::Process,
            Some("handshake_acknowledged") => {
                let named = message.as_ref().and_then(named_thread);
                if named.as_deref() == Some(thread_id.as_str()) {
                    *self = Handshake::Complete { thread_id: std::mem::take(thread_id) };
                    Verdict::Acknowledged
                } else {
                    Verdict::WrongThread { named }
                }
            }
            other => Verdict::Early { kind: other.map(str::to_owned) },
        }
    }
}

/// The thread an ack names: root `thread_id`, else `payload.thread_id` (§3's body rule).
fn named_thread(message: &Value) -> Option<String> {
    let at = |value: &Value| value.get("thread_id").and_then(Value::as_str).map(str::to_owned);
    at(message).or_else(|| message.get("payload").and_then(at))
}

/// The close code when no ack came in time: 1002, protocol error (not 1008, which clients take
/// for an authentication failure and never retry).
pub(crate) const TIMEOUT_CLOSE_CODE: u16 = 1002;

/// The close reason when no ack came in time: "handshake not acknowledged within 10 s".
pub(crate) fn timeout_reason(seconds: f64) -> String {
    format!("handshake not acknowledged within {seconds} s")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::serve::clock::instant;

    fn awaiting() -> Handshake {
        Handshake::new("thread_ab12".into(), instant() + Duration::from_secs(10))
    }

    #[tokio::test]
    async fn the_right_ack_completes_the_handshake_once() {
        let mut handshake = awaiting();
        assert!(handshake.deadline().is_some());
        let ack = json!({"type": "handshake_acknowledged", "thread_id": "thread_ab12", "timestamp": "2025-10-31T10:00:00Z"});
        assert_eq!(handshake.on_message(&ack.to_string()), Verdict::Acknowledged);
        assert!(handshake.is_complete());
        assert_eq!(handshake.thread_id(), "thread_ab12");
        assert_eq!(handshake.deadline(), None);
        // A second ack is an ordinary message now.
        assert_eq!(handshake.on_message(&ack.to_string()), Verdict::Process);
    }

    #[tokio::test]
    async fn an_ack_in_a_payload_counts() {
        let mut handshake = awaiting();
        let ack =
            json!({"type": "handshake_acknowledged", "payload": {"thread_id": "thread_ab12"}});
        assert_eq!(handshake.on_message(&ack.to_string()), Verdict::Acknowledged);
    }

    #[tokio::test]
    async fn an_ack_naming_another_thread_or_none_keeps_waiting() {
        let mut handshake = awaiting();
        let before = handshake.clone();
        let wrong = json!({"type": "handshake_acknowledged", "thread_id": "thread_other"});
        assert_eq!(
            handshake.on_message(&wrong.to_string()),
            Verdict::WrongThread { named: Some("thread_other".into()) }
        );
        let none = json!({"type": "handshake_acknowledged"});
        assert_eq!(handshake.on_message(&none.to_string()), Verdict::WrongThread { named: None });
        assert_eq!(handshake, before, "the deadline is unchanged");
    }

    #[tokio::test]
    async fn messages_before_the_ack_are_early_except_keepalives() {
        let mut handshake = awaiting();
        let user = json!({"type": "user_message", "payload": {"content": "hi"}});
        assert_eq!(
            handshake.on_message(&user.to_string()),
            Verdict::Early { kind: Some("user_message".into()) }
        );
        assert_eq!(handshake.on_message("not json"), Verdict::Early { kind: None });
        for keepalive in ["ping", "pong", "heartbeat", "heartbeat_ack"] {
            let message = json!({"type": keepalive});
            assert_eq!(handshake.on_message(&message.to_string()), Verdict::Process, "{keepalive}");
        }
        assert!(!handshake.is_complete());
    }

    #[test]
    fn the_timeout_reason_names_the_seconds() {
        assert_eq!(timeout_reason(10.0), "handshake not acknowledged within 10 s");
        assert_eq!(timeout_reason(0.5), "handshake not acknowledged within 0.5 s");
    }
}
