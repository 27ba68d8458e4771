//! Bearer tokens: the WebSocket subprotocols that carry one, and the claims the SDK reads.
//!
//! Browsers cannot set an `Authorization` header on a WebSocket, so the token travels as a
//! subprotocol, in one of two styles ([`AuthStyle`]), never both in one list:
//! * `["jwt-auth", "jwt.<base64url(token)>"]`, the browser frontend's (docs/protocol.md
//!   §1, §2); the server echoes either entry;
//! * `["jwt.<env>.<token>"]`, the October 2025 manager's env-tagged form with the raw JWT
//!   (§6), which its own client offers first.
//!
//! The connection's user is the token's `sub` claim, read here without verifying the signature: the SDK only uses it to judge `cross-user-event`, the
//! server is the one that verifies.
//!
//! A token never appears in a URL, a log line or an error message of this crate.

use serde::Deserialize;

use crate::decode::raw_json;

/// The subprotocol that says "my token is in the next entry".
pub const AUTH_PROTOCOL: &str = "jwt-auth";

/// The prefix of the token-bearing subprotocol entry.
pub const TOKEN_PROTOCOL_PREFIX: &str = "jwt.";

/// The subprotocols to offer for `token`: `["jwt-auth", "jwt.<base64url(token)>"]`.
#[must_use]
pub fn subprotocols(token: &str) -> [String; 2] {
    let mut bearer = String::with_capacity(TOKEN_PROTOCOL_PREFIX.len() + token.len() * 4 / 3 + 4);
    bearer.push_str(TOKEN_PROTOCOL_PREFIX);
    encode_base64url(token.as_bytes(), &mut bearer);
    [AUTH_PROTOCOL.to_owned(), bearer]
}

/// A manager environment an env-tagged subprotocol names (docs/protocol.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `development`
    Development,
    /// `local`
    Local,
    /// `staging`
    Staging,
    /// `production`
    Production,
}

impl Environment {
    /// Every environment, in the protocol's order.
    pub const ALL: [Environment; 4] = [
        Environment::Development,
        Environment::Local,
        Environment::Staging,
        Environment::Production,
    ];

    /// Every environment's name, in the protocol's order.
    pub const ALL_NAMES: [&'static str; 4] = ["development", "local", "staging", "production"];

    /// The name in the subprotocol.
    #[must_use]
    pub fn name(self) -> &'static str {
        let [development, local, staging, production] = Self::ALL_NAMES;
        match self {
            Environment::Development => development,
            Environment::Local => local,
            Environment::Staging => staging,
            Environment::Production => production,
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Environment::ALL
            .into_iter()
            .find(|env| env.name() == name)
            .ok_or_else(|| UnknownEnvironment { name: name.to_owned() })
    }
}

/// How the token travels in the subprotocol list: one style per connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthStyle {
    /// `["jwt-auth", "jwt.<base64url(token)>"]` (the September manager and its frontend).
    #[default]
    JwtAuth,
    /// `["jwt.<env>.<token>"]` with the raw JWT (the October 2025 manager).
    Env(Environment),
}

/// Why an environment name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a manager environment (one of development, local, staging, production)")]
pub struct UnknownEnvironment {
    /// The name as given.
    pub name: String,
}

impl AuthStyle {
    /// The env-tagged style for the environment named `env`.
    ///
    /// # Errors
    /// [`UnknownEnvironment`] for a name that is not `development`, `local`, `staging` or
    /// `production`.
    pub fn env(env: &str) -> Result<Self, UnknownEnvironment> {
        env.parse().map(AuthStyle::Env)
    }

    /// The subprotocols to offer for `token` in this style.
    #[must_use]
    pub fn subprotocols(&self, token: &str) -> Vec<String> {
        match self {
            AuthStyle::JwtAuth => subprotocols(token).to_vec(),
            AuthStyle::Env(env) => {
                vec![format!("{TOKEN_PROTOCOL_PREFIX}{}.{}", env.name(), token.trim())]
            }
        }
    }
}

/// The claims of a JWT that the SDK reads.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// The subject: the user the token was issued to.
    #[serde(default)]
    pub sub: Option<String>,
    /// The expiry, in seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<f64>,
}

/// Why a token's claims could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// The token is not three dot-separated parts.
    #[error("the token is not a JWT (expected three dot-separated parts)")]
    NotAJwt,
    /// The middle part is not base64url.
    #[error("the token's payload is not base64url")]
    NotBase64,
    /// The payload is not a JSON object with string `sub` and numeric `exp`.
    #[error("the token's payload is not a JSON object of claims")]
    NotClaims,
}

/// Reads a JWT's claims without verifying its signature.
///
/// # Errors
/// A [`ClaimsError`] when `token` is not a JWT or its payload is not a claims object. The
/// error never contains the token.
pub fn claims(token: &str) -> Result<Claims, ClaimsError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ClaimsError::NotAJwt);
    };
    let bytes = decode_base64url(payload).ok_or(ClaimsError::NotBase64)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ClaimsError::NotClaims)?;
    // The decoder's validating reader, not a JSON library (the wasm package links none); as
    // strict as `serde_json` with `Claims`' derive was: wrong types and repeated claims are
    // refused, other claims are ignored.
    let members = raw_json::members(text).ok_or(ClaimsError::NotClaims)?;
    let mut claims = Claims::default();
    let (mut seen_sub, mut seen_exp) = (false, false);
    for (key, value) in &members {
        let (seen, is_null) = match key.as_ref() {
            "sub" => (&mut seen_sub, *value == "null"),
            "exp" => (&mut seen_exp, *value == "null"),
            _ => continue,
        };
        if std::mem::replace(seen, true) {
            return Err(ClaimsError::NotClaims);
        }
        if is_null {
            continue;
        }
        if key == "sub" {
            let sub = raw_json::as_str(value).ok_or(ClaimsError::NotClaims)?;
            claims.sub = Some(sub.into_owned()).filter(|sub| !sub.is_empty());
        } else {
            claims.exp = Some(raw_json::as_f64(value).ok_or(ClaimsError::NotClaims)?);
        }
    }
    Ok(claims)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends `bytes` as base64url without padding to `out`.
///
/// A few lines here rather than the `base64` crate: the wasm package pays for every dependency
/// in download size, and this is the only encoding the SDK needs.
fn encode_base64url(bytes: &[u8], out: &mut String) {
    for chunk in bytes.chunks(3) {
        let b = [chunk.first(), chunk.get(1), chunk.get(2)].map(|b| b.copied().unwrap_or(0));
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        // n input bytes make n + 1 output characters (no padding).
        for sextet in sextets.iter().take(chunk.len() + 1) {
            out.extend(ALPHABET.get(*sextet as usize).map(|byte| char::from(*byte)));
        }
    }
}

/// Decodes base64url, with or without padding (standard `+` and `/` are accepted too).
fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // One leftover sextet cannot encode a byte: the input was truncated.
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_env_style_offers_one_entry_with_the_raw_jwt() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
        let style = AuthStyle::env("staging").expect("a known environment");
        assert_eq!(style.subprotocols(token), [format!("jwt.staging.{token}")]);
        assert_eq!(AuthStyle::JwtAuth.subprotocols(token), subprotocols(token).to_vec());
    }

    #[test]
    fn an_unknown_environment_is_refused() {
        for name in ["", "prod", "Staging", "staging.x", "dev elopment"] {
            assert_eq!(
                AuthStyle::env(name),
                Err(UnknownEnvironment { name: name.to_owned() }),
                "{name}"
            );
        }
        for env in Environment::ALL {
            assert_eq!(AuthStyle::env(env.name()), Ok(AuthStyle::Env(env)));
        }
    }

    fn jwt(payload: &str) -> String {
        let mut body = String::new();
        encode_base64url(payload.as_bytes(), &mut body);
        format!("eyJhbGciOiJIUzI1NiJ9.{body}.c2lnbmF0dXJl")
    }

    #[test]
    fn base64url_round_trips_every_length_without_padding() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let mut text = String::new();
            encode_base64url(&bytes, &mut text);
            assert!(!text.contains(['=', '+', '/']), "{text}");
            assert_eq!(decode_base64url(&text).as_deref(), Some(&bytes[..]));
        }
    }

    #[test]
    fn base64url_matches_the_reference_alphabet() {
        let mut text = String::new();
        encode_base64url(b"\xfb\xff\xbf", &mut text);
        assert_eq!(text, "-_-_");
        assert_eq!(decode_base64url("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64url("a"), None, "a lone sextet is truncated input");
        assert_eq!(decode_base64url("a*b"), None);
    }

    #[test]
    fn subprotocols_carry_the_token_base64url_encoded() {
        let [auth, bearer] = subprotocols("a.b.c");
        assert_eq!(auth, "jwt-auth");
        assert_eq!(bearer, "jwt.YS5iLmM");
    }

    #[test]
    fn the_user_comes_from_the_sub_claim() {
        let read = claims(&jwt(r#"{"sub":"user-42","exp":1900000000}"#));
        assert_eq!(read, Ok(Claims { sub: Some("user-42".into()), exp: Some(1_900_000_000.0) }));
        assert_eq!(claims(&jwt(r#"{"sub":""}"#)).map(|c| c.sub), Ok(None));
        assert_eq!(claims(&jwt(r#"{"name":"x"}"#)).map(|c| c.sub), Ok(None));
    }

    /// The claims reader agrees with what it replaced (serde_json with `Claims`' derive) on
    /// every shape of payload object: wrong types and repeated claims refused, others ignored.
    #[test]
    fn claims_are_read_as_serde_json_with_the_derive_reads_them() {
        for payload in [
            "{}",
            r#"{"sub":null,"exp":null}"#,
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"exp":"1"}"#,
            r#"{"exp":1.5e9,"sub":"\u00e9\n"}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":1e400}"#,
            r#"{"sub":"x","extra":{"deep":[1,2,{"a":null}]}}"#,
            r#" {"sub":"x"} "#,
            r#"{"sub":"x"} x"#,
            r#"{"sub":"x",}"#,
            r#"{"exp":true}"#,
            r#"{"sub":["a"]}"#,
            r#"{"sub":"x""#,
            "null",
            "\"text\"",
        ] {
            let oracle = serde_json::from_str::<Claims>(payload)
                .map(|c| Claims { sub: c.sub.filter(|sub| !sub.is_empty()), ..c })
                .map_err(|_| ClaimsError::NotClaims);
            assert_eq!(claims(&jwt(payload)), oracle, "{payload}");
        }
    }

    #[test]
    fn malformed_tokens_give_typed_errors_without_the_token() {
        assert_eq!(claims("not-a-jwt"), Err(ClaimsError::NotAJwt));
        assert_eq!(claims("a.b.c.d"), Err(ClaimsError::NotAJwt));
        assert_eq!(claims("a.$$$.c"), Err(ClaimsError::NotBase64));
        assert_eq!(claims(&jwt("[1,2]")), Err(ClaimsError::NotClaims));
        assert_eq!(claims(&jwt(r#"{"sub":7}"#)), Err(ClaimsError::NotClaims));
        let secret = "secret-token-text.more.parts";
        let message = claims(secret).map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(!message.contains("secret"), "{message}");
    }
}
