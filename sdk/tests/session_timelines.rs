//! Every connection decision of the sans-IO [`Session`], scripted on a simulated clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod common;
#[path = "common/harness.rs"]
mod harness;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use agentwire::session::{CLOSE_DEAD, ClosedReason, Disconnect, DisconnectCause, SeqRange};
use agentwire::{
    Backoff, ClientMessage, Command, ConnectionState, DecodeError, ResumeOutcome, Rule, SendError,
    SessionConfig, SessionEvent,
};
use harness::{Harness, backoff_delay_or_panic};
use serde_json::{Value, json};

fn sent_types(sent: &[Value]) -> Vec<&str> {
    sent.iter().map(|frame| frame["type"].as_str().unwrap()).collect()
}

fn established(seq: bool) -> String {
    json!({"type":"connection_established","data":{"mode":"main","user_id":"user-1...","connection_id":"main_1","features":{"seq":seq}},"timestamp":1758207374.1}).to_string()
}

fn numbered(seq: u64) -> String {
    json!({"type":"agent_thinking","user_id":"user-1","thread_id":"t1","run_id":"r1","reasoning":format!("step {seq}"),"seq":seq}).to_string()
}

/// A numbered frame whose content differs from [`numbered`]'s (so it is not a duplicate).
fn numbered_by(who: &str, seq: u64) -> String {
    json!({"type":"agent_thinking","user_id":"user-1","thread_id":"t1","run_id":"r1","reasoning":format!("{who}: step {seq}"),"seq":seq}).to_string()
}

/// The sequence rules among the flags raised so far.
fn sequence_flags(h: &Harness) -> Vec<Rule> {
    h.flags()
        .into_iter()
        .filter(|rule| matches!(rule, Rule::SequenceGap | Rule::SequenceRegression))
        .collect()
}

fn user_message(text: &str) -> ClientMessage {
    ClientMessage::UserMessage { content: text.to_owned(), thread_id: Some("t1".to_owned()) }
}

// --- reconnect and backoff ---

#[test]
fn connect_asks_the_driver_for_a_socket_and_reports_connecting() {
    let mut h = Harness::new(SessionConfig::default());
    assert_eq!(h.take_commands(), [Command::Connect { fresh_token: false }]);
    assert_eq!(h.take_events(), [SessionEvent::State(ConnectionState::Connecting { attempt: 0 })]);
    h.open();
    assert_eq!(h.state(), ConnectionState::Connecting { attempt: 0 }, "not accepted yet");
    assert!(h.take_events().is_empty(), "the socket's open is not a state change");
    h.frame(&established(false));
    assert_eq!(h.state(), ConnectionState::Open);
    assert!(h.take_events().contains(&SessionEvent::State(ConnectionState::Open)));
}

#[test]
fn a_connection_the_server_refuses_never_reports_open() {
    // A manager accepts the socket, then checks the token: an AUTH_FAILED frame and 1008.
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(r#"{"type":"error_message","error_code":"AUTH_FAILED","error_message":"bad token"}"#);
    h.close(1008, "Authentication failed");
    let states: Vec<&str> = h
        .take_events()
        .iter()
        .filter_map(|event| match event {
            SessionEvent::State(state) => Some(state.name()),
            _ => None,
        })
        .collect();
    assert_eq!(states, ["connecting", "closed"]);
}

#[test]
fn a_silent_server_is_reported_open_once_ready_after_passes() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.advance(999);
    assert_eq!(h.state(), ConnectionState::Connecting { attempt: 0 });
    h.advance(1);
    assert_eq!(h.state(), ConnectionState::Open);
}

#[test]
fn failed_attempts_back_off_within_doubling_ceilings_up_to_the_cap() {
    let backoff = Backoff::default();
    let mut h = Harness::new(SessionConfig::default());
    for attempt in 0..12u32 {
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        let ceiling = backoff.ceiling(attempt).as_millis() as u64;
        assert!(delay >= 50 && delay <= ceiling, "attempt {attempt}: {delay} ms > {ceiling} ms");
        assert!(ceiling <= 30_000);
        let before = h.connects();
        h.advance(i64::try_from(delay).unwrap());
        assert_eq!(h.connects(), before + 1, "attempt {attempt} reconnects when its wait ends");
        assert_eq!(h.state(), ConnectionState::Connecting { attempt: attempt + 1 });
    }
    assert_eq!(h.session.stats().reconnects, 12);
}

#[test]
fn jitter_spreads_clients_that_lost_the_same_server() {
    // 200 clients, each on its fifth retry (ceiling 8 s): their delays must not bunch up.
    let delays: Vec<u64> = (0..200u64)
        .map(|seed| {
            let mut h = Harness::with_seed(SessionConfig::default(), seed);
            for _ in 0..5 {
                h.close(1006, "");
                let delay = backoff_delay_or_panic(&h.state());
                h.advance(i64::try_from(delay).unwrap());
            }
            h.close(1006, "");
            backoff_delay_or_panic(&h.state())
        })
        .collect();
    let distinct: BTreeSet<u64> = delays.iter().copied().collect();
    assert!(distinct.len() > 190, "{} distinct delays of 200", distinct.len());
    // Full jitter: spread over the whole range, so each quarter of [50 ms, 16 s] gets clients.
    for quarter in 0..4u64 {
        let (low, high) = (50 + quarter * 3_990, 50 + (quarter + 1) * 3_990);
        let count = delays.iter().filter(|d| (low..high).contains(d)).count();
        assert!(count >= 25, "quarter {quarter} has {count} clients: {delays:?}");
    }
}

#[test]
fn the_attempt_counter_restarts_after_a_stable_connection() {
    let mut h = Harness::new(SessionConfig::default());
    for _ in 0..6 {
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    h.open();
    h.frame(&established(false));
    h.advance(5_000);
    h.close(1001, "going away");
    assert!(matches!(h.state(), ConnectionState::BackingOff { attempt: 1, .. }), "{:?}", h.state());
    assert!(backoff_delay_or_panic(&h.state()) <= 500);
}

#[test]
fn a_connection_the_server_spoke_on_brings_the_wait_back_to_the_second_step() {
    // A healthy server that drops connections every few seconds: the waits must not grow.
    let backoff = Backoff::default();
    let mut h = Harness::new(SessionConfig::default());
    for _ in 0..6 {
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    for drop in 0..20 {
        h.open();
        h.frame(&established(false));
        h.advance(2_000);
        h.close(1006, "");
        assert!(
            matches!(h.state(), ConnectionState::BackingOff { attempt: 2, .. }),
            "drop {drop}: {:?}",
            h.state()
        );
        let delay = backoff_delay_or_panic(&h.state());
        assert!(delay <= backoff.ceiling(1).as_millis() as u64, "drop {drop}: waits {delay} ms");
        h.advance(i64::try_from(delay).unwrap());
    }
    // Attempts that fail after it escalate again.
    h.close(1006, "");
    assert!(matches!(h.state(), ConnectionState::BackingOff { attempt: 3, .. }), "{:?}", h.state());
}

#[test]
fn a_connection_that_opens_but_never_speaks_keeps_the_attempt_counter() {
    let mut h = Harness::new(SessionConfig::default());
    for _ in 0..4 {
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    h.open();
    h.advance(4_000);
    h.close(1006, "");
    assert!(matches!(h.state(), ConnectionState::BackingOff { attempt: 5, .. }), "{:?}", h.state());
}

#[test]
fn max_attempts_gives_up_with_a_reason() {
    let config = SessionConfig {
        backoff: Backoff { max_attempts: Some(2), ..Backoff::default() },
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    for _ in 0..2 {
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    h.close(1006, "");
    assert_eq!(
        h.state(),
        ConnectionState::Closed { reason: ClosedReason::GaveUp { attempts: 3 }, unsent: vec![] }
    );
    let connects = h.connects();
    h.advance(120_000);
    assert_eq!(h.connects(), connects, "no attempt after giving up");
}

#[test]
fn a_timer_that_fires_late_starts_one_attempt_not_a_pile() {
    let mut h = Harness::new(SessionConfig::default());
    h.close(1006, "");
    let connects = h.connects();
    h.sleep_then_fire(600_000);
    assert_eq!(h.connects(), connects + 1);
    h.session.handle_timeout(h.now);
    h.drain();
    assert_eq!(h.connects(), connects + 1, "a second late call changes nothing");
}

#[test]
fn a_socket_that_does_not_open_in_time_is_abandoned_and_retried() {
    let mut h = Harness::new(SessionConfig::default());
    h.take_commands();
    h.take_events();
    h.advance(9_999);
    assert!(h.take_commands().is_empty());
    h.advance(1);
    assert_eq!(h.take_commands(), [Command::Close { code: 1000, reason: "connect timeout" }]);
    let events = h.take_events();
    assert!(events.contains(&SessionEvent::Disconnected(Disconnect {
        code: 1006,
        reason: String::new(),
        was_clean: false,
        cause: DisconnectCause::ConnectTimeout,
    })));
    assert!(matches!(h.state(), ConnectionState::BackingOff { .. }));
}

#[test]
fn coming_back_online_cuts_a_long_wait_short_but_not_a_short_one() {
    let mut h = Harness::new(SessionConfig::default());
    // Drive the backoff up until a wait longer than a second is drawn.
    loop {
        h.close(1006, "");
        if backoff_delay_or_panic(&h.state()) > 2_000 {
            break;
        }
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    let connects = h.connects();
    h.session.handle_wake(h.now);
    h.drain();
    assert_eq!(h.connects(), connects + 1);
    assert!(matches!(h.state(), ConnectionState::Connecting { .. }));

    // A wait under a second is left alone.
    let config = SessionConfig {
        backoff: Backoff { cap: Duration::from_millis(900), ..Backoff::default() },
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.close(1006, "");
    let connects = h.connects();
    h.session.handle_wake(h.now);
    h.drain();
    assert_eq!(h.connects(), connects);
}

// --- close codes ---

#[test]
fn the_clients_own_close_ends_the_session_with_1000_and_no_retry() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.take_commands();
    h.session.close();
    h.drain();
    assert_eq!(h.take_commands(), [Command::Close { code: 1000, reason: "client closed" }]);
    assert_eq!(h.state(), ConnectionState::Closed { reason: ClosedReason::Client, unsent: vec![] });
    h.advance(600_000);
    assert_eq!(h.connects(), 0);
    assert_eq!(h.send(user_message("late")), Err(SendError::Closed));
}

#[test]
fn policy_violation_stops_retrying_and_reports_an_auth_error() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.close(1008, "Authentication failed");
    assert_eq!(
        h.state(),
        ConnectionState::Closed {
            reason: ClosedReason::AuthFailed {
                code: Some(1008),
                message: "Authentication failed".into()
            },
            unsent: vec![]
        }
    );
    let connects = h.connects();
    h.advance(600_000);
    assert_eq!(h.connects(), connects, "no retry storm");
}

#[test]
fn an_auth_failed_frame_makes_the_following_close_an_auth_error_whatever_its_code() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(r#"{"type":"error_message","error_code":"AUTH_FAILED","error_message":"WebSocket authentication failed","details":{}}"#);
    h.close(1000, "");
    assert!(
        matches!(h.state(), ConnectionState::Closed { reason: ClosedReason::AuthFailed { code: Some(1000), ref message }, .. } if message == "WebSocket authentication failed"),
        "{:?}",
        h.state()
    );
}

#[test]
fn auth_looking_internal_errors_stop_but_service_errors_retry() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.close(1011, "SSOT Auth failed");
    assert!(matches!(
        h.state(),
        ConnectionState::Closed { reason: ClosedReason::AuthFailed { .. }, .. }
    ));

    for (code, reason) in [
        (1011, "Service not ready: database"),
        (1000, "main cleanup"),
        (1001, "Startup timeout"),
        (1006, ""),
        (1013, "Service temporarily unavailable - retry in 30 seconds"),
    ] {
        let mut h = Harness::new(SessionConfig::default());
        h.open();
        h.close(code, reason);
        assert!(matches!(h.state(), ConnectionState::BackingOff { .. }), "{code} {reason}");
        assert!(h.events.iter().any(|event| matches!(event,
            SessionEvent::Disconnected(Disconnect { code: c, cause: DisconnectCause::Closed, .. }) if *c == code)));
    }
}

#[test]
fn a_refused_token_is_refreshed_once_then_the_session_gives_up() {
    let config = SessionConfig { refresh_token: true, ..SessionConfig::default() };
    let mut h = Harness::new(config);
    h.open();
    h.take_commands();
    h.close(1008, "Authentication failed");
    assert_eq!(h.take_commands(), [Command::Connect { fresh_token: true }]);
    h.open();
    h.close(1008, "Authentication failed");
    assert!(matches!(
        h.state(),
        ConnectionState::Closed { reason: ClosedReason::AuthFailed { .. }, .. }
    ));
    assert!(h.take_commands().is_empty());
}

#[test]
fn a_fresh_token_that_works_allows_another_refresh_later() {
    let config = SessionConfig { refresh_token: true, ..SessionConfig::default() };
    let mut h = Harness::new(config);
    h.open();
    h.close(1008, "token expired");
    h.open();
    h.frame(&established(false));
    h.advance(60_000);
    h.take_commands();
    h.close(1008, "token expired");
    assert_eq!(h.take_commands(), [Command::Connect { fresh_token: true }]);
}

#[test]
fn a_failed_token_refresh_is_an_auth_error_but_a_failed_first_fetch_retries() {
    let config = SessionConfig { refresh_token: true, ..SessionConfig::default() };
    let mut h = Harness::new(config.clone());
    h.open();
    h.close(1008, "");
    h.session.handle_token_error(h.now, "getToken rejected");
    h.drain();
    assert!(matches!(h.state(),
        ConnectionState::Closed { reason: ClosedReason::AuthFailed { code: None, ref message }, .. }
        if message.contains("getToken rejected")));

    let mut h = Harness::new(config);
    h.session.handle_token_error(h.now, "network down");
    h.drain();
    assert!(matches!(h.state(), ConnectionState::BackingOff { .. }));
    assert!(h.events.iter().any(|event| matches!(
        event,
        SessionEvent::Disconnected(Disconnect { cause: DisconnectCause::TokenUnavailable, .. })
    )));
}

// --- heartbeat ---

#[test]
fn an_open_connection_pings_every_25_seconds() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.take_commands();
    for _ in 0..4 {
        h.advance(24_999);
        assert!(h.take_sent().is_empty());
        h.advance(1);
        assert_eq!(sent_types(&h.take_sent()), ["ping"]);
        h.frame(r#"{"type":"pong","data":{"user_id":"user-1"}}"#);
    }
    assert_eq!(h.state(), ConnectionState::Open);
}

#[test]
fn a_connection_that_stays_silent_after_a_ping_is_recycled() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(false));
    h.take_commands();
    h.advance(25_000);
    assert_eq!(sent_types(&h.take_sent()), ["ping"]);
    h.advance(19_999);
    assert_eq!(h.state(), ConnectionState::Open);
    h.advance(1);
    assert_eq!(
        h.take_commands(),
        [Command::Close { code: CLOSE_DEAD, reason: "heartbeat timeout" }]
    );
    assert!(h.events.iter().any(|event| matches!(
        event,
        SessionEvent::Disconnected(Disconnect { cause: DisconnectCause::HeartbeatTimeout, .. })
    )));
    assert!(matches!(h.state(), ConnectionState::BackingOff { .. }));
}

#[test]
fn short_heartbeat_settings_recycle_a_silent_connection_quickly() {
    // Pings more often than the answer window: the regular pings must not keep postponing
    // the verdict on the first unanswered one.
    let config = SessionConfig {
        ping_every: Duration::from_millis(400),
        dead_after: Duration::from_millis(1_200),
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.open();
    h.frame(&established(false));
    h.advance(1_399);
    assert_eq!(h.state(), ConnectionState::Open);
    h.advance(1);
    assert!(matches!(h.state(), ConnectionState::BackingOff { .. }), "{:?}", h.state());
    assert!(h.events.iter().any(|event| matches!(
        event,
        SessionEvent::Disconnected(Disconnect { cause: DisconnectCause::HeartbeatTimeout, .. })
    )));
}

#[test]
fn any_frame_keeps_the_connection_alive() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    for _ in 0..20 {
        h.advance(10_000);
        h.frame(r#"{"type":"heartbeat","data":{}}"#);
    }
    assert_eq!(h.state(), ConnectionState::Open);
}

#[test]
fn after_a_sleep_the_connection_is_probed_before_it_is_declared_dead() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.take_commands();
    h.sleep_then_fire(600_000);
    assert_eq!(sent_types(&h.take_sent()), ["ping"], "a probe, not a recycle");
    assert_eq!(h.state(), ConnectionState::Open);
    h.frame(r#"{"type":"pong"}"#);
    h.advance(1_000);
    assert_eq!(h.state(), ConnectionState::Open, "it answered: still alive");

    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.sleep_then_fire(600_000);
    h.advance(20_000);
    assert!(matches!(h.state(), ConnectionState::BackingOff { .. }), "no answer to the probe");
}

#[test]
fn server_pings_and_heartbeats_are_answered() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.take_commands();
    h.frame(r#"{"type":"ping","timestamp":1758207374}"#);
    h.frame(r#"{"type":"heartbeat","data":{"connection_id":"main_1"}}"#);
    assert_eq!(sent_types(&h.take_sent()), ["pong", "heartbeat_ack"]);
}

// --- outbound queue ---

#[test]
fn messages_sent_while_disconnected_are_flushed_in_order_once_the_server_speaks() {
    let mut h = Harness::new(SessionConfig::default());
    for i in 0..5 {
        h.send(user_message(&format!("message {i}"))).unwrap();
    }
    assert_eq!(h.session.stats().queued, 5);
    h.open();
    assert!(h.take_sent().is_empty(), "not flushed into a connection the server may refuse");
    h.frame(&established(false));
    let sent = h.take_sent();
    let contents: Vec<&str> =
        sent.iter().map(|frame| frame["payload"]["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["message 0", "message 1", "message 2", "message 3", "message 4"]);
    assert_eq!(h.session.stats().queued, 0);
    h.send(user_message("live")).unwrap();
    assert_eq!(h.take_sent().len(), 1, "sent at once when ready");
}

#[test]
fn a_silent_server_gets_the_queue_after_ready_after() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(user_message("hello")).unwrap();
    h.open();
    h.advance(999);
    assert!(h.take_sent().is_empty());
    h.advance(1);
    assert_eq!(sent_types(&h.take_sent()), ["user_message"]);
}

#[test]
fn a_full_queue_refuses_the_send_instead_of_dropping_it() {
    let mut h = Harness::new(SessionConfig::default());
    for i in 0..100 {
        h.send(user_message(&format!("{i}"))).unwrap();
    }
    assert_eq!(h.send(user_message("one too many")), Err(SendError::QueueFull { limit: 100 }));
    assert_eq!(h.session.stats().queued, 100);
    h.open();
    h.frame(&established(false));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 100);
    assert_eq!(sent[99]["payload"]["content"], "99");
}

#[test]
fn messages_still_queued_when_the_session_ends_are_handed_back() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(user_message("first")).unwrap();
    h.send(user_message("second")).unwrap();
    h.open();
    h.close(1008, "Authentication failed");
    let ConnectionState::Closed { unsent, .. } = h.state() else { panic!("{:?}", h.state()) };
    assert_eq!(unsent, [user_message("first"), user_message("second")]);
}

/// A server that accepts, says `connection_established` and drops at once, again and again:
/// each such connection counts as a failed attempt, so the waits escalate to the cap instead
/// of staying at the first ceilings (which made about two reconnects a second, forever).
#[test]
fn a_server_that_accepts_and_drops_at_once_gets_escalating_waits() {
    let mut h = Harness::new(SessionConfig::default());
    let mut attempts = Vec::new();
    let mut connects_in_a_minute = 0;
    let mut elapsed = 0;
    for _ in 0..12 {
        h.open();
        h.frame(&established(false));
        h.close(1011, "");
        let ConnectionState::BackingOff { attempt, delay_ms, .. } = h.state() else {
            panic!("expected backing off, got {:?}", h.state())
        };
        attempts.push(attempt);
        elapsed += delay_ms;
        if elapsed <= 60_000 {
            connects_in_a_minute += 1;
        }
        h.advance(i64::try_from(delay_ms).unwrap());
    }
    assert_eq!(attempts, (1..=12).collect::<Vec<u32>>(), "every drop escalates");
    assert!(connects_in_a_minute < 20, "{connects_in_a_minute} connections in a minute");
}

/// A connection that lived (stayed up for `reset_after`) still rejoins fast when it drops,
/// even after a run of short-lived ones; and a server back from an outage is rejoined at the
/// first ceilings, not at the outage's.
#[test]
fn a_connection_that_lived_rejoins_fast_after_short_lived_ones() {
    let mut h = Harness::new(SessionConfig::default());
    for _ in 0..5 {
        h.open();
        h.frame(&established(false));
        h.close(1011, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
    }
    h.open();
    h.frame(&established(false));
    h.advance(6_000);
    h.close(1006, "");
    assert!(matches!(h.state(), ConnectionState::BackingOff { attempt: 1, .. }), "{:?}", h.state());
    // An outage: ten refused attempts, then the server is back and the connection drops once.
    for _ in 0..10 {
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
        h.close(1006, "");
    }
    let delay = backoff_delay_or_panic(&h.state());
    h.advance(i64::try_from(delay).unwrap());
    h.open();
    h.frame(&established(false));
    h.close(1006, "");
    let ConnectionState::BackingOff { attempt, .. } = h.state() else { panic!("{:?}", h.state()) };
    assert!(attempt <= 2, "rejoined at the first ceilings, attempt {attempt}");
}

// --- resume ---

#[test]
fn a_reconnect_resumes_from_the_last_seq_and_reports_full_recovery() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(true));
    for seq in 1..=5 {
        h.frame(&numbered(seq));
    }
    h.send(user_message("while away")).unwrap();
    h.take_commands();
    h.close(1006, "");
    let delay = backoff_delay_or_panic(&h.state());
    h.send(user_message("queued")).unwrap();
    h.advance(i64::try_from(delay).unwrap());
    h.open();
    let sent = h.take_sent();
    assert_eq!(
        sent,
        [json!({"type":"resume","payload":{"last_seq":5},"timestamp":sent[0]["timestamp"]})]
    );
    h.frame(&numbered(6));
    h.frame(&numbered(7));
    h.frame(r#"{"type":"resume_result","data":{"from_seq":6,"to_seq":7,"complete":true}}"#);
    assert!(
        h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Recovered {
            last_seq: 5,
            replayed: 2
        }))
    );
    assert_eq!(sent_types(&h.take_sent()), ["user_message"], "the queue follows the resume");
    assert!(!h.flags().contains(&Rule::SequenceGap));
}

/// A bogus `seq` (here 2^53 + 10, which a hostile server sent) is flagged and never becomes the
/// resume point: the reconnect resumes from the last real number.
#[test]
fn a_bogus_sequence_number_is_not_the_resume_point() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(true));
    for seq in 1..=3 {
        h.frame(&numbered(seq));
    }
    h.frame(&numbered((1 << 53) + 10));
    h.frame(&numbered(4));
    assert_eq!(h.session.stats().last_seq, Some(4));
    assert!(h.flags().contains(&Rule::SequenceGap));
    h.take_commands();
    h.close(1006, "");
    let delay = backoff_delay_or_panic(&h.state());
    h.advance(i64::try_from(delay).unwrap());
    h.open();
    assert_eq!(h.take_sent()[0]["payload"]["last_seq"], json!(4));
}

#[test]
fn expired_frames_make_a_partial_or_unrecoverable_resume_with_the_missing_range() {
    let setup = || {
        let mut h = Harness::new(SessionConfig::default());
        h.open();
        h.frame(&established(true));
        h.frame(&numbered(1));
        h.frame(&numbered(2));
        h.close(1006, "");
        let delay = backoff_delay_or_panic(&h.state());
        h.advance(i64::try_from(delay).unwrap());
        h.open();
        h
    };
    let mut h = setup();
    h.frame(&numbered(5));
    h.frame(&numbered(6));
    h.frame(r#"{"type":"resume_result","data":{"from_seq":3,"to_seq":6,"complete":false}}"#);
    assert!(h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Partial {
        last_seq: 2,
        replayed: 2,
        missing: SeqRange { first: 3, last: 4 },
    })));
    assert!(h.flags().contains(&Rule::SequenceGap), "the checker names the lost frames too");

    let mut h = setup();
    h.frame(r#"{"type":"resume_result","data":{"from_seq":3,"to_seq":6,"complete":false}}"#);
    assert!(h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Unrecoverable {
        last_seq: 2,
        missing: SeqRange { first: 3, last: 6 },
    })));
}

#[test]
fn a_restarted_server_makes_a_reset_resume_and_numbering_starts_again_from_its_own() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(true));
    for seq in 1..=18 {
        h.frame(&numbered(seq));
    }
    h.drop_and_reopen();
    h.frame(&established(true));
    assert_eq!(h.take_sent()[0]["payload"]["last_seq"], 18);
    // The new server has no history and numbers from 1: it never reached seq 18.
    h.frame(r#"{"type":"resume_result","data":{"from_seq":19,"to_seq":0,"complete":true}}"#);
    assert!(
        h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Reset {
            last_seq: 18,
            server_last_seq: 0
        })),
        "{:?}",
        h.events
    );
    assert_eq!(h.session.stats().last_seq, Some(0));
    for seq in 1..=4 {
        h.frame(&numbered_by("the new server", seq));
    }
    assert_eq!(sequence_flags(&h), [], "the new numbering is neither a regression nor a gap");

    // The next drop resumes from the new server's numbers, so nothing it sends is lost.
    h.drop_and_reopen();
    assert_eq!(h.take_sent()[0]["payload"]["last_seq"], 4);
    h.frame(&numbered_by("the new server", 5));
    h.frame(&numbered_by("the new server", 6));
    h.frame(r#"{"type":"resume_result","data":{"from_seq":5,"to_seq":6,"complete":true}}"#);
    assert!(
        h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Recovered {
            last_seq: 4,
            replayed: 2
        }))
    );
    assert_eq!(sequence_flags(&h), []);
}

#[test]
fn a_resume_that_missed_nothing_is_a_recovery_not_a_reset() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(true));
    h.frame(&numbered(1));
    h.frame(&numbered(2));
    h.close(1006, "");
    let delay = backoff_delay_or_panic(&h.state());
    h.advance(i64::try_from(delay).unwrap());
    h.open();
    h.frame(r#"{"type":"resume_result","data":{"from_seq":3,"to_seq":2,"complete":true}}"#);
    assert!(
        h.events.contains(&SessionEvent::Resumed(ResumeOutcome::Recovered {
            last_seq: 2,
            replayed: 0
        }))
    );
    h.frame(&numbered_by("a different step with an old number", 2));
    assert_eq!(sequence_flags(&h), [Rule::SequenceRegression], "the old numbering still holds");
}

#[test]
fn no_resume_on_the_first_connection_or_to_a_server_without_seq() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    assert!(h.take_sent().is_empty());
    h.frame(&established(false));
    h.frame(&numbered(1));
    h.drop_and_reopen();
    assert!(h.take_sent().is_empty(), "the server never said it numbers frames");
}

// --- delivery, filtering and checking ---

#[test]
fn the_thread_filter_holds_back_foreign_threads_but_still_checks_them() {
    let config = SessionConfig {
        threads: Some(HashSet::from(["t1".to_owned()])),
        checker: agentwire::CheckerConfig::live().with_user("user-1"),
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.open();
    h.take_events();
    h.frame(r#"{"type":"agent_started","user_id":"user-1","thread_id":"t1","run_id":"r1"}"#);
    h.frame(r#"{"type":"agent_started","user_id":"someone-else","thread_id":"t2","run_id":"r2"}"#);
    let delivered: Vec<String> = h
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Event { event, .. } => event.context.thread_id.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, ["t1"]);
    assert_eq!(h.session.stats().filtered, 1);
    assert!(h.flags().contains(&Rule::CrossUserEvent));

    h.send(ClientMessage::StartAgent { user_request: "go".into(), thread_id: Some("t3".into()) })
        .unwrap();
    h.frame(r#"{"type":"agent_started","user_id":"user-1","thread_id":"t3","run_id":"r3"}"#);
    assert_eq!(h.session.stats().events, 2, "a thread the client sent to is let through");
}

#[test]
fn a_user_learned_from_a_token_shows_in_the_configuration_as_in_the_checker() {
    let mut h = Harness::new(SessionConfig::default());
    h.session.learn_user("user-7");
    assert_eq!(h.session.checker().user_id(), Some("user-7"));
    assert_eq!(h.session.config().checker.user_id.as_deref(), Some("user-7"));
    // A user already known is kept, in both.
    h.session.learn_user("user-8");
    assert_eq!(h.session.checker().user_id(), Some("user-7"));
    assert_eq!(h.session.config().checker.user_id.as_deref(), Some("user-7"));
}

#[test]
fn the_configured_thread_filter_is_the_one_applied_after_add_thread_and_a_send() {
    let config = SessionConfig {
        threads: Some(HashSet::from(["t1".to_owned()])),
        checker: agentwire::CheckerConfig::live().with_user("user-1"),
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.open();
    let threads = |h: &Harness| -> Vec<String> {
        let mut threads: Vec<String> =
            h.session.config().threads.iter().flatten().cloned().collect();
        threads.sort();
        threads
    };
    h.session.add_thread("t2");
    assert_eq!(threads(&h), ["t1", "t2"], "add_thread shows in the configuration");
    h.send(ClientMessage::UserMessage { content: "hi".into(), thread_id: Some("t3".into()) })
        .unwrap();
    assert_eq!(threads(&h), ["t1", "t2", "t3"], "so does a thread the client sent to");

    h.take_events();
    for thread in ["t1", "t2", "t3", "t4"] {
        h.frame(&format!(
            r#"{{"type":"agent_started","user_id":"user-1","thread_id":"{thread}","run_id":"r-{thread}"}}"#
        ));
    }
    let delivered: Vec<String> = h
        .take_events()
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Event { event, .. } => event.context.thread_id.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, threads(&h), "the filter lets through exactly the configured threads");
    assert_eq!(h.session.stats().filtered, 1);
}

#[test]
fn a_repeated_event_is_flagged_and_not_delivered_twice() {
    let started = common::started("r1", "triage", 0.0);
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.take_events();
    h.frame(&started);
    h.frame(&started);
    let delivered =
        h.events.iter().filter(|event| matches!(event, SessionEvent::Event { .. })).count();
    assert_eq!(delivered, 1, "the app sees the event once");
    assert_eq!(h.flags(), [Rule::DuplicateEvent], "and the repeat is loud");
    let stats = h.session.stats();
    assert_eq!((stats.events, stats.duplicates), (1, 1));

    let config = SessionConfig { deliver_duplicates: true, ..SessionConfig::default() };
    let mut h = Harness::new(config);
    h.open();
    h.frame(&started);
    h.frame(&started);
    let delivered =
        h.events.iter().filter(|event| matches!(event, SessionEvent::Event { .. })).count();
    assert_eq!(delivered, 2, "a debugging view can ask to see repeats");
}

#[test]
fn delivered_events_carry_the_frame_index_flags_refer_to() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&established(false));
    h.frame("not json");
    h.frame(&common::started("r1", "triage", 0.0));
    h.frame(r#"{"type":"tool_completed","run_id":"r1","tool_name":"cost_analyzer"}"#);
    let frames: Vec<(String, u64)> = h
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Event { event, frame, .. } => Some((event.name().to_owned(), *frame)),
            _ => None,
        })
        .collect();
    assert_eq!(
        frames,
        [
            ("connection_established".to_owned(), 0),
            ("agent_started".to_owned(), 2),
            ("tool_completed".to_owned(), 3)
        ]
    );
    let flagged: Vec<(Rule, Option<u64>)> = h
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Flag(flag) => Some((flag.rule, flag.frame)),
            _ => None,
        })
        .collect();
    assert!(flagged.contains(&(Rule::MalformedFrame, Some(1))), "{flagged:?}");
    assert!(flagged.contains(&(Rule::ToolCompletedWithoutExecuting, Some(3))), "{flagged:?}");
}

#[test]
fn a_run_that_goes_silent_is_flagged_by_the_timer() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&common::started("r1", "triage", 0.0));
    h.frame(r#"{"type":"pong"}"#);
    // Keep the connection itself alive with heartbeats, so only the run is silent.
    for _ in 0..4 {
        h.advance(10_000);
        h.frame(r#"{"type":"heartbeat","data":{}}"#);
    }
    assert_eq!(h.flags(), [Rule::RunStalled]);
}

#[test]
fn hostile_frames_become_flags_and_counts_never_panics() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame("not json");
    h.frame(&"[".repeat(100_000));
    h.frame(&format!(r#"{{"type":"agent_thinking","reasoning":"{}"}}"#, "x".repeat(4 << 20)));
    h.frame(r#"{"type":"<img src=x onerror=alert(1)>"}"#);
    h.session.handle_binary(h.now, &[0xff, 0xfe, 0x00]);
    h.drain();
    let stats = h.session.stats();
    assert_eq!(stats.frames, 5);
    assert_eq!(stats.decode_errors, 3);
    let flags = h.flags();
    assert_eq!(flags.iter().filter(|rule| **rule == Rule::MalformedFrame).count(), 3);
    assert!(flags.contains(&Rule::UnknownType));
    assert_eq!(stats.flags_by_rule.get(agentwire::Rule::MalformedFrame), 3);
    let kept: Vec<(u64, String)> = h
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Malformed { frame, text, .. } => {
                Some((*frame, text.chars().take(8).collect()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        kept,
        [
            (0, "not json".to_owned()),
            (1, "[[[[[[[[".to_owned()),
            (4, "\u{fffd}\u{fffd}\0".to_owned())
        ],
        "the text of every malformed frame is kept, with the index its flag names"
    );
}

#[test]
fn a_frame_over_the_size_limit_is_a_flag_not_kept_and_the_connection_goes_on() {
    let mut h = Harness::new(SessionConfig { max_frame_bytes: 64, ..SessionConfig::default() });
    h.open();
    let long = format!(r#"{{"type":"agent_thinking","reasoning":"{}"}}"#, "x".repeat(100));
    h.frame(&long);
    h.session.handle_owned_text(h.now, long.clone());
    h.session.handle_binary(h.now, long.as_bytes());
    // What the browser glue reports for a frame it did not copy; a report within the limit is
    // still a frame that was not handed over, so it is counted and flagged, never lost.
    h.session.handle_too_long(h.now, 1 << 40);
    h.session.handle_too_long(h.now, 64);
    h.frame(r#"{"type":"pong"}"#);
    h.drain();
    let stats = h.session.stats();
    assert_eq!((stats.frames, stats.decode_errors), (6, 5));
    assert_eq!(stats.bytes, 3 * long.len() as u64 + (1 << 40) + 64 + 15);
    let malformed: Vec<(u64, String, DecodeError)> = h
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Malformed { frame, text, error, .. } => {
                Some((*frame, text.clone(), error.clone()))
            }
            _ => None,
        })
        .collect();
    let too_long = |length: usize| DecodeError::TooLong { length: length as u64, limit: 64 };
    assert_eq!(
        malformed,
        [
            (0, String::new(), too_long(long.len())),
            (1, String::new(), too_long(long.len())),
            (2, String::new(), too_long(long.len())),
            (3, String::new(), too_long(1 << 40)),
            (4, String::new(), too_long(64)),
        ],
        "each is flagged with its length, and none is kept"
    );
    assert_eq!(h.flags(), [Rule::MalformedFrame; 5]);
    let delivered = h.events.iter().any(
        |event| matches!(event, SessionEvent::Event { event, frame: 5, .. } if event.name() == "pong"),
    );
    assert!(delivered, "the frame after them is decoded and delivered");
    // A frame exactly at the limit is decoded.
    let mut h = Harness::new(SessionConfig { max_frame_bytes: 15, ..SessionConfig::default() });
    h.open();
    h.frame(r#"{"type":"pong"}"#);
    assert_eq!(h.session.stats().decode_errors, 0);
}

#[test]
fn a_frame_before_the_open_signal_opens_the_connection() {
    // A server that refuses and closes at once: some browsers report the frame before `open`.
    let mut h = Harness::new(SessionConfig::default());
    h.frame(r#"{"type":"error_message","error_code":"AUTH_FAILED","error_message":"bad token"}"#);
    assert_eq!(h.state(), ConnectionState::Connecting { attempt: 0 }, "open, not accepted");
    assert_eq!(h.session.stats().frames, 1);
    h.close(1008, "Authentication failed");
    assert!(matches!(
        h.state(),
        ConnectionState::Closed { reason: ClosedReason::AuthFailed { .. }, .. }
    ));
}

#[test]
fn frames_arriving_outside_an_open_connection_are_ignored() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.close(1006, "");
    h.frame(&numbered(1));
    assert_eq!(h.session.stats().frames, 0);
    let mut h = Harness::new(SessionConfig::default());
    h.session.close();
    h.drain();
    h.frame(&numbered(1));
    h.close(1006, "");
    h.frame(&numbered(2));
    assert_eq!(h.session.stats().frames, 0);
}

#[test]
fn the_next_deadline_is_never_in_the_past_after_handling_it() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&common::started("r1", "triage", 0.0));
    for _ in 0..200 {
        let deadline = h.session.poll_timeout().unwrap();
        assert!(deadline >= h.now || deadline == h.now);
        h.now = deadline.max(h.now);
        h.session.handle_timeout(h.now);
        h.drain();
        if let Some(next) = h.session.poll_timeout() {
            assert!(next > h.now, "{next} is not after {}", h.now);
        }
    }
}

#[test]
fn a_frame_handed_over_owned_gives_what_a_borrowed_one_gives() {
    // The browser client hands each frame's text over (no copy); the events, flags, malformed
    // records and stats must be those of the borrowing entry point, frame for frame.
    let mut frames = common::clean_run("r1", 0.0);
    frames.push(frames[1].clone()); // a duplicate
    frames.push("{\"type\":\"agent_thinking\",".to_owned()); // not JSON
    frames.push("[1,2]".to_owned()); // not an object
    frames.push(common::thinking("r1", "a", 9.0, "after completion"));
    frames.push(String::new());
    let mut borrowed = Harness::new(SessionConfig::default());
    let mut owned = Harness::new(SessionConfig::default());
    borrowed.open();
    owned.open();
    for frame in &frames {
        borrowed.frame(frame);
        owned.session.handle_owned_text(owned.now, frame.clone());
        owned.drain();
    }
    let (borrowed_events, owned_events) = (borrowed.take_events(), owned.take_events());
    assert!(
        owned_events.iter().filter(|event| matches!(event, SessionEvent::Malformed { .. })).count()
            >= 3
    );
    assert_eq!(owned_events, borrowed_events);
    assert_eq!(owned.session.stats(), borrowed.session.stats());
}
