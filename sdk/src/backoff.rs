//! The reconnect delay policy: full-jitter exponential backoff, pure.
//!
//! The attempt number and a random number come in, a delay comes out: nothing here reads a clock
//! or a random source, so every decision is testable on a simulated clock.
//!
//! For attempt `n` (0 for the first retry) the ceiling is `min(cap, first · 2ⁿ)` and the delay is
//! drawn uniformly between `min_delay` and that ceiling ("full jitter"): clients that lost the
//! same server spread out instead of reconnecting in waves. The session counts failed attempts
//! only: a connection the server accepts brings the counter back to one, and one that stays up
//! for `reset_after` back to zero.

use std::time::Duration;

/// How long to wait before each reconnect attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first retry's delay (default 500 ms).
    pub first: Duration,
    /// The largest delay (default 30 s).
    pub cap: Duration,
    /// The smallest delay, so a server that refuses at once is not hammered (default 50 ms).
    pub min_delay: Duration,
    /// How many retries before giving up; `None` for unlimited (the default).
    pub max_attempts: Option<u32>,
    /// Uptime after which a connection counts as stable and the attempt counter starts again
    /// (default 5 s).
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            min_delay: Duration::from_millis(50),
            max_attempts: None,
            reset_after: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The largest delay attempt `attempt` (0-based) can draw: `min(cap, first · 2^attempt)`,
    /// never below `min_delay`.
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubled = self.first.checked_mul(2u32.checked_pow(attempt.min(31)).unwrap_or(u32::MAX));
        doubled.unwrap_or(self.cap).min(self.cap).max(self.min_delay)
    }

    /// The delay before retry `attempt` (0-based), given `random` uniform in `[0, 1)` (values
    /// outside are clamped; NaN counts as 0). `None` when the attempts are used up.
    #[must_use]
    pub fn delay(&self, attempt: u32, random: f64) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt >= max) {
            return None;
        }
        let random = if random.is_nan() { 0.0 } else { random.clamp(0.0, 1.0) };
        let ceiling = self.ceiling(attempt);
        let span = ceiling.saturating_sub(self.min_delay);
        // Not `span.mul_f64(random)`: that panics when the product rounds above `Duration::MAX`,
        // which a span near it and a `random` of 1 do.
        let drawn = Duration::try_from_secs_f64(span.as_secs_f64() * random).unwrap_or(span);
        Some(self.min_delay.saturating_add(drawn.min(span)))
    }

    /// Whether a connection that stayed up for `uptime` resets the attempt counter.
    #[must_use]
    pub fn is_stable(&self, uptime: Duration) -> bool {
        uptime >= self.reset_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_the_first_delay_up_to_the_cap() {
        let backoff = Backoff::default();
        let ceilings: Vec<u128> = (0..9).map(|n| backoff.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(30), "no overflow");
    }

    #[test]
    fn delays_span_the_whole_range_below_the_ceiling() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(3, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(backoff.delay(3, 1.0), Some(Duration::from_secs(4)));
        assert_eq!(backoff.delay(3, 0.5), Some(Duration::from_millis(2_025)));
        // Jitter spreads clients out: 100 evenly spread random numbers give 100 distinct delays.
        let delays: std::collections::BTreeSet<Duration> =
            (0..100).filter_map(|i| backoff.delay(5, f64::from(i) / 100.0)).collect();
        assert_eq!(delays.len(), 100);
        assert!(delays.iter().all(|d| *d >= backoff.min_delay && *d <= backoff.ceiling(5)));
    }

    #[test]
    fn out_of_range_random_numbers_are_clamped() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(0, f64::NAN), Some(Duration::from_millis(50)));
        assert_eq!(backoff.delay(0, -3.0), Some(Duration::from_millis(50)));
        assert_eq!(backoff.delay(0, 7.0), Some(Duration::from_millis(500)));
    }

    #[test]
    fn attempts_are_unlimited_by_default_and_can_be_capped() {
        assert!(Backoff::default().delay(1_000_000, 0.5).is_some());
        let limited = Backoff { max_attempts: Some(3), ..Backoff::default() };
        assert!(limited.delay(2, 0.5).is_some());
        assert_eq!(limited.delay(3, 0.5), None);
    }

    #[test]
    fn a_connection_counts_as_stable_after_reset_after() {
        let backoff = Backoff::default();
        assert!(!backoff.is_stable(Duration::from_millis(4_999)));
        assert!(backoff.is_stable(Duration::from_secs(5)));
    }

    #[test]
    fn a_minimum_above_the_first_ceiling_is_respected() {
        let backoff = Backoff { min_delay: Duration::from_secs(1), ..Backoff::default() };
        assert_eq!(backoff.delay(0, 0.9), Some(Duration::from_secs(1)));
    }

    #[test]
    fn the_longest_durations_give_a_delay_instead_of_panicking() {
        for (first, cap, min_delay) in [
            (Duration::MAX, Duration::MAX, Duration::ZERO),
            (Duration::MAX, Duration::MAX, Duration::MAX),
            (Duration::from_secs(1), Duration::MAX, Duration::ZERO),
        ] {
            let backoff = Backoff { first, cap, min_delay, ..Backoff::default() };
            for attempt in [0, 1, 40] {
                for random in [0.0, 0.5, 0.999_999_9, 1.0] {
                    let delay = backoff.delay(attempt, random).unwrap_or_default();
                    assert!(delay >= min_delay.min(cap) && delay <= cap.max(min_delay));
                }
            }
        }
    }
}
