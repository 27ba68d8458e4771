//! `connect()`'s options object, read with serde (camelCase; unknown names are refused, so a
//! typo is an error rather than a silently ignored setting).

use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::CheckerConfig;
use crate::backoff::Backoff;
use crate::session::{HandshakeMode, SessionConfig};
use crate::token::AuthStyle;
use crate::web::{ClientOptions, TokenSource};

/// The options of `connect()`; see `ConnectOptions` in the TypeScript declarations.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConnectOptions {
    #[serde(default)]
    token: Option<String>,
    /// Read separately: a function does not survive `JSON.stringify`.
    #[serde(skip)]
    get_token: Option<js_sys::Function>,
    #[serde(default)]
    pub(super) thread_id: Option<String>,
    #[serde(default)]
    threads: Option<Vec<String>>,
    #[serde(default)]
    filter_threads: Option<bool>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    reconnect: Option<ReconnectOptions>,
    #[serde(default)]
    ping_every_ms: Option<f64>,
    #[serde(default)]
    dead_after_ms: Option<f64>,
    #[serde(default)]
    connect_timeout_ms: Option<f64>,
    #[serde(default)]
    ready_after_ms: Option<f64>,
    #[serde(default)]
    queue_limit: Option<u32>,
    #[serde(default)]
    stall_after_ms: Option<f64>,
    #[serde(default)]
    resume: Option<bool>,
    #[serde(default)]
    deliver_duplicates: Option<bool>,
    #[serde(default)]
    subprotocol: Option<String>,
    #[serde(default)]
    env: Option<String>,
    #[serde(default)]
    handshake: Option<String>,
    #[serde(default)]
    handshake_timeout_ms: Option<f64>,
}

/// `connect()`'s `reconnect` option.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ReconnectOptions {
    #[serde(default)]
    first_delay_ms: Option<f64>,
    #[serde(default)]
    max_delay_ms: Option<f64>,
    #[serde(default)]
    min_delay_ms: Option<f64>,
    #[serde(default)]
    max_attempts: Option<u32>,
    #[serde(default)]
    reset_after_ms: Option<f64>,
}

/// A send's options: `{ threadId?: string }`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendOptions {
    #[serde(default)]
    thread_id: Option<String>,
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
    "stallAfterMs",
    "resume",
    "deliverDuplicates",
    "subprotocol",
    "env",
    "handshake",
    "handshakeTimeoutMs",
];

const RECONNECT_KEYS: &[&str] =
    &["firstDelayMs", "maxDelayMs", "minDelayMs", "maxAttempts", "resetAfterMs"];

/// An error naming the first key of `object` that is not in `known`.
fn refuse_unknown_keys(object: &JsValue, known: &[&str], context: &str) -> Result<(), String> {
    let Some(object) = object.dyn_ref::<js_sys::Object>() else {
        return Err(format!("{context}: expected an object"));
    };
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(format!("{context}: unknown option `{key}` (known: {})", known.join(", ")));
        }
    }
    Ok(())
}

/// Reads a JS options object through its JSON text.
///
/// JSON rather than serde-wasm-bindgen, which the design names for the JS boundary: options
/// are read once per connection, and going through `JSON.stringify` and serde_json (which the
/// decoder needs anyway) keeps serde-wasm-bindgen's deserializer out of the wasm package.
fn from_json<T: serde::de::DeserializeOwned>(value: &JsValue, context: &str) -> Result<T, String> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| format!("{context}: not a plain object"))?;
    serde_json::from_str(&text).map_err(|error| format!("{context}: {error}"))
}

/// A millisecond option as a duration: finite and not negative.
fn millis(name: &str, value: Option<f64>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Duration::from_secs_f64(ms / 1000.0)),
        Some(ms) => Err(format!("`{name}` must be a number of milliseconds ≥ 0, not {ms}")),
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
        if let Ok(reconnect) = js_sys::Reflect::get(&value, &"reconnect".into()) {
            if reconnect.is_object() {
                refuse_unknown_keys(&reconnect, RECONNECT_KEYS, "connect() options: `reconnect`")?;
            }
        }
        let mut options: ConnectOptions = from_json(&value, "connect() options")?;
        let get_token = js_sys::Reflect::get(&value, &"getToken".into()).unwrap_or_default();
        if !(get_token.is_undefined() || get_token.is_null()) {
            let Some(function) = get_token.dyn_ref::<js_sys::Function>() else {
                return Err("connect() options: `getToken` must be a function".to_owned());
            };
            options.get_token = Some(function.clone());
        }
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
            self.thread_id
                .iter()
                .chain(self.threads.iter().flatten())
                .cloned()
                .collect::<BTreeSet<_>>()
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

/// The `threadId` of a send's options object, if any.
pub(super) fn thread_option(options: JsValue) -> Result<Option<String>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    refuse_unknown_keys(&options, &["threadId"], "send options")?;
    let options: SendOptions = from_json(&options, "send options")?;
    Ok(options.thread_id.filter(|thread| !thread.is_empty()))
}
