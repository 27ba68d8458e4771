//! Property tests: decoding is total, and the checker's verdicts hold for every generated run.
//!
//! * decoding never panics, on arbitrary text, bytes and JSON;
//! * a clean generated run stays clean under any interleaving of two runs;
//! * dropping any one critical event from a clean run produces at least one error or warning,
//!   except one `agent_thinking` among several in the same run, which (without sequence numbers)
//!   is undetectable: the property states exactly that;
//! * duplicating any event produces exactly one `duplicate-event` and nothing else;
//! * the checker's verdicts agree with its flags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]
#![cfg(not(target_arch = "wasm32"))]

mod common;

use agentwire::check::{Applied, Outcome};
use agentwire::{Checker, CheckerConfig, Rule, Scope, Severity, Verdict, decode, decode_bytes};
use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

// --- decoding is total ---

const KNOWN_TYPES: &[&str] = &[
    "agent_started",
    "agent_thinking",
    "reasoning",
    "tool_executing",
    "tool_call",
    "tool_completed",
    "tool_result",
    "agent_completed",
    "agent_finished",
    "agent_error",
    "agent_death",
    "tool_error",
    "system_message",
    "agent_progress",
    "agent_response_complete",
    "connection_established",
    "pong",
    "ack",
    "heartbeat",
    "error_message",
    "resume_result",
    "thread_data",
    "subagent_completed",
];

const KEYS: &[&str] = &[
    "type",
    "data",
    "payload",
    "metadata",
    "run_id",
    "thread_id",
    "user_id",
    "timestamp",
    "reasoning",
    "tool_name",
    "results",
    "result",
    "seq",
    "attempt",
    "execution_id",
    "agent_name",
    "final_response",
    "status",
    "event",
    "features",
    "duration",
    "execution_time_ms",
    "messages",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        prop::sample::select(KNOWN_TYPES).prop_map(Value::from),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?"
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![prop::sample::select(KEYS).prop_map(String::from), ".{0,8}"]
}

/// A frame-like object: a known or arbitrary `type` plus arbitrary fields.
fn arb_frame() -> impl Strategy<Value = Value> {
    (
        prop_oneof![prop::sample::select(KNOWN_TYPES).prop_map(Value::from), arb_json()],
        prop::collection::vec((arb_key(), arb_json()), 0..10),
    )
        .prop_map(|(kind, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().collect();
            object.insert("type".into(), kind);
            Value::Object(object)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_never_panics_on_arbitrary_strings(text in ".{0,256}") {
        let _ = decode(&text);
    }

    #[test]
    fn decoding_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_bytes(&bytes);
    }

    #[test]
    fn decoding_never_panics_on_json_like_text(text in r#"[\[\]{}",:0-9a-z\\ .eE+-]{0,200}"#) {
        let _ = decode(&text);
    }

    #[test]
    fn decoding_arbitrary_json_objects_keeps_the_raw_object(frame in arb_frame()) {
        let text = frame.to_string();
        match decode(&text) {
            Ok(event) => prop_assert_eq!(event.raw.to_value(), frame),
            Err(_) => prop_assert!(!frame["type"].is_string() || frame["type"] == json!("")),
        }
    }

    #[test]
    fn checking_arbitrary_frames_never_panics_and_counts_every_frame(
        frames in prop::collection::vec(prop_oneof![arb_frame().prop_map(|f| f.to_string()), ".{0,40}"], 0..40),
        user in proptest::option::of("user-[0-9]"),
    ) {
        let mut config = CheckerConfig::offline();
        config.user_id = user;
        let mut checker = Checker::new(config);
        for frame in &frames {
            let _ = checker.handle_text(frame, None);
        }
        checker.finish();
        prop_assert_eq!(checker.summary().frames, frames.len() as u64);
        while let Some(flag) = checker.poll_flag() {
            prop_assert!(Rule::ALL.contains(&flag.rule));
            prop_assert!(flag.frame.is_none_or(|frame| frame < frames.len() as u64));
            prop_assert!(!flag.message.is_empty());
        }
    }

    /// The verdicts agree with the flags, so a view drawing runs from verdicts places every
    /// flag where the checker meant it: a flag raised on a frame names that frame's run (a
    /// run-scoped one is raised only on an agent event), a closed execution or call was opened
    /// by an earlier applied agent event, and a duplicate's original came before it.
    #[test]
    fn verdicts_agree_with_the_flags_raised_on_their_frames(
        frames in prop::collection::vec(arb_frame().prop_map(|f| f.to_string()), 0..40),
        user in proptest::option::of("user-[0-9]"),
    ) {
        let mut config = CheckerConfig::offline();
        config.user_id = user;
        let mut checker = Checker::new(config);
        let mut verdicts: Vec<Option<Verdict>> = Vec::new();
        for (frame, text) in frames.iter().enumerate() {
            let verdict = checker.handle_text(text, None).ok().map(|checked| checked.verdict);
            if let Some(verdict) = &verdict {
                match verdict.outcome {
                    Outcome::Applied(Applied { closed: Some(opener), .. }) => {
                        prop_assert!(opener < frame as u64);
                        let opened = verdicts[opener as usize].as_ref().map(Verdict::is_applied);
                        prop_assert_eq!(opened, Some(true));
                    }
                    Outcome::Duplicate { original } => prop_assert!(original < frame as u64),
                    _ => {}
                }
            }
            verdicts.push(verdict);
        }
        checker.finish();
        while let Some(flag) = checker.poll_flag() {
            let Some(frame) = flag.frame else { continue };
            let Some(Some(verdict)) = verdicts.get(frame as usize) else { continue };
            if flag.rule.scope() == Scope::Run {
                prop_assert!(verdict.outcome != Outcome::NotAgentEvent, "{:?} on {:?}", flag, verdict);
            }
            if flag.rule.scope() == Scope::Run || flag.rule == Rule::CrossUserEvent {
                prop_assert_eq!(flag.run_id.as_deref(), verdict.run.as_deref(), "{:?}", flag);
            } else {
                prop_assert_eq!(flag.run_id.as_deref(), None, "{:?}", flag);
            }
        }
    }
}

// --- generated clean runs ---

/// One agent's part of a run: thinking steps and tool calls (a call may be a concurrent pair of
/// the same tool).
#[derive(Clone, Debug)]
struct AgentSpec {
    thinking: usize,
    tools: Vec<(usize, bool)>,
}

#[derive(Clone, Debug)]
struct RunSpec {
    supervisor: AgentSpec,
    subagents: Vec<AgentSpec>,
}

const TOOLS: [&str; 4] = ["cost_analyzer", "search", "db_query", "forecast"];
const AGENTS: [&str; 3] = ["triage", "optimizer", "reporter"];

fn arb_agent(min_thinking: usize) -> impl Strategy<Value = AgentSpec> {
    (min_thinking..=4usize, prop::collection::vec((0..TOOLS.len(), any::<bool>()), 0..=3))
        .prop_map(|(thinking, tools)| AgentSpec { thinking, tools })
}

fn arb_run() -> impl Strategy<Value = RunSpec> {
    (arb_agent(1), prop::collection::vec(arb_agent(0), 0..=2))
        .prop_map(|(supervisor, subagents)| RunSpec { supervisor, subagents })
}

/// The frames of a clean run: every event distinct, 0.5 s apart.
fn frames_of(spec: &RunSpec, run: &str) -> Vec<String> {
    let mut frames = Vec::new();
    let mut t = 0.0;
    let mut tick = || {
        t += 0.5;
        t
    };
    let agent =
        |frames: &mut Vec<String>, name: &str, agent: &AgentSpec, tick: &mut dyn FnMut() -> f64| {
            frames.push(started(run, name, tick()));
            for step in 0..agent.thinking {
                frames.push(thinking(run, name, tick(), &format!("{name} step {step}")));
            }
            for &(tool, concurrent) in &agent.tools {
                let calls = if concurrent { 2 } else { 1 };
                for _ in 0..calls {
                    frames.push(tool_executing(run, TOOLS[tool], tick()));
                }
                for _ in 0..calls {
                    frames.push(tool_completed(run, TOOLS[tool], tick()));
                }
            }
        };
    agent(&mut frames, "supervisor", &spec.supervisor, &mut tick);
    for (index, sub) in spec.subagents.iter().enumerate() {
        agent(&mut frames, AGENTS[index], sub, &mut tick);
        frames.push(completed(run, AGENTS[index], tick()));
    }
    frames.push(completed(run, "supervisor", tick()));
    frames
}

/// Merges two streams, keeping each one's order; `choices` says which goes next.
fn interleave(a: Vec<String>, b: Vec<String>, choices: &[bool]) -> Vec<String> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    let mut out = Vec::new();
    let mut choice = choices.iter().cycle();
    while a.peek().is_some() || b.peek().is_some() {
        let take_a = match (a.peek(), b.peek()) {
            (Some(_), Some(_)) => *choice.next().unwrap_or(&true),
            (Some(_), None) => true,
            _ => false,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

fn is_thinking(frame: &str) -> bool {
    frame.contains(r#""type":"agent_thinking""#)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_clean_generated_run_is_clean(spec in arb_run()) {
        let flags = check(&frames_of(&spec, "r1"));
        prop_assert!(flags.is_empty(), "{:#?}", flags);
    }

    #[test]
    fn a_clean_run_stays_clean_under_any_interleaving_of_two_runs(
        first in arb_run(),
        second in arb_run(),
        choices in prop::collection::vec(any::<bool>(), 1..64),
    ) {
        let frames = interleave(frames_of(&first, "run_ws_a"), frames_of(&second, "run_ws_b"), &choices);
        let flags = check_with(CheckerConfig::offline().with_user("user-1"), &frames);
        prop_assert!(flags.is_empty(), "{:#?}", flags);
    }

    #[test]
    fn dropping_any_one_critical_event_is_flagged_except_one_thinking_among_several(
        spec in arb_run(),
        index in any::<prop::sample::Index>(),
    ) {
        let mut frames = frames_of(&spec, "r1");
        let dropped = index.index(frames.len());
        let removed = frames.remove(dropped);
        let flags = check(&frames);
        let serious = flags.iter().filter(|f| f.severity >= Severity::Warning).count();
        // The run's thinking events after the drop, and whether one is left in the run.
        let thinking_left = frames.iter().filter(|f| is_thinking(f)).count();
        if is_thinking(&removed) && thinking_left > 0 {
            // Undetectable without sequence numbers: the remaining thoughts satisfy the rule.
            prop_assert!(flags.is_empty(), "{:#?}", flags);
        } else {
            prop_assert!(serious >= 1, "dropping frame {} ({}) went unflagged", dropped, removed);
        }
    }

    #[test]
    fn duplicating_any_event_produces_exactly_one_duplicate_flag(
        spec in arb_run(),
        original in any::<prop::sample::Index>(),
        offset in any::<prop::sample::Index>(),
        attempt in any::<bool>(),
    ) {
        let mut frames = frames_of(&spec, "r1");
        let source = original.index(frames.len());
        let mut copy: Value = serde_json::from_str(&frames[source]).unwrap();
        if attempt {
            copy["attempt"] = json!(2);
        }
        // Anywhere after the original (a retry can come late).
        let position = source + 1 + offset.index(frames.len() - source);
        frames.insert(position, copy.to_string());
        let flags = check(&frames);
        prop_assert_eq!(rules(&flags), vec![Rule::DuplicateEvent], "{:#?}", flags);
        prop_assert_eq!(flags[0].related_frames.clone(), vec![source as u64]);
    }

    #[test]
    fn with_sequence_numbers_every_drop_is_a_sequence_gap(
        spec in arb_run(),
        index in any::<prop::sample::Index>(),
    ) {
        let mut frames: Vec<String> = frames_of(&spec, "r1")
            .iter()
            .enumerate()
            .map(|(seq, frame)| {
                let mut value: Value = serde_json::from_str(frame).unwrap();
                value["seq"] = json!(seq + 1);
                value.to_string()
            })
            .collect();
        let dropped = index.index(frames.len() - 1); // the last frame's loss is invisible until the next one
        frames.remove(dropped);
        let flags = check(&frames);
        prop_assert!(
            dropped == 0 || flags.iter().any(|f| f.rule == Rule::SequenceGap),
            "{:#?}", flags
        );
    }
}
