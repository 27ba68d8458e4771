//! Fault injection under `agentwire serve --protocol oct`: faults apply as in September. A run's
//! faults reach an October client after its handshake, as the truth file says, and the checker
//! flags them; a connection-level fault (`drop_connection`, `freeze_connection`) that strikes a
//! connection still in its handshake waits with the frames held for it, and takes effect at its
//! place in the connection's stream: after `handshake_complete` and those frames.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]
#![allow(clippy::disallowed_methods, reason = "a black-box test waits on the real clock")]

use std::path::Path;
use std::time::Duration;

use agentwire::{Checker, CheckerConfig, Rule, Severity};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::october::{
    acknowledge, await_handshake, handshake, october_protocols, open, request, user_message,
};
use support::{Server, Socket, next_json, send, tempdir, truth_records};

/// The frames a connection gets for itself (truth `direct` records), not a run's.
const OWN_FRAMES: [&str; 8] = [
    "connection_established",
    "handshake_response",
    "handshake_complete",
    "cleanup_started",
    "cleanup_duration_estimate",
    "cleanup_complete",
    "heartbeat",
    "pong",
];

/// Whether `text` is one of the connection's own frames.
fn is_own(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .is_ok_and(|frame| OWN_FRAMES.iter().any(|kind| frame["type"] == json!(kind)))
}

/// Every text frame until `quiet` passes without one, as received.
async fn texts_until_quiet(socket: &mut Socket, quiet: Duration) -> Vec<String> {
    let mut texts = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, socket.next()).await {
        if let Message::Text(text) = message {
            texts.push(text.as_str().to_owned());
        }
    }
    texts
}

/// Whether a received run frame is the one a truth `frame` record describes (with `--seq`, the
/// record keeps the text before numbering and the number apart).
fn matches_record(received: &str, record: &Value) -> bool {
    let text = record["text"].as_str().unwrap();
    match record["seq"].as_u64() {
        None => received == text,
        Some(seq) => {
            let mut frame: Value = serde_json::from_str(received).unwrap();
            let numbered = frame.as_object_mut().unwrap().remove("seq");
            numbered == Some(json!(seq)) && frame == serde_json::from_str::<Value>(text).unwrap()
        }
    }
}

/// The checker's flags over `texts`, as one connection's stream of `user`, exactly as received.
fn flags_over(user: &str, texts: &[String]) -> Vec<agentwire::Flag> {
    let mut checker = Checker::new(CheckerConfig::offline().with_user(user));
    for text in texts {
        let _ = checker.handle_text(text, None);
    }
    checker.finish();
    std::iter::from_fn(|| checker.poll_flag()).collect()
}

/// Waits (at most 15 s) until the truth file has a record `wanted` accepts; all records then.
async fn truth_with(truth: &Path, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let records = truth_records(truth);
        if records.iter().any(&wanted) {
            return records;
        }
        assert!(tokio::time::Instant::now() < deadline, "no such truth record: {records:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_runs_faults_reach_an_october_client_after_its_handshake_and_are_flagged() {
    // A dropped frame is flagged by whatever its loss breaks (with `--seq`, a sequence gap
    // unless it was the first numbered frame): any warning or error.
    let cases = [
        ("duplicate", false, Some(Rule::DuplicateEvent)),
        ("malformed", false, Some(Rule::MalformedFrame)),
        ("drop", true, None),
    ];
    for (kind, seq, rule) in cases {
        let dir = tempdir::Dir::new(&format!("october-fault-{kind}"));
        let truth = dir.0.join("truth.jsonl");
        let fault = format!("{kind}=1");
        let mut args = vec!["--protocol", "oct", "--fault", &fault, "--truth"];
        args.push(truth.to_str().unwrap());
        if seq {
            args.push("--seq");
        }
        let server = Server::start(&args);
        let user = format!("october-{kind}");
        let jwt = server.token(&user).await;
        let (mut socket, _) =
            open(request(&server.url(), &october_protocols("staging", &jwt))).await;
        let (_, thread) = handshake(&mut socket).await;
        send(&mut socket, user_message(kind, &thread)).await;
        let texts = texts_until_quiet(&mut socket, Duration::from_millis(1500)).await;

        let records = truth_records(&truth);
        let faults: Vec<&Value> =
            records.iter().filter(|r| r["record"] == json!("fault")).collect();
        assert_eq!(faults.len(), 1, "{kind}: {faults:#?}");
        assert_eq!((&faults[0]["fault"], &faults[0]["user"]), (&json!(kind), &json!(user)));
        let sent: Vec<&Value> = records.iter().filter(|r| r["record"] == json!("frame")).collect();
        let run: Vec<&String> = texts.iter().filter(|text| !is_own(text)).collect();
        assert_eq!(run.len(), sent.len(), "{kind}: {run:#?}");
        for (received, record) in run.iter().zip(&sent) {
            assert!(matches_record(received, record), "{kind}: {received} is not {record}");
        }
        assert!(
            texts.iter().any(|text| text.contains(r#""type":"cleanup_complete""#)),
            "{kind}: the run still ends with its cleanup frames"
        );

        let found = flags_over(&user, &texts);
        match rule {
            Some(rule) => {
                assert!(found.iter().any(|f| f.rule == rule), "{kind}: no {rule} in {found:#?}");
            }
            None => assert!(
                found.iter().any(|f| f.severity >= Severity::Warning),
                "{kind}: unflagged: {found:#?}"
            ),
        }
    }
}

/// A server whose one demo user starts a run every second or two with `fault` (drop or freeze
/// its connection mid-run), writing the truth to `truth`; the user's id and token.
async fn demo_user_server(fault: &str, truth: &Path) -> (Server, String, String) {
    let server = Server::start(&[
        "--protocol",
        "oct",
        "--users",
        "1",
        "--run-every",
        "2",
        "--speed",
        "10",
        "--heartbeat-after",
        "0.5",
        "--handshake-timeout",
        "30",
        "--fault",
        fault,
        "--truth",
        truth.to_str().unwrap(),
    ]);
    let (_, _, body) = server.get("/dev/users").await;
    let users: Vec<Value> =
        serde_json::from_str(&body[body.find('[').unwrap()..=body.rfind(']').unwrap()]).unwrap();
    let user = users[0]["user_id"].as_str().unwrap().to_owned();
    let token = users[0]["token"].as_str().unwrap().to_owned();
    (server, user, token)
}

/// Connects the demo user as an October client and waits, without acknowledging the
/// handshake, until the connection fault `kind` strikes it; the socket, its handshake thread,
/// and the run frames queued for it before the fault (the frames held for it), in order.
async fn struck_during_the_handshake(
    server: &Server,
    token: &str,
    truth: &Path,
    kind: &str,
) -> (Socket, String, Vec<Value>) {
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", token))).await;
    let (_, thread) = await_handshake(&mut socket).await;
    // Written just after `handshake_response` is sent.
    truth_with(truth, |r| r["record"] == json!("handshake") && r["thread_id"] == json!(thread))
        .await;
    let records =
        truth_with(truth, |r| r["record"] == json!("fault") && r["fault"] == json!(kind)).await;
    let connection = records
        .iter()
        .find(|r| r["record"] == json!("handshake") && r["thread_id"] == json!(thread))
        .map(|r| r["connection"].clone())
        .unwrap();
    let fault = records.iter().position(|r| r["fault"] == json!(kind)).unwrap();
    assert_eq!(records[fault]["connection"], connection, "the fault struck this connection");
    assert!(
        !records[..fault].iter().any(|r| r["record"] == json!("handshake")
            && r["connection"] == connection
            && r["event"] == json!("acknowledged")),
        "during its handshake"
    );
    let held = records[..fault]
        .iter()
        .filter(|r| {
            r["record"] == json!("frame")
                && r["connections"].as_array().is_some_and(|ids| ids.contains(&connection))
        })
        .map(|r| serde_json::from_str(r["text"].as_str().unwrap()).unwrap())
        .collect();
    (socket, thread, held)
}

/// Reads past the heartbeats sent while the client was silent before its ack, up to
/// `handshake_complete`.
async fn expect_handshake_complete(socket: &mut Socket) {
    loop {
        let frame = next_json(socket, 5).await;
        if frame["type"] != json!("heartbeat") {
            assert_eq!(frame["type"], json!("handshake_complete"), "{frame}");
            return;
        }
    }
}

#[tokio::test]
async fn a_drop_connection_fault_during_the_handshake_strikes_after_the_frames_held_for_it() {
    let dir = tempdir::Dir::new("october-drop-in-handshake");
    let truth = dir.0.join("truth.jsonl");
    let (server, _, token) = demo_user_server("drop_connection=1", &truth).await;
    let (mut socket, thread, held) =
        struck_during_the_handshake(&server, &token, &truth, "drop_connection").await;
    assert!(!held.is_empty(), "the run's first half was held for the connection");

    acknowledge(&mut socket, &thread).await;
    expect_handshake_complete(&mut socket).await;
    let mut received = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    received.push(serde_json::from_str::<Value>(text.as_str()).unwrap());
                }
                Some(Ok(Message::Close(frame))) => return Some(frame),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the connection ends");
    assert_eq!(ended, None, "dropped without a close frame");
    assert_eq!(received, held, "exactly the held frames, then the drop");
}

#[tokio::test]
async fn a_freeze_connection_fault_during_the_handshake_strikes_after_the_frames_held_for_it() {
    let dir = tempdir::Dir::new("october-freeze-in-handshake");
    let truth = dir.0.join("truth.jsonl");
    let (server, _, token) = demo_user_server("freeze_connection=1", &truth).await;
    let (mut socket, thread, held) =
        struck_during_the_handshake(&server, &token, &truth, "freeze_connection").await;
    assert!(!held.is_empty(), "the run's first half was held for the connection");
    // Still in its handshake, the connection answers as usual.
    send(&mut socket, json!({"type": "ping"})).await;
    loop {
        let frame = next_json(&mut socket, 5).await;
        if frame["type"] != json!("heartbeat") {
            assert_eq!(frame["type"], json!("pong"), "{frame}");
            break;
        }
    }

    acknowledge(&mut socket, &thread).await;
    expect_handshake_complete(&mut socket).await;
    let mut received = Vec::new();
    for _ in &held {
        received.push(next_json(&mut socket, 5).await);
    }
    assert_eq!(received, held, "the held frames, in order");
    // Then the freeze: no run frames, no heartbeats (every 0.5 s of client silence otherwise),
    // no pong, no close frame, although more runs go on.
    send(&mut socket, json!({"type": "ping"})).await;
    let after = tokio::time::timeout(Duration::from_millis(2500), socket.next()).await;
    assert!(after.is_err(), "a frozen connection sends nothing, not even a close: {after:?}");
}
