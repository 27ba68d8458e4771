//! Authentication as the manager does it (docs/protocol.md §1): HS256 JWTs, the
//! `Sec-WebSocket-Protocol` negotiation that carries them from browsers, and the
//! `Authorization: Bearer` header.
//!
//! Everything here is pure: no IO and no clock reads (`now` is passed in as Unix seconds).
//!
//! ```text
//!  Sec-WebSocket-Protocol: jwt-auth, jwt.<base64url(JWT)>
//!        │ negotiate()                        Authorization: Bearer <JWT>
//!        ▼                                          │ bearer_token()
//!  Selected { protocol: "jwt.<…>", token } ──┐      │
//!                                            ▼      ▼
//!                                   verify(secret, token, now) ─► Claims { sub, … } | AuthError
//! ```

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;

mod october;

pub(crate) use october::{ClientSignals, negotiate_october, query_param};

/// The secret `agentwire serve` uses when `--jwt-secret` is not given: the documented
/// development default. Anyone can mint tokens with it, so never use it in production.
pub(crate) const DEV_SECRET: &str = "agentwire-dev-secret-do-not-use-in-production";

/// HMAC-SHA256, the MAC behind HS256.
type HmacSha256 = Hmac<Sha256>;

/// The JOSE header every minted token carries.
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The only accepted `alg`.
const ALGORITHM: &str = "HS256";

/// Subprotocol prefixes that carry a token in their suffix (§1), in the order they are tried.
const TOKEN_PREFIXES: [&str; 3] = ["jwt.", "jwt-auth.", "bearer."];

/// Subprotocols the manager selects when offered exactly and no entry carries a token (§1).
const PLAIN_PROTOCOLS: [&str; 6] =
    ["jwt-auth", "jwt", "bearer", "e2e-testing", "staging-auth", "agent_chat"];

/// Suffixes of token-bearing subprotocols shorter than this (in chars) are ignored, as the
/// manager ignores them.
const MIN_TOKEN_SUFFIX: usize = 10;

/// Longest `alg` value repeated in an error message.
const MAX_ALG_ECHO: usize = 32;

/// base64url for JWT segments: padding optional, non-canonical trailing bits rejected (so
/// every signature has exactly one encoding).
const JWT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// base64url for subprotocol suffixes: as lenient as the manager's Python decoder (padding
/// optional, trailing bits ignored).
const SUFFIX_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The claims `agentwire serve` reads from a JWT. Other claims are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Claims {
    /// The user id. Required and non-empty; a token without one fails with
    /// [`AuthError::MissingSubject`].
    #[serde(default)]
    pub(crate) sub: String,
    /// Expiry, Unix seconds: the token is refused from this second on.
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) exp: Option<u64>,
    /// Issue time, Unix seconds. Informational: not checked.
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) iat: Option<u64>,
    /// "Not before", Unix seconds: the token is refused before this second.
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) nbf: Option<u64>,
}

/// Reads a JWT NumericDate: a non-negative JSON number, integer or not (fractions are
/// dropped), or `null`.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(seconds) = number.as_u64() {
        return Ok(Some(seconds));
    }
    match number.as_f64() {
        // `as` saturates: absurdly large dates become u64::MAX, which is still "far future".
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(Some(seconds as u64)),
        _ => Err(serde::de::Error::custom("a date claim must be a non-negative number")),
    }
}

/// Why a connection could not be authenticated. The `Display` text goes into an
/// `error_message` frame, so it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// No credential at all: no token-bearing subprotocol and no `Authorization: Bearer`
    /// header.
    #[error(
        "no token: send the subprotocols jwt-auth, jwt.<base64url JWT> or an Authorization: Bearer header"
    )]
    Missing,
    /// The token is not a well-formed JWT: wrong number of segments, a segment that is not
    /// base64url, a header or payload that is not a JSON object, or claims of the wrong type.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not `HS256` (`none` included). Holds the offered value, cut
    /// to a few dozen chars.
    #[error("unsupported token algorithm {0:?}: only HS256 is accepted")]
    UnsupportedAlgorithm(String),
    /// The HS256 signature does not match: another secret, or a tampered header or payload.
    #[error("invalid token signature")]
    BadSignature,
    /// `exp` is at or before now.
    #[error("token expired")]
    Expired,
    /// `nbf` is after now.
    #[error("token not yet valid")]
    NotYetValid,
    /// The `sub` claim is absent or blank, so there is no user to connect as.
    #[error("token has no subject (sub claim)")]
    MissingSubject,
}

impl AuthError {
    /// The manager's error code for this failure (`unified_websocket_auth`, §1): NO_TOKEN,
    /// INVALID_FORMAT, VALIDATION_FAILED or TOKEN_EXPIRED.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Missing => "NO_TOKEN",
            Self::Malformed(_) => "INVALID_FORMAT",
            Self::UnsupportedAlgorithm(_)
            | Self::BadSignature
            | Self::NotYetValid
            | Self::MissingSubject => "VALIDATION_FAILED",
            Self::Expired => "TOKEN_EXPIRED",
        }
    }
}

/// An HMAC-SHA256 instance keyed with `secret`; the crate prepares the key (RFC 2104: hashed
/// when longer than a block, zero-padded when shorter).
///
/// HMAC takes keys of any length, so the crate never refuses one; `None` would mean it did.
fn keyed_mac(secret: &[u8]) -> Option<HmacSha256> {
    <HmacSha256 as Mac>::new_from_slice(secret).ok()
}

/// Mints an HS256 JWT carrying `claims` (absent dates are left out); `None` only if the MAC
/// refused the secret, which HMAC never does (see [`keyed_mac`]).
pub(crate) fn mint(secret: &[u8], claims: &Claims) -> Option<String> {
    let mut payload = serde_json::Map::new();
    payload.insert("sub".to_owned(), claims.sub.clone().into());
    for (name, value) in [("exp", claims.exp), ("iat", claims.iat), ("nbf", claims.nbf)] {
        if let Some(seconds) = value {
            payload.insert(name.to_owned(), seconds.into());
        }
    }
    let payload = serde_json::Value::Object(payload).to_string();
    let signing_input =
        format!("{}.{}", JWT_BASE64.encode(HEADER_JSON), JWT_BASE64.encode(payload));
    let mut mac = keyed_mac(secret)?;
    mac.update(signing_input.as_bytes());
    let signature = mac.finalize().into_bytes();
    Some(format!("{signing_input}.{}", JWT_BASE64.encode(signature)))
}

/// The JOSE header fields that matter here.
#[derive(Deserialize)]
struct Header {
    /// The signing algorithm; only `HS256` is accepted.
    alg: Option<String>,
}

/// Verifies an HS256 JWT against `secret` at `now_unix` (Unix seconds) and returns its claims.
///
/// Checks, in order: shape (three base64url segments, padded or not), `alg == "HS256"`, the
/// signature (constant time), the payload, `exp` (refused when `exp <= now`), `nbf` (refused
/// when `nbf > now`), then a non-blank `sub`. No leeway.
pub(crate) fn verify(secret: &[u8], token: &str, now_unix: u64) -> Result<Claims, AuthError> {
    if token.is_empty() {
        return Err(AuthError::Malformed("token is empty"));
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(AuthError::Malformed("a JWT has three dot-separated parts"));
    };

    let header_json = JWT_BASE64
        .decode(header_b64)
        .map_err(|_| AuthError::Malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice::<serde_json::Value>(&header_json)
        .ok()
        .filter(serde_json::Value::is_object)
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or(AuthError::Malformed("header is not a JSON object with a string alg"))?;
    match header.alg.as_deref() {
        Some(ALGORITHM) => {}
        Some(other) => {
            return Err(AuthError::UnsupportedAlgorithm(
                other.chars().take(MAX_ALG_ECHO).collect(),
            ));
        }
        None => return Err(AuthError::Malformed("header has no alg")),
    }

    let signature = JWT_BASE64
        .decode(signature_b64)
        .map_err(|_| AuthError::Malformed("signature is not base64url"))?;
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    let signing_input = token
        .get(..signed_len)
        .ok_or(AuthError::Malformed("a JWT has three dot-separated parts"))?;
    // No signature verifies under a secret the MAC refuses (it never refuses one).
    let mut mac = keyed_mac(secret).ok_or(AuthError::BadSignature)?;
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&signature).map_err(|_| AuthError::BadSignature)?;

    let payload_json = JWT_BASE64
        .decode(payload_b64)
        .map_err(|_| AuthError::Malformed("payload is not base64url"))?;
    let payload = serde_json::from_slice::<serde_json::Value>(&payload_json)
        .ok()
        .filter(serde_json::Value::is_object)
        .ok_or(AuthError::Malformed("payload is not a JSON object"))?;
    let claims: Claims = serde_json::from_value(payload)
        .map_err(|_| AuthError::Malformed("claims sub, exp, iat or nbf have the wrong type"))?;

    if claims.exp.is_some_and(|exp| exp <= now_unix) {
        return Err(AuthError::Expired);
    }
    if claims.nbf.is_some_and(|nbf| nbf > now_unix) {
        return Err(AuthError::NotYetValid);
    }
    if claims.sub.trim().is_empty() {
        return Err(AuthError::MissingSubject);
    }
    Ok(claims)
}

/// The outcome of subprotocol negotiation (§1), decided before the upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Negotiation {
    /// No `Sec-WebSocket-Protocol` header (or a blank one): accept without a subprotocol.
    NoHeader,
    /// Accept with this subprotocol.
    Selected {
        /// The entry to echo in the response header, verbatim (for `jwt.<x>` it contains the
        /// token, as the manager's response does).
        protocol: String,
        /// The JWT carried by the selected entry, when it carries one.
        token: Option<String>,
    },
    /// Nothing offered is supported: the manager closes with 1003 "No supported subprotocols"
    /// before accepting, so the handshake fails.
    Unsupported,
}

/// Negotiates a subprotocol from the raw `Sec-WebSocket-Protocol` request header value
/// (comma-separated; whitespace around entries is ignored).
///
/// The first token-bearing entry (`jwt.<x>`, `jwt-auth.<x>` or `bearer.<x>` with a non-empty
/// suffix, §1) wins and is echoed verbatim, with its token extracted as §1 describes (a
/// suffix shorter than 10 chars carries no token, so authentication then fails after the
/// upgrade); otherwise the first exact match of `jwt-auth`, `jwt`, `bearer`, `e2e-testing`,
/// `staging-auth` or `agent_chat` wins, without a token.
pub(crate) fn negotiate(header: Option<&str>) -> Negotiation {
    let Some(header) = header.filter(|value| !value.trim().is_empty()) else {
        return Negotiation::NoHeader;
    };
    let entries = || header.split(',').map(str::trim).filter(|entry| !entry.is_empty());
    for entry in entries() {
        let suffix = TOKEN_PREFIXES.iter().find_map(|prefix| entry.strip_prefix(prefix));
        if let Some(suffix) = suffix.filter(|suffix| !suffix.is_empty()) {
            let token = (suffix.chars().count() >= MIN_TOKEN_SUFFIX)
                .then(|| token_from_suffix(suffix))
                .flatten();
            return Negotiation::Selected { protocol: entry.to_owned(), token };
        }
    }
    match entries().find(|entry| PLAIN_PROTOCOLS.contains(entry)) {
        Some(entry) => Negotiation::Selected { protocol: entry.to_owned(), token: None },
        None => Negotiation::Unsupported,
    }
}

/// Whether `text` splits into exactly three dot-separated parts, the manager's JWT shape test.
fn has_three_parts(text: &str) -> bool {
    text.split('.').count() == 3
}

/// The JWT in a token-bearing subprotocol suffix (§1): the suffix base64url-decoded when
/// that gives a UTF-8, three-part string, else the suffix itself when it has three parts.
fn token_from_suffix(suffix: &str) -> Option<String> {
    let decoded = SUFFIX_BASE64
        .decode(suffix)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| has_three_parts(text));
    decoded.or_else(|| has_three_parts(suffix).then(|| suffix.to_owned()))
}

/// The token in an `Authorization` header value `Bearer <jwt>` (scheme case-insensitive,
/// surrounding whitespace ignored); `None` for no header, other schemes or an empty token.
///
/// Takes the value or an `Option` of it, so it works both as `bearer_token(header)` and in
/// `.and_then(bearer_token)`.
pub(crate) fn bearer_token<'a>(authorization: impl Into<Option<&'a str>>) -> Option<&'a str> {
    let (scheme, token) = authorization.into()?.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The form of a user id in `connection_established.data.user_id` (§2): the first 8 chars
/// plus `"..."`, always (the manager truncates even short ids).
pub(crate) fn truncate_user_id(user_id: &str) -> String {
    let mut truncated: String = user_id.chars().take(8).collect();
    truncated.push_str("...");
    truncated
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentwire::token::subprotocols;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const SECRET: &[u8] = b"test-secret";
    const NOW: u64 = 1_758_207_374;

    fn claims(sub: &str) -> Claims {
        Claims { sub: sub.to_owned(), exp: Some(NOW + 3600), iat: Some(NOW), nbf: None }
    }

    /// Signs arbitrary header and payload JSON, to craft tokens `mint` would never produce.
    fn sign_raw(secret: &[u8], header: &str, payload: &str) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = keyed_mac(secret).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn mint_then_verify_round_trips_the_claims() {
        let token = mint(SECRET, &claims("user-42")).unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert!(!token.contains('='), "segments are unpadded");
        assert_eq!(verify(SECRET, &token, NOW), Ok(claims("user-42")));
    }

    #[test]
    fn mint_leaves_absent_dates_out() {
        let token =
            mint(SECRET, &Claims { sub: "u".into(), exp: None, iat: None, nbf: None }).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(payload).unwrap(), br#"{"sub":"u"}"#);
        assert_eq!(verify(SECRET, &token, u64::MAX).unwrap().exp, None);
    }

    #[test]
    fn verify_accepts_the_jwt_io_example_token() {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let claims = verify(b"your-256-bit-secret", token, NOW).unwrap();
        assert_eq!(claims.sub, "1234567890");
        assert_eq!(claims.iat, Some(1_516_239_022));
    }

    #[test]
    fn verify_accepts_padded_segments() {
        let pad = |segment: &str| format!("{segment}{}", "=".repeat((4 - segment.len() % 4) % 4));
        // A signer that pads: the signature covers the padded header and payload.
        let header = pad(&URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","x":12}"#));
        let payload = pad(&URL_SAFE_NO_PAD.encode(r#"{"sub":"padded-user1"}"#));
        assert!(header.ends_with('=') && payload.ends_with('='));
        let input = format!("{header}.{payload}");
        let mut mac = keyed_mac(SECRET).unwrap();
        mac.update(input.as_bytes());
        let token =
            format!("{input}.{}", pad(&URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())));
        assert!(token.ends_with('='));
        assert_eq!(verify(SECRET, &token, NOW).unwrap().sub, "padded-user1");
    }

    #[test]
    fn padding_the_signed_segments_afterwards_breaks_the_signature() {
        let token = mint(SECRET, &claims("u")).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let repadded = format!("{}=.{}.{}", parts[0], parts[1], parts[2]);
        assert!(verify(SECRET, &repadded, NOW).is_err());
    }

    #[test]
    fn keyed_mac_matches_rfc_4231_for_short_and_long_keys() {
        let mut mac = keyed_mac(&[0x0b; 20]).unwrap();
        mac.update(b"Hi There");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let mut mac = keyed_mac(&[0xaa; 131]).unwrap();
        mac.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn wrong_secret_is_a_bad_signature() {
        let token = mint(SECRET, &claims("u")).unwrap();
        assert_eq!(verify(b"another-secret", &token, NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn tampered_payload_is_a_bad_signature() {
        let token = mint(SECRET, &claims("alice")).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"mallory","exp":{}}}"#, NOW + 3600));
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(verify(SECRET, &tampered, NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn truncated_signature_is_a_bad_signature() {
        let token = mint(SECRET, &claims("u")).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let short = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature[..16]));
        assert_eq!(verify(SECRET, &short, NOW), Err(AuthError::BadSignature));
    }

    #[test]
    fn expiry_at_or_before_now_is_expired() {
        let mut expiring = claims("u");
        expiring.exp = Some(NOW);
        let token = mint(SECRET, &expiring).unwrap();
        assert_eq!(verify(SECRET, &token, NOW), Err(AuthError::Expired));
        assert_eq!(verify(SECRET, &token, NOW + 1), Err(AuthError::Expired));
        assert!(verify(SECRET, &token, NOW - 1).is_ok());
    }

    #[test]
    fn not_before_in_the_future_is_not_yet_valid() {
        let mut early = claims("u");
        early.nbf = Some(NOW + 1);
        let token = mint(SECRET, &early).unwrap();
        assert_eq!(verify(SECRET, &token, NOW), Err(AuthError::NotYetValid));
        assert!(verify(SECRET, &token, NOW + 1).is_ok());
    }

    #[test]
    fn alg_none_and_rs256_are_unsupported() {
        let payload = r#"{"sub":"u"}"#;
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        );
        assert_eq!(verify(SECRET, &none, NOW), Err(AuthError::UnsupportedAlgorithm("none".into())));
        let rs256 = sign_raw(SECRET, r#"{"alg":"RS256"}"#, payload);
        assert_eq!(
            verify(SECRET, &rs256, NOW),
            Err(AuthError::UnsupportedAlgorithm("RS256".into()))
        );
        let lower = sign_raw(SECRET, r#"{"alg":"hs256"}"#, payload);
        assert_eq!(
            verify(SECRET, &lower, NOW),
            Err(AuthError::UnsupportedAlgorithm("hs256".into()))
        );
    }

    #[test]
    fn a_huge_alg_is_cut_in_the_error() {
        let token =
            sign_raw(SECRET, &format!(r#"{{"alg":"{}"}}"#, "X".repeat(5000)), r#"{"sub":"u"}"#);
        let Err(AuthError::UnsupportedAlgorithm(alg)) = verify(SECRET, &token, NOW) else {
            panic!("not rejected")
        };
        assert_eq!(alg.len(), MAX_ALG_ECHO);
    }

    #[test]
    fn garbage_is_malformed() {
        let not_json =
            format!("{}.{}.c2ln", URL_SAFE_NO_PAD.encode("not json"), URL_SAFE_NO_PAD.encode("{}"));
        for garbage in ["", "a.b", "a.b.c.d", "!!!.@@@.###", "....", ".", "a..c", not_json.as_str()]
        {
            match verify(SECRET, garbage, NOW) {
                Err(AuthError::Malformed(_)) => {}
                other => panic!("{garbage:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn header_without_alg_or_not_an_object_is_malformed() {
        for header in ["{}", r#"{"alg":5}"#, r#"["HS256"]"#, "null"] {
            let token = sign_raw(SECRET, header, r#"{"sub":"u"}"#);
            assert!(
                matches!(verify(SECRET, &token, NOW), Err(AuthError::Malformed(_))),
                "{header}"
            );
        }
    }

    #[test]
    fn signed_but_unreadable_payload_is_malformed() {
        for payload in [
            "not json",
            r#"["u", 1]"#,
            "42",
            r#"{"sub":7}"#,
            r#"{"sub":"u","exp":"soon"}"#,
            r#"{"sub":"u","exp":-1}"#,
        ] {
            let token = sign_raw(SECRET, r#"{"alg":"HS256"}"#, payload);
            assert!(
                matches!(verify(SECRET, &token, NOW), Err(AuthError::Malformed(_))),
                "{payload}"
            );
        }
    }

    #[test]
    fn fractional_dates_and_unknown_claims_are_accepted() {
        let payload =
            format!(r#"{{"sub":"u","exp":{}.75,"iat":null,"name":"x","roles":["a"]}}"#, NOW + 10);
        let token = sign_raw(SECRET, r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#, &payload);
        let claims = verify(SECRET, &token, NOW).unwrap();
        assert_eq!(claims.exp, Some(NOW + 10));
        assert_eq!(claims.iat, None);
    }

    #[test]
    fn empty_or_absent_subject_is_missing_subject() {
        let token = mint(SECRET, &claims("")).unwrap();
        assert_eq!(verify(SECRET, &token, NOW), Err(AuthError::MissingSubject));
        let blank = sign_raw(SECRET, r#"{"alg":"HS256"}"#, r#"{"sub":"  "}"#);
        assert_eq!(verify(SECRET, &blank, NOW), Err(AuthError::MissingSubject));
        let absent = sign_raw(SECRET, r#"{"alg":"HS256"}"#, r#"{"exp":99999999999}"#);
        assert_eq!(verify(SECRET, &absent, NOW), Err(AuthError::MissingSubject));
    }

    #[test]
    fn error_codes_follow_the_manager() {
        assert_eq!(AuthError::Missing.code(), "NO_TOKEN");
        assert_eq!(AuthError::Malformed("x").code(), "INVALID_FORMAT");
        assert_eq!(AuthError::UnsupportedAlgorithm("none".into()).code(), "VALIDATION_FAILED");
        assert_eq!(AuthError::BadSignature.code(), "VALIDATION_FAILED");
        assert_eq!(AuthError::Expired.code(), "TOKEN_EXPIRED");
        assert_eq!(AuthError::NotYetValid.code(), "VALIDATION_FAILED");
        assert_eq!(AuthError::MissingSubject.code(), "VALIDATION_FAILED");
    }

    #[test]
    fn error_messages_never_contain_the_token() {
        let token = mint(SECRET, &claims("user-with-a-long-id")).unwrap();
        for (secret, now) in
            [(b"other".as_slice(), NOW), (SECRET, NOW + 7200), (b"other".as_slice(), NOW + 7200)]
        {
            {
                let error = verify(secret, &token, now).unwrap_err();
                let message = error.to_string();
                assert!(!message.is_empty());
                for part in token.split('.') {
                    assert!(!message.contains(part), "{message}");
                }
            }
        }
    }

    #[test]
    fn negotiate_selects_the_jwt_entry_verbatim_and_extracts_the_token() {
        let token = mint(SECRET, &claims("browser-user")).unwrap();
        let offered = subprotocols(&token);
        assert_eq!(offered[0], "jwt-auth");
        let header = offered.join(", ");
        let Negotiation::Selected { protocol, token: extracted } = negotiate(Some(&header)) else {
            panic!("not selected")
        };
        assert_eq!(protocol, offered[1]);
        assert_eq!(extracted.as_deref(), Some(token.as_str()));
        assert_eq!(verify(SECRET, &extracted.unwrap(), NOW).unwrap().sub, "browser-user");
    }

    #[test]
    fn negotiate_accepts_every_token_prefix_and_padded_base64() {
        let token = mint(SECRET, &claims("u")).unwrap();
        let padded = base64::engine::general_purpose::URL_SAFE.encode(&token);
        for prefix in TOKEN_PREFIXES {
            let entry = format!("{prefix}{padded}");
            assert_eq!(
                negotiate(Some(&format!("compression-gzip, {entry}"))),
                Negotiation::Selected { protocol: entry.clone(), token: Some(token.clone()) }
            );
        }
    }

    #[test]
    fn negotiate_accepts_a_raw_jwt_suffix() {
        let token = mint(SECRET, &claims("raw")).unwrap();
        let entry = format!("bearer.{token}");
        assert_eq!(
            negotiate(Some(&format!("jwt-auth,{entry}"))),
            Negotiation::Selected { protocol: entry, token: Some(token) }
        );
    }

    #[test]
    fn negotiate_echoes_a_long_suffix_that_is_no_jwt_without_a_token() {
        assert_eq!(
            negotiate(Some("jwt.notajwtatall")),
            Negotiation::Selected { protocol: "jwt.notajwtatall".into(), token: None }
        );
    }

    #[test]
    fn negotiate_echoes_a_short_suffix_without_a_token_so_auth_fails_after_the_upgrade() {
        assert_eq!(
            negotiate(Some("jwt.abc, jwt-auth")),
            Negotiation::Selected { protocol: "jwt.abc".into(), token: None }
        );
        assert_eq!(
            negotiate(Some("jwt.a.b.c")),
            Negotiation::Selected { protocol: "jwt.a.b.c".into(), token: None }
        );
        // An empty suffix is not token-bearing.
        assert_eq!(negotiate(Some("jwt.")), Negotiation::Unsupported);
        assert_eq!(
            negotiate(Some("jwt., jwt-auth")),
            Negotiation::Selected { protocol: "jwt-auth".into(), token: None }
        );
    }

    #[test]
    fn a_staging_auth_token_entry_is_not_echoed() {
        // §1 echoes only jwt., jwt-auth. and bearer. entries.
        let entry = format!("staging-auth.{}", mint(SECRET, &claims("u")).unwrap());
        assert_eq!(negotiate(Some(&entry)), Negotiation::Unsupported);
        assert_eq!(
            negotiate(Some(&format!("{entry}, staging-auth"))),
            Negotiation::Selected { protocol: "staging-auth".into(), token: None }
        );
    }

    #[test]
    fn negotiate_picks_the_first_plain_protocol_offered() {
        assert_eq!(
            negotiate(Some("foo, agent_chat, jwt")),
            Negotiation::Selected { protocol: "agent_chat".into(), token: None }
        );
        for plain in PLAIN_PROTOCOLS {
            assert_eq!(
                negotiate(Some(plain)),
                Negotiation::Selected { protocol: plain.into(), token: None }
            );
        }
    }

    #[test]
    fn negotiate_rejects_unknown_protocols() {
        assert_eq!(negotiate(Some("compression-gzip")), Negotiation::Unsupported);
        assert_eq!(negotiate(Some("JWT-AUTH")), Negotiation::Unsupported);
        assert_eq!(negotiate(Some(",,")), Negotiation::Unsupported);
    }

    #[test]
    fn negotiate_without_a_header_is_no_header() {
        assert_eq!(negotiate(None), Negotiation::NoHeader);
        assert_eq!(negotiate(Some("   ")), Negotiation::NoHeader);
    }

    #[test]
    fn negotiate_trims_whitespace_around_entries() {
        let token = mint(SECRET, &claims("u")).unwrap();
        let [plain, bearing] = subprotocols(&token);
        let header = format!("  {plain} ,\t{bearing}  , compression-deflate ");
        assert_eq!(
            negotiate(Some(&header)),
            Negotiation::Selected { protocol: bearing, token: Some(token) }
        );
        assert_eq!(
            negotiate(Some(" \tjwt-auth ")),
            Negotiation::Selected { protocol: "jwt-auth".into(), token: None }
        );
    }

    #[test]
    fn bearer_token_parses_the_authorization_header() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Some("a.b.c"));
        assert_eq!(bearer_token(Some("  bearer   a.b.c  ")), Some("a.b.c"));
        assert_eq!(bearer_token(Some("BEARER\ta.b.c")), Some("a.b.c"));
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(Some("Bearer")), None);
        assert_eq!(bearer_token(Some("Bearer   ")), None);
        assert_eq!(bearer_token(Some("Bearera.b.c")), None);
        assert_eq!(bearer_token(Some("")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn truncate_user_id_keeps_eight_chars_and_appends_dots() {
        assert_eq!(truncate_user_id("7c9e6679-7425-40de"), "7c9e6679...");
        assert_eq!(truncate_user_id("short"), "short...");
        assert_eq!(truncate_user_id(""), "...");
        assert_eq!(truncate_user_id("ééééééééé"), "éééééééé...");
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let alphabet = b"abcXYZ019-_=+/.,; \tjwtbearer";
        for round in 0..600 {
            let len = rng.random_range(0..80);
            let bytes: Vec<u8> = if round % 2 == 0 {
                (0..len).map(|_| rng.random()).collect()
            } else {
                (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect()
            };
            let text = String::from_utf8_lossy(&bytes);
            let _ = verify(SECRET, &text, NOW);
            let _ = negotiate(Some(&text));
            let _ = negotiate(Some(&format!("jwt.{text}")));
            let _ = bearer_token(Some(text.as_ref()));
            let _ = truncate_user_id(&text);
        }
    }

    #[test]
    fn mutated_tokens_never_verify() {
        let mut rng = StdRng::seed_from_u64(42);
        let token = mint(SECRET, &claims("target")).unwrap();
        let alphabet: Vec<char> = "ABCxyz019-_=.+/".chars().collect();
        for _ in 0..400 {
            let mut chars: Vec<char> = token.chars().collect();
            let at = rng.random_range(0..chars.len());
            chars[at] = alphabet[rng.random_range(0..alphabet.len())];
            let mutated: String = chars.into_iter().collect();
            if mutated != token {
                assert!(verify(SECRET, &mutated, NOW).is_err(), "{mutated}");
            }
        }
    }
}
