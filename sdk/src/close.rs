//! What a closed connection means: retry, stop for good, or stop because the credentials were
//! refused (docs/protocol.md §1, §4 and §2 "Auth signal"). Pure.
//!
//! * A close the client asked for itself (its own `close()`, normally 1000) ends the session.
//! * 1008 is the manager's authentication failure; 1011 is one too when its reason talks about
//!   authentication (the old route's "SSOT Auth failed", "Auth error"). Both stop the retries and
//!   report an auth error (a client with a `getToken` callback may ask for a fresh token and try
//!   once more; that decision belongs to the session).
//! * Everything else retries with backoff: 1006 (dropped, or refused before the upgrade), 1001,
//!   1011 "Service not ready", 1013 "retry in 30 seconds", and a server's own 1000 at cleanup.

/// What to do after a connection closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseAction {
    /// Reconnect after the backoff delay.
    Retry,
    /// The credentials were refused: stop retrying and report an auth error.
    AuthFailed,
    /// The client closed on purpose: the session is over.
    Done,
}

/// The normal closure code.
pub const NORMAL: u16 = 1000;
/// The manager's authentication failure (policy violation).
pub const POLICY_VIOLATION: u16 = 1008;
/// The manager's internal error, which the old route also used for authentication failures.
pub const INTERNAL_ERROR: u16 = 1011;

/// Classifies a close: its `code` and `reason` as received, and whether the client itself asked
/// for it.
#[must_use]
pub fn classify(code: u16, reason: &str, closed_by_client: bool) -> CloseAction {
    if closed_by_client {
        return CloseAction::Done;
    }
    match code {
        POLICY_VIOLATION => CloseAction::AuthFailed,
        INTERNAL_ERROR if is_auth_reason(reason) => CloseAction::AuthFailed,
        _ => CloseAction::Retry,
    }
}

/// Whether a close reason talks about authentication ("Authentication failed", "SSOT Auth
/// failed", "Auth error", "invalid token", "JWT expired", ...), ignoring case.
#[must_use]
pub fn is_auth_reason(reason: &str) -> bool {
    // A byte-window search rather than `str::contains`, whose two-way searcher is 2.5 KB of
    // wasm for a reason of a few dozen bytes read once per close.
    let reason = reason.as_bytes();
    ["auth", "token", "jwt", "credential", "unauthori", "forbidden"].iter().any(|word| {
        reason.windows(word.len()).any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_own_close_ends_the_session_whatever_the_code() {
        assert_eq!(classify(NORMAL, "", true), CloseAction::Done);
        assert_eq!(classify(1006, "", true), CloseAction::Done);
    }

    #[test]
    fn policy_violation_and_auth_looking_internal_errors_are_auth_failures() {
        assert_eq!(classify(1008, "Authentication failed", false), CloseAction::AuthFailed);
        assert_eq!(classify(1008, "", false), CloseAction::AuthFailed);
        assert_eq!(classify(1011, "SSOT Auth failed", false), CloseAction::AuthFailed);
        assert_eq!(classify(1011, "Auth error", false), CloseAction::AuthFailed);
        assert_eq!(classify(1011, "JWT expired", false), CloseAction::AuthFailed);
    }

    #[test]
    fn everything_else_retries() {
        for (code, reason) in [
            (1000, "main cleanup"),
            (1001, "Startup timeout"),
            (1006, ""),
            (1011, "Service not ready: database"),
            (1011, "main mode error"),
            (1013, "Service temporarily unavailable - retry in 30 seconds"),
            (4000, "anything"),
        ] {
            assert_eq!(classify(code, reason, false), CloseAction::Retry, "{code} {reason}");
        }
    }
}
