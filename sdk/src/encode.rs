//! Client messages: what the SDK sends to the manager (docs/protocol.md §3).
//!
//! The manager reads a message's body from `payload` when that key exists (it never unwraps
//! `data`), so every message with a body puts it in `payload`. Timestamps go out as ISO 8601,
//! never as epoch milliseconds (which the manager would misread as seconds).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{Members, Object};

use crate::timestamp::Timestamp;

/// A message from the client to the manager.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientMessage {
    /// A chat message from the user; starts an agent run on the thread.
    UserMessage {
        /// The text the user typed.
        content: String,
        /// The thread to continue; `None` lets the server create one.
        thread_id: Option<String>,
    },
    /// Starts an agent on a request.
    StartAgent {
        /// What the agent should do (`user_request`, required by the manager's handler).
        user_request: String,
        /// The thread to continue; `None` lets the server create one.
        thread_id: Option<String>,
    },
    /// A keepalive; the server answers `pong` (with the connection's full user id).
    Ping,
    /// The answer to a server `ping`.
    Pong,
    /// The answer to a server `heartbeat`.
    HeartbeatAck,
    /// Asks a server that numbers frames to replay what came after `last_seq`
    /// (agentwire's sequence extension, docs/rules.md).
    Resume {
        /// The last sequence number the client received.
        last_seq: u64,
    },
    /// The answer to an October 2025 manager's `handshake_response` (docs/protocol.md
    /// §6): sent at once, before any queued message. Its fields are at the root.
    HandshakeAcknowledged {
        /// The thread the server assigned (echoed; `None` when the server named none).
        thread_id: Option<String>,
    },
}

impl ClientMessage {
    /// The wire `type` of this message.
    #[must_use]
    pub fn wire_type(&self) -> &'static str {
        match self {
            ClientMessage::UserMessage { .. } => "user_message",
            ClientMessage::StartAgent { .. } => "start_agent",
            ClientMessage::Ping => "ping",
            ClientMessage::Pong => "pong",
            ClientMessage::HeartbeatAck => "heartbeat_ack",
            ClientMessage::Resume { .. } => "resume",
            ClientMessage::HandshakeAcknowledged { .. } => "handshake_acknowledged",
        }
    }

    /// The message as the JSON object the manager expects, stamped with `now` when given.
    #[must_use]
    pub fn to_value(&self, now: Option<Timestamp>) -> Value {
        serde_json::from_str(&self.encode(now)).unwrap_or(Value::Null)
    }

    /// The message as JSON text, ready to send.
    #[must_use]
    pub fn encode(&self, now: Option<Timestamp>) -> String {
        let mut out = String::with_capacity(96);
        let mut object = Object::open(&mut out);
        object.field("type", self.wire_type());
        match self {
            ClientMessage::UserMessage { content, thread_id } => {
                object.field(
                    "payload",
                    &Members(|payload| {
                        payload.field("content", content).field("thread_id", thread_id);
                    }),
                );
            }
            ClientMessage::StartAgent { user_request, thread_id } => {
                object.field(
                    "payload",
                    &Members(|payload| {
                        payload
                            .field("user_request", user_request)
                            .field("thread_id", thread_id)
                            .field("context", &Members(|_| {}))
                            .field("settings", &Members(|_| {}));
                    }),
                );
            }
            ClientMessage::Resume { last_seq } => {
                object.field(
                    "payload",
                    &Members(|payload| {
                        payload.field("last_seq", last_seq);
                    }),
                );
            }
            ClientMessage::HandshakeAcknowledged { thread_id: Some(thread_id) } => {
                object.field("thread_id", thread_id);
            }
            ClientMessage::Ping
            | ClientMessage::Pong
            | ClientMessage::HeartbeatAck
            | ClientMessage::HandshakeAcknowledged { thread_id: None } => {}
        }
        object.some("timestamp", &now);
        object.close();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_message_puts_its_body_in_payload_for_the_manager() {
        let message = ClientMessage::UserMessage {
            content: "Cut my GPU spend".into(),
            thread_id: Some("thread_1".into()),
        };
        assert_eq!(
            message.to_value(None),
            json!({"type":"user_message","payload":{"content":"Cut my GPU spend","thread_id":"thread_1"}})
        );
    }

    #[test]
    fn start_agent_sends_user_request_and_null_thread_when_new() {
        let message =
            ClientMessage::StartAgent { user_request: "Analyse costs".into(), thread_id: None };
        assert_eq!(
            message.to_value(None),
            json!({"type":"start_agent","payload":{"user_request":"Analyse costs","thread_id":null,"context":{},"settings":{}}})
        );
    }

    #[test]
    fn keepalives_have_no_payload_and_iso_timestamps() {
        let now = Timestamp::from_unix_micros(1_758_207_374_123_000);
        assert_eq!(
            ClientMessage::Ping.to_value(Some(now)),
            json!({"type":"ping","timestamp":"2025-09-18T14:56:14.123000Z"})
        );
        assert_eq!(ClientMessage::Pong.encode(None), r#"{"type":"pong"}"#);
        assert_eq!(
            ClientMessage::Ping.encode(Some(now)),
            r#"{"type":"ping","timestamp":"2025-09-18T14:56:14.123000Z"}"#
        );
        assert_eq!(ClientMessage::HeartbeatAck.encode(None), r#"{"type":"heartbeat_ack"}"#);
    }

    #[test]
    fn handshake_acknowledged_echoes_the_thread_at_the_root_with_an_iso_utc_time() {
        let now = Timestamp::from_unix_micros(1_758_207_374_123_000);
        let message = ClientMessage::HandshakeAcknowledged { thread_id: Some("thread_9".into()) };
        assert_eq!(
            message.to_value(Some(now)),
            json!({"type":"handshake_acknowledged","thread_id":"thread_9","timestamp":"2025-09-18T14:56:14.123000Z"})
        );
        assert_eq!(
            ClientMessage::HandshakeAcknowledged { thread_id: None }.encode(None),
            r#"{"type":"handshake_acknowledged"}"#
        );
    }

    #[test]
    fn resume_carries_the_last_sequence_number() {
        assert_eq!(
            ClientMessage::Resume { last_seq: 41 }.to_value(None),
            json!({"type":"resume","payload":{"last_seq":41}})
        );
    }
}
