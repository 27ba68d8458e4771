//! The hand-written JSON against the `Serialize` derives it replaces at the JS boundary: the
//! same JSON value for every event (frame-shaped objects at random, the CLI's fixture streams),
//! state, outcome, flag, counter set and client message, and serde_json's exact text for
//! strings and numbers.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::write_typed;
use super::{Object, WriteJson, to_json};
use crate::check::{Flag, Rule};
use crate::encode::ClientMessage;
use crate::session::{
    ClosedReason, ConnectionState, Disconnect, DisconnectCause, HandshakeOutcome, ResumeOutcome,
    SeqRange, Stats,
};
use crate::{Event, Timestamp, decode};

/// The typed part of an event, written whole.
pub(crate) fn typed_json(event: &Event) -> String {
    let mut out = String::new();
    let mut object = Object::open(&mut out);
    write_typed(event, &mut object);
    object.close();
    out
}

/// The typed part of an event as the JS side receives it: described.
pub(crate) fn described(event: &Event) -> super::Description {
    let mut out = String::new();
    let mut description = super::Description::default();
    let mut object = Object::described(&mut out, &event.raw, &mut description);
    write_typed(event, &mut object);
    object.close();
    assert!(out.is_empty(), "a described object writes no text");
    description
}

/// The event's derive, without `raw` (the JS side has the frame's text itself).
fn derived(event: &Event) -> Value {
    let mut value = serde_json::to_value(event).unwrap();
    value.as_object_mut().unwrap().remove("raw");
    value
}

fn assert_event_agrees(text: &str) {
    let Ok(event) = decode(text) else { return };
    let written = typed_json(&event);
    let parsed: Value = serde_json::from_str(&written)
        .unwrap_or_else(|error| panic!("{written} is not JSON ({error}), from {text}"));
    assert_eq!(parsed, derived(&event), "{text}");
}

fn assert_same<T: WriteJson + Serialize + std::fmt::Debug>(value: &T) {
    let written = to_json(value);
    let parsed: Value = serde_json::from_str(&written)
        .unwrap_or_else(|error| panic!("{written} is not JSON ({error}), from {value:?}"));
    assert_eq!(parsed, serde_json::to_value(value).unwrap(), "{value:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn events_are_written_as_their_derive_writes_them(frame in crate::decode::differential::frame()) {
        assert_event_agrees(&frame.to_string());
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them(text in "\\PC*|[\\x00-\\x1f\"\\\\\\x7f]{0,12}") {
        prop_assert_eq!(to_json(text.as_str()), serde_json::to_string(&text).unwrap());
    }

    #[test]
    fn numbers_are_written_exactly_as_serde_json_writes_them(integer: u64, bits: u64) {
        prop_assert_eq!(to_json(&integer), serde_json::to_string(&integer).unwrap());
        let float = f64::from_bits(bits);
        prop_assert_eq!(to_json(&float), serde_json::to_string(&float).unwrap());
    }
}

/// Every frame of the CLI's fixture streams (`cli/tests/fixtures/*.frames`), one per line.
pub(crate) fn fixture_frames() -> Vec<String> {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/tests/fixtures");
    let mut frames = Vec::new();
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "frames") {
            let text = std::fs::read_to_string(&path).unwrap();
            frames.extend(text.lines().map(str::to_owned));
        }
    }
    frames
}

#[test]
fn every_fixture_stream_is_written_as_its_derive_writes_it() {
    let frames = fixture_frames();
    for frame in &frames {
        assert_event_agrees(frame);
    }
    assert!(frames.len() > 20, "the fixtures hold frames ({})", frames.len());
}

#[test]
fn control_characters_and_edges_are_written_as_serde_json_writes_them() {
    for text in ["", "\u{0}\u{1f}\u{7f}", "é\u{2028}😀", "\\\"/", "\u{8}\u{c}\n\r\t"] {
        assert_eq!(to_json(text), serde_json::to_string(text).unwrap());
    }
    for number in [0, 9, 10, u64::MAX, 1 << 53] {
        assert_eq!(to_json(&number), number.to_string());
    }
    for float in [0.0, -0.0, 1.0, 0.1, 1e16, 1e-7, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE] {
        assert_eq!(to_json(&float), serde_json::to_string(&float).unwrap(), "{float}");
    }
}

#[test]
fn every_state_outcome_flag_and_counter_is_written_as_its_derive_writes_it() {
    let at = Timestamp::from_unix_micros(1_758_207_374_123_456);
    let messages = vec![
        ClientMessage::UserMessage { content: "hi \"there\"".into(), thread_id: None },
        ClientMessage::StartAgent { user_request: "go".into(), thread_id: Some("t1".into()) },
        ClientMessage::Ping,
        ClientMessage::Pong,
        ClientMessage::HeartbeatAck,
        ClientMessage::Resume { last_seq: 41 },
        ClientMessage::HandshakeAcknowledged { thread_id: Some("t2".into()) },
        ClientMessage::HandshakeAcknowledged { thread_id: None },
        ClientMessage::Custom(
            crate::CustomMessage::new(
                r#"{"type":"stop_agent","payload":{"run_id":"r1","n":[1,2.5,null]}}"#,
            )
            .expect("a valid custom message"),
        ),
    ];
    for message in &messages {
        assert_same(message);
    }
    for state in [
        ConnectionState::Idle,
        ConnectionState::Connecting { attempt: 3 },
        ConnectionState::Handshaking,
        ConnectionState::Open,
        ConnectionState::BackingOff { attempt: 2, retry_at: at, delay_ms: 750 },
        ConnectionState::Closed { reason: ClosedReason::Client, unsent: messages.clone() },
        ConnectionState::Closed {
            reason: ClosedReason::AuthFailed { code: Some(1008), message: "no".into() },
            unsent: Vec::new(),
        },
        ConnectionState::Closed {
            reason: ClosedReason::AuthFailed { code: None, message: String::new() },
            unsent: Vec::new(),
        },
        ConnectionState::Closed { reason: ClosedReason::GaveUp { attempts: 9 }, unsent: vec![] },
    ] {
        assert_same(&state);
    }
    for cause in [
        DisconnectCause::Closed,
        DisconnectCause::ConnectTimeout,
        DisconnectCause::HeartbeatTimeout,
        DisconnectCause::TokenUnavailable,
    ] {
        assert_same(&Disconnect { code: 1006, reason: "gone\n".into(), was_clean: false, cause });
    }
    let missing = SeqRange { first: 4, last: 9 };
    for outcome in [
        ResumeOutcome::Recovered { last_seq: 3, replayed: 2 },
        ResumeOutcome::Partial { last_seq: 3, replayed: 2, missing },
        ResumeOutcome::Unrecoverable { last_seq: 3, missing },
        ResumeOutcome::Reset { last_seq: 3, server_last_seq: 1 },
    ] {
        assert_same(&outcome);
    }
    for outcome in [
        HandshakeOutcome::Complete { thread_id: Some("thread_1".into()) },
        HandshakeOutcome::Acknowledged { thread_id: None },
        HandshakeOutcome::Missing,
    ] {
        assert_same(&outcome);
    }
    for rule in Rule::ALL {
        assert_same(&Flag {
            rule,
            severity: rule.severity(),
            frame: Some(7),
            related_frames: vec![1, 2],
            run_id: Some("run_1".into()),
            message: "a `sentence` with \"quotes\"".into(),
        });
    }
    assert_same(&Flag {
        rule: Rule::RunStalled,
        severity: Rule::RunStalled.severity(),
        frame: None,
        related_frames: Vec::new(),
        run_id: None,
        message: String::new(),
    });
    let mut stats = Stats { frames: 12, queued: 3, last_seq: Some(11), ..Stats::default() };
    assert_same(&stats);
    stats.flags_by_rule.add(crate::Rule::DuplicateEvent);
    stats.flags_by_rule.add(crate::Rule::DuplicateEvent);
    stats.flags_by_rule.add(crate::Rule::RunStalled);
    stats.last_frame_at = Some(at);
    assert_same(&stats);
}
