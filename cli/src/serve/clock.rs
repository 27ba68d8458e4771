//! The server's clock: the one place `agentwire serve` reads the time (clippy's
//! `disallowed-methods` keeps it so). It is read two ways:
//!
//! * [`now`], the wall clock: the time frames carry and tokens are checked against;
//! * [`instant`], tokio's monotonic clock: deadlines, the refusal window and the age of the
//!   resume history. It follows `tokio::time::pause` and `advance` in tests.

use agentwire::Timestamp;
use tokio::time::Instant;

/// The wall-clock time.
#[allow(clippy::disallowed_methods, reason = "the server's clock; the SDK core stays sans-IO")]
pub(crate) fn now() -> Timestamp {
    let since_epoch =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_unix_micros(i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX))
}

/// The monotonic time, for deadlines and ages.
#[allow(clippy::disallowed_methods, reason = "the server's clock; the SDK core stays sans-IO")]
pub(crate) fn instant() -> Instant {
    Instant::now()
}
