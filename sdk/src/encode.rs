//! Client messages: what the SDK sends to the manager (docs/protocol.md §3).
//!
//! The manager reads a message's body from `payload` when that key exists (it never unwraps
//! `data`), so every message with a body puts it in `payload`. Timestamps go out as ISO 8601,
//! never as epoch milliseconds (which the manager would misread as seconds).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::JsonText;
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
    /// A message the variants above do not cover, sent exactly as given: a JSON object with a
    /// string `type` that is not one of the session's own messages (see [`CustomMessage::new`]).
    #[serde(untagged)]
    Custom(CustomMessage),
}

/// The types the session sends itself: a custom message may not take them, because a second
/// sender would confuse the heartbeat, the resume or the handshake.
const SESSION_TYPES: [&str; 5] =
    ["ping", "pong", "heartbeat_ack", "resume", "handshake_acknowledged"];

/// The largest custom message, in bytes of JSON: the manager's own `max_message_size`
/// (`/ws/config`, docs/protocol.md).
pub const MAX_CUSTOM_MESSAGE: usize = 1_048_576;

/// A client message given as JSON text (`Client.send` in JS): an object with a string `type`,
/// kept as its exact text. Build it with [`CustomMessage::new`], which validates it.
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(type = "{ type: string; [key: string]: unknown }")
)]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, Value>", into = "Value")]
pub struct CustomMessage {
    wire_type: Box<str>,
    json: JsonText,
}

/// Equal when the texts are: a message is sent as its text, so two spellings of one value are
/// two messages. (Also keeps `JsonText`'s parsing equality, and a JSON parser with it, out of
/// the wasm package, which compares connection states.)
impl PartialEq for CustomMessage {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// Why a custom message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CustomMessageError {
    /// Not a JSON object with a non-empty string `type` (the reason is the decoder's).
    #[error("not a message: {0}")]
    Invalid(#[from] crate::DecodeError),
    /// The type is one the session sends itself.
    #[error("`{0}` is sent by the session itself; it cannot be sent by hand")]
    SessionType(String),
    /// Longer than [`MAX_CUSTOM_MESSAGE`] bytes.
    #[error("a message may be at most 1048576 bytes of JSON")]
    TooLong,
}

impl CustomMessage {
    /// Validates `json`, the text of one JSON value (as `JSON.stringify` writes it), as the
    /// decoder checks a frame: RFC 8259 JSON, an object nested at most
    /// [`MAX_DEPTH`](crate::decode::MAX_DEPTH) levels, at most [`MAX_CUSTOM_MESSAGE`] bytes, whose
    /// `type` (the last, if repeated) is a non-empty string other than the session's own types.
    ///
    /// # Errors
    /// What is wrong with it, as a [`CustomMessageError`].
    pub fn new(json: &str) -> Result<Self, CustomMessageError> {
        if json.len() > MAX_CUSTOM_MESSAGE {
            return Err(CustomMessageError::TooLong);
        }
        let wire_type = crate::decode::object_type(json)?;
        if SESSION_TYPES.contains(&wire_type.as_str()) {
            return Err(CustomMessageError::SessionType(wire_type));
        }
        Ok(CustomMessage { wire_type: wire_type.into(), json: JsonText::new(json) })
    }

    /// The message's `type`.
    #[must_use]
    pub fn wire_type(&self) -> &str {
        &self.wire_type
    }

    /// The message's JSON text, exactly as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.json.as_str()
    }
}

impl TryFrom<serde_json::Map<String, Value>> for CustomMessage {
    type Error = CustomMessageError;

    fn try_from(object: serde_json::Map<String, Value>) -> Result<Self, Self::Error> {
        CustomMessage::new(&Value::Object(object).to_string())
    }
}

impl From<CustomMessage> for Value {
    fn from(message: CustomMessage) -> Self {
        message.json.to_value()
    }
}

impl ClientMessage {
    /// The wire `type` of this message.
    #[must_use]
    pub fn wire_type(&self) -> &str {
        match self {
            ClientMessage::UserMessage { .. } => "user_message",
            ClientMessage::StartAgent { .. } => "start_agent",
            ClientMessage::Ping => "ping",
            ClientMessage::Pong => "pong",
            ClientMessage::HeartbeatAck => "heartbeat_ack",
            ClientMessage::Resume { .. } => "resume",
            ClientMessage::HandshakeAcknowledged { .. } => "handshake_acknowledged",
            ClientMessage::Custom(message) => message.wire_type(),
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
        if let ClientMessage::Custom(message) = self {
            return message.as_str().to_owned();
        }
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
            | ClientMessage::HandshakeAcknowledged { thread_id: None }
            | ClientMessage::Custom(_) => {}
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

    #[test]
    fn a_custom_message_is_sent_exactly_as_given() {
        let text = r#"{"type":"stop_agent","payload":{"run_id":"r1"},"type":"stop_agent"}"#;
        let message = ClientMessage::Custom(CustomMessage::new(text).expect("valid"));
        assert_eq!(message.wire_type(), "stop_agent");
        let now = Timestamp::from_unix_micros(1_758_207_374_123_000);
        assert_eq!(message.encode(Some(now)), text, "no timestamp added, nothing reordered");
    }

    #[test]
    fn a_custom_message_must_be_an_object_with_a_string_type() {
        use crate::DecodeError;
        let refused = |text: &str| CustomMessage::new(text).expect_err(text);
        assert!(matches!(
            refused("[1]"),
            CustomMessageError::Invalid(DecodeError::NotAnObject { .. })
        ));
        assert!(matches!(
            refused("{\"type\":"),
            CustomMessageError::Invalid(DecodeError::InvalidJson { .. })
        ));
        assert!(matches!(refused("{}"), CustomMessageError::Invalid(DecodeError::MissingType)));
        assert!(matches!(
            refused(r#"{"type":""}"#),
            CustomMessageError::Invalid(DecodeError::MissingType)
        ));
        assert!(matches!(
            refused(r#"{"type":7}"#),
            CustomMessageError::Invalid(DecodeError::TypeNotString { .. })
        ));
        let deep = format!("{{\"type\":\"x\",\"a\":{}{}}}", "[".repeat(600), "]".repeat(600));
        assert!(matches!(refused(&deep), CustomMessageError::Invalid(DecodeError::TooDeep { .. })));
        let long = format!("{{\"type\":\"x\",\"a\":\"{}\"}}", "a".repeat(MAX_CUSTOM_MESSAGE));
        assert_eq!(refused(&long), CustomMessageError::TooLong);
    }

    #[test]
    fn the_sessions_own_messages_cannot_be_sent_as_custom_ones() {
        for wire_type in SESSION_TYPES {
            let text = format!("{{\"type\":\"{wire_type}\"}}");
            assert_eq!(
                CustomMessage::new(&text),
                Err(CustomMessageError::SessionType(wire_type.to_owned()))
            );
        }
        // The last `type` of a repeated key is the one the manager reads.
        assert!(CustomMessage::new(r#"{"type":"stop_agent","type":"ping"}"#).is_err());
        assert!(CustomMessage::new(r#"{"type":"ping","type":"stop_agent"}"#).is_ok());
    }

    #[test]
    fn a_custom_message_round_trips_through_serde_as_its_own_object() {
        let value = json!({"type":"stop_agent","payload":{"run_id":"r1"}});
        let message: ClientMessage = serde_json::from_value(value.clone()).expect("custom");
        assert!(
            matches!(&message, ClientMessage::Custom(custom) if custom.wire_type() == "stop_agent")
        );
        assert_eq!(serde_json::to_value(&message).expect("serialises"), value);
        let ping: ClientMessage = serde_json::from_value(json!({"type":"ping"})).expect("typed");
        assert_eq!(ping, ClientMessage::Ping);
    }
}
