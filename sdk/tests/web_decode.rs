//! The sans-IO core in a real browser: decoding and checking behave as natively, and the
//! nesting limit holds within the browser's wasm stack (about 1 MB), which native tests cannot
//! show. Run by `scripts/test` in headless Chromium and Firefox.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use agentwire::{Checker, CheckerConfig, DecodeError, EventKind, Rule, decode, decode::MAX_DEPTH};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn nested(depth: usize) -> String {
    format!(r#"{{"type":"x","v":{}0{}}}"#, "[".repeat(depth - 1), "]".repeat(depth - 1))
}

#[wasm_bindgen_test]
fn a_canonical_s3_event_decodes_in_the_browser() {
    let event = decode(r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_completed","tool_name":"cost_analyzer","results":{"savings_pct":31},"execution_time":0,"duration":0,"success":true,"user_id":"u1","thread_id":"t1","run_id":"r1"}"#)
        .expect("decodes");
    let EventKind::ToolCompleted(tool) = &event.kind else { panic!("{event:?}") };
    assert_eq!(tool.tool_name.as_deref(), Some("cost_analyzer"));
    assert_eq!(
        tool.results.as_ref().map(|r| r.to_value()),
        Some(serde_json::json!({"savings_pct": 31}))
    );
    assert_eq!(event.context.timestamp.map(|t| t.as_unix_micros()), Some(1_758_207_374_123_456));
}

#[wasm_bindgen_test]
fn nesting_at_the_limit_decodes_within_the_browser_stack() {
    assert!(decode(&nested(MAX_DEPTH)).is_ok());
    // Objects recurse through a larger frame than arrays (the object loop inlines the key
    // reading), under a body location and inside a JSON-typed field alike: the frame's object
    // and these, nested to the limit.
    let objects = |depth: usize| format!("{}0{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    for key in ["payload", "results"] {
        let deepest = format!(r#"{{"type":"x","{key}":{}}}"#, objects(MAX_DEPTH - 1));
        assert!(decode(&deepest).is_ok(), "{key}");
        let past = format!(r#"{{"type":"x","{key}":{}}}"#, objects(MAX_DEPTH));
        assert_eq!(decode(&past), Err(DecodeError::TooDeep { limit: MAX_DEPTH }), "{key}");
    }
}

#[wasm_bindgen_test]
fn nesting_past_the_limit_is_a_typed_error_not_a_crash() {
    assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    assert_eq!(decode(&"[".repeat(1_000_000)), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    // Deep inside a JSON-typed field, which the scanner skips first and then hashes.
    let deep_value =
        format!(r#"{{"type":"x","results":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(decode(&deep_value), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    // Unterminated and deep: invalid JSON is reported as such.
    let unterminated = format!(r#"{{"type":"x","results":{}"#, "[".repeat(100_000));
    assert!(matches!(decode(&unterminated), Err(DecodeError::InvalidJson { .. })));
}

#[wasm_bindgen_test]
fn a_megabyte_frame_decodes_in_the_browser() {
    let text = format!(r#"{{"type":"agent_thinking","reasoning":"{}"}}"#, "a".repeat(1 << 20));
    assert!(matches!(decode(&text).map(|e| e.kind), Ok(EventKind::AgentThinking(_))));
}

#[wasm_bindgen_test]
fn the_checker_flags_a_dropped_completion_and_a_duplicate_in_the_browser() {
    let frames = [
        r#"{"type":"agent_started","user_id":"u1","run_id":"r1","agent_name":"a","timestamp":"2025-09-18T14:56:14Z"}"#,
        r#"{"type":"agent_thinking","run_id":"r1","reasoning":"x","timestamp":"2025-09-18T14:56:15Z"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"search","timestamp":"2025-09-18T14:56:16Z"}"#,
        r#"{"reasoning":"x","type":"agent_thinking","timestamp":"2025-09-18T14:56:15Z","run_id":"r1","attempt":2}"#,
        r#"{"type":"agent_completed","run_id":"r1","agent_name":"a","status":"completed","timestamp":"2025-09-18T14:56:17Z"}"#,
    ];
    let mut checker = Checker::new(CheckerConfig::offline());
    for frame in frames {
        let _ = checker.handle_text(frame, None);
    }
    checker.finish();
    let rules: Vec<Rule> =
        std::iter::from_fn(|| checker.poll_flag()).map(|flag| flag.rule).collect();
    assert_eq!(rules, vec![Rule::DuplicateEvent, Rule::ToolNeverCompleted]);
}

/// In the browser numbers are read by the engine's `parseFloat` (core's parser and its tables
/// are left out of the package): it rounds exactly as Rust does, here against the compiler's
/// own reading of the same literals, subnormals and halfway cases included.
#[wasm_bindgen_test]
fn numbers_read_in_the_browser_as_rust_reads_them() {
    let cases: [(&str, f64); 14] = [
        ("0.1", 0.1),
        ("0.30000000000000004", 0.300_000_000_000_000_04),
        ("1758207374.123456", 1_758_207_374.123_456),
        ("1e-7", 1e-7),
        ("2.2250738585072014e-308", 2.225_073_858_507_201_4e-308),
        ("4.9e-324", 4.9e-324),
        ("2.4703282292062328e-324", 5e-324),
        ("1.7976931348623157e308", 1.797_693_134_862_315_7e308),
        ("9007199254740993", 9_007_199_254_740_992.0),
        ("9007199254740995", 9_007_199_254_740_996.0),
        ("123456789012345678901234567890", 1.234_567_890_123_456_8e29),
        ("-0.0", -0.0),
        ("7.2057594037927933e16", 72_057_594_037_927_936.0),
        ("0.000001e6", 1.0),
    ];
    for (text, expected) in cases {
        let frame = format!(r#"{{"type":"agent_thinking","progress_percentage":{text}}}"#);
        let EventKind::AgentThinking(thinking) = decode(&frame).expect("decodes").kind else {
            panic!("{frame}")
        };
        assert_eq!(
            thinking.progress_percentage.map(f64::to_bits),
            Some(expected.to_bits()),
            "{text}"
        );
    }
    // Out of range is refused as serde_json refuses it, and an epoch string is a time.
    assert!(decode(r#"{"type":"x","n":1e400}"#).is_err());
    let event = decode(r#"{"type":"x","timestamp":"1758207374.5"}"#).expect("decodes");
    assert_eq!(event.context.timestamp.map(|t| t.as_unix_micros()), Some(1_758_207_374_500_000));
}
