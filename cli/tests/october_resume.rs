//! `agentwire serve --protocol oct --seq`: an October client (docs/protocol.md §6) that
//! reconnects mid-run and resumes. The SDK sends `resume` right after `handshake_complete`, so
//! the server holds the user's live frames through the handshake and answers the `resume` first:
//! the replay, then `resume_result`, then live frames, one increasing sequence.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]
#![allow(clippy::disallowed_methods, reason = "a black-box test waits on the real clock")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use agentwire::Rule;
use serde_json::{Value, json};

mod support;
use support::october::{
    acknowledge, await_handshake, flags, handshake, october_client, user_message,
};
use support::{Server, Socket, next_json, send, tempdir, truth_records};

/// The numbered frames' `seq`, in order.
fn seqs(frames: &[Value]) -> Vec<u64> {
    frames.iter().filter_map(|frame| frame["seq"].as_u64()).collect()
}

/// Whether `frame` is the supervisor's `agent_completed`: the last frame of a run.
fn ends_the_run(frame: &Value) -> bool {
    frame["type"] == json!("agent_completed") && frame["agent_name"] == json!("supervisor")
}

/// Reads numbered frames until `count` of them arrived; every frame read, in order.
async fn numbered_frames(socket: &mut Socket, count: usize) -> Vec<Value> {
    let mut frames = Vec::new();
    while seqs(&frames).len() < count {
        frames.push(next_json(socket, 10).await);
    }
    frames
}

/// A server whose runs take a few seconds (speed 1), so a client can drop and come back while
/// one is in progress, writing its truth file in `dir`.
fn slow_seq_server(dir: &tempdir::Dir) -> (Server, PathBuf) {
    let truth = dir.0.join("truth.jsonl");
    let server = Server::start(&[
        "--protocol",
        "oct",
        "--seq",
        "--speed",
        "1",
        "--seed",
        "3",
        "--truth",
        truth.to_str().unwrap(),
    ]);
    (server, truth)
}

/// Waits (at most 10 s) until the truth file has a record `wanted` accepts.
async fn truth_has(truth: &Path, wanted: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !truth_records(truth).iter().any(&wanted) {
        assert!(tokio::time::Instant::now() < deadline, "no such truth record");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The hub connection id the truth file gives the connection whose handshake named `thread`
/// (waiting for the record: it is written just after `handshake_response` is sent).
async fn connection_of(truth: &Path, thread: &str) -> Value {
    let names_thread =
        |r: &Value| r["record"] == json!("handshake") && r["thread_id"] == json!(thread);
    truth_has(truth, names_thread).await;
    truth_records(truth)
        .into_iter()
        .find(names_thread)
        .map(|r| r["connection"].clone())
        .expect("the handshake is recorded")
}

/// Waits until a run frame of the user was queued for `connection` (held during its handshake).
async fn frame_queued_for(truth: &Path, connection: &Value) {
    truth_has(truth, |r| {
        r["record"] == json!("frame")
            && r["connections"].as_array().is_some_and(|ids| ids.contains(connection))
    })
    .await;
}

#[tokio::test]
async fn an_october_client_that_resumes_after_the_handshake_gets_the_replay_before_any_live_frame()
{
    let dir = tempdir::Dir::new("october-resume");
    let (server, truth) = slow_seq_server(&dir);
    let user = "resuming-user";
    // The first connection starts a run, sees its first frames, and drops mid-run.
    let mut first = october_client(&server, user).await;
    let (_, thread) = handshake(&mut first).await;
    send(&mut first, user_message("Cut my GPU spend by 30%", &thread)).await;
    let mut seen: Vec<Value> =
        numbered_frames(&mut first, 3).await.into_iter().filter(|f| f["seq"].is_u64()).collect();
    drop(first);
    let last_seq = *seqs(&seen).last().unwrap();
    // A frame goes out while nobody is connected, then one while the new connection is
    // handshaking: that one is queued for it, and must not overtake the replay.
    truth_has(&truth, |r| r["record"] == json!("frame") && r["seq"].as_u64() > Some(last_seq))
        .await;
    let mut second = october_client(&server, user).await;
    let (_, thread) = await_handshake(&mut second).await;
    frame_queued_for(&truth, &connection_of(&truth, &thread).await).await;
    acknowledge(&mut second, &thread).await;
    assert_eq!(next_json(&mut second, 2).await["type"], json!("handshake_complete"));
    send(&mut second, json!({"type": "resume", "payload": {"last_seq": last_seq}})).await;

    let mut replayed = Vec::new();
    let result = loop {
        let frame = next_json(&mut second, 10).await;
        if frame["type"] == json!("resume_result") {
            break frame;
        }
        replayed.push(frame);
    };
    let replayed_seqs = seqs(&replayed);
    assert_eq!(
        replayed_seqs.len(),
        replayed.len(),
        "only replayed frames come first: {replayed:#?}"
    );
    assert!(!replayed.is_empty(), "frames were missed while disconnected");
    let to_seq = last_seq + replayed.len() as u64;
    assert_eq!(replayed_seqs, (last_seq + 1..=to_seq).collect::<Vec<_>>(), "contiguous");
    assert_eq!(
        (&result["data"]["from_seq"], &result["data"]["to_seq"], &result["data"]["complete"]),
        (&json!(last_seq + 1), &json!(to_seq), &json!(true)),
        "{result}"
    );
    let mut live = Vec::new();
    if !replayed.iter().any(ends_the_run) {
        loop {
            let frame = next_json(&mut second, 20).await;
            let done = ends_the_run(&frame);
            live.push(frame);
            if done {
                break;
            }
        }
    }
    assert!(!live.is_empty(), "the run was still in progress after the resume");
    let live_seqs = seqs(&live);
    assert_eq!(
        live_seqs,
        (to_seq + 1..=to_seq + live_seqs.len() as u64).collect::<Vec<_>>(),
        "live frames continue the replay's numbering"
    );

    // What the client saw over both connections is one clean sequence.
    seen.extend(replayed);
    seen.push(result);
    seen.extend(live);
    let found = flags(user, &seen);
    let sequence = [Rule::SequenceGap, Rule::SequenceRegression];
    assert!(!found.iter().any(|f| sequence.contains(&f.rule)), "{found:#?}");
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test]
async fn an_october_connection_silent_after_the_handshake_gets_its_live_frames_after_the_grace() {
    let dir = tempdir::Dir::new("october-grace");
    let (server, truth) = slow_seq_server(&dir);
    let user = "silent-after-handshake";
    let mut runner = october_client(&server, user).await;
    let (_, thread) = handshake(&mut runner).await;
    send(&mut runner, user_message("Forecast storage", &thread)).await;
    numbered_frames(&mut runner, 1).await;

    let mut quiet = october_client(&server, user).await;
    let (_, thread) = await_handshake(&mut quiet).await;
    frame_queued_for(&truth, &connection_of(&truth, &thread).await).await;
    // Longer than the grace: a grace counted from the connection's start would be over.
    tokio::time::sleep(Duration::from_millis(700)).await;
    acknowledge(&mut quiet, &thread).await;
    assert_eq!(next_json(&mut quiet, 2).await["type"], json!("handshake_complete"));
    let completed = tokio::time::Instant::now();
    let first = next_json(&mut quiet, 5).await;
    let waited = completed.elapsed();
    assert!(first["seq"].is_u64(), "a live run frame: {first}");
    assert!(
        waited >= Duration::from_millis(400),
        "held for the grace after the handshake, not {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "released after the grace, not {waited:?}");
    let mut frames = vec![first];
    frames.extend(numbered_frames(&mut quiet, 2).await);
    let numbers = seqs(&frames);
    assert_eq!(numbers, (numbers[0]..numbers[0] + numbers.len() as u64).collect::<Vec<_>>());
}
