//! The server's own frames, in the shapes the real manager sends them (docs/protocol.md §2,
//! §2): S1 `{"type", "data", "timestamp", "server_id", "correlation_id"}` for connection,
//! heartbeat and acknowledgement frames, S2 for `error_message`.

use agentwire::Timestamp;
use serde_json::{Value, json};

use super::auth::truncate_user_id;

/// The five critical events, as `connection_established` lists them.
const GOLDEN_PATH: [&str; 5] =
    ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

/// Python's `time.time()`: epoch seconds as a float.
fn epoch(now: Timestamp) -> f64 {
    now.as_unix_micros() as f64 / 1e6
}

/// Python's `datetime.now(timezone.utc).isoformat()`: microseconds and `+00:00`.
pub(crate) fn iso(now: Timestamp) -> String {
    let micros = now.as_unix_micros().rem_euclid(1_000_000);
    let whole = Timestamp::from_unix_micros(now.as_unix_micros() - micros).to_string();
    format!("{}.{micros:06}+00:00", whole.trim_end_matches('Z'))
}

/// An S1 server message.
fn s1(kind: &str, data: Value, now: Timestamp) -> Value {
    json!({
        "type": kind,
        "data": data,
        "timestamp": epoch(now),
        "server_id": null,
        "correlation_id": null,
    })
}

/// `connection_established` (S1, main mode), with the user id truncated as the manager does.
pub(crate) fn connection_established(
    user_id: &str,
    connection_id: &str,
    seq: bool,
    now: Timestamp,
) -> Value {
    s1(
        "connection_established",
        json!({
            "mode": "main",
            "user_id": truncate_user_id(user_id),
            "connection_id": connection_id,
            "golden_path_events": GOLDEN_PATH,
            "features": {"agent_orchestration": true, "tool_execution": true, "seq": seq},
            "timestamp": iso(now),
        }),
        now,
    )
}

/// `connection_established` as an October manager sends it (§6): the same S1 frame, with the
/// full user id.
pub(crate) fn connection_established_october(
    user_id: &str,
    connection_id: &str,
    seq: bool,
    now: Timestamp,
) -> Value {
    let mut frame = connection_established(user_id, connection_id, seq, now);
    if let Some(data) = frame.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("user_id".to_owned(), Value::from(user_id));
    }
    frame
}

/// `handshake_response` (§6 step 2): root-level fields, `thread_id` assigned by the server.
pub(crate) fn handshake_response(
    thread_id: &str,
    run_id: &str,
    request_id: &str,
    now: Timestamp,
) -> Value {
    json!({
        "type": "handshake_response",
        "thread_id": thread_id,
        "run_id": run_id,
        "request_id": request_id,
        "timestamp": iso(now),
        "message": "Handshake started: reply with handshake_acknowledged and this thread_id",
    })
}

/// `handshake_complete` (§6 step 4), the first frame after the client's ack.
pub(crate) fn handshake_complete(thread_id: &str, now: Timestamp) -> Value {
    json!({"type": "handshake_complete", "thread_id": thread_id, "timestamp": iso(now)})
}

/// Seconds an October manager estimates a run's cleanup takes (`cleanup_duration_estimate`).
const CLEANUP_ESTIMATE_SECONDS: f64 = 0.5;

/// Resources a run's cleanup releases (`cleanup_complete.data.total_cleanups`).
const CLEANUP_COUNT: u64 = 3;

/// The frames an October manager sends after a run's last event (§6): `cleanup_started`,
/// `cleanup_duration_estimate` and `cleanup_complete`, S1 with the run's `run_id` and
/// `thread_id` at the root so a client can group them with the run.
pub(crate) fn cleanup(
    connection_id: &str,
    run_id: &str,
    thread_id: &str,
    now: Timestamp,
) -> [Value; 3] {
    let with_run = |mut frame: Value| {
        if let Some(object) = frame.as_object_mut() {
            object.insert("run_id".to_owned(), Value::from(run_id));
            object.insert("thread_id".to_owned(), Value::from(thread_id));
        }
        frame
    };
    [
        with_run(s1("cleanup_started", json!({"connection_id": connection_id}), now)),
        with_run(s1(
            "cleanup_duration_estimate",
            json!({"estimated_seconds": CLEANUP_ESTIMATE_SECONDS}),
            now,
        )),
        with_run(s1(
            "cleanup_complete",
            json!({
                "cleanup_status": "success",
                "successful_cleanups": CLEANUP_COUNT,
                "total_cleanups": CLEANUP_COUNT,
            }),
            now,
        )),
    ]
}

/// The server's keepalive after client silence.
pub(crate) fn heartbeat(connection_id: &str, processed: u64, now: Timestamp) -> Value {
    s1(
        "heartbeat",
        json!({
            "connection_id": connection_id,
            "timestamp": iso(now),
            "stats": {"messages_processed": processed, "agent_events_processed": 0},
        }),
        now,
    )
}

/// The answer to a client `ping`, with the full user id.
pub(crate) fn pong(user_id: &str, now: Timestamp) -> Value {
    s1("pong", json!({"timestamp": epoch(now), "user_id": user_id}), now)
}

/// The answer to a client `heartbeat`.
pub(crate) fn heartbeat_ack(now: Timestamp) -> Value {
    s1("heartbeat_ack", json!({"timestamp": epoch(now), "status": "healthy"}), now)
}

/// The acknowledgement of a client message type the server does not handle.
pub(crate) fn ack(received_type: &str, user_id: &str, now: Timestamp) -> Value {
    json!({
        "type": "ack",
        "received_type": received_type,
        "timestamp": epoch(now),
        "user_id": user_id,
        "status": "acknowledged",
    })
}

/// The answer to a `resume` (agentwire's sequence extension): which missed frames were replayed,
/// and whether all of them were still held.
pub(crate) fn resume_result(from_seq: u64, to_seq: u64, complete: bool, now: Timestamp) -> Value {
    s1("resume_result", json!({"from_seq": from_seq, "to_seq": to_seq, "complete": complete}), now)
}

/// A `system_message` acknowledgement (for `connect`, `disconnect` and typing notices).
pub(crate) fn system_ack(status: &str, user_id: &str, now: Timestamp) -> Value {
    s1("system_message", json!({"status": status, "user_id": user_id, "timestamp": iso(now)}), now)
}

/// An S2 `error_message`.
pub(crate) fn error_message(code: &str, message: &str, now: Timestamp) -> Value {
    json!({
        "type": "error_message",
        "error_code": code,
        "error_message": message,
        "details": {},
        "timestamp": epoch(now),
        "recovery_suggestions": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_matches_python_isoformat() {
        let now = Timestamp::from_unix_micros(1_758_207_374_000_042);
        assert_eq!(iso(now), "2025-09-18T14:56:14.000042+00:00");
    }

    #[test]
    fn connection_established_decodes_with_a_truncated_user_and_the_seq_feature() {
        let now = Timestamp::from_unix_micros(1_758_207_374_100_000);
        let frame = connection_established("7c9e6679-7425", "main_3fa9c2d1", true, now);
        let event = agentwire::decode(&frame.to_string()).unwrap();
        let agentwire::EventKind::ConnectionEstablished(established) = event.kind else {
            panic!("{event:?}")
        };
        assert!(established.seq_supported);
        assert_eq!(event.context.user_id.as_deref(), Some("7c9e6679..."));
    }

    #[test]
    fn error_message_is_the_s2_shape() {
        let frame = error_message("AUTH_FAILED", "no token", Timestamp::EPOCH);
        let event = agentwire::decode(&frame.to_string()).unwrap();
        assert!(event.kind.is_auth_failure());
    }

    #[test]
    fn october_connection_established_carries_the_full_user_id() {
        let frame = connection_established_october(
            "7c9e6679-7425",
            "main_3fa9c2d1",
            false,
            Timestamp::EPOCH,
        );
        assert_eq!(frame["data"]["user_id"], "7c9e6679-7425");
        assert_eq!(frame["type"], "connection_established");
    }

    #[test]
    fn cleanup_frames_carry_their_run_and_the_fields_of_section_10() {
        let [started, estimate, complete] =
            cleanup("main_1", "run_ws_1", "thread_ab", Timestamp::EPOCH);
        assert_eq!(started["data"]["connection_id"], "main_1");
        assert!(estimate["data"]["estimated_seconds"].is_f64());
        assert_eq!(complete["data"]["cleanup_status"], "success");
        assert_eq!(complete["data"]["successful_cleanups"], complete["data"]["total_cleanups"]);
        for frame in [&started, &estimate, &complete] {
            assert_eq!(
                (&frame["run_id"], &frame["thread_id"]),
                (&json!("run_ws_1"), &json!("thread_ab"))
            );
        }
    }

    #[test]
    fn handshake_frames_have_root_level_fields() {
        let response = handshake_response("thread_ab", "run_ws_1", "ws_req_1", Timestamp::EPOCH);
        assert_eq!(response["thread_id"], "thread_ab");
        assert_eq!(response["timestamp"], "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(handshake_complete("thread_ab", Timestamp::EPOCH)["thread_id"], "thread_ab");
    }
}
