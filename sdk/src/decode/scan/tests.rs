//! The scanner's own tests: fingerprints against the reference over parsed values, captures
//! per body location, repeated keys, escapes, numbers and every error. Its agreement with the
//! serde_json-based oracle on arbitrary input is in `decode::differential`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::fingerprint;
use serde_json::Value;

/// The scan of `text`, or why it failed.
fn scan(text: &str) -> Result<Scan<'_>, ScanError> {
    let mut scanned = Scan::new();
    super::scan(text, &mut scanned).map(|()| scanned)
}

fn scanned(text: &str) -> Scan<'_> {
    scan(text).unwrap_or_else(|_| panic!("{text} scans"))
}

#[test]
fn streaming_fingerprint_matches_the_reference_on_nested_frames() {
    for text in [
        r#"{"type":"a","data":{"payload":{"x":[1,2,{"y":null}]},"result":{"k":"v"}},"seq":3}"#,
        r#"{"type":"a","payload":{"tool_name":"t","parameters":{"q":"\u00e9\n"}},"metadata":{"result":[true,false,1.5]}}"#,
        r#"{"type":"b","attempt":2,"recovered":true,"n":-0.0,"big":18446744073709551615,"neg":-5}"#,
        r#"{"type":"c","message":{"nested":{"deep":[[[]]]}},"data":"not an object"}"#,
    ] {
        let Value::Object(object) = serde_json::from_str(text).unwrap() else { panic!() };
        assert_eq!(scanned(text).fingerprint, fingerprint::of_value(&object), "{text}");
    }
}

#[test]
fn fields_are_captured_per_location_and_the_last_duplicate_wins() {
    let text = r#"{"run_id":"r0","run_id":"r1","data":{"run_id":"r2","payload":{"run_id":"r3"}},"payload":{"run_id":""},"metadata":{"run_id":"r4"}}"#;
    let scan = scanned(text);
    let ids: Vec<Option<String>> = Loc::ORDER
        .iter()
        .map(|loc| scan.at(*loc, Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())))
        .collect();
    let expected = ["r1", "", "r2", "r3", "r4"].map(|id| Some(id.to_owned()));
    assert_eq!(ids, expected);
    assert_eq!(
        scan.get(Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
        Some("r1")
    );
}

#[test]
fn a_repeated_body_key_replaces_the_earlier_body() {
    let scan = scanned(
        r#"{"type":"x","data":{"run_id":"a","payload":{"tool":"t"}},"data":{"thread_id":"t"}}"#,
    );
    assert!(scan.get(Field::RunId).is_none());
    assert!(scan.get(Field::Tool).is_none());
    assert_eq!(
        scan.get(Field::ThreadId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
        Some("t")
    );
    let scan = scanned(r#"{"type":"x","payload":{"run_id":"a"},"payload":"gone"}"#);
    assert!(scan.get(Field::RunId).is_none());
}

#[test]
fn nested_objects_that_are_not_body_locations_are_not_captured() {
    let scan = scanned(
        r#"{"type":"x","context":{"run_id":"hidden"},"data":{"data":{"run_id":"hidden"}}}"#,
    );
    assert!(scan.get(Field::RunId).is_none());
}

#[test]
fn json_fields_are_built_and_scalar_fields_keep_only_the_kind_of_composites() {
    let scan = scanned(r#"{"type":"x","results":{"a":[1]},"run_id":{"not":"a string"}}"#);
    assert_eq!(
        scan.get(Field::Results).and_then(Captured::to_json_text).map(|json| json.to_value()),
        Some(serde_json::json!({"a":[1]}))
    );
    assert_eq!(scan.get(Field::RunId).map(Captured::kind), Some(JsonKind::Object));
    assert!(scan.get(Field::RunId).and_then(Captured::to_json_text).is_none());
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Map;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let key = prop_oneof![
                prop::sample::select(vec![
                    "type", "run_id", "results", "data", "payload", "metadata", "seq", "attempt",
                    "message"
                ])
                .prop_map(String::from),
                ".{0,6}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((key, inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Duplicate detection compares JSON values: the one-pass hash must always agree
        /// with the reference over the parsed value, whatever the text looks like.
        #[test]
        fn streaming_fingerprint_always_equals_the_reference(
            entries in prop::collection::vec((".{0,6}", arb_json()), 0..8),
            pretty in any::<bool>(),
        ) {
            let object: Map<String, Value> = entries.into_iter().collect();
            let value = Value::Object(object.clone());
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }
                .unwrap();
            let scanned = scan(&text).unwrap_or_else(|_| panic!("{text}"));
            prop_assert_eq!(scanned.fingerprint, fingerprint::of_value(&object));
        }

        #[test]
        fn repeated_keys_fingerprint_like_the_parsed_value_where_the_last_wins(
            entries in prop::collection::vec(
                (prop::sample::select(vec!["type", "run_id", "a", "b", "seq"]), arb_json()),
                0..24,
            ),
        ) {
            let members: Vec<String> =
                entries.iter().map(|(k, v)| format!("{}:{}", Value::from(*k), v)).collect();
            let text = format!("{{{}}}", members.join(","));
            let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(&text) else { panic!("{text}") };
            let scanned = scan(&text).unwrap_or_else(|_| panic!("{text}"));
            prop_assert_eq!(scanned.fingerprint, fingerprint::of_value(&parsed));
        }

        #[test]
        fn key_order_never_changes_the_fingerprint(
            entries in prop::collection::vec((".{0,6}", arb_json()), 0..8),
        ) {
            let object: Map<String, Value> = entries.iter().cloned().collect();
            let forward: Vec<String> = object.iter().map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v)).collect();
            let backward: Vec<String> = forward.iter().rev().cloned().collect();
            let a = format!("{{{}}}", forward.join(","));
            let b = format!("{{{}}}", backward.join(","));
            let (Ok(a), Ok(b)) = (scan(&a), scan(&b)) else { panic!("{a} / {b}") };
            prop_assert_eq!(a.fingerprint, b.fingerprint);
        }
    }
}

#[test]
fn escaped_strings_and_keys_are_unescaped() {
    let scan = scanned(r#"{"type":"x","run\u005fid":"r\"1"}"#);
    assert_eq!(
        scan.get(Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
        Some("r\"1")
    );
    let scan = scanned(r#"{"type":"x","message":"a\u00e9\"b"}"#);
    assert_eq!(
        scan.get(Field::Message).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
        Some("a\u{e9}\"b")
    );
}

mod plain_runs {
    use proptest::prelude::*;

    use super::super::{is_special, plain_run};

    /// The run one byte at a time: what the eight-byte steps must agree with.
    fn one_by_one(bytes: &[u8], start: usize) -> usize {
        let mut pos = start;
        while bytes.get(pos).is_some_and(|byte| !is_special(*byte)) {
            pos += 1;
        }
        pos
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// Specials anywhere, next to each other, next to UTF-8 lead and continuation bytes
        /// (0x80 and above, which must not read as control characters), at every offset.
        #[test]
        fn a_run_ends_at_the_first_quote_backslash_or_control_character(
            bytes in prop::collection::vec(
                prop_oneof![
                    4 => 0x20u8..0x7f,
                    1 => Just(b'"'),
                    1 => Just(b'\\'),
                    1 => 0u8..0x20,
                    1 => 0x80u8..=0xff,
                    1 => Just(0x7fu8),
                ],
                0..40,
            ),
            start in 0usize..8,
        ) {
            let start = start.min(bytes.len());
            prop_assert_eq!(plain_run(&bytes, start), one_by_one(&bytes, start));
        }
    }
}
