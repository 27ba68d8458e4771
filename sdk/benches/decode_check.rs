//! Decode + check throughput on a realistic mixed stream, next to `serde_json::Value` parsing
//! alone on the same frames (the baseline, measured in the same run, so the ratio is what
//! tolerance costs whatever the machine's load).
//!
//! Run: `cargo bench -p agentwire --bench decode_check` (prints a table; numbers go to
//! BENCHMARKS.md). Set `AGENTWIRE_BENCH_FRAMES` to change the stream length (default 200,000),
//! and `AGENTWIRE_BENCH_ONLY` to a part of a section name to run only that section (for `perf`).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Benchmarks measure wall time; the sans-IO rule against reading clocks is for library code.
#![allow(clippy::disallowed_methods)]

#[path = "support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Instant;

use agentwire::{Checker, CheckerConfig, decode};

fn measure(
    name: &str,
    frames: &[String],
    bytes: usize,
    rounds: usize,
    mut body: impl FnMut(&[String]) -> usize,
) -> f64 {
    // `AGENTWIRE_BENCH_ONLY=decode` (a substring of a name) runs one section, e.g. for `perf`.
    if std::env::var("AGENTWIRE_BENCH_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return f64::NAN;
    }
    // One warm-up round, then the best of `rounds` (least disturbed by other load).
    black_box(body(frames));
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        black_box(body(frames));
        best = best.min(start.elapsed().as_secs_f64());
    }
    let per_sec = frames.len() as f64 / best;
    println!(
        "{name:<44} {:>12.0} frames/s {:>9.1} MB/s {:>8.0} ns/frame",
        per_sec,
        bytes as f64 / best / 1e6,
        best * 1e9 / frames.len() as f64
    );
    per_sec
}

fn main() {
    let count: usize = std::env::var("AGENTWIRE_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut stream = synthetic::Stream::new(42);
    let frames: Vec<String> = (0..count).map(|_| stream.next_frame()).collect();
    let bytes: usize = frames.iter().map(String::len).sum();
    let (min, max) =
        frames.iter().fold((usize::MAX, 0), |(lo, hi), f| (lo.min(f.len()), hi.max(f.len())));
    println!(
        "stream: {count} frames, {:.1} MB, mean {} B, min {min} B, max {max} B",
        bytes as f64 / 1e6,
        bytes / count
    );

    let rounds = 5;
    let baseline =
        measure("serde_json::from_str::<Value> (baseline)", &frames, bytes, rounds, |frames| {
            frames.iter().filter(|f| serde_json::from_str::<serde_json::Value>(f).is_ok()).count()
        });
    // A floor, not a competitor: serde_json only validating each frame, building nothing. At
    // twice the baseline's speed, decode + check would cost what this costs.
    let validated =
        measure("serde_json::from_str::<IgnoredAny> (floor)", &frames, bytes, rounds, |frames| {
            frames
                .iter()
                .filter(|f| serde_json::from_str::<serde::de::IgnoredAny>(f).is_ok())
                .count()
        });
    let decoded = measure("agentwire::decode", &frames, bytes, rounds, |frames| {
        frames.iter().filter(|f| decode(f).is_ok()).count()
    });
    let checked = measure(
        "agentwire decode + check (Checker::handle_text)",
        &frames,
        bytes,
        rounds,
        |frames| {
            let mut checker = Checker::new(
                CheckerConfig::offline().with_user("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            );
            for frame in frames {
                let _ = checker.handle_text(frame, None);
            }
            let mut flags = 0;
            while checker.poll_flag().is_some() {
                flags += 1;
            }
            assert_eq!(flags, 0, "the synthetic stream is clean");
            checker.summary().frames as usize
        },
    );
    println!("ratio decode / baseline:         {:.2}", decoded / baseline);
    println!("ratio decode+check / baseline:   {:.2}", checked / baseline);
    println!("ratio validation only / baseline: {:.2}", validated / baseline);
}
