//! The few browser services the page uses: the clock, local storage, the server's `/dev`
//! endpoints, file downloads and uploads. Each fails with a message, never a panic.

use agentwire::Timestamp;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::settings::{STORAGE_KEY, Settings};

/// The time now (the only clock the page reads).
pub fn now() -> Timestamp {
    Timestamp::from_unix_millis_f64(js_sys::Date::now()).unwrap_or(Timestamp::EPOCH)
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The stored settings, or the defaults.
pub fn load_settings() -> Settings {
    let text = window()
        .and_then(|window| window.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
    Settings::from_storage(text.as_deref())
}

/// Stores the settings (tokens only when the user opted in). Storage can be full or disabled;
/// the page then simply forgets on reload.
pub fn save_settings(settings: &Settings) {
    if let Some(storage) = window().and_then(|window| window.local_storage().ok().flatten()) {
        let _ = storage.set_item(STORAGE_KEY, &settings.to_storage());
    }
}

/// The WebSocket URL of the server that served the page: `ws(s)://host/ws`.
pub fn default_ws_url() -> String {
    let location = window().map(|window| window.location());
    let host = location.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
    let secure = location.and_then(|l| l.protocol().ok()).is_some_and(|p| p == "https:");
    format!("{}://{host}/ws", if secure { "wss" } else { "ws" })
}

/// One demo user of the simulated manager.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DemoUser {
    /// The user id.
    pub user_id: String,
    /// A token for it.
    pub token: String,
}

/// What the simulated manager says about itself (`GET /dev/info`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ServerInfo {
    /// The fault preset's name, or `custom`.
    #[serde(default)]
    pub faults: String,
    /// Every fault kind with a non-zero rate, with the rate (0..1).
    #[serde(default)]
    pub fault_rates: Vec<(String, f64)>,
    /// Whether frames are numbered (`--seq`).
    #[serde(default)]
    pub seq: bool,
}

async fn get_json<T: for<'de> Deserialize<'de>>(url: &str) -> Result<T, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    response.json::<T>().await.map_err(|e| format!("{url}: {e}"))
}

/// The simulated manager's demo users, with tokens.
///
/// # Errors
/// A message when the server has no `/dev/users` (a real manager) or it could not be read.
pub async fn demo_users(origin: &str) -> Result<Vec<DemoUser>, String> {
    get_json(&format!("{origin}/dev/users")).await
}

/// The simulated manager's settings (faults on, numbering).
///
/// # Errors
/// A message when the server has no `/dev/info` or it could not be read.
pub async fn server_info(origin: &str) -> Result<ServerInfo, String> {
    get_json(&format!("{origin}/dev/info")).await
}

/// Offers `bytes` as a download named `name`.
///
/// # Errors
/// The browser's error, as text.
pub fn download(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let err = |e: JsValue| format!("download failed: {e:?}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes).into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let document = window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(err)?.dyn_into().map_err(|_| "not an anchor")?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads a file the user picked or dropped, as its bytes: one copy into wasm memory, with no
/// decoding to a JS string and back (which took about a second for 88 MB), and the bytes as
/// they are, as `agentwire check` reads them.
///
/// # Errors
/// The browser's error, as text.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("could not read {}: {e:?}", file.name()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
