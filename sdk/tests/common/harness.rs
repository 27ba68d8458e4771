//! A [`Session`] on a simulated clock, with everything it asked for collected: the harness of
//! the session timeline tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "shared test helpers"
)]

use agentwire::{
    ClientMessage, Command, ConnectionState, Rule, SendError, Session, SessionConfig, SessionEvent,
    Timestamp,
};
use serde_json::Value;

pub const START: i64 = 1_758_207_374_000_000;

/// A session on a simulated clock, with everything it asked for collected.
pub struct Harness {
    pub session: Session,
    pub now: Timestamp,
    pub commands: Vec<Command>,
    pub events: Vec<SessionEvent>,
}

impl Harness {
    pub fn new(config: SessionConfig) -> Self {
        Self::with_seed(config, 7)
    }

    pub fn with_seed(config: SessionConfig, seed: u64) -> Self {
        let mut harness = Harness {
            session: Session::new(config, seed),
            now: Timestamp::from_unix_micros(START),
            commands: Vec::new(),
            events: Vec::new(),
        };
        harness.session.connect(harness.now);
        harness.drain();
        harness
    }

    pub fn drain(&mut self) {
        while let Some(command) = self.session.poll_command() {
            self.commands.push(command);
        }
        while let Some(event) = self.session.poll_event() {
            self.events.push(event);
        }
    }

    /// Moves the clock forward by `ms`, firing every timer that falls due on the way, as a
    /// driver with a punctual timer would.
    pub fn advance(&mut self, ms: i64) {
        let end = self.now.add_micros(ms * 1_000);
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = deadline.max(self.now);
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    /// Moves the clock without firing timers (a sleeping laptop), then fires once.
    pub fn sleep_then_fire(&mut self, ms: i64) {
        self.now = self.now.add_micros(ms * 1_000);
        self.session.handle_timeout(self.now);
        self.drain();
    }

    pub fn open(&mut self) {
        self.session.handle_open(self.now);
        self.drain();
    }

    pub fn frame(&mut self, text: &str) {
        self.session.handle_text(self.now, text);
        self.drain();
    }

    pub fn close(&mut self, code: u16, reason: &str) {
        self.session.handle_close(self.now, code, reason, code != 1006);
        self.drain();
    }

    /// The socket drops (1006); after the backoff wait a new one opens. Commands until then
    /// are forgotten, so `take_sent` returns what the new socket sent first.
    pub fn drop_and_reopen(&mut self) {
        self.close(1006, "");
        let delay = backoff_delay_or_panic(&self.state());
        self.advance(i64::try_from(delay).unwrap());
        self.take_commands();
        self.open();
    }

    pub fn send(&mut self, message: ClientMessage) -> Result<(), SendError> {
        let result = self.session.send(self.now, message);
        self.drain();
        result
    }

    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    pub fn take_events(&mut self) -> Vec<SessionEvent> {
        std::mem::take(&mut self.events)
    }

    /// The sent frames' JSON, in order, and forget them.
    pub fn take_sent(&mut self) -> Vec<Value> {
        self.take_commands()
            .into_iter()
            .filter_map(|command| match command {
                Command::Send(text) => Some(serde_json::from_str(&text).unwrap()),
                _ => None,
            })
            .collect()
    }

    pub fn connects(&self) -> usize {
        self.commands.iter().filter(|c| matches!(c, Command::Connect { .. })).count()
    }

    pub fn state(&self) -> ConnectionState {
        self.session.state()
    }

    pub fn flags(&self) -> Vec<Rule> {
        self.events
            .iter()
            .filter_map(|event| match event {
                SessionEvent::Flag(flag) => Some(flag.rule),
                _ => None,
            })
            .collect()
    }
}

/// The wait of a backing-off state.
pub fn backing_off_delay(state: &ConnectionState) -> Option<u64> {
    match state {
        ConnectionState::BackingOff { delay_ms, .. } => Some(*delay_ms),
        _ => None,
    }
}

/// The wait of a backing-off state, or a failed test.
pub fn backoff_delay_or_panic(state: &ConnectionState) -> u64 {
    backing_off_delay(state).unwrap_or_else(|| panic!("expected backing off, got {state:?}"))
}
