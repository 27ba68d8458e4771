//! [`Client`]: the SDK's Rust API in the browser, and the driver that runs its [`Session`].

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context as TaskContext, Poll};

use futures::Stream;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use gloo_timers::callback::Timeout;

use super::clock;
use super::listener::{Counted, Listener, Resource};
use super::transport::{Socket, SocketEvent};
use crate::session::{
    Command, ConnectionState, HandshakeMode, SendError, Session, SessionConfig, SessionEvent,
};
use crate::token::AuthStyle;
use crate::{ClientMessage, Event, Flag, Stats, Timestamp, token};

/// Fetches a token for a connection attempt: called before the first attempt when no token
/// was given, and again when the server refuses the current one, with the [`TokenReply`] to
/// answer, at once or later. A source that awaits something spawns a task that answers, e.g.
/// with `wasm-bindgen-futures` (a dependency of the app, not of the SDK):
/// `Rc::new(|reply: TokenReply| spawn_local(async move { reply.send(fetch().await) }))`.
///
/// A callback rather than a function returning a future: the SDK then needs no executor of its
/// own (BENCHMARKS.md, "A lean data path, ninth step").
pub type TokenSource = Rc<dyn Fn(TokenReply)>;

/// The answer to one request of a [`TokenSource`], for the attempt that asked. An answer that
/// comes after the attempt was given up (its connect timeout, or `close`) is ignored; a reply
/// dropped unanswered leaves the attempt to its connect timeout. An answer given from inside a
/// call the client is making (a socket constructor, say) is taken once that call returns.
pub struct TokenReply {
    shared: Weak<Shared>,
    /// The attempt the token is for.
    generation: u64,
}

impl TokenReply {
    /// Answers with a token, or with why there is none: that text is shown in the auth error,
    /// so it must not contain the token.
    pub fn send(self, token: Result<String, String>) {
        if let Some(shared) = self.shared.upgrade() {
            shared.on_token(self.generation, token);
        }
    }
}

impl std::fmt::Debug for TokenReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenReply").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// How to connect.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The bearer token (a JWT), sent as a subprotocol in the `auth` style.
    pub token: Option<String>,
    /// How the token travels: `["jwt-auth", "jwt.<base64url(token)>"]` (the default), or the
    /// October 2025 manager's `["jwt.<env>.<token>"]`. With [`AuthStyle::Env`] every connection
    /// also expects the October handshake ([`crate::HandshakeMode::Expect`]).
    pub auth: AuthStyle,
    /// Where fresh tokens come from (see [`TokenSource`]).
    pub get_token: Option<TokenSource>,
    /// Reconnect, heartbeat, queue, thread filter and checker settings. When its checker has
    /// no user, the user is read from the token's `sub` claim.
    pub session: SessionConfig,
    /// The `WebSocket` constructor to open sockets with: `None` for the global one. A
    /// constructor of the browser's shape (`new C(url, protocols)`, `addEventListener`,
    /// `binaryType`, `send`, `close(code, reason)`), such as Node's `ws` package, for
    /// environments without a global `WebSocket` (Node before 22).
    pub websocket: Option<js_sys::Function>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ClientOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("get_token", &self.get_token.as_ref().map(|_| "<fn>"))
            .field("auth", &self.auth)
            .field("session", &self.session)
            .field("websocket", &self.websocket.as_ref().map(|_| "<constructor>"))
            .finish()
    }
}

/// Why [`Client::connect`] refused to start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a `ws://` or `wss://` URL.
    #[error("`{url}` is not a ws:// or wss:// URL")]
    InvalidUrl {
        /// The URL as given.
        url: String,
    },
    /// This environment has no global `WebSocket` (Node before 22), and no constructor was
    /// given in [`ClientOptions::websocket`].
    #[error(
        "this environment has no WebSocket (Node before 22?): pass a WebSocket constructor, such as the `ws` package's, in the options"
    )]
    NoWebSocket,
}

/// A typed, self-healing connection to the manager, with the live checker inside.
///
/// Dropping the client closes its socket (1000) and frees its timers and listeners.
pub struct Client {
    shared: Rc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("state", &self.state()).finish_non_exhaustive()
    }
}

type Subscriber = Rc<dyn Fn(&SessionEvent)>;

/// What [`Shared::forward_to_streams`] is, as a value.
type Forward = fn(&Shared, &SessionEvent);

struct Shared {
    core: RefCell<Core>,
    /// A snapshot, rebuilt on (un)subscribe, so dispatch clones one `Rc` per event.
    subscribers: RefCell<Rc<[(u64, Subscriber)]>>,
    next_subscriber: Cell<u64>,
    pending: RefCell<VecDeque<SessionEvent>>,
    /// Socket events that arrived while the core was borrowed (a socket that dispatches from
    /// inside `close()` or `send()`): handled by [`Shared::pump`] once the core is free.
    deferred: RefCell<VecDeque<(u64, SocketEvent)>>,
    dispatching: Cell<bool>,
    streams: RefCell<Vec<UnboundedSender<Event>>>,
    /// Feeds `streams`: set by the first [`Client::events`], so that a program which never
    /// asks for a stream (the npm package) links no code to copy events into one.
    forward: Cell<Option<Forward>>,
    received: ReceivedText,
}

/// The last text frame as the socket's JS string, with the index the session gave it: the JS
/// API hands it to the page for `raw` instead of copying the frame back out of wasm.
pub(crate) type ReceivedText = Rc<RefCell<Option<(u64, wasm_bindgen::JsValue)>>>;

/// A token the session asked for, fetched once the core's borrow has ended.
struct TokenFetch {
    /// The attempt the token is for.
    generation: u64,
    source: TokenSource,
}

struct Core {
    session: Session,
    url: String,
    token: Option<String>,
    get_token: Option<TokenSource>,
    auth: AuthStyle,
    /// The constructor sockets are made with (`None`: the global `WebSocket`).
    websocket: Option<js_sys::Function>,
    socket: Option<Socket>,
    /// Bumped for every attempt and every abandoned socket: late callbacks of an older
    /// attempt (a socket being closed, a token that arrives late) are ignored.
    generation: u64,
    timer: Option<(Timestamp, Timeout, Counted)>,
    page: Vec<Listener<web_sys::Event>>,
}

impl Client {
    /// Starts connecting to `url`. Events start flowing on the next turn of the event loop,
    /// so subscriptions made right after this call see everything, the first state included.
    ///
    /// # Errors
    /// [`ConnectError::InvalidUrl`] when `url` is not a `ws://` or `wss://` URL.
    pub fn connect(url: &str, options: ClientOptions) -> Result<Client, ConnectError> {
        let lower = url.trim().to_ascii_lowercase();
        if !(lower.starts_with("ws://") || lower.starts_with("wss://")) {
            // Without its query string, which could hold a credential.
            let url = url.split(['?', '#']).next().unwrap_or_default().to_owned();
            return Err(ConnectError::InvalidUrl { url });
        }
        let ClientOptions { token, get_token, auth, mut session, websocket } = options;
        if websocket.is_none() && !has_global_websocket() {
            // Loud at once: without it every attempt would fail, and the client retry forever.
            return Err(ConnectError::NoWebSocket);
        }
        session.refresh_token = session.refresh_token || get_token.is_some();
        if matches!(auth, AuthStyle::Env(_)) {
            session.handshake = HandshakeMode::Expect;
        }
        let mut session = Session::new(session, clock::seed());
        if let Some(sub) = token.as_deref().and_then(|token| token::claims(token).ok()?.sub) {
            session.learn_user(&sub);
        }
        let shared = Rc::new(Shared {
            core: RefCell::new(Core {
                session,
                url: url.trim().to_owned(),
                token,
                get_token,
                auth,
                websocket,
                socket: None,
                generation: 0,
                timer: None,
                page: Vec::new(),
            }),
            subscribers: RefCell::new(Rc::from(Vec::new())),
            next_subscriber: Cell::new(0),
            pending: RefCell::new(VecDeque::new()),
            deferred: RefCell::new(VecDeque::new()),
            dispatching: Cell::new(false),
            streams: RefCell::new(Vec::new()),
            forward: Cell::new(None),
            received: ReceivedText::default(),
        });
        shared.listen_to_page();
        // In a microtask: after the caller's subscriptions, before any socket event or timer.
        let weak = Rc::downgrade(&shared);
        in_microtask(move || {
            if let Some(shared) = weak.upgrade() {
                shared.start();
            }
        });
        Ok(Client { shared })
    }

    /// Sends a message, or queues it until the connection is ready.
    ///
    /// # Errors
    /// [`SendError::QueueFull`] when the queue is full, [`SendError::Closed`] after the end.
    pub fn send(&self, message: ClientMessage) -> Result<(), SendError> {
        let result = self.shared.core.borrow_mut().session.send(clock::now(), message);
        self.shared.pump();
        result
    }

    /// Sends a chat message (`user_message`).
    ///
    /// # Errors
    /// As [`Client::send`].
    pub fn send_user_message(&self, text: &str, thread_id: Option<&str>) -> Result<(), SendError> {
        self.send(ClientMessage::UserMessage {
            content: text.to_owned(),
            thread_id: thread_id.map(str::to_owned),
        })
    }

    /// Starts an agent on a request (`start_agent`).
    ///
    /// # Errors
    /// As [`Client::send`].
    pub fn start_agent(&self, request: &str, thread_id: Option<&str>) -> Result<(), SendError> {
        self.send(ClientMessage::StartAgent {
            user_request: request.to_owned(),
            thread_id: thread_id.map(str::to_owned),
        })
    }

    /// Closes the connection for good (1000). Listeners hear the final state.
    pub fn close(&self) {
        self.shared.core.borrow_mut().session.close();
        self.shared.pump();
    }

    /// The connection state.
    #[must_use]
    pub fn state(&self) -> ConnectionState {
        self.shared.core.borrow().session.state()
    }

    /// The counters (frames, reconnects, flags by rule, queue length, ...).
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.shared.core.borrow().session.stats()
    }

    /// The connection's user, as the checker knows it (token `sub`, or learned from a `pong`).
    #[must_use]
    pub fn user_id(&self) -> Option<String> {
        self.shared.core.borrow().session.checker().user_id().map(str::to_owned)
    }

    /// The thread the server assigned in its last handshake (October 2025 manager), which
    /// sends without a thread go to; `None` before any handshake.
    #[must_use]
    pub fn thread_id(&self) -> Option<String> {
        self.shared.core.borrow().session.thread_id().map(str::to_owned)
    }

    /// Calls `listener` with everything that happens, in order: events, flags, state changes,
    /// disconnects, resume and handshake outcomes.
    pub fn on_session_event(&self, listener: impl Fn(&SessionEvent) + 'static) -> Subscription {
        let id = self.shared.next_subscriber.get();
        self.shared.next_subscriber.set(id + 1);
        let mut subscribers = self.shared.subscribers.borrow_mut();
        let mut list: Vec<(u64, Subscriber)> = subscribers.iter().cloned().collect();
        list.push((id, Rc::new(listener)));
        *subscribers = Rc::from(list);
        Subscription { shared: Rc::downgrade(&self.shared), id: Some(id) }
    }

    /// Calls `listener` with every delivered event.
    pub fn on_event(&self, listener: impl Fn(&Event) + 'static) -> Subscription {
        self.on_session_event(move |event| {
            if let SessionEvent::Event { event, .. } = event {
                listener(event);
            }
        })
    }

    /// Calls `listener` with every flag the live checker raises.
    pub fn on_flag(&self, listener: impl Fn(&Flag) + 'static) -> Subscription {
        self.on_session_event(move |event| {
            if let SessionEvent::Flag(flag) = event {
                listener(flag);
            }
        })
    }

    /// Calls `listener` with every state change.
    pub fn on_state_change(&self, listener: impl Fn(&ConnectionState) + 'static) -> Subscription {
        self.on_session_event(move |event| {
            if let SessionEvent::State(state) = event {
                listener(state);
            }
        })
    }

    /// The delivered events as a `Stream`, from now on. It ends when the session ends.
    #[must_use]
    pub fn events(&self) -> EventStream {
        let (sender, receiver) = unbounded();
        if matches!(self.state(), ConnectionState::Closed { .. }) {
            drop(sender);
        } else {
            self.shared.streams.borrow_mut().push(sender);
            self.shared.forward.set(Some(Shared::forward_to_streams));
        }
        EventStream(receiver)
    }
}

impl Client {
    /// Where the last text frame's JS string is kept (see [`ReceivedText`]).
    #[cfg(feature = "js")]
    pub(crate) fn received_text(&self) -> ReceivedText {
        Rc::clone(&self.shared.received)
    }
}

#[cfg(feature = "bench")]
impl Client {
    /// Benchmarks only: handles `frame` (a JS string) exactly as a frame received on the
    /// current socket, from its `data` on.
    #[doc(hidden)]
    pub fn bench_receive(&self, frame: wasm_bindgen::JsValue) {
        if frame.is_string() {
            let (generation, limit) = {
                let core = self.shared.core.borrow();
                (core.generation, core.session.config().max_frame_bytes)
            };
            self.shared.on_socket(generation, super::transport::text_event(frame, limit));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

/// A listener registration. Dropping it unsubscribes; [`Subscription::detach`] keeps the
/// listener for the client's lifetime.
#[must_use = "dropping a Subscription unsubscribes its listener"]
#[derive(Debug)]
pub struct Subscription {
    shared: Weak<Shared>,
    id: Option<u64>,
}

impl Subscription {
    /// Keeps the listener for as long as the client lives.
    pub fn detach(mut self) {
        self.id = None;
    }

    /// Removes the listener now.
    pub fn unsubscribe(self) {
        drop(self);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let (Some(id), Some(shared)) = (self.id, self.shared.upgrade()) else { return };
        let list: Vec<(u64, Subscriber)> =
            shared.subscribers.borrow().iter().filter(|(other, _)| *other != id).cloned().collect();
        // The old list is dropped after the borrow ends: a listener it frees may own another
        // `Subscription`, whose drop borrows the list again.
        let old = shared.subscribers.replace(Rc::from(list));
        drop(old);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

/// The client's delivered events as a [`Stream`].
#[derive(Debug)]
pub struct EventStream(UnboundedReceiver<Event>);

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Event>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

impl Shared {
    /// Carries out the session's commands, reschedules the timer and hands the session's events
    /// to the listeners. Called after every input.
    fn pump(self: &Rc<Self>) {
        let mut fetches = Vec::new();
        {
            let mut core = self.core.borrow_mut();
            while let Some(command) = core.session.poll_command() {
                fetches.extend(self.execute(&mut core, command));
            }
            let mut pending = self.pending.borrow_mut();
            while let Some(event) = core.session.poll_event() {
                pending.push_back(event);
            }
            drop(pending);
            if matches!(core.session.state(), ConnectionState::Closed { .. }) {
                core.timer = None;
                core.page.clear();
            } else {
                self.schedule(&mut core);
            }
        }
        // The token source is the app's code, which may read the client (its state, its
        // stats): it runs with the core free.
        for fetch in fetches {
            self.fetch_token(fetch);
        }
        self.dispatch();
        // A socket event deferred while the core was borrowed, now that it is free (its own
        // pump takes the next one).
        let deferred = self.deferred.borrow_mut().pop_front();
        if let Some((generation, event)) = deferred {
            self.on_socket(generation, event);
        }
    }

    /// Carries out one command; a token fetch is handed back to run once the core is free.
    #[must_use]
    fn execute(self: &Rc<Self>, core: &mut Core, command: Command) -> Option<TokenFetch> {
        match command {
            Command::Connect { fresh_token } => {
                core.socket = None;
                core.generation += 1;
                let generation = core.generation;
                match core.get_token.clone() {
                    Some(source) if fresh_token || core.token.is_none() => {
                        return Some(TokenFetch { generation, source });
                    }
                    _ => self.open_socket(core, generation),
                }
            }
            Command::Send(text) => {
                if let Some(socket) = &core.socket {
                    // A refused send (the socket is closing) surfaces as the close that follows.
                    let _ = socket.send(&text);
                }
            }
            Command::Close { code, reason } => {
                core.generation += 1;
                if let Some(socket) = core.socket.take() {
                    socket.close(code, reason);
                }
            }
        }
        None
    }

    /// The first attempt (none once the client is closed: the session starts only from idle).
    fn start(self: &Rc<Self>) {
        self.core.borrow_mut().session.connect(clock::now());
        self.pump();
    }

    /// Asks the token source for a token for attempt `generation`; never called with the core
    /// borrowed (an answer given at once goes on with the attempt from here).
    fn fetch_token(self: &Rc<Self>, TokenFetch { generation, source }: TokenFetch) {
        source(TokenReply { shared: Rc::downgrade(self), generation });
    }

    fn open_socket(self: &Rc<Self>, core: &mut Core, generation: u64) {
        let protocols: Vec<String> =
            core.token.as_deref().map(|token| core.auth.subprotocols(token)).unwrap_or_default();
        let weak = Rc::downgrade(self);
        let on_event = move |event: SocketEvent| {
            if let Some(shared) = weak.upgrade() {
                shared.on_socket(generation, event);
            }
        };
        let max_frame = core.session.config().max_frame_bytes;
        match Socket::open(core.websocket.as_ref(), &core.url, &protocols, max_frame, on_event) {
            Ok(socket) => core.socket = Some(socket),
            // The browser refused to create the socket: a failed attempt like any other.
            Err(_) => core.session.handle_close(clock::now(), 1006, "", false),
        }
    }

    fn on_token(self: &Rc<Self>, generation: u64, token: Result<String, String>) {
        {
            let Ok(mut core) = self.core.try_borrow_mut() else {
                // Answered from inside a call this client is making (a socket constructor that
                // asks for a token, say): taken once that call has returned.
                let weak = Rc::downgrade(self);
                in_microtask(move || {
                    if let Some(shared) = weak.upgrade() {
                        shared.on_token(generation, token);
                    }
                });
                return;
            };
            if core.generation != generation {
                return;
            }
            match token {
                Ok(token) => {
                    if let Some(sub) = token::claims(&token).ok().and_then(|claims| claims.sub) {
                        core.session.learn_user(&sub);
                    }
                    core.token = Some(token);
                    self.open_socket(&mut core, generation);
                }
                Err(message) => core.session.handle_token_error(clock::now(), &message),
            }
        }
        self.pump();
    }

    fn on_socket(self: &Rc<Self>, generation: u64, event: SocketEvent) {
        {
            let Ok(mut core) = self.core.try_borrow_mut() else {
                // Dispatched from inside a call this client made on the socket.
                self.deferred.borrow_mut().push_back((generation, event));
                return;
            };
            if core.generation != generation {
                return;
            }
            let now = clock::now();
            match event {
                SocketEvent::Open => core.session.handle_open(now),
                SocketEvent::Text(text, js) => {
                    *self.received.borrow_mut() = Some((core.session.next_frame(), js));
                    core.session.handle_owned_text(now, text);
                }
                SocketEvent::Binary(bytes) => core.session.handle_binary(now, &bytes),
                SocketEvent::TooLong(length) => core.session.handle_too_long(now, length),
                SocketEvent::Close { code, reason, was_clean } => {
                    core.socket = None;
                    core.session.handle_close(now, code, &reason, was_clean);
                }
            }
        }
        self.pump();
    }

    fn on_timer(self: &Rc<Self>) {
        {
            let mut core = self.core.borrow_mut();
            core.timer = None;
            core.session.handle_timeout(clock::now());
        }
        self.pump();
    }

    fn on_wake(self: &Rc<Self>) {
        self.core.borrow_mut().session.handle_wake(clock::now());
        self.pump();
    }

    /// Sets the one timer to the session's next deadline (unless it is already set for it).
    fn schedule(self: &Rc<Self>, core: &mut Core) {
        let Some(deadline) = core.session.poll_timeout() else {
            core.timer = None;
            return;
        };
        if core.timer.as_ref().is_some_and(|(at, _, _)| *at == deadline) {
            return;
        }
        let wait_micros = deadline.micros_since(clock::now()).max(0);
        // Browsers run a timer longer than 2³¹−1 ms at once; a long wait is split instead.
        let millis =
            u32::try_from((wait_micros + 999) / 1_000).unwrap_or(u32::MAX).min(i32::MAX as u32);
        let weak = Rc::downgrade(self);
        let timeout = Timeout::new(millis, move || {
            if let Some(shared) = weak.upgrade() {
                shared.on_timer();
            }
        });
        core.timer = Some((deadline, timeout, Counted::new(Resource::Timer)));
    }

    /// Cuts long backoff waits short and probes quiet connections when the network or the page
    /// comes back.
    fn listen_to_page(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        let mut page = Vec::new();
        for (target, kind) in
            [(window.as_ref(), "online"), (window.as_ref(), "pageshow")].into_iter().chain(
                window.document().as_ref().map(|document| (document.as_ref(), "visibilitychange")),
            )
        {
            let target: &web_sys::EventTarget = target;
            let weak = Rc::downgrade(self);
            let listener = Listener::new(target, kind, move |_: web_sys::Event| {
                // `visibilitychange` also fires when the page is hidden: only coming back counts.
                let visible = kind != "visibilitychange"
                    || web_sys::window().and_then(|window| window.document()).is_none_or(
                        |document| document.visibility_state() == web_sys::VisibilityState::Visible,
                    );
                if let (true, Some(shared)) = (visible, weak.upgrade()) {
                    shared.on_wake();
                }
            });
            page.extend(listener);
        }
        self.core.borrow_mut().page = page;
    }

    fn dispatch(self: &Rc<Self>) {
        if self.dispatching.replace(true) {
            // A listener caused more events: the outer loop delivers them, in order.
            return;
        }
        loop {
            let Some(event) = self.pending.borrow_mut().pop_front() else { break };
            let subscribers = Rc::clone(&self.subscribers.borrow());
            for (_, subscriber) in subscribers.iter() {
                subscriber(&event);
            }
            if let Some(forward) = self.forward.get() {
                forward(self, &event);
            }
        }
        self.dispatching.set(false);
    }

    /// Hands a delivered event to every open [`EventStream`]; ends them when the session ends.
    fn forward_to_streams(&self, event: &SessionEvent) {
        match event {
            SessionEvent::Event { event, .. } => {
                self.streams
                    .borrow_mut()
                    .retain(|stream| stream.unbounded_send((**event).clone()).is_ok());
            }
            SessionEvent::State(ConnectionState::Closed { .. }) => {
                self.streams.borrow_mut().clear()
            }
            _ => {}
        }
    }

    /// Frees everything: the socket (closed with 1000), the timer, the page listeners, and the
    /// streams. Listeners are not called: the client is gone.
    fn shutdown(&self) {
        let mut core = self.core.borrow_mut();
        core.generation += 1;
        core.session.close();
        while core.session.poll_command().is_some() {}
        if let Some(socket) = core.socket.take() {
            socket.close(1000, "client dropped");
        }
        core.timer = None;
        core.page.clear();
        self.streams.borrow_mut().clear();
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `queueMicrotask` (every browser; Node from 11).
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &wasm_bindgen::JsValue);
}

/// Runs `task` in a microtask: once the running script returns, before any event or timer.
/// `queueMicrotask` rather than a task of wasm-bindgen-futures: the package then needs no
/// executor (with the token source as a callback, 1.6 KB less of its gzip; BENCHMARKS.md, "A
/// lean data path, ninth step").
fn in_microtask(task: impl FnOnce() + 'static) {
    queue_microtask(&wasm_bindgen::closure::Closure::once_into_js(task));
}

/// Whether the global object has a `WebSocket` (every browser; Node from 22).
fn has_global_websocket() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &wasm_bindgen::JsValue::from_str("WebSocket"))
        .is_ok_and(|constructor| constructor.is_function())
}
