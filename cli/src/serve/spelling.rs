//! `--shapes oct`: the field spellings of the October 2025 profile (docs/protocol.md §6),
//! applied to a share of a scripted run's frames after [`script_run`](super::script::script_run)
//! (sans-IO: the generator is an argument).
//!
//! In a respelled frame (wherever the field sits: at the root, under `data` or under `payload`):
//! * `agent_thinking`: `reasoning` becomes `thought`;
//! * `tool_executing`: `tool_name` becomes `tool`, `parameters` becomes `input` (`tool_args`,
//!   a copy of the parameters, is left out);
//! * `tool_completed`: `tool_name` becomes `tool`, `results` becomes `output` or `result`;
//! * `agent_completed`: the answer `final_response` becomes `result` (a structured `result` it
//!   replaces moves to `metadata.result`), plus `llm_validation{is_valid, validation_result,
//!   violations_count}` and `data.agents_involved` (the agents started in the run so far);
//! * any of those and `agent_started`: sometimes `retry_info{is_retry, attempt_number,
//!   max_attempts, reason}` (a first attempt: the run's events are never retries).
//!
//! Some `agent_thinking` frames, respelled or not, go inside the `system_message` wrapper:
//! `{"type":"system_message","event":"agent_thinking","payload":{…the event's fields…}}`. Only
//! thinking events: a reader that does not know the wrapper then misses a thought, never the
//! start or end of an execution or a tool call.

use rand::Rng;
use serde_json::{Map, Value, json};

use super::script::ScriptedFrame;

/// How often an eligible frame is respelled.
const RESPELL_PROBABILITY: f64 = 0.4;

/// How often a respelled frame carries `retry_info`.
const RETRY_INFO_PROBABILITY: f64 = 0.5;

/// How often a thinking frame goes inside the `system_message` wrapper.
const WRAPPER_PROBABILITY: f64 = 0.3;

/// The wrappers a field may sit in, besides the root.
const WRAPPERS: [&str; 2] = ["data", "payload"];

/// Respells a share of `frames` with the October field names (see the module documentation).
pub(crate) fn respell(rng: &mut impl Rng, frames: &mut [ScriptedFrame]) {
    let mut agents: Vec<String> = Vec::new();
    for scripted in frames.iter_mut() {
        let Some(object) = scripted.frame.as_object_mut() else { continue };
        let kind = object.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        if kind == "agent_started" {
            if let Some(agent) = object.get("agent_name").and_then(Value::as_str) {
                agents.push(agent.to_owned());
            }
        }
        let eligible = matches!(
            kind.as_str(),
            "agent_started"
                | "agent_thinking"
                | "tool_executing"
                | "tool_completed"
                | "agent_completed"
        );
        if eligible && rng.random_bool(RESPELL_PROBABILITY) {
            respell_event(rng, object, &kind, &agents);
        }
        if kind == "agent_thinking" && rng.random_bool(WRAPPER_PROBABILITY) {
            wrap_in_system_message(object);
        }
    }
}

/// Respells one event of type `kind`; `agents` are the agents started in the run so far.
fn respell_event(
    rng: &mut impl Rng,
    object: &mut Map<String, Value>,
    kind: &str,
    agents: &[String],
) {
    match kind {
        "agent_thinking" => rename(object, "reasoning", "thought"),
        "tool_executing" => {
            rename(object, "tool_name", "tool");
            rename(object, "parameters", "input");
            remove(object, "tool_args");
        }
        "tool_completed" => {
            rename(object, "tool_name", "tool");
            let output = if rng.random_bool(0.5) { "output" } else { "result" };
            // The bridge shape already carries `result` in its wrapper: rename only `results`.
            rename(object, "results", output);
        }
        "agent_completed" => respell_completion(object, agents),
        _ => {}
    }
    if rng.random_bool(RETRY_INFO_PROBABILITY) {
        object.insert(
            "retry_info".to_owned(),
            json!({"is_retry": false, "attempt_number": 1, "max_attempts": 3, "reason": null}),
        );
    }
}

/// `agent_completed`: the answer in `result`, `llm_validation` and `data.agents_involved`.
fn respell_completion(object: &mut Map<String, Value>, agents: &[String]) {
    if let Some(answer) = object.remove("final_response") {
        if let Some(structured) = object.insert("result".to_owned(), answer) {
            let metadata = object.entry("metadata").or_insert_with(|| json!({}));
            if let Some(metadata) = metadata.as_object_mut() {
                metadata.entry("result").or_insert(structured);
            }
        }
    }
    object.insert(
        "llm_validation".to_owned(),
        json!({"is_valid": true, "validation_result": "passed", "violations_count": 0}),
    );
    let data = object.entry("data").or_insert_with(|| json!({}));
    if let Some(data) = data.as_object_mut() {
        data.insert("agents_involved".to_owned(), json!(agents));
    }
}

/// Renames `from` to `to` at the root and in the `data` and `payload` wrappers.
fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = object.remove(from) {
        object.insert(to.to_owned(), value);
    }
    for wrapper in WRAPPERS {
        if let Some(inner) = object.get_mut(wrapper).and_then(Value::as_object_mut) {
            if let Some(value) = inner.remove(from) {
                inner.insert(to.to_owned(), value);
            }
        }
    }
}

/// Removes `key` at the root and in the wrappers.
fn remove(object: &mut Map<String, Value>, key: &str) {
    object.remove(key);
    for wrapper in WRAPPERS {
        if let Some(inner) = object.get_mut(wrapper).and_then(Value::as_object_mut) {
            inner.remove(key);
        }
    }
}

/// Moves the event into a `system_message` wrapper: `event` names it, `payload` holds its
/// fields (the ids included).
fn wrap_in_system_message(object: &mut Map<String, Value>) {
    let mut fields = std::mem::take(object);
    let event = fields.remove("type").unwrap_or(Value::Null);
    object.insert("type".to_owned(), json!("system_message"));
    object.insert("event".to_owned(), event);
    object.insert("payload".to_owned(), Value::Object(fields));
}

#[cfg(test)]
mod tests {
    use agentwire::{Checker, CheckerConfig, Timestamp};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::script::{RunSpec, Shapes, script_run};
    use super::*;

    const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const SEEDS: u64 = 300;

    fn october_run(seed: u64, shapes: Shapes) -> Vec<ScriptedFrame> {
        let spec = RunSpec {
            user_id: USER,
            thread_id: "thread_0123456789abcdef",
            run_id: &format!("run_ws_{seed}"),
            request_id: "ws_req_1",
            request: "Cut my GPU spend",
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let start = Timestamp::from_unix_micros(1_761_900_000_000_000);
        let mut frames = script_run(&mut rng, &spec, &shapes, start, 1.0);
        respell(&mut rng, &mut frames);
        frames
    }

    fn all_frames(shapes: Shapes) -> Vec<Value> {
        (0..SEEDS).flat_map(|seed| october_run(seed, shapes)).map(|f| f.frame).collect()
    }

    fn has_key(frame: &Value, key: &str) -> bool {
        [Some(frame), frame.get("data"), frame.get("payload")]
            .into_iter()
            .flatten()
            .any(|at| at.get(key).is_some())
    }

    #[test]
    fn every_october_spelling_appears_and_the_old_names_remain_too() {
        let frames = all_frames(Shapes { october: true, ..Shapes::default() });
        for key in [
            "thought",
            "reasoning",
            "tool",
            "tool_name",
            "input",
            "parameters",
            "output",
            "results",
            "retry_info",
            "llm_validation",
            "agents_involved",
            "final_response",
        ] {
            assert!(frames.iter().any(|frame| has_key(frame, key)), "no {key}");
        }
        assert!(
            frames.iter().any(|f| f["type"] == "system_message" && f["event"] == "agent_thinking")
        );
    }

    #[test]
    fn a_respelled_answer_is_in_result_and_the_structured_result_in_metadata() {
        let frames = all_frames(Shapes::default());
        let answer = frames
            .iter()
            .find(|f| {
                f["type"] == "agent_completed"
                    && f["agent_name"] == "supervisor"
                    && f.get("final_response").is_none()
            })
            .expect("a respelled answer");
        assert!(answer["result"].is_string(), "{answer}");
        assert!(answer["metadata"]["result"]["recommendations"].is_array(), "{answer}");
        assert!(answer["data"]["agents_involved"].as_array().is_some_and(|a| !a.is_empty()));
        assert_eq!(answer["llm_validation"]["violations_count"], 0);
    }

    #[test]
    fn the_wrapper_holds_the_whole_event() {
        let frames = all_frames(Shapes::default());
        let wrapped = frames.iter().find(|f| f["type"] == "system_message").expect("a wrapper");
        assert_eq!(wrapped["event"], "agent_thinking");
        assert_eq!(wrapped["payload"]["user_id"], USER);
        assert!(wrapped["payload"]["run_id"].is_string());
        assert!(wrapped["payload"].get("type").is_none());
    }

    /// Depends on the SDK decoder reading the §6 spellings and the `system_message` wrapper
    /// with a root `event` (being added on main).
    #[test]
    fn respelled_runs_raise_no_checker_flag() {
        for shapes in [
            Shapes::default(),
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: true },
        ] {
            for seed in 0..SEEDS {
                let frames = october_run(seed, shapes);
                let mut checker = Checker::new(CheckerConfig::offline().with_user(USER));
                for frame in &frames {
                    let _ = checker.handle_text(&frame.frame.to_string(), None);
                }
                checker.finish();
                let flags: Vec<String> = std::iter::from_fn(|| checker.poll_flag())
                    .map(|flag| format!("{} {}: {}", flag.severity, flag.rule.id(), flag.message))
                    .collect();
                assert!(flags.is_empty(), "seed {seed}: {flags:#?}");
            }
        }
    }
}
