//! Unit tests of decoding: nesting limits, huge strings, typed structural errors, the entry
//! points agreeing, wrong-typed values, wrapper frames, duplicate keys.

use super::*;
use crate::event::EventKind;

fn nested(depth: usize) -> String {
    format!(r#"{{"type":"x","v":{}0{}}}"#, "[".repeat(depth - 1), "]".repeat(depth - 1))
}

#[test]
fn nesting_at_the_limit_decodes() {
    let event = decode(&nested(MAX_DEPTH)).expect("512 levels decode");
    assert_eq!(event.wire_type, "x");
}

#[test]
fn nesting_past_the_limit_is_too_deep_not_a_stack_overflow() {
    assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    let huge = "[".repeat(1_000_000);
    assert_eq!(decode(&huge), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    // Deep inside a JSON-typed field (skipped first, then hashed) and inside a body location.
    for field in ["results", "payload", "data", "other"] {
        let text =
            format!(r#"{{"type":"x","{field}":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(decode(&text), Err(DecodeError::TooDeep { limit: MAX_DEPTH }), "{field}");
    }
    // Unterminated and deep inside a JSON-typed field: invalid JSON is reported as such.
    let unterminated = format!(r#"{{"type":"x","results":{}"#, "[".repeat(100_000));
    assert!(matches!(decode(&unterminated), Err(DecodeError::InvalidJson { .. })));
}

#[test]
fn brackets_inside_strings_do_not_count_as_nesting() {
    let text = format!(r#"{{"type":"x","s":"{}\"{}"}}"#, "[".repeat(2000), "{".repeat(2000));
    assert!(decode(&text).is_ok());
}

#[test]
fn megabyte_strings_decode() {
    let text = format!(r#"{{"type":"agent_thinking","reasoning":"{}"}}"#, "a".repeat(1 << 20));
    let event = decode(&text).expect("1 MB string decodes");
    let EventKind::AgentThinking(thinking) = event.kind else { panic!("not thinking") };
    assert_eq!(thinking.reasoning.map(|r| r.len()), Some(1 << 20));
}

#[test]
fn structural_errors_are_typed() {
    assert!(matches!(decode("{"), Err(DecodeError::InvalidJson { line: 1, .. })));
    assert!(matches!(decode("{} {}"), Err(DecodeError::InvalidJson { .. })));
    assert_eq!(decode("[1]"), Err(DecodeError::NotAnObject { found: JsonKind::Array }));
    assert_eq!(decode("{}"), Err(DecodeError::MissingType));
    assert_eq!(decode(r#"{"type":""}"#), Err(DecodeError::MissingType));
    assert_eq!(decode(r#"{"type":null}"#), Err(DecodeError::MissingType));
    assert_eq!(
        decode(r#"{"type":7}"#),
        Err(DecodeError::TypeNotString { found: JsonKind::Number })
    );
    assert_eq!(decode_bytes(&[0x7b, 0xff]), Err(DecodeError::NotUtf8 { valid_up_to: 1 }));
}

#[test]
fn decode_owned_and_decode_value_agree_with_decode() {
    let text = r#"{"type":"agent_started","run_id":"r","n":1}"#;
    let event = decode(text).expect("ok");
    assert_eq!(decode_owned(text.to_owned()), Ok(event.clone()));
    let value: Value = serde_json::from_str(text).expect("json");
    assert_eq!(decode_value(&value).map(|e| e.fingerprint), Ok(event.fingerprint));
    assert_eq!(decode_value(&Value::Null), Err(DecodeError::NotAnObject { found: JsonKind::Null }));
    assert_eq!(event.raw.as_str(), text);
    assert_eq!(event.raw.to_value(), value);
}

#[test]
fn wrong_typed_values_are_skipped_like_absent_ones() {
    let event = decode(r#"{"type":"agent_started","run_id":{},"data":{"run_id":"r1"},"seq":"7"}"#)
        .expect("decodes");
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
    assert_eq!(event.context.seq, None);
}

#[test]
fn agent_update_wraps_a_critical_event_like_agent_progress() {
    let event =
        decode(r#"{"type":"agent_update","data":{"type":"tool_executing","tool_name":"t"}}"#)
            .expect("decodes");
    assert!(matches!(event.kind, EventKind::ToolExecuting(_)));
}

#[test]
fn duplicate_keys_are_accepted_and_the_last_wins() {
    let event = decode(r#"{"type":"agent_started","run_id":"a","run_id":"b"}"#).expect("ok");
    assert_eq!(event.context.run_id.as_deref(), Some("b"));
}

#[test]
fn invalid_json_error_reports_position_once() {
    let Err(DecodeError::InvalidJson { message, line, column }) = decode("{\n  \"type\": }") else {
        panic!("expected InvalidJson")
    };
    assert_eq!((line, column), (2, 11));
    assert!(!message.contains("at line"), "{message}");
}

/// What is wrong with invalid JSON and where, each error at the byte that shows it: the
/// scanner keeps the message and position apart from the stop it returns, and this pins that
/// each stop reports its own (a number out of range at its first byte; the second walk of a
/// JSON-typed field that nests too deep and is invalid too reports the invalid byte).
#[test]
fn invalid_json_reports_its_own_message_and_position() {
    let deep = format!(r#"{{"type":"x","results":{}{}}}"#, "[".repeat(600), "x]".repeat(600));
    let cases: [(&str, &str, usize, usize); 6] = [
        (r#"{"type":"x","seq":1e400}"#, "number out of range", 1, 19),
        (r#"{"type":"\x"}"#, "invalid escape", 1, 11),
        (r#"{"type":"x""#, "EOF while parsing an object", 1, 11),
        ("{\n  \"type\": }", "expected value", 2, 11),
        (r#"{"type":"x",}"#, "trailing comma", 1, 13),
        (&deep, "expected value", 1, 623),
    ];
    for (text, expected, expected_line, expected_column) in cases {
        let Err(DecodeError::InvalidJson { message, line, column }) = decode(text) else {
            panic!("expected InvalidJson for {text:?}")
        };
        assert_eq!(
            (message.as_str(), line, column),
            (expected, expected_line, expected_column),
            "{text:?}"
        );
    }
}

/// A frame decoded from owned text is the frame decoded from borrowed text: the same raw text
/// and the same verbatim ranges, which were computed while the owned text was only borrowed.
#[test]
fn owned_text_keeps_its_raw_text_and_verbatim_ranges() {
    let text =
        r#"{"type":"tool_completed","tool_name":"t\u0041","results":{"a":[1]},"run_id":"r1"}"#;
    let (Ok(borrowed), Ok(owned)) = (decode(text), decode_owned(text.to_owned())) else {
        panic!("decodes")
    };
    assert_eq!(owned.raw.as_str(), text);
    assert!(!borrowed.raw.verbatim().is_empty());
    assert_eq!(owned.raw.verbatim(), borrowed.raw.verbatim());
    assert_eq!(owned, borrowed);
}

/// `text` as a JSON literal with every character `\u`-escaped (surrogate pairs beyond the
/// Basic Multilingual Plane), the longest spelling of it.
fn all_escaped(text: &str) -> String {
    let mut literal = String::from("\"");
    for unit in text.encode_utf16() {
        literal.push_str(&format!("\\u{unit:04x}"));
    }
    literal.push('"');
    literal
}

proptest::proptest! {
    /// A literal has exactly its own value, spelled plainly, with the shortest escapes or with
    /// every character escaped; any other text, and a literal with something after it, is not
    /// its value.
    #[test]
    fn a_literal_has_exactly_its_value(
        text in "[a-z é😀\"\\\\\n\t/\u{1}]{0,40}",
        other in "[a-z é😀\"\\\\\n]{0,40}",
    ) {
        for literal in [serde_json::to_string(&text).unwrap_or_default(), all_escaped(&text)] {
            proptest::prop_assert!(raw_json::literal_has_value(&literal, text.as_bytes()), "{}", literal);
            proptest::prop_assert_eq!(
                raw_json::literal_has_value(&literal, other.as_bytes()),
                other == text,
                "{} against {:?}", literal, other
            );
            let extended = format!("{text}x");
            proptest::prop_assert!(!raw_json::literal_has_value(&literal, extended.as_bytes()));
            let longer = format!("{literal} ");
            proptest::prop_assert!(!raw_json::literal_has_value(&longer, text.as_bytes()));
        }
    }
}
