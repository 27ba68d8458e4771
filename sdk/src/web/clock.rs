//! The only place the SDK reads the time or a random number.

use crate::Timestamp;

/// The wall clock: arrival times of frames and every deadline of the session.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_unix_millis_f64(js_sys::Date::now()).unwrap_or(Timestamp::EPOCH)
}

/// A seed for the session's backoff jitter.
pub(crate) fn seed() -> u64 {
    // 53 random bits from the browser; jitter needs spread between clients, not secrecy.
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
}
