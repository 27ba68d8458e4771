//! Feeds arbitrary bytes through the decoder and the checker, live and offline.
//!
//! The input is split into frames at newlines. The first byte picks the mode and a user, and
//! drives the live clock, so timers, stalls and eviction are exercised too. Nothing may panic,
//! and the checker's counters must account for every frame.
#![no_main]

use agentwire::{Checker, CheckerConfig, Timestamp, decode_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let mut config =
        if control & 1 == 0 { CheckerConfig::offline() } else { CheckerConfig::live() };
    if control & 2 != 0 {
        config = config.with_user("user-1");
    }
    config.max_runs = 4;
    config.duplicate_window = usize::from(control >> 4);
    let mut checker = Checker::new(config);
    let mut now = Timestamp::from_unix_micros(1_758_207_374_000_000);
    let mut frames = 0u64;
    for (index, frame) in rest.split(|&b| b == b'\n').enumerate() {
        frames += 1;
        now = now.add_micros(i64::from(control) * 97_000 * (index as i64 % 7));
        match decode_bytes(frame) {
            Ok(event) => {
                checker.handle_event(&event, Some(now));
            }
            Err(error) => checker.handle_decode_error(&error),
        }
        if let Some(deadline) = checker.poll_timeout() {
            assert!(deadline.as_unix_micros() > 0);
            checker.handle_timeout(now);
        }
    }
    checker.finish();
    let summary = checker.summary();
    assert_eq!(summary.frames, frames);
    let mut flags = 0u64;
    while let Some(flag) = checker.poll_flag() {
        assert!(!flag.message.is_empty());
        flags += 1;
    }
    assert_eq!(flags, summary.flags());
});
