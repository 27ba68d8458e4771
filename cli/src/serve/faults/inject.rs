//! Fault injection (sans-IO): draws the per-run faults of one scripted run and assembles what
//! the server sends for it, with the ground truth of what was injected.

use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use super::analysis::{Analysis, SKEW_MICROS};
use super::config::{FaultKind, FaultRates, probability};
use super::edit::{first_half, shift_timestamps, with_attempt};
use crate::serve::script::ScriptedFrame;

/// How much longer than `stall_after` a `delay` holds an event back, in milliseconds.
const DELAY_BEYOND_STALL_MS: u64 = 2_000;

/// The order [`apply_to_run`] draws the per-run kinds in: the most constrained first (a reorder
/// needs a particular adjacent pair, a delay an active run, a skew a recent timestamp), and the
/// skew after the delay, whose shift it takes into account.
const DRAW_ORDER: [FaultKind; 8] = [
    FaultKind::Reorder,
    FaultKind::Delay,
    FaultKind::SkewTimestamp,
    FaultKind::Drop,
    FaultKind::CrossUser,
    FaultKind::Duplicate,
    FaultKind::DuplicateAttempt,
    FaultKind::Malformed,
];

/// One frame the server sends for a run, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Outgoing {
    /// Milliseconds to wait after the previous frame (after the run's start for the first one).
    pub(crate) delay_ms: u64,
    /// The exact frame text.
    pub(crate) text: String,
    /// The fault this frame carries out, if any: the copy of a duplicate, both frames of a
    /// reorder, the delayed, skewed or malformed frame, the frame to leak to another user.
    pub(crate) fault: Option<FaultKind>,
    /// Deliver a copy of this frame (same text) to another user as well (`cross_user`). The
    /// frame still goes to its own user.
    pub(crate) also_to_other_user: bool,
}

/// The ground truth of one injected fault (a `--truth` record, with the server adding the user).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct InjectedFault {
    /// What was done.
    pub(crate) kind: FaultKind,
    /// The run: the event's `run_id`, else its `thread_id` (else the run's first one, else empty).
    pub(crate) run_id: String,
    /// The original event's canonical type (`agent_thinking` for a wire `reasoning`).
    pub(crate) event_type: String,
    /// Index in the run's outgoing list of the affected frame: the copy of a duplicate; the
    /// frame that now arrives first of a reordered pair (the other one follows it); the delayed,
    /// skewed, leaked or malformed frame; for a drop, where the event would have been.
    pub(crate) index: usize,
    /// The original event, as scripted (for a reorder, the event now sent first).
    pub(crate) frame: Value,
}

/// The frame each per-run kind affects (for `reorder`, the first of the pair).
#[derive(Clone, Copy, Debug, Default)]
struct Targets {
    /// [`FaultKind::Drop`].
    drop: Option<usize>,
    /// [`FaultKind::Duplicate`].
    duplicate: Option<usize>,
    /// [`FaultKind::DuplicateAttempt`].
    duplicate_attempt: Option<usize>,
    /// [`FaultKind::Reorder`]: the first of the pair.
    reorder: Option<usize>,
    /// [`FaultKind::Delay`].
    delay: Option<usize>,
    /// [`FaultKind::SkewTimestamp`].
    skew_timestamp: Option<usize>,
    /// [`FaultKind::CrossUser`].
    cross_user: Option<usize>,
    /// [`FaultKind::Malformed`].
    malformed: Option<usize>,
}

impl Targets {
    /// Records the frame `kind` affects.
    fn set(&mut self, kind: FaultKind, index: usize) {
        let slot = match kind {
            FaultKind::Drop => &mut self.drop,
            FaultKind::Duplicate => &mut self.duplicate,
            FaultKind::DuplicateAttempt => &mut self.duplicate_attempt,
            FaultKind::Reorder => &mut self.reorder,
            FaultKind::Delay => &mut self.delay,
            FaultKind::SkewTimestamp => &mut self.skew_timestamp,
            FaultKind::CrossUser => &mut self.cross_user,
            FaultKind::Malformed => &mut self.malformed,
            FaultKind::DropConnection
            | FaultKind::FreezeConnection
            | FaultKind::RefuseConnections => return,
        };
        *slot = Some(index);
    }
}

/// Applies the per-run faults of `rates` to one scripted run (all frames of one run, as
/// [`script_run`](crate::serve::script::script_run) makes them): returns the frames to send, in
/// order, and what was injected, in outgoing order. `stall_after_ms` is the stall deadline a
/// `delay` must exceed (the checker's `stall_after`, 30 s for the manager).
///
/// Each per-run kind is drawn once per run with its rate (no draw at all for a zero rate), then
/// its event is picked uniformly among the events where it is detectable and not already affected
/// (see the [module documentation](super)); a run with no such event does not get that fault.
/// With every rate at zero the output is the input: same delays, texts `frame.to_string()`, no
/// faults, and the generator untouched.
pub(crate) fn apply_to_run(
    rng: &mut impl Rng,
    script: Vec<ScriptedFrame>,
    rates: &FaultRates,
    stall_after_ms: u64,
) -> (Vec<Outgoing>, Vec<InjectedFault>) {
    let analysis = Analysis::of(&script);
    let delay_shift_ms = stall_after_ms.saturating_add(DELAY_BEYOND_STALL_MS);
    let delay_shift_us =
        i64::try_from(delay_shift_ms).unwrap_or(i64::MAX / 1000).saturating_mul(1000);

    let mut taken = vec![false; script.len()];
    let mut targets = Targets::default();
    for kind in DRAW_ORDER {
        let rate = probability(rates.rate(kind));
        if rate <= 0.0 || !rng.random_bool(rate) {
            continue;
        }
        let delayed = targets.delay.map(|index| (index, delay_shift_us));
        let candidates = analysis.candidates(kind, &taken, delayed);
        if candidates.is_empty() {
            continue;
        }
        let Some(&index) = candidates.get(rng.random_range(0..candidates.len())) else { continue };
        targets.set(kind, index);
        let width = if kind == FaultKind::Reorder { 2 } else { 1 };
        for slot in taken.iter_mut().skip(index).take(width) {
            *slot = true;
        }
    }

    build(&analysis, script, &targets, delay_shift_ms, delay_shift_us)
}

/// Renders the run with its faults.
fn build(
    analysis: &Analysis,
    script: Vec<ScriptedFrame>,
    targets: &Targets,
    delay_shift_ms: u64,
    delay_shift_us: i64,
) -> (Vec<Outgoing>, Vec<InjectedFault>) {
    let mut order: Vec<usize> = (0..script.len()).collect();
    if let Some(first) = targets.reorder {
        if first + 1 < order.len() {
            order.swap(first, first + 1);
        }
    }
    let record = |kind: FaultKind, index: usize, original: usize| {
        let info = analysis.info(original);
        InjectedFault {
            kind,
            run_id: info.and_then(|info| info.run.clone()).unwrap_or_else(|| analysis.run.clone()),
            event_type: info.map(|info| info.event_type.clone()).unwrap_or_default(),
            index,
            frame: script.get(original).map(|scripted| scripted.frame.clone()).unwrap_or_default(),
        }
    };

    let mut outgoing: Vec<Outgoing> = Vec::with_capacity(script.len() + 2);
    let mut injected = Vec::new();
    let mut carried_ms = 0u64;
    for (position, &original) in order.iter().enumerate() {
        let (Some(slot), Some(scripted)) = (script.get(position), script.get(original)) else {
            continue;
        };
        let mut delay_ms = slot.delay_ms.saturating_add(carried_ms);
        carried_ms = 0;
        if targets.drop == Some(original) {
            // Keep the rest of the run on schedule: the next frame waits this one's delay too.
            carried_ms = delay_ms;
            injected.push(record(FaultKind::Drop, outgoing.len(), original));
            continue;
        }

        let mut fault = None;
        let delayed = targets.delay.is_some_and(|from| original >= from);
        let skewed = targets.skew_timestamp == Some(original);
        let text = if delayed || skewed {
            let mut frame = scripted.frame.clone();
            if delayed {
                shift_timestamps(&mut frame, delay_shift_us);
            }
            if skewed {
                shift_timestamps(&mut frame, -SKEW_MICROS);
            }
            frame.to_string()
        } else {
            scripted.frame.to_string()
        };
        if targets.delay == Some(original) {
            delay_ms = delay_ms.saturating_add(delay_shift_ms);
            fault = Some(FaultKind::Delay);
            injected.push(record(FaultKind::Delay, outgoing.len(), original));
        }
        if skewed {
            fault = Some(FaultKind::SkewTimestamp);
            injected.push(record(FaultKind::SkewTimestamp, outgoing.len(), original));
        }
        if let Some(first) = targets.reorder {
            if original == first || original == first + 1 {
                fault = Some(FaultKind::Reorder);
                if position == first {
                    injected.push(record(FaultKind::Reorder, outgoing.len(), original));
                }
            }
        }
        let also_to_other_user = targets.cross_user == Some(original);
        if also_to_other_user {
            fault = Some(FaultKind::CrossUser);
            injected.push(record(FaultKind::CrossUser, outgoing.len(), original));
        }
        let text = if targets.malformed == Some(original) {
            fault = Some(FaultKind::Malformed);
            injected.push(record(FaultKind::Malformed, outgoing.len(), original));
            first_half(&text)
        } else {
            text
        };

        let duplicate = (targets.duplicate == Some(original)).then(|| text.clone());
        let retry = (targets.duplicate_attempt == Some(original)).then(|| with_attempt(&text));
        outgoing.push(Outgoing { delay_ms, text, fault, also_to_other_user });
        for (kind, copy) in
            [(FaultKind::Duplicate, duplicate), (FaultKind::DuplicateAttempt, retry)]
        {
            if let Some(text) = copy {
                injected.push(record(kind, outgoing.len(), original));
                outgoing.push(Outgoing {
                    delay_ms: 0,
                    text,
                    fault: Some(kind),
                    also_to_other_user: false,
                });
            }
        }
    }
    (outgoing, injected)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agentwire::{Checker, CheckerConfig, Flag, Rule, Severity, Timestamp, decode_value};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::serve::script::{RunSpec, Shapes, script_run};

    const USER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const OTHER: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const START_US: i64 = 1_758_207_374_123_456;
    const SEEDS: u64 = 200;

    fn all_shapes() -> Shapes {
        Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false }
    }

    fn script_for(user: &str, seed: u64, shapes: Shapes, speed: f64) -> Vec<ScriptedFrame> {
        let run_id = format!("run_ws_{seed}");
        let spec = RunSpec {
            user_id: user,
            thread_id: "thread_ws_1758207374_1_ab12cd34",
            run_id: &run_id,
            request_id: "ws_req_1758207374_2_ef56ab78",
            request: "Why did our AWS bill jump 40% last month?",
        };
        let mut rng = StdRng::seed_from_u64(seed);
        script_run(&mut rng, &spec, &shapes, Timestamp::from_unix_micros(START_US), speed)
    }

    fn script(seed: u64) -> Vec<ScriptedFrame> {
        script_for(USER, seed, Shapes::default(), 100.0)
    }

    /// The deadline varies with the seed: the manager's 30 s, a short one, a long one.
    fn stall_after_ms(seed: u64) -> u64 {
        match seed % 3 {
            0 => 30_000,
            1 => 8_000,
            _ => 90_000,
        }
    }

    fn only(kind: FaultKind) -> FaultRates {
        let mut rates = FaultRates::none();
        rates.set(kind, 1.0);
        rates
    }

    fn inject(
        frames: Vec<ScriptedFrame>,
        rates: &FaultRates,
        seed: u64,
    ) -> (Vec<Outgoing>, Vec<InjectedFault>) {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_fa17);
        apply_to_run(&mut rng, frames, rates, stall_after_ms(seed))
    }

    fn check<'a>(user: &str, stall_ms: u64, texts: impl IntoIterator<Item = &'a str>) -> Vec<Flag> {
        let config = CheckerConfig::offline()
            .with_user(user)
            .with_stall_after(Duration::from_millis(stall_ms));
        let mut checker = Checker::new(config);
        for text in texts {
            let _ = checker.handle_text(text, None);
        }
        checker.finish();
        std::iter::from_fn(|| checker.poll_flag()).collect()
    }

    fn check_outgoing(seed: u64, outgoing: &[Outgoing]) -> Vec<Flag> {
        check(USER, stall_after_ms(seed), outgoing.iter().map(|o| o.text.as_str()))
    }

    fn rules(flags: &[Flag]) -> Vec<Rule> {
        flags.iter().map(|flag| flag.rule).collect()
    }

    fn serious(flags: &[Flag]) -> Vec<Rule> {
        flags.iter().filter(|flag| flag.severity != Severity::Info).map(|flag| flag.rule).collect()
    }

    fn texts(frames: &[ScriptedFrame]) -> Vec<String> {
        frames.iter().map(|f| f.frame.to_string()).collect()
    }

    fn timestamp_of(text: &str) -> Timestamp {
        let frame: Value = serde_json::from_str(text).unwrap();
        match &frame["timestamp"] {
            Value::String(text) => Timestamp::parse(text).unwrap(),
            Value::Number(number) => {
                Timestamp::from_epoch_number(number.as_f64().unwrap()).unwrap()
            }
            other => panic!("no timestamp: {other}"),
        }
    }

    /// The one fault of a run, checked against the script: kind, run, type, and which scripted
    /// frame it names (returned).
    fn the_fault(
        seed: u64,
        kind: FaultKind,
        frames: &[ScriptedFrame],
        injected: &[InjectedFault],
    ) -> (InjectedFault, usize) {
        assert_eq!(injected.len(), 1, "seed {seed}: {injected:#?}");
        let fault = injected[0].clone();
        assert_eq!(fault.kind, kind);
        assert_eq!(fault.run_id, format!("run_ws_{seed}"));
        let original = frames
            .iter()
            .position(|f| f.frame == fault.frame)
            .unwrap_or_else(|| panic!("seed {seed}: the truth names no scripted frame"));
        assert_eq!(fault.event_type, decode_value(&fault.frame).unwrap().name());
        (fault, original)
    }

    /// The rule(s) each kind must raise in the affected user's stream.
    fn detected(kind: FaultKind, flags: &[Flag]) -> bool {
        let rules = rules(flags);
        match kind {
            FaultKind::Drop | FaultKind::Reorder => !serious(flags).is_empty(),
            FaultKind::Duplicate | FaultKind::DuplicateAttempt => rules == [Rule::DuplicateEvent],
            FaultKind::Delay => rules.contains(&Rule::RunStalled),
            FaultKind::SkewTimestamp => rules.contains(&Rule::TimestampRegression),
            FaultKind::Malformed => rules.contains(&Rule::MalformedFrame),
            FaultKind::CrossUser => flags.is_empty(),
            FaultKind::DropConnection
            | FaultKind::FreezeConnection
            | FaultKind::RefuseConnections => false,
        }
    }

    #[test]
    fn zero_rates_send_the_script_unchanged_and_the_checker_stays_clean() {
        for seed in 0..SEEDS {
            for shapes in [Shapes::default(), all_shapes()] {
                let frames = script_for(USER, seed, shapes, 100.0);
                let mut rng = StdRng::seed_from_u64(seed);
                let (outgoing, injected) =
                    apply_to_run(&mut rng, frames.clone(), &FaultRates::none(), 30_000);
                assert!(injected.is_empty());
                assert_eq!(outgoing.len(), frames.len());
                for (sent, scripted) in outgoing.iter().zip(&frames) {
                    assert_eq!(sent.delay_ms, scripted.delay_ms);
                    assert_eq!(sent.text, scripted.frame.to_string());
                    assert_eq!(sent.fault, None);
                    assert!(!sent.also_to_other_user);
                }
                // No draw at all: the generator is where it was.
                assert_eq!(rng.random::<u64>(), StdRng::seed_from_u64(seed).random::<u64>());
                let flags = check_outgoing(seed, &outgoing);
                assert!(flags.is_empty(), "seed {seed}: {flags:#?}");
            }
        }
    }

    #[test]
    fn connection_kinds_are_never_applied_to_a_run() {
        let mut rates = FaultRates::none();
        rates.set(FaultKind::DropConnection, 1.0);
        rates.set(FaultKind::FreezeConnection, 1.0);
        rates.set(FaultKind::RefuseConnections, 1.0);
        for seed in 0..20 {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &rates, seed);
            assert!(injected.is_empty());
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), texts(&frames));
        }
    }

    #[test]
    fn drop_removes_one_detectable_event_and_keeps_the_schedule() {
        let mut dropped = std::collections::BTreeSet::new();
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Drop), seed);
            let (fault, original) = the_fault(seed, FaultKind::Drop, &frames, &injected);
            assert_eq!(fault.index, original);
            let mut expected = texts(&frames);
            expected.remove(original);
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), expected);
            if original + 1 < frames.len() {
                let sent: u64 = outgoing.iter().map(|o| o.delay_ms).sum();
                let scripted: u64 = frames.iter().map(|f| f.delay_ms).sum();
                assert_eq!(sent, scripted, "seed {seed}: the schedule is kept");
            }
            assert!(outgoing.iter().all(|o| o.fault.is_none() && !o.also_to_other_user));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Drop, &flags), "seed {seed}: dropped {fault:#?}");
            dropped.insert(fault.event_type);
        }
        for event_type in [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed",
        ] {
            assert!(dropped.contains(event_type), "never dropped {event_type}: {dropped:?}");
        }
    }

    #[test]
    fn drop_never_picks_one_thinking_among_several() {
        let mut thinking_dropped = 0;
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (_, injected) = inject(frames.clone(), &only(FaultKind::Drop), seed);
            let thinking = frames
                .iter()
                .filter(|f| decode_value(&f.frame).unwrap().name() == "agent_thinking");
            if injected[0].event_type == "agent_thinking" {
                thinking_dropped += 1;
                assert_eq!(thinking.count(), 1, "seed {seed}");
            }
        }
        assert!(thinking_dropped > 0, "a lone thinking event is a fair target");
    }

    #[test]
    fn duplicate_sends_the_event_twice_and_raises_exactly_duplicate_event() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Duplicate), seed);
            let (fault, original) = the_fault(seed, FaultKind::Duplicate, &frames, &injected);
            assert_eq!(fault.index, original + 1);
            assert_eq!(outgoing[fault.index].text, outgoing[original].text);
            assert_eq!(outgoing[fault.index].text, fault.frame.to_string());
            assert_eq!(outgoing[fault.index].delay_ms, 0);
            assert_eq!(outgoing[fault.index].fault, Some(FaultKind::Duplicate));
            let mut rest: Vec<String> = outgoing.iter().map(|o| o.text.clone()).collect();
            rest.remove(fault.index);
            assert_eq!(rest, texts(&frames));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Duplicate, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn duplicate_attempt_resends_with_attempt_two_and_raises_exactly_duplicate_event() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) =
                inject(frames.clone(), &only(FaultKind::DuplicateAttempt), seed);
            let (fault, original) =
                the_fault(seed, FaultKind::DuplicateAttempt, &frames, &injected);
            assert_eq!(fault.index, original + 1);
            assert_eq!(outgoing[original].text, fault.frame.to_string());
            let copy: Value = serde_json::from_str(&outgoing[fault.index].text).unwrap();
            let mut expected = fault.frame.clone();
            expected["attempt"] = Value::from(2);
            assert_eq!(copy, expected);
            assert_eq!(outgoing[fault.index].fault, Some(FaultKind::DuplicateAttempt));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::DuplicateAttempt, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn reorder_swaps_two_adjacent_events_detectably() {
        let mut patterns = std::collections::BTreeSet::new();
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Reorder), seed);
            let (fault, original) = the_fault(seed, FaultKind::Reorder, &frames, &injected);
            let first = fault.index;
            assert_eq!(original, first + 1, "the truth names the event now sent first");
            let scripted = texts(&frames);
            assert_eq!(outgoing.len(), frames.len());
            for (position, sent) in outgoing.iter().enumerate() {
                assert_eq!(sent.delay_ms, frames[position].delay_ms);
                let expected = match position {
                    p if p == first => &scripted[first + 1],
                    p if p == first + 1 => &scripted[first],
                    p => &scripted[p],
                };
                assert_eq!(&sent.text, expected, "seed {seed}, frame {position}");
                let marked = position == first || position == first + 1;
                assert_eq!(sent.fault, marked.then_some(FaultKind::Reorder));
            }
            let name = |i: usize| decode_value(&frames[i].frame).unwrap().name().to_owned();
            patterns.insert((name(first), name(first + 1)));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Reorder, &flags), "seed {seed}: {patterns:?}");
        }
        // All three detectable patterns occur.
        assert!(patterns.iter().any(|(a, _)| a == "agent_started"), "{patterns:?}");
        assert!(patterns.contains(&("tool_executing".into(), "tool_completed".into())));
        assert!(patterns.iter().any(|(_, b)| b == "agent_completed"), "{patterns:?}");
    }

    #[test]
    fn delay_holds_one_event_past_the_stall_deadline_and_raises_run_stalled() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let stall = stall_after_ms(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Delay), seed);
            let (fault, original) = the_fault(seed, FaultKind::Delay, &frames, &injected);
            assert_eq!(fault.index, original);
            assert!(original > 0);
            assert_eq!(outgoing.len(), frames.len());
            let shift_us = (stall as i64 + 2_000) * 1_000;
            for (position, (sent, scripted)) in outgoing.iter().zip(&frames).enumerate() {
                let text = scripted.frame.to_string();
                if position < original {
                    assert_eq!(sent.text, text);
                    assert_eq!(sent.delay_ms, scripted.delay_ms);
                    continue;
                }
                let extra = if position == original { stall + 2_000 } else { 0 };
                assert_eq!(sent.delay_ms, scripted.delay_ms + extra);
                assert_eq!(sent.fault, (position == original).then_some(FaultKind::Delay));
                let moved = timestamp_of(&sent.text).micros_since(timestamp_of(&text));
                assert!((moved - shift_us).abs() <= 2, "seed {seed}: moved {moved} us");
                // Nothing but the timestamp changes.
                let (mut sent, mut scripted): (Value, Value) =
                    (serde_json::from_str(&sent.text).unwrap(), scripted.frame.clone());
                sent["timestamp"] = Value::Null;
                scripted["timestamp"] = Value::Null;
                assert_eq!(sent, scripted);
            }
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Delay, &flags), "seed {seed}: {flags:#?}");
            assert_eq!(serious(&flags), [Rule::RunStalled], "seed {seed}");
        }
    }

    #[test]
    fn skew_moves_one_timestamp_five_seconds_back_and_raises_timestamp_regression() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) =
                inject(frames.clone(), &only(FaultKind::SkewTimestamp), seed);
            let (fault, original) = the_fault(seed, FaultKind::SkewTimestamp, &frames, &injected);
            assert_eq!(fault.index, original);
            assert!(original > 0, "never the run's first event");
            for (position, (sent, scripted)) in outgoing.iter().zip(&frames).enumerate() {
                assert_eq!(sent.delay_ms, scripted.delay_ms);
                let text = scripted.frame.to_string();
                if position != original {
                    assert_eq!(sent.text, text);
                    continue;
                }
                assert_eq!(sent.fault, Some(FaultKind::SkewTimestamp));
                let moved = timestamp_of(&sent.text).micros_since(timestamp_of(&text));
                assert!((moved + 5_000_000).abs() <= 2, "seed {seed}: moved {moved} us");
            }
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::SkewTimestamp, &flags), "seed {seed}: {flags:#?}");
        }
    }

    #[test]
    fn cross_user_marks_one_event_that_another_users_checker_flags() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::CrossUser), seed);
            let (fault, original) = the_fault(seed, FaultKind::CrossUser, &frames, &injected);
            assert_eq!(fault.index, original);
            // The user's own stream is unchanged and clean.
            assert_eq!(outgoing.iter().map(|o| o.text.clone()).collect::<Vec<_>>(), texts(&frames));
            let marked: Vec<usize> =
                (0..outgoing.len()).filter(|i| outgoing[*i].also_to_other_user).collect();
            assert_eq!(marked, [original]);
            assert_eq!(outgoing[original].fault, Some(FaultKind::CrossUser));
            assert!(detected(FaultKind::CrossUser, &check_outgoing(seed, &outgoing)));

            // The other user gets the copy in the middle of their own run.
            let own = texts(&script_for(OTHER, seed + 10_000, Shapes::default(), 100.0));
            let leak_at = own.len() / 2;
            let mut stream: Vec<&str> = own.iter().map(String::as_str).collect();
            stream.insert(leak_at, &outgoing[original].text);
            let flags = check(OTHER, stall_after_ms(seed), stream);
            let leaks: Vec<&Flag> =
                flags.iter().filter(|f| f.rule == Rule::CrossUserEvent).collect();
            assert_eq!(leaks.len(), 1, "seed {seed}: {flags:#?}");
            assert_eq!(leaks[0].frame, Some(leak_at as u64));
        }
    }

    #[test]
    fn malformed_sends_half_the_event_in_its_place_and_raises_malformed_frame() {
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &only(FaultKind::Malformed), seed);
            let (fault, original) = the_fault(seed, FaultKind::Malformed, &frames, &injected);
            assert_eq!(fault.index, original);
            assert_eq!(outgoing.len(), frames.len());
            let sent = &outgoing[original];
            let full = fault.frame.to_string();
            assert!(full.starts_with(&sent.text) && sent.text.len() * 2 <= full.len());
            assert!(sent.text.len() * 2 + 4 >= full.len());
            assert!(serde_json::from_str::<Value>(&sent.text).is_err());
            assert_eq!(sent.fault, Some(FaultKind::Malformed));
            let flags = check_outgoing(seed, &outgoing);
            assert!(detected(FaultKind::Malformed, &flags), "seed {seed}: {flags:#?}");
            assert_eq!(
                flags.iter().filter(|f| f.rule == Rule::MalformedFrame).count(),
                1,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn every_kind_is_detected_with_every_shape_mixed_in_and_at_human_speed() {
        for kind in FaultKind::PER_RUN {
            for seed in 0..SEEDS {
                let speed = if seed % 2 == 0 { 1.0 } else { 100.0 };
                let frames = script_for(USER, seed, all_shapes(), speed);
                let (outgoing, injected) = inject(frames.clone(), &only(kind), seed);
                let (fault, _) = the_fault(seed, kind, &frames, &injected);
                let flags = check_outgoing(seed, &outgoing);
                assert!(detected(kind, &flags), "{kind}, seed {seed}: {fault:#?}\n{flags:#?}");
            }
        }
    }

    #[test]
    fn every_kind_at_once_hits_distinct_events_at_most_once_each() {
        let mut all = FaultRates::none();
        for kind in FaultKind::PER_RUN {
            all.set(kind, 1.0);
        }
        let mut complete = 0;
        for seed in 0..SEEDS {
            let frames = script(seed);
            let (outgoing, injected) = inject(frames.clone(), &all, seed);
            let mut kinds: Vec<FaultKind> = injected.iter().map(|f| f.kind).collect();
            kinds.sort();
            kinds.dedup();
            assert_eq!(kinds.len(), injected.len(), "seed {seed}: a kind twice");
            // A short run has fewer free events than eight kinds need.
            if kinds == FaultKind::PER_RUN {
                complete += 1;
            }
            let mut targets: Vec<String> = injected.iter().map(|f| f.frame.to_string()).collect();
            targets.sort();
            targets.dedup();
            assert_eq!(targets.len(), injected.len(), "seed {seed}: two kinds on one event");
            assert!(injected.windows(2).all(|w| w[0].index <= w[1].index));
            let leaks = usize::from(kinds.contains(&FaultKind::CrossUser));
            assert_eq!(outgoing.iter().filter(|o| o.also_to_other_user).count(), leaks);
            let rules = rules(&check_outgoing(seed, &outgoing));
            for (kind, rule) in [
                (FaultKind::Duplicate, Rule::DuplicateEvent),
                (FaultKind::Malformed, Rule::MalformedFrame),
            ] {
                if kinds.contains(&kind) {
                    assert!(rules.contains(&rule), "seed {seed}: {rules:?}");
                }
            }
        }
        assert!(complete > SEEDS / 2, "{complete} runs got all eight kinds");
    }

    #[test]
    fn the_same_generator_state_gives_the_same_faults() {
        let rates = FaultRates::preset("chaos").unwrap();
        let mut differ = 0;
        for seed in 0..50 {
            let once = inject(script(seed), &rates, seed);
            assert_eq!(once, inject(script(seed), &rates, seed));
            if once != inject(script(seed), &rates, seed + 1) {
                differ += 1;
            }
        }
        assert!(differ > 25, "{differ}");
    }
}
