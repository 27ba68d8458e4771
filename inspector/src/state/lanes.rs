//! User lanes: one per SDK client (or imported recording), with its connection, counters, and
//! the frames, flags and runs it owns.

use std::collections::VecDeque;
use std::sync::Arc;

use agentwire::session::ClosedReason;
use agentwire::{ConnectionState, Severity, Timestamp};

use super::capped::Capped;
use super::flags::FlagEntry;
use super::import::Unreadable;
use super::runs::{ConnectionMarker, Runs};
use super::stream::StreamRow;

/// How many connection lifecycle markers a lane keeps.
const MAX_LIFECYCLE_MARKERS: usize = 1000;

/// The sliding window of [`Lane::frames_per_second`], in whole seconds.
pub const RATE_WINDOW_SECS: i64 = 5;

/// Identifies a lane for as long as the state lives (never reused, even after the lane goes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaneId(pub(crate) u32);

/// Where a lane's frames come from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaneSource {
    /// A live SDK client.
    Live,
    /// An imported recording or HAR file, replayed offline through the checker.
    Imported {
        /// The connection's user the checker judged the frames for (the recording header's
        /// `user_id`, or the one the checker learned from a `pong`/`ack`), when known.
        user_id: Option<String>,
    },
}

/// Flag counts by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// `info` flags.
    pub info: u64,
    /// `warning` flags.
    pub warning: u64,
    /// `error` flags.
    pub error: u64,
}

impl SeverityCounts {
    /// The count for one severity.
    #[must_use]
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Info => self.info,
            Severity::Warning => self.warning,
            Severity::Error => self.error,
        }
    }

    /// All flags.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.info + self.warning + self.error
    }

    pub(crate) fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Info => self.info += 1,
            Severity::Warning => self.warning += 1,
            Severity::Error => self.error += 1,
        }
    }
}

/// Frame arrivals counted per whole second over the last [`RATE_WINDOW_SECS`] seconds: bounded
/// memory whatever the rate.
#[derive(Clone, Debug, Default)]
pub(crate) struct RateWindow {
    /// `(second, frames)`, indexed by the second modulo the window.
    buckets: [(i64, u32); RATE_WINDOW_SECS as usize],
}

impl RateWindow {
    pub(crate) fn record(&mut self, at: Timestamp) {
        let second = second_of(at);
        let slot = usize::try_from(second.rem_euclid(RATE_WINDOW_SECS)).unwrap_or_default();
        if let Some(bucket) = self.buckets.get_mut(slot) {
            if bucket.0 == second {
                bucket.1 = bucket.1.saturating_add(1);
            } else {
                *bucket = (second, 1);
            }
        }
    }

    /// Frames per second over the last complete seconds before `now` (the current, partial
    /// second is left out so the number does not jitter).
    pub(crate) fn per_second(&self, now: Timestamp) -> f64 {
        let current = second_of(now);
        let frames: u64 = self
            .buckets
            .iter()
            .filter(|(second, _)| (current - RATE_WINDOW_SECS..current).contains(second))
            .map(|(_, frames)| u64::from(*frames))
            .sum();
        frames as f64 / RATE_WINDOW_SECS as f64
    }
}

fn second_of(at: Timestamp) -> i64 {
    at.as_unix_micros().div_euclid(1_000_000)
}

/// One user's lane: its connection, counters, and the frames, flags and runs it owns.
#[derive(Clone, Debug)]
pub struct Lane {
    pub(crate) id: LaneId,
    pub(crate) user: Arc<str>,
    pub(crate) source: LaneSource,
    pub(crate) connection: ConnectionState,
    pub(crate) connects: u64,
    pub(crate) last_event_at: Option<Timestamp>,
    /// The highest frame index that got a row (kept across a clear).
    pub(crate) last_frame: Option<u64>,
    pub(crate) rate: RateWindow,
    pub(crate) frames_received: u64,
    pub(crate) bytes_received: u64,
    pub(crate) flag_counts: SeverityCounts,
    pub(crate) cross_user: bool,
    /// Frames dropped to respect the cap, oldest first.
    pub(crate) evicted_frames: u64,
    pub(crate) evicted_flags: u64,
    /// Kept frames, in arrival order (increasing `seq` and frame index).
    pub(crate) rows: VecDeque<StreamRow>,
    /// The bytes of the kept frames' text ([`super::MAX_LANE_BYTES`]).
    pub(crate) bytes_kept: u64,
    /// Kept flags, in the order raised (increasing id).
    pub(crate) flags: VecDeque<FlagEntry>,
    pub(crate) runs: Runs,
    pub(crate) lifecycle: Capped<ConnectionMarker>,
    /// An imported file that broke half-way: where.
    pub(crate) unreadable: Option<Unreadable>,
}

impl Lane {
    pub(crate) fn new(id: LaneId, user: Arc<str>, source: LaneSource) -> Self {
        Lane {
            id,
            user,
            source,
            connection: ConnectionState::Idle,
            connects: 0,
            last_event_at: None,
            last_frame: None,
            rate: RateWindow::default(),
            frames_received: 0,
            bytes_received: 0,
            bytes_kept: 0,
            flag_counts: SeverityCounts::default(),
            cross_user: false,
            evicted_frames: 0,
            evicted_flags: 0,
            rows: VecDeque::new(),
            flags: VecDeque::new(),
            runs: Runs::default(),
            lifecycle: Capped::new(MAX_LIFECYCLE_MARKERS),
            unreadable: None,
        }
    }

    /// For an imported file that became unreadable half-way: where, and how much of it was
    /// checked. The lane shows what came before; what the rest would have raised is unknown.
    #[must_use]
    pub fn unreadable(&self) -> Option<&Unreadable> {
        self.unreadable.as_ref()
    }

    /// The lane's id.
    #[must_use]
    pub fn id(&self) -> LaneId {
        self.id
    }

    /// The user (the SDK client's user id, or an imported file's name).
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where the frames come from.
    #[must_use]
    pub fn source(&self) -> &LaneSource {
        &self.source
    }

    /// The connection state, as the SDK last reported it (`backing_off` carries the next retry
    /// time; `closed` the reason, e.g. an auth failure).
    #[must_use]
    pub fn connection(&self) -> &ConnectionState {
        &self.connection
    }

    /// When the next connection attempt starts, while backing off.
    #[must_use]
    pub fn next_retry_at(&self) -> Option<Timestamp> {
        match self.connection {
            ConnectionState::BackingOff { retry_at, .. } => Some(retry_at),
            _ => None,
        }
    }

    /// Whether the server refused the user's credentials for good.
    #[must_use]
    pub fn auth_failed(&self) -> bool {
        matches!(
            self.connection,
            ConnectionState::Closed { reason: ClosedReason::AuthFailed { .. }, .. }
        )
    }

    /// Connection attempts after the first.
    #[must_use]
    pub fn reconnects(&self) -> u64 {
        self.connects.saturating_sub(1)
    }

    /// When the last frame arrived.
    #[must_use]
    pub fn last_event_at(&self) -> Option<Timestamp> {
        self.last_event_at
    }

    /// How long ago the last frame arrived, in milliseconds, at `now` (the state's
    /// [`now`](super::State::now)).
    #[must_use]
    pub fn last_event_age_ms(&self, now: Timestamp) -> Option<i64> {
        self.last_event_at.map(|at| now.micros_since(at).max(0) / 1000)
    }

    /// Frames per second over the last [`RATE_WINDOW_SECS`] whole seconds before `now`.
    #[must_use]
    pub fn frames_per_second(&self, now: Timestamp) -> f64 {
        self.rate.per_second(now)
    }

    /// Frames received in all (kept, evicted and cleared ones).
    #[must_use]
    pub fn frames_received(&self) -> u64 {
        self.frames_received
    }

    /// Bytes received in all.
    #[must_use]
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// Bytes of the frames kept (at most [`super::MAX_LANE_BYTES`] but for the newest frame).
    #[must_use]
    pub fn bytes_kept(&self) -> u64 {
        self.bytes_kept
    }

    /// Flags by severity (since the last clear).
    #[must_use]
    pub fn flag_counts(&self) -> SeverityCounts {
        self.flag_counts
    }

    /// Whether a `cross-user-event` flag was raised: another user's event reached this lane.
    #[must_use]
    pub fn cross_user(&self) -> bool {
        self.cross_user
    }

    /// Frames dropped, oldest first, to respect the cap ("N older frames evicted").
    #[must_use]
    pub fn evicted_frames(&self) -> u64 {
        self.evicted_frames
    }

    /// Flags dropped, oldest first, to respect the cap.
    #[must_use]
    pub fn evicted_flags(&self) -> u64 {
        self.evicted_flags
    }

    /// The frames kept, in arrival order.
    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &StreamRow> + ExactSizeIterator + '_ {
        self.rows.iter()
    }

    /// The flags kept, in the order raised.
    pub fn flags(&self) -> impl DoubleEndedIterator<Item = &FlagEntry> + ExactSizeIterator + '_ {
        self.flags.iter()
    }

    /// The runs.
    #[must_use]
    pub fn runs(&self) -> &Runs {
        &self.runs
    }

    /// The connection's lifecycle: opened, disconnected, retry scheduled, resumed, gaps.
    #[must_use]
    pub fn lifecycle(&self) -> &Capped<ConnectionMarker> {
        &self.lifecycle
    }

    /// The kept frame with this stream sequence number.
    #[must_use]
    pub fn row(&self, seq: u64) -> Option<&StreamRow> {
        self.rows.binary_search_by_key(&seq, |row| row.seq).ok().and_then(|at| self.rows.get(at))
    }

    /// The position in `rows` of the kept frame with this frame index.
    pub(crate) fn row_index_by_frame(&self, frame: u64) -> Option<usize> {
        self.rows.binary_search_by_key(&frame, |row| row.frame).ok()
    }

    /// The kept flag with this id.
    #[must_use]
    pub fn flag(&self, id: super::FlagId) -> Option<&FlagEntry> {
        self.flags.binary_search_by_key(&id, |flag| flag.id).ok().and_then(|at| self.flags.get(at))
    }

    /// Forgets frames, flags and runs (the lane, its connection and rate stay).
    pub(crate) fn clear(&mut self) {
        self.rows.clear();
        self.bytes_kept = 0;
        self.flags.clear();
        self.runs = Runs::default();
        self.flag_counts = SeverityCounts::default();
        self.cross_user = false;
        self.evicted_frames = 0;
        self.evicted_flags = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_the_last_whole_seconds_only() {
        let mut rate = RateWindow::default();
        let start = 1_758_207_374_000_000;
        // 10 s at 100 frames/s, then silence.
        for frame in 0..1000 {
            rate.record(Timestamp::from_unix_micros(start + frame * 10_000));
        }
        let at = |secs: i64| Timestamp::from_unix_micros(start + secs * 1_000_000);
        assert!((rate.per_second(at(10)) - 100.0).abs() < f64::EPSILON);
        assert!((rate.per_second(at(12)) - 60.0).abs() < f64::EPSILON);
        assert!(rate.per_second(at(15)).abs() < f64::EPSILON);
    }
}
