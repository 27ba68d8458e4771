//! The inspector page in a real browser: the App mounted into the document, fed scripted
//! session events (from the SDK's own sans-IO `Session`, as a live client would feed it) and
//! files, and judged by what the DOM shows.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::time::Duration;

use agentwire::{Session, SessionConfig, Timestamp};
use agentwire_inspector::settings::{ManualUser, Settings};
use agentwire_inspector::store::{Sink, Store};
use agentwire_inspector::{Action, App, AppProps};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const START: i64 = 1_758_207_374_000_000;

/// Long enough for the 100 ms refresh and a Yew render.
async fn settle() {
    gloo_timers::future::sleep(Duration::from_millis(260)).await;
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts the page with no connections (no demo users, an unreachable URL) and a store the
/// test feeds.
fn mount() -> (Element, Sink) {
    mount_with(Vec::new())
}

/// Mounts the page with these users added by hand (their clients try an unreachable URL).
fn mount_with(users: Vec<ManualUser>) -> (Element, Sink) {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let store = Store::default();
    let sink = store.sink();
    let settings = Settings {
        url: "ws://127.0.0.1:9/ws".to_owned(),
        demo_users: false,
        users,
        ..Settings::default()
    };
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps { settings: Some(settings), store: Some(store) },
    )
    .render();
    (root, sink)
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn texts(root: &Element, selector: &str) -> Vec<String> {
    all(root, selector).iter().map(|e| e.text_content().unwrap_or_default()).collect()
}

/// A sans-IO session for `user`, as the SDK client runs it, on a scripted clock: every frame
/// goes through decode, the live checker and the session, and what comes out is fed to the
/// page exactly as the client's subscription does.
struct Scripted {
    session: Session,
    user: String,
    now: Timestamp,
    sink: Sink,
}

impl Scripted {
    fn open(sink: &Sink, user: &str) -> Self {
        let mut config = SessionConfig { deliver_duplicates: true, ..SessionConfig::default() };
        config.checker.user_id = Some(user.to_owned());
        let mut scripted = Scripted {
            session: Session::new(config, 1),
            user: user.to_owned(),
            now: Timestamp::from_unix_micros(START),
            sink: sink.clone(),
        };
        scripted.session.connect(scripted.now);
        scripted.session.handle_open(scripted.now);
        scripted.drain();
        scripted
    }

    fn frame(&mut self, frame: Value) {
        self.now = self.now.add_micros(150_000);
        self.session.handle_text(self.now, &frame.to_string());
        self.drain();
    }

    fn drain(&mut self) {
        while self.session.poll_command().is_some() {}
        while let Some(event) = self.session.poll_event() {
            self.sink.apply(Action::Session { user: self.user.clone(), at: self.now, event });
        }
    }
}

fn event(kind: &str, user: &str, run: &str, extra: Value) -> Value {
    let mut frame = json!({"type": kind, "user_id": user, "thread_id": "t1", "run_id": run, "agent_name": "supervisor"});
    for (key, value) in extra.as_object().unwrap() {
        frame[key] = value.clone();
    }
    frame
}

fn golden_run(client: &mut Scripted, user: &str, run: &str) {
    client.frame(event("agent_started", user, run, json!({})));
    client.frame(event("agent_thinking", user, run, json!({"reasoning": "Reading the invoices"})));
    client.frame(event("tool_executing", user, run, json!({"tool_name": "cost_analyzer"})));
    client.frame(event(
        "tool_completed",
        user,
        run,
        json!({"tool_name": "cost_analyzer", "result": {"ok": true}}),
    ));
    client.frame(event("agent_completed", user, run, json!({"result": {"answer": "42"}})));
}

#[wasm_bindgen_test]
async fn scripted_sessions_show_lanes_runs_and_flags_with_the_cross_user_lane_first() {
    let (root, sink) = mount();
    let mut alice = Scripted::open(&sink, "alice");
    golden_run(&mut alice, "alice", "run-a1");
    let mut bob = Scripted::open(&sink, "bob");
    golden_run(&mut bob, "bob", "run-b1");
    // Bob receives one of alice's events.
    bob.frame(event("agent_thinking", "alice", "run-a1", json!({"reasoning": "leaked"})));
    settle().await;

    let lanes = all(&root, ".lane");
    assert_eq!(lanes.len(), 2);
    assert_eq!(
        lanes[0].get_attribute("data-user").as_deref(),
        Some("bob"),
        "the cross-user lane comes first"
    );
    assert!(lanes[0].get_attribute("class").unwrap().split(' ').any(|c| c == "cross"));
    assert!(lanes[0].text_content().unwrap().contains("received another user's events"));
    assert!(!lanes[1].get_attribute("class").unwrap().split(' ').any(|c| c == "cross"));
    assert!(lanes[1].text_content().unwrap().contains("open"), "{:?}", lanes[1].text_content());

    // The first lane is selected: its run timeline shows the execution and the tool call.
    let runs = texts(&root, ".run .run-id");
    assert!(runs.contains(&"run-b1".to_owned()), "{runs:?}");
    assert!(texts(&root, ".bar.exec").iter().any(|t| t.starts_with("supervisor")));
    assert!(texts(&root, ".bar.tool").iter().any(|t| t.starts_with("cost_analyzer")));

    let rules = texts(&root, ".frow .rule");
    assert!(rules.contains(&"cross-user-event".to_owned()), "{rules:?}");
    assert_eq!(all(&root, ".stream .srow:not(.shead)").len(), 11, "every frame has a row");
}

#[wasm_bindgen_test]
async fn search_and_type_filters_narrow_the_stream_and_reset_restores_it() {
    let (root, sink) = mount();
    let mut alice = Scripted::open(&sink, "alice");
    golden_run(&mut alice, "alice", "run-a1");
    golden_run(&mut alice, "alice", "run-a2");
    settle().await;
    let rows = |root: &Element| all(root, ".stream .srow:not(.shead)").len();
    assert_eq!(rows(&root), 10);

    let search: HtmlInputElement =
        root.query_selector("#search").unwrap().unwrap().dyn_into().unwrap();
    search.set_value("run-a2");
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    search
        .dispatch_event(&web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    settle().await;
    assert_eq!(rows(&root), 5, "only run-a2's frames");

    let select: web_sys::HtmlSelectElement = root
        .query_selector("select[aria-label='Event type']")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("tool_executing");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    select
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    settle().await;
    assert_eq!(texts(&root, ".stream .srow:not(.shead) .c-type"), ["tool_executing"]);

    let reset = all(&root, ".filters button")
        .into_iter()
        .find(|b| b.text_content().unwrap() == "clear filters")
        .unwrap();
    reset.dyn_into::<HtmlElement>().unwrap().click();
    settle().await;
    assert_eq!(rows(&root), 10);
}

fn press(key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    document()
        .body()
        .unwrap()
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
}

#[wasm_bindgen_test]
async fn space_pauses_capture_keeping_and_counting_frames_until_resumed() {
    let (root, sink) = mount();
    let mut alice = Scripted::open(&sink, "alice");
    golden_run(&mut alice, "alice", "run-a1");
    settle().await;
    press(" ");
    settle().await;
    golden_run(&mut alice, "alice", "run-a2");
    settle().await;
    let rows = |root: &Element| all(root, ".stream .srow:not(.shead)").len();
    assert_eq!(rows(&root), 5, "frames after the pause are not shown");
    let button = texts(&root, "button.primary");
    assert_eq!(button, ["Resume (5 held)"]);
    assert!(
        root.text_content()
            .unwrap()
            .contains("Paused: 5 frames received since, kept and not shown")
    );
    assert!(texts(&root, ".lane").iter().any(|t| t.contains("10 frames")), "lanes stay live");

    press(" ");
    settle().await;
    assert_eq!(rows(&root), 10, "resuming shows what was held");
    assert_eq!(texts(&root, "button.primary"), ["Pause"]);
}

#[wasm_bindgen_test]
async fn slash_focuses_the_search_field_and_typed_slashes_stay_in_it() {
    let (root, _sink) = mount();
    settle().await;
    press("/");
    settle().await;
    // Other tests' pages may still be mounted: the page focuses the document's `#search`.
    let active = document().active_element().expect("a focused element");
    assert_eq!(active.id(), "search", "`/` focuses the search");
    let search = root.query_selector(".search").unwrap().expect("the search field");
    // A second press goes to the field (a key typed into a field is the field's).
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("/");
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    search.dispatch_event(&event).unwrap();
    assert!(!event.default_prevented(), "the field keeps its `/`");
}

/// Imports a file through the page's own file input, as a user picking the file would.
async fn import_file(root: &Element, name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let file = web_sys::File::new_with_str_sequence(&parts, name).unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    let input: HtmlInputElement =
        root.query_selector("input[type=file]").unwrap().unwrap().dyn_into().unwrap();
    input.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    settle().await;
    settle().await;
}

#[wasm_bindgen_test]
async fn a_recording_broken_half_way_is_imported_up_to_the_line_that_broke() {
    let (root, _sink) = mount();
    settle().await;
    let broken = include_str!("../../cli/tests/fixtures/corrupt_line.recording.jsonl");
    import_file(&root, "corrupt_line.recording.jsonl", broken).await;
    let notices = texts(&root, ".notice").join(" | ");
    assert!(notices.contains("became unreadable at line 5"), "{notices}");
    assert!(notices.contains("The 3 records before it were checked"), "{notices}");
    assert!(notices.contains("flags the rest would have raised are unknown"), "{notices}");
    assert_eq!(all(&root, ".lane").len(), 1, "the lane keeps what was checked");
    assert_eq!(all(&root, ".stream .srow:not(.shead)").len(), 1, "the frame before the break");
}

#[wasm_bindgen_test]
async fn an_imported_recording_shows_the_flags_agentwire_check_reports() {
    let (root, _sink) = mount();
    settle().await;
    let recording = include_str!("../../cli/tests/fixtures/faulty_run.recording.jsonl");
    let golden: Value =
        serde_json::from_str(include_str!("fixtures/faulty_run.check.json")).unwrap();

    import_file(&root, "faulty_run.recording.jsonl", recording).await;

    let shown: Vec<(String, String)> = all(&root, ".frow")
        .iter()
        .map(|row| {
            let rule = row.query_selector(".rule").unwrap().unwrap().text_content().unwrap();
            let message = row.query_selector(".frow-msg").unwrap().unwrap().text_content().unwrap();
            (rule, message)
        })
        .collect();
    let expected: Vec<(String, String)> = golden["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|flag| {
            (
                flag["rule"].as_str().unwrap().to_owned(),
                flag["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(shown, expected);
    let lanes = all(&root, ".lane");
    assert_eq!(lanes.len(), 1);
    assert!(lanes[0].text_content().unwrap().contains("imported"));
}

#[wasm_bindgen_test]
async fn hostile_strings_in_frames_render_as_text_and_run_nothing() {
    let (root, sink) = mount();
    let mut mallory = Scripted::open(&sink, "<img src=x onerror=\"window.__pwned=1\">");
    let script = "<script>window.__pwned=2</script>";
    let image = "<img src=x onerror=\"window.__pwned=3\">";
    mallory.frame(json!({"type": "agent_started", "user_id": "<img src=x onerror=\"window.__pwned=1\">", "run_id": image, "agent_name": script}));
    mallory.frame(json!({"type": script, "run_id": image, "reasoning": image}));
    mallory.frame(json!({"type": "agent_thinking", "run_id": image, "agent_name": script, "reasoning": script}));
    settle().await;
    // Open the first frame's detail (raw JSON and decoded fields) too.
    all(&root, ".stream .srow:not(.shead)")[0].clone().dyn_into::<HtmlElement>().unwrap().click();
    settle().await;

    assert!(all(&root, "img").is_empty(), "no element was created from a frame");
    assert!(all(&root, "script").is_empty());
    let pwned = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__pwned".into()).unwrap();
    assert!(pwned.is_undefined(), "a handler ran: {pwned:?}");
    let text = root.text_content().unwrap();
    assert!(text.contains("<script>window.__pwned=2</script>"), "shown as text");
    assert!(text.contains("<img src=x onerror="), "shown as text");
}

#[wasm_bindgen_test]
async fn a_user_removed_from_the_connection_panel_shows_as_closed_not_open() {
    // header {"alg":"HS256","typ":"JWT"}, payload {"sub":"user-7"}: the client only reads it.
    let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2ln";
    let (root, _sink) = mount_with(vec![ManualUser {
        user_id: "user-7".to_owned(),
        token: Some(token.to_owned()),
    }]);
    settle().await;
    settle().await;
    let lane = |root: &Element| texts(root, ".lane[data-user='user-7'] .conn");
    let before = lane(&root);
    assert_eq!(before.len(), 1, "one lane for the user's client");
    assert!(
        before[0].starts_with("connecting") || before[0].starts_with("backing off"),
        "{before:?}"
    );

    let remove = all(&root, ".manual-users button").pop().expect("a remove button");
    remove.dyn_into::<HtmlElement>().unwrap().click();
    settle().await;
    assert_eq!(lane(&root), ["closed"]);
}

#[wasm_bindgen_test]
async fn a_huge_frame_opens_with_a_bounded_tree_and_counts_what_it_leaves_out() {
    let (root, sink) = mount();
    let mut alice = Scripted::open(&sink, "alice");
    let items: Vec<u32> = (0..50_000).collect();
    let long = "x".repeat(1_000_000);
    alice.frame(event("agent_started", "alice", "run-big", json!({})));
    alice.frame(event(
        "tool_completed",
        "alice",
        "run-big",
        json!({"tool_name": "dump", "results": items, "note": long}),
    ));
    settle().await;
    let rows = all(&root, ".stream .srow:not(.shead)");
    rows[1].clone().dyn_into::<HtmlElement>().unwrap().click();
    settle().await;

    let detail = root.query_selector(".detail").unwrap().expect("the detail opened");
    let nodes = detail.query_selector_all("*").unwrap().length();
    assert!(nodes < 3_000, "{nodes} elements for a 50,000-item frame");
    let text = detail.text_content().unwrap();
    assert!(text.contains("… 49800 more"), "the rest of the array is counted");
    assert!(text.contains("(996000 more characters)"), "the rest of the string is counted");
}

#[wasm_bindgen_test]
async fn a_taller_list_after_a_resize_fills_with_rows_without_a_scroll() {
    let (root, sink) = mount();
    let mut alice = Scripted::open(&sink, "alice");
    for run in 0..30 {
        golden_run(&mut alice, "alice", &format!("run-{run}"));
    }
    settle().await;
    // The list follows the tail; make it short, then tall, as a window resize would.
    let list: HtmlElement =
        root.query_selector(".stream-list").unwrap().unwrap().dyn_into().unwrap();
    list.style().set_property("flex", "none").unwrap();
    list.style().set_property("height", "120px").unwrap();
    web_sys::window().unwrap().dispatch_event(&web_sys::Event::new("resize").unwrap()).unwrap();
    settle().await;
    let short = all(&root, ".stream .srow:not(.shead)").len();
    list.style().set_property("height", "2000px").unwrap();
    web_sys::window().unwrap().dispatch_event(&web_sys::Event::new("resize").unwrap()).unwrap();
    settle().await;
    let tall = all(&root, ".stream .srow:not(.shead)").len();
    assert!(short < 30, "a 120 px list renders few rows: {short}");
    assert!(tall >= 2000 / 24 - 1, "a 2,000 px list renders enough rows to fill it: {tall}");
}

#[wasm_bindgen_test]
async fn the_rules_dialog_lists_every_rule_with_its_severity_scope_and_description_and_escape_closes_it()
 {
    let (root, _sink) = mount();
    settle().await;
    let rules_button = all(&root, "header button")
        .into_iter()
        .find(|button| button.text_content().as_deref() == Some("Rules"))
        .unwrap();
    rules_button.dyn_into::<HtmlElement>().unwrap().click();
    settle().await;
    let articles = all(&root, ".dialog .rule-doc");
    assert_eq!(articles.len(), agentwire::Rule::ALL.len());
    for (article, rule) in articles.iter().zip(agentwire::Rule::ALL) {
        let text = |selector: &str| {
            article.query_selector(selector).unwrap().unwrap().text_content().unwrap()
        };
        assert_eq!(text("code"), rule.id());
        assert_eq!(text(".sev-badge"), rule.severity().as_str());
        assert_eq!(text(".rule-scope"), format!("per {}", rule.scope().as_str()));
        assert_eq!(text("p"), rule.description());
    }
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let escape =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    document().dispatch_event(&escape).unwrap();
    settle().await;
    assert!(all(&root, ".dialog").is_empty(), "Escape closed the dialog");
}

/// How many rows [`ManyRows`] shows.
#[derive(yew::Properties, PartialEq)]
struct ManyRowsProps {
    len: usize,
}

/// Numbered 24 px rows in a `VirtualList` 600 px tall, styled by the page's own CSS.
#[yew::function_component(ManyRows)]
fn many_rows(props: &ManyRowsProps) -> yew::Html {
    let render = yew::Callback::from(|rows: std::ops::Range<usize>| {
        rows.map(|index| yew::html! { <div class="numbered" style="height:24px">{ index }</div> })
            .collect::<yew::Html>()
    });
    yew::html! {
        <div style="display:flex;flex-direction:column;height:600px">
            <agentwire_inspector::components::virtual_list::VirtualList
                len={props.len} row_height={24} {render} generation={props.len as u64} />
        </div>
    }
}

/// The rendered row showing `index`, and its top and bottom relative to the list's view.
fn row_in_view(root: &Element, index: usize) -> Option<(f64, f64)> {
    let list = root.query_selector(".vlist").unwrap().unwrap().get_bounding_client_rect();
    all(root, ".numbered").into_iter().find_map(|row| {
        (row.text_content()? == index.to_string()).then(|| {
            let rect = row.get_bounding_client_rect();
            (rect.top() - list.top(), rect.bottom() - list.top())
        })
    })
}

#[wasm_bindgen_test]
async fn a_list_taller_than_a_browser_allows_still_scrolls_to_its_first_and_last_rows() {
    // 48 million pixels of rows: past Firefox's element height cap (about 17.9 million) and
    // Chromium's (about 33.5 million), where the tail used to be out of reach.
    /// Removes what the test added to the page, even when an assertion fails: the page's
    /// stylesheet would otherwise style every later test.
    struct Added(Vec<Element>);
    impl Drop for Added {
        fn drop(&mut self) {
            self.0.iter().for_each(Element::remove);
        }
    }
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(include_str!("../../www/inspector.css")));
    document().head().unwrap().append_child(&style).unwrap();
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let _added = Added(vec![style, root.clone()]);
    let mut app = yew::Renderer::<ManyRows>::with_root_and_props(
        root.clone(),
        ManyRowsProps { len: 2_000_000 },
    )
    .render();
    settle().await;
    let list: HtmlElement = root.query_selector(".vlist").unwrap().unwrap().dyn_into().unwrap();
    let scroll_to = |top: i32| {
        list.set_scroll_top(top);
        list.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    };
    // A new list follows its tail: the last row sits at the bottom of the view.
    let (_, bottom) = row_in_view(&root, 1_999_999).expect("the last row is rendered at the end");
    assert!((bottom - 600.0).abs() <= 1.5, "the last row ends the view: {bottom}");
    scroll_to(0);
    settle().await;
    let (top, _) = row_in_view(&root, 0).expect("the first row is rendered at the top");
    assert!(top.abs() <= 1.5, "the first row starts the view: {top}");
    // Half way down the scroll range is half way through the rows.
    scroll_to((list.scroll_height() - list.client_height()) / 2);
    settle().await;
    let middle =
        (1_000_000 - 12..1_000_000 + 12).find(|index| row_in_view(&root, *index).is_some());
    assert!(middle.is_some(), "rows around the millionth are rendered half way down");
    let (top, _) = row_in_view(&root, middle.unwrap()).unwrap();
    assert!((-24.0..=600.0).contains(&top), "and in view: {top}");
    // Scrolled up, the view stays on its rows while more arrive (each scroll pixel now stands
    // for more rows: the same position would have slid about 500 rows down).
    let first = middle.unwrap();
    app.update(ManyRowsProps { len: 2_001_000 });
    settle().await;
    let (after, _) = row_in_view(&root, first).expect("the same rows are still rendered");
    assert!((after - top).abs() <= 24.0, "row {first} moved from {top} to {after}");
}
