//! One browser WebSocket for one connection attempt.
//!
//! Built on `web_sys::WebSocket` rather than gloo-net's `WebSocket`, which the design names:
//! the session needs the socket's `open` as its own signal (gloo-net only exposes it as the
//! sink becoming ready), the close code, reason and `wasClean` of every close, and frames
//! delivered in the same turn as the browser's `message` event (gloo-net routes every frame
//! through a channel and a task wake-up, which costs throughput and lets a close overtake
//! frames that arrived before it). The listeners are owned here and removed on drop, like
//! gloo's.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::listener::{Counted, Listener, Resource};

#[wasm_bindgen(module = "/src/web/text.js")]
extern "C" {
    /// `text`'s length in UTF-16 code units when it has at most `limit` of them; else, as
    /// `-1 - n`, its UTF-8 length `n` (over `limit`: a code unit is at least one byte), counted
    /// without encoding it.
    #[wasm_bindgen(js_name = unitsWithin)]
    fn units_within(text: &wasm_bindgen::JsValue, limit: u32) -> f64;
    /// `TextEncoder.encodeInto(text, into)`, `into` being a view of wasm memory with room for
    /// all of `text`: the bytes written.
    #[wasm_bindgen(js_name = encodeInto)]
    fn encode_into(text: &wasm_bindgen::JsValue, into: &mut [u8]) -> u32;
    /// The UTF-8 length of `text`, counted without encoding it.
    #[wasm_bindgen(js_name = utf8Length)]
    fn utf8_length(text: &wasm_bindgen::JsValue) -> f64;
}

/// Frames of up to this many code units get room for three bytes a unit at once.
const ROOMY: usize = 1 << 16;

/// A JS string as Rust text: encoded by the engine straight into wasm memory. wasm-bindgen's
/// own string passing copies ASCII one `charCodeAt` at a time, about three times slower for the
/// frames a manager sends, and encoding into a JS buffer first costs a second copy. Lone
/// surrogates become U+FFFD, as in wasm-bindgen's encoding. A string over `limit` UTF-8 bytes
/// is not copied: `Err` with its length in bytes. Wasm never holds more than `limit` bytes for
/// a frame.
pub(crate) fn text_of(string: &wasm_bindgen::JsValue, limit: usize) -> Result<String, u64> {
    let units = units_within(string, u32::try_from(limit).unwrap_or(u32::MAX));
    if units < 0.0 {
        return Err((-1.0 - units) as u64);
    }
    let units = units as usize;
    // Room for three bytes a code unit, the most there can be, when that is little and within
    // the limit (most frames); else the text's exact length, counted first.
    let room = if units <= ROOMY && units * 3 <= limit {
        units * 3
    } else {
        let length = utf8_length(string) as usize;
        if length > limit {
            return Err(length as u64);
        }
        length
    };
    let mut bytes = vec![0; room];
    let written = encode_into(string, &mut bytes);
    bytes.truncate(written as usize);
    // A TextEncoder's output is always UTF-8; the lossy path only guards the impossible.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
}

/// A frame's text, or a [`SocketEvent::TooLong`] when it is over `limit` bytes.
pub(crate) fn text_event(string: wasm_bindgen::JsValue, limit: usize) -> SocketEvent {
    match text_of(&string, limit) {
        Ok(text) => SocketEvent::Text(text, string),
        Err(length) => SocketEvent::TooLong(length),
    }
}

/// What happened on a socket, as plain Rust values.
pub(crate) enum SocketEvent {
    Open,
    /// A text frame, as Rust text and as the socket's JS string.
    Text(String, wasm_bindgen::JsValue),
    Binary(Vec<u8>),
    /// A text or binary frame over the session's `max_frame_bytes`, by its length in bytes:
    /// not copied into wasm.
    TooLong(u64),
    Close {
        code: u16,
        reason: String,
        was_clean: bool,
    },
}

/// A socket and its listeners. Dropping it removes the listeners and closes the socket.
pub(crate) struct Socket {
    socket: WebSocket,
    _open: Option<Listener<web_sys::Event>>,
    _message: Option<Listener<MessageEvent>>,
    _close: Option<Listener<CloseEvent>>,
    _counted: Counted,
}

impl Socket {
    /// Opens a socket to `url` offering `protocols`; `on_event` hears everything that happens
    /// on it until it is dropped. Frames over `max_frame` bytes are not copied into wasm.
    ///
    /// # Errors
    /// The browser's exception when it refuses to create the socket (a malformed URL, a
    /// blocked port). It carries no token: tokens travel in `protocols`, never in the URL.
    pub(crate) fn open(
        constructor: Option<&js_sys::Function>,
        url: &str,
        protocols: &[String],
        max_frame: usize,
        on_event: impl Fn(SocketEvent) + Clone + 'static,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let list = js_sys::Array::new();
        for protocol in protocols {
            list.push(&protocol.into());
        }
        let socket = match constructor {
            // A constructor of the browser's shape (Node's `ws`): used through the same
            // bindings, which call its methods by name.
            Some(constructor) => {
                let arguments = js_sys::Array::of1(&url.into());
                if !protocols.is_empty() {
                    arguments.push(&list);
                }
                js_sys::Reflect::construct(constructor, &arguments)?.unchecked_into::<WebSocket>()
            }
            None if protocols.is_empty() => WebSocket::new(url)?,
            None => WebSocket::new_with_str_sequence(url, &list)?,
        };
        // Array buffers arrive synchronously, in order; Blobs would need an async read. Set
        // through `Reflect`, which catches: a `WebSocket` option's setter may throw, and an
        // exception through these frames would leave the client's core borrowed for good.
        let _ = js_sys::Reflect::set(&socket, &"binaryType".into(), &"arraybuffer".into());
        let target: &web_sys::EventTarget = socket.as_ref();

        let handler = on_event.clone();
        let open =
            Listener::new(target, "open", move |_: web_sys::Event| handler(SocketEvent::Open));
        let handler = on_event.clone();
        let message = Listener::new(target, "message", move |event: MessageEvent| {
            let data = event.data();
            if data.is_string() {
                handler(text_event(data, max_frame));
            } else if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                // Read as a number: `byte_length()` is a u32, which a buffer of 4 GiB would wrap.
                let length = js_sys::Reflect::get(buffer, &"byteLength".into())
                    .ok()
                    .and_then(|length| length.as_f64())
                    .unwrap_or(f64::INFINITY);
                handler(if length > max_frame as f64 {
                    SocketEvent::TooLong(length.min(u64::MAX as f64) as u64)
                } else {
                    SocketEvent::Binary(js_sys::Uint8Array::new(buffer).to_vec())
                });
            }
        });
        let handler = on_event;
        let close = Listener::new(target, "close", move |event: CloseEvent| {
            handler(SocketEvent::Close {
                code: event.code(),
                reason: event.reason(),
                was_clean: event.was_clean(),
            });
        });
        // An `error` event is always followed by `close`, which carries what there is to know.
        Ok(Socket {
            socket,
            _open: open,
            _message: message,
            _close: close,
            _counted: Counted::new(Resource::Socket),
        })
    }

    /// Sends a text frame. A socket that is closing drops it without an error (a browser
    /// limitation); the session's heartbeat notices the dead connection.
    pub(crate) fn send(&self, text: &str) -> Result<(), wasm_bindgen::JsValue> {
        self.socket.send_with_str(text)
    }

    /// Closes the socket with `code` and `reason` (the listeners go with the drop).
    pub(crate) fn close(self, code: u16, reason: &str) {
        let _ = self.socket.close_with_code_and_reason(code, reason);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // CONNECTING (0) or OPEN (1): close it; the listeners are removed right after, so the
        // session never hears about this socket again.
        // Read through `Reflect`, which catches (see `open`); unreadable counts as open.
        let state = js_sys::Reflect::get(&self.socket, &"readyState".into())
            .ok()
            .and_then(|state| state.as_f64())
            .unwrap_or(0.0);
        if state <= 1.0 {
            let _ = self.socket.close_with_code_and_reason(1000, "client closed");
        }
    }
}
