//! What the server answers to each client message (docs/protocol.md §3, §2).

use std::sync::Arc;

use serde_json::Value;

use super::runs::start_run;
use super::{Shared, frames, now};

/// The manager's aliases for client message types (`types.LEGACY_MESSAGE_TYPE_MAP`).
fn canonical_client_type(kind: &str) -> &str {
    match kind {
        "chat_message" | "message" | "user" | "user_input" | "chat" => "user_message",
        "execute_agent" | "EXECUTE_AGENT" => "start_agent",
        "typing" => "user_typing",
        other => other,
    }
}

/// With `--seq`, the `last_seq` of a `resume` message (`payload.last_seq`, or at the root):
/// `Ok` with a whole number from 0 to 2⁶⁴−1, `Err` with the error frame to answer when it is
/// missing or anything else (negative, a string, a fraction, `null`, too large), rather than
/// replaying the whole history as if it were 0. Without `--seq`, `resume` is an unknown type
/// like any other and gets the manager's `ack` (`None`).
pub(crate) fn resume_request(shared: &Shared, text: &str) -> Option<Result<u64, Value>> {
    if !shared.hub.numbers_frames() {
        return None;
    }
    let message = serde_json::from_str::<Value>(text).ok()?;
    if message.get("type").and_then(Value::as_str) != Some("resume") {
        return None;
    }
    let body = message.get("payload").unwrap_or(&message);
    let last_seq = body.get("last_seq");
    Some(last_seq.and_then(Value::as_u64).ok_or_else(|| {
        let found = match last_seq {
            None => "none".to_owned(),
            Some(value) => {
                let mut shown = value.to_string();
                shown.truncate(40);
                shown
            }
        };
        frames::error_message(
            "INVALID_RESUME",
            &format!(
                "resume needs `last_seq`, a whole number from 0 to 18446744073709551615 \
                 (found {found}); nothing was replayed"
            ),
            now(),
        )
    }))
}

/// The server's replies to one client message (runs it starts are sent through the hub). A run
/// goes on the message's `thread_id`, else on `default_thread` (an October connection's
/// handshake thread), else on a new thread.
pub(crate) fn handle_client_message(
    shared: &Arc<Shared>,
    user: &str,
    text: &str,
    default_thread: Option<&str>,
) -> Vec<Value> {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return vec![frames::error_message("JSON_PARSE_ERROR", "Invalid JSON format", now())];
    };
    let Some(kind) = message.get("type").and_then(Value::as_str) else {
        return vec![frames::error_message(
            "FORMAT_ERROR",
            "Message must be a JSON object with a string `type`",
            now(),
        )];
    };
    // The body is `payload` when that key exists, otherwise the whole message (§3).
    let body = message.get("payload").unwrap_or(&message);
    let text_of = |keys: &[&str]| {
        keys.iter()
            .find_map(|key| body.get(*key)?.as_str().filter(|s| !s.is_empty()))
            .map(str::to_owned)
    };
    let thread_id = text_of(&["thread_id"]).or_else(|| default_thread.map(str::to_owned));
    match canonical_client_type(kind) {
        "user_message" => match text_of(&["content", "text", "message"]) {
            Some(request) => start_run(shared, user, thread_id, request),
            None => vec![frames::error_message(
                "AGENT_REQUEST_ERROR",
                "user_message needs `content`",
                now(),
            )],
        },
        "start_agent" => {
            let query = body.get("request").and_then(|r| r.get("query")).and_then(Value::as_str);
            match text_of(&["user_request", "content", "text"]).or(query.map(str::to_owned)) {
                Some(request) => start_run(shared, user, thread_id, request),
                None => vec![frames::error_message(
                    "AGENT_REQUEST_ERROR",
                    "start_agent needs `user_request`",
                    now(),
                )],
            }
        }
        "ping" => vec![frames::pong(user, now())],
        "heartbeat" => vec![frames::heartbeat_ack(now())],
        "pong" | "heartbeat_ack" => vec![],
        "connect" => vec![frames::system_ack("connected", user, now())],
        "disconnect" => vec![frames::system_ack("disconnect_acknowledged", user, now())],
        "user_typing" | "typing_started" | "typing_stopped" => {
            vec![frames::system_ack("typing_acknowledged", user, now())]
        }
        other => vec![frames::ack(other, user, now())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_type_aliases_follow_the_managers_legacy_map() {
        for alias in ["chat_message", "message", "user", "user_input", "chat"] {
            assert_eq!(canonical_client_type(alias), "user_message");
        }
        assert_eq!(canonical_client_type("execute_agent"), "start_agent");
        assert_eq!(canonical_client_type("typing"), "user_typing");
        assert_eq!(canonical_client_type("session_restore"), "session_restore");
    }
}
