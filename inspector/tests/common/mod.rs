//! Test helpers: SDK sessions on a simulated clock that feed a `State` as the page will, and
//! frames in the manager's S3 shape.
#![allow(dead_code, reason = "each test file uses some of the helpers")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail by panicking")]

use agentwire::recording::{CaptureReader, MAX_LINE};
use agentwire::{
    Checker, CheckerConfig, Command, Flag, Rule, Session, SessionConfig, SessionEvent, Timestamp,
};
use agentwire_inspector::state::{Action, State};
use serde_json::{Value, json};

/// 2025-09-18T14:56:14Z, the fixtures' day.
pub(crate) const START: i64 = 1_758_207_374_000_000;

pub(crate) fn at_ms(ms: i64) -> Timestamp {
    Timestamp::from_unix_micros(START + ms * 1000)
}

/// One user's SDK session on a simulated clock, feeding every `SessionEvent` to the state.
pub(crate) struct Client {
    pub(crate) user: String,
    pub(crate) session: Session,
    pub(crate) now: Timestamp,
}

impl Client {
    /// A connected (not yet open) session for `user`, configured as the inspector will
    /// configure its clients: repeats delivered (a debugging view shows every frame), the
    /// checker judging for this user.
    pub(crate) fn connect(state: &mut State, user: &str) -> Self {
        // As `use_connections` does: frames numbered on from those the lane shows.
        let checker =
            CheckerConfig { first_frame: state.next_frame(user), ..CheckerConfig::live() };
        let config = SessionConfig {
            deliver_duplicates: true,
            checker: checker.with_user(user),
            ..SessionConfig::default()
        };
        let mut client =
            Client { user: user.to_owned(), session: Session::new(config, 7), now: at_ms(0) };
        client.session.connect(client.now);
        client.drain(state);
        client
    }

    pub(crate) fn drain(&mut self, state: &mut State) {
        while let Some(command) = self.session.poll_command() {
            drop::<Command>(command);
        }
        while let Some(event) = self.session.poll_event() {
            state.apply(Action::Session { user: self.user.clone(), at: self.now, event });
        }
    }

    pub(crate) fn open(&mut self, state: &mut State) {
        self.session.handle_open(self.now);
        self.drain(state);
    }

    pub(crate) fn frame(&mut self, state: &mut State, text: &str) {
        self.session.handle_text(self.now, text);
        self.drain(state);
    }

    pub(crate) fn close(&mut self, state: &mut State, code: u16, reason: &str) {
        self.session.handle_close(self.now, code, reason, code != 1006);
        self.drain(state);
    }

    /// Moves the clock forward, firing every timer that falls due on the way.
    pub(crate) fn advance(&mut self, state: &mut State, ms: i64) {
        let end = self.now.add_micros(ms * 1000);
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = deadline.max(self.now);
            self.session.handle_timeout(self.now);
            self.drain(state);
        }
        self.now = end;
    }
}

/// An S3 agent frame for `user` in run `run`, with extra fields.
pub(crate) fn agent(kind: &str, user: &str, run: &str, agent: &str, extra: Value) -> String {
    let mut frame = json!({
        "type": kind,
        "user_id": user,
        "thread_id": format!("thread_{run}"),
        "run_id": run,
        "agent_name": agent,
        "timestamp": "2025-09-18T14:56:14+00:00",
    });
    if let (Some(frame), Value::Object(extra)) = (frame.as_object_mut(), extra) {
        frame.extend(extra);
    }
    frame.to_string()
}

/// A clean run: started, thinking, one tool call, completed.
pub(crate) fn clean_run(user: &str, run: &str) -> Vec<String> {
    vec![
        agent("agent_started", user, run, "supervisor", json!({"task_description": "cost"})),
        agent("agent_thinking", user, run, "supervisor", json!({"reasoning": "checking costs"})),
        agent("tool_executing", user, run, "supervisor", json!({"tool_name": "cost_analyzer"})),
        agent(
            "tool_completed",
            user,
            run,
            "supervisor",
            json!({"tool_name": "cost_analyzer", "results": {"total": 12}}),
        ),
        agent("agent_completed", user, run, "supervisor", json!({"final_response": "done"})),
    ]
}

/// An action for one decoded frame, as a session reports it (no session): judged alone, by a
/// checker that has seen no other frame, for tests of the stream rather than of runs.
pub(crate) fn event(user: &str, at: Timestamp, frame: u64, text: &str) -> Action {
    let checked = Checker::new(CheckerConfig::live()).handle_text(text, Some(at));
    let checked = checked.expect("a valid frame");
    let event = Box::new(checked.event);
    let event = SessionEvent::Event { event, frame, at, verdict: checked.verdict };
    Action::Session { user: user.to_owned(), at, event }
}

/// An action for one flag, as a session reports it.
pub(crate) fn flag(
    user: &str,
    at: Timestamp,
    rule: Rule,
    frame: Option<u64>,
    run: Option<&str>,
) -> Action {
    let flag = Flag {
        rule,
        severity: rule.severity(),
        frame,
        related_frames: Vec::new(),
        run_id: run.map(str::to_owned),
        message: format!("{rule} at frame {frame:?}"),
    };
    Action::Session { user: user.to_owned(), at, event: SessionEvent::Flag(flag) }
}

/// The kinds of the shown rows, in order.
pub(crate) fn shown_kinds(state: &State) -> Vec<String> {
    state.visible_rows(0..usize::MAX).map(|row| row.kind().to_owned()).collect()
}

/// What `agentwire check --json FILE` reports, computed the way cli/src/check.rs computes it:
/// the SDK's capture reader, an offline checker for the header's user fed every received text
/// frame, then `finish`.
pub(crate) fn agentwire_check(text: &str) -> Vec<Flag> {
    let mut reader = CaptureReader::new(text.as_bytes(), MAX_LINE).unwrap();
    let mut config = CheckerConfig::offline();
    if let Some(user) = reader.user_id() {
        config = config.with_user(user);
    }
    let mut checker = Checker::new(config);
    reader
        .stream(|item| {
            if let Some(received) = item.received() {
                let _ = received.check(&mut checker);
            }
        })
        .unwrap();
    checker.finish();
    std::iter::from_fn(|| checker.poll_flag()).collect()
}
