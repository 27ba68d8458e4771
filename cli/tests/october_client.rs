//! `agentwire serve` and a client of the October 2025 generation (docs/protocol.md §6): our
//! own client that follows §6 step by step, the subprotocol forms and credential fallbacks,
//! the handshake and what happens when a client gets it wrong, and September clients left as
//! they were.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]
#![allow(clippy::disallowed_methods, reason = "a black-box test waits on the real clock")]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

mod support;
use support::october::{
    ENVIRONMENTS, acknowledge, await_handshake, expect_cleanup, flags, frames_within, handshake,
    october_protocols, open, request, user_message,
};
use support::{Server, expect_auth_failure, frames_of_one_run, next_json, send, truth_records};

#[tokio::test]
async fn an_october_client_completes_a_golden_path_on_its_handshake_thread() {
    let server = Server::start(&["--protocol", "auto"]);
    let user = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    let jwt = server.token(user).await;
    let offered = october_protocols("staging", &jwt);
    let (mut socket, selected) = open(request(&server.url(), &offered)).await;
    assert_eq!(selected.as_deref(), Some(offered[0].as_str()), "the first entry is echoed");
    // §6 steps 1 to 4, one by one.
    let established = next_json(&mut socket, 2).await;
    assert_eq!(established["type"], json!("connection_established"), "{established}");
    assert_eq!(established["data"]["user_id"], json!(user), "October: the full user id");
    let response = next_json(&mut socket, 2).await;
    assert_eq!(response["type"], json!("handshake_response"), "{response}");
    let thread = response["thread_id"].as_str().unwrap().to_owned();
    acknowledge(&mut socket, &thread).await;
    let complete = next_json(&mut socket, 2).await;
    assert_eq!(complete["type"], json!("handshake_complete"), "{complete}");
    assert_eq!(complete["thread_id"], json!(thread));

    send(&mut socket, user_message("Cut my GPU spend by 30%", &thread)).await;
    let run = frames_of_one_run(&mut socket).await;
    assert_eq!(run[0]["type"], json!("agent_started"), "{:#?}", run[0]);
    for frame in &run {
        assert_eq!(frame["thread_id"], json!(thread), "on the handshake thread: {frame}");
        assert_eq!(frame["user_id"], json!(user), "{frame}");
    }
    let run_id = run[0]["run_id"].clone();
    let cleanup = expect_cleanup(&mut socket, &run_id, &thread).await;
    let found = flags(user, &run);
    assert!(found.is_empty(), "{found:#?}");
    // The whole session, handshake and cleanup frames included, is clean too.
    let session: Vec<Value> =
        [established, response, complete].into_iter().chain(run).chain(cleanup).collect();
    let found = flags(user, &session);
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test]
async fn a_user_message_without_a_thread_runs_on_the_handshake_thread() {
    let server = Server::start(&[]);
    let jwt = server.token("threadless").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("local", &jwt))).await;
    let (_, thread) = handshake(&mut socket).await;
    send(&mut socket, json!({"type": "user_message", "payload": {"content": "Forecast storage"}}))
        .await;
    for frame in frames_of_one_run(&mut socket).await {
        assert_eq!(frame["thread_id"], json!(thread), "{frame}");
    }
}

#[tokio::test]
async fn every_subprotocol_form_of_section_10_authenticates_and_is_echoed_verbatim() {
    let server = Server::start(&["--protocol", "oct"]);
    let jwt = server.token("form-user").await;
    for env in ENVIRONMENTS {
        for entry in october_protocols(env, &jwt) {
            let (mut socket, selected) =
                open(request(&server.url(), std::slice::from_ref(&entry))).await;
            assert_eq!(selected.as_deref(), Some(entry.as_str()));
            let (established, _) = handshake(&mut socket).await;
            assert_eq!(established["data"]["user_id"], json!("form-user"), "{entry}");
        }
    }
}

#[tokio::test]
async fn env_tagged_entries_alone_select_october_under_auto() {
    let server = Server::start(&[]);
    let jwt = server.token("tagged").await;
    for entry in october_protocols("production", &jwt).into_iter().take(3) {
        let (mut socket, selected) =
            open(request(&server.url(), std::slice::from_ref(&entry))).await;
        assert_eq!(selected.as_deref(), Some(entry.as_str()));
        handshake(&mut socket).await;
    }
}

#[tokio::test]
async fn malformed_october_entries_are_refused_and_an_unknown_env_tag_is_skipped() {
    let server = Server::start(&["--protocol", "oct"]);
    let jwt = server.token("malformed").await;
    // Two JWT parts after the env tag, or an unknown env tag alone: echoed, then refused by
    // authentication (AUTH_FAILED, close 1008).
    let (header, payload) =
        jwt.rsplit_once('.').map(|(head, _)| head.split_once('.').unwrap()).unwrap();
    for entry in [format!("jwt.staging.{header}.{payload}"), format!("jwt.qa.{jwt}")] {
        let (socket, selected) = open(request(&server.url(), std::slice::from_ref(&entry))).await;
        assert_eq!(selected.as_deref(), Some(entry.as_str()));
        expect_auth_failure(socket).await;
    }
    // An unknown env tag before a good entry: the good entry wins.
    let offered = vec![format!("jwt.qa.{jwt}"), format!("jwt.{jwt}")];
    let (mut socket, selected) = open(request(&server.url(), &offered)).await;
    assert_eq!(selected.as_deref(), Some(offered[1].as_str()));
    handshake(&mut socket).await;
    // Nothing supported: refused before the upgrade, as in September.
    let refused =
        tokio_tungstenite::connect_async(request(&server.url(), &["compression-gzip".to_owned()]))
            .await;
    assert!(refused.is_err(), "upgrade refused");
}

#[tokio::test]
async fn a_token_query_with_env_selects_october() {
    let server = Server::start(&[]);
    let jwt = server.token("query-user").await;
    let url = format!("{}?token={jwt}&env=staging", server.url());
    let (mut socket, selected) = open(request(&url, &[])).await;
    assert_eq!(selected, None);
    let (established, _) = handshake(&mut socket).await;
    assert_eq!(established["data"]["user_id"], json!("query-user"));
}

#[tokio::test]
async fn an_authorization_header_with_x_environment_selects_october() {
    let server = Server::start(&[]);
    let jwt = server.token("header-user").await;
    let mut request = request(&server.url(), &[]);
    request.headers_mut().insert("authorization", format!("Bearer {jwt}").parse().unwrap());
    request.headers_mut().insert("x-environment", "development".parse().unwrap());
    let (mut socket, _) = open(request).await;
    let (established, _) = handshake(&mut socket).await;
    assert_eq!(established["data"]["user_id"], json!("header-user"));
}

#[tokio::test]
async fn frames_of_the_user_wait_for_the_handshake_and_come_after_handshake_complete() {
    let server = Server::start(&[]);
    let user = "held-user";
    let jwt = server.token(user).await;
    let (mut october, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = await_handshake(&mut october).await;
    // A September connection of the same user runs a whole run while the October one has not
    // acknowledged yet.
    let mut september = server.connect(&jwt).await;
    assert_eq!(next_json(&mut september, 5).await["type"], json!("connection_established"));
    send(&mut september, json!({"type": "user_message", "payload": {"content": "Hold this", "thread_id": "thread_other"}})).await;
    let seen = frames_of_one_run(&mut september).await;
    assert!(frames_within(&mut october, Duration::from_millis(300)).await.is_empty());
    acknowledge(&mut october, &thread).await;
    assert_eq!(next_json(&mut october, 2).await["type"], json!("handshake_complete"));
    let held = frames_of_one_run(&mut october).await;
    assert_eq!(held, seen, "every held frame arrives, in order, after handshake_complete");
    expect_cleanup(&mut october, &seen[0]["run_id"], "thread_other").await;
    // The September connection gets no cleanup frames.
    assert!(frames_within(&mut september, Duration::from_millis(500)).await.is_empty());
}

#[tokio::test]
async fn a_user_message_before_the_ack_is_not_processed_and_the_run_works_after_it() {
    let server = Server::start(&[]);
    let jwt = server.token("eager").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = await_handshake(&mut socket).await;
    send(&mut socket, user_message("Too early", &thread)).await;
    let error = next_json(&mut socket, 2).await;
    assert_eq!(error["type"], json!("error_message"), "{error}");
    assert_eq!(error["error_code"], json!("HANDSHAKE_INCOMPLETE"));
    assert!(error["error_message"].as_str().unwrap().contains(&thread), "{error}");
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("pong"), "ping is answered");
    let later = frames_within(&mut socket, Duration::from_millis(800)).await;
    assert!(later.is_empty(), "no run started: {later:#?}");

    acknowledge(&mut socket, &thread).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("handshake_complete"));
    send(&mut socket, user_message("Now it counts", &thread)).await;
    let run = frames_of_one_run(&mut socket).await;
    assert_eq!(run[0]["type"], json!("agent_started"));
    assert_eq!(run[0]["thread_id"], json!(thread));
}

#[tokio::test]
async fn keepalives_before_the_ack_are_answered_as_in_september_and_start_nothing() {
    let server = Server::start(&[]);
    let jwt = server.token("keepalive").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = await_handshake(&mut socket).await;
    send(&mut socket, json!({"type": "heartbeat"})).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("heartbeat_ack"));
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("pong"));
    // Answers to the server's keepalives get no reply, and no HANDSHAKE_INCOMPLETE either.
    send(&mut socket, json!({"type": "pong"})).await;
    send(&mut socket, json!({"type": "heartbeat_ack"})).await;
    let later = frames_within(&mut socket, Duration::from_millis(500)).await;
    assert!(later.is_empty(), "nothing more: {later:#?}");

    acknowledge(&mut socket, &thread).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("handshake_complete"));
}

#[tokio::test]
async fn an_ack_naming_another_thread_gets_an_error_and_the_server_keeps_waiting() {
    let server = Server::start(&[]);
    let jwt = server.token("wrong-thread").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = await_handshake(&mut socket).await;
    acknowledge(&mut socket, "thread_not_mine").await;
    let error = next_json(&mut socket, 2).await;
    assert_eq!(error["error_code"], json!("HANDSHAKE_THREAD_MISMATCH"), "{error}");
    acknowledge(&mut socket, &thread).await;
    assert_eq!(next_json(&mut socket, 2).await["type"], json!("handshake_complete"));
}

#[tokio::test]
async fn without_an_ack_the_server_closes_with_1002_after_the_handshake_timeout_and_clients_retry()
{
    let server = Server::start(&["--handshake-timeout", "1"]);
    let jwt = server.token("silent").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    await_handshake(&mut socket).await;
    let started = tokio::time::Instant::now();
    let close = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    let Some(Ok(Message::Close(Some(frame)))) = close else {
        panic!("expected a close: {close:?}")
    };
    // A protocol error, not 1008: clients read 1008 as an auth failure and stop for good.
    assert_eq!(frame.code, CloseCode::Protocol);
    assert_eq!(frame.reason.as_str(), "handshake not acknowledged within 1 s");
    assert_eq!(
        agentwire::close::classify(frame.code.into(), frame.reason.as_str(), false),
        agentwire::CloseAction::Retry,
        "the SDK reconnects"
    );
    assert!(started.elapsed() > Duration::from_millis(700), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_september_client_gets_exactly_todays_session() {
    let server = Server::start(&[]);
    let jwt = server.token("7c9e6679-september").await;
    let offered = vec!["jwt-auth".to_owned(), format!("jwt.{}", URL_SAFE_NO_PAD.encode(&jwt))];
    let (mut socket, selected) = open(request(&server.url(), &offered)).await;
    assert_eq!(selected.as_deref(), Some(offered[1].as_str()));
    let established = next_json(&mut socket, 2).await;
    assert_eq!(established["data"]["user_id"], json!("7c9e6679..."), "truncated, as in September");
    assert!(
        frames_within(&mut socket, Duration::from_millis(500)).await.is_empty(),
        "no handshake"
    );
    send(&mut socket, json!({"type": "user_message", "payload": {"content": "Hi"}})).await;
    let run = frames_of_one_run(&mut socket).await;
    assert!(run[0]["thread_id"].as_str().unwrap().starts_with("thread_ws_"));
    let after = frames_within(&mut socket, Duration::from_millis(500)).await;
    assert!(after.is_empty(), "no cleanup frames: {after:#?}");
}

#[tokio::test]
async fn shapes_all_gives_a_september_client_no_october_spellings() {
    let server = Server::start(&["--shapes", "all", "--seed", "7"]);
    let jwt = server.token("all-shapes").await;
    let mut socket = server.connect(&jwt).await;
    assert_eq!(next_json(&mut socket, 5).await["type"], json!("connection_established"));
    for round in 0..4 {
        send(
            &mut socket,
            json!({"type": "user_message", "payload": {"content": format!("Run {round}")}}),
        )
        .await;
        for frame in frames_of_one_run(&mut socket).await {
            let text = frame.to_string();
            for october in
                ["\"thought\":", "\"retry_info\":", "\"llm_validation\":", "\"agents_involved\":"]
            {
                assert!(!text.contains(october), "{october} in a `--shapes all` frame: {text}");
            }
            assert_ne!(frame["type"], json!("system_message"), "{text}");
        }
    }
}

#[tokio::test]
async fn with_protocol_sept_an_october_list_is_echoed_then_refused_by_authentication() {
    let server = Server::start(&["--protocol", "sept"]);
    let jwt = server.token("too-new").await;
    let offered = october_protocols("staging", &jwt);
    let (socket, selected) = open(request(&server.url(), &offered)).await;
    // The September rules pick the first token-bearing entry; its suffix `<env>.<JWT>` is no JWT.
    assert_eq!(selected.as_deref(), Some(offered[0].as_str()));
    expect_auth_failure(socket).await;
}

#[tokio::test]
async fn with_protocol_oct_a_browser_client_gets_the_handshake_too() {
    let server = Server::start(&["--protocol", "oct"]);
    let jwt = server.token("browser").await;
    let mut socket = server.connect(&jwt).await;
    handshake(&mut socket).await;
}

#[tokio::test]
async fn the_truth_file_records_each_step_of_the_handshake() {
    let dir = std::env::temp_dir().join(format!("agentwire-october-truth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("truth.jsonl");
    let server = Server::start(&["--handshake-timeout", "1", "--truth", path.to_str().unwrap()]);
    let jwt = server.token("recorded").await;
    let (mut good, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = await_handshake(&mut good).await;
    acknowledge(&mut good, "thread_wrong").await;
    let _ = next_json(&mut good, 2).await;
    acknowledge(&mut good, &thread).await;
    assert_eq!(next_json(&mut good, 2).await["type"], json!("handshake_complete"));
    let (mut silent, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, silent_thread) = await_handshake(&mut silent).await;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(3), silent.next()).await
    {
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
    let records = truth_records(&path);
    let steps = |thread: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["record"] == json!("handshake") && r["thread_id"] == json!(thread))
            .map(|r| {
                assert_eq!(r["user"], json!("recorded"), "{r}");
                assert!(r["connection"].is_u64() && r["t"].is_string(), "{r}");
                r["event"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(steps(&thread), ["response_sent", "wrong_thread", "acknowledged", "complete_sent"]);
    assert_eq!(steps(&silent_thread), ["response_sent", "timeout"]);
    let wrong = records.iter().find(|r| r["event"] == json!("wrong_thread")).unwrap();
    assert_eq!(wrong["named"], json!("thread_wrong"));
    let direct = |kind: &str| {
        records.iter().any(|r| {
            r["record"] == json!("direct")
                && r["text"]
                    .as_str()
                    .is_some_and(|text| text.contains(&format!(r#""type":"{kind}""#)))
        })
    };
    assert!(
        direct("handshake_response") && direct("handshake_complete"),
        "the frames are direct records too"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn dev_info_reports_the_protocol_setting() {
    let server = Server::start(&["--protocol", "oct", "--handshake-timeout", "3"]);
    let (status, _, body) = server.get("/dev/info").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""protocol":"oct""#), "{body}");
    assert!(body.contains(r#""handshake_timeout":3.0"#), "{body}");
    let (_, _, default) = Server::start(&[]).get("/dev/info").await;
    assert!(default.contains(r#""protocol":"auto""#), "{default}");
}

#[test]
fn serve_help_documents_the_october_options() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agentwire"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "--protocol",
        "sept",
        "oct",
        "auto",
        "--handshake-timeout",
        "X-Environment",
        "`oct`",
        "1002",
        "all,oct",
    ] {
        assert!(help.contains(needle), "{needle} not in:\n{help}");
    }
}

/// Depends on the SDK decoder reading the §6 spellings and the `system_message` wrapper with
/// a root `event` (being added on main).
#[tokio::test]
async fn an_october_client_gets_clean_runs_in_october_spellings() {
    let server = Server::start(&["--shapes", "oct", "--seed", "7"]);
    let jwt = server.token("spelled").await;
    let (mut socket, _) = open(request(&server.url(), &october_protocols("staging", &jwt))).await;
    let (_, thread) = handshake(&mut socket).await;
    let mut session = Vec::new();
    for round in 0..4 {
        send(&mut socket, user_message(&format!("Request {round}"), &thread)).await;
        let run = frames_of_one_run(&mut socket).await;
        let run_id = run[0]["run_id"].clone();
        session.extend(run);
        expect_cleanup(&mut socket, &run_id, &thread).await;
    }
    let found = flags("spelled", &session);
    assert!(found.is_empty(), "{found:#?}");
}
