//! Helpers for the end-to-end tests of the October 2025 profile (docs/protocol.md §6): the
//! October CLI client's subprotocol list, its handshake step by step, and the checker over what
//! such a client saw.

use std::time::Duration;

use agentwire::{Checker, CheckerConfig};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::{Server, Socket, next_json, send};

/// The environments an env-tagged credential may name (the SDK's).
pub(crate) const ENVIRONMENTS: [&str; 4] = agentwire::token::Environment::ALL_NAMES;

/// The subprotocol list the October CLI client offers, in its order, with a raw JWT.
pub(crate) fn october_protocols(env: &str, jwt: &str) -> Vec<String> {
    vec![
        format!("jwt.{env}.{jwt}"),
        format!("jwt-auth.{env}.{jwt}"),
        format!("bearer.{env}.{jwt}"),
        format!("staging-auth.{jwt}"),
        format!("jwt.{jwt}"),
        format!("jwt-auth.{jwt}"),
        format!("bearer.{jwt}"),
    ]
}

/// A request to `url` offering `protocols` (none when empty).
pub(crate) fn request(url: &str, protocols: &[String]) -> Request {
    let mut request = url.into_client_request().unwrap();
    if !protocols.is_empty() {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols.join(", ").parse().unwrap());
    }
    request
}

/// Connects with `request`; the socket and the subprotocol the server selected.
pub(crate) async fn open(request: Request) -> (Socket, Option<String>) {
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let selected = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|value| value.to_str().unwrap().to_owned());
    (socket, selected)
}

/// §6 steps 1 and 2: `connection_established`, then `handshake_response` within 2 s. The
/// established frame and the handshake thread.
pub(crate) async fn await_handshake(socket: &mut Socket) -> (Value, String) {
    let established = next_json(socket, 2).await;
    assert_eq!(established["type"], json!("connection_established"), "{established}");
    let response = next_json(socket, 2).await;
    assert_eq!(response["type"], json!("handshake_response"), "{response}");
    let thread = response["thread_id"].as_str().unwrap().to_owned();
    assert!(thread.starts_with("thread_"), "{thread}");
    for key in ["run_id", "request_id", "timestamp", "message"] {
        assert!(response.get(key).is_some(), "root {key}: {response}");
    }
    (established, thread)
}

/// §6 step 3: the ack, with the thread and an ISO UTC timestamp.
pub(crate) async fn acknowledge(socket: &mut Socket, thread: &str) {
    let ack = json!({"type": "handshake_acknowledged", "thread_id": thread, "timestamp": "2025-10-31T10:15:30.123456+00:00"});
    send(socket, ack).await;
}

/// §6 steps 1 to 4: the handshake, then `handshake_complete` as the very next frame; the
/// established frame and the thread.
pub(crate) async fn handshake(socket: &mut Socket) -> (Value, String) {
    let (established, thread) = await_handshake(socket).await;
    acknowledge(socket, &thread).await;
    let complete = next_json(socket, 2).await;
    assert_eq!(complete["type"], json!("handshake_complete"), "{complete}");
    assert_eq!(complete["thread_id"], json!(thread));
    (established, thread)
}

/// §6 step 5: the CLI client's `user_message`.
pub(crate) fn user_message(content: &str, thread: &str) -> Value {
    json!({"type": "user_message", "payload": {
        "content": content,
        "run_id": "cli_20251031_101530_ab12cd34",
        "thread_id": thread,
        "timestamp": "2025-10-31T10:15:30.123456",
        "client_environment": null,
    }})
}

/// The three cleanup frames after a run, checked against the run and thread.
pub(crate) async fn expect_cleanup(
    socket: &mut Socket,
    run_id: &Value,
    thread: &str,
) -> Vec<Value> {
    let mut frames = Vec::new();
    for kind in ["cleanup_started", "cleanup_duration_estimate", "cleanup_complete"] {
        let frame = next_json(socket, 5).await;
        assert_eq!(frame["type"], json!(kind), "{frame}");
        assert_eq!(&frame["run_id"], run_id, "{frame}");
        assert_eq!(frame["thread_id"], json!(thread), "{frame}");
        frames.push(frame);
    }
    frames
}

/// The text frames that arrive before `quiet` passes without one.
pub(crate) async fn frames_within(socket: &mut Socket, quiet: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, socket.next()).await {
        if let Message::Text(text) = message {
            frames.push(serde_json::from_str(text.as_str()).unwrap());
        }
    }
    frames
}

/// The checker's flags over `frames`, as one connection's stream of `user`.
pub(crate) fn flags(user: &str, frames: &[Value]) -> Vec<agentwire::Flag> {
    let mut checker = Checker::new(CheckerConfig::offline().with_user(user));
    for frame in frames {
        let _ = checker.handle_text(&frame.to_string(), None);
    }
    checker.finish();
    std::iter::from_fn(|| checker.poll_flag()).collect()
}

/// An October client of `user` on `server` (staging credentials, the whole §6 list), before
/// the handshake.
pub(crate) async fn october_client(server: &Server, user: &str) -> Socket {
    let jwt = server.token(user).await;
    open(request(&server.url(), &october_protocols("staging", &jwt))).await.0
}
