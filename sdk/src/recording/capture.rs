//! Telling a capture's format from its content: one rule for `agentwire check` and the
//! inspector's import, so a file is read the same way by both.
//!
//! Detection parses the first JSON value of the input, up to its first `type` or `log` key:
//! * a top-level `type` equal to [`FORMAT_TYPE`] → an agentwire recording;
//! * a top-level `log` key before any `type` key → a HAR file;
//! * anything else (another `type` first, no such key, not a JSON object, not JSON) → a frames
//!   file, one frame per line.
//!
//! A UTF-8 byte order mark at the start is skipped. A frames file costs at most its first frame;
//! a HAR file (`{"log": ...`) a few bytes.

use std::io::{self, BufReader, Chain, Cursor, Read};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::FORMAT_TYPE;

/// A UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Read buffer size of the replay [`detect`] hands back.
const READ_BUFFER: usize = 64 * 1024;

/// A capture's file format. Exhaustive on purpose: a new format must be handled by every reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// One frame's text per line, exactly as received.
    Frames,
    /// An agentwire recording: JSON Lines after a [`FORMAT_TYPE`] header line.
    Recording,
    /// A HAR file: one JSON object with a `log` key (`_webSocketMessages` in its entries).
    Har,
}

impl CaptureFormat {
    /// How reports name the format: `frames file`, `agentwire recording` or `HAR`.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            CaptureFormat::Frames => "frames file",
            CaptureFormat::Recording => "agentwire recording",
            CaptureFormat::Har => "HAR",
        }
    }
}

/// The whole input again, from its first byte (less a byte order mark): the bytes detection
/// read, then the rest.
pub type Replay<R> = BufReader<Chain<Cursor<Vec<u8>>, R>>;

/// Tells the format of `input` by reading only its start, and gives back a reader of the whole
/// input without its byte order mark. Works on pipes too: nothing is re-opened or rewound.
///
/// The rule: a top-level `type` equal to [`FORMAT_TYPE`] is a recording; a top-level `log` key
/// before any `type` key is a HAR file; anything else (another `type` first, no such key, not a
/// JSON object, not JSON) is a frames file. A frames file costs at most its first frame.
///
/// # Errors
/// An I/O error while reading the start.
pub fn detect<R: Read>(input: R) -> io::Result<(CaptureFormat, Replay<R>)> {
    let mut tee = Tee { inner: input, seen: Vec::new() };
    let format = {
        let mut start = BufReader::new(&mut tee);
        let mut first = Vec::with_capacity(BOM.len());
        start.by_ref().take(BOM.len() as u64).read_to_end(&mut first)?;
        if first == BOM {
            probe_format(&mut start)?
        } else {
            probe_format(Cursor::new(first).chain(&mut start))?
        }
    };
    let Tee { inner, mut seen } = tee;
    if seen.starts_with(BOM) {
        seen.drain(..BOM.len());
    }
    Ok((format, BufReader::with_capacity(READ_BUFFER, Cursor::new(seen).chain(inner))))
}

/// The format of a capture held in memory (a byte order mark is skipped).
#[must_use]
pub fn detect_text(text: &str) -> CaptureFormat {
    let bytes = text.as_bytes();
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // Reading from memory cannot fail.
    probe_format(bytes).unwrap_or(CaptureFormat::Frames)
}

/// A reader that keeps a copy of every byte read through it.
struct Tee<R> {
    inner: R,
    seen: Vec<u8>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// Parses the start of the input as far as needed to tell its format.
fn probe_format<R: Read>(reader: R) -> io::Result<CaptureFormat> {
    let mut probe = Probe::default();
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = (&mut probe).deserialize(&mut deserializer);
    // The parse stops with an error once the format is found: that error is not a failure.
    if let Some(format) = probe.found {
        return Ok(format);
    }
    match result {
        Err(error) if error.is_io() => Err(error.into()),
        // Not a JSON object, not JSON, or an object with neither key: one frame per line.
        _ => Ok(CaptureFormat::Frames),
    }
}

/// The state of the format probe: set once the format is known.
#[derive(Default)]
struct Probe {
    found: Option<CaptureFormat>,
}

/// Ends the probe's parse early; never shown.
const PROBE_DONE: &str = "format detected";

impl<'de> DeserializeSeed<'de> for &mut Probe {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Probe {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<TopKey>()? {
            match key {
                TopKey::Type => {
                    let IsRecordingType(recording) = map.next_value()?;
                    self.found = Some(if recording {
                        CaptureFormat::Recording
                    } else {
                        CaptureFormat::Frames
                    });
                    return Err(de::Error::custom(PROBE_DONE));
                }
                TopKey::Log => {
                    self.found = Some(CaptureFormat::Har);
                    return Err(de::Error::custom(PROBE_DONE));
                }
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A top-level key, as far as detection cares (read without allocating).
enum TopKey {
    Type,
    Log,
    Other,
}

impl<'de> de::Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TopKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
                Ok(match key {
                    "type" => TopKey::Type,
                    "log" => TopKey::Log,
                    _ => TopKey::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Whether a `type` value is the recording header's.
struct IsRecordingType(bool);

impl<'de> de::Deserialize<'de> for IsRecordingType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TypeVisitor;
        impl Visitor<'_> for TypeVisitor {
            type Value = IsRecordingType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<IsRecordingType, E> {
                Ok(IsRecordingType(value == FORMAT_TYPE))
            }
        }
        deserializer.deserialize_str(TypeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_bytes(bytes: &[u8]) -> (CaptureFormat, Vec<u8>) {
        let (format, mut replay) = detect(bytes).expect("reading memory");
        let mut all = Vec::new();
        replay.read_to_end(&mut all).expect("reading memory");
        (format, all)
    }

    #[test]
    fn detection_tells_the_three_formats_apart_and_replays_every_byte() {
        let cases: [(&str, CaptureFormat); 12] = [
            ("{\"type\":\"pong\"}\n{\"type\":\"pong\"}\n", CaptureFormat::Frames),
            ("\n\n{\"log\":{\"entries\":[]}}", CaptureFormat::Har),
            ("{\n  \"log\": {\n    \"entries\": []\n  }\n}\n", CaptureFormat::Har),
            ("{\"comment\":{\"a\":[1,2]},\"log\":{}}", CaptureFormat::Har),
            (
                "{\"type\":\"agentwire.recording\",\"version\":1}\n{\"type\":\"open\"}",
                CaptureFormat::Recording,
            ),
            ("{\"type\":\"pong\",\"log\":{}}\n", CaptureFormat::Frames),
            ("{\"type\":5,\"log\":{}}\n", CaptureFormat::Frames),
            ("{ log: { entries: [] } }", CaptureFormat::Frames),
            ("[{\"log\":{}}]", CaptureFormat::Frames),
            ("not json at all\n", CaptureFormat::Frames),
            ("{\"type\":\"agent_started\",\"run_id\":\"r1\"", CaptureFormat::Frames),
            ("", CaptureFormat::Frames),
        ];
        for (text, expected) in cases {
            let (format, replay) = detect_bytes(text.as_bytes());
            assert_eq!(format, expected, "{text:?}");
            assert_eq!(replay, text.as_bytes(), "{text:?}");
            assert_eq!(detect_text(text), expected, "{text:?}");
        }
    }

    #[test]
    fn detection_skips_a_byte_order_mark() {
        let (format, replay) = detect_bytes(b"\xEF\xBB\xBF{\"log\":{}}");
        assert_eq!(format, CaptureFormat::Har);
        assert_eq!(replay, b"{\"log\":{}}");
        let (format, replay) = detect_bytes(b"\xEF\xBB");
        assert_eq!(format, CaptureFormat::Frames);
        assert_eq!(replay, b"\xEF\xBB");
    }

    #[test]
    fn detection_reads_only_the_start_of_a_long_frames_file() {
        let line = "{\"type\":\"heartbeat\",\"data\":{\"n\":1}}\n";
        let text = line.repeat(100_000);
        let mut tee = Tee { inner: text.as_bytes(), seen: Vec::new() };
        assert_eq!(
            probe_format(BufReader::new(&mut tee)).expect("reading memory"),
            CaptureFormat::Frames
        );
        assert!(tee.seen.len() <= 8 * 1024, "read {} bytes", tee.seen.len());
    }
}
