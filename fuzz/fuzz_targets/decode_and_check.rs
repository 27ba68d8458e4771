//! Feeds arbitrary bytes through the decoder and the checker, live and offline.
//!
//! The input is split into frames at newlines. The first byte picks the mode and a user, and
//! drives the live clock, so timers, stalls and eviction are exercised too. Nothing may panic,
//! and the checker's counters must account for every frame. Every frame is also decoded by the
//! serde_json-based scanner the decoder replaced (the oracle of `decode::differential`'s
//! property tests): both must give the same event, or the same kind of error.
//!
//! Seeds: the CLI's fixture files and `fuzz/seeds/` (BENCHMARKS.md, "Fuzzing", has the command).
//! Each seed file starts with its control byte (invisible in most editors): `september_seq_resume`
//! 0x02 (offline, with the user), `october_2025` 0x01 (live), `errors_and_duplicates` 0x13
//! (live, with the user, a window of one).
#![no_main]

use agentwire::decode::decode_with_oracle;
use agentwire::{Checker, CheckerConfig, DecodeError, Event, Timestamp, decode_bytes};
use libfuzzer_sys::fuzz_target;

/// The decoder and the oracle agree on `frame`: the same event (kind, context, wire type, raw
/// text and fingerprint), or the same kind of error.
fn assert_agrees_with_the_oracle(frame: &[u8], decoded: &Result<Event, DecodeError>) {
    let oracle = match std::str::from_utf8(frame) {
        Ok(text) => decode_with_oracle(text),
        // Not UTF-8: the oracle reads text only, and the decoder must say so.
        Err(_) => {
            assert!(matches!(decoded, Err(DecodeError::NotUtf8 { .. })), "{decoded:?}");
            return;
        }
    };
    match (decoded, &oracle) {
        (Ok(new), Ok(old)) => assert_eq!(new, old, "{:?}", String::from_utf8_lossy(frame)),
        (Err(new), Err(old)) => assert_eq!(
            std::mem::discriminant(new),
            std::mem::discriminant(old),
            "{:?}: {new:?} / {old:?}",
            String::from_utf8_lossy(frame)
        ),
        (new, old) => {
            panic!("{:?}: decoder {new:?}, oracle {old:?}", String::from_utf8_lossy(frame))
        }
    }
}

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
        let decoded = decode_bytes(frame);
        assert_agrees_with_the_oracle(frame, &decoded);
        match decoded {
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
