//! What a fault does to one frame: timestamps moved in their own format, a retry's `attempt`,
//! the text cut in half.

use agentwire::Timestamp;
use serde_json::{Map, Value};

/// The `attempt` a `duplicate_attempt` copy carries.
const RETRY_ATTEMPT: u64 = 2;
/// Epoch numbers above this are milliseconds (docs/protocol.md §2).
const EPOCH_MILLIS_THRESHOLD: f64 = 1e12;

/// The frame text with `"attempt": 2` at the root (a manager retry of the same object).
pub(super) fn with_attempt(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut object)) => {
            object.insert("attempt".into(), Value::from(RETRY_ATTEMPT));
            Value::Object(object).to_string()
        }
        _ => text.to_owned(),
    }
}

/// The first half of `text` (at a character boundary): never a complete JSON object, since an
/// object's text only closes at its last character.
pub(super) fn first_half(text: &str) -> String {
    let mut end = text.len() / 2;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// Moves every valid `timestamp` of the frame (at the root and in every tolerated body location:
/// `payload`, `data`, `data.payload`, `metadata`) by `micros`, keeping each one's format.
pub(super) fn shift_timestamps(frame: &mut Value, micros: i64) {
    let Some(root) = frame.as_object_mut() else { return };
    shift_field(root, micros);
    for key in ["payload", "metadata"] {
        if let Some(Value::Object(body)) = root.get_mut(key) {
            shift_field(body, micros);
        }
    }
    if let Some(Value::Object(data)) = root.get_mut("data") {
        shift_field(data, micros);
        if let Some(Value::Object(inner)) = data.get_mut("payload") {
            shift_field(inner, micros);
        }
    }
}

/// Moves the object's `timestamp`, when valid, by `micros`.
fn shift_field(object: &mut Map<String, Value>, micros: i64) {
    let Some(value) = object.get_mut("timestamp") else { return };
    if let Some(shifted) = shifted_timestamp(value, micros) {
        *value = shifted;
    }
}

/// A timestamp value moved by `micros`, in the original's format: an epoch number in the same
/// unit, or ISO 8601 with the same kind of suffix (`Z`, `+00:00` for any offset, or naive UTC).
/// `None` when the value is not a valid timestamp (left as it is).
fn shifted_timestamp(value: &Value, micros: i64) -> Option<Value> {
    match value {
        Value::Number(number) => {
            let original = number.as_f64()?;
            let at = Timestamp::from_epoch_number(original)?.add_micros(micros);
            Some(Value::from(epoch_like(original, at)))
        }
        Value::String(text) => {
            let at = Timestamp::parse(text)?.add_micros(micros);
            let text = text.trim();
            if let Ok(original) = text.parse::<f64>() {
                return Some(Value::String(epoch_like(original, at).to_string()));
            }
            let utc = at.to_string();
            let base = utc.strip_suffix('Z').unwrap_or(&utc);
            let offset = text.get(10..).unwrap_or_default();
            Some(Value::String(if text.ends_with(['Z', 'z']) {
                utc.clone()
            } else if offset.contains(['+', '-']) {
                format!("{base}+00:00")
            } else {
                base.to_owned()
            }))
        }
        _ => None,
    }
}

/// `at` as an epoch number in the unit of `original` (milliseconds above 1e12, else seconds).
fn epoch_like(original: f64, at: Timestamp) -> f64 {
    if original.abs() > EPOCH_MILLIS_THRESHOLD {
        at.as_unix_millis_f64()
    } else {
        at.as_unix_micros() as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_timestamps_keep_their_format() {
        let shift = |value: Value, micros: i64| shifted_timestamp(&value, micros).unwrap();
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14.123456+00:00"), -5_000_000),
            "2025-09-18T14:56:09.123456+00:00"
        );
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14+02:00"), 1_000_000),
            "2025-09-18T12:56:15+00:00"
        );
        assert_eq!(
            shift(Value::from("2025-09-18T14:56:14Z"), 500_000),
            "2025-09-18T14:56:14.500000Z"
        );
        assert_eq!(shift(Value::from("2025-09-18 14:56:14"), 1_000_000), "2025-09-18T14:56:15");
        assert_eq!(shift(Value::from(1_758_207_374.5), -5_000_000), Value::from(1_758_207_369.5));
        assert_eq!(
            shift(Value::from(1_758_207_374_500.0), 1_000),
            Value::from(1_758_207_374_501.0)
        );
        assert_eq!(shifted_timestamp(&Value::from("yesterday"), 1), None);
        assert_eq!(shifted_timestamp(&Value::Null, 1), None);

        let mut frame = serde_json::json!({
            "timestamp": "2025-09-18T14:56:14Z",
            "data": {"timestamp": 1_758_207_374.0, "payload": {"timestamp": "bad"}},
        });
        shift_timestamps(&mut frame, 2_000_000);
        assert_eq!(frame["timestamp"], "2025-09-18T14:56:16Z");
        assert_eq!(frame["data"]["timestamp"], 1_758_207_376.0);
        assert_eq!(frame["data"]["payload"]["timestamp"], "bad");
    }

    #[test]
    fn cutting_in_half_respects_characters() {
        assert_eq!(first_half(r#"{"a":"é"}"#), r#"{"a":"#);
        assert_eq!(first_half("xéy"), "x");
        assert_eq!(first_half("{}"), "{");
        assert_eq!(first_half(""), "");
        assert_eq!(first_half("éé"), "é");
    }
}
