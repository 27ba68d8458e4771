//! Recordings of one WebSocket session: the agentwire JSONL format, and HAR in and out.
//!
//! An agentwire recording is JSON Lines. The first line is a [`Header`]; every later line is one
//! [`Record`]: a frame exactly as it crossed the socket (or, for one too long to keep, its
//! length), or a connection event (open, close, reconnect attempt). Everything is timestamped,
//! so `agentwire check` judges a recording by its own clock and gives the same report every
//! time.
//!
//! ```text
//! {"type":"agentwire.recording","version":1,"url":"ws://127.0.0.1:8080/ws?token=REDACTED","user_id":"u1","started_at":"2025-09-18T14:56:14Z"}
//! {"type":"open","t":"2025-09-18T14:56:14.020Z","protocol":"jwt-auth"}
//! {"type":"frame","dir":"in","t":"2025-09-18T14:56:14.031Z","text":"{\"type\":\"pong\"}"}
//! {"type":"close","t":"2025-09-18T14:57:00Z","code":1006,"reason":"","clean":false}
//! {"type":"reconnect","t":"2025-09-18T14:57:00Z","attempt":1,"delay_ms":1200}
//! ```
//!
//! **Tokens never appear in a recording.** [`RecordingWriter`] and [`write_har`] pass the URL
//! through [`redact_url`], an open record's sub-protocol through [`redact_protocol`], and frame text
//! and close reasons through [`redact_secrets`].
//!
//! Reading streams: [`RecordingReader`] holds one line at a time, and [`read_har_messages`] walks a
//! HAR document (as Chrome exports it) with serde visitors, handing over each WebSocket message
//! without building the document in memory.
//!
//! Any capture (a frames file, a recording or a HAR file) is read through one
//! [`CaptureReader`], which tells the format from the content: `agentwire check` and the
//! inspector's import both use it, so a file means the same to both.
//!
//! The module is split by concept: the record types and errors live here, format detection in
//! `capture`, the capture reader in `reader`, the JSONL reader and writer in `jsonl`, token
//! redaction in `redact`, HAR reading and writing in `har`; every public item is re-exported
//! from `agentwire::recording`.
//!
//! ```
//! use agentwire::recording::{Direction, Header, Record, RecordingReader, RecordingWriter};
//! use agentwire::timestamp::Timestamp;
//!
//! # fn main() -> Result<(), agentwire::recording::RecordingError> {
//! let t = Timestamp::from_unix_micros(1_758_207_374_000_000);
//! let header = Header {
//!     url: "ws://127.0.0.1:8080/ws?token=secret".to_owned(),
//!     user_id: Some("u1".to_owned()),
//!     started_at: t,
//! };
//! let mut writer = RecordingWriter::new(Vec::new(), &header)?;
//! writer.write(&Record::Frame { dir: Direction::In, t, text: r#"{"type":"pong"}"#.to_owned() })?;
//! let bytes = writer.into_inner();
//!
//! let mut reader = RecordingReader::new(bytes.as_slice())?;
//! assert_eq!(reader.header().url, "ws://127.0.0.1:8080/ws?token=REDACTED");
//! let records = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(records.len(), 1);
//! # Ok(())
//! # }
//! ```

use std::io;

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

mod capture;
mod har;
mod jsonl;
mod lines;
mod reader;
mod redact;
#[cfg(test)]
mod tests;

pub use capture::{CaptureFormat, Replay, detect, detect_text};
pub use har::{HarMessage, HarSummary, read_har_messages, write_har};
pub use jsonl::{RecordingReader, RecordingWriter};
pub use lines::{Line, MAX_LINE, read_line};
pub use reader::{CaptureError, CaptureItem, CaptureReader, Received, SkippedRecords};
pub use redact::{redact_protocol, redact_secrets, redact_url};

/// The `type` of a recording's header line.
pub const FORMAT_TYPE: &str = "agentwire.recording";

/// The recording format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Everything that can go wrong reading or writing a recording or a HAR file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// Reading or writing the underlying stream failed. Fatal: a [`RecordingReader`] yields no
    /// more records after it.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// A recording line is not valid JSON, or not a valid record or header (a missing field, a
    /// bad timestamp, a wrong type). Not fatal: the reader goes on with the next line.
    #[error("line {line}, column {}: invalid record: {}", source.column(), crate::decode::error_message(source))]
    Json {
        /// The 1-based line number in the recording.
        line: usize,
        /// What serde_json found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// A recording line is longer than the reader's limit ([`MAX_LINE`] unless set with
    /// [`RecordingReader::with_max_line`]); it was read to its end without being kept. Not
    /// fatal: the reader goes on with the next line.
    #[error("line {line} is {length} bytes, longer than the {limit}-byte limit")]
    LineTooLong {
        /// The 1-based line number in the recording.
        line: usize,
        /// The line's length in bytes, without its line ending.
        length: u64,
        /// The limit it exceeds.
        limit: usize,
    },
    /// A recording line is not valid UTF-8. Not fatal: the reader goes on with the next line.
    #[error("line {line}: not valid UTF-8")]
    InvalidUtf8 {
        /// The 1-based line number in the recording.
        line: usize,
    },
    /// The input is not an agentwire recording: it is empty, or its first non-blank line is not a
    /// JSON object whose `type` is [`FORMAT_TYPE`]. Fatal.
    #[error("not an agentwire recording: the first line is not a `{FORMAT_TYPE}` header")]
    MissingHeader,
    /// The header's `version` is one this build can't read (newer than [`FORMAT_VERSION`], or 0).
    /// Fatal.
    #[error(
        "recording format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version the header declares.
        found: u64,
        /// The newest version this build reads: [`FORMAT_VERSION`].
        supported: u32,
    },
    /// A line is a JSON object with a string `type` that is not a known record type (a record
    /// from a newer writer, or a second header). Not fatal: the reader goes on with the next line.
    #[error("line {line}: unknown record type {kind:?}")]
    UnknownRecord {
        /// The 1-based line number in the recording.
        line: usize,
        /// The record's `type`.
        kind: String,
    },
    /// The input is valid JSON but not a HAR document: not an object, or no `log` key. Fatal.
    #[error("not a HAR file: expected a JSON object with a `log` key")]
    NotHar,
    /// The input is not valid JSON, or its `log`, `entries` or `_webSocketMessages` have the
    /// wrong shape (for example a message `data` that is not a string). Fatal.
    #[error("invalid HAR: {0}")]
    Har(#[source] serde_json::Error),
    /// A value could not be encoded as JSON. Does not happen with the types of this module; kept
    /// so that encoding never needs to panic.
    #[error("could not encode JSON: {0}")]
    Encode(#[source] serde_json::Error),
}

impl RecordingError {
    /// The 1-based line of the recording the error is about, when it names one.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            RecordingError::Json { line, .. }
            | RecordingError::LineTooLong { line, .. }
            | RecordingError::InvalidUtf8 { line }
            | RecordingError::UnknownRecord { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Maps a serde_json error met while writing: an I/O failure stays one.
fn write_error(error: serde_json::Error) -> RecordingError {
    if error.is_io() { RecordingError::Io(error.into()) } else { RecordingError::Encode(error) }
}
/// Which way a frame crossed the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Direction {
    /// Received from the server (`"in"`; a HAR `receive`).
    In,
    /// Sent by the client (`"out"`; a HAR `send`).
    Out,
}

/// The first line of a recording: which connection it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The WebSocket URL. Written redacted (see [`redact_url`]).
    pub url: String,
    /// The connection's user id, when known.
    pub user_id: Option<String>,
    /// When the recording started.
    pub started_at: Timestamp,
}
/// One line of a recording after the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Record {
    /// A text frame, exactly as received or sent.
    Frame {
        /// Which way it went.
        dir: Direction,
        /// When it was received or sent.
        t: Timestamp,
        /// The frame's raw text (secrets redacted, see [`redact_secrets`]).
        text: String,
    },
    /// The socket opened.
    Open {
        /// When it opened.
        t: Timestamp,
        /// The sub-protocol the server selected, if any (token redacted, see
        /// [`redact_protocol`]).
        #[serde(default)]
        protocol: Option<String>,
    },
    /// The socket closed.
    Close {
        /// When it closed.
        t: Timestamp,
        /// The close code (1006 when the connection dropped without a close frame).
        code: u16,
        /// The close reason, possibly empty.
        reason: String,
        /// Whether the closing handshake completed.
        clean: bool,
    },
    /// A frame received but not kept, because it was longer than its receiver's limit (the
    /// SDK's [`SessionConfig::max_frame_bytes`](crate::SessionConfig::max_frame_bytes), or a
    /// reader's line limit): only its length is known. Checked, it is a `malformed-frame` flag
    /// with [`DecodeError::TooLong`](crate::DecodeError::TooLong), as it was when it arrived.
    /// Only received ones (`dir: in`) are checked, as only received frames are. Written as
    /// `"type":"too_long"`; readers older than it skip it as a record of unknown type (and
    /// count the frames after it one lower); the format's version stays 1, so that they still
    /// read the rest.
    #[serde(rename = "too_long")]
    TooLong {
        /// Which way it went.
        dir: Direction,
        /// When it was received or sent.
        t: Timestamp,
        /// Its length in bytes.
        length: u64,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The client scheduled a reconnect attempt.
    Reconnect {
        /// When the attempt was scheduled.
        t: Timestamp,
        /// The attempt number, from 1.
        attempt: u32,
        /// The delay before the attempt, in milliseconds.
        delay_ms: u64,
    },
}

impl Record {
    /// When this record happened.
    #[must_use]
    pub fn time(&self) -> Timestamp {
        match self {
            Record::Frame { t, .. }
            | Record::TooLong { t, .. }
            | Record::Open { t, .. }
            | Record::Close { t, .. }
            | Record::Reconnect { t, .. } => *t,
        }
    }
}
