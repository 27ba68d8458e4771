//! Token redaction: what keeps tokens out of recordings and HAR files. URLs lose their userinfo
//! and secret query values, token sub-protocols lose their token, and JWT-shaped text anywhere
//! becomes `[REDACTED-JWT]`.

use std::borrow::Cow;

/// What replaces a secret query parameter's value, or a token sub-protocol's token.
const REDACTED: &str = "REDACTED";

/// What replaces a JWT-shaped token in text.
const REDACTED_JWT: &str = "[REDACTED-JWT]";

/// Query (and fragment) parameters whose values are secrets, compared case-insensitively.
const SECRET_PARAMS: [&str; 10] = [
    "token",
    "jwt",
    "auth",
    "auth_token",
    "access_token",
    "ticket",
    "auth_ticket",
    "ticket_id",
    "api_key",
    "key",
];

/// Sub-protocol prefixes that carry a token after the first dot (`jwt.<token>`).
const TOKEN_PROTOCOL_PREFIXES: [&str; 4] = ["jwt", "jwt-auth", "bearer", "staging-auth"];
/// Removes credentials from a URL: the userinfo (`user:password@`) goes, and the value of every
/// query parameter named `token`, `jwt`, `auth`, `auth_token`, `access_token`, `ticket`,
/// `auth_ticket`, `ticket_id`, `api_key` or `key` (case-insensitive, percent-decoded) becomes
/// `REDACTED`. Parameters in the fragment (`#access_token=...`, as OAuth puts them) get the same
/// treatment, an empty value is kept (it shows that no token was sent), and a JWT-shaped token
/// anywhere else in the URL is replaced as by [`redact_secrets`].
///
/// The input need not be a valid URL; the function never fails. Redacting twice changes nothing.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (before_fragment, None),
    };
    // Where the authority (`user:password@host:port`) starts: after `scheme://`, after a
    // leading `//`, or at the start when there is neither a scheme nor a leading `/`.
    let scheme_end = base.find("://").filter(|&at| {
        base.get(..at).is_some_and(|scheme| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        })
    });
    let authority_start = match scheme_end {
        Some(at) => Some(at + 3),
        None if base.starts_with("//") => Some(2),
        None if base.starts_with('/') => None,
        None => Some(0),
    };
    match authority_start.and_then(|start| base.split_at_checked(start)) {
        Some((prefix, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at_checked(authority_end).unwrap_or((rest, ""));
            out.push_str(prefix);
            out.push_str(authority.rsplit_once('@').map_or(authority, |(_, host)| host));
            out.push_str(path);
        }
        None => out.push_str(base),
    }
    if let Some(query) = query {
        out.push('?');
        push_redacted_params(&mut out, query);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        push_redacted_params(&mut out, fragment);
    }
    match redact_secrets(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(redacted) => redacted,
    }
}

/// Copies `a=1&b=2` parameters to `out`, replacing the values of secret ones.
fn push_redacted_params(out: &mut String, params: &str) {
    for (index, param) in params.split('&').enumerate() {
        if index > 0 {
            out.push('&');
        }
        match param.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(param),
        }
    }
}

/// Whether a (possibly percent-encoded) query parameter name is one of [`SECRET_PARAMS`].
fn is_secret_param(name: &str) -> bool {
    let decoded = percent_decode(name);
    SECRET_PARAMS.iter().any(|secret| secret.as_bytes().eq_ignore_ascii_case(&decoded))
}

/// Decodes `%XX` escapes and `+` (a space, in a query); anything malformed is kept as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match (byte, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_value(high).zip(hex_value(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            None => {
                out.push(if byte == b'+' { b' ' } else { byte });
                i += 1;
            }
        }
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// Removes the token from a WebSocket sub-protocol: `jwt.<x>`, `jwt-auth.<x>`, `bearer.<x>` and
/// `staging-auth.<x>` (prefix case-insensitive) become `<prefix>.REDACTED`. A comma-separated
/// list (a `Sec-WebSocket-Protocol` header) is redacted item by item, and a JWT-shaped token
/// anywhere else is replaced as by [`redact_secrets`]. Other protocols are returned unchanged.
#[must_use]
pub fn redact_protocol(protocol: &str) -> String {
    let mut out = String::with_capacity(protocol.len());
    for (index, item) in protocol.split(',').enumerate() {
        if index > 0 {
            out.push(',');
        }
        let trimmed = item.trim();
        let token_prefix = trimmed.split_once('.').and_then(|(prefix, token)| {
            let is_token_prefix =
                TOKEN_PROTOCOL_PREFIXES.iter().any(|known| known.eq_ignore_ascii_case(prefix));
            (is_token_prefix && !token.is_empty()).then_some(prefix)
        });
        match token_prefix {
            Some(prefix) => {
                let leading = item.len() - item.trim_start().len();
                out.push_str(item.get(..leading).unwrap_or_default());
                out.push_str(prefix);
                out.push('.');
                out.push_str(REDACTED);
                out.push_str(item.get(item.trim_end().len()..).unwrap_or_default());
            }
            None => out.push_str(item),
        }
    }
    match redact_secrets(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(redacted) => redacted,
    }
}

/// Replaces every JWT-shaped token in `text` with `[REDACTED-JWT]`.
///
/// JWT-shaped: base64url segments (`A-Z a-z 0-9 - _`) joined by dots, at least three of them,
/// the first two starting with `eyJ` (the base64 of `{"`). The last segment may be empty (an
/// unsigned token); further dotted segments (an encrypted JWE) are part of the token. The token
/// may start inside a longer word, so a token after a JSON escape (`\neyJ...`) is still caught.
///
/// Runs in linear time, works on any UTF-8 text, and borrows when nothing was replaced.
/// Redacting twice changes nothing.
#[must_use]
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    while let Some(start) = find_jwt_start(bytes, from) {
        // Every candidate starting inside this run shares its end and the bytes after it, so a
        // failed candidate rules out the whole run: resume after it (this keeps the scan linear).
        let header_end = base64url_run_end(bytes, start);
        match jwt_end(bytes, header_end) {
            Some(end) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                // `start` and `end` sit next to ASCII bytes, so they are char boundaries.
                out.push_str(text.get(copied..start).unwrap_or_default());
                out.push_str(REDACTED_JWT);
                copied = end;
                from = end;
            }
            None => from = header_end,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(text.get(copied..).unwrap_or_default());
            Cow::Owned(out)
        }
    }
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// The index of the next `eyJ` at or after `from`.
fn find_jwt_start(bytes: &[u8], from: usize) -> Option<usize> {
    bytes.get(from..)?.windows(3).position(|window| window == b"eyJ").map(|at| from + at)
}

/// The end of the run of base64url bytes starting at `from`.
fn base64url_run_end(bytes: &[u8], from: usize) -> usize {
    let run = bytes.get(from..).unwrap_or_default();
    from + run.iter().take_while(|&&byte| is_base64url(byte)).count()
}

/// Given the end of a first segment, the end of the JWT-shaped token, or `None` if there is none.
fn jwt_end(bytes: &[u8], header_end: usize) -> Option<usize> {
    if bytes.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload = header_end + 1;
    if !bytes.get(payload..)?.starts_with(b"eyJ") {
        return None;
    }
    let payload_end = base64url_run_end(bytes, payload);
    if bytes.get(payload_end) != Some(&b'.') {
        return None;
    }
    let mut end = base64url_run_end(bytes, payload_end + 1);
    while bytes.get(end) == Some(&b'.') && bytes.get(end + 1).copied().is_some_and(is_base64url) {
        end = base64url_run_end(bytes, end + 1);
    }
    Some(end)
}
