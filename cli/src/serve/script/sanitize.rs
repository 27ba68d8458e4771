//! The bridge's sanitising of tool data (its `_sanitize_parameters` and result cutting):
//! secret-named parameter keys redacted, long strings and lists cut.

use serde_json::{Value, json};

/// The bridge cuts parameter strings to this many characters (then adds `...`).
const PARAMETER_CHARS: usize = 200;
/// The bridge cuts result strings to this many characters (then adds `...`).
const RESULT_CHARS: usize = 500;
/// The bridge keeps this many list items in results (then adds `...(truncated)`).
const RESULT_ITEMS: usize = 10;
/// Parameter keys containing one of these are redacted (the bridge's `_sanitize_parameters`).
pub(super) const SECRET_WORDS: [&str; 7] =
    ["password", "secret", "key", "token", "api_key", "auth", "credential"];

/// The bridge's parameter sanitising: secret-named keys become `"[REDACTED]"`, strings are cut
/// to 200 characters plus `...`; nested objects and lists alike.
pub(super) fn sanitize_parameters(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let lower = key.to_lowercase();
                    if SECRET_WORDS.iter().any(|word| lower.contains(word)) {
                        (key, json!("[REDACTED]"))
                    } else {
                        (key, sanitize_parameters(value))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(sanitize_parameters).collect()),
        Value::String(text) => Value::String(cut(&text, PARAMETER_CHARS)),
        other => other,
    }
}

/// The bridge's result sanitising: strings cut to 500 characters plus `...`, lists to 10 items
/// plus `"...(truncated)"`.
pub(super) fn sanitize_result(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object.into_iter().map(|(key, value)| (key, sanitize_result(value))).collect(),
        ),
        Value::Array(items) => {
            let long = items.len() > RESULT_ITEMS;
            let mut kept: Vec<Value> =
                items.into_iter().take(RESULT_ITEMS).map(sanitize_result).collect();
            if long {
                kept.push(json!("...(truncated)"));
            }
            Value::Array(kept)
        }
        Value::String(text) => Value::String(cut(&text, RESULT_CHARS)),
        other => other,
    }
}

/// `text` cut to `max` characters plus `...` when longer (Python slicing: by code point).
pub(super) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut kept: String = text.chars().take(max).collect();
        kept.push_str("...");
        kept
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizers_follow_the_bridge_limits() {
        let long = "x".repeat(600);
        let cleaned =
            sanitize_parameters(json!({"Auth_Header": "abc", "password": 1, "q": long, "n": 3}));
        assert_eq!(cleaned["Auth_Header"], "[REDACTED]");
        assert_eq!(cleaned["password"], "[REDACTED]");
        assert_eq!(cleaned["q"].as_str().unwrap().len(), 203);
        assert_eq!(cleaned["n"], 3);
        let results = sanitize_result(json!({"rows": (0..15).collect::<Vec<_>>(), "text": long}));
        assert_eq!(results["rows"].as_array().unwrap().len(), 11);
        assert_eq!(results["rows"][10], "...(truncated)");
        assert_eq!(results["text"].as_str().unwrap().len(), 503);
        assert_eq!(cut("héllo", 2), "hé...");
    }
}
