//! Realistic agent runs for the simulated manager, as timed frames (sans-IO).
//!
//! [`script_run`] turns one user request into the frames the manager sends for it
//! (docs/protocol.md §2, §4): a `supervisor` execution wrapping one to three
//! sub-agent executions, each an `agent_started`/`agent_completed` pair under the same `run_id`;
//! one to four `agent_thinking` events; zero to three tool calls (sometimes two calls of one tool
//! at once); and, in about one run in ten, a sub-agent that ends with `agent_error` while the
//! supervisor still answers. Each frame comes with the delay to wait after the previous one, and
//! its timestamp is the run's start plus the delays so far.
//!
//! The canonical shape is the flat S3 one. [`Shapes`] mixes in the other shapes the manager
//! really sends: the S4 bridge `data` wrapper, the old `payload` wrapper, and the emitter's
//! `"type":"reasoning"` quirk. Parameters are sanitised as the bridge does (secret-named keys
//! become `"[REDACTED]"`, strings are cut to 200 characters plus `...`).
//!
//! Randomness and time are arguments: the same generator state and start give the same run, and
//! a clean run raises no checker flag at all.
//!
//! The parts: [`content`] (what runs talk about: the sub-agents, their thoughts, the tools and
//! the data of their calls, failures and answers), [`plan`] (what happens in a run, in which
//! order and shape, with delays at speed 1), [`render`] (a planned step as the frame the manager
//! sends) and [`sanitize`] (the bridge's redacting and cutting of tool data); [`draw`] holds the
//! uniform choices they make.

mod content;
mod draw;
mod plan;
mod render;
mod sanitize;

use agentwire::Timestamp;
use rand::Rng;
use serde_json::Value;

use plan::plan_run;
use render::Render;

/// What a run answers: who asked, where, and what.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunSpec<'a> {
    /// The connection's user; every frame carries it.
    pub(crate) user_id: &'a str,
    /// The thread the request belongs to.
    pub(crate) thread_id: &'a str,
    /// The run's id, shared by every execution and tool call of the run.
    pub(crate) run_id: &'a str,
    /// The request id S3 frames carry.
    pub(crate) request_id: &'a str,
    /// The user's request text.
    pub(crate) request: &'a str,
}

/// Which non-canonical frame shapes to mix in. The default (all off) sends only flat S3 frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shapes {
    /// Send some `agent_started`, `tool_executing` and `tool_completed` events in the S4 bridge
    /// shape (`data` wrapper, `tool_name`/`results` at the root).
    pub(crate) bridge: bool,
    /// Send some of those events in the bridge shape from before 2025-09-14 (`payload` wrapper).
    pub(crate) payload_wrapper: bool,
    /// Send some thinking events as `"type":"reasoning"` (the emitter's quirk).
    pub(crate) reasoning_quirk: bool,
    /// Respell some events with the October 2025 field names (applied by
    /// [`spelling::respell`](super::spelling::respell) after [`script_run`]).
    pub(crate) october: bool,
}

/// One frame of a scripted run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScriptedFrame {
    /// Milliseconds to wait after the previous frame (after the run's start for the first one).
    pub(crate) delay_ms: u64,
    /// The frame, ready to be sent as text.
    pub(crate) frame: Value,
}

/// The slowest and fastest accepted speeds.
const SPEED_RANGE: (f64, f64) = (0.01, 10_000.0);
/// A run's total duration at speed 1 is brought into this range (milliseconds).
const TOTAL_MS: (f64, f64) = (3_000.0, 8_000.0);

/// Scripts one run: the frames the manager sends for `spec.request`, starting at `start`, with
/// delays divided by `speed` (clamped to 0.01..=10000; 1 takes about 3 to 8 seconds).
pub(crate) fn script_run(
    rng: &mut impl Rng,
    spec: &RunSpec<'_>,
    shapes: &Shapes,
    start: Timestamp,
    speed: f64,
) -> Vec<ScriptedFrame> {
    let plan = plan_run(rng, spec, shapes);
    let total: f64 = plan.delays.iter().sum();
    let factor = if total < TOTAL_MS.0 {
        rng.random_range(TOTAL_MS.0..TOTAL_MS.0 + 1_000.0) / total
    } else if total > TOTAL_MS.1 {
        rng.random_range(TOTAL_MS.1 - 1_000.0..TOTAL_MS.1) / total
    } else {
        1.0
    };
    let speed = clamp_speed(speed);

    // Timestamps keep microseconds; delays are whole milliseconds whose running sum is the
    // timestamps' offset from `start`, truncated to the millisecond.
    let mut cumulative_us = 0u64;
    let mut timing: Vec<(u64, Timestamp)> = Vec::with_capacity(plan.delays.len());
    for delay in &plan.delays {
        let before_ms = cumulative_us / 1000;
        cumulative_us += (delay * factor * 1000.0 / speed).round().max(0.0) as u64;
        let at = start.add_micros(i64::try_from(cumulative_us).unwrap_or(i64::MAX));
        timing.push((cumulative_us / 1000 - before_ms, at));
    }

    let render = Render { spec, plan: &plan, timing: &timing };
    plan.steps
        .iter()
        .zip(&timing)
        .enumerate()
        .map(|(index, (step, (delay_ms, at)))| ScriptedFrame {
            delay_ms: *delay_ms,
            frame: render.frame(index, step, *at),
        })
        .collect()
}

/// `speed` within the accepted range; not-a-number counts as 1.
fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() { 1.0 } else { speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1) }
}

#[cfg(test)]
mod tests {
    use agentwire::{Checker, CheckerConfig};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::plan::excerpt;
    use super::render::iso;
    use super::sanitize::SECRET_WORDS;
    use super::*;

    const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const START_US: i64 = 1_758_207_374_123_456;
    const SEEDS: u64 = 500;

    fn all_shapes() -> Vec<Shapes> {
        (0..8)
            .map(|bits| Shapes {
                bridge: bits & 1 != 0,
                payload_wrapper: bits & 2 != 0,
                reasoning_quirk: bits & 4 != 0,
                october: false,
            })
            .collect()
    }

    fn request_for(seed: u64) -> String {
        match seed % 4 {
            0 => "Cut my GPU spend".to_owned(),
            1 => "Why did our AWS bill jump 40% last month?".to_owned(),
            2 => "Réduire les coûts GPU — où est le gaspillage? ".repeat(12),
            _ => format!("Analyse costs for team {seed}\nand suggest savings"),
        }
    }

    fn run_with(seed: u64, shapes: Shapes, speed: f64) -> Vec<ScriptedFrame> {
        let request = request_for(seed);
        let run_id = format!("run_ws_{seed}");
        let spec = RunSpec {
            user_id: USER,
            thread_id: "thread_ws_1758207374_1_ab12cd34",
            run_id: &run_id,
            request_id: "ws_req_1758207374_2_ef56ab78",
            request: &request,
        };
        let mut rng = StdRng::seed_from_u64(seed);
        script_run(&mut rng, &spec, &shapes, Timestamp::from_unix_micros(START_US), speed)
    }

    fn run(seed: u64) -> Vec<ScriptedFrame> {
        run_with(seed, Shapes::default(), 1.0)
    }

    /// The event name after the `reasoning` alias.
    fn kind(frame: &Value) -> &str {
        match frame["type"].as_str().unwrap() {
            "reasoning" => "agent_thinking",
            other => other,
        }
    }

    fn count(frames: &[ScriptedFrame], name: &str) -> usize {
        frames.iter().filter(|f| kind(&f.frame) == name).count()
    }

    fn flags_of(frames: &[ScriptedFrame]) -> Vec<String> {
        let mut checker = Checker::new(CheckerConfig::offline().with_user(USER));
        for frame in frames {
            let _ = checker.handle_text(&frame.frame.to_string(), None);
        }
        checker.finish();
        let mut flags = Vec::new();
        while let Some(flag) = checker.poll_flag() {
            flags.push(format!("{} {}: {}", flag.severity, flag.rule.id(), flag.message));
        }
        flags
    }

    fn timestamp_of(frame: &Value) -> Timestamp {
        match &frame["timestamp"] {
            Value::String(text) => Timestamp::parse(text).unwrap(),
            Value::Number(number) => {
                Timestamp::from_epoch_number(number.as_f64().unwrap()).unwrap()
            }
            other => panic!("no timestamp: {other}"),
        }
    }

    fn total_delay(frames: &[ScriptedFrame]) -> u64 {
        frames.iter().map(|f| f.delay_ms).sum()
    }

    #[test]
    fn clean_runs_raise_no_flag_for_any_shape_mix() {
        for shapes in all_shapes() {
            for seed in 0..SEEDS {
                let frames = run_with(seed, shapes, 1.0);
                let flags = flags_of(&frames);
                assert!(flags.is_empty(), "seed {seed}, {shapes:?}: {flags:#?}\n{frames:#?}");
            }
        }
    }

    #[test]
    fn the_checker_does_notice_a_broken_run() {
        // Guards the clean-run tests: the same harness flags a run missing its last frame.
        let mut frames = run(1);
        frames.pop();
        let flags = flags_of(&frames);
        assert!(flags.iter().any(|flag| flag.contains("run-incomplete")), "{flags:?}");
    }

    #[test]
    fn runs_at_top_speed_are_still_clean_and_all_frames_distinct() {
        for shapes in [
            Shapes::default(),
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false },
        ] {
            for seed in 0..SEEDS {
                let frames = run_with(seed, shapes, 10_000.0);
                assert!(flags_of(&frames).is_empty(), "seed {seed}");
                for (i, a) in frames.iter().enumerate() {
                    for b in frames.iter().skip(i + 1) {
                        assert_ne!(a.frame, b.frame, "seed {seed}: a frame repeats");
                    }
                }
            }
        }
    }

    #[test]
    fn one_connection_carrying_many_runs_stays_clean() {
        let mut all = Vec::new();
        for seed in 0..50 {
            all.extend(run_with(
                seed,
                Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: true,
                    october: false,
                },
                3.0,
            ));
        }
        assert!(flags_of(&all).is_empty());
    }

    #[test]
    fn runs_hold_one_to_three_sub_agents_one_to_four_thoughts_and_up_to_three_tool_calls() {
        let (mut agents_seen, mut thoughts_seen, mut tools_seen) = ([0; 4], [0; 5], [0; 4]);
        for seed in 0..SEEDS {
            let frames = run(seed);
            let started = count(&frames, "agent_started");
            let ended = count(&frames, "agent_completed") + count(&frames, "agent_error");
            assert_eq!(started, ended, "seed {seed}");
            let sub_agents = started - 1;
            assert!((1..=3).contains(&sub_agents), "seed {seed}: {sub_agents} sub-agents");
            let thinking = count(&frames, "agent_thinking");
            assert!((1..=4).contains(&thinking), "seed {seed}: {thinking} thinking");
            let calls = count(&frames, "tool_executing");
            assert!(calls <= 3, "seed {seed}: {calls} tool calls");
            assert_eq!(calls, count(&frames, "tool_completed"));
            agents_seen[sub_agents] += 1;
            thoughts_seen[thinking] += 1;
            tools_seen[calls] += 1;

            let first = &frames.first().unwrap().frame;
            assert_eq!(kind(first), "agent_started");
            assert_eq!(first["agent_name"], "supervisor");
            let last = &frames.last().unwrap().frame;
            assert_eq!(kind(last), "agent_completed");
            assert_eq!(last["agent_name"], "supervisor");
            assert_eq!(last["status"], "completed");
            let answer = last["final_response"].as_str().unwrap();
            assert!(answer.contains(&excerpt(&request_for(seed))), "seed {seed}: {answer}");
            // Sub-agents run one after another inside the supervisor.
            let mut open: Vec<String> = Vec::new();
            for frame in &frames {
                let name = frame.frame["agent_name"].as_str().unwrap().to_owned();
                match kind(&frame.frame) {
                    "agent_started" => {
                        assert!(open.len() <= 1, "seed {seed}: sub-agents overlap");
                        open.push(name);
                    }
                    "agent_completed" | "agent_error" => assert_eq!(open.pop(), Some(name)),
                    _ => {}
                }
            }
            assert!(open.is_empty());
        }
        assert!(agents_seen[1..].iter().all(|n| *n > 0), "{agents_seen:?}");
        assert!(thoughts_seen[1..].iter().all(|n| *n > 0), "{thoughts_seen:?}");
        assert!(tools_seen.iter().all(|n| *n > 0), "{tools_seen:?}");
    }

    #[test]
    fn some_runs_call_one_tool_twice_at_once() {
        let concurrent = (0..SEEDS)
            .filter(|seed| {
                let frames = run(*seed);
                frames.windows(4).any(|w| {
                    let kinds: Vec<&str> = w.iter().map(|f| kind(&f.frame)).collect();
                    kinds
                        == ["tool_executing", "tool_executing", "tool_completed", "tool_completed"]
                        && w.iter().all(|f| f.frame["tool_name"] == w[0].frame["tool_name"])
                })
            })
            .count();
        assert!(concurrent > 20, "{concurrent} runs with concurrent calls");
    }

    #[test]
    fn about_one_run_in_ten_has_a_failing_sub_agent_and_the_supervisor_still_answers() {
        let mut failing = 0;
        for seed in 0..SEEDS {
            let frames = run(seed);
            let Some(at) = frames.iter().position(|f| kind(&f.frame) == "agent_error") else {
                continue;
            };
            failing += 1;
            assert_eq!(count(&frames, "agent_error"), 1);
            let error = &frames[at].frame;
            assert!(error["timestamp"].is_f64(), "the emitter's agent_error has an epoch float");
            assert_eq!(error["status"], "error");
            assert_eq!(error["critical"], true);
            assert!(error["error"].as_str().unwrap().chars().count() <= 303);
            assert_ne!(error["agent_name"], "supervisor");
            for key in ["user_id", "thread_id", "run_id"] {
                assert!(error[key].is_string());
            }
            let before = &frames[..at];
            assert_eq!(count(before, "tool_executing"), count(before, "tool_completed"));
            let last = &frames.last().unwrap().frame;
            assert_eq!(last["agent_name"], "supervisor");
            assert_eq!(last["status"], "completed");
            assert!(last["final_response"].as_str().unwrap().contains("could not finish"));
        }
        assert!((15..=100).contains(&failing), "{failing} failing runs in {SEEDS}");
    }

    #[test]
    fn same_seed_gives_the_same_run_and_other_seeds_differ() {
        let shapes =
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false };
        for seed in 0..50 {
            assert_eq!(run_with(seed, shapes, 1.0), run_with(seed, shapes, 1.0));
            assert_ne!(run_with(seed, shapes, 1.0), run_with(seed + 1000, shapes, 1.0));
        }
    }

    #[test]
    fn a_run_takes_three_to_eight_seconds_at_speed_one() {
        for seed in 0..SEEDS {
            let frames = run(seed);
            let total = total_delay(&frames);
            assert!((2_990..=8_010).contains(&total), "seed {seed}: {total} ms");
            assert!(frames.iter().all(|f| f.delay_ms <= 4_000), "seed {seed}");
        }
    }

    #[test]
    fn speed_divides_the_delays() {
        for seed in 0..100 {
            let slow = run_with(seed, Shapes::default(), 1.0);
            let fast = run_with(seed, Shapes::default(), 10.0);
            assert_eq!(slow.len(), fast.len());
            let (slow, fast) = (total_delay(&slow) as f64, total_delay(&fast) as f64);
            assert!((fast - slow / 10.0).abs() <= 2.0, "seed {seed}: {slow} vs {fast}");
            let instant = total_delay(&run_with(seed, Shapes::default(), 10_000.0));
            assert!(instant <= 1, "seed {seed}: {instant}");
        }
    }

    #[test]
    fn out_of_range_speeds_are_clamped() {
        let top = total_delay(&run_with(7, Shapes::default(), 10_000.0));
        for speed in [f64::INFINITY, 1e9] {
            assert_eq!(total_delay(&run_with(7, Shapes::default(), speed)), top);
        }
        let bottom = total_delay(&run_with(7, Shapes::default(), 0.01));
        for speed in [0.0, -3.0, f64::NEG_INFINITY, 0.001] {
            assert_eq!(total_delay(&run_with(7, Shapes::default(), speed)), bottom);
        }
        assert_eq!(run_with(7, Shapes::default(), f64::NAN), run_with(7, Shapes::default(), 1.0));
    }

    #[test]
    fn timestamps_are_the_start_plus_the_delays_so_far() {
        for speed in [1.0, 10.0, 0.5, 10_000.0] {
            for seed in 0..100 {
                let shapes = Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: true,
                    october: false,
                };
                let mut elapsed_ms = 0i64;
                for frame in run_with(seed, shapes, speed) {
                    elapsed_ms += frame.delay_ms as i64;
                    let offset = timestamp_of(&frame.frame)
                        .micros_since(Timestamp::from_unix_micros(START_US));
                    let drift = offset - elapsed_ms * 1000;
                    // Epoch floats lose a little precision; ISO keeps microseconds.
                    assert!(
                        (-2..1002).contains(&drift),
                        "seed {seed}, speed {speed}: drift {drift} us"
                    );
                }
            }
        }
    }

    #[test]
    fn iso_timestamps_look_like_python_isoformat() {
        for seed in 0..100 {
            for frame in run(seed) {
                if let Value::String(text) = &frame.frame["timestamp"] {
                    assert!(text.ends_with("+00:00"), "{text}");
                    assert!(text.starts_with("2025-09-18T"), "{text}");
                }
            }
        }
        assert_eq!(iso(Timestamp::from_unix_micros(START_US)), "2025-09-18T14:56:14.123456+00:00");
        assert_eq!(
            iso(Timestamp::from_unix_micros(1_758_207_374_000_000)),
            "2025-09-18T14:56:14+00:00"
        );
    }

    #[test]
    fn canonical_frames_carry_the_s3_fields() {
        for seed in 0..100 {
            for frame in run(seed) {
                let frame = frame.frame;
                assert_eq!(frame["critical"], true);
                assert_eq!(frame["user_id"], USER);
                assert_eq!(frame["thread_id"], "thread_ws_1758207374_1_ab12cd34");
                assert_eq!(frame["run_id"], format!("run_ws_{seed}"));
                assert_eq!(frame["request_id"], "ws_req_1758207374_2_ef56ab78");
                assert_eq!(frame["metadata"]["user_tier"], "free");
                assert_eq!(frame["metadata"]["is_priority_queue"], false);
                assert!(frame.get("data").is_none() && frame.get("payload").is_none());
                assert_ne!(frame["type"], "reasoning");
                match kind(&frame) {
                    "tool_executing" => {
                        assert_eq!(frame["tool_args"], frame["parameters"]);
                        assert!(frame["execution_id"].is_null());
                    }
                    "tool_completed" => {
                        assert!(frame["results"].is_object());
                        assert_eq!(frame["metadata"]["result"], frame["results"]);
                        assert!(frame["execution_time"].is_number());
                        assert_eq!(frame["duration"], frame["execution_time"]);
                    }
                    "agent_thinking" => assert!(!frame["reasoning"].as_str().unwrap().is_empty()),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn enabled_shapes_appear_and_disabled_ones_never_do() {
        for shapes in all_shapes() {
            let (mut data, mut payload, mut reasoning) = (0, 0, 0);
            for seed in 0..SEEDS {
                for frame in run_with(seed, shapes, 1.0) {
                    let frame = frame.frame;
                    if frame.get("data").is_some() {
                        data += 1;
                        assert!(frame.get("critical").is_none() && frame["agent_name"].is_string());
                        match kind(&frame) {
                            "agent_started" => assert_eq!(frame["data"]["status"], "started"),
                            "tool_executing" => {
                                assert!(frame["tool_name"].is_string());
                                assert!(frame["data"]["parameters"].is_object());
                            }
                            "tool_completed" => {
                                assert!(frame["results"].is_object());
                                assert_eq!(frame["data"]["result"], frame["results"]);
                                assert!(frame["data"]["execution_time_ms"].is_u64());
                            }
                            other => panic!("{other} in the bridge shape"),
                        }
                    }
                    if frame.get("payload").is_some() {
                        payload += 1;
                        assert!(frame.get("data").is_none());
                    }
                    if frame["type"] == "reasoning" {
                        reasoning += 1;
                        assert!(frame["reasoning"].is_string());
                    }
                }
            }
            assert_eq!(data > 0, shapes.bridge, "{shapes:?}: {data} data-wrapped frames");
            assert_eq!(
                payload > 0,
                shapes.payload_wrapper,
                "{shapes:?}: {payload} payload-wrapped"
            );
            assert_eq!(reasoning > 0, shapes.reasoning_quirk, "{shapes:?}: {reasoning} reasoning");
        }
    }

    #[test]
    fn parameters_are_redacted_and_cut_like_the_bridge() {
        let (mut redacted, mut cut_strings) = (0, 0);
        for seed in 0..SEEDS {
            for frame in run_with(
                seed,
                Shapes {
                    bridge: true,
                    payload_wrapper: true,
                    reasoning_quirk: false,
                    october: false,
                },
                1.0,
            ) {
                let text = frame.frame.to_string();
                assert!(!text.contains("sk-live-"), "seed {seed}: a secret leaked: {text}");
                if kind(&frame.frame) != "tool_executing" {
                    continue;
                }
                let body = ["data", "payload"]
                    .iter()
                    .find_map(|k| frame.frame.get(*k))
                    .unwrap_or(&frame.frame);
                let parameters = body["parameters"].as_object().unwrap();
                for (key, value) in parameters {
                    let lower = key.to_lowercase();
                    if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                        assert_eq!(value, "[REDACTED]");
                        redacted += 1;
                    } else if let Some(text) = value.as_str() {
                        let chars = text.chars().count();
                        assert!(chars <= 203, "{key}: {chars} chars");
                        if chars == 203 && text.ends_with("...") {
                            cut_strings += 1;
                        }
                    }
                }
            }
        }
        assert!(redacted > 100, "{redacted} redacted keys");
        assert!(cut_strings > 10, "{cut_strings} cut strings");
    }

    #[test]
    fn thinking_is_about_the_request() {
        let mut quoting = 0;
        for seed in 0..SEEDS {
            let request = excerpt(&request_for(seed));
            for frame in run(seed) {
                if kind(&frame.frame) == "agent_thinking"
                    && frame.frame["reasoning"].as_str().unwrap().contains(&request)
                {
                    quoting += 1;
                }
            }
        }
        assert!(quoting > SEEDS / 2, "{quoting} thinking events quote the request");
    }
}
