//! `connect()`'s options object: checked in JS (`options.js`, which says why), turned into the
//! Rust client's [`ClientOptions`] here, where the defaults are.

use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::prelude::*;

use super::ErrorCode;
use crate::CheckerConfig;
use crate::backoff::Backoff;
use crate::session::{HandshakeMode, SessionConfig};
use crate::token::AuthStyle;
use crate::web::{ClientOptions, TokenReply, TokenSource};

#[wasm_bindgen(module = "/src/js/options.js")]
extern "C" {
    /// `connect()`'s options as `options.js` checked them: each value of the type it must
    /// have, under its option's name, absent ones `undefined`.
    pub(super) type Options;

    /// Checks an options object; throws an `AgentwireError` (`invalid_options`), or what the
    /// options object's own getters threw.
    #[wasm_bindgen(catch, js_name = readOptions)]
    fn read_options(options: &JsValue) -> Result<Options, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn token(this: &Options) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = getToken)]
    fn get_token(this: &Options) -> Option<js_sys::Function>;
    #[wasm_bindgen(method, getter, js_name = WebSocket)]
    fn websocket(this: &Options) -> Option<js_sys::Function>;
    #[wasm_bindgen(method, getter)]
    pub(super) fn signal(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = threadId)]
    pub(super) fn thread_id(this: &Options) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn threads(this: &Options) -> Option<js_sys::Array>;
    #[wasm_bindgen(method, getter, js_name = filterThreads)]
    fn filter_threads(this: &Options) -> Option<bool>;
    #[wasm_bindgen(method, getter, js_name = userId)]
    fn user_id(this: &Options) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn resume(this: &Options) -> Option<bool>;
    #[wasm_bindgen(method, getter, js_name = deliverDuplicates)]
    fn deliver_duplicates(this: &Options) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    fn env(this: &Options) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = expectHandshake)]
    fn expect_handshake(this: &Options) -> Option<bool>;
    // The millisecond options: finite, ≥ 0 and at most 2⁵³ − 1 (options.js).
    #[wasm_bindgen(method, getter, js_name = firstDelayMs)]
    fn first_delay_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = maxDelayMs)]
    fn max_delay_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = minDelayMs)]
    fn min_delay_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = resetAfterMs)]
    fn reset_after_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = connectTimeoutMs)]
    fn connect_timeout_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = pingEveryMs)]
    fn ping_every_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = deadAfterMs)]
    fn dead_after_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = readyAfterMs)]
    fn ready_after_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = stallAfterMs)]
    fn stall_after_ms(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = handshakeTimeoutMs)]
    fn handshake_timeout_ms(this: &Options) -> Option<f64>;
    // The whole numbers (options.js checks them: 0 to 2³² − 1; `maxFrameBytes` 4 KiB to 256 MiB).
    #[wasm_bindgen(method, getter, js_name = maxAttempts)]
    fn max_attempts(this: &Options) -> Option<u32>;
    #[wasm_bindgen(method, getter, js_name = queueLimit)]
    fn queue_limit(this: &Options) -> Option<u32>;
    #[wasm_bindgen(method, getter, js_name = maxFrameBytes)]
    fn max_frame_bytes(this: &Options) -> Option<u32>;

    /// Calls `getToken` and hands `done` its answer in a microtask: `done(token)` with a
    /// non-empty string, `done(undefined, message)` otherwise. Never throws.
    #[wasm_bindgen(js_name = fetchToken)]
    fn fetch_token(get_token: &js_sys::Function, done: &JsValue);

    /// The one option `key` of an options object that takes only it (`{ threadId }` for sends,
    /// `{ userId }` for `checkFrames()`): a non-empty string, or `None` when absent or empty;
    /// throws as `readOptions` does.
    #[wasm_bindgen(catch, js_name = onlyStringOption)]
    pub(super) fn only_string_option(
        options: &JsValue,
        key: &str,
        context: &str,
    ) -> Result<Option<String>, JsValue>;
}

impl Options {
    /// Reads and checks an options object (`undefined` or `null` for the defaults), with the
    /// auth style its `env` names (the default style without one).
    ///
    /// # Errors
    /// An `AgentwireError` (`invalid_options`), or what the options object's own getters threw.
    pub(super) fn from_js(value: &JsValue) -> Result<(Options, AuthStyle), JsValue> {
        let options = read_options(value)?;
        // The environment's name is checked where the names are (`AuthStyle::env`).
        let auth = match options.env() {
            Some(env) => AuthStyle::env(&env)
                .map_err(|error| super::error(ErrorCode::InvalidOptions, error))?,
            None => AuthStyle::default(),
        };
        Ok((options, auth))
    }

    /// The Rust client's options, with `auth` (from [`Options::from_js`]), every absent value
    /// its default.
    pub(super) fn into_client_options(self, auth: AuthStyle) -> ClientOptions {
        // At most 2⁵³ − 1 ms (options.js), so the microseconds fit a u64.
        let ms = |ms: Option<f64>, default| {
            ms.map_or(default, |ms| Duration::from_micros((ms * 1000.0) as u64))
        };
        let defaults = SessionConfig::default();
        let base = Backoff::default();
        let backoff = Backoff {
            first: ms(self.first_delay_ms(), base.first),
            cap: ms(self.max_delay_ms(), base.cap),
            min_delay: ms(self.min_delay_ms(), base.min_delay),
            max_attempts: self.max_attempts(),
            reset_after: ms(self.reset_after_ms(), base.reset_after),
        };
        let mut checker = CheckerConfig::live();
        checker.stall_after = ms(self.stall_after_ms(), checker.stall_after);
        if let Some(user) = self.user_id().filter(|user| !user.is_empty()) {
            checker = checker.with_user(user);
        }
        let thread_id = self.thread_id();
        let listed = self.threads();
        let threads =
            self.filter_threads().unwrap_or(thread_id.is_some() || listed.is_some()).then(|| {
                let mut threads = std::collections::HashSet::new();
                threads.extend(thread_id);
                for thread in listed.iter().flat_map(js_sys::Array::iter) {
                    threads.extend(thread.as_string());
                }
                threads
            });
        let session = SessionConfig {
            backoff,
            connect_timeout: ms(self.connect_timeout_ms(), defaults.connect_timeout),
            ping_every: ms(self.ping_every_ms(), defaults.ping_every),
            dead_after: ms(self.dead_after_ms(), defaults.dead_after),
            ready_after: ms(self.ready_after_ms(), defaults.ready_after),
            queue_limit: self.queue_limit().map_or(defaults.queue_limit, |limit| limit as usize),
            max_frame_bytes: self
                .max_frame_bytes()
                .map_or(defaults.max_frame_bytes, |limit| limit as usize),
            resume: self.resume().unwrap_or(defaults.resume),
            refresh_token: false,
            threads,
            deliver_duplicates: self.deliver_duplicates().unwrap_or(defaults.deliver_duplicates),
            // The env style always expects the handshake: the Rust client decides that.
            handshake: if self.expect_handshake() == Some(true) {
                HandshakeMode::Expect
            } else {
                HandshakeMode::Auto
            },
            handshake_timeout: ms(self.handshake_timeout_ms(), defaults.handshake_timeout),
            handshake_grace: defaults.handshake_grace,
            checker,
        };
        ClientOptions {
            token: self.token().filter(|token| !token.is_empty()),
            get_token: self.get_token().map(token_source),
            auth,
            session,
            websocket: self.websocket(),
        }
    }
}

/// A JS `getToken` (returning a string or a promise of one) as a [`TokenSource`]: `options.js`
/// calls it and awaits its answer (a promise is JavaScript's to await; in Rust it needed an
/// executor in the package), then answers the reply.
fn token_source(get_token: js_sys::Function) -> TokenSource {
    Rc::new(move |reply: TokenReply| {
        let done = Closure::once_into_js(move |token: Option<String>, error: Option<String>| {
            reply.send(token.ok_or_else(|| error.unwrap_or_default()));
        });
        fetch_token(&get_token, &done);
    })
}
