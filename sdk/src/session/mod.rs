//! The connection to the manager as a sans-IO state machine.
//!
//! A [`Session`] decides everything about one logical connection, across any number of
//! sockets: when to open a socket, when to give up on it, how long to wait before the next one,
//! what to send and in which order, which frames reach the application and which flags the live
//! [`Checker`] raises. It never touches a socket, a timer or a clock: the driver (the browser
//! glue in `web/`, or a test) feeds it what happened and carries out what it asks.
//!
//! ```text
//!   driver                               Session
//!   connect(now) / send(now, msg)   ──►  ┌──────────────────────────────┐
//!   handle_open / handle_text /     ──►  │ Idle → Connecting → Open     │
//!   handle_close / handle_timeout /      │   ↑          ↓        ↓      │
//!   handle_wake / handle_token_error     │   └─── BackingOff ◄───┘      │
//!                                        │         ↓                    │
//!   poll_command(): Connect/Send/Close ◄─│ Closed (client, auth, gave up)│
//!   poll_event(): events, flags, state ◄─│ + Checker (live)             │
//!   poll_timeout(): next deadline      ◄─└──────────────────────────────┘
//! ```
//!
//! Decisions, each covered by a scripted test on a simulated clock (`tests/session_timelines.rs`):
//! * **Reconnect** with full-jitter exponential [`Backoff`](crate::backoff::Backoff). Only failed
//!   attempts escalate the wait: a connection the server accepted (it sent a frame that is not an
//!   auth failure) brings the attempt counter back to one step, so a healthy server that drops
//!   connections now and then is rejoined within the second ceiling (1 s by default) however often
//!   it happens, and a connection that stays up for `backoff.reset_after` brings it back to zero. A
//!   server that is down, or refuses every attempt, still sees the waits grow to the cap.
//! * **Close codes** ([`crate::close::classify`]): the client's own close ends the session; 1008,
//!   an auth-looking 1011, or an `AUTH_FAILED` frame stop the retries with an auth error, except
//!   that a client that can refresh its token (`refresh_token`) gets one retry with a fresh one.
//! * **Connect timeout**: a socket that does not open in `connect_timeout` is abandoned.
//! * **Heartbeat**: a `ping` every `ping_every`; when nothing at all arrived for `dead_after` and
//!   the server had a fair chance to answer a recent ping, the connection is recycled. A server
//!   `ping` is answered with `pong`, a `heartbeat` with `heartbeat_ack`.
//! * **Outbound queue**: messages sent while the connection is not ready wait, up to
//!   `queue_limit`; a send beyond that is refused with [`SendError::QueueFull`], never dropped. The
//!   queue is flushed in order once the connection is *ready*: the server sent a first frame that
//!   is not an auth failure, or `ready_after` passed in silence. (Flushing at the socket's `open`
//!   would hand the messages to a connection the server is about to refuse.) Messages still queued
//!   when the session ends are handed back in [`ConnectionState::Closed`].
//! * **Handshake** (the October 2025 manager, docs/protocol.md §6): a `handshake_response`
//!   is answered with `handshake_acknowledged` at once, before anything queued; the connection
//!   counts as ready only after that, once `handshake_complete` arrives or `handshake_grace`
//!   passes, and the server's thread becomes the default thread of sends. With
//!   [`HandshakeMode::Expect`] the session waits up to `handshake_timeout` for the handshake
//!   before it uses the connection without one ([`HandshakeOutcome::Missing`]). Every frame,
//!   during the handshake too, reaches the application.
//! * **Resume** (agentwire's sequence extension, docs/rules.md): after a reconnect to a server
//!   that numbers its frames, `resume` from the last `seq` is the first message, and the outcome
//!   is reported as a [`ResumeOutcome`].
//! * **Timers that fire late** (a sleeping laptop, a throttled background tab) are handled once:
//!   deadlines are points in time, so a late `handle_timeout` acts once, never once per missed
//!   period.

use std::collections::VecDeque;
use std::time::Duration;

use crate::check::Checker;
use crate::close;
use crate::decode::DecodeError;
use crate::encode::ClientMessage;
use crate::event::{Event, EventKind};
use crate::timestamp::Timestamp;

mod attempts;
mod config;
mod handshake;
mod resume;
mod types;

pub use config::SessionConfig;
use handshake::HandshakeStep;
pub use handshake::{HandshakeMode, HandshakeOutcome};
use resume::PendingResume;
pub use types::{
    ClosedReason, Command, ConnectionState, Disconnect, DisconnectCause, ResumeOutcome, SendError,
    SeqRange, SessionEvent, Stats,
};

/// Where the session is, with each state's own data.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    Connecting {
        deadline: Timestamp,
        /// This attempt asked for a fresh token after an auth failure.
        refreshing: bool,
    },
    Open {
        since: Timestamp,
        /// `None` once ready; otherwise when to flush the queue anyway.
        ready_at: Option<Timestamp>,
        last_received: Timestamp,
        /// The first ping sent since the last frame arrived: the one the server is late to
        /// answer.
        unanswered_ping: Option<Timestamp>,
        next_ping: Timestamp,
        /// An auth failure frame arrived: the close that follows is an auth failure.
        auth_failure: Option<String>,
        resume: Option<PendingResume>,
        handshake: HandshakeStep,
    },
    BackingOff {
        until: Timestamp,
        delay: Duration,
    },
    Closed {
        reason: ClosedReason,
        unsent: Vec<ClientMessage>,
    },
}

/// A backing-off wait longer than this is cut short when the browser comes back online or
/// the page becomes visible again.
const WAKE_SKIPS_WAITS_OVER: Duration = Duration::from_secs(1);

/// A connection that closes this soon after it opened counts as a failed attempt, even when the
/// server spoke on it: repeated, they escalate the backoff (a server that accepts and drops at
/// once is not retried twice a second forever). One that lived longer keeps the fast rejoin.
const SHORT_LIVED: Duration = Duration::from_secs(1);

/// The close code the client uses to recycle a dead connection (application range).
pub const CLOSE_DEAD: u16 = 4000;

/// One logical connection to the manager. See the [module documentation](self).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    phase: Phase,
    checker: Checker,
    /// Consecutive failed attempts (the backoff exponent).
    failures: u32,
    /// Connections in a row that closed within [`SHORT_LIVED`] of opening: a server that
    /// accepts, speaks and drops at once escalates the backoff with each of them.
    short_lived: u32,
    /// Whether the one retry with a fresh token was used since the last good connection.
    refresh_used: bool,
    /// Whether a socket was ever opened (the next one is a reconnect).
    was_open: bool,
    /// Whether the server said it numbers its frames.
    seq_supported: bool,
    /// The state last reported in a [`SessionEvent::State`], as far as repeats go: `connecting`
    /// (the socket opening, then open but not accepted), `handshaking` and `open` are reported
    /// once each, however many steps they span.
    reported: Reported,
    /// The thread the server assigned in its last handshake: the default thread of sends.
    thread_id: Option<String>,
    queue: VecDeque<ClientMessage>,
    events: VecDeque<SessionEvent>,
    commands: VecDeque<Command>,
    stats: Stats,
    random: SplitMix64,
}

impl Session {
    /// A session in the `Idle` state. `seed` drives the backoff jitter (the driver passes a
    /// random number; tests pass a fixed one).
    #[must_use]
    pub fn new(config: SessionConfig, seed: u64) -> Self {
        let checker = Checker::new(config.checker.clone());
        Session {
            config,
            phase: Phase::Idle,
            checker,
            failures: 0,
            short_lived: 0,
            refresh_used: false,
            was_open: false,
            seq_supported: false,
            reported: Reported::Other,
            thread_id: None,
            queue: VecDeque::new(),
            events: VecDeque::new(),
            commands: VecDeque::new(),
            stats: Stats::default(),
            random: SplitMix64(seed),
        }
    }

    /// The configuration. Its `threads` is the live thread filter, the one events are
    /// filtered by: it grows with [`Session::add_thread`] and with sends naming a thread.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The live checker (its summary, its user).
    #[must_use]
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> ConnectionState {
        match &self.phase {
            Phase::Idle => ConnectionState::Idle,
            Phase::Connecting { .. } => ConnectionState::Connecting { attempt: self.failures },
            Phase::Open { handshake, .. } if handshake.is_pending() => ConnectionState::Handshaking,
            // The socket is open, but the server has not accepted it yet: no frame that is not
            // an auth failure, and `ready_after` has not passed. A manager accepts the socket
            // before it checks the token, so `open` here would show a refused connection as
            // open for a moment.
            Phase::Open { ready_at: Some(_), .. } => {
                ConnectionState::Connecting { attempt: self.failures }
            }
            Phase::Open { .. } => ConnectionState::Open,
            Phase::BackingOff { until, delay } => ConnectionState::BackingOff {
                attempt: self.failures,
                retry_at: *until,
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            },
            Phase::Closed { reason, unsent } => {
                ConnectionState::Closed { reason: reason.clone(), unsent: unsent.clone() }
            }
        }
    }

    /// The thread the server assigned in its last handshake (October 2025 manager), which
    /// sends without a thread of their own go to. `None` before any handshake.
    #[must_use]
    pub fn thread_id(&self) -> Option<&str> {
        self.thread_id.as_deref()
    }

    /// The index the next frame the session takes will have (the `frame` of its event or
    /// flags); frames count from 0 over the session's whole life.
    #[must_use]
    pub fn next_frame(&self) -> u64 {
        self.checker.next_frame_index()
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        Stats { queued: self.queue.len(), ..self.stats.clone() }
    }

    /// Starts connecting (from `Idle`; ignored in any other state).
    pub fn connect(&mut self, now: Timestamp) {
        if self.phase == Phase::Idle {
            self.start_attempt(now, false);
        }
    }

    /// Closes the session for good; any socket is closed with 1000.
    pub fn close(&mut self) {
        match self.phase {
            Phase::Closed { .. } => return,
            Phase::Connecting { .. } | Phase::Open { .. } => {
                self.commands
                    .push_back(Command::Close { code: close::NORMAL, reason: "client closed" });
            }
            Phase::Idle | Phase::BackingOff { .. } => {}
        }
        self.finish(ClosedReason::Client);
    }

    /// Sends a message now if the connection is ready, or queues it.
    ///
    /// A message naming a thread adds that thread to the thread filter.
    ///
    /// # Errors
    /// [`SendError::QueueFull`] when `queue_limit` messages already wait; [`SendError::Closed`]
    /// after the session ended.
    pub fn send(&mut self, now: Timestamp, message: ClientMessage) -> Result<(), SendError> {
        if matches!(self.phase, Phase::Closed { .. }) {
            return Err(SendError::Closed);
        }
        if let Some(thread) = thread_of(&message) {
            self.add_thread(thread);
        }
        if self.is_ready() {
            self.transmit(now, &message);
            return Ok(());
        }
        if self.queue.len() >= self.config.queue_limit {
            return Err(SendError::QueueFull { limit: self.config.queue_limit });
        }
        self.queue.push_back(message);
        Ok(())
    }

    /// Tells the live checker the connection's user, when it became known only after the
    /// session was created (a token fetched by the driver). A known user is kept. The
    /// configuration reports it too ([`Session::config`]), so the two never disagree.
    pub fn learn_user(&mut self, user_id: &str) {
        self.checker.learn_user(user_id);
        if self.config.checker.user_id.is_none() {
            self.config.checker.user_id = self.checker.user_id().map(str::to_owned);
        }
    }

    /// Lets events of `thread_id` through the thread filter (no effect without a filter).
    pub fn add_thread(&mut self, thread_id: &str) {
        if let Some(threads) = self.config.threads.as_mut() {
            threads.insert(thread_id.to_owned());
        }
    }

    /// The socket opened.
    pub fn handle_open(&mut self, now: Timestamp) {
        if !matches!(self.phase, Phase::Connecting { .. }) {
            return;
        }
        let resume = self.resume_owed();
        let handshake = self.opening_handshake(now);
        // A thread belongs to the connection whose handshake assigned it.
        self.thread_id = None;
        self.phase = Phase::Open {
            since: now,
            ready_at: Some(after(now, self.config.ready_after)),
            last_received: now,
            unanswered_ping: None,
            next_ping: after(now, self.config.ping_every),
            auth_failure: None,
            resume: resume.clone(),
            handshake,
        };
        self.was_open = true;
        // The first message, so the server replays before it sends anything live; an October
        // manager refuses messages before its handshake, so then it waits for that.
        if self.config.handshake == HandshakeMode::Auto {
            self.send_resume(now);
        }
        self.push_state();
    }

    /// A text frame arrived.
    pub fn handle_text(&mut self, now: Timestamp, text: &str) {
        if !self.accepts_frames(now) || self.refuse_too_long(now, text.len()) {
            return;
        }
        let decoded = crate::decode::decode(text);
        self.handle_frame(now, text.len() as u64, decoded, || text.to_owned());
    }

    /// A text frame arrived, owned by the caller: as [`Session::handle_text`], keeping `text`
    /// as the event's raw frame instead of copying it.
    pub fn handle_owned_text(&mut self, now: Timestamp, text: String) {
        if !self.accepts_frames(now) || self.refuse_too_long(now, text.len()) {
            return;
        }
        let len = text.len() as u64;
        match crate::decode::decode_owned_or_back(text) {
            Ok(event) => self.handle_frame(now, len, Ok(event), String::new),
            Err((error, text)) => self.handle_frame(now, len, Err(error), || text),
        }
    }

    /// A binary frame arrived (the manager sends text; UTF-8 JSON in a binary frame is accepted,
    /// anything else is a `malformed-frame` flag).
    pub fn handle_binary(&mut self, now: Timestamp, bytes: &[u8]) {
        if !self.accepts_frames(now) || self.refuse_too_long(now, bytes.len()) {
            return;
        }
        let decoded = crate::decode::decode_bytes(bytes);
        self.handle_frame(now, bytes.len() as u64, decoded, || {
            String::from_utf8_lossy(bytes).into_owned()
        });
    }

    /// A frame of `length` bytes arrived that the driver did not copy, because it is longer
    /// than [`SessionConfig::max_frame_bytes`] (the frame callbacks above check that
    /// themselves): it counts as received and is a `malformed-frame` flag with
    /// [`DecodeError::TooLong`]; the connection goes on. A driver that reports a frame within
    /// the limit has still not handed it over, so it is taken the same way: a frame is never
    /// lost without a trace.
    pub fn handle_too_long(&mut self, now: Timestamp, length: u64) {
        if self.accepts_frames(now) {
            self.take_too_long(now, length);
        }
    }

    /// Whether a frame of `length` bytes is over the limit; if so it is taken as such.
    fn refuse_too_long(&mut self, now: Timestamp, length: usize) -> bool {
        let refused = length > self.config.max_frame_bytes;
        if refused {
            self.take_too_long(now, length as u64);
        }
        refused
    }

    fn take_too_long(&mut self, now: Timestamp, length: u64) {
        let error = DecodeError::TooLong { length, limit: self.config.max_frame_bytes };
        // Not kept: the frame's text is what the limit keeps out of memory.
        self.handle_frame(now, length, Err(error), String::new);
    }

    /// Acts on every deadline at or before `now` (each once, however late the call is).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        match self.phase.clone() {
            Phase::Connecting { deadline, .. } if now >= deadline => {
                self.commands
                    .push_back(Command::Close { code: close::NORMAL, reason: "connect timeout" });
                self.events.push_back(SessionEvent::Disconnected(Disconnect {
                    code: 1006,
                    reason: String::new(),
                    was_clean: false,
                    cause: DisconnectCause::ConnectTimeout,
                }));
                self.retry_later(now);
            }
            Phase::Open {
                since,
                ready_at,
                last_received,
                unanswered_ping,
                next_ping,
                handshake,
                ..
            } => {
                if handshake.deadline().is_some_and(|at| now >= at) {
                    self.handshake_timed_out(now, handshake);
                } else if ready_at.is_some_and(|at| now >= at) && !handshake.is_pending() {
                    self.become_ready(now);
                }
                if self.config.backoff.is_stable(duration_between(since, now)) {
                    self.failures = 0;
                    self.short_lived = 0;
                }
                // Dead only if the server had a fair chance to answer a ping sent after the last
                // frame; a timer that fired late (sleep, a throttled tab) probes first.
                let silent = duration_between(last_received, now) >= self.config.dead_after;
                let probed = unanswered_ping.is_some();
                if silent
                    && unanswered_ping
                        .is_some_and(|ping| duration_between(ping, now) >= self.answer_window())
                {
                    self.recycle_dead(now);
                    return;
                }
                if now >= next_ping || (silent && !probed) {
                    self.ping(now);
                }
            }
            Phase::BackingOff { until, .. } if now >= until => {
                self.stats.reconnects += 1;
                self.start_attempt(now, false);
            }
            _ => {}
        }
        if self.checker.poll_timeout().is_some_and(|at| now >= at) {
            self.checker.handle_timeout(now);
            self.drain_flags();
        }
    }

    /// The next time [`Session::handle_timeout`] should be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let own = match &self.phase {
            Phase::Connecting { deadline, .. } => Some(*deadline),
            Phase::Open {
                ready_at, last_received, unanswered_ping, next_ping, handshake, ..
            } => {
                let dead = after(*last_received, self.config.dead_after);
                let dead = match unanswered_ping {
                    Some(ping) => dead.max(after(*ping, self.answer_window())),
                    None => dead,
                };
                let next = (*next_ping).min(dead);
                let next = handshake.deadline().map_or(next, |deadline| deadline.min(next));
                // While a handshake holds sends back, its deadline decides readiness.
                let ready_at = ready_at.filter(|_| !handshake.is_pending());
                Some(ready_at.map_or(next, |ready| ready.min(next)))
            }
            Phase::BackingOff { until, .. } => Some(*until),
            Phase::Idle | Phase::Closed { .. } => None,
        };
        match (own, self.checker.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next thing the application should hear about.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The next thing the driver must do with the transport.
    #[must_use]
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    // --- internals ---

    /// Whether a frame can be handled now. A frame while connecting means the socket is open
    /// even if its `open` has not been seen (a driver may see them out of order when the server
    /// speaks and closes at once); frames in any other state belong to a forgotten socket.
    fn accepts_frames(&mut self, now: Timestamp) -> bool {
        if matches!(self.phase, Phase::Connecting { .. }) {
            self.handle_open(now);
        }
        matches!(self.phase, Phase::Open { .. })
    }

    /// How long a ping gets to be answered before a silent connection counts as dead.
    fn answer_window(&self) -> Duration {
        self.config.dead_after.saturating_sub(self.config.ping_every).max(Duration::from_secs(1))
    }

    fn handle_frame(
        &mut self,
        now: Timestamp,
        len: u64,
        decoded: Result<Event, DecodeError>,
        text: impl FnOnce() -> String,
    ) {
        self.stats.frames += 1;
        self.stats.bytes += len;
        self.stats.last_frame_at = Some(now);
        if let Phase::Open { last_received, unanswered_ping, .. } = &mut self.phase {
            *last_received = now;
            *unanswered_ping = None;
        }
        let event = match decoded {
            Ok(event) => event,
            Err(error) => {
                self.stats.decode_errors += 1;
                let frame = self.checker.next_frame_index();
                self.checker.handle_decode_error(&error);
                let text = text();
                self.events.push_back(SessionEvent::Malformed { frame, at: now, text, error });
                self.drain_flags();
                return;
            }
        };
        let frame = self.checker.next_frame_index();
        let verdict = self.checker.handle_event(&event, Some(now));

        if let Some(seq) = event.context.seq {
            // The checker's highest `seq`: a bogus jump is flagged there and not resumed from.
            self.stats.last_seq = self.checker.highest_seq().or(self.stats.last_seq);
            self.count_replayed(seq);
        }
        let auth_failure = event.kind.is_auth_failure();
        match &event.kind {
            EventKind::Ping => self.transmit(now, &ClientMessage::Pong),
            EventKind::Heartbeat(_) => self.transmit(now, &ClientMessage::HeartbeatAck),
            EventKind::ConnectionEstablished(established) => {
                self.seq_supported = established.seq_supported;
                self.welcomed(now, &event);
            }
            EventKind::ResumeResult(result) => self.finish_resume(result),
            EventKind::HandshakeResponse(_) => {
                self.acknowledge_handshake(now, event.context.thread_id.clone());
            }
            EventKind::HandshakeComplete => self.complete_handshake(now),
            _ => {}
        }
        if auth_failure {
            if let Phase::Open { auth_failure: slot, .. } = &mut self.phase {
                *slot = Some(auth_message(&event));
            }
        } else if matches!(self.phase, Phase::Open { .. }) {
            // The server is up and speaking: the attempts that failed before this connection no
            // longer escalate the next wait, so a server back from an outage is rejoined fast.
            // But each connection in a row that closed before it was stable counts as a failed
            // attempt: a server that accepts, speaks and drops at once is not hammered twice a
            // second (one step is kept for the first such drop).
            self.failures = self.failures.min(self.short_lived.saturating_add(1));
            if matches!(
                self.phase,
                Phase::Open { ready_at: Some(_), handshake: HandshakeStep::Idle, .. }
            ) {
                self.become_ready(now);
            }
        }

        let wanted = match (&self.config.threads, event.context.thread_id.as_deref()) {
            (Some(threads), Some(thread)) => threads.contains(thread),
            _ => true,
        };
        if verdict.duplicate_of().is_some() && !self.config.deliver_duplicates {
            self.stats.duplicates += 1;
        } else if wanted {
            self.stats.events += 1;
            let event = Box::new(event);
            self.events.push_back(SessionEvent::Event { event, frame, at: now, verdict });
        } else {
            self.stats.filtered += 1;
        }
        self.drain_flags();
    }

    /// Whether sends go out at once: open, past the handshake, and ready.
    fn is_ready(&self) -> bool {
        matches!(&self.phase, Phase::Open { ready_at: None, handshake, .. } if !handshake.is_pending())
    }

    fn become_ready(&mut self, now: Timestamp) {
        if let Phase::Open { ready_at, .. } = &mut self.phase {
            *ready_at = None;
        }
        // The server accepted this connection's credentials: a later auth failure may try a
        // fresh token again.
        self.refresh_used = false;
        while let Some(message) = self.queue.pop_front() {
            self.transmit(now, &message);
        }
        self.push_state();
    }

    fn ping(&mut self, now: Timestamp) {
        self.transmit(now, &ClientMessage::Ping);
        if let Phase::Open { unanswered_ping, next_ping, .. } = &mut self.phase {
            unanswered_ping.get_or_insert(now);
            *next_ping = after(now, self.config.ping_every);
        }
    }

    fn recycle_dead(&mut self, now: Timestamp) {
        self.commands.push_back(Command::Close { code: CLOSE_DEAD, reason: "heartbeat timeout" });
        self.events.push_back(SessionEvent::Disconnected(Disconnect {
            code: CLOSE_DEAD,
            reason: "heartbeat timeout".to_owned(),
            was_clean: false,
            cause: DisconnectCause::HeartbeatTimeout,
        }));
        self.retry_later(now);
    }

    fn transmit(&mut self, now: Timestamp, message: &ClientMessage) {
        self.stats.sent += 1;
        let text = match (message, self.thread_id.as_deref()) {
            // The server's handshake thread is the default thread of a send without one.
            (
                ClientMessage::UserMessage { thread_id: None, .. }
                | ClientMessage::StartAgent { thread_id: None, .. },
                Some(thread),
            ) => {
                let mut message = message.clone();
                if let ClientMessage::UserMessage { thread_id, .. }
                | ClientMessage::StartAgent { thread_id, .. } = &mut message
                {
                    *thread_id = Some(thread.to_owned());
                }
                message.encode(Some(now))
            }
            _ => message.encode(Some(now)),
        };
        self.commands.push_back(Command::Send(text));
    }

    /// Reports the state, unless it repeats the one last reported.
    fn push_state(&mut self) {
        let state = self.state();
        // Compared by kind rather than with `==`, which would compare the unsent messages of
        // `closed` too, and link that comparison into the wasm package for nothing.
        let reported = match &state {
            ConnectionState::Connecting { attempt } => Reported::Connecting(*attempt),
            ConnectionState::Handshaking => Reported::Handshaking,
            ConnectionState::Open => Reported::Open,
            _ => Reported::Other,
        };
        if reported == Reported::Other || reported != self.reported {
            self.reported = reported;
            self.events.push_back(SessionEvent::State(state));
        }
    }

    fn drain_flags(&mut self) {
        while let Some(flag) = self.checker.poll_flag() {
            self.stats.flags += 1;
            self.stats.flags_by_rule.add(flag.rule);
            self.events.push_back(SessionEvent::Flag(flag));
        }
    }
}

/// What [`Session::push_state`] remembers of the state it last reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reported {
    Connecting(u32),
    Handshaking,
    Open,
    /// Any other state: never a repeat.
    Other,
}

/// The thread a client message names, if any.
fn thread_of(message: &ClientMessage) -> Option<&str> {
    match message {
        ClientMessage::UserMessage { thread_id, .. }
        | ClientMessage::StartAgent { thread_id, .. } => {
            thread_id.as_deref().filter(|thread| !thread.is_empty())
        }
        _ => None,
    }
}

/// What an auth failure frame said (never the token: the server does not echo it).
fn auth_message(event: &Event) -> String {
    match &event.kind {
        EventKind::AuthenticationError(info) | EventKind::Error(info) => {
            info.message.clone().unwrap_or_else(|| "authentication failed".to_owned())
        }
        _ => "authentication failed".to_owned(),
    }
}

fn after(at: Timestamp, duration: Duration) -> Timestamp {
    at.add_duration(duration)
}

/// The time from `earlier` to `later`; zero when `later` is not later.
fn duration_between(earlier: Timestamp, later: Timestamp) -> Duration {
    Duration::from_micros(u64::try_from(later.micros_since(earlier)).unwrap_or(0))
}

/// A small, fast pseudo-random generator for backoff jitter (SplitMix64). Jitter needs spread,
/// not secrecy, and the seed comes from the driver, so the core stays deterministic.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // 53 random bits in [0, 1).
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
