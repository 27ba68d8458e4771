//! The /dev endpoints: tokens for any user, the demo users, and what this simulated manager does.
//! Served only in dev mode, and only to a loopback `Host` when the server is bound to loopback.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::{self, Claims};
use super::{Shared, now, unix_seconds};

/// The /dev routes: `/dev/token`, `/dev/users` and `/dev/info`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/dev/token", get(dev_token))
        .route("/dev/users", get(dev_users))
        .route("/dev/info", get(dev_info))
}

/// Whether a request may use the /dev endpoints: dev mode, and, when the server is bound to
/// loopback only, a loopback `Host` (so a web page on another domain that resolves to
/// 127.0.0.1, a DNS rebinding attack, cannot mint tokens).
fn dev_allowed(shared: &Shared, headers: &HeaderMap) -> bool {
    if !shared.dev {
        return false;
    }
    if !shared.loopback_only {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    is_loopback_host(host)
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A token valid for a day (`None` only if the MAC refused the secret, which it never does).
fn day_token(shared: &Shared, user: &str) -> Option<String> {
    let issued = unix_seconds(now());
    let claims = Claims {
        sub: user.to_owned(),
        exp: Some(issued + 24 * 3600),
        iat: Some(issued),
        nbf: None,
    };
    auth::mint(&shared.secret, &claims)
}

/// `GET /dev/users`: the demo users, each with a token (dev mode only).
async fn dev_users(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let users: Option<Vec<Value>> = shared
        .demo_users
        .iter()
        .map(|user| Some(json!({"user_id": user, "token": day_token(&shared, user)?})))
        .collect();
    match users {
        Some(users) => Json(Value::Array(users)).into_response(),
        None => unsigned(),
    }
}

/// `GET /dev/info`: what this simulated manager does, so a page can say so: the fault preset
/// (`none`, `mild`, `chaos` or `custom`) with every active fault kind and its rate, whether
/// frames are numbered (`--seq`), how many demo users run, and the `--protocol` setting with the
/// October handshake timeout in seconds (dev mode only).
async fn dev_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(json!({
        "faults": shared.faults.preset_name(),
        "fault_rates": shared.faults.active(),
        "seq": shared.hub.numbers_frames(),
        "users": shared.demo_users.len(),
        "protocol": shared.protocol.name(),
        "handshake_timeout": shared.handshake_timeout.as_secs_f64(),
    }))
    .into_response()
}

/// Query of `GET /dev/token`.
#[derive(serde::Deserialize)]
struct TokenQuery {
    user: String,
}

/// `GET /dev/token?user=ID`: a token for any user (dev mode only).
async fn dev_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if query.user.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "user must not be empty").into_response();
    }
    match day_token(&shared, &query.user) {
        Some(token) => Json(json!({"user_id": query.user, "token": token})).into_response(),
        None => unsigned(),
    }
}

/// The answer when no token could be signed (the MAC refused the secret; it never does).
fn unsigned() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "the JWT secret cannot sign").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_host_headers_count_as_loopback() {
        for host in ["127.0.0.1:8080", "localhost", "LOCALHOST:1", "[::1]:8080", "127.3.4.5"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in
            ["evil.example:8080", "", "10.0.0.1:80", "[2001:db8::1]:80", "localhost.evil.example"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
