//! How the page writes numbers, times and states: plain functions, tested natively, so every
//! view says the same thing the same way.

use agentwire::session::{ClosedReason, DisconnectCause, HandshakeOutcome};
use agentwire::{ConnectionState, Severity, Timestamp};

use crate::state::Lifecycle;

/// A wall-clock time of day, UTC, to the millisecond: `14:03:07.215`.
#[must_use]
pub fn time_of_day(at: Timestamp) -> String {
    let text = at.to_string();
    // `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`
    let Some(clock) = text.get(11..19) else { return text };
    let millis = text.get(20..23).unwrap_or("000");
    format!("{clock}.{millis:0<3}")
}

/// A duration given in microseconds, with a unit that keeps it short: `840 µs`, `12 ms`,
/// `1.25 s`, `3 min 05 s`.
#[must_use]
pub fn duration(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    if micros < 1_000 {
        format!("{sign}{micros} µs")
    } else if micros < 1_000_000 {
        format!("{sign}{} ms", micros / 1_000)
    } else if micros < 60_000_000 {
        let centis = micros / 10_000;
        format!("{sign}{}.{:02} s", centis / 100, centis % 100)
    } else {
        let secs = micros / 1_000_000;
        format!("{sign}{} min {:02} s", secs / 60, secs % 60)
    }
}

/// How long ago, from milliseconds: `now`, `4 s`, `2 min`, `1 h`.
#[must_use]
pub fn age(millis: i64) -> String {
    let secs = millis.max(0) / 1_000;
    if secs < 1 {
        "now".to_owned()
    } else if secs < 60 {
        format!("{secs} s")
    } else if secs < 3_600 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h", secs / 3_600)
    }
}

/// A byte count: `812 B`, `4.2 KB`, `1.5 MB` (powers of 1,000).
#[must_use]
pub fn bytes(count: u64) -> String {
    if count < 1_000 {
        format!("{count} B")
    } else if count < 1_000_000 {
        format!("{}.{} KB", count / 1_000, count % 1_000 / 100)
    } else {
        format!("{}.{} MB", count / 1_000_000, count % 1_000_000 / 100_000)
    }
}

/// A count with thousands separated by a thin space: `12 345`.
#[must_use]
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(digit);
    }
    out
}

/// The short name of a severity, as CSS classes and badges use it.
#[must_use]
pub fn severity(severity: Severity) -> &'static str {
    severity.as_str()
}

/// What a lane's connection badge says, and its CSS class. `now` turns a retry time into
/// "retry in N s".
#[must_use]
pub fn connection(state: &ConnectionState, now: Option<Timestamp>) -> (String, &'static str) {
    match state {
        ConnectionState::Idle => ("idle".to_owned(), "idle"),
        ConnectionState::Connecting { attempt: 0 } => ("connecting".to_owned(), "connecting"),
        ConnectionState::Connecting { attempt } => {
            (format!("connecting (retry {attempt})"), "connecting")
        }
        ConnectionState::Handshaking => ("handshaking".to_owned(), "connecting"),
        ConnectionState::Open => ("open".to_owned(), "open"),
        ConnectionState::BackingOff { retry_at, delay_ms, .. } => {
            let text = match now {
                Some(now) => {
                    let left = retry_at.micros_since(now).max(0);
                    format!("backing off, retry in {}", duration(left))
                }
                None => format!(
                    "backing off {}",
                    duration(i64::try_from(*delay_ms).unwrap_or(i64::MAX).saturating_mul(1_000))
                ),
            };
            (text, "backing-off")
        }
        ConnectionState::Closed { reason, .. } => match reason {
            ClosedReason::AuthFailed { .. } => ("auth failed".to_owned(), "auth-failed"),
            ClosedReason::GaveUp { attempts } => {
                (format!("gave up after {attempts} attempts"), "closed")
            }
            _ => ("closed".to_owned(), "closed"),
        },
        _ => (state.name().to_owned(), "idle"),
    }
}

/// What a connection marker on a timeline says, and its CSS class.
#[must_use]
pub fn lifecycle(lifecycle: &Lifecycle) -> (String, &'static str) {
    match lifecycle {
        Lifecycle::Opened => ("connected".to_owned(), "opened"),
        Lifecycle::Disconnected(disconnect) => {
            let why = match disconnect.cause {
                DisconnectCause::ConnectTimeout => "connect timeout".to_owned(),
                DisconnectCause::HeartbeatTimeout => "heartbeat timeout".to_owned(),
                DisconnectCause::TokenUnavailable => "no token".to_owned(),
                _ if disconnect.reason.is_empty() => format!("code {}", disconnect.code),
                _ => format!("code {}: {}", disconnect.code, disconnect.reason),
            };
            (format!("disconnected ({why})"), "disconnected")
        }
        Lifecycle::RetryScheduled { attempt, delay_ms, .. } => (
            format!(
                "retry {attempt} in {}",
                duration(i64::try_from(*delay_ms).unwrap_or(i64::MAX).saturating_mul(1_000))
            ),
            "retry",
        ),
        Lifecycle::Resumed { last_seq, replayed } => {
            (format!("resumed from seq {last_seq}: {replayed} replayed"), "resumed")
        }
        Lifecycle::Gap { first, last } if first == last => {
            (format!("seq {first} lost (unrecoverable)"), "gap")
        }
        Lifecycle::Gap { first, last } => {
            (format!("seq {first}..{last} lost (unrecoverable)"), "gap")
        }
        Lifecycle::ServerRestarted { last_seq, server_last_seq } => (
            format!("server restarted: numbering {last_seq} → {server_last_seq}, outage unknown"),
            "gap",
        ),
        Lifecycle::Handshake(outcome) => match outcome {
            HandshakeOutcome::Complete { thread_id: Some(thread) } => {
                (format!("handshake: thread {thread}"), "opened")
            }
            HandshakeOutcome::Complete { thread_id: None } => {
                ("handshake without a thread".to_owned(), "opened")
            }
            HandshakeOutcome::Acknowledged { thread_id } => (
                format!(
                    "handshake: thread {}, no handshake_complete",
                    thread_id.as_deref().unwrap_or("none")
                ),
                "disconnected",
            ),
            _ => ("no handshake from the server".to_owned(), "disconnected"),
        },
        Lifecycle::Closed(reason) => match reason {
            ClosedReason::AuthFailed { message, .. } => {
                (format!("auth failed: {message}"), "closed")
            }
            ClosedReason::GaveUp { attempts } => {
                (format!("gave up after {attempts} attempts"), "closed")
            }
            _ => ("closed".to_owned(), "closed"),
        },
    }
}

/// `text` cut to at most `max` characters, and how many characters were cut off (0 when it
/// fits): what a view shows of a value that may be huge.
#[must_use]
pub fn truncate(text: &str, max: usize) -> (&str, usize) {
    match text.char_indices().nth(max) {
        None => (text, 0),
        Some((cut, _)) => (&text[..cut], text[cut..].chars().count()),
    }
}

/// Pretty JSON for a frame's text, or the text itself when it is not JSON.
#[must_use]
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_utc_to_the_millisecond() {
        let at = Timestamp::from_unix_micros(1_758_207_374_215_400);
        assert_eq!(time_of_day(at), "14:56:14.215");
        assert_eq!(time_of_day(Timestamp::from_unix_micros(1_758_207_374_000_000)), "14:56:14.000");
    }

    #[test]
    fn durations_pick_a_short_unit() {
        assert_eq!(duration(840), "840 µs");
        assert_eq!(duration(12_400), "12 ms");
        assert_eq!(duration(1_254_000), "1.25 s");
        assert_eq!(duration(185_000_000), "3 min 05 s");
        assert_eq!(duration(-2_000), "-2 ms");
        assert_eq!(duration(i64::MIN), "-153722867280 min 54 s", "no overflow");
    }

    #[test]
    fn ages_bytes_and_counts_are_short_and_readable() {
        assert_eq!(age(300), "now");
        assert_eq!(age(4_200), "4 s");
        assert_eq!(age(-50), "now");
        assert_eq!(age(125_000), "2 min");
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(4_250), "4.2 KB");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(count(12_345), "12\u{2009}345");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1\u{2009}000\u{2009}000");
    }

    #[test]
    fn connection_badges_say_when_the_next_retry_is() {
        let now = Timestamp::from_unix_micros(1_758_207_374_000_000);
        let backing_off = ConnectionState::BackingOff {
            attempt: 2,
            retry_at: now.add_micros(1_500_000),
            delay_ms: 2_000,
        };
        assert_eq!(
            connection(&backing_off, Some(now)),
            ("backing off, retry in 1.50 s".to_owned(), "backing-off")
        );
        let auth = ConnectionState::Closed {
            reason: ClosedReason::AuthFailed { code: Some(1008), message: "bad".to_owned() },
            unsent: vec![],
        };
        assert_eq!(connection(&auth, None).1, "auth-failed");
        assert_eq!(connection(&ConnectionState::Open, None).0, "open");
    }

    #[test]
    fn lifecycle_markers_tell_a_dropped_connection_from_a_lost_event() {
        use agentwire::session::Disconnect;
        let dropped = Lifecycle::Disconnected(Disconnect {
            code: 1006,
            reason: String::new(),
            was_clean: false,
            cause: DisconnectCause::Closed,
        });
        assert_eq!(lifecycle(&dropped), ("disconnected (code 1006)".to_owned(), "disconnected"));
        let retry = Lifecycle::RetryScheduled { attempt: 2, delay_ms: 750, retry_at: None };
        assert_eq!(lifecycle(&retry).0, "retry 2 in 750 ms");
        assert_eq!(
            lifecycle(&Lifecycle::Resumed { last_seq: 41, replayed: 3 }).0,
            "resumed from seq 41: 3 replayed"
        );
        assert_eq!(
            lifecycle(&Lifecycle::Gap { first: 42, last: 44 }).0,
            "seq 42..44 lost (unrecoverable)"
        );
        assert_eq!(
            lifecycle(&Lifecycle::Gap { first: 42, last: 42 }).0,
            "seq 42 lost (unrecoverable)"
        );
    }

    #[test]
    fn handshake_markers_name_the_thread_or_say_what_was_missing() {
        let complete = HandshakeOutcome::Complete { thread_id: Some("thread_a".into()) };
        assert_eq!(
            lifecycle(&Lifecycle::Handshake(complete)),
            ("handshake: thread thread_a".to_owned(), "opened")
        );
        let acknowledged = HandshakeOutcome::Acknowledged { thread_id: Some("thread_b".into()) };
        assert_eq!(
            lifecycle(&Lifecycle::Handshake(acknowledged)).0,
            "handshake: thread thread_b, no handshake_complete"
        );
        assert_eq!(
            lifecycle(&Lifecycle::Handshake(HandshakeOutcome::Missing)),
            ("no handshake from the server".to_owned(), "disconnected")
        );
        assert_eq!(connection(&ConnectionState::Handshaking, None).0, "handshaking");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("short", 10), ("short", 0));
        assert_eq!(truncate("éééé", 2), ("éé", 2));
        assert_eq!(truncate("", 0), ("", 0));
    }

    #[test]
    fn pretty_json_indents_objects_and_keeps_other_text() {
        assert_eq!(pretty_json(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty_json("<not json>"), "<not json>");
    }
}
