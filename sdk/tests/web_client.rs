//! The browser client against the real simulated manager (`agentwire serve`), in headless
//! Chromium and Firefox. `scripts/test` starts the servers and passes their addresses and dev
//! tokens at build time (browsers have no environment):
//!
//! * `AGENTWIRE_TEST_WS`: `--seq`, no faults;
//! * `AGENTWIRE_TEST_WS_DROP`: `--seq --fault drop_connection=1` (every run loses its connection);
//! * `AGENTWIRE_TEST_WS_FREEZE`: `--seq --fault freeze_connection=1` (every run's connection
//!   goes silent without closing);
//! * `AGENTWIRE_TEST_WS_FAULTS`: `--fault duplicate=1 --fault malformed=1`;
//! * `AGENTWIRE_TEST_WS_OCT`: `--protocol oct --shapes oct` (the October 2025 manager: its
//!   handshake, thread, field spellings and cleanup frames);
//! * `AGENTWIRE_TEST_TOKENS`: `user=token;user=token;...` for users `web-1` .. `web-9`.
//!
//! Without them (a plain `cargo test --target wasm32-unknown-unknown`) these tests do nothing.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use agentwire::session::{ClosedReason, DisconnectCause, HandshakeOutcome, SessionEvent};
use agentwire::token::AuthStyle;
use agentwire::web::{TokenReply, live_resources};
use agentwire::{
    Client, ClientOptions, ConnectionState, DecodeError, EventKind, ResumeOutcome, Rule,
    SessionConfig,
};
use futures::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CRITICAL: [&str; 5] =
    ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

/// A server address from the build environment; these tests only run through scripts/test.
fn server(name: &str) -> Option<&'static str> {
    let address = server_address(name);
    assert!(address.is_some(), "no `{name}` server: run the browser tests through scripts/test");
    address
}

fn server_address(name: &str) -> Option<&'static str> {
    match name {
        "clean" => option_env!("AGENTWIRE_TEST_WS"),
        "drop" => option_env!("AGENTWIRE_TEST_WS_DROP"),
        "freeze" => option_env!("AGENTWIRE_TEST_WS_FREEZE"),
        "faults" => option_env!("AGENTWIRE_TEST_WS_FAULTS"),
        "october" => option_env!("AGENTWIRE_TEST_WS_OCT"),
        _ => None,
    }
}

fn token(user: &str) -> Option<String> {
    option_env!("AGENTWIRE_TEST_TOKENS")?.split(';').find_map(|pair| {
        let (name, token) = pair.split_once('=')?;
        (name == user).then(|| token.to_owned())
    })
}

/// Calls the method `name` of the JS object `object` (a `Client` from the JS API).
fn call(
    object: &wasm_bindgen::JsValue,
    name: &str,
    args: &[wasm_bindgen::JsValue],
) -> wasm_bindgen::JsValue {
    let method: js_sys::Function =
        js_sys::Reflect::get(object, &name.into()).unwrap().dyn_into().unwrap();
    method.apply(object, &args.iter().collect::<js_sys::Array>()).unwrap()
}

/// The property `name` of the JS object `object`.
fn property(object: &wasm_bindgen::JsValue, name: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap()
}

/// Everything a client reported, in order.
#[derive(Default)]
struct Log(RefCell<Vec<SessionEvent>>);

impl Log {
    fn attach(client: &Client) -> Rc<Log> {
        let log = Rc::new(Log::default());
        let sink = Rc::clone(&log);
        client.on_session_event(move |event| sink.0.borrow_mut().push(event.clone())).detach();
        log
    }

    fn event_names(&self) -> Vec<String> {
        self.0
            .borrow()
            .iter()
            .filter_map(|event| match event {
                SessionEvent::Event { event, .. } => Some(event.name().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn flags(&self) -> Vec<Rule> {
        self.0
            .borrow()
            .iter()
            .filter_map(|event| match event {
                SessionEvent::Flag(flag) => Some(flag.rule),
                _ => None,
            })
            .collect()
    }

    /// Runs whose every execution finished: as many agent_completed (or agent_error) as
    /// agent_started (a run has nested executions, the supervisor's ends last).
    fn completed_runs(&self) -> usize {
        let mut open: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for event in self.0.borrow().iter() {
            let SessionEvent::Event { event, .. } = event else { continue };
            let Some(run) = event.context.run_id.clone() else { continue };
            let delta = match event.name() {
                "agent_started" => 1,
                "agent_completed" | "agent_error" => -1,
                _ => 0,
            };
            *open.entry(run).or_default() += delta;
        }
        open.values().filter(|open| **open == 0).count()
    }

    /// A compact account of what happened, for failure messages.
    fn summary(&self) -> String {
        let lines: Vec<String> = self
            .0
            .borrow()
            .iter()
            .map(|event| match event {
                SessionEvent::Event { event, .. } => {
                    format!(
                        "{}#{}",
                        event.name(),
                        event.context.seq.map_or(String::new(), |s| s.to_string())
                    )
                }
                SessionEvent::Flag(flag) => format!("FLAG {}", flag.rule),
                SessionEvent::State(state) => format!("STATE {}", state.name()),
                SessionEvent::Disconnected(d) => format!("DISCONNECTED {} {:?}", d.code, d.cause),
                SessionEvent::Resumed(outcome) => format!("RESUMED {outcome:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        lines.join(", ")
    }

    fn has(&self, predicate: impl Fn(&SessionEvent) -> bool) -> bool {
        self.0.borrow().iter().any(predicate)
    }
}

async fn sleep_ms(ms: u64) {
    gloo_timers::future::sleep(Duration::from_millis(ms)).await;
}

/// Waits until `condition` holds, at most `seconds`; says what it waited for on timeout.
async fn wait_for(what: &str, seconds: f64, condition: impl Fn() -> bool) {
    wait_for_logged(what, seconds, None, condition).await;
}

/// [`wait_for`], with the client's log in the failure message.
async fn wait_for_logged(
    what: &str,
    seconds: f64,
    log: Option<&Log>,
    condition: impl Fn() -> bool,
) {
    let deadline = js_sys::Date::now() + seconds * 1000.0;
    while !condition() {
        assert!(
            js_sys::Date::now() < deadline,
            "timed out after {seconds} s waiting for {what}; log: {}",
            log.map(Log::summary).unwrap_or_default()
        );
        sleep_ms(20).await;
    }
}

fn connect(server_name: &str, user: &str, session: SessionConfig) -> Option<(Client, Rc<Log>)> {
    let url = server(server_name)?;
    let options = ClientOptions { token: Some(token(user)?), session, ..ClientOptions::default() };
    let client = Client::connect(url, options).expect("a ws:// URL");
    let log = Log::attach(&client);
    Some((client, log))
}

fn is_golden_path(names: &[String]) -> bool {
    let mut expected = CRITICAL.iter().peekable();
    for name in names {
        if expected.peek().is_some_and(|next| *next == name) {
            expected.next();
        }
    }
    expected.peek().is_none()
}

fn assert_golden_path(names: &[String]) {
    assert!(is_golden_path(names), "the golden path is incomplete: {names:?}");
}

/// Starts runs until one of them went the whole golden path, tool call included (the simulated
/// manager also plans runs that answer without a tool); at most three runs.
async fn run_golden_path(client: &Client, log: &Log, request: &str, seconds_per_run: f64) {
    for run in 1..=3 {
        client.start_agent(request, None).unwrap();
        wait_for_logged("a finished run", seconds_per_run, Some(log), || {
            log.completed_runs() == run
        })
        .await;
        if is_golden_path(&log.event_names()) {
            return;
        }
    }
    panic!("three runs and no tool call: {}", log.summary());
}

fn error_flags(log: &Log) -> Vec<Rule> {
    log.flags().into_iter().filter(|rule| rule.severity() == agentwire::Severity::Error).collect()
}

#[wasm_bindgen_test]
async fn connects_and_receives_a_full_golden_path_run_as_typed_events() {
    let Some((client, log)) = connect("clean", "web-1", SessionConfig::default()) else { return };
    let typed = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&typed);
    client
        .on_event(move |event| {
            if let EventKind::ToolCompleted(completed) = &event.kind {
                sink.borrow_mut().push(completed.tool_name.clone());
            }
        })
        .detach();
    wait_for("open", 10.0, || client.state() == ConnectionState::Open).await;
    assert_eq!(client.user_id().as_deref(), Some("web-1"), "the user comes from the token's sub");
    run_golden_path(&client, &log, "Why did GPU spend rise?", 30.0).await;
    assert!(typed.borrow().iter().all(Option::is_some), "tool_completed carries its tool_name");
    assert!(!typed.borrow().is_empty());
    assert_eq!(error_flags(&log), []);
    let stats = client.stats();
    assert!(stats.frames > 5 && stats.events > 5, "{stats:?}");
    assert_eq!(stats.reconnects, 0);
}

#[wasm_bindgen_test]
async fn the_event_stream_yields_the_same_events_for_async_code() {
    let Some((client, log)) = connect("clean", "web-2", SessionConfig::default()) else { return };
    let mut stream = client.events();
    client.start_agent("Stream me a run", None).unwrap();
    let mut names = Vec::new();
    let mut open = 0;
    while let Some(event) = stream.next().await {
        names.push(event.name().to_owned());
        match event.name() {
            "agent_started" => open += 1,
            "agent_completed" | "agent_error" => open -= 1,
            _ => {}
        }
        if open == 0 && names.iter().any(|name| name == "agent_started") {
            break;
        }
    }
    for name in ["agent_started", "agent_thinking", "agent_completed"] {
        assert!(names.iter().any(|n| n == name), "{name} missing from the stream: {names:?}");
    }
    assert!(log.event_names().starts_with(&names), "stream and callbacks agree");
    client.close();
    assert!(stream.next().await.is_none(), "the stream ends when the client closes");
}

#[wasm_bindgen_test]
async fn a_bad_token_is_an_auth_error_without_a_retry_storm() {
    let Some(url) = server("clean") else { return };
    let options = ClientOptions {
        token: Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.Zm9yZ2Vk".to_owned()),
        ..ClientOptions::default()
    };
    let client = Client::connect(url, options).unwrap();
    let log = Log::attach(&client);
    wait_for("the auth error", 10.0, || matches!(client.state(), ConnectionState::Closed { .. }))
        .await;
    assert!(
        matches!(
            client.state(),
            ConnectionState::Closed {
                reason: ClosedReason::AuthFailed { code: Some(1008), .. },
                ..
            }
        ),
        "{:?}",
        client.state()
    );
    sleep_ms(1_500).await;
    assert_eq!(client.stats().reconnects, 0, "no retry after an auth failure");
    // The AUTH_FAILED frame reaches the app when the browser reports it: Firefox sometimes
    // reports only the close when the server refuses and closes at once.
    let names = log.event_names();
    assert!(names.iter().all(|name| name == "error"), "nothing but the refusal: {}", log.summary());
    // The manager accepts the socket before it checks the token: that is not `open`.
    assert!(
        !log.has(|event| matches!(event, SessionEvent::State(ConnectionState::Open))),
        "a refused connection showed open: {}",
        log.summary()
    );
}

#[wasm_bindgen_test]
async fn a_refused_token_is_refreshed_once_through_get_token() {
    let (Some(url), Some(good)) = (server("clean"), token("web-3")) else { return };
    let calls = Rc::new(RefCell::new(0u32));
    let counter = Rc::clone(&calls);
    let options = ClientOptions {
        token: Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3ZWItMyJ9.ZXhwaXJlZA".to_owned()),
        get_token: Some(Rc::new(move |reply: TokenReply| {
            *counter.borrow_mut() += 1;
            let good = good.clone();
            wasm_bindgen_futures::spawn_local(async move { reply.send(Ok(good)) });
        })),
        ..ClientOptions::default()
    };
    let client = Client::connect(url, options).unwrap();
    wait_for("open with the fresh token", 10.0, || {
        client.state() == ConnectionState::Open && client.stats().frames > 0 && *calls.borrow() == 1
    })
    .await;
    sleep_ms(300).await;
    assert_eq!(client.state(), ConnectionState::Open);
    assert_eq!(*calls.borrow(), 1);
}

#[wasm_bindgen_test]
async fn a_get_token_that_reads_the_client_runs_outside_its_borrow_and_the_connection_opens() {
    let (Some(url), Some(good)) = (server("clean"), token("web-3")) else { return };
    // The client, as the token source sees it: set right after connect, before the first
    // attempt (which starts on the next turn of the event loop).
    let cell: Rc<RefCell<std::rc::Weak<Client>>> = Rc::new(RefCell::new(std::rc::Weak::new()));
    let seen = Rc::new(RefCell::new(Vec::<&'static str>::new()));
    let (reader, sink) = (Rc::clone(&cell), Rc::clone(&seen));
    let options = ClientOptions {
        // No token: the source is asked before the first attempt.
        // Answered at once, from inside the source: the attempt goes on from there.
        get_token: Some(Rc::new(move |reply: TokenReply| {
            let client = reader.borrow().upgrade().expect("the client is set before its attempt");
            sink.borrow_mut().push(client.state().name());
            let _ = client.stats();
            reply.send(Ok(good.clone()));
        })),
        ..ClientOptions::default()
    };
    let client = Rc::new(Client::connect(url, options).unwrap());
    *cell.borrow_mut() = Rc::downgrade(&client);
    wait_for("open with the fetched token", 10.0, || client.state() == ConnectionState::Open).await;
    assert_eq!(*seen.borrow(), ["connecting"], "asked once, while connecting");
    assert_eq!(client.user_id().as_deref(), Some("web-3"), "the user comes from the token");
}

#[wasm_bindgen_test]
async fn a_dropped_connection_reconnects_and_resumes_with_zero_lost_events() {
    let Some((client, log)) = connect("drop", "web-4", SessionConfig::default()) else { return };
    run_golden_path(&client, &log, "Survive a dropped connection", 30.0).await;
    assert!(log.has(
        |event| matches!(event, SessionEvent::Disconnected(d) if d.cause == DisconnectCause::Closed)
    ));
    // Frames sent while the client was away come back in the resume (possibly none, when the
    // reconnect beat the run's next frame); no gap flag and a complete run prove none was lost.
    assert!(
        log.has(|event| matches!(event, SessionEvent::Resumed(ResumeOutcome::Recovered { .. }))),
        "resumed: {}",
        log.summary()
    );
    assert_golden_path(&log.event_names());
    assert_eq!(error_flags(&log), [], "no gap, nothing missing");
    assert!(client.stats().reconnects >= 1);
}

#[wasm_bindgen_test]
async fn messages_sent_while_disconnected_arrive_in_order_after_reconnect() {
    let Some((client, log)) = connect("drop", "web-5", SessionConfig::default()) else { return };
    let client = Rc::new(client);
    // As soon as the connection drops, queue three messages, each on its own thread.
    let sender = Rc::downgrade(&client);
    let queued = Rc::new(std::cell::Cell::new(false));
    let flag = Rc::clone(&queued);
    client
        .on_session_event(move |event| {
            if let (SessionEvent::Disconnected(_), false, Some(client)) =
                (event, flag.get(), sender.upgrade())
            {
                flag.set(true);
                for i in 0..3 {
                    let thread = format!("order-{i}");
                    client.send_user_message(&format!("queued {i}"), Some(&thread)).unwrap();
                }
                assert!(client.stats().queued == 3, "queued while disconnected");
            }
        })
        .detach();
    client.start_agent("Drop me", None).unwrap();
    wait_for("four runs", 60.0, || log.completed_runs() >= 4).await;
    assert!(queued.get());
    // The server numbers runs as it receives requests: the queued threads' runs are in order.
    let run_number = |thread: &str| -> u64 {
        log.0
            .borrow()
            .iter()
            .find_map(|event| match event {
                SessionEvent::Event { event: e, .. }
                    if e.context.thread_id.as_deref() == Some(thread) =>
                {
                    e.context.run_id.clone()
                }
                _ => None,
            })
            .and_then(|run| run.split('_').nth(3)?.parse().ok())
            .unwrap_or_else(|| panic!("no run for {thread}"))
    };
    let numbers: Vec<u64> = (0..3).map(|i| run_number(&format!("order-{i}"))).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "runs in send order: {numbers:?}");
}

#[wasm_bindgen_test]
async fn a_heartbeat_timeout_recycles_a_dead_connection() {
    let session = SessionConfig {
        ping_every: Duration::from_millis(400),
        dead_after: Duration::from_millis(1_200),
        ..SessionConfig::default()
    };
    let Some((client, log)) = connect("freeze", "web-6", session) else { return };
    run_golden_path(&client, &log, "Survive a frozen connection", 40.0).await;
    assert!(log.has(|event| matches!(event, SessionEvent::Disconnected(d) if d.cause == DisconnectCause::HeartbeatTimeout)));
    assert!(
        log.has(|event| matches!(event, SessionEvent::Resumed(ResumeOutcome::Recovered { .. })))
    );
    assert_golden_path(&log.event_names());
    assert_eq!(error_flags(&log), []);
}

#[wasm_bindgen_test]
async fn injected_faults_arrive_as_flags() {
    let Some((client, log)) = connect("faults", "web-7", SessionConfig::default()) else { return };
    client.start_agent("Break things", None).unwrap();
    wait_for("both flags", 30.0, || {
        let flags = log.flags();
        flags.contains(&Rule::DuplicateEvent) && flags.contains(&Rule::MalformedFrame)
    })
    .await;
    let stats = client.stats();
    assert!(stats.flags_by_rule.get(Rule::DuplicateEvent) >= 1, "{stats:?}");
    assert_eq!(
        stats.duplicates,
        stats.flags_by_rule.get(Rule::DuplicateEvent),
        "repeats held back"
    );
    assert_eq!(stats.decode_errors, stats.flags_by_rule.get(Rule::MalformedFrame));
}

#[wasm_bindgen_test]
async fn frames_over_the_size_limit_are_flagged_without_a_copy_and_the_rest_arrive() {
    // Between the simulated manager's short frames (`agent_started`, ~400 bytes) and its long
    // ones (`tool_executing` and most thinking, 450 bytes and more).
    const LIMIT: usize = 430;
    let session = SessionConfig { max_frame_bytes: LIMIT, ..SessionConfig::default() };
    let Some((client, log)) = connect("clean", "web-13", session) else { return };
    wait_for("open", 10.0, || client.state() == ConnectionState::Open).await;
    // A frame refused, then a later one delivered: the connection goes on after a refusal.
    let refused_then_delivered = || {
        let events = log.0.borrow();
        let first_refused = events.iter().find_map(|event| match event {
            SessionEvent::Malformed { frame, .. } => Some(*frame),
            _ => None,
        });
        first_refused.is_some_and(|refused| {
            events
                .iter()
                .any(|event| matches!(event, SessionEvent::Event { frame, .. } if *frame > refused))
        })
    };
    // (A run's completion may itself be refused, so each run gets 10 s rather than an end.)
    for _ in 0..3 {
        client.start_agent("Why did GPU spend rise?", None).unwrap();
        for _ in 0..100 {
            if refused_then_delivered() {
                break;
            }
            sleep_ms(100).await;
        }
        if refused_then_delivered() {
            break;
        }
    }
    assert!(refused_then_delivered(), "{}", log.summary());
    let refused: Vec<DecodeError> = log
        .0
        .borrow()
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Malformed { error, text, .. } => {
                assert_eq!(text, "", "a frame over the limit is not kept");
                Some(error.clone())
            }
            _ => None,
        })
        .collect();
    assert!(!refused.is_empty());
    for error in &refused {
        assert!(
            matches!(error, DecodeError::TooLong { length, limit: LIMIT } if *length > LIMIT as u64),
            "{error:?}"
        );
    }
    let stats = client.stats();
    assert_eq!(stats.decode_errors, stats.flags_by_rule.get(Rule::MalformedFrame), "{stats:?}");
}

#[wasm_bindgen_test]
async fn dropping_the_client_frees_its_socket_and_timers() {
    let before = live_resources();
    let Some((client, _log)) = connect("clean", "web-8", SessionConfig::default()) else { return };
    wait_for("open", 10.0, || client.state() == ConnectionState::Open).await;
    let during = live_resources();
    assert_eq!(during[0], before[0] + 1, "one socket");
    assert!(during[1] > before[1], "a timer");
    assert!(during[2] >= before[2] + 5, "socket and page listeners");
    drop(client);
    assert_eq!(live_resources(), before, "everything freed");
}

/// A client closed (or dropped) before its first attempt starts never opens a socket, and a
/// message sent before that start is refused once it is closed.
#[wasm_bindgen_test]
async fn a_client_closed_before_its_first_attempt_opens_nothing() {
    let Some(address) = server_address("clean") else { return };
    let before = live_resources();
    let url = format!("ws://{address}/ws");
    let closed = Client::connect(&url, ClientOptions::default()).unwrap();
    assert_eq!(closed.state(), ConnectionState::Idle, "the first attempt starts later");
    closed.send_user_message("queued before the start", None).expect("queued");
    closed.close();
    let dropped = Client::connect(&url, ClientOptions::default()).unwrap();
    drop(dropped);
    sleep_ms(50).await;
    assert!(matches!(closed.state(), ConnectionState::Closed { .. }), "{:?}", closed.state());
    assert_eq!(closed.stats().frames, 0);
    assert!(closed.send_user_message("after", None).is_err());
    drop(closed);
    assert_eq!(live_resources(), before, "no socket, timer or listener left");
}

#[wasm_bindgen_test]
async fn the_js_api_reports_typed_error_codes() {
    let error =
        agentwire::js::connect("http://example.invalid/ws", wasm_bindgen::JsValue::UNDEFINED)
            .expect_err("an http URL is refused");
    let code = js_sys::Reflect::get(&error, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("invalid_url"));
    assert!(error.is_instance_of::<js_sys::Error>());
    assert!(agentwire::js::is_agentwire_error(&error));
    assert!(!agentwire::js::is_agentwire_error(&js_sys::Error::new("other").into()));

    let options = js_sys::JSON::parse(r#"{"tokne":"typo"}"#).unwrap();
    let error =
        agentwire::js::connect("ws://127.0.0.1:9/ws", options).expect_err("a typo is refused");
    let code = js_sys::Reflect::get(&error, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("invalid_options"));
    let message = js_sys::Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("tokne"), "{message}");
    let _ = error.dyn_into::<js_sys::Error>();
}

#[wasm_bindgen_test]
async fn the_js_api_sends_a_custom_message_and_refuses_what_is_not_one() {
    let Some(address) = server_address("clean") else { return };
    let Some(token) = token("js-send") else { return };
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    let client = agentwire::js::connect(&format!("ws://{address}/ws"), options.into()).unwrap();
    let acked = Rc::new(Cell::new(false));
    let seen = Rc::clone(&acked);
    let listener =
        wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(move |event| {
            if property(&event, "received_type").as_string().as_deref() == Some("stop_agent") {
                seen.set(true);
            }
        });
    call(&client, "on", &["ack".into(), listener.as_ref().clone()]);
    // Before the connection is ready: queued, then sent as given.
    let message =
        js_sys::JSON::parse(r#"{"type":"stop_agent","payload":{"run_id":"r1"}}"#).unwrap();
    call(&client, "send", &[message]);
    wait_for("the server's ack of stop_agent", 10.0, || acked.get()).await;

    let send = js_sys::Reflect::get(&client, &"send".into()).unwrap();
    let send: &js_sys::Function = send.unchecked_ref();
    for bad in
        [r#""stop_agent""#, r#"["stop_agent"]"#, "{}", r#"{"type":""}"#, r#"{"type":"ping"}"#]
    {
        let error = send.call1(&client, &js_sys::JSON::parse(bad).unwrap()).expect_err(bad);
        assert_eq!(
            property(&error, "code").as_string().as_deref(),
            Some("invalid_message"),
            "{bad}"
        );
    }
    call(&client, "close", &[]);
}

#[wasm_bindgen_test]
async fn coming_back_online_retries_at_once_instead_of_waiting_out_the_backoff() {
    // Nothing listens on port 1: every attempt fails, and each wait is at least 5 s.
    let session = SessionConfig {
        backoff: agentwire::Backoff {
            first: Duration::from_secs(60),
            min_delay: Duration::from_secs(5),
            ..agentwire::Backoff::default()
        },
        ..SessionConfig::default()
    };
    let client = Client::connect(
        "ws://127.0.0.1:1/ws",
        ClientOptions { session, ..ClientOptions::default() },
    )
    .unwrap();
    wait_for("backing off", 10.0, || matches!(client.state(), ConnectionState::BackingOff { .. }))
        .await;
    assert_eq!(client.stats().reconnects, 0);
    let window = web_sys::window().unwrap();
    window.dispatch_event(&web_sys::Event::new("online").unwrap()).unwrap();
    assert_eq!(client.stats().reconnects, 1, "the online event starts the next attempt at once");
    // Hiding the page is not a reason to retry; only becoming visible again is.
    wait_for("backing off again", 10.0, || {
        matches!(client.state(), ConnectionState::BackingOff { .. })
    })
    .await;
    window.dispatch_event(&web_sys::Event::new("pageshow").unwrap()).unwrap();
    assert_eq!(client.stats().reconnects, 2, "pageshow (back/forward cache) too");
}

// --- the October 2025 manager (docs/protocol.md §6) ---

fn connect_october(user: &str) -> Option<(Client, Rc<Log>)> {
    let url = server("october")?;
    let options = ClientOptions {
        token: Some(token(user)?),
        auth: AuthStyle::env("development").unwrap(),
        ..ClientOptions::default()
    };
    let client = Client::connect(url, options).expect("a ws:// URL");
    let log = Log::attach(&client);
    Some((client, log))
}

impl Log {
    fn states(&self) -> Vec<&'static str> {
        self.0
            .borrow()
            .iter()
            .filter_map(|event| match event {
                SessionEvent::State(state) => Some(state.name()),
                _ => None,
            })
            .collect()
    }

    fn handshakes(&self) -> Vec<HandshakeOutcome> {
        self.0
            .borrow()
            .iter()
            .filter_map(|event| match event {
                SessionEvent::Handshake(outcome) => Some(outcome.clone()),
                _ => None,
            })
            .collect()
    }

    /// The thread of every delivered agent event.
    fn agent_threads(&self) -> Vec<Option<String>> {
        self.0
            .borrow()
            .iter()
            .filter_map(|event| match event {
                SessionEvent::Event { event, .. } if event.kind.is_agent_event() => {
                    Some(event.context.thread_id.clone())
                }
                _ => None,
            })
            .collect()
    }
}

#[wasm_bindgen_test]
async fn an_october_manager_hands_over_its_thread_and_a_golden_path_arrives_without_a_flag() {
    let Some((client, log)) = connect_october("web-7") else { return };
    wait_for_logged("open", 10.0, Some(&log), || client.state() == ConnectionState::Open).await;
    assert_eq!(log.states(), ["connecting", "handshaking", "open"], "{}", log.summary());
    let thread = client.thread_id().expect("the server assigned a thread");
    assert_eq!(log.handshakes(), [HandshakeOutcome::Complete { thread_id: Some(thread.clone()) }]);
    let names = log.event_names();
    assert_eq!(
        names.iter().take(3).collect::<Vec<_>>(),
        ["connection_established", "handshake_response", "handshake_complete"],
        "{}",
        log.summary()
    );

    run_golden_path(&client, &log, "Cut my GPU spend", 30.0).await;
    wait_for_logged("the run's cleanup", 10.0, Some(&log), || {
        log.event_names().iter().any(|name| name == "cleanup_complete")
    })
    .await;
    let names = log.event_names();
    for name in ["cleanup_started", "cleanup_duration_estimate", "cleanup_complete"] {
        assert!(names.iter().any(|n| n == name), "{name} missing: {}", log.summary());
    }
    assert!(
        log.agent_threads().iter().all(|t| t.as_deref() == Some(thread.as_str())),
        "every agent event is on the handshake thread: {:?}",
        log.agent_threads()
    );
    assert_eq!(log.flags(), [], "no flag without faults: {}", log.summary());
}

#[wasm_bindgen_test]
async fn a_message_sent_before_the_october_handshake_goes_out_after_the_acknowledgement() {
    let Some((client, log)) = connect_october("web-8") else { return };
    // Queued at once: the socket is not even open yet.
    client.send_user_message("Forecast next quarter's storage costs", None).unwrap();
    wait_for_logged("a finished run", 30.0, Some(&log), || log.completed_runs() == 1).await;
    let names = log.event_names();
    assert!(
        !names.iter().any(|name| name == "error"),
        "the server refused nothing (no HANDSHAKE_INCOMPLETE): {}",
        log.summary()
    );
    let thread = client.thread_id().expect("a thread");
    assert!(log.agent_threads().iter().all(|t| t.as_deref() == Some(thread.as_str())));
    assert_eq!(error_flags(&log), []);
}

#[wasm_bindgen_test]
async fn the_js_api_connects_in_the_env_style_and_exposes_the_thread() {
    let (Some(url), Some(token)) = (server("october"), token("web-9")) else { return };
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    js_sys::Reflect::set(&options, &"subprotocol".into(), &"env".into()).unwrap();
    js_sys::Reflect::set(&options, &"env".into(), &"development".into()).unwrap();
    let client = agentwire::js::connect(url, options.into()).expect("valid options");
    let outcomes = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = Rc::clone(&outcomes);
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(
        move |outcome: wasm_bindgen::JsValue| {
            let name = js_sys::Reflect::get(&outcome, &"outcome".into()).unwrap();
            sink.borrow_mut().push(name.as_string().unwrap_or_default());
        },
    );
    let _unsubscribe = call(&client, "onHandshake", &[listener.as_ref().clone()]);
    wait_for("the handshake thread", 10.0, || property(&client, "threadId").is_string()).await;
    wait_for("the handshake outcome", 5.0, || !outcomes.borrow().is_empty()).await;
    assert_eq!(*outcomes.borrow(), ["complete"]);
    call(&client, "close", &[]);
    drop(listener);
}

#[wasm_bindgen_test]
async fn the_js_api_refuses_a_mixed_or_unknown_auth_style() {
    for (options, needle) in [
        (r#"{"subprotocol":"env"}"#, "needs `env`"),
        (r#"{"env":"staging"}"#, "one auth style"),
        (r#"{"subprotocol":"env","env":"prod"}"#, "prod"),
        (r#"{"subprotocol":"bearer"}"#, "bearer"),
        (r#"{"handshake":"always"}"#, "always"),
        (r#"{"subprotocol":"env","env":"local","handshake":"auto"}"#, "always expects"),
    ] {
        let value = js_sys::JSON::parse(options).unwrap();
        let error = agentwire::js::connect("ws://127.0.0.1:9/ws", value)
            .err()
            .unwrap_or_else(|| panic!("{options} is refused"));
        let code = js_sys::Reflect::get(&error, &"code".into()).unwrap();
        assert_eq!(code.as_string().as_deref(), Some("invalid_options"), "{options}");
        let message = js_sys::Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap();
        assert!(message.contains(needle), "{options}: {message}");
    }
}

/// `connect()` options of the wrong type are refused with a message that names the option
/// (they are read one by one, with no JSON round trip that would turn `NaN` into `null`).
#[wasm_bindgen_test]
async fn the_js_api_names_an_option_of_the_wrong_type() {
    let nan = js_sys::Object::new();
    js_sys::Reflect::set(&nan, &"pingEveryMs".into(), &f64::NAN.into()).unwrap();
    let cases: Vec<(wasm_bindgen::JsValue, &str)> = vec![
        (js_sys::JSON::parse(r#"{"pingEveryMs":"5"}"#).unwrap(), "`pingEveryMs` must be a number"),
        (js_sys::JSON::parse(r#"{"pingEveryMs":-1}"#).unwrap(), "not -1"),
        (nan.into(), "`pingEveryMs` must be a number of milliseconds ≥ 0, not not finite"),
        (js_sys::JSON::parse(r#"{"queueLimit":1.5}"#).unwrap(), "`queueLimit` must be a whole"),
        (js_sys::JSON::parse(r#"{"threads":["a",1]}"#).unwrap(), "`threads` must be an array"),
        (js_sys::JSON::parse(r#"{"threads":"a"}"#).unwrap(), "`threads` must be an array"),
        (js_sys::JSON::parse(r#"{"resume":"yes"}"#).unwrap(), "`resume` must be true or false"),
        (js_sys::JSON::parse(r#"{"token":7}"#).unwrap(), "`token` must be a string"),
        (js_sys::JSON::parse(r#"{"reconnect":5}"#).unwrap(), "`reconnect` must be an object"),
        (
            js_sys::JSON::parse(r#"{"reconnect":{"maxAttempts":-2}}"#).unwrap(),
            "`reconnect`: `maxAttempts` must be a whole",
        ),
        (js_sys::JSON::parse(r#"{"reconnect":{"maxDelay":5}}"#).unwrap(), "maxDelay"),
        (js_sys::JSON::parse(r#"{"getToken":"abc"}"#).unwrap(), "`getToken` must be a function"),
        // With several errors, the first in the order options have always been checked: every
        // type, then the values, then the auth style.
        (
            js_sys::JSON::parse(r#"{"pingEveryMs":-1,"token":5}"#).unwrap(),
            "`token` must be a string",
        ),
        (js_sys::JSON::parse(r#"{"maxFrameBytes":1,"resume":0}"#).unwrap(), "`resume` must be"),
        (
            js_sys::JSON::parse(r#"{"reconnect":{"maxAttempts":-1,"firstDelayMs":"x"}}"#).unwrap(),
            "`firstDelayMs` must be a number",
        ),
        (
            js_sys::JSON::parse(r#"{"connectTimeoutMs":-1,"stallAfterMs":-1}"#).unwrap(),
            "`stallAfterMs` must be a number of milliseconds",
        ),
        (
            js_sys::JSON::parse(r#"{"readyAfterMs":-1,"maxFrameBytes":1}"#).unwrap(),
            "`readyAfterMs` must be",
        ),
        (
            js_sys::JSON::parse(r#"{"handshakeTimeoutMs":-1,"handshake":"x"}"#).unwrap(),
            "`handshake` is",
        ),
        (
            js_sys::JSON::parse(r#"{"subprotocol":"env","handshake":"auto"}"#).unwrap(),
            "always expects",
        ),
    ];
    for (options, needle) in cases {
        let shown = js_sys::JSON::stringify(&options).unwrap().as_string().unwrap_or_default();
        let error = agentwire::js::connect("ws://127.0.0.1:9/ws", options)
            .err()
            .unwrap_or_else(|| panic!("{shown} is refused"));
        let code = js_sys::Reflect::get(&error, &"code".into()).unwrap();
        assert_eq!(code.as_string().as_deref(), Some("invalid_options"), "{shown}");
        let message = js_sys::Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap();
        assert!(message.contains(needle), "{shown}: {message}");
    }
    let fine = js_sys::JSON::parse(
        r#"{"token":null,"threads":["a","b"],"queueLimit":3,"reconnect":{"maxAttempts":2},"resume":false}"#,
    )
    .unwrap();
    call(
        &agentwire::js::connect("ws://127.0.0.1:9/ws", fine).expect("valid options"),
        "close",
        &[],
    );
}

/// A listener that owns another subscription can be dropped: the inner subscription ends while
/// the outer one's list is replaced (that used to borrow the list twice and trap the module).
#[wasm_bindgen_test]
async fn a_subscription_that_owns_another_can_be_dropped() {
    let client = Client::connect("ws://127.0.0.1:9/ws", ClientOptions::default()).unwrap();
    let heard = std::rc::Rc::new(std::cell::Cell::new(0));
    let inner = client.on_state_change(|_| {});
    let outer = client.on_flag(move |_| {
        let _ = &inner;
    });
    drop(outer);
    // The client goes on: its listeners still hear it, and it closes.
    let counter = std::rc::Rc::clone(&heard);
    let _states = client.on_state_change(move |_| counter.set(counter.get() + 1));
    client.close();
    wait_for("the closed state", 5.0, || heard.get() > 0).await;
}

/// Every `connect()` option reaches the Rust client's settings (they are checked in JS, then
/// read from Rust by name: a misspelt name would silently leave its default), each with a value
/// no default has; and the options object's own exception is rethrown as it is.
#[wasm_bindgen_test]
async fn the_js_api_hands_every_option_to_the_client() {
    let options = js_sys::JSON::parse(
        r#"{"token":"t.o.k","threadId":"th-1","threads":["th-2","th-3"],"userId":"u-9",
            "reconnect":{"firstDelayMs":11,"maxDelayMs":12,"minDelayMs":13,"maxAttempts":14,
                         "resetAfterMs":15},
            "pingEveryMs":16,"deadAfterMs":17,"connectTimeoutMs":18,"readyAfterMs":19,
            "queueLimit":20,"maxFrameBytes":4097,"stallAfterMs":21,"resume":false,
            "deliverDuplicates":true,"subprotocol":"env","env":"staging","handshake":"expect",
            "handshakeTimeoutMs":22.5}"#,
    )
    .unwrap();
    let get_token = js_sys::Function::new_no_args("return 'fresh'");
    js_sys::Reflect::set(&options, &"getToken".into(), &get_token).unwrap();
    let websocket = js_sys::Reflect::get(&js_sys::global(), &"WebSocket".into()).unwrap();
    js_sys::Reflect::set(&options, &"WebSocket".into(), &websocket).unwrap();
    let client = agentwire::js::client_options(&options).expect("valid options");
    let ms = Duration::from_millis;
    let session = &client.session;
    assert_eq!(client.token.as_deref(), Some("t.o.k"));
    assert!(client.get_token.is_some());
    assert!(client.websocket.is_some());
    assert_eq!(client.auth, AuthStyle::env("staging").unwrap());
    assert_eq!(
        (session.backoff.first, session.backoff.cap, session.backoff.min_delay),
        (ms(11), ms(12), ms(13))
    );
    assert_eq!((session.backoff.max_attempts, session.backoff.reset_after), (Some(14), ms(15)));
    assert_eq!(
        (session.ping_every, session.dead_after, session.connect_timeout, session.ready_after),
        (ms(16), ms(17), ms(18), ms(19))
    );
    assert_eq!((session.queue_limit, session.max_frame_bytes), (20, 4097));
    assert_eq!(session.checker.stall_after, ms(21));
    assert_eq!(session.checker.user_id.as_deref(), Some("u-9"));
    assert_eq!((session.resume, session.deliver_duplicates), (false, true));
    assert_eq!(session.handshake, agentwire::HandshakeMode::Expect);
    assert_eq!(session.handshake_timeout, Duration::from_micros(22_500));
    let mut threads: Vec<_> = session.threads.iter().flatten().cloned().collect();
    threads.sort();
    assert_eq!(threads, ["th-1", "th-2", "th-3"]);

    // Absent options are the defaults; `filterThreads: false` keeps every thread.
    let defaults = agentwire::js::client_options(&wasm_bindgen::JsValue::UNDEFINED).unwrap();
    assert_eq!(defaults.session, agentwire::SessionConfig::default());
    assert_eq!((defaults.token, defaults.auth), (None, AuthStyle::default()));
    let unfiltered = js_sys::JSON::parse(r#"{"threadId":"a","filterThreads":false}"#).unwrap();
    assert_eq!(agentwire::js::client_options(&unfiltered).unwrap().session.threads, None);
    // An empty `threadId` is none, as an empty `token` or `userId` is: no filter.
    let empty = js_sys::JSON::parse(r#"{"threadId":"","token":"","userId":""}"#).unwrap();
    let empty = agentwire::js::client_options(&empty).unwrap();
    assert_eq!((empty.session.threads, empty.token), (None, None));
    assert_eq!(empty.session.checker.user_id, None);

    // The env style without `handshake`: `Auto` here; `Client::connect` expects it anyway.
    let env = js_sys::JSON::parse(r#"{"subprotocol":"env","env":"local"}"#).unwrap();
    let env = agentwire::js::client_options(&env).unwrap();
    assert_eq!(env.session.handshake, agentwire::HandshakeMode::Auto);
    assert_eq!(env.auth, AuthStyle::env("local").unwrap());

    let made = |source: &str| {
        js_sys::Function::new_no_args(source).call0(&wasm_bindgen::JsValue::UNDEFINED).unwrap()
    };
    // An object without a prototype is an options object like any other.
    let bare = made("const o = Object.create(null); o.queueLimit = 7; return o");
    assert_eq!(agentwire::js::client_options(&bare).unwrap().session.queue_limit, 7);
    // A hole in `threads` is not a string.
    let holes = made("return { threads: [, 'a'] }");
    let error = agentwire::js::client_options(&holes).err().unwrap();
    let message = js_sys::Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("`threads` must be an array of strings"), "{message}");

    // A getter that throws is the caller's own exception, not an `invalid_options` error,
    // whatever it throws.
    type Check = fn(&wasm_bindgen::JsValue) -> bool;
    let cases: [(&str, Check); 2] = [
        ("new RangeError('own')", |value| value.is_instance_of::<js_sys::RangeError>()),
        ("'own words'", |value| value.as_string().as_deref() == Some("own words")),
    ];
    for (thrown, is_it) in cases {
        let throwing = made(&format!(
            "return Object.defineProperty({{}}, 'token', {{ enumerable: true, get() {{ throw {thrown}; }} }})"
        ));
        let error = agentwire::js::connect("ws://127.0.0.1:9/ws", throwing).err().unwrap();
        assert!(is_it(&error), "{thrown}: {error:?}");
    }
}

/// A time option of any finite size is taken (the longest mean "never"): `1e30` ms used to
/// overflow `Duration` and trap the wasm module, and every client of the page with it. Each
/// client here fails to connect (nothing listens on port 9), so its reconnect delay is drawn
/// from the huge values too.
#[wasm_bindgen_test]
async fn the_js_api_takes_the_longest_finite_times_without_trapping() {
    let names = [
        "pingEveryMs",
        "deadAfterMs",
        "connectTimeoutMs",
        "readyAfterMs",
        "stallAfterMs",
        "handshakeTimeoutMs",
        "reconnect.firstDelayMs",
        "reconnect.maxDelayMs",
        "reconnect.minDelayMs",
        "reconnect.resetAfterMs",
    ];
    for value in [1e30, f64::MAX, 9_007_199_254_740_993.0] {
        for name in names {
            let options = js_sys::Object::new();
            let (target, key) = match name.split_once('.') {
                Some((outer, inner)) => {
                    let nested = js_sys::Object::new();
                    js_sys::Reflect::set(&options, &outer.into(), &nested).unwrap();
                    (nested, inner)
                }
                None => (options.clone(), name),
            };
            js_sys::Reflect::set(&target, &key.into(), &value.into()).unwrap();
            let client = agentwire::js::connect("ws://127.0.0.1:9/ws", options.into())
                .unwrap_or_else(|_| panic!("{name}: {value} is taken"));
            sleep_ms(30).await;
            call(&client, "close", &[]);
        }
    }
    // The module still works.
    let client = agentwire::js::connect("ws://127.0.0.1:9/ws", js_sys::Object::new().into());
    call(&client.expect("a client after the long times"), "close", &[]);
}

/// What a JS listener gets: a plain object with the typed fields, `wire_type`, `frame`, and
/// `raw`, the frame itself, parsed only when read, yet an ordinary enumerable property that
/// `JSON.stringify` and spreading see and that can be assigned.
#[wasm_bindgen_test]
async fn js_listeners_get_plain_events_whose_raw_frame_is_parsed_when_read() {
    let (Some(url), Some(token)) = (server("clean"), token("web-8")) else { return };
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    let client = agentwire::js::connect(url, options.into()).expect("valid options");
    let events = js_sys::Array::new();
    let sink = events.clone();
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(
        move |event: wasm_bindgen::JsValue| {
            sink.push(&event);
        },
    );
    let _unsubscribe = call(&client, "on", &["*".into(), listener.as_ref().clone()]);
    call(&client, "startAgent", &["Check the JS event objects".into()]);
    let get = |value: &wasm_bindgen::JsValue, key: &str| {
        js_sys::Reflect::get(value, &key.into()).unwrap()
    };
    let completed = || {
        events.iter().any(|event| {
            get(&event, "type").as_string().as_deref() == Some("agent_completed")
                && get(&event, "agent_name").as_string().as_deref() == Some("supervisor")
        })
    };
    wait_for("the supervisor's agent_completed", 20.0, completed).await;
    assert!(events.length() >= 6, "{} events", events.length());
    for event in events.iter() {
        let keys: Vec<String> = js_sys::Object::keys(event.unchecked_ref::<js_sys::Object>())
            .iter()
            .filter_map(|k| k.as_string())
            .collect();
        assert_eq!(keys.last().map(String::as_str), Some("raw"), "{keys:?}");
        assert!(keys.iter().any(|key| key == "frame") && keys.iter().any(|key| key == "wire_type"));
        // Not parsed yet: an accessor.
        let descriptor = js_sys::Object::get_own_property_descriptor(
            event.unchecked_ref::<js_sys::Object>(),
            &"raw".into(),
        );
        assert!(get(&descriptor, "get").is_function(), "raw is lazy");
        assert_eq!(get(&descriptor, "enumerable").as_bool(), Some(true));
        // JSON.stringify sees it (and reads it), like any other property.
        let text = js_sys::JSON::stringify(&event).unwrap().as_string().unwrap();
        let copy = js_sys::JSON::parse(&text).unwrap();
        let raw = get(&event, "raw");
        assert!(raw.is_object());
        assert_eq!(get(&raw, "type").as_string(), get(&event, "wire_type").as_string());
        assert_eq!(
            js_sys::JSON::stringify(&get(&copy, "raw")).unwrap().as_string(),
            js_sys::JSON::stringify(&raw).unwrap().as_string()
        );
        // Read once, it is a plain value property, the same object every time, and writable.
        let descriptor = js_sys::Object::get_own_property_descriptor(
            event.unchecked_ref::<js_sys::Object>(),
            &"raw".into(),
        );
        assert!(
            get(&descriptor, "value").is_object()
                && get(&descriptor, "writable").as_bool() == Some(true)
        );
        assert!(js_sys::Object::is(&get(&event, "raw"), &raw));
        js_sys::Reflect::set(&event, &"raw".into(), &"replaced".into()).unwrap();
        assert_eq!(get(&event, "raw").as_string().as_deref(), Some("replaced"));
    }
    // States and counters are plain objects too.
    assert_eq!(get(&property(&client, "state"), "state").as_string().as_deref(), Some("open"));
    let stats = property(&client, "stats");
    assert!(get(&stats, "frames").as_f64().unwrap_or_default() >= 6.0);
    assert!(get(&stats, "flags_by_rule").is_object());
    call(&client, "close", &[]);
    drop(listener);
}

/// An app that keeps only its listeners, not the `Client` object, keeps its connection: the
/// object is held while the connection is open, so garbage collection neither closes it nor
/// silences it (it used to, with no state change, no flag and no reconnect). Needs a browser
/// that lets a page force a collection (`gc`: Chromium with `--expose-gc`, see
/// sdk/webdriver.json); elsewhere it checks only that the run arrives.
#[wasm_bindgen_test]
async fn a_client_the_app_let_go_of_stays_connected_through_garbage_collection() {
    let (Some(url), Some(token)) = (server("clean"), token("web-6")) else { return };
    let names = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = Rc::clone(&names);
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(
        move |event: wasm_bindgen::JsValue| {
            let name = js_sys::Reflect::get(&event, &"type".into()).unwrap();
            let agent = js_sys::Reflect::get(&event, &"agent_name".into()).unwrap();
            sink.borrow_mut().push(format!(
                "{}/{}",
                name.as_string().unwrap_or_default(),
                agent.as_string().unwrap_or_default()
            ));
        },
    );
    {
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
        let client = agentwire::js::connect(url, options.into()).expect("valid options");
        call(&client, "on", &["*".into(), listener.as_ref().clone()]);
        call(&client, "startAgent", &["Forecast next quarter's storage costs".into()]);
        // The app keeps no reference to the client from here on.
    }
    let gc = js_sys::Reflect::get(&js_sys::global(), &"gc".into()).unwrap();
    let gc = gc.dyn_ref::<js_sys::Function>().cloned();
    for _ in 0..5 {
        if let Some(gc) = &gc {
            gc.call0(&wasm_bindgen::JsValue::UNDEFINED).unwrap();
        }
        // Finalizers run on later tasks.
        sleep_ms(100).await;
    }
    wait_for("the supervisor's agent_completed after collections", 20.0, || {
        names.borrow().iter().any(|name| name == "agent_completed/supervisor")
    })
    .await;
    drop(listener);
}

/// The API people expect from socket.io-client and partysocket: `once`, `off`, a `ready`
/// promise, and a `close()` whose promise settles when the connection is closed.
#[wasm_bindgen_test]
async fn the_js_api_has_once_off_ready_and_a_close_that_settles() {
    use wasm_bindgen_futures::JsFuture;
    let (Some(url), Some(token)) = (server("clean"), token("web-5")) else { return };
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    let client = agentwire::js::connect(url, options.into()).expect("valid options");
    let ready: js_sys::Promise = property(&client, "ready").dyn_into().unwrap();
    JsFuture::from(ready).await.expect("ready resolves once open");
    assert_eq!(property(&property(&client, "state"), "state").as_string().as_deref(), Some("open"));

    let counts = Rc::new(RefCell::new([0usize; 3]));
    let counter = |slot: usize| {
        let counts = Rc::clone(&counts);
        wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(move |_| {
            counts.borrow_mut()[slot] += 1;
        })
    };
    let (once, every, removed) = (counter(0), counter(1), counter(2));
    call(&client, "once", &["agent_started".into(), once.as_ref().clone()]);
    call(&client, "on", &["agent_started".into(), every.as_ref().clone()]);
    call(&client, "on", &["agent_started".into(), removed.as_ref().clone()]);
    call(&client, "on", &["agent_started".into(), removed.as_ref().clone()]);
    call(&client, "off", &["agent_started".into(), removed.as_ref().clone()]);
    let completed = Rc::new(RefCell::new(false));
    let done = Rc::clone(&completed);
    let supervisor = wasm_bindgen::closure::Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(
        move |event: wasm_bindgen::JsValue| {
            let agent = js_sys::Reflect::get(&event, &"agent_name".into()).unwrap();
            if agent.as_string().as_deref() == Some("supervisor") {
                *done.borrow_mut() = true;
            }
        },
    );
    call(&client, "on", &["agent_completed".into(), supervisor.as_ref().clone()]);
    call(&client, "startAgent", &["Cut my GPU spend by 30%".into()]);
    wait_for("the supervisor's agent_completed", 20.0, || *completed.borrow()).await;
    let [once_calls, every_calls, removed_calls] = *counts.borrow();
    assert_eq!(once_calls, 1, "once");
    assert!(every_calls >= 2, "a run has the supervisor's and a sub-agent's agent_started");
    assert_eq!(removed_calls, 0, "off removed both registrations");

    let closed: js_sys::Promise = call(&client, "close", &[]).dyn_into().unwrap();
    JsFuture::from(closed).await.expect("close settles");
    assert_eq!(
        property(&property(&client, "state"), "state").as_string().as_deref(),
        Some("closed")
    );
    let again: js_sys::Promise = call(&client, "close", &[]).dyn_into().unwrap();
    JsFuture::from(again).await.expect("closing a closed client settles at once");

    // A client that never opens: `ready` rejects with an AgentwireError `closed`.
    let options = js_sys::JSON::parse(r#"{"reconnect":{"maxAttempts":0}}"#).unwrap();
    let doomed = agentwire::js::connect("ws://127.0.0.1:9/ws", options).expect("valid options");
    let ready: js_sys::Promise = property(&doomed, "ready").dyn_into().unwrap();
    let error = JsFuture::from(ready).await.expect_err("ready rejects");
    assert!(agentwire::js::is_agentwire_error(&error), "{error:?}");
    assert_eq!(property(&error, "code").as_string().as_deref(), Some("closed"));
    drop((once, every, removed, supervisor));
}

/// `signal`: aborting an `AbortSignal` closes the client, an already aborted one closes it at
/// once, and anything else is refused as an option.
#[wasm_bindgen_test]
async fn an_abort_signal_closes_the_client() {
    use wasm_bindgen_futures::JsFuture;
    let (Some(url), Some(token)) = (server("clean"), token("web-4")) else { return };
    let make_controller = js_sys::Function::new_no_args("return new AbortController()");
    let controller = make_controller.call0(&wasm_bindgen::JsValue::UNDEFINED).unwrap();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    js_sys::Reflect::set(&options, &"signal".into(), &property(&controller, "signal")).unwrap();
    let client = agentwire::js::connect(url, options.into()).expect("valid options");
    let ready: js_sys::Promise = property(&client, "ready").dyn_into().unwrap();
    JsFuture::from(ready).await.expect("ready resolves once open");
    call(&controller, "abort", &[]);
    let state = || property(&property(&client, "state"), "state").as_string();
    wait_for("the aborted client to close", 5.0, || state().as_deref() == Some("closed")).await;
    let reason = property(&property(&client, "state"), "reason");
    assert_eq!(property(&reason, "kind").as_string().as_deref(), Some("client"));

    let aborted = make_controller.call0(&wasm_bindgen::JsValue::UNDEFINED).unwrap();
    call(&aborted, "abort", &[]);
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"signal".into(), &property(&aborted, "signal")).unwrap();
    let early =
        agentwire::js::connect("ws://127.0.0.1:9/ws", options.into()).expect("valid options");
    let early_state = || property(&property(&early, "state"), "state").as_string();
    wait_for("a client with an aborted signal to close", 5.0, || {
        early_state().as_deref() == Some("closed")
    })
    .await;

    let options = js_sys::JSON::parse(r#"{"signal":{"aborted":"no"}}"#).unwrap();
    let error = agentwire::js::connect("ws://127.0.0.1:9/ws", options).expect_err("refused");
    let message = property(&error, "message").as_string().unwrap_or_default();
    assert!(message.contains("`signal` must be an AbortSignal"), "{message}");
}
