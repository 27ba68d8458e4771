//! Unit tests of the checker's internals: the active-run set, the stall deadline, eviction
//! and the orderings it uses.

use super::order::heap_sort;
use super::*;

/// The deadline `poll_timeout` would give if it scanned every run, as it once did.
fn scanned_deadline(checker: &Checker) -> Option<Timestamp> {
    let stall = duration_micros(checker.config.stall_after);
    checker
        .runs
        .values()
        .filter(|run| run.is_active() && !run.stalled)
        .filter_map(|run| run.last_event_at.map(|at| at.add_micros(stall)))
        .min()
}

#[test]
fn the_active_set_follows_every_run_through_starts_ends_stalls_and_evictions() {
    let config = CheckerConfig { max_runs: 4, ..CheckerConfig::live() }
        .with_stall_after(Duration::from_secs(2));
    let mut checker = Checker::new(config);
    let mut now = Timestamp::from_unix_micros(1_758_207_374_000_000);
    let kinds = ["agent_started", "agent_thinking", "tool_executing", "agent_completed"];
    for step in 0..400u64 {
        // Seven runs in turn, each at its own point of a start-think-tool-end cycle, some
        // started twice (nested executions), so runs open, close, reopen and get evicted.
        let run = step % 7;
        let kind = kinds[usize::try_from((step / 7 + run) % 4).unwrap_or(0)];
        let frame = format!(
            r#"{{"type":"{kind}","run_id":"r{run}","agent_name":"a","reasoning":"s{step}","tool_name":"t"}}"#
        );
        now = now.add_micros(if step % 50 == 49 { 3_000_000 } else { 100_000 });
        let _ = checker.handle_text(&frame, Some(now));
        if step % 13 == 0 {
            checker.handle_timeout(now);
        }
        let expected: HashSet<RunKey> = checker
            .runs
            .iter()
            .filter(|(_, run)| run.is_active())
            .map(|(key, _)| key.clone())
            .collect();
        let active: HashSet<RunKey> = checker.active.iter().cloned().collect();
        assert_eq!(active, expected, "step {step}");
        assert_eq!(checker.poll_timeout(), scanned_deadline(&checker), "step {step}");
    }
    let summary = checker.summary();
    assert!(summary.runs > 4, "runs were evicted: {} seen, at most 4 kept", summary.runs);
    assert!(summary.flags() > 0, "stalls and other flags were raised");
}

/// The ids of the runs the checker keeps, sorted.
fn kept_runs(checker: &Checker) -> Vec<String> {
    let mut kept: Vec<String> = checker.runs.keys().filter_map(RunKey::label).collect();
    kept.sort();
    kept
}

fn feed(checker: &mut Checker, kind: &str, run: &str) {
    let frame = format!(r#"{{"type":"{kind}","run_id":"{run}","agent_name":"a","reasoning":"x"}}"#);
    let _ = checker.handle_text(&frame, None);
}

#[test]
fn eviction_drops_the_least_recently_used_finished_runs_before_any_active_one() {
    let mut checker = Checker::new(CheckerConfig { max_runs: 8, ..CheckerConfig::offline() });
    // Ten runs, alternately left active and finished; the tenth passes the cap's slack (9).
    for n in 0..5 {
        feed(&mut checker, "agent_started", &format!("a{n}"));
        feed(&mut checker, "agent_started", &format!("f{n}"));
        feed(&mut checker, "agent_completed", &format!("f{n}"));
    }
    assert_eq!(kept_runs(&checker), ["a0", "a1", "a2", "a3", "a4", "f2", "f3", "f4"]);
    assert_eq!(checker.summary().evicted_active_runs, 0);
}

#[test]
fn when_every_run_is_active_eviction_drops_the_least_recently_used_and_counts_them() {
    let mut checker = Checker::new(CheckerConfig { max_runs: 8, ..CheckerConfig::offline() });
    for n in 0..9 {
        feed(&mut checker, "agent_started", &format!("r{n}"));
    }
    // `r0` is used again, so `r1` and `r2` are now the least recently used.
    feed(&mut checker, "agent_thinking", "r0");
    feed(&mut checker, "agent_started", "r9");
    assert_eq!(kept_runs(&checker), ["r0", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]);
    assert_eq!(checker.summary().evicted_active_runs, 2);
    assert_eq!(checker.active.len(), 8);
}

#[test]
fn evicting_the_run_of_the_last_event_forgets_it_for_events_without_ids() {
    let mut checker = Checker::new(CheckerConfig { max_runs: 1, ..CheckerConfig::offline() });
    feed(&mut checker, "agent_started", "a");
    // A new run left finished by its first event ranks below the active `a`: it goes at once.
    feed(&mut checker, "agent_thinking", "t");
    assert_eq!(kept_runs(&checker), ["a"]);
    assert!(checker.last_run.is_none());
    let checked = checker.handle_text(r#"{"type":"agent_thinking","reasoning":"x"}"#, None);
    assert!(checked.is_ok_and(|c| c.verdict.run.is_none()), "anonymous, not the evicted `t`");
}

#[test]
fn rule_counts_index_every_rule_in_the_order_of_the_docs() {
    let mut counts = RuleCounts::default();
    for (index, rule) in Rule::ALL.into_iter().enumerate() {
        assert_eq!(rule as usize, index, "{rule}");
        for _ in 0..=index {
            counts.add(rule);
        }
    }
    let listed: Vec<(Rule, u64)> = counts.iter().collect();
    let expected: Vec<(Rule, u64)> = Rule::ALL.into_iter().zip(1..).collect();
    assert_eq!(listed, expected);
    assert_eq!(counts.total(), (1..=16).sum::<u64>());
    assert_eq!(
        serde_json::to_string(&RuleCounts::default()).unwrap_or_default(),
        "{}",
        "only the rules that fired"
    );
}

proptest::proptest! {
    /// The checker's own sort orders exactly as the standard library's (first components
    /// from a small range, so that ties are common and the second component decides).
    #[test]
    fn the_heap_sort_orders_as_the_standard_sort(
        mut items in proptest::collection::vec((0u64..8, 0usize..1_000), 0..200)
    ) {
        let mut expected = items.clone();
        expected.sort_unstable();
        heap_sort(&mut items);
        proptest::prop_assert_eq!(items, expected);
    }

    /// The selection eviction uses gives what sorting would: the `k`-th smallest value, repeats
    /// included, and nothing when there are fewer than `k` values or `k` is 0.
    #[test]
    fn the_kth_smallest_is_the_kth_value_in_sorted_order(
        values in proptest::collection::vec(0u64..50, 0..200),
        k in 0usize..210,
    ) {
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let expected = k.checked_sub(1).and_then(|at| sorted.get(at)).copied();
        proptest::prop_assert_eq!(kth_smallest(values.into_iter(), k), expected);
    }
}
