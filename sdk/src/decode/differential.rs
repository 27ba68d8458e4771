//! The purpose-built scanner against the serde_json-based oracle it replaced: on any input,
//! the whole decode (typed event, context, wire type, raw text and fingerprint) must be the
//! same, or fail with the same kind of [`DecodeError`]. Inputs: arbitrary text, arbitrary JSON
//! objects shaped like manager frames (known keys, body locations, escapes, every number
//! form), the same frames in spellings a serialiser would not choose, those frames cut short or
//! with a byte changed, and a list of edge cases. Streams of run frames, each decoded both
//! ways into a checker of its own, must raise the same flags. (The fuzz target compares the two
//! decoders too, on every input it makes: the cargo feature `oracle`.)
#![allow(clippy::unwrap_used, clippy::panic)]

use std::mem::{Discriminant, discriminant};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{DecodeError, decode, decode_with_oracle};
use crate::check::{Checker, CheckerConfig, Flag, Rule, Summary, Verdict};
use crate::event::Event;
use crate::timestamp::Timestamp;

// Events compare whole: kind, context, wire type, the raw frame's text and the fingerprint.
// A raw frame's equality leaves out its verbatim ranges, which are where the scanner borrowed
// text: the oracle borrows differently (they have their own tests: `json::description`).

fn new_path(text: &str) -> Result<Event, DecodeError> {
    decode(text)
}

fn oracle_path(text: &str) -> Result<Event, DecodeError> {
    decode_with_oracle(text)
}

/// The same event, or the same kind of error.
fn assert_agree(text: &str) {
    match (new_path(text), oracle_path(text)) {
        (Ok(new), Ok(oracle)) => assert_eq!(new, oracle, "{text:?}"),
        (Err(new), Err(oracle)) => assert_eq!(
            std::mem::discriminant(&new),
            std::mem::discriminant(&oracle),
            "{text:?}: {new:?} / {oracle:?}"
        ),
        (new, oracle) => panic!("{text:?}: scanner {new:?}, oracle {oracle:?}"),
    }
}

#[test]
fn edge_cases_agree_with_the_oracle() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let cases: Vec<String> = [
        "",
        " ",
        "{}",
        "{ }",
        "[]",
        "null",
        "true",
        "1",
        "\"x\"",
        "{} ",
        " {}\n",
        "{}x",
        "{},",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\" 1}",
        "{\"a\":1 \"b\":2}",
        "{1:2}",
        "{\"type\":\"x\",}",
        "[1,]",
        "[,1]",
        "{\"a\":[1 2]}",
        "\u{feff}{}",
        "{}\u{a0}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":falsey}",
        "{\"a\":True}",
        // Numbers.
        "{\"type\":\"x\",\"seq\":-0}",
        "{\"type\":\"x\",\"seq\":0}",
        "{\"type\":\"x\",\"seq\":01}",
        "{\"type\":\"x\",\"seq\":1.}",
        "{\"type\":\"x\",\"seq\":.5}",
        "{\"type\":\"x\",\"seq\":-}",
        "{\"type\":\"x\",\"seq\":+1}",
        "{\"type\":\"x\",\"seq\":1e}",
        "{\"type\":\"x\",\"seq\":1e+}",
        "{\"type\":\"x\",\"seq\":1E+2}",
        "{\"type\":\"x\",\"seq\":1e400}",
        "{\"type\":\"x\",\"seq\":-1e400}",
        "{\"type\":\"x\",\"seq\":1e-400}",
        "{\"type\":\"x\",\"seq\":18446744073709551615}",
        "{\"type\":\"x\",\"seq\":18446744073709551616}",
        "{\"type\":\"x\",\"seq\":-9223372036854775808}",
        "{\"type\":\"x\",\"seq\":-9223372036854775809}",
        "{\"type\":\"x\",\"seq\":1.0}",
        "{\"type\":\"x\",\"run_id\":-0}",
        "{\"type\":\"x\",\"run_id\":1e20}",
        "{\"type\":\"x\",\"run_id\":1.50}",
        "{\"type\":\"x\",\"run_id\":123456789012345678901234567890}",
        "{\"type\":\"x\",\"run_id\":-12}",
        "{\"type\":\"x\",\"run_id\":0.1}",
        "{\"type\":\"x\",\"run_id\":5e-324}",
        "{\"type\":\"x\",\"run_id\":0.0}",
        "{\"type\":\"x\",\"run_id\":-0.0}",
        "{\"type\":\"x\",\"run_id\":1e16}",
        "{\"type\":\"x\",\"run_id\":1e15}",
        "{\"type\":\"x\",\"run_id\":1.5e16}",
        "{\"type\":\"x\",\"run_id\":123.456}",
        "{\"type\":\"x\",\"run_id\":0.0001234}",
        "{\"type\":\"x\",\"run_id\":0.00001234}",
        "{\"type\":\"x\",\"run_id\":1.7976931348623157e308}",
        "{\"type\":\"x\",\"run_id\":-2.5e-10}",
        "{\"type\":\"x\",\"run_id\":12345678901234567890.5}",
        "{\"type\":\"x\",\"run_id\":9007199254740993}",
        "{\"type\":\"x\",\"timestamp\":1758207374123.5}",
        "{\"type\":\"x\",\"step_number\":3.0}",
        // Strings and escapes.
        "{\"type\":\"\\u0061gent_started\"}",
        "{\"type\":\"a\\\"b\"}",
        "{\"type\":\"\\ud83d\\ude00\"}",
        "{\"type\":\"\\ud83d\"}",
        "{\"type\":\"\\ude00\"}",
        "{\"type\":\"\\ud83dx\"}",
        "{\"type\":\"\\ud83d\\u0041\"}",
        "{\"type\":\"\\u00\"}",
        "{\"type\":\"\\uZZZZ\"}",
        "{\"type\":\"\\x\"}",
        "{\"type\":\"a\u{1}b\"}",
        "{\"type\":\"a\tb\"}",
        "{\"type\":\"\\/\"}",
        "{\"type\":\"x\",\"message\":\"\\n\\t\\u00e9\"}",
        "{\"type\":\"x\",\"message\":\"unterminated",
        "{\"type\":\"x\",\"run\\u005fid\":\"r\"}",
        "{\"ty\\\"pe\":\"x\"}",
        "{\"type\":\"é\",\"ü\":\"ß\"}",
        // Types and envelopes.
        "{\"type\":7}",
        "{\"type\":null}",
        "{\"type\":\"\"}",
        "{\"type\":[]}",
        "{\"type\":{}}",
        "{\"type\":\"x\",\"type\":\"y\"}",
        "{\"type\":\"x\",\"data\":1,\"data\":{\"run_id\":\"r\"}}",
        "{\"type\":\"x\",\"data\":{\"run_id\":\"r\"},\"data\":[]}",
        "{\"type\":\"x\",\"results\":\"\",\"parameters\":null,\"message\":\"\\\"\"}",
        "{\"type\":\"tool_completed\",\"results\":{\"a\":[1,{\"b\":null}]},\"tool\":\"t\"}",
    ]
    .iter()
    .map(|text| (*text).to_owned())
    .chain(
        [511usize, 512, 513]
            .into_iter()
            .map(|n| format!("{{\"type\":\"x\",\"v\":{}}}", deep(n - 1))),
    )
    .chain(
        [511usize, 512, 513]
            .into_iter()
            .map(|n| format!("{{\"type\":\"x\",\"results\":{}}}", deep(n - 1))),
    )
    .chain([512usize, 513].into_iter().map(deep))
    .chain(std::iter::once(format!("{{\"type\":\"x\",\"v\":{}", "[".repeat(100_000))))
    // Deep inside a JSON-typed field: too deep, or invalid JSON when it is also broken.
    .chain(["]", "", "x]", "]]"].into_iter().map(|tail| {
        format!(
            "{{\"type\":\"x\",\"results\":{}{}}}",
            "[".repeat(600),
            tail.repeat(if tail.is_empty() { 0 } else { 600 })
        )
    }))
    .chain(std::iter::once(format!("{{\"type\":\"x\",\"results\":{}", "[".repeat(100_000))))
    .chain(std::iter::once(format!(
        "{{\"type\":\"x\",\"results\":{}1,]{}}}",
        "[".repeat(600),
        "]".repeat(599)
    )))
    .chain(std::iter::once(format!(
        "{{\"type\":\"x\",\"results\":{}\"k\":{{}}{}}}",
        "{\"a\":".repeat(600),
        "}".repeat(600)
    )))
    .collect();
    for text in &cases {
        assert_agree(text);
    }
}

/// Keys the decoder reads, body locations, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "type", "event", "user_id", "thread_id", "run_id", "agent_name", "timestamp", "seq",
            "attempt", "reasoning", "thought", "message", "tool_name", "tool", "parameters",
            "input", "results", "result", "output", "execution_id", "duration", "status",
            "final_response", "response", "error", "error_code", "code", "features",
            "retry_info", "llm_validation", "agents_involved", "messages", "connection_id",
            "from_seq", "to_seq", "complete", "payload", "data", "metadata", "recovered",
        ])
        .prop_map(String::from),
        1 => "[a-z_\\\\\"\u{e9}\u{1f600}]{0,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..100).prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
    ]
}

fn type_name() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        "agent_started",
        "agent_thinking",
        "reasoning",
        "tool_executing",
        "tool_completed",
        "agent_completed",
        "agent_error",
        "system_message",
        "agent_progress",
        "connection_established",
        "handshake_response",
        "cleanup_complete",
        "error_message",
        "pong",
        "ack",
        "resume_result",
        "agent_timeout_failure",
        "backend_log",
        "mystery",
    ])
    .prop_map(Value::from)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        "[ -~\u{e9}\u{1f600}\n\t\"\\\\]{0,12}".prop_map(Value::from),
        type_name(),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A frame-like object: a `type`, and entries that may be body locations.
pub(crate) fn frame() -> impl Strategy<Value = Value> {
    (type_name(), prop::collection::vec((key(), json_value()), 0..10)).prop_map(
        |(kind, entries)| {
            let mut object: Map<String, Value> = entries.into_iter().collect();
            object.insert("type".to_owned(), kind);
            Value::Object(object)
        },
    )
}

/// JSON tokens, including the spellings serde_json never writes (`\/`, `\u` escapes,
/// exponents, `-0`), so that joined at random they are often valid, or nearly.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "{\"type\":",
        "\"type\"",
        "\"agent_started\"",
        "\"run_id\"",
        "\"seq\"",
        "\"data\"",
        "\"payload\"",
        "\"metadata\"",
        "\"results\"",
        "\"message\"",
        "\"tool\"",
        "\"r\\/1\"",
        "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"a\\nb\\t\\\"\"",
        "\"\\b\\f\\r\"",
        "1",
        "-0",
        "0",
        "1.5e3",
        "2E-2",
        "18446744073709551616",
        "-9223372036854775809",
        "1e400",
        "true",
        "false",
        "null",
        "\"\"",
    ])
}

/// The next choice, cyclically.
fn pick(choices: &[u8], at: &mut usize) -> u8 {
    let choice = choices.get(*at % choices.len().max(1)).copied().unwrap_or(0);
    *at += 1;
    choice
}

/// Writes `value` as JSON in spellings a serialiser would not choose, driven by `choices`:
/// escapes for plain characters (`\/`, `\u00XX`, surrogate pairs), other number forms
/// (`1.0e0`, `10E-1`, `-0`), and whitespace anywhere it is allowed.
fn respell(value: &Value, choices: &[u8], at: &mut usize, out: &mut String) {
    let space = |choice: u8, out: &mut String| {
        out.push_str([" ", "", "\n", "", "\t ", "", "\r\n", ""][usize::from(choice % 8)]);
    };
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => match (number.as_u64(), pick(choices, at) % 4) {
            (Some(n), 0) => out.push_str(&format!("{n}.0e0")),
            (Some(n), 1) => out.push_str(&format!("{}E-1", u128::from(n) * 10)),
            (Some(0), 2) => out.push_str("-0"),
            _ => out.push_str(&number.to_string()),
        },
        Value::String(text) => {
            out.push('"');
            for c in text.chars() {
                match (c, pick(choices, at) % 5) {
                    ('"', _) => out.push_str("\\\""),
                    ('\\', _) => out.push_str("\\\\"),
                    (c, _) if u32::from(c) < 0x20 => {
                        out.push_str(&format!("\\u{:04x}", u32::from(c)))
                    }
                    ('/', 0 | 1) => out.push_str("\\/"),
                    (c, 2) => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                    (c, _) => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(pick(choices, at), out);
                respell(item, choices, at, out);
                space(pick(choices, at), out);
            }
            out.push(']');
        }
        Value::Object(object) => {
            out.push('{');
            for (i, (key, item)) in object.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(pick(choices, at), out);
                respell(&Value::String(key.clone()), choices, at, out);
                space(pick(choices, at), out);
                out.push(':');
                respell(item, choices, at, out);
                space(pick(choices, at), out);
            }
            out.push('}');
        }
    }
}

/// `value`'s text, compact or pretty, with repeated keys spliced in now and then.
fn text_of(value: &Value, pretty: bool, repeat: Option<(String, Value)>) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value).unwrap()
    } else {
        serde_json::to_string(value).unwrap()
    };
    match repeat {
        Some((key, repeated)) if text.starts_with('{') && text.len() > 2 => {
            format!("{{{}:{},{}", json!(key), repeated, &text[1..])
        }
        _ => text,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_decodes_alike(text in "\\PC{0,64}") {
        assert_agree(&text);
    }

    #[test]
    fn arbitrary_json_like_text_decodes_alike(text in "[{}\\[\\]\",:0-9a-z\\\\. eE+-]{0,48}") {
        assert_agree(&text);
    }

    #[test]
    fn every_float_as_an_id_reads_as_a_serialiser_writes_it(
        value in any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ) {
        assert_agree(&format!("{{\"type\":\"x\",\"run_id\":{}}}", Value::from(value)));
        assert_agree(&format!("{{\"type\":\"x\",\"run_id\":{value:e}}}"));
    }

    #[test]
    fn token_soup_decodes_alike(tokens in prop::collection::vec(token(), 0..24)) {
        assert_agree(&tokens.concat());
    }

    #[test]
    fn frame_shaped_objects_decode_alike(
        value in frame(),
        pretty in any::<bool>(),
        repeat in proptest::option::of((key(), json_value())),
    ) {
        assert_agree(&text_of(&value, pretty, repeat));
    }

    #[test]
    fn respelled_frames_decode_alike(
        value in frame(),
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let mut text = String::new();
        respell(&value, &choices, &mut 0, &mut text);
        assert_agree(&text);
    }

    #[test]
    fn damaged_frames_decode_alike(
        value in frame(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[]\",:\\ 0a-.eu\x01".to_vec()),
    ) {
        let text = text_of(&value, false, None);
        let cut_at = cut.index(text.len() + 1);
        if let Some(prefix) = text.get(..cut_at) {
            assert_agree(prefix);
        }
        let at = at.index(text.len().max(1));
        if text.is_char_boundary(at) && text.is_char_boundary((at + 1).min(text.len())) {
            let mut changed = text.clone();
            changed.replace_range(at..(at + 1).min(text.len()), &char::from(byte).to_string());
            assert_agree(&changed);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// A number used as an id reads as the old decoder wrote it: serde_json's `Number` text.
    #[test]
    fn a_number_id_is_the_text_serde_json_writes_for_it(
        value in any::<f64>().prop_filter("finite", |f| f.is_finite()),
        integer in any::<i64>(),
        big in any::<u64>(),
        exponent in -30i32..30,
    ) {
        let texts = [
            Value::from(value).to_string(),
            format!("{value:e}"),
            format!("{value}"),
            integer.to_string(),
            big.to_string(),
            format!("{big}0"),
            format!("{integer}e{exponent}"),
            format!("{}.5e{exponent}", integer / 7),
        ];
        for text in texts {
            let expected = serde_json::from_str::<serde_json::Number>(&text).map(|n| n.to_string()).ok();
            prop_assert_eq!(super::number::canonical(&text), expected, "{}", text);
        }
    }
}

/// A frame of a run, with the fields the run rules read drawn from small sets so that frames
/// meet: an agent event type (or another), one of two runs, users, tools and executions, and a
/// `seq`, all at one body location (the root, `payload`, `data`, `data.payload` or
/// `metadata`), and any other entries at the root.
fn run_frame() -> impl Strategy<Value = Value> {
    let one_of = |names: &'static [&'static str]| {
        proptest::option::of(prop::sample::select(names).prop_map(Value::from))
    };
    (
        prop::sample::select(vec![
            "agent_started",
            "agent_thinking",
            "reasoning",
            "tool_executing",
            "tool_started",
            "tool_completed",
            "tool_result",
            "agent_completed",
            "agent_error",
            "agent_death",
            "agent_timeout_failure",
            "cleanup_complete",
            "pong",
            "mystery",
        ]),
        prop::sample::select(vec!["", "payload", "data", "data.payload", "metadata"]),
        (one_of(&["r1", "r2"]), one_of(&["u1", "u2"]), one_of(&["search", "fetch"])),
        (proptest::option::of(0u64..8), one_of(&["e1", "e2"])),
        prop::collection::vec((key(), json_value()), 0..3),
    )
        .prop_map(|(kind, location, (run, user, tool), (seq, execution), extra)| {
            let mut body: Map<String, Value> = Map::new();
            let fields = [("run_id", run), ("user_id", user), ("tool_name", tool)];
            for (name, value) in fields.into_iter().chain([("execution_id", execution)]) {
                if let Some(value) = value {
                    body.insert(name.to_owned(), value);
                }
            }
            if let Some(seq) = seq {
                body.insert("seq".to_owned(), seq.into());
            }
            let mut object: Map<String, Value> = extra.into_iter().collect();
            match location {
                "" => object.extend(body),
                "data.payload" => {
                    object.insert("data".to_owned(), json!({ "payload": body }));
                }
                _ => {
                    object.insert(location.to_owned(), Value::Object(body));
                }
            }
            object.insert("type".to_owned(), kind.into());
            Value::Object(object)
        })
}

/// A stream's frame as text, by `form`: compact, pretty, respelled (by `choices`), cut short,
/// or the frame before it again (a duplicate), as it was or with an `attempt` added.
fn stream_text(value: &Value, form: u8, choices: &[u8], before: Option<&String>) -> String {
    match (form % 6, before) {
        (0, _) => value.to_string(),
        (1, _) => serde_json::to_string_pretty(value).unwrap(),
        (2, _) => {
            let mut text = String::new();
            respell(value, choices, &mut 0, &mut text);
            text
        }
        (3, _) => {
            let text = value.to_string();
            let mut cut = usize::from(pick(choices, &mut 0)) % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.get(..cut).unwrap_or_default().to_owned()
        }
        (4, Some(before)) => before.clone(),
        (5, Some(before)) if before.starts_with('{') && before.len() > 2 => {
            format!("{{\"attempt\":2,{}", &before[1..])
        }
        _ => value.to_string(),
    }
}

/// What a checker made of a stream: its flags in order (a malformed frame's sentence left out:
/// it quotes its parser's own words), each frame's verdict or its decode error's kind, and the
/// summary.
type Checked = (Vec<Flag>, Vec<Result<Verdict, Discriminant<DecodeError>>>, Summary);

/// What a checker makes of `frames`: each frame decoded by `decode`, arriving its gap in seconds
/// after the one before (stall timers that are due by then fire first, as a driver's would).
fn checked(
    frames: &[(String, u8)],
    live: bool,
    decode: fn(&str) -> Result<Event, DecodeError>,
) -> Checked {
    let config = if live { CheckerConfig::live() } else { CheckerConfig::offline() };
    let mut config = config.with_user("u1").with_stall_after(Duration::from_secs(3));
    config.max_runs = 2;
    config.duplicate_window = 4;
    let mut checker = Checker::new(config);
    let mut now = Timestamp::from_unix_micros(1_758_207_374_000_000);
    let mut verdicts = Vec::new();
    for (frame, gap) in frames {
        now = now.add_micros(i64::from(*gap) * 1_000_000);
        while let Some(deadline) = checker.poll_timeout().filter(|deadline| *deadline <= now) {
            checker.handle_timeout(deadline);
        }
        let verdict = checker.handle_decoded(decode(frame), Some(now));
        verdicts.push(verdict.map(|checked| checked.verdict).map_err(|error| discriminant(&error)));
    }
    checker.finish();
    let mut flags = Vec::new();
    while let Some(mut flag) = checker.poll_flag() {
        if flag.rule == Rule::MalformedFrame {
            flag.message.clear();
        }
        flags.push(flag);
    }
    (flags, verdicts, checker.summary())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Streams of run frames in every spelling, cut short and repeated, with silences long
    /// enough to stall a run: each frame decodes alike through the scanner and the oracle, and
    /// fed to a checker of their own, live and offline, the two raise the same flags, give
    /// the same verdicts and count the same.
    #[test]
    fn streams_raise_the_same_flags_through_the_scanner_and_the_oracle(
        frames in prop::collection::vec(
            (run_frame(), any::<u8>(), prop::collection::vec(any::<u8>(), 1..16), 0u8..5),
            1..=24,
        ),
        live in any::<bool>(),
    ) {
        let mut texts: Vec<(String, u8)> = Vec::new();
        for (value, form, choices, gap) in &frames {
            let text = stream_text(value, *form, choices, texts.last().map(|(text, _)| text));
            assert_agree(&text);
            texts.push((text, *gap));
        }
        let new = checked(&texts, live, super::decode);
        let old = checked(&texts, live, super::decode_with_oracle);
        prop_assert_eq!(new, old, "{:#?}", texts);
    }
}
