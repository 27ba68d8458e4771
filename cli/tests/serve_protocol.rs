//! `agentwire serve` end to end: the real binary on 127.0.0.1 (a free port), a real WebSocket
//! client (tokio-tungstenite), and the manager's protocol as docs/protocol.md describes it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]
#![allow(clippy::disallowed_methods, reason = "a black-box test waits on the real clock")]

use std::process::Command;
use std::time::Duration;

use agentwire::{Checker, CheckerConfig, decode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

mod support;
use support::*;

// --- authentication ---

#[tokio::test]
async fn a_subprotocol_token_authenticates_and_the_user_id_is_truncated_as_the_manager_does() {
    let server = Server::start(&[]);
    let token = server.token("7c9e6679-7425-40de-944b-e07fc1f90ae7").await;
    let mut socket = server.connect(&token).await;
    let frame = next_json(&mut socket, 5).await;
    assert_eq!(frame["type"], json!("connection_established"));
    assert_eq!(frame["data"]["user_id"], json!("7c9e6679..."));
    assert_eq!(frame["data"]["mode"], json!("main"));
    assert!(frame["data"]["connection_id"].as_str().unwrap().starts_with("main_"));
    assert!(frame["timestamp"].is_f64(), "S1 frames carry an epoch timestamp: {frame}");
}

#[tokio::test]
async fn an_authorization_bearer_header_authenticates_native_clients() {
    let server = Server::start(&[]);
    let token = server.token("native-user").await;
    let mut request = server.url().into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(next_json(&mut socket, 5).await["type"], json!("connection_established"));
}

#[tokio::test]
async fn no_token_bad_signature_and_expired_tokens_get_auth_failed_then_close_1008() {
    let server = Server::start(&[]);
    let now = unix_now();
    let cases = [
        "jwt-auth".to_owned(),
        format!(
            "jwt-auth, jwt.{}",
            URL_SAFE_NO_PAD.encode(jwt(&json!({"sub": "u1", "exp": now + 600}), "wrong-secret"))
        ),
        format!(
            "jwt-auth, jwt.{}",
            URL_SAFE_NO_PAD.encode(jwt(&json!({"sub": "u1", "exp": now - 10}), SECRET))
        ),
        format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode("not.a.token-at-all")),
    ];
    for protocols in cases {
        let (socket, _) = server.connect_with(&protocols).await.unwrap();
        expect_auth_failure(socket).await;
    }
    // A valid token still works afterwards.
    let valid = jwt(&json!({"sub": "u1", "exp": now + 600}), SECRET);
    let mut socket = server.connect(&valid).await;
    assert_eq!(next_json(&mut socket, 5).await["type"], json!("connection_established"));
}

#[tokio::test]
async fn an_unsupported_subprotocol_is_refused_before_the_upgrade() {
    let server = Server::start(&[]);
    match server.connect_with("compression-gzip").await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 400),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the upgrade must be refused"),
    }
}

// --- client messages ---

#[tokio::test]
async fn ping_heartbeat_unknown_types_and_invalid_json_get_the_managers_answers() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "user-full-id-123").await;

    send(&mut socket, json!({"type": "ping", "timestamp": 1_758_207_374_123_u64})).await;
    let pong = next_json(&mut socket, 5).await;
    assert_eq!(
        (pong["type"].clone(), pong["data"]["user_id"].clone()),
        (json!("pong"), json!("user-full-id-123"))
    );

    send(&mut socket, json!({"type": "heartbeat"})).await;
    let ack = next_json(&mut socket, 5).await;
    assert_eq!(
        (ack["type"].clone(), ack["data"]["status"].clone()),
        (json!("heartbeat_ack"), json!("healthy"))
    );

    send(&mut socket, json!({"type": "session_restore", "payload": {}})).await;
    let ack = next_json(&mut socket, 5).await;
    assert_eq!(ack["type"], json!("ack"));
    assert_eq!(ack["received_type"], json!("session_restore"));
    assert_eq!(ack["user_id"], json!("user-full-id-123"));

    socket.send(Message::Text("{not json".into())).await.unwrap();
    let error = next_json(&mut socket, 5).await;
    assert_eq!(
        (error["type"].clone(), error["error_code"].clone()),
        (json!("error_message"), json!("JSON_PARSE_ERROR"))
    );

    // The connection stays open.
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut socket, 5).await["type"], json!("pong"));
}

#[tokio::test]
async fn the_server_sends_a_heartbeat_after_client_silence() {
    let server = Server::start(&["--heartbeat-after", "0.3"]);
    let mut socket = established(&server, "quiet-user").await;
    let frame = next_json(&mut socket, 5).await;
    assert_eq!(frame["type"], json!("heartbeat"), "{frame}");
    assert!(frame["data"]["connection_id"].as_str().unwrap().starts_with("main_"));
}

// --- runs ---

#[tokio::test]
async fn start_agent_streams_a_golden_path_run_that_the_checker_finds_clean() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "golden-user").await;
    send(&mut socket, json!({"type": "start_agent", "payload": {"user_request": "Cut my GPU spend", "thread_id": null}})).await;
    let frames = frames_of_one_run(&mut socket).await;

    let kinds: Vec<String> =
        frames.iter().map(|frame| decode(&frame.to_string()).unwrap().name().to_owned()).collect();
    for critical in ["agent_started", "agent_thinking", "agent_completed"] {
        assert!(kinds.iter().any(|kind| kind == critical), "no {critical} in {kinds:?}");
    }
    assert_eq!(kinds.first().map(String::as_str), Some("agent_started"));
    let run_ids: std::collections::BTreeSet<_> =
        frames.iter().map(|f| decode(&f.to_string()).unwrap().context.run_id).collect();
    assert_eq!(run_ids.len(), 1, "one run: {run_ids:?}");
    let run_id = run_ids.into_iter().next().flatten().unwrap();
    assert!(run_id.starts_with("run_ws_"), "{run_id}");

    let mut checker = Checker::new(CheckerConfig::offline().with_user("golden-user"));
    for frame in &frames {
        let _ = checker.handle_text(&frame.to_string(), None);
    }
    checker.finish();
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert!(flags.is_empty(), "{flags:#?}");
}

#[tokio::test]
async fn a_user_message_on_a_thread_runs_on_that_thread() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "thread-user").await;
    send(&mut socket, json!({"type": "user_message", "payload": {"content": "Forecast my costs", "thread_id": "thread_42"}})).await;
    let frames = frames_of_one_run(&mut socket).await;
    for frame in frames {
        let event = decode(&frame.to_string()).unwrap();
        assert_eq!(event.context.thread_id.as_deref(), Some("thread_42"), "{frame}");
        assert_eq!(event.context.user_id.as_deref(), Some("thread-user"), "{frame}");
    }
}

#[tokio::test]
async fn events_reach_every_connection_of_their_user_and_never_another_user() {
    let server = Server::start(&[]);
    let mut alice_tab1 = established(&server, "alice").await;
    let mut alice_tab2 = established(&server, "alice").await;
    let mut bob = established(&server, "bob").await;

    for round in 0..3 {
        send(
            &mut alice_tab1,
            json!({"type": "start_agent", "payload": {"user_request": format!("alice {round}")}}),
        )
        .await;
        send(
            &mut bob,
            json!({"type": "start_agent", "payload": {"user_request": format!("bob {round}")}}),
        )
        .await;
        let seen_by_tab1 = frames_of_one_run(&mut alice_tab1).await;
        let seen_by_tab2 = frames_of_one_run(&mut alice_tab2).await;
        let seen_by_bob = frames_of_one_run(&mut bob).await;
        assert_eq!(seen_by_tab1, seen_by_tab2, "both tabs of alice get the same frames");
        for frame in &seen_by_tab1 {
            assert_eq!(frame["user_id"], json!("alice"), "alice got another user's frame: {frame}");
        }
        for frame in &seen_by_bob {
            assert_eq!(frame["user_id"], json!("bob"), "bob got another user's frame: {frame}");
        }
    }
}

// --- HTTP ---

#[tokio::test]
async fn the_page_is_served_at_the_root_with_correct_mime_types() {
    let server = Server::start(&[]);
    let (status, head, body) = server.get("/").await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-type: text/html"), "{head}");
    assert!(body.contains("agentwire"));
    let (status, head, _) = server.get("/app.wasm").await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-type: application/wasm"), "{head}");
}

#[tokio::test]
async fn startup_errors_are_clear_and_exit_2() {
    let missing = Command::new(env!("CARGO_BIN_EXE_agentwire"))
        .args(["serve", "--port", "0", "--www", "/nonexistent/agentwire-www"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no page to serve"));

    let server = Server::start(&[]);
    let port = server.address.rsplit(':').next().unwrap();
    let taken = Command::new(env!("CARGO_BIN_EXE_agentwire"))
        .args(["serve", "--port", port, "--www"])
        .arg(&server._www.0)
        .output()
        .unwrap();
    assert_eq!(taken.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&taken.stderr).contains("can't listen on"),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
}

// --- demo users ---

#[tokio::test]
async fn dev_info_names_the_fault_preset_and_its_rates_and_a_later_option_wins() {
    let server = Server::start(&["--faults", "chaos", "--faults", "mild", "--seq", "--users", "1"]);
    let (status, _, body) = server.get("/dev/info").await;
    assert_eq!(status, 200, "{body}");
    let info: Value =
        serde_json::from_str(&body[body.find('{').unwrap()..=body.rfind('}').unwrap()]).unwrap();
    assert_eq!(info["faults"], json!("mild"));
    assert_eq!(info["seq"], json!(true));
    assert_eq!(info["users"], json!(1));
    let rates = info["fault_rates"].as_array().unwrap();
    assert!(rates.contains(&json!(["drop", 0.03])), "{rates:?}");
    assert!(rates.contains(&json!(["drop_connection", 0.01])), "{rates:?}");
    assert!(
        !rates.iter().any(|rate| rate[0] == "freeze_connection"),
        "mild freezes nothing: {rates:?}"
    );

    let quiet = Server::start(&["--fault", "drop=0.5"]);
    let (_, _, body) = quiet.get("/dev/info").await;
    let info: Value =
        serde_json::from_str(&body[body.find('{').unwrap()..=body.rfind('}').unwrap()]).unwrap();
    assert_eq!(info["faults"], json!("custom"));
    assert_eq!(info["fault_rates"], json!([["drop", 0.5]]));
}

#[tokio::test]
async fn demo_users_are_listed_with_tokens_and_their_runs_arrive_without_any_request() {
    let server = Server::start(&["--users", "2", "--run-every", "0.3", "--seed", "9"]);
    let (status, _, body) = server.get("/dev/users").await;
    assert_eq!(status, 200, "{body}");
    let start = body.find('[').unwrap();
    let end = body.rfind(']').unwrap();
    let users: Vec<Value> = serde_json::from_str(&body[start..=end]).unwrap();
    assert_eq!(users.len(), 2);
    let user = users[0]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(user.len(), 36, "UUID-shaped: {user}");
    assert_ne!(users[0]["user_id"], users[1]["user_id"]);

    let mut socket = server.connect(users[0]["token"].as_str().unwrap()).await;
    assert_eq!(next_json(&mut socket, 5).await["type"], json!("connection_established"));
    // No request sent: the demo user's own runs arrive. Skip to the start of the next run.
    let mut frames = Vec::new();
    loop {
        let frame = next_json(&mut socket, 10).await;
        if !frames.is_empty()
            || frame["type"] == json!("agent_started") && frame["agent_name"] == json!("supervisor")
        {
            let done = frame["type"] == json!("agent_completed")
                && frame["agent_name"] == json!("supervisor");
            frames.push(frame);
            if done {
                break;
            }
        }
    }
    let mut checker = Checker::new(CheckerConfig::offline().with_user(&user));
    for frame in &frames {
        assert_eq!(frame["user_id"], json!(user), "only this user's frames: {frame}");
        let _ = checker.handle_text(&frame.to_string(), None);
    }
    checker.finish();
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert!(flags.is_empty(), "{flags:#?}");
}

// --- the sequence extension ---

#[tokio::test]
async fn with_seq_run_frames_are_numbered_per_user_and_advertised() {
    let server = Server::start(&["--seq"]);
    let token = server.token("seq-user").await;
    let mut socket = server.connect(&token).await;
    let established = next_json(&mut socket, 5).await;
    assert_eq!(established["data"]["features"]["seq"], json!(true));
    send(&mut socket, json!({"type": "start_agent", "payload": {"user_request": "numbered"}}))
        .await;
    let frames = frames_of_one_run(&mut socket).await;
    let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn resume_replays_exactly_the_missed_frames_and_says_it_is_complete() {
    let server = Server::start(&["--seq", "--speed", "5"]);
    let token = server.token("resuming-user").await;
    let mut first = server.connect(&token).await;
    next_json(&mut first, 5).await; // connection_established
    send(&mut first, json!({"type": "start_agent", "payload": {"user_request": "long job"}})).await;
    // Receive the first two frames, then drop the connection mid-run.
    let mut received = vec![next_json(&mut first, 10).await, next_json(&mut first, 10).await];
    let last_seq = received[1]["seq"].as_u64().unwrap();
    drop(first);

    // Let the run finish while nobody is connected.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut second = server.connect(&token).await;
    next_json(&mut second, 5).await; // connection_established
    send(&mut second, json!({"type": "resume", "payload": {"last_seq": last_seq}})).await;
    loop {
        let frame = next_json(&mut second, 10).await;
        if frame["type"] == json!("resume_result") {
            assert_eq!(frame["data"]["complete"], json!(true), "{frame}");
            assert_eq!(frame["data"]["from_seq"], json!(last_seq + 1));
            assert_eq!(
                frame["data"]["to_seq"].as_u64(),
                received.last().and_then(|f| f["seq"].as_u64())
            );
            break;
        }
        received.push(frame);
    }
    // Together: the whole run, each frame once, in order, and the checker finds it clean.
    let seqs: Vec<u64> = received.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (seqs[0]..seqs[0] + seqs.len() as u64).collect::<Vec<_>>());
    let last = received.last().unwrap();
    assert_eq!(
        (last["type"].clone(), last["agent_name"].clone()),
        (json!("agent_completed"), json!("supervisor"))
    );
    let mut checker = Checker::new(CheckerConfig::offline().with_user("resuming-user"));
    for frame in &received {
        let _ = checker.handle_text(&frame.to_string(), None);
    }
    checker.finish();
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert!(flags.is_empty(), "{flags:#?}");
}

#[tokio::test]
async fn resume_past_the_kept_window_reports_an_incomplete_replay() {
    let server = Server::start(&["--seq", "--seq-keep", "0.2"]);
    let token = server.token("forgetful").await;
    let mut first = server.connect(&token).await;
    next_json(&mut first, 5).await;
    send(&mut first, json!({"type": "start_agent", "payload": {"user_request": "short"}})).await;
    let frames = frames_of_one_run(&mut first).await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut second = server.connect(&token).await;
    next_json(&mut second, 5).await;
    send(&mut second, json!({"type": "resume", "payload": {"last_seq": 0}})).await;
    let result = next_json(&mut second, 5).await;
    assert_eq!(result["type"], json!("resume_result"), "nothing left to replay: {result}");
    assert_eq!(result["data"]["complete"], json!(false));
    assert_eq!(result["data"]["to_seq"].as_u64(), frames.last().and_then(|f| f["seq"].as_u64()));
}

/// A `last_seq` that is not a whole number from 0 to 2⁶⁴−1 is refused with an error frame:
/// it used to count as 0 and replay the user's whole history.
#[tokio::test]
async fn an_invalid_resume_point_gets_an_error_and_replays_nothing() {
    let server = Server::start(&["--seq"]);
    let token = server.token("resumer").await;
    let mut first = server.connect(&token).await;
    next_json(&mut first, 5).await;
    send(&mut first, json!({"type": "start_agent", "payload": {"user_request": "short"}})).await;
    frames_of_one_run(&mut first).await;
    drop(first);
    let mut second = server.connect(&token).await;
    next_json(&mut second, 5).await;
    for last_seq in [
        json!(-1),
        json!("3"),
        json!(2.5),
        json!(null),
        serde_json::from_str::<Value>("18446744073709551616").unwrap(),
    ] {
        send(&mut second, json!({"type": "resume", "payload": {"last_seq": last_seq}})).await;
        let reply = next_json(&mut second, 5).await;
        assert_eq!(reply["type"], json!("error_message"), "{last_seq}: {reply}");
        assert_eq!(reply["error_code"], json!("INVALID_RESUME"), "{last_seq}");
        let message = reply["error_message"].as_str().unwrap_or_default();
        assert!(message.contains("nothing was replayed"), "{message}");
    }
    send(&mut second, json!({"type": "resume", "payload": {}})).await;
    let reply = next_json(&mut second, 5).await;
    assert_eq!(reply["error_code"], json!("INVALID_RESUME"), "missing: {reply}");
    assert!(reply["error_message"].as_str().unwrap_or_default().contains("found none"));
    // The connection goes on: a valid resume still works.
    send(&mut second, json!({"type": "resume", "payload": {"last_seq": 0}})).await;
    loop {
        let frame = next_json(&mut second, 5).await;
        if frame["type"] == json!("resume_result") {
            break;
        }
    }
}

#[tokio::test]
async fn without_seq_resume_is_an_unknown_type_and_gets_an_ack() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "plain").await;
    send(&mut socket, json!({"type": "resume", "payload": {"last_seq": 3}})).await;
    let ack = next_json(&mut socket, 5).await;
    assert_eq!(
        (ack["type"].clone(), ack["received_type"].clone()),
        (json!("ack"), json!("resume"))
    );
}

#[tokio::test]
async fn a_client_message_over_one_mebibyte_closes_the_connection_with_1009() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "hostile").await;
    let huge =
        format!(r#"{{"type":"user_message","payload":{{"content":"{}"}}}}"#, "a".repeat(2 << 20));
    let _ = socket.send(Message::Text(huge.into())).await;
    let closed = close_code(&mut socket).await;
    assert_eq!(closed, Some(CloseCode::Size));
    // The server itself is fine.
    let mut other = established(&server, "next-user").await;
    send(&mut other, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut other, 5).await["type"], json!("pong"));
}

// --- fault injection and ground truth ---

/// Frames until `quiet` passes without one (a run with faults may lack its last frame), for at
/// most 15 s in all.
async fn frames_until_quiet(socket: &mut Socket, quiet: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut frames = Vec::new();
    loop {
        let wait = quiet.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => frames.push(text.as_str().to_owned()),
            Ok(Some(Ok(_))) => {}
            Ok(_) | Err(_) => return frames,
        }
    }
}

fn flags_for(user: &str, frames: &[String]) -> Vec<agentwire::Flag> {
    let config = CheckerConfig::offline().with_user(user).with_stall_after(Duration::from_secs(1));
    let mut checker = Checker::new(config);
    for frame in frames {
        let _ = checker.handle_text(frame, None);
    }
    checker.finish();
    std::iter::from_fn(|| checker.poll_flag()).collect()
}

#[tokio::test]
async fn every_per_run_fault_is_in_the_frames_in_the_truth_file_and_flagged_by_the_checker() {
    use agentwire::{Rule, Severity};
    let cases: [(&str, Option<Rule>); 7] = [
        ("drop", None),
        ("duplicate", Some(Rule::DuplicateEvent)),
        ("duplicate_attempt", Some(Rule::DuplicateEvent)),
        ("reorder", None),
        ("delay", Some(Rule::RunStalled)),
        ("skew_timestamp", Some(Rule::TimestampRegression)),
        ("malformed", Some(Rule::MalformedFrame)),
    ];
    for (kind, expected) in cases {
        let dir = tempdir::Dir::new(&format!("truth-{kind}"));
        let truth = dir.0.join("truth.jsonl");
        let fault = format!("{kind}=1");
        let server = Server::start(&[
            "--fault",
            &fault,
            "--stall-after",
            "1",
            "--truth",
            truth.to_str().unwrap(),
        ]);
        let mut socket = established(&server, "faulty-user").await;
        send(&mut socket, json!({"type": "start_agent", "payload": {"user_request": kind}})).await;
        let frames = frames_until_quiet(&mut socket, Duration::from_millis(4000)).await;

        let records = truth_records(&truth);
        let faults: Vec<&Value> =
            records.iter().filter(|r| r["record"] == json!("fault")).collect();
        assert_eq!(faults.len(), 1, "{kind}: {faults:#?}");
        assert_eq!(faults[0]["fault"], json!(kind));
        assert_eq!(faults[0]["user"], json!("faulty-user"));
        let sent: Vec<&str> = records
            .iter()
            .filter(|r| r["record"] == json!("frame"))
            .map(|r| r["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            sent,
            frames.iter().map(String::as_str).collect::<Vec<_>>(),
            "{kind}: the truth lists exactly the frames sent"
        );

        let flags = flags_for("faulty-user", &frames);
        match expected {
            Some(rule) => {
                assert!(flags.iter().any(|f| f.rule == rule), "{kind}: no {rule} in {flags:#?}")
            }
            None => assert!(
                flags.iter().any(|f| f.severity >= Severity::Warning),
                "{kind}: unflagged: {flags:#?}"
            ),
        }
    }
}

#[tokio::test]
async fn a_cross_user_leak_reaches_another_user_whose_checker_flags_it() {
    let dir = tempdir::Dir::new("truth-leak");
    let truth = dir.0.join("truth.jsonl");
    let server = Server::start(&["--fault", "cross_user=1", "--truth", truth.to_str().unwrap()]);
    let mut victim = established(&server, "victim").await;
    let mut bystander = established(&server, "bystander").await;
    send(&mut victim, json!({"type": "start_agent", "payload": {"user_request": "private"}})).await;
    let victim_frames = frames_until_quiet(&mut victim, Duration::from_millis(1500)).await;
    let bystander_frames = frames_until_quiet(&mut bystander, Duration::from_millis(500)).await;

    assert!(flags_for("victim", &victim_frames).is_empty(), "the owner's own stream stays clean");
    let leaked = flags_for("bystander", &bystander_frames);
    assert!(leaked.iter().any(|f| f.rule == agentwire::Rule::CrossUserEvent), "{leaked:#?}");
    let records = truth_records(&truth);
    let leak = records.iter().find(|r| r["record"] == json!("leak")).expect("a leak record");
    assert_eq!(
        (leak["from_user"].clone(), leak["user"].clone()),
        (json!("victim"), json!("bystander"))
    );
    assert!(
        records.iter().any(|r| r["record"] == json!("fault") && r["fault"] == json!("cross_user"))
    );
}

#[tokio::test]
async fn connection_faults_drop_a_socket_abruptly_and_refuse_upgrades_with_503() {
    let dir = tempdir::Dir::new("truth-connection");
    let truth = dir.0.join("truth.jsonl");
    let server =
        Server::start(&["--fault", "drop_connection=1", "--truth", truth.to_str().unwrap()]);
    let mut socket = established(&server, "dropped").await;
    send(&mut socket, json!({"type": "start_agent", "payload": {"user_request": "then drop"}}))
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return Some(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the connection ends");
    assert_eq!(ended, None, "dropped without a close frame");
    let records = truth_records(&truth);
    assert!(
        records
            .iter()
            .any(|r| r["fault"] == json!("drop_connection") && r["user"] == json!("dropped")),
        "{records:#?}"
    );

    let refused_truth = dir.0.join("refused.jsonl");
    let refusing = Server::start(&[
        "--fault",
        "refuse_connections=1",
        "--truth",
        refused_truth.to_str().unwrap(),
    ]);
    match refusing.connect_with("jwt-auth").await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert_eq!(
                response.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                Some("3")
            );
        }
        Err(other) => panic!("expected 503, got {other}"),
        Ok(_) => panic!("expected 503, got an upgrade"),
    }
    assert!(
        truth_records(&refused_truth).iter().any(|r| r["fault"] == json!("refuse_connections"))
    );
}

/// What arrives on `socket` until `quiet` passes without a frame (for at most `limit` in all):
/// the text frames, parsed. Panics when the connection ends or anything but text arrives (a
/// frozen connection must stay open and send nothing, not even a close frame).
async fn frames_until_silent(socket: &mut Socket, quiet: Duration, limit: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut frames = Vec::new();
    loop {
        assert!(tokio::time::Instant::now() < deadline, "never quiet for {quiet:?}: {frames:#?}");
        match tokio::time::timeout(quiet, socket.next()).await {
            Err(_) => return frames,
            Ok(Some(Ok(Message::Text(text)))) => {
                frames.push(serde_json::from_str(text.as_str()).unwrap());
            }
            Ok(other) => panic!("the connection must stay open and quiet, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_frozen_connection_goes_silent_but_open_and_a_new_one_resumes_every_missed_frame() {
    let dir = tempdir::Dir::new("truth-freeze");
    let truth = dir.0.join("truth.jsonl");
    // Heartbeats every 0.3 s of client silence: 1.5 s without any frame means frozen.
    let server = Server::start(&[
        "--seq",
        "--fault",
        "freeze_connection=1",
        "--heartbeat-after",
        "0.3",
        "--speed",
        "20",
        "--truth",
        truth.to_str().unwrap(),
    ]);
    let quiet = Duration::from_millis(1500);
    let token = server.token("frozen-user").await;
    let mut frozen = server.connect(&token).await;
    assert_eq!(next_json(&mut frozen, 5).await["type"], json!("connection_established"));
    send(&mut frozen, json!({"type": "start_agent", "payload": {"user_request": "freeze me"}}))
        .await;

    // Part of the run (numbered from 1, no gap), maybe heartbeats, then silence once the truth
    // file says the connection froze (a loaded machine may pause before that: read on).
    let mut before = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (records, freeze) = loop {
        assert!(tokio::time::Instant::now() < deadline, "never frozen: {before:#?}");
        before.extend(frames_until_silent(&mut frozen, quiet, Duration::from_secs(20)).await);
        let records = truth_records(&truth);
        let freeze = records.iter().position(|r| {
            r["record"] == json!("fault") && r["fault"] == json!("freeze_connection")
        });
        if let Some(freeze) = freeze {
            break (records, freeze);
        }
    };
    let mut received: Vec<Value> = before.into_iter().filter(|f| f["seq"].is_u64()).collect();
    let seqs: Vec<u64> = received.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert!(!seqs.is_empty(), "the run's first half arrives before the freeze");
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let last_seq = *seqs.last().unwrap();

    // The truth file says which connection froze, and nothing was queued for it afterwards.
    let connection = records
        .iter()
        .find(|r| r["record"] == json!("direct") && r["user"] == json!("frozen-user"))
        .map(|r| r["connection"].clone())
        .expect("connection_established is recorded");
    assert_eq!(
        (records[freeze]["user"].clone(), records[freeze]["connection"].clone()),
        (json!("frozen-user"), connection.clone())
    );
    for record in &records[freeze..] {
        assert!(
            !record["connections"].as_array().is_some_and(|ids| ids.contains(&connection)),
            "queued for the frozen connection: {record}"
        );
    }

    // A ping gets no pong, and still no heartbeat: the connection is open but says nothing.
    send(&mut frozen, json!({"type": "ping"})).await;
    let after_ping = frames_until_silent(&mut frozen, quiet, Duration::from_secs(5)).await;
    assert_eq!(after_ping, Vec::<Value>::new(), "a frozen connection sends nothing");

    // The client gives up on it: its close gets no close frame back either.
    frozen.send(Message::Close(None)).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match frozen.next().await {
                Some(Ok(Message::Close(frame))) => return Some(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the server lets the connection go once the client closes it");
    assert_eq!(ended, None, "no close frame from a frozen connection");

    // Wait until the run has ended (it goes on while nobody receives it), then resume.
    let run_over = |records: &[Value]| {
        records.iter().any(|r| {
            r["record"] == json!("frame")
                && r["text"].as_str().is_some_and(|text| {
                    text.contains(r#""type":"agent_completed""#)
                        && text.contains(r#""agent_name":"supervisor""#)
                })
        })
    };
    let mut waited = 0;
    while !run_over(&truth_records(&truth)) {
        assert!(waited < 200, "the run never ended");
        waited += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut resumed = server.connect(&token).await;
    assert_eq!(next_json(&mut resumed, 5).await["type"], json!("connection_established"));
    send(&mut resumed, json!({"type": "resume", "payload": {"last_seq": last_seq}})).await;
    let result = loop {
        let frame = next_json(&mut resumed, 10).await;
        match frame["type"].as_str() {
            Some("resume_result") => break frame,
            // A slow client may have let a heartbeat in before its `resume`.
            Some("heartbeat") => continue,
            _ => received.push(frame),
        }
    };
    let total = received.last().and_then(|f| f["seq"].as_u64()).unwrap();
    assert!(total > last_seq, "the frames after the freeze are replayed");
    assert_eq!(
        (&result["data"]["complete"], &result["data"]["from_seq"], &result["data"]["to_seq"]),
        (&json!(true), &json!(last_seq + 1), &json!(total)),
        "{result}"
    );
    // Together: the whole run, each frame once, in order, and the checker finds it clean.
    let seqs: Vec<u64> = received.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    let last = received.last().unwrap();
    assert_eq!(
        (last["type"].clone(), last["agent_name"].clone()),
        (json!("agent_completed"), json!("supervisor"))
    );
    let mut checker = Checker::new(CheckerConfig::offline().with_user("frozen-user"));
    for frame in &received {
        let _ = checker.handle_text(&frame.to_string(), None);
    }
    checker.finish();
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert!(flags.is_empty(), "{flags:#?}");
    // The new connection is a live one: it answers.
    send(&mut resumed, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut resumed, 5).await["type"], json!("pong"));
}

#[tokio::test]
async fn without_faults_many_runs_of_several_users_raise_no_error_or_warning() {
    let server = Server::start(&["--users", "10", "--run-every", "0.1"]);
    let (_, _, body) = server.get("/dev/users").await;
    let users: Vec<Value> =
        serde_json::from_str(&body[body.find('[').unwrap()..=body.rfind(']').unwrap()]).unwrap();
    let mut sockets = Vec::new();
    for user in &users {
        let mut socket = server.connect(user["token"].as_str().unwrap()).await;
        next_json(&mut socket, 5).await;
        sockets.push((user["user_id"].as_str().unwrap().to_owned(), socket));
    }
    for (user, socket) in &mut sockets {
        // Demo traffic never pauses: take two seconds of it.
        let mut frames = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    frames.push(text.as_str().to_owned());
                }
            }
        })
        .await;
        // Runs overlap and the window cuts some: judge only the runs whose start was seen.
        let run_of = |frame: &String| decode(frame).ok().and_then(|event| event.context.run_id);
        let started: std::collections::BTreeSet<String> = frames
            .iter()
            .filter(|f| {
                f.contains(r#""type":"agent_started""#)
                    && f.contains(r#""agent_name":"supervisor""#)
            })
            .filter_map(run_of)
            .collect();
        assert!(!started.is_empty(), "{user}: no run started in two seconds");
        let judged: Vec<String> = frames
            .iter()
            .filter(|f| run_of(f).is_some_and(|run| started.contains(&run)))
            .cloned()
            .collect();
        let serious: Vec<_> = flags_for(user, &judged)
            .into_iter()
            .filter(|f| {
                f.severity >= agentwire::Severity::Warning
                    && f.rule != agentwire::Rule::RunIncomplete
            })
            .collect();
        assert!(serious.is_empty(), "{user}: {serious:#?}");
    }
}

#[tokio::test]
async fn the_truth_file_also_records_what_each_connection_gets_for_itself() {
    let dir = tempdir::Dir::new("truth-direct");
    let truth = dir.0.join("truth.jsonl");
    let server = Server::start(&["--truth", truth.to_str().unwrap()]);
    let mut socket = established(&server, "direct-user").await;
    send(&mut socket, json!({"type": "ping"})).await;
    next_json(&mut socket, 5).await;
    let (refused, _) = server.connect_with("jwt-auth").await.unwrap();
    expect_auth_failure(refused).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let direct: Vec<Value> =
        truth_records(&truth).into_iter().filter(|r| r["record"] == json!("direct")).collect();
    let kinds: Vec<(Value, String)> = direct
        .iter()
        .map(|r| {
            (
                r["user"].clone(),
                serde_json::from_str::<Value>(r["text"].as_str().unwrap()).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("direct-user"), "connection_established".to_owned()),
            (json!("direct-user"), "pong".to_owned()),
            (Value::Null, "error_message".to_owned()),
        ]
    );
    assert!(direct[0]["connection"].is_u64());
}

#[test]
fn ctrl_c_shuts_the_server_down_cleanly() {
    let mut server = Server::start(&[]);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    // Up to 10 s, in 50 ms steps.
    let status = (0..200)
        .find_map(|_| {
            let status = server.child.try_wait().unwrap();
            if status.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            status
        })
        .expect("still running 10 s after SIGINT");
    assert_eq!(status.code(), Some(0));
}

// --- limits and review fixes ---

#[tokio::test]
async fn a_user_can_have_at_most_eight_runs_in_progress() {
    let server = Server::start(&["--speed", "0.5"]);
    let mut socket = established(&server, "busy").await;
    for n in 0..9 {
        send(
            &mut socket,
            json!({"type": "start_agent", "payload": {"user_request": format!("job {n}")}}),
        )
        .await;
    }
    // The ninth is refused at once; the eight runs go on.
    let refused = loop {
        let frame = next_json(&mut socket, 5).await;
        if frame["type"] == json!("error_message") {
            break frame;
        }
    };
    assert_eq!(refused["error_code"], json!("AGENT_REQUEST_ERROR"), "{refused}");
}

#[tokio::test]
async fn with_seq_a_dropped_frame_leaves_a_sequence_gap() {
    let server = Server::start(&["--seq", "--fault", "drop=1"]);
    let mut socket = established(&server, "gap-user").await;
    send(&mut socket, json!({"type": "start_agent", "payload": {"user_request": "lossy"}})).await;
    let frames = frames_until_quiet(&mut socket, Duration::from_millis(1500)).await;
    let flags = flags_for("gap-user", &frames);
    assert!(flags.iter().any(|f| f.rule == agentwire::Rule::SequenceGap), "{flags:#?}");
}

#[tokio::test]
async fn a_subprotocol_list_split_over_several_header_lines_is_read_whole() {
    // A raw upgrade request: tungstenite's client only checks the echo against its first line.
    let server = Server::start(&[]);
    let token = URL_SAFE_NO_PAD.encode(server.token("split-header").await);
    let mut stream = TcpStream::connect(&server.address).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: jwt-auth\r\nSec-WebSocket-Protocol: jwt.{token}\r\n\r\n",
        server.address
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&head[..read]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains(&format!("sec-websocket-protocol: jwt.{}", token.to_ascii_lowercase())),
        "{head}"
    );
}

/// `--www` files are served only when their real path lies under the directory: a symbolic
/// link that leads out of it is a 404, whatever the spelling of the URL; links within it work.
#[cfg(unix)]
#[tokio::test]
async fn the_page_server_does_not_follow_links_out_of_its_directory() {
    use std::os::unix::fs::symlink;
    let server = Server::start(&[]);
    let www = &server._www.0;
    let outside = support::tempdir::Dir::new("outside");
    std::fs::write(outside.0.join("secret.txt"), "outside").unwrap();
    std::fs::write(outside.0.join("index.html"), "outside index").unwrap();
    symlink(&outside.0, www.join("leak")).unwrap();
    symlink(outside.0.join("secret.txt"), www.join("leak.txt")).unwrap();
    symlink(www.join("app.wasm"), www.join("inner.wasm")).unwrap();
    std::fs::create_dir(www.join("sub")).unwrap();
    symlink(outside.0.join("index.html"), www.join("sub").join("index.html")).unwrap();
    for path in
        ["/leak/secret.txt", "/leak.txt", "/le%61k/secret.txt", "/leak/", "/sub/", "/./leak.txt"]
    {
        let (status, _, body) = server.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("outside"), "{path}: {body}");
    }
    for path in ["/", "/index.html", "/inner.wasm", "/app.wasm"] {
        let (status, _, _) = server.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, _, _) = server.get("/../etc/passwd").await;
    assert!(status == 404 || status == 400, "{status}");
}

#[tokio::test]
async fn out_of_range_options_and_blank_dev_users_are_refused() {
    for args in [
        ["--heartbeat-after", "1e300"],
        ["--seq-keep", "-1"],
        ["--run-every", "0"],
        ["--speed", "0"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_agentwire"))
            .args(["serve", "--port", "0", "--www", "."])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let server = Server::start(&[]);
    let (status, _, _) = server.get("/dev/token?user=%20").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn connect_disconnect_and_typing_get_system_message_acks() {
    let server = Server::start(&[]);
    let mut socket = established(&server, "typist").await;
    for (kind, status) in [
        ("connect", "connected"),
        ("typing", "typing_acknowledged"),
        ("typing_started", "typing_acknowledged"),
        ("disconnect", "disconnect_acknowledged"),
    ] {
        send(&mut socket, json!({"type": kind, "payload": {"thread_id": "t1"}})).await;
        let ack = next_json(&mut socket, 5).await;
        assert_eq!(ack["type"], json!("system_message"), "{kind}: {ack}");
        assert_eq!(
            (ack["data"]["status"].clone(), ack["data"]["user_id"].clone()),
            (json!(status), json!("typist"))
        );
    }
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let server = Server::start(&[]);
    let mut socket = established(&server, "garbled").await;
    let frame = Frame::message(vec![0xff, 0xfe, 0x7b], OpCode::Data(Data::Text), true);
    socket.send(Message::Frame(frame)).await.unwrap();
    let closed = close_code(&mut socket).await;
    assert_eq!(closed, Some(CloseCode::Invalid));
}

#[tokio::test]
async fn a_token_entry_too_short_to_be_a_token_is_echoed_then_fails_authentication() {
    let server = Server::start(&[]);
    // The tungstenite client checks the echo against its own list: offer just that entry.
    let (socket, response) = server.connect_with("jwt.abc").await.unwrap();
    assert_eq!(
        response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
        Some("jwt.abc")
    );
    expect_auth_failure(socket).await;
}

#[tokio::test]
async fn dev_endpoints_refuse_a_foreign_host_header_against_dns_rebinding() {
    let server = Server::start(&[]);
    let mut stream = TcpStream::connect(&server.address).await.unwrap();
    let request =
        "GET /dev/users HTTP/1.1\r\nHost: attacker.example:8080\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    let (status, _, _) = server.get("/dev/users").await; // Host: 127.0.0.1:PORT
    assert_eq!(status, 200);
}

/// A client that stops reading while frames keep coming is dropped once its outbox is full:
/// it gets what was queued, then a close 1013 ("try again later") with a reason, instead of a
/// bare TCP close, and the truth file records it.
#[tokio::test]
async fn a_reader_too_slow_for_its_outbox_is_closed_with_1013_and_a_reason() {
    use tokio::net::TcpSocket;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let dir = support::tempdir::Dir::new("slow-truth");
    let truth = dir.0.join("truth.jsonl");
    let truth_arg = truth.to_string_lossy().into_owned();
    let server = Server::start(&[
        "--users",
        "1",
        "--run-every",
        "0.01",
        "--speed",
        "10000",
        "--truth",
        &truth_arg,
    ]);
    let (_, _, body) = server.get("/dev/users").await;
    let users: Vec<Value> =
        serde_json::from_str(&body[body.find('[').unwrap()..=body.rfind(']').unwrap()]).unwrap();
    let token = users[0]["token"].as_str().unwrap().to_owned();
    // A small receive buffer, and no reading: the server's writes block, its outbox fills.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.address.parse().unwrap()).await.unwrap();
    let mut request = server.url().into_client_request().unwrap();
    let protocols = format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(&token));
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let closed =
            truth_records(&truth).into_iter().any(|record| record["record"] == json!("closed"));
        if closed {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the slow reader was never dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let record = truth_records(&truth)
        .into_iter()
        .find(|record| record["record"] == json!("closed"))
        .unwrap();
    assert_eq!(
        (record["reason"].clone(), record["code"].clone()),
        (json!("too_slow"), json!(1013))
    );
    let close = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the close frame arrives once the queued frames are read")
    .expect("a close code and reason");
    assert_eq!(u16::from(close.code), 1013);
    assert!(close.reason.contains("too slow"), "{}", close.reason);
}
