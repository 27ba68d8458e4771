//! Connection attempts and their ends, as the [`Session`] decides them: a socket that closed
//! (with the close code's verdict, [`crate::close::classify`]), a token that could not be had,
//! the wake-up that cuts a long wait short, the backoff before the next attempt, and the end of
//! the session (auth failure, given up, closed by the client).

use std::time::Duration;

use super::{
    ClientMessage, ClosedReason, Command, Disconnect, DisconnectCause, Phase, SHORT_LIVED, Session,
    SessionEvent, WAKE_SKIPS_WAITS_OVER, after, duration_between,
};
use crate::close::{self, CloseAction};
use crate::timestamp::Timestamp;

impl Session {
    /// The socket closed (or failed to open: pass 1006 and an empty reason).
    pub fn handle_close(&mut self, now: Timestamp, code: u16, reason: &str, was_clean: bool) {
        let auth_frame = match &mut self.phase {
            Phase::Connecting { .. } => None,
            Phase::Open { auth_failure, since, .. } => {
                let uptime = duration_between(*since, now);
                if self.config.backoff.is_stable(uptime) {
                    self.failures = 0;
                    self.short_lived = 0;
                } else if uptime < SHORT_LIVED {
                    self.short_lived = self.short_lived.saturating_add(1);
                } else {
                    // It lived a while: a healthy server that drops connections now and then.
                    self.short_lived = 0;
                }
                auth_failure.take()
            }
            Phase::Idle | Phase::BackingOff { .. } | Phase::Closed { .. } => return,
        };
        let auth_failure = match (auth_frame, close::classify(code, reason, false)) {
            (Some(message), _) => Some(message),
            (None, CloseAction::AuthFailed) => Some(reason.to_owned()),
            (None, _) => None,
        };
        self.events.push_back(SessionEvent::Disconnected(Disconnect {
            code,
            reason: reason.to_owned(),
            was_clean,
            cause: DisconnectCause::Closed,
        }));
        match auth_failure {
            Some(message) => self.auth_failed(now, Some(code), message),
            None => self.retry_later(now),
        }
    }

    /// The driver could not get a token for the current attempt (its `getToken` failed).
    pub fn handle_token_error(&mut self, now: Timestamp, message: &str) {
        let Phase::Connecting { refreshing, .. } = self.phase else { return };
        self.events.push_back(SessionEvent::Disconnected(Disconnect {
            code: 1006,
            reason: String::new(),
            was_clean: false,
            cause: DisconnectCause::TokenUnavailable,
        }));
        if refreshing {
            self.finish(ClosedReason::AuthFailed {
                code: None,
                message: format!("no fresh token: {message}"),
            });
        } else {
            self.retry_later(now);
        }
    }

    /// The browser came back online, or the page became visible again: a long backoff wait
    /// is cut short, and an open connection that has been quiet is probed with a `ping`.
    pub fn handle_wake(&mut self, now: Timestamp) {
        match &mut self.phase {
            Phase::BackingOff { until, .. } => {
                if duration_between(now, *until) > WAKE_SKIPS_WAITS_OVER {
                    self.stats.reconnects += 1;
                    self.start_attempt(now, false);
                }
            }
            Phase::Open { last_received, .. } => {
                if duration_between(*last_received, now) >= self.config.ping_every {
                    self.ping(now);
                }
            }
            Phase::Idle | Phase::Connecting { .. } | Phase::Closed { .. } => {}
        }
    }

    pub(super) fn start_attempt(&mut self, now: Timestamp, fresh_token: bool) {
        self.phase = Phase::Connecting {
            deadline: after(now, self.config.connect_timeout),
            refreshing: fresh_token,
        };
        self.commands.push_back(Command::Connect { fresh_token });
        self.push_state();
    }

    pub(super) fn retry_later(&mut self, now: Timestamp) {
        let random = self.random.next_f64();
        match self.config.backoff.delay(self.failures, random) {
            Some(delay) => {
                // Whole milliseconds: what browser timers and the reported `delay_ms` use.
                let delay =
                    Duration::from_millis(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                self.failures = self.failures.saturating_add(1);
                self.phase = Phase::BackingOff { until: after(now, delay), delay };
                self.push_state();
            }
            None => {
                let attempts = self.failures.saturating_add(1);
                self.finish(ClosedReason::GaveUp { attempts });
            }
        }
    }

    fn auth_failed(&mut self, now: Timestamp, code: Option<u16>, message: String) {
        if self.config.refresh_token && !self.refresh_used {
            self.refresh_used = true;
            self.stats.reconnects += 1;
            self.start_attempt(now, true);
        } else {
            self.finish(ClosedReason::AuthFailed { code, message });
        }
    }

    pub(super) fn finish(&mut self, reason: ClosedReason) {
        // Taken whole rather than drained: `drain`'s wrap-around bookkeeping is 1 KB of wasm.
        let unsent: Vec<ClientMessage> = std::mem::take(&mut self.queue).into_iter().collect();
        self.phase = Phase::Closed { reason, unsent };
        self.push_state();
    }
}
