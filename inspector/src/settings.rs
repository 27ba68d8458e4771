//! What the page remembers across reloads (in local storage): the manager URL, whether to use
//! the simulated manager's demo users, users added by hand, the theme and the frame cap.
//! Tokens are kept only when the user opts in ([`Settings::remember_tokens`]).

use serde::{Deserialize, Serialize};

use crate::state::DEFAULT_CAP;

/// The live checker's default stall deadline, in seconds.
pub const DEFAULT_STALL_AFTER_SECS: f64 = 30.0;

/// A stall deadline as the page uses it, in seconds: at least one (a smaller one became 0 ms,
/// which flagged every active run at once) and at most a day; `None` for anything but a
/// positive number.
#[must_use]
pub fn stall_after_secs(secs: f64) -> Option<f64> {
    (secs.is_finite() && secs > 0.0).then(|| secs.clamp(1.0, 86_400.0))
}

/// The local storage key.
pub const STORAGE_KEY: &str = "agentwire.inspector.settings";

/// A user added by hand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualUser {
    /// The user id (the token's `sub`).
    pub user_id: String,
    /// The token, while the page is open; stored only with [`Settings::remember_tokens`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// The next theme in the toggle's cycle.
    #[must_use]
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    /// Its name, as the toggle shows it and the page's `data-theme` attribute takes it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The page's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The manager's WebSocket URL; empty means the server that served the page (`/ws`).
    pub url: String,
    /// Connect the simulated manager's demo users (`GET /dev/users`) when it has them.
    pub demo_users: bool,
    /// Users added by hand, each with a token.
    pub users: Vec<ManualUser>,
    /// Keep tokens in local storage (off by default: anyone with the browser profile can read
    /// them).
    pub remember_tokens: bool,
    /// The colour theme.
    pub theme: Theme,
    /// Frames (and flags) kept per user.
    pub cap: usize,
    /// Seconds an active run may stay silent before the live checker flags `run-stalled`
    /// (default 30, as `agentwire check`).
    pub stall_after_secs: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            url: String::new(),
            demo_users: true,
            users: Vec::new(),
            remember_tokens: false,
            theme: Theme::System,
            cap: DEFAULT_CAP,
            stall_after_secs: DEFAULT_STALL_AFTER_SECS,
        }
    }
}

impl Settings {
    /// Reads stored settings; anything unreadable gives the defaults (a page must open even
    /// after a broken or hostile storage entry).
    #[must_use]
    pub fn from_storage(text: Option<&str>) -> Settings {
        let mut settings = text.map_or_else(Settings::default, Settings::lenient);
        settings.cap = settings.cap.clamp(1, crate::state::DEFAULT_CAP * 20);
        settings.stall_after_secs =
            stall_after_secs(settings.stall_after_secs).unwrap_or(DEFAULT_STALL_AFTER_SECS);
        settings
    }

    /// Stored settings, field by field: a field that does not read (a value an older or newer
    /// page wrote, or a broken entry) takes its default, and the others are kept, so one bad
    /// field does not lose the URL and the users added by hand.
    fn lenient(text: &str) -> Settings {
        let Ok(serde_json::Value::Object(stored)) = serde_json::from_str(text) else {
            return Settings::default();
        };
        let serde_json::Value::Object(mut merged) =
            serde_json::to_value(Settings::default()).unwrap_or_default()
        else {
            return Settings::default();
        };
        for (key, value) in stored {
            let mut candidate = merged.clone();
            candidate.insert(key.clone(), value.clone());
            if serde_json::from_value::<Settings>(candidate.into()).is_ok() {
                merged.insert(key, value);
            }
        }
        serde_json::from_value(merged.into()).unwrap_or_default()
    }

    /// The text to store: tokens removed unless [`Settings::remember_tokens`].
    #[must_use]
    pub fn to_storage(&self) -> String {
        let mut stored = self.clone();
        if !stored.remember_tokens {
            for user in &mut stored.users {
                user.token = None;
            }
        }
        serde_json::to_string(&stored).unwrap_or_default()
    }
}

/// The HTTP origin of a WebSocket URL (`ws://h:1/ws` → `http://h:1`), where the simulated
/// manager's `/dev` endpoints are. `None` for anything but `ws://` and `wss://`.
#[must_use]
pub fn http_origin(ws_url: &str) -> Option<String> {
    let (scheme, rest) = ws_url.trim().split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().filter(|host| !host.is_empty())?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" => "http",
        "wss" => "https",
        _ => return None,
    };
    Some(format!("{scheme}://{host}"))
}

/// The user a token was issued to (its `sub` claim).
///
/// # Errors
/// A sentence saying why the token can't be used (never the token itself).
pub fn user_of_token(token: &str) -> Result<String, String> {
    let claims =
        agentwire::token::claims(token).map_err(|error| format!("not a readable JWT: {error}"))?;
    claims
        .sub
        .filter(|sub| !sub.trim().is_empty())
        .ok_or_else(|| "the token has no `sub` claim (no user)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_not_stored_unless_the_user_opts_in() {
        let mut settings = Settings {
            users: vec![ManualUser { user_id: "u1".into(), token: Some("secret.jwt".into()) }],
            ..Settings::default()
        };
        let stored = settings.to_storage();
        assert!(!stored.contains("secret.jwt"), "{stored}");
        let read = Settings::from_storage(Some(&stored));
        assert_eq!(read.users, [ManualUser { user_id: "u1".into(), token: None }]);

        settings.remember_tokens = true;
        let read = Settings::from_storage(Some(&settings.to_storage()));
        assert_eq!(read.users[0].token.as_deref(), Some("secret.jwt"));
    }

    #[test]
    fn unreadable_storage_gives_the_defaults() {
        assert_eq!(Settings::from_storage(None), Settings::default());
        assert_eq!(Settings::from_storage(Some("<script>")), Settings::default());
        let partial = Settings::from_storage(Some(r#"{"url":"ws://x/ws","cap":0}"#));
        assert_eq!((partial.url.as_str(), partial.cap, partial.demo_users), ("ws://x/ws", 1, true));
        let stall = Settings::from_storage(Some(r#"{"stall_after_secs":-3}"#));
        assert_eq!(stall.stall_after_secs, DEFAULT_STALL_AFTER_SECS);
        assert_eq!(Settings::from_storage(Some(r#"{"stall_after_secs":3}"#)).stall_after_secs, 3.0);
        let tiny = Settings::from_storage(Some(r#"{"stall_after_secs":1e-9}"#));
        assert_eq!(tiny.stall_after_secs, 1.0, "never 0 ms");
    }

    #[test]
    fn one_unreadable_field_keeps_the_others() {
        let stored = r#"{"url":"ws://x/ws","users":[{"user_id":"u1"}],"theme":"auto","cap":-1,
            "stall_after_secs":null,"from_a_newer_page":true}"#;
        let read = Settings::from_storage(Some(stored));
        assert_eq!(read.url, "ws://x/ws");
        assert_eq!(read.users, [ManualUser { user_id: "u1".into(), token: None }]);
        let defaults = Settings::default();
        assert_eq!((read.theme, read.cap), (defaults.theme, defaults.cap));
        assert_eq!(read.stall_after_secs, DEFAULT_STALL_AFTER_SECS);
    }

    #[test]
    fn a_stall_deadline_is_a_second_to_a_day() {
        assert_eq!(stall_after_secs(0.0004), Some(1.0));
        assert_eq!(stall_after_secs(45.5), Some(45.5));
        assert_eq!(stall_after_secs(1e12), Some(86_400.0));
        for refused in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(stall_after_secs(refused), None, "{refused}");
        }
    }

    #[test]
    fn dev_endpoints_live_at_the_websockets_http_origin() {
        assert_eq!(http_origin("ws://127.0.0.1:8080/ws").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(http_origin("WSS://example.com/ws?x=1").as_deref(), Some("https://example.com"));
        assert_eq!(http_origin("http://example.com/ws"), None);
        assert_eq!(http_origin("ws:///ws"), None);
    }

    #[test]
    fn a_tokens_user_is_its_sub_and_bad_tokens_say_why() {
        // header {"alg":"HS256","typ":"JWT"}, payload {"sub":"user-7"}
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2ln";
        assert_eq!(user_of_token(token).as_deref(), Ok("user-7"));
        let error = user_of_token("not-a-jwt").unwrap_err();
        assert!(error.starts_with("not a readable JWT"), "{error}");
        // payload {"name":"x"}: no sub
        let no_sub = "eyJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoieCJ9.c2ln";
        assert_eq!(user_of_token(no_sub), Err("the token has no `sub` claim (no user)".to_owned()));
    }

    #[test]
    fn the_theme_toggle_cycles_through_three_themes() {
        assert_eq!(Theme::System.next().next().next(), Theme::System);
        assert_eq!(Theme::Light.next().name(), "dark");
    }
}
