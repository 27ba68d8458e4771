//! `connect()`'s options object, read property by property (camelCase; unknown names are
//! refused, so a typo is an error rather than a silently ignored setting; a value of the wrong
//! type is an error that names the option).

use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};

use crate::CheckerConfig;
use crate::backoff::Backoff;
use crate::session::{HandshakeMode, SessionConfig};
use crate::token::AuthStyle;
use crate::web::{ClientOptions, TokenSource};

/// The options of `connect()`; see `ConnectOptions` in the TypeScript declarations.
#[derive(Default)]
pub(super) struct ConnectOptions {
    token: Option<String>,
    get_token: Option<js_sys::Function>,
    /// An `AbortSignal`: aborting it closes the client.
    pub(super) signal: Option<JsValue>,
    /// A `WebSocket` constructor (Node's `ws`), for environments without a global one.
    websocket: Option<js_sys::Function>,
    pub(super) thread_id: Option<String>,
    threads: Option<Vec<String>>,
    filter_threads: Option<bool>,
    user_id: Option<String>,
    reconnect: Option<ReconnectOptions>,
    ping_every_ms: Option<f64>,
    dead_after_ms: Option<f64>,
    connect_timeout_ms: Option<f64>,
    ready_after_ms: Option<f64>,
    queue_limit: Option<u32>,
    max_frame_bytes: Option<u32>,
    stall_after_ms: Option<f64>,
    resume: Option<bool>,
    deliver_duplicates: Option<bool>,
    subprotocol: Option<String>,
    env: Option<String>,
    handshake: Option<String>,
    handshake_timeout_ms: Option<f64>,
}

/// `connect()`'s `reconnect` option.
#[derive(Default)]
struct ReconnectOptions {
    first_delay_ms: Option<f64>,
    max_delay_ms: Option<f64>,
    min_delay_ms: Option<f64>,
    max_attempts: Option<u32>,
    reset_after_ms: Option<f64>,
}

const CONNECT_KEYS: &[&str] = &[
    "token",
    "getToken",
    "threadId",
    "threads",
    "filterThreads",
    "userId",
    "reconnect",
    "pingEveryMs",
    "deadAfterMs",
    "connectTimeoutMs",
    "readyAfterMs",
    "queueLimit",
    "maxFrameBytes",
    "stallAfterMs",
    "resume",
    "deliverDuplicates",
    "subprotocol",
    "env",
    "handshake",
    "handshakeTimeoutMs",
    "signal",
    "WebSocket",
];

const RECONNECT_KEYS: &[&str] =
    &["firstDelayMs", "maxDelayMs", "minDelayMs", "maxAttempts", "resetAfterMs"];

/// The pieces one after the other. `[..].concat()` and `join` are generic routines of about
/// 1.2 KB of wasm each, for messages built once per bad option.
fn concat(pieces: &[&str]) -> String {
    let mut out = String::new();
    for piece in pieces {
        out.push_str(piece);
    }
    out
}

/// An error naming the first key of `object` that is not in `known`.
fn refuse_unknown_keys(object: &JsValue, known: &[&str], context: &str) -> Result<(), String> {
    let Some(object) = object.dyn_ref::<js_sys::Object>() else {
        return Err(format!("{context}: expected an object"));
    };
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            let mut message = concat(&[context, ": unknown option `", &key, "` (known: "]);
            for (index, name) in known.iter().enumerate() {
                if index > 0 {
                    message.push_str(", ");
                }
                message.push_str(name);
            }
            message.push(')');
            return Err(message);
        }
    }
    Ok(())
}

/// Reads the properties of a JS options object, each as the type it must have (`undefined`
/// and `null` are absent).
///
/// Property by property rather than serde-wasm-bindgen, which the design names for the JS
/// boundary, or `JSON.stringify` and a JSON parser: options are a dozen scalars read once per
/// connection, and either of those would add a deserializer to the wasm package for them.
struct Reader<'a> {
    object: &'a JsValue,
    context: &'a str,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<JsValue> {
        js_sys::Reflect::get(self.object, &JsValue::from_str(key))
            .ok()
            .filter(|value| !(value.is_undefined() || value.is_null()))
    }

    fn wrong(&self, key: &str, expected: &str) -> String {
        concat(&[self.context, ": `", key, "` must be ", expected])
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key)
            .map(|value| value.as_string().ok_or_else(|| self.wrong(key, "a string")))
            .transpose()
    }

    fn number(&self, key: &str) -> Result<Option<f64>, String> {
        self.get(key)
            .map(|value| value.as_f64().ok_or_else(|| self.wrong(key, "a number")))
            .transpose()
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, String> {
        self.get(key)
            .map(|value| value.as_bool().ok_or_else(|| self.wrong(key, "true or false")))
            .transpose()
    }

    fn count(&self, key: &str) -> Result<Option<u32>, String> {
        self.get(key)
            .map(|value| {
                value
                    .as_f64()
                    .filter(|count| {
                        count.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(count)
                    })
                    .map(|count| count as u32)
                    .ok_or_else(|| self.wrong(key, "a whole number ≥ 0"))
            })
            .transpose()
    }

    fn function(&self, key: &str) -> Result<Option<js_sys::Function>, String> {
        self.get(key)
            .map(|value| value.dyn_into().map_err(|_| self.wrong(key, "a function")))
            .transpose()
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        self.get(key)
            .map(|value| {
                let array = value
                    .dyn_into::<js_sys::Array>()
                    .map_err(|_| self.wrong(key, "an array of strings"))?;
                array
                    .iter()
                    .map(|item| {
                        item.as_string().ok_or_else(|| self.wrong(key, "an array of strings"))
                    })
                    .collect()
            })
            .transpose()
    }
}

/// The longest time an option can say, in milliseconds: JavaScript's largest exact integer
/// (about 285,000 years, "never" in practice). Longer finite values mean the same; without the
/// bound, `1e30` overflowed `Duration` and trapped the wasm module, every client of the page
/// with it.
const MAX_MILLIS: f64 = 9_007_199_254_740_991.0;

/// The `maxFrameBytes` the JS API takes.
const FRAME_LIMITS: std::ops::RangeInclusive<u32> = 4096..=(256 << 20);

/// A millisecond option as a duration: finite and not negative; at most [`MAX_MILLIS`].
fn millis(name: &str, value: Option<f64>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        // Finite and in 0..=MAX_MILLIS, so the microseconds fit a u64 (and a float-to-integer
        // `as` saturates anyway).
        Some(ms) if ms.is_finite() && ms >= 0.0 => {
            Ok(Duration::from_micros((ms.min(MAX_MILLIS) * 1000.0) as u64))
        }
        Some(ms) => {
            let mut text = String::new();
            crate::json::WriteJson::write_json(&ms, &mut text);
            let shown = if ms.is_finite() { text.as_str() } else { "not finite" };
            Err(concat(&["`", name, "` must be a number of milliseconds ≥ 0, not ", shown]))
        }
    }
}

impl ConnectOptions {
    /// Reads the options object (`undefined` or `null` for the defaults).
    pub(super) fn from_js(value: JsValue) -> Result<Self, String> {
        if value.is_undefined() || value.is_null() {
            return Ok(ConnectOptions::default());
        }
        // Unknown names (typos) are refused, with the list of known ones.
        refuse_unknown_keys(&value, CONNECT_KEYS, "connect() options")?;
        let read = Reader { object: &value, context: "connect() options" };
        let reconnect = match read.get("reconnect") {
            None => None,
            Some(reconnect) if reconnect.is_object() => {
                let context = "connect() options: `reconnect`";
                refuse_unknown_keys(&reconnect, RECONNECT_KEYS, context)?;
                let read = Reader { object: &reconnect, context };
                Some(ReconnectOptions {
                    first_delay_ms: read.number("firstDelayMs")?,
                    max_delay_ms: read.number("maxDelayMs")?,
                    min_delay_ms: read.number("minDelayMs")?,
                    max_attempts: read.count("maxAttempts")?,
                    reset_after_ms: read.number("resetAfterMs")?,
                })
            }
            Some(_) => return Err(read.wrong("reconnect", "an object")),
        };
        let get_token = read.function("getToken")?;
        let websocket = read.function("WebSocket")?;
        let signal = match read.get("signal") {
            None => None,
            // Duck-typed, as `fetch` does: an object with `aborted` and `addEventListener`.
            Some(signal)
                if js_sys::Reflect::get(&signal, &"aborted".into())
                    .is_ok_and(|aborted| aborted.as_bool().is_some())
                    && js_sys::Reflect::get(&signal, &"addEventListener".into())
                        .is_ok_and(|add| add.is_function()) =>
            {
                Some(signal)
            }
            Some(_) => return Err(read.wrong("signal", "an AbortSignal")),
        };
        let options = ConnectOptions {
            token: read.string("token")?,
            get_token,
            signal,
            websocket,
            thread_id: read.string("threadId")?,
            threads: read.strings("threads")?,
            filter_threads: read.boolean("filterThreads")?,
            user_id: read.string("userId")?,
            reconnect,
            ping_every_ms: read.number("pingEveryMs")?,
            dead_after_ms: read.number("deadAfterMs")?,
            connect_timeout_ms: read.number("connectTimeoutMs")?,
            ready_after_ms: read.number("readyAfterMs")?,
            queue_limit: read.count("queueLimit")?,
            max_frame_bytes: read.count("maxFrameBytes")?,
            stall_after_ms: read.number("stallAfterMs")?,
            resume: read.boolean("resume")?,
            deliver_duplicates: read.boolean("deliverDuplicates")?,
            subprotocol: read.string("subprotocol")?,
            env: read.string("env")?,
            handshake: read.string("handshake")?,
            handshake_timeout_ms: read.number("handshakeTimeoutMs")?,
        };
        // Validate every number and name now, so `into_client_options` cannot fail.
        options.session_config()?;
        options.auth_style()?;
        Ok(options)
    }

    /// The subprotocol style: `jwt-auth` (the default) or `env` with an environment name; one
    /// style per connection, never both in one list.
    fn auth_style(&self) -> Result<AuthStyle, String> {
        match (self.subprotocol.as_deref(), self.env.as_deref()) {
            (None | Some("jwt-auth"), None) => Ok(AuthStyle::JwtAuth),
            (None | Some("jwt-auth"), Some(_)) => {
                Err("`env` applies only to `subprotocol: \"env\"` (one auth style per connection)"
                    .to_owned())
            }
            (Some("env"), Some(env)) => AuthStyle::env(env).map_err(|error| error.to_string()),
            (Some("env"), None) => {
                Err("`subprotocol: \"env\"` needs `env`: development, local, staging or production"
                    .to_owned())
            }
            (Some(other), _) => {
                Err(format!("`subprotocol` is \"jwt-auth\" or \"env\", not `{other}`"))
            }
        }
    }

    fn session_config(&self) -> Result<SessionConfig, String> {
        let defaults = SessionConfig::default();
        let reconnect = self.reconnect.as_ref();
        let base = Backoff::default();
        let backoff = Backoff {
            first: millis(
                "reconnect.firstDelayMs",
                reconnect.and_then(|r| r.first_delay_ms),
                base.first,
            )?,
            cap: millis("reconnect.maxDelayMs", reconnect.and_then(|r| r.max_delay_ms), base.cap)?,
            min_delay: millis(
                "reconnect.minDelayMs",
                reconnect.and_then(|r| r.min_delay_ms),
                base.min_delay,
            )?,
            max_attempts: reconnect.and_then(|r| r.max_attempts),
            reset_after: millis(
                "reconnect.resetAfterMs",
                reconnect.and_then(|r| r.reset_after_ms),
                base.reset_after,
            )?,
        };
        let mut checker = CheckerConfig::live();
        checker.stall_after = millis("stallAfterMs", self.stall_after_ms, checker.stall_after)?;
        if let Some(user) = self.user_id.as_deref().filter(|user| !user.is_empty()) {
            checker = checker.with_user(user);
        }
        let filter =
            self.filter_threads.unwrap_or(self.thread_id.is_some() || self.threads.is_some());
        let threads = filter.then(|| {
            // Inserted one by one: collecting sorts first, which links a sort for this alone.
            let mut threads = HashSet::new();
            for thread in self.thread_id.iter().chain(self.threads.iter().flatten()) {
                threads.insert(thread.clone());
            }
            threads
        });
        Ok(SessionConfig {
            backoff,
            connect_timeout: millis(
                "connectTimeoutMs",
                self.connect_timeout_ms,
                defaults.connect_timeout,
            )?,
            ping_every: millis("pingEveryMs", self.ping_every_ms, defaults.ping_every)?,
            dead_after: millis("deadAfterMs", self.dead_after_ms, defaults.dead_after)?,
            ready_after: millis("readyAfterMs", self.ready_after_ms, defaults.ready_after)?,
            queue_limit: self.queue_limit.map_or(defaults.queue_limit, |limit| limit as usize),
            max_frame_bytes: match self.max_frame_bytes {
                None => defaults.max_frame_bytes,
                Some(limit) if FRAME_LIMITS.contains(&limit) => limit as usize,
                // Below, the manager's own control frames would be refused; above, one frame's
                // copy could fail to fit in wasm memory, which traps the module.
                Some(_) => {
                    return Err(
                        "`maxFrameBytes` is from 4096 to 268435456 (4 KiB to 256 MiB)".to_owned()
                    );
                }
            },
            resume: self.resume.unwrap_or(defaults.resume),
            refresh_token: false,
            threads,
            deliver_duplicates: self.deliver_duplicates.unwrap_or(defaults.deliver_duplicates),
            // The env style speaks to an October manager, which always handshakes: the Rust
            // client decides that (`Client::connect`), and an explicit "auto" contradicts it.
            handshake: match (self.handshake.as_deref(), self.subprotocol.as_deref()) {
                (Some("expect"), _) => HandshakeMode::Expect,
                (Some("auto"), Some("env")) => {
                    return Err("`subprotocol: \"env\"` always expects the handshake; leave `handshake` out or set it to \"expect\"".to_owned());
                }
                (None | Some("auto"), _) => HandshakeMode::Auto,
                (Some(other), _) => {
                    return Err(format!("`handshake` is \"auto\" or \"expect\", not `{other}`"));
                }
            },
            handshake_timeout: millis(
                "handshakeTimeoutMs",
                self.handshake_timeout_ms,
                defaults.handshake_timeout,
            )?,
            handshake_grace: defaults.handshake_grace,
            checker,
        })
    }

    /// The Rust client's options.
    pub(super) fn into_client_options(self) -> ClientOptions {
        let session = self.session_config().unwrap_or_default();
        let auth = self.auth_style().unwrap_or_default();
        let get_token = self.get_token.map(token_source);
        ClientOptions {
            token: self.token.filter(|token| !token.is_empty()),
            get_token,
            auth,
            session,
            websocket: self.websocket,
        }
    }
}

/// A JS `getToken` (returning a string or a promise of one) as a [`TokenSource`].
fn token_source(get_token: js_sys::Function) -> TokenSource {
    Rc::new(move || {
        let called = get_token.call0(&JsValue::UNDEFINED);
        Box::pin(async move {
            let value = called.map_err(|error| describe(&error))?;
            let value = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&value))
                .await
                .map_err(|error| describe(&error))?;
            value
                .as_string()
                .filter(|token| !token.is_empty())
                .ok_or_else(|| "getToken did not give a non-empty string".to_owned())
        })
    })
}

/// What a thrown value says (an Error's message, or the value as text).
fn describe(error: &JsValue) -> String {
    let message = error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "getToken failed".to_owned());
    format!("getToken failed: {message}")
}

/// The one option `key` of an options object that takes only it (`{ threadId }` for sends,
/// `{ userId }` for `checkFrames()`): a non-empty string, or `None` when absent or empty.
pub(super) fn only_string_option(
    options: JsValue,
    key: &str,
    context: &str,
) -> Result<Option<String>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    refuse_unknown_keys(&options, &[key], context)?;
    let value = Reader { object: &options, context }.string(key)?;
    Ok(value.filter(|value| !value.is_empty()))
}
