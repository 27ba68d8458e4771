//! The JavaScript API of the npm package `agentwire` (wasm32 only): `connect()` and `Client`.
//!
//! A thin layer over the Rust [`Client`]: options and messages are read from JS objects
//! (camelCase, like any JS API; the options are checked in JS, by `options.js`), events reach
//! listeners as plain objects with the wire's snake_case field names (exactly what the manager
//! sent, so nothing is renamed between the protocol documentation and the code), and every
//! failure a caller can branch on is an `AgentwireError` with a `code` ([`ErrorCode`]).

mod options;
mod types;
mod typescript;

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::json::{self, WriteJson};
use crate::session::SessionEvent;
use crate::web::{Client, ConnectError, ReceivedText, Subscription};
use crate::{ClientMessage, CustomMessage, Event, SendError};
use options::Options;

#[wasm_bindgen(module = "/src/js/emitter.js")]
extern "C" {
    /// Listener bookkeeping, in JS: an `on()` that returns a plain unsubscribe function, and an
    /// async iterator, are natural there, while in Rust each would need a closure handed to JS
    /// and either leaked (`Closure::forget`) or tracked in an exported handle object. Rust
    /// asks `wants(type)` before it builds an event, so frames nobody listens to cost no
    /// conversion, and each event is parsed once however many listeners it has. A listener
    /// that throws is rethrown on a fresh task (it reaches the console and `window.onerror`),
    /// so the others still run and the connection is not broken.
    type Emitter;

    #[wasm_bindgen(constructor)]
    fn new() -> Emitter;

    #[wasm_bindgen(method)]
    fn wants(this: &Emitter, kind: &JsValue) -> bool;

    #[wasm_bindgen(method)]
    fn has(this: &Emitter, channel: &str) -> bool;

    #[wasm_bindgen(method, catch)]
    fn on(this: &Emitter, channel: &str, listener: &JsValue) -> Result<js_sys::Function, JsValue>;

    // `catch`: an exception must never unwind through Rust frames. `entries` and `numbers`
    // reach JS as views of wasm memory, read before any listener runs (`json::Description`).
    #[wasm_bindgen(method, catch, js_name = emitEvent)]
    fn emit_event(
        this: &Emitter,
        entries: &[u32],
        numbers: &[f64],
        side: Option<&str>,
        text: &JsValue,
    ) -> Result<(), JsValue>;

    /// Gives JS the name of the next key index (`json::Description::new_keys`).
    #[wasm_bindgen(js_name = addKey)]
    fn add_key(key: &str);

    #[wasm_bindgen(method, catch)]
    fn emit(this: &Emitter, channel: &str, value: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method)]
    fn iterator(this: &Emitter) -> JsValue;

    #[wasm_bindgen(method)]
    fn end(this: &Emitter);

    #[wasm_bindgen(method)]
    fn hold(this: &Emitter, client: &JsValue);

    #[wasm_bindgen(method, catch)]
    fn once(this: &Emitter, channel: &str, listener: &JsValue)
    -> Result<js_sys::Function, JsValue>;

    #[wasm_bindgen(method)]
    fn off(this: &Emitter, channel: &str, listener: &JsValue);

    #[wasm_bindgen(method)]
    fn opened(this: &Emitter);

    #[wasm_bindgen(method, js_name = abortOn)]
    fn abort_on(this: &Emitter, signal: &JsValue, client: &JsValue);

    #[wasm_bindgen(method)]
    fn ready(this: &Emitter) -> js_sys::Promise;

    #[wasm_bindgen(method)]
    fn closed(this: &Emitter) -> js_sys::Promise;

    #[wasm_bindgen(js_name = agentwireError)]
    fn agentwire_error(code: ErrorCode, message: &str) -> JsValue;
}

pub use error_code::ErrorCode;

mod error_code {
    // wasm-bindgen adds an undocumented `__Invalid` variant and helpers to string enums.
    #![allow(missing_docs)]

    use wasm_bindgen::prelude::*;

    /// What went wrong, for `AgentwireError.code`.
    #[wasm_bindgen]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ErrorCode {
        /// The URL is not a `ws://` or `wss://` URL.
        InvalidUrl = "invalid_url",
        /// An option has the wrong type or an unknown name.
        InvalidOptions = "invalid_options",
        /// The outbound queue is full; the message was not queued.
        QueueFull = "queue_full",
        /// The connection is closed for good.
        Closed = "closed",
        /// `send()` was given something that is not a message (see `Client.send`).
        InvalidMessage = "invalid_message",
        /// No global `WebSocket` (Node before 22) and no `WebSocket` option.
        NoWebSocket = "no_websocket",
    }
}

/// The internal channels for non-event notifications (they cannot clash with event types,
/// which never start with `@`).
const FLAG: &str = "@flag";
const STATE: &str = "@state";
const DISCONNECT: &str = "@disconnect";
const RESUME: &str = "@resume";
const HANDSHAKE: &str = "@handshake";

fn error(code: ErrorCode, message: impl std::fmt::Display) -> JsValue {
    agentwire_error(code, &message.to_string())
}

fn send_error(error_value: &SendError) -> JsValue {
    let code = match error_value {
        SendError::QueueFull { .. } => ErrorCode::QueueFull,
        _ => ErrorCode::Closed,
    };
    error(code, error_value)
}

/// A value as the plain JS object its JSON describes (`null` for absent values, objects for
/// maps), through `JSON.parse`.
///
/// JSON rather than serde-wasm-bindgen, which the design names for the JS boundary: one
/// `JSON.parse` builds the object much faster than one wasm-to-JS call per field, and the JSON
/// is written by hand (`crate::json`), which keeps every serializer out of the wasm package.
/// Events, the one value per frame, do better still: they cross as a description the emitter
/// builds the object from ([`describe`]).
fn to_js<T: WriteJson + ?Sized>(value: &T) -> JsValue {
    js_sys::JSON::parse(&json::to_json(value)).unwrap_or(JsValue::NULL)
}

/// An event's typed fields described for the emitter (`json::Description`): its kind's fields,
/// its context, `wire_type`, and its `frame` index (as flags name frames), each a slice of the
/// frame's JS string where the frame spells it verbatim, a number, a constant, or a value of
/// one small side JSON. Not `raw`: the emitter makes that from the frame's own text, when it
/// is read. `raw` is an own, enumerable accessor (spread, `JSON.stringify` and
/// `structuredClone` see it like any other property) that turns into a plain value on its
/// first read; it is defined with one shared descriptor and a symbol-keyed text, because an
/// accessor made of fresh closures for each event cost several microseconds a frame.
fn describe(event: &Event, frame: u64, description: &mut json::Description) {
    let mut unused = String::new();
    let mut object = json::Object::described(&mut unused, &event.raw, description);
    json::write_typed(event, &mut object);
    object.field("frame", &frame);
    object.close();
}

thread_local! {
    /// The description of the event being handed over, reused from event to event so that its
    /// buffers are allocated once. Taken out while in use: a listener that makes another event
    /// dispatch (it never does now) would get a fresh one.
    static DESCRIPTION: std::cell::Cell<Option<json::Description>> =
        const { std::cell::Cell::new(None) };
}

thread_local! {
    /// Event type names as JS strings, each made once: a `&str` handed to JS is decoded from
    /// wasm memory anew on every call, which cost more than the lookup per event.
    static TYPE_NAMES: std::cell::RefCell<Vec<(&'static str, JsValue)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `name` as a JS string, made once per name.
fn type_name(name: &'static str) -> JsValue {
    TYPE_NAMES.with_borrow_mut(|names| {
        if let Some((_, value)) = names.iter().find(|(known, _)| *known == name) {
            return value.clone();
        }
        let value = JsValue::from_str(name);
        names.push((name, value.clone()));
        value
    })
}

/// The Rust client's options for a `connect()` options object, read and checked as `connect()`
/// reads them (every absent option its default). For Rust programs that take their settings
/// from JavaScript; `connect()` itself also keeps `threadId` (the default thread for sends) and
/// `signal`.
///
/// # Errors
/// An `AgentwireError` with code `invalid_options`, or what the options object threw (a getter
/// of its own), as it was thrown.
pub fn client_options(options: &JsValue) -> Result<crate::ClientOptions, JsValue> {
    Options::from_js(options).map(|(options, auth)| options.into_client_options(auth))
}

/// Opens a connection to the manager at `url` (`ws://` or `wss://`). See the TypeScript
/// declaration for the options.
///
/// # Errors
/// An `AgentwireError` with code `invalid_url`, `invalid_options` or `no_websocket`; what the
/// options object threw (a getter of its own), as it was thrown.
#[wasm_bindgen(skip_typescript)]
pub fn connect(url: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let (options, auth) = Options::from_js(&options)?;
    let thread_id = options.thread_id();
    let signal = options.signal();
    let client = Client::connect(url, options.into_client_options(auth)).map_err(|connect| {
        let code = match connect {
            ConnectError::NoWebSocket => ErrorCode::NoWebSocket,
            _ => ErrorCode::InvalidUrl,
        };
        error(code, connect)
    })?;
    let emitter = Rc::new(Emitter::new());
    let listener = Rc::clone(&emitter);
    let received = client.received_text();
    let subscription = client.on_session_event(move |event| dispatch(&received, &listener, event));
    let held = Rc::clone(&emitter);
    // The JS `Client` object, made here rather than by the binding on return, so that the
    // emitter can hold it while the connection is open (see `Emitter.hold`): without that an app
    // that keeps only its listeners lost the connection silently at the next garbage
    // collection. `free()` still closes at once; `close()` ends the hold.
    let object =
        JsValue::from(JsClient { client, emitter, thread_id, _subscription: subscription });
    held.hold(&object);
    if !signal.is_undefined() {
        held.abort_on(&signal, &object);
    }
    Ok(object)
}

fn dispatch(received: &ReceivedText, emitter: &Emitter, event: &SessionEvent) {
    // Exceptions are already reported by the emitter; nothing more to do with them here.
    let _ = match event {
        SessionEvent::Event { event, frame, .. } => {
            // Listeners subscribe by the event's `type`: its canonical name, `unknown` for
            // types outside the vocabulary (their wire type is in `wire_type`).
            let name = event.kind.canonical_name().unwrap_or("unknown");
            if emitter.wants(&type_name(name)) {
                // The frame as the JS string the socket gave, so that `raw` costs no copy
                // back out of wasm (a copy only when the socket's string is not at hand).
                let text = match &*received.borrow() {
                    Some((index, text)) if index == frame => text.clone(),
                    _ => JsValue::from_str(event.raw.as_str()),
                };
                let mut description = DESCRIPTION.take().unwrap_or_default();
                description.clear();
                describe(event, *frame, &mut description);
                for key in description.new_keys() {
                    add_key(key);
                }
                let side = description.side();
                let emitted = emitter.emit_event(
                    description.entries(),
                    description.numbers(),
                    side.as_deref(),
                    &text,
                );
                DESCRIPTION.set(Some(description));
                emitted
            } else {
                Ok(())
            }
        }
        SessionEvent::Flag(flag) if emitter.has(FLAG) => emitter.emit(FLAG, &to_js(flag)),
        SessionEvent::State(state) => {
            if matches!(state, crate::ConnectionState::Open) {
                emitter.opened();
            }
            let result =
                if emitter.has(STATE) { emitter.emit(STATE, &to_js(state)) } else { Ok(()) };
            if matches!(state, crate::ConnectionState::Closed { .. }) {
                emitter.end();
            }
            result
        }
        SessionEvent::Disconnected(disconnect) if emitter.has(DISCONNECT) => {
            emitter.emit(DISCONNECT, &to_js(disconnect))
        }
        SessionEvent::Resumed(outcome) if emitter.has(RESUME) => {
            emitter.emit(RESUME, &to_js(outcome))
        }
        SessionEvent::Handshake(outcome) if emitter.has(HANDSHAKE) => {
            emitter.emit(HANDSHAKE, &to_js(outcome))
        }
        _ => Ok(()),
    };
}

/// A connection to the manager (`Client` in JavaScript).
#[wasm_bindgen(js_name = Client, skip_typescript)]
pub struct JsClient {
    client: Client,
    emitter: Rc<Emitter>,
    thread_id: Option<String>,
    _subscription: Subscription,
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Listens for events of one canonical `type`, or `"*"` for all; returns an unsubscribe
    /// function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, kind: &str, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(kind, &listener)
    }

    /// Listens for the live checker's flags; returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(js_name = onFlag, skip_typescript)]
    pub fn on_flag(&self, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(FLAG, &listener)
    }

    /// Listens for connection state changes; returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(js_name = onStateChange, skip_typescript)]
    pub fn on_state_change(&self, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(STATE, &listener)
    }

    /// Listens for sockets going away (code, reason, cause); returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(js_name = onDisconnect, skip_typescript)]
    pub fn on_disconnect(&self, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(DISCONNECT, &listener)
    }

    /// Listens for resume outcomes after reconnects; returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(js_name = onResume, skip_typescript)]
    pub fn on_resume(&self, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(RESUME, &listener)
    }

    /// Listens for the end of each connection's October 2025 handshake (the server-assigned
    /// thread, or that none came); returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(js_name = onHandshake, skip_typescript)]
    pub fn on_handshake(&self, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.on(HANDSHAKE, &listener)
    }

    /// Sends a chat message, now or once the connection is ready.
    ///
    /// # Errors
    /// An `AgentwireError` with code `queue_full` or `closed`; `invalid_options` for bad options.
    #[wasm_bindgen(js_name = sendUserMessage, skip_typescript)]
    pub fn send_user_message(&self, text: &str, options: JsValue) -> Result<(), JsValue> {
        let thread = self.thread_for(options)?;
        self.client.send_user_message(text, thread.as_deref()).map_err(|e| send_error(&e))
    }

    /// Starts an agent on a request, now or once the connection is ready.
    ///
    /// # Errors
    /// An `AgentwireError` with code `queue_full` or `closed`; `invalid_options` for bad options.
    #[wasm_bindgen(js_name = startAgent, skip_typescript)]
    pub fn start_agent(&self, request: &str, options: JsValue) -> Result<(), JsValue> {
        let thread = self.thread_for(options)?;
        self.client.start_agent(request, thread.as_deref()).map_err(|e| send_error(&e))
    }

    /// Sends a message the typed helpers do not cover, now or once the connection is ready:
    /// a plain object with a string `type`, sent as `JSON.stringify` writes it (see
    /// [`CustomMessage::new`] for what is refused).
    ///
    /// # Errors
    /// An `AgentwireError` with code `invalid_message`, `queue_full` or `closed`.
    #[wasm_bindgen(skip_typescript)]
    pub fn send(&self, message: &JsValue) -> Result<(), JsValue> {
        let invalid = |why: &str| error(ErrorCode::InvalidMessage, why);
        if !message.is_object() || message.is_function() || js_sys::Array::is_array(message) {
            return Err(invalid("send() takes a message object, such as { type: \"stop_agent\" }"));
        }
        // `JSON.stringify` throws on cycles and BigInt.
        let text = js_sys::JSON::stringify(message)
            .ok()
            .and_then(|text| text.as_string())
            .ok_or_else(|| invalid("the message cannot be written as JSON"))?;
        let message = CustomMessage::new(&text).map_err(|refused| invalid(&refused.to_string()))?;
        self.client.send(ClientMessage::Custom(message)).map_err(|e| send_error(&e))
    }

    /// Like `on`, for the first matching event only; returns an unsubscribe function.
    ///
    /// # Errors
    /// A `TypeError` when `listener` is not a function.
    #[wasm_bindgen(skip_typescript)]
    pub fn once(&self, kind: &str, listener: JsValue) -> Result<js_sys::Function, JsValue> {
        self.emitter.once(kind, &listener)
    }

    /// Removes every registration of `listener` for `kind` (made with `on` or `once`).
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, kind: &str, listener: JsValue) {
        self.emitter.off(kind, &listener);
    }

    /// A promise that resolves when the connection is first open, and rejects with an
    /// `AgentwireError` (`closed`) when it closes for good before.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn ready(&self) -> js_sys::Promise {
        self.emitter.ready()
    }

    /// Closes the connection for good; the promise resolves once it is closed.
    #[wasm_bindgen(skip_typescript)]
    pub fn close(&self) -> js_sys::Promise {
        let closed = self.emitter.closed();
        self.client.close();
        closed
    }

    /// The connection state.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn state(&self) -> JsValue {
        to_js(&self.client.state())
    }

    /// The counters.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn stats(&self) -> JsValue {
        to_js(&self.client.stats())
    }

    /// The connection's user (the token's `sub`, or learned from the server), if known.
    #[wasm_bindgen(getter, js_name = userId, skip_typescript)]
    pub fn user_id(&self) -> Option<String> {
        self.client.user_id()
    }

    /// The thread the server assigned in its last handshake (October 2025 manager), which
    /// sends without a thread go to, if any.
    #[wasm_bindgen(getter, js_name = threadId, skip_typescript)]
    pub fn thread_id(&self) -> Option<String> {
        self.client.thread_id()
    }

    /// An async iterator over events from now on; it ends when the connection closes.
    #[wasm_bindgen(skip_typescript)]
    pub fn events(&self) -> JsValue {
        self.emitter.iterator()
    }

    fn thread_for(&self, options: JsValue) -> Result<Option<String>, JsValue> {
        let thread = options::only_string_option(&options, "threadId", "send options")?;
        Ok(thread.or_else(|| self.thread_id.clone()))
    }
}

#[cfg(feature = "bench")]
#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Benchmarks only: hands each string of `frames` to the client as if its socket had
    /// received it (the same path as a `message` event, from the string on).
    #[wasm_bindgen(js_name = benchReceive)]
    pub fn bench_receive(&self, frames: js_sys::Array) {
        for frame in frames.iter() {
            self.client.bench_receive(frame);
        }
    }
}

/// Checks a capture's frames as `agentwire check` does (offline: the end of the frames closes
/// every run, times come from the frames): the flags, in the order they were raised. The
/// Playwright helper (`agentwire/playwright`) fails a test on its error flags.
///
/// # Errors
/// An `AgentwireError` with code `invalid_options` when `frames` is not an array of strings or
/// `options` is not `{ userId?: string }`.
#[cfg(feature = "node")]
#[wasm_bindgen(js_name = checkFrames, skip_typescript)]
pub fn check_frames(frames: &JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let invalid = |message: &str| error(ErrorCode::InvalidOptions, message);
    let user = options::only_string_option(&options, "userId", "checkFrames() options")?;
    let frames: &js_sys::Array = wasm_bindgen::JsCast::dyn_ref::<js_sys::Array>(frames)
        .ok_or_else(|| invalid("checkFrames() takes an array of frame strings"))?;
    let mut config = crate::CheckerConfig::offline();
    if let Some(user) = user {
        config = config.with_user(user);
    }
    let mut checker = crate::Checker::new(config);
    for frame in frames.iter() {
        let text = frame
            .as_string()
            .ok_or_else(|| invalid("checkFrames() takes an array of frame strings"))?;
        // A malformed frame is flagged by the checker; the error is not needed here.
        let _ = checker.handle_text(&text, None);
    }
    checker.finish();
    let mut flags = Vec::new();
    while let Some(flag) = checker.poll_flag() {
        flags.push(flag);
    }
    Ok(to_js(&flags))
}

/// Whether `value` is an error agentwire threw (an `AgentwireError`, with a `code`).
#[wasm_bindgen(js_name = isAgentwireError, skip_typescript)]
#[must_use]
pub fn is_agentwire_error(value: &JsValue) -> bool {
    let name = js_sys::Reflect::get(value, &"name".into()).ok().and_then(|name| name.as_string());
    let code = js_sys::Reflect::get(value, &"code".into()).ok().and_then(|code| code.as_string());
    value.is_instance_of::<js_sys::Error>()
        && name.as_deref() == Some("AgentwireError")
        && code.is_some()
}

/// The SDK's version (the npm package's).
#[wasm_bindgen(js_name = version)]
#[must_use]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
