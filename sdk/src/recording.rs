//! Recordings of one WebSocket session: the agentwire JSONL format, and HAR in and out.
//!
//! An agentwire recording is JSON Lines. The first line is a [`Header`]; every later line is one
//! [`Record`]: a frame exactly as it crossed the socket, or a connection event (open, close,
//! reconnect attempt). Everything is timestamped, so `agentwire check` judges a recording by its
//! own clock and gives the same report every time.
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

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, Read, Write};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::timestamp::Timestamp;

/// The `type` of a recording's header line.
pub const FORMAT_TYPE: &str = "agentwire.recording";

/// The recording format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

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

/// The reader's line buffer is shrunk back to this size after holding a longer line.
const LINE_BUFFER_KEEP: usize = 64 * 1024;

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

/// Maps a serde_json error met while writing: an I/O failure stays one.
fn write_error(error: serde_json::Error) -> RecordingError {
    if error.is_io() { RecordingError::Io(error.into()) } else { RecordingError::Encode(error) }
}

/// Maps a serde_json error met while reading a HAR document: an I/O failure stays one.
fn har_error(error: serde_json::Error) -> RecordingError {
    if error.is_io() { RecordingError::Io(error.into()) } else { RecordingError::Har(error) }
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

/// The header line as written.
#[derive(Serialize)]
struct HeaderOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    url: &'a str,
    user_id: Option<&'a str>,
    started_at: Timestamp,
}

/// The header line as read, once its `type` and `version` have been checked.
#[derive(Deserialize)]
struct HeaderIn {
    #[allow(dead_code, reason = "checked before decoding; required to be present")]
    version: u32,
    url: String,
    #[serde(default)]
    user_id: Option<String>,
    started_at: Timestamp,
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
            | Record::Open { t, .. }
            | Record::Close { t, .. }
            | Record::Reconnect { t, .. } => *t,
        }
    }
}

/// A record as written: borrowed from the caller's [`Record`], with secrets redacted.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum RecordOut<'a> {
    Frame { dir: Direction, t: Timestamp, text: Cow<'a, str> },
    Open { t: Timestamp, protocol: Option<String> },
    Close { t: Timestamp, code: u16, reason: Cow<'a, str>, clean: bool },
    Reconnect { t: Timestamp, attempt: u32, delay_ms: u64 },
}

impl<'a> RecordOut<'a> {
    fn redacted(record: &'a Record) -> Self {
        match record {
            Record::Frame { dir, t, text } => {
                RecordOut::Frame { dir: *dir, t: *t, text: redact_secrets(text) }
            }
            Record::Open { t, protocol } => {
                RecordOut::Open { t: *t, protocol: protocol.as_deref().map(redact_protocol) }
            }
            Record::Close { t, code, reason, clean } => RecordOut::Close {
                t: *t,
                code: *code,
                reason: redact_secrets(reason),
                clean: *clean,
            },
            Record::Reconnect { t, attempt, delay_ms } => {
                RecordOut::Reconnect { t: *t, attempt: *attempt, delay_ms: *delay_ms }
            }
        }
    }
}

/// Writes an agentwire recording, one JSON line per record, redacting secrets on the way.
///
/// Each line goes to the inner writer in one `write_all` call. The writer does no buffering of its
/// own: wrap a file in a [`std::io::BufWriter`].
#[derive(Debug)]
pub struct RecordingWriter<W: Write> {
    writer: W,
    line: Vec<u8>,
}

impl<W: Write> RecordingWriter<W> {
    /// Starts a recording on `writer` by writing the header line, with the URL redacted.
    ///
    /// # Errors
    /// [`RecordingError::Io`] when writing fails.
    pub fn new(writer: W, header: &Header) -> Result<Self, RecordingError> {
        let mut this = RecordingWriter { writer, line: Vec::with_capacity(256) };
        let url = redact_url(&header.url);
        this.write_line(&HeaderOut {
            kind: FORMAT_TYPE,
            version: FORMAT_VERSION,
            url: &url,
            user_id: header.user_id.as_deref(),
            started_at: header.started_at,
        })?;
        Ok(this)
    }

    /// Appends one record: frame text and close reasons pass through [`redact_secrets`], an open
    /// record's sub-protocol through [`redact_protocol`].
    ///
    /// # Errors
    /// [`RecordingError::Io`] when writing fails.
    pub fn write(&mut self, record: &Record) -> Result<(), RecordingError> {
        self.write_line(&RecordOut::redacted(record))
    }

    /// Flushes the inner writer.
    ///
    /// # Errors
    /// [`RecordingError::Io`] when flushing fails.
    pub fn flush(&mut self) -> Result<(), RecordingError> {
        Ok(self.writer.flush()?)
    }

    /// Gives back the inner writer (without flushing it).
    pub fn into_inner(self) -> W {
        self.writer
    }

    fn write_line<T: Serialize>(&mut self, value: &T) -> Result<(), RecordingError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(write_error)?;
        self.line.push(b'\n');
        self.writer.write_all(&self.line)?;
        Ok(())
    }
}

/// Reads an agentwire recording one line at a time.
///
/// [`RecordingReader::new`] reads and checks the header; the reader is then an iterator of
/// records. Blank lines are skipped. A bad line gives an `Err` carrying its 1-based line number
/// and the iteration goes on with the next line; an I/O error ends the iteration. Memory use is
/// bounded by the longest line, not the length of the recording.
#[derive(Debug)]
pub struct RecordingReader<R: BufRead> {
    reader: R,
    header: Header,
    line: Vec<u8>,
    line_number: usize,
    done: bool,
}

impl<R: BufRead> RecordingReader<R> {
    /// Reads the header: the first non-blank line.
    ///
    /// # Errors
    /// - [`RecordingError::MissingHeader`] when the input is empty or its first non-blank line is
    ///   not a JSON object whose `type` is [`FORMAT_TYPE`];
    /// - [`RecordingError::UnsupportedVersion`] when the header's `version` is newer than
    ///   [`FORMAT_VERSION`] (or 0);
    /// - [`RecordingError::Json`] when the header's other fields are missing or invalid;
    /// - [`RecordingError::InvalidUtf8`] or [`RecordingError::Io`] when the line can't be read.
    pub fn new(reader: R) -> Result<Self, RecordingError> {
        let mut this = RecordingReader {
            reader,
            header: Header { url: String::new(), user_id: None, started_at: Timestamp::EPOCH },
            line: Vec::with_capacity(1024),
            line_number: 0,
            done: false,
        };
        let Some((line_number, line)) = this.next_line()? else {
            return Err(RecordingError::MissingHeader);
        };
        this.header = parse_header(line, line_number)?;
        Ok(this)
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The 1-based number of the last line read (0 before the header is read).
    pub fn line_number(&self) -> usize {
        self.line_number
    }

    /// Reads the next non-blank line, without its line ending (and without a UTF-8 byte order
    /// mark on line 1), with its 1-based number. `Ok(None)` at the end of the input.
    fn next_line(&mut self) -> Result<Option<(usize, &str)>, RecordingError> {
        let content = loop {
            self.line.clear();
            if self.line.capacity() > LINE_BUFFER_KEEP {
                self.line.shrink_to(LINE_BUFFER_KEEP);
            }
            if self.reader.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(None);
            }
            self.line_number += 1;
            let Ok(text) = std::str::from_utf8(&self.line) else {
                return Err(RecordingError::InvalidUtf8 { line: self.line_number });
            };
            let start = if self.line_number == 1 && text.starts_with('\u{feff}') {
                '\u{feff}'.len_utf8()
            } else {
                0
            };
            let rest = text.get(start..).unwrap_or_default();
            if !rest.trim().is_empty() {
                break start..start + rest.trim_end_matches(['\n', '\r']).len();
            }
        };
        // Validated above; checked again rather than borrowed across the loop (the borrow
        // checker can't see that the loop ends there).
        let text = std::str::from_utf8(self.line.get(content).unwrap_or_default())
            .map_err(|_| RecordingError::InvalidUtf8 { line: self.line_number })?;
        Ok(Some((self.line_number, text)))
    }
}

/// Checks and decodes the header line.
fn parse_header(line: &str, line_number: usize) -> Result<Header, RecordingError> {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(line) else {
        return Err(RecordingError::MissingHeader);
    };
    if object.get("type").and_then(serde_json::Value::as_str) != Some(FORMAT_TYPE) {
        return Err(RecordingError::MissingHeader);
    }
    if let Some(found) = object.get("version").and_then(serde_json::Value::as_u64) {
        if found == 0 || found > u64::from(FORMAT_VERSION) {
            return Err(RecordingError::UnsupportedVersion { found, supported: FORMAT_VERSION });
        }
    }
    let header = HeaderIn::deserialize(serde_json::Value::Object(object))
        .map_err(|source| RecordingError::Json { line: line_number, source })?;
    Ok(Header { url: header.url, user_id: header.user_id, started_at: header.started_at })
}

/// Decodes one record line.
fn parse_record(line: &str, line_number: usize) -> Result<Record, RecordingError> {
    serde_json::from_str::<Record>(line).map_err(|source| {
        /// Just the `type` of a line that did not decode.
        #[derive(Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            kind: String,
        }
        match serde_json::from_str::<Kind>(line) {
            Ok(Kind { kind })
                if !matches!(kind.as_str(), "frame" | "open" | "close" | "reconnect") =>
            {
                RecordingError::UnknownRecord { line: line_number, kind }
            }
            _ => RecordingError::Json { line: line_number, source },
        }
    })
}

impl<R: BufRead> Iterator for RecordingReader<R> {
    type Item = Result<Record, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_line() {
            Ok(Some((line_number, line))) => Some(parse_record(line, line_number)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                if matches!(error, RecordingError::Io(_)) {
                    self.done = true;
                }
                Some(Err(error))
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for RecordingReader<R> {}

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// HAR
// ---------------------------------------------------------------------------------------------

/// One WebSocket message of a HAR file (an element of an entry's `_webSocketMessages`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarMessage {
    /// The 0-based index, in `log.entries`, of the entry (connection) the message belongs to.
    pub entry: usize,
    /// `receive` is [`Direction::In`], `send` is [`Direction::Out`].
    pub dir: Direction,
    /// The message's `time` (epoch seconds); `None` when absent, null or out of range.
    pub t: Option<Timestamp>,
    /// The WebSocket opcode: 1 for text, 2 for binary (then `text` is base64, as Chrome writes
    /// it). 1 when absent.
    pub opcode: u8,
    /// The message's `data`.
    pub text: String,
}

/// What [`read_har_messages`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HarSummary {
    /// The number of entries in `log.entries`.
    pub entries: usize,
    /// The number of entries with a `_webSocketMessages` array (possibly empty).
    pub websocket_entries: usize,
    /// The number of messages handed to the callback.
    pub messages: usize,
    /// The number of messages skipped: a `type` other than `send` or `receive`, or a missing or
    /// null `data`.
    pub skipped: usize,
}

/// Streams the WebSocket messages of a HAR file (`{"log":{"entries":[...]}}`, as Chrome and
/// Firefox export it), calling `on_message` for each one in file order.
///
/// The document is never held in memory: only one message at a time. Every key other than
/// `log`, `entries`, `_webSocketMessages` and a message's `type`, `time`, `opcode` and `data` is
/// skipped unread. The input is buffered internally. serde_json's default nesting limit (128)
/// applies to the values visited; skipped values are skipped without recursion, at any depth.
///
/// # Errors
/// - [`RecordingError::NotHar`] when the input is JSON but not an object with a `log` key;
/// - [`RecordingError::Har`] when it is not JSON, has trailing data, or `log`, `entries`,
///   `_webSocketMessages` or a message has the wrong shape;
/// - [`RecordingError::Io`] when reading fails.
///
/// `on_message` may already have been called for earlier messages when an error is returned.
pub fn read_har_messages<R: Read>(
    reader: R,
    on_message: impl FnMut(HarMessage),
) -> Result<HarSummary, RecordingError> {
    let mut state = HarState { on_message, summary: HarSummary::default() };
    let mut deserializer = serde_json::Deserializer::from_reader(io::BufReader::new(reader));
    let is_har = HarRoot(&mut state).deserialize(&mut deserializer).map_err(har_error)?;
    if !is_har {
        return Err(RecordingError::NotHar);
    }
    deserializer.end().map_err(har_error)?;
    Ok(state.summary)
}

/// The callback and the counts, shared by the HAR visitors.
struct HarState<F> {
    on_message: F,
    summary: HarSummary,
}

/// A map key (or string value) compared against a list of names: gives the index of the match.
/// Reading it never allocates.
struct OneOf(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for OneOf {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for OneOf {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| *name == value))
    }
}

/// The whole document. Gives `false` when it is valid JSON but not a HAR document.
struct HarRoot<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarRoot<'_, F> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarRoot<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut saw_log = false;
        while let Some(key) = map.next_key_seed(OneOf(&["log"]))? {
            if key == Some(0) && !saw_log {
                saw_log = true;
                map.next_value_seed(HarLog(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(saw_log)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// `log`: only `entries` is read.
struct HarLog<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarLog<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarLog<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR `log` object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(OneOf(&["entries"]))? {
            if key == Some(0) {
                map.next_value_seed(HarEntries(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `log.entries`: an array of entries.
struct HarEntries<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarEntries<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarEntries<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR `entries` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(HarEntry(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One entry: only `_webSocketMessages` is read.
struct HarEntry<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarEntry<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarEntry<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let entry = self.0.summary.entries;
        self.0.summary.entries += 1;
        let mut is_websocket = false;
        while let Some(key) = map.next_key_seed(OneOf(&["_webSocketMessages"]))? {
            if key == Some(0) {
                is_websocket |= map.next_value_seed(HarMessages { state: &mut *self.0, entry })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if is_websocket {
            self.0.summary.websocket_entries += 1;
        }
        Ok(())
    }
}

/// An entry's `_webSocketMessages`: an array, or null (gives `false`).
struct HarMessages<'s, F> {
    state: &'s mut HarState<F>,
    entry: usize,
}

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarMessages<'_, F> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarMessages<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a `_webSocketMessages` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(message) = seq.next_element::<HarMessageIn>()? {
            match message.into_message(self.entry) {
                Some(message) => {
                    self.state.summary.messages += 1;
                    (self.state.on_message)(message);
                }
                None => self.state.summary.skipped += 1,
            }
        }
        Ok(true)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// One element of `_webSocketMessages`, as read.
struct HarMessageIn {
    dir: Option<Direction>,
    t: Option<Timestamp>,
    opcode: u8,
    text: Option<String>,
}

impl HarMessageIn {
    fn into_message(self, entry: usize) -> Option<HarMessage> {
        Some(HarMessage { entry, dir: self.dir?, t: self.t, opcode: self.opcode, text: self.text? })
    }
}

impl<'de> Deserialize<'de> for HarMessageIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HarMessageVisitor)
    }
}

struct HarMessageVisitor;

impl<'de> Visitor<'de> for HarMessageVisitor {
    type Value = HarMessageIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WebSocket message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HarMessageIn, A::Error> {
        let mut message = HarMessageIn { dir: None, t: None, opcode: 1, text: None };
        while let Some(key) = map.next_key_seed(OneOf(&["type", "time", "opcode", "data"]))? {
            match key {
                Some(0) => {
                    message.dir = match map.next_value_seed(OneOf(&["send", "receive"]))? {
                        Some(0) => Some(Direction::Out),
                        Some(_) => Some(Direction::In),
                        None => None,
                    };
                }
                Some(1) => message.t = map.next_value_seed(LenientTime)?,
                Some(2) => message.opcode = map.next_value()?,
                Some(_) => message.text = map.next_value()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(message)
    }
}

/// A message `time`: epoch seconds (milliseconds above 1e12) or an ISO string; anything else,
/// or a value out of range, is `None`.
struct LenientTime;

impl<'de> DeserializeSeed<'de> for LenientTime {
    type Value = Option<Timestamp>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LenientTime {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value as f64))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Timestamp::parse(value))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A HAR entry's `request`, as written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarRequestOut<'a> {
    method: &'static str,
    url: &'a str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: [(); 0],
    query_string: [(); 0],
    headers_size: i64,
    body_size: i64,
}

/// A HAR entry's `response`, as written: the WebSocket upgrade.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarResponseOut {
    status: u16,
    status_text: &'static str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: [(); 0],
    content: HarContentOut,
    #[serde(rename = "redirectURL")]
    redirect_url: &'static str,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarContentOut {
    size: u64,
    mime_type: &'static str,
}

const HAR_RESPONSE: HarResponseOut = HarResponseOut {
    status: 101,
    status_text: "Switching Protocols",
    http_version: "HTTP/1.1",
    cookies: [],
    headers: [],
    content: HarContentOut { size: 0, mime_type: "x-unknown" },
    redirect_url: "",
    headers_size: -1,
    body_size: -1,
};

/// `log.creator`.
#[derive(Serialize)]
struct HarCreatorOut {
    name: &'static str,
    version: &'static str,
}

/// One element of `_webSocketMessages`, as written.
#[derive(Serialize)]
struct HarMessageOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    time: f64,
    opcode: u8,
    data: Cow<'a, str>,
}

/// The entry being written: when it started, and its latest record.
struct OpenEntry {
    started: Timestamp,
    latest: Timestamp,
}

/// Writes a minimal valid HAR 1.2 document for a recording: one entry per connection (each
/// [`Record::Open`] starts one; frames before the first open go into a first entry that starts at
/// the header's `started_at`), with each frame as a `_webSocketMessages` element (`time` in epoch
/// seconds, opcode 1). Close and reconnect records only extend the entry's `time`.
///
/// The URL passes through [`redact_url`] and frame text through [`redact_secrets`]. The document
/// is streamed: records are consumed one at a time, and the output is buffered internally and
/// flushed at the end. [`read_har_messages`] reads it back.
///
/// # Errors
/// [`RecordingError::Io`] when writing fails.
pub fn write_har<W: Write>(
    writer: W,
    header: &Header,
    records: impl IntoIterator<Item = Record>,
) -> Result<(), RecordingError> {
    let mut out = io::BufWriter::new(writer);
    let url = redact_url(&header.url);
    out.write_all(br#"{"log":{"version":"1.2","creator":"#)?;
    let creator = HarCreatorOut { name: "agentwire", version: env!("CARGO_PKG_VERSION") };
    serde_json::to_writer(&mut out, &creator).map_err(write_error)?;
    out.write_all(br#","entries":["#)?;

    let mut entry: Option<OpenEntry> = None;
    let mut entries = 0usize;
    let mut messages_in_entry = 0usize;
    for record in records {
        let t = record.time();
        let is_open = matches!(record, Record::Open { .. });
        if is_open {
            if let Some(open) = entry.take() {
                end_har_entry(&mut out, &open)?;
            }
        }
        if entry.is_none() {
            let started = if is_open { t } else { header.started_at };
            start_har_entry(&mut out, entries, started, &url)?;
            entries += 1;
            messages_in_entry = 0;
            entry = Some(OpenEntry { started, latest: started });
        }
        if let Some(open) = entry.as_mut() {
            open.latest = open.latest.max(t);
        }
        if let Record::Frame { dir, t, text } = &record {
            if messages_in_entry > 0 {
                out.write_all(b",")?;
            }
            messages_in_entry += 1;
            let message = HarMessageOut {
                kind: match dir {
                    Direction::In => "receive",
                    Direction::Out => "send",
                },
                time: t.as_unix_micros() as f64 / 1e6,
                opcode: 1,
                data: redact_secrets(text),
            };
            serde_json::to_writer(&mut out, &message).map_err(write_error)?;
        }
    }
    if let Some(open) = entry.take() {
        end_har_entry(&mut out, &open)?;
    }
    out.write_all(b"]}}\n")?;
    out.flush()?;
    Ok(())
}

/// Writes an entry up to the opening bracket of its `_webSocketMessages`.
fn start_har_entry<W: Write>(
    out: &mut W,
    index: usize,
    started: Timestamp,
    url: &str,
) -> Result<(), RecordingError> {
    if index > 0 {
        out.write_all(b",")?;
    }
    out.write_all(br#"{"startedDateTime":"#)?;
    serde_json::to_writer(&mut *out, &started).map_err(write_error)?;
    out.write_all(br#","request":"#)?;
    let request = HarRequestOut {
        method: "GET",
        url,
        http_version: "HTTP/1.1",
        cookies: [],
        headers: [],
        query_string: [],
        headers_size: -1,
        body_size: 0,
    };
    serde_json::to_writer(&mut *out, &request).map_err(write_error)?;
    out.write_all(br#","response":"#)?;
    serde_json::to_writer(&mut *out, &HAR_RESPONSE).map_err(write_error)?;
    out.write_all(
        br#","cache":{},"timings":{"send":0,"wait":0,"receive":0},"_resourceType":"websocket","_webSocketMessages":["#,
    )?;
    Ok(())
}

/// Closes an entry's `_webSocketMessages` and writes its `time` (milliseconds it lasted).
fn end_har_entry<W: Write>(out: &mut W, entry: &OpenEntry) -> Result<(), RecordingError> {
    out.write_all(br#"],"time":"#)?;
    let millis = entry.latest.micros_since(entry.started).max(0) as f64 / 1000.0;
    serde_json::to_writer(&mut *out, &millis).map_err(write_error)?;
    out.write_all(b"}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlX2J5dGVz";

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_micros(1_758_207_374_000_000 + secs * 1_000_000)
    }

    fn header(url: &str) -> Header {
        Header { url: url.to_owned(), user_id: Some("u1".to_owned()), started_at: at(0) }
    }

    fn frame(dir: Direction, secs: i64, text: &str) -> Record {
        Record::Frame { dir, t: at(secs), text: text.to_owned() }
    }

    fn record_to_string(header: &Header, records: &[Record]) -> String {
        let mut writer = RecordingWriter::new(Vec::new(), header).unwrap();
        for record in records {
            writer.write(record).unwrap();
        }
        String::from_utf8(writer.into_inner()).unwrap()
    }

    fn read_all(text: &str) -> (Header, Vec<Result<Record, RecordingError>>) {
        let mut reader = RecordingReader::new(text.as_bytes()).unwrap();
        let records = reader.by_ref().collect();
        (reader.header().clone(), records)
    }

    fn har_messages(har: &str) -> (Vec<HarMessage>, HarSummary) {
        let mut messages = Vec::new();
        let summary = read_har_messages(har.as_bytes(), |message| messages.push(message)).unwrap();
        (messages, summary)
    }

    #[test]
    fn writer_writes_the_documented_line_shapes() {
        let text = record_to_string(
            &header("ws://127.0.0.1:8080/ws"),
            &[
                Record::Open { t: at(0), protocol: None },
                frame(Direction::Out, 1, r#"{"type":"ping"}"#),
                Record::Close { t: at(2), code: 1006, reason: String::new(), clean: false },
                Record::Reconnect { t: at(2), attempt: 2, delay_ms: 1200 },
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"type":"agentwire.recording","version":1,"url":"ws://127.0.0.1:8080/ws","user_id":"u1","started_at":"2025-09-18T14:56:14Z"}"#,
                r#"{"type":"open","t":"2025-09-18T14:56:14Z","protocol":null}"#,
                r#"{"type":"frame","dir":"out","t":"2025-09-18T14:56:15Z","text":"{\"type\":\"ping\"}"}"#,
                r#"{"type":"close","t":"2025-09-18T14:56:16Z","code":1006,"reason":"","clean":false}"#,
                r#"{"type":"reconnect","t":"2025-09-18T14:56:16Z","attempt":2,"delay_ms":1200}"#,
            ]
        );
    }

    #[test]
    fn writer_never_writes_a_token_in_url_protocol_or_frames() {
        let text = record_to_string(
            &header("wss://alice:hunter2@example.com/ws?user=u1&Token=abc123&jwt=xyz789#x"),
            &[
                Record::Open { t: at(0), protocol: Some(format!("jwt-auth.{JWT}")) },
                Record::Open { t: at(0), protocol: Some("bearer.opaque-secret".to_owned()) },
                frame(Direction::Out, 1, &format!(r#"{{"type":"auth","token":"{JWT}"}}"#)),
                Record::Close {
                    t: at(2),
                    code: 4001,
                    reason: format!("bad token {JWT}"),
                    clean: true,
                },
            ],
        );
        for secret in ["alice", "hunter2", "abc123", "xyz789", "opaque-secret", "eyJ", "c2lnbmF0"] {
            assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
        }
        let (header, records) = read_all(&text);
        assert_eq!(header.url, "wss://example.com/ws?user=u1&Token=REDACTED&jwt=REDACTED#x");
        let records: Vec<Record> = records.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            records[0],
            Record::Open { t: at(0), protocol: Some("jwt-auth.REDACTED".into()) }
        );
        assert_eq!(records[1], Record::Open { t: at(0), protocol: Some("bearer.REDACTED".into()) });
        assert_eq!(
            records[2],
            frame(Direction::Out, 1, r#"{"type":"auth","token":"[REDACTED-JWT]"}"#)
        );
    }

    #[test]
    fn reader_streams_records_and_reports_line_numbers_of_bad_lines() {
        let good = record_to_string(&header("ws://h/ws"), &[frame(Direction::In, 1, "one")]);
        let text = format!(
            "\n{good}\n   \n{{not json\n{{\"type\":\"frame\",\"dir\":\"sideways\",\"t\":0,\"text\":\"\"}}\n\
             {{\"type\":\"annotation\",\"t\":0}}\n{{\"type\":\"agentwire.recording\",\"version\":1}}\r\n\
             {{\"type\":\"frame\",\"dir\":\"out\",\"t\":\"2025-09-18T14:56:16Z\",\"text\":\"two\"}}\r\n"
        );
        let (header, records) = read_all(&text);
        assert_eq!(header.url, "ws://h/ws");
        assert_eq!(records.len(), 6);
        assert!(matches!(records[0], Ok(Record::Frame { ref text, .. }) if text == "one"));
        assert!(
            matches!(records[1], Err(RecordingError::Json { line: 6, .. })),
            "{:?}",
            records[1]
        );
        assert!(
            matches!(records[2], Err(RecordingError::Json { line: 7, .. })),
            "{:?}",
            records[2]
        );
        assert!(
            matches!(records[3], Err(RecordingError::UnknownRecord { line: 8, ref kind }) if kind == "annotation")
        );
        assert!(matches!(records[4], Err(RecordingError::UnknownRecord { line: 9, .. })));
        assert_eq!(records[5].as_ref().unwrap(), &frame(Direction::Out, 2, "two"));
    }

    #[test]
    fn reader_rejects_input_without_a_header() {
        for text in ["", "\n\n", "not json\n", "{\"type\":\"pong\"}\n", "[1,2]\n"] {
            let result = RecordingReader::new(text.as_bytes());
            assert!(matches!(result, Err(RecordingError::MissingHeader)), "{text:?}");
        }
        let bad_field =
            r#"{"type":"agentwire.recording","version":1,"url":"x","started_at":"nope"}"#;
        assert!(matches!(
            RecordingReader::new(format!("\n{bad_field}").as_bytes()),
            Err(RecordingError::Json { line: 2, .. })
        ));
    }

    #[test]
    fn reader_rejects_a_newer_version_with_a_typed_error() {
        let text = r#"{"type":"agentwire.recording","version":2,"something":"new"}"#;
        let result = RecordingReader::new(text.as_bytes());
        assert!(matches!(
            result,
            Err(RecordingError::UnsupportedVersion { found: 2, supported: FORMAT_VERSION })
        ));
    }

    #[test]
    fn reader_reports_invalid_utf8_and_goes_on() {
        let mut bytes = record_to_string(&header("ws://h/ws"), &[]).into_bytes();
        bytes.extend_from_slice(b"{\"type\":\"frame\",\"text\":\"\xff\"}\n");
        bytes.extend_from_slice(br#"{"type":"open","t":"2025-09-18T14:56:14Z"}"#);
        let records: Vec<_> = RecordingReader::new(bytes.as_slice()).unwrap().collect();
        assert!(matches!(records[0], Err(RecordingError::InvalidUtf8 { line: 2 })));
        assert_eq!(records[1].as_ref().unwrap(), &Record::Open { t: at(0), protocol: None });
    }

    #[test]
    fn reader_skips_a_byte_order_mark_and_accepts_a_missing_protocol() {
        let text = "\u{feff}{\"type\":\"agentwire.recording\",\"version\":1,\"url\":\"ws://h\",\"started_at\":0}\n\
                    {\"type\":\"open\",\"t\":1758207374}";
        let (header, records) = read_all(text);
        assert_eq!(header.user_id, None);
        assert_eq!(header.started_at, Timestamp::EPOCH);
        assert_eq!(records[0].as_ref().unwrap(), &Record::Open { t: at(0), protocol: None });
    }

    #[test]
    fn redact_url_removes_userinfo_and_secret_query_values_only() {
        let cases = [
            ("ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8080/ws"),
            ("ws://u:p@host/ws", "ws://host/ws"),
            ("ws://u:p@w@host:1/ws?x=1", "ws://host:1/ws?x=1"),
            ("wss://host/ws?token=abc&user=u1", "wss://host/ws?token=REDACTED&user=u1"),
            (
                "wss://host?ACCESS_TOKEN=a&api_key=b&key=c&keys=d",
                "wss://host?ACCESS_TOKEN=REDACTED&api_key=REDACTED&key=REDACTED&keys=d",
            ),
            (
                "ws://h/?auth%5Ftoken=a&ticket_id=b&auth_ticket=c&ticket=d&auth=e",
                "ws://h/?auth%5Ftoken=REDACTED&ticket_id=REDACTED&auth_ticket=REDACTED&ticket=REDACTED&auth=REDACTED",
            ),
            ("ws://h/ws?token=&token", "ws://h/ws?token=&token"),
            ("ws://h/ws#access_token=abc&state=1", "ws://h/ws#access_token=REDACTED&state=1"),
            ("u:p@host/ws?jwt=a=b", "host/ws?jwt=REDACTED"),
            ("/ws?token=a", "/ws?token=REDACTED"),
            ("//u@host/ws", "//host/ws"),
            (&format!("ws://h/ws/{JWT}/x"), "ws://h/ws/[REDACTED-JWT]/x"),
            ("", ""),
            ("ws://héllo@hôst/é?tökén=ü&token=ü", "ws://hôst/é?tökén=ü&token=REDACTED"),
        ];
        for (input, expected) in cases {
            let redacted = redact_url(input);
            assert_eq!(redacted, expected, "{input}");
            assert_eq!(redact_url(&redacted), redacted, "not idempotent: {input}");
        }
    }

    #[test]
    fn redact_protocol_hides_tokens_after_known_prefixes() {
        assert_eq!(redact_protocol("jwt.abc"), "jwt.REDACTED");
        assert_eq!(redact_protocol("JWT-Auth.abc.def"), "JWT-Auth.REDACTED");
        assert_eq!(redact_protocol("staging-auth.x"), "staging-auth.REDACTED");
        assert_eq!(redact_protocol("jwt-auth, bearer.tok"), "jwt-auth, bearer.REDACTED");
        assert_eq!(redact_protocol("jwt-auth"), "jwt-auth");
        assert_eq!(redact_protocol("jwt."), "jwt.");
        assert_eq!(redact_protocol("graphql-ws"), "graphql-ws");
        assert_eq!(redact_protocol(&format!("custom.{JWT}")), "custom.[REDACTED-JWT]");
    }

    #[test]
    fn redact_secrets_handles_multibyte_text_and_lookalikes() {
        let text = format!("日本語{JWT}🙂 done, then \\n{JWT}");
        assert_eq!(redact_secrets(&text), "日本語[REDACTED-JWT]🙂 done, then \\n[REDACTED-JWT]");
        let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.";
        assert_eq!(redact_secrets(&format!("({unsigned})")), "([REDACTED-JWT])");
        let jwe = format!("{JWT}.aXY.dGFn end.");
        assert_eq!(redact_secrets(&jwe), "[REDACTED-JWT] end.");
        for lookalike in [
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJhbGci.eyJzdWIi",
            "eyJhbGci.notapayload.sig",
            "eyJ.é.eyJ",
            "eyJhbGci .eyJzdWIi.sig",
            "version 1.2.3 and e.y.J",
            "ééé",
            "eyJ",
            "ey",
            "",
        ] {
            assert!(matches!(redact_secrets(lookalike), Cow::Borrowed(_)), "{lookalike}");
        }
        // Every prefix of a multibyte string with tokens in it: no panic, and as soon as the
        // prefix reaches a token's second dot the token is gone.
        let mixed = format!("é{JWT}ü.{JWT}€");
        for (end, _) in mixed.char_indices() {
            let prefix = &mixed[..end];
            let redacted = redact_secrets(prefix);
            assert!(!redacted.contains("eyJzdWIiOiJ1MSJ9."), "{prefix} -> {redacted}");
            assert!(!redacted.contains("c2ln"), "{prefix} -> {redacted}");
            assert_eq!(redact_secrets(&redacted), redacted);
        }
    }

    #[test]
    fn redact_secrets_stays_fast_on_adversarial_input() {
        // Each of these would be quadratic for a scanner that restarts after every candidate.
        for text in [
            "eyJ".repeat(200_000),
            "eyJa.eyJb ".repeat(100_000),
            format!("{}x", "eyJa.".repeat(100_000)),
            "eyJa.eyJb".repeat(100_000),
        ] {
            let redacted = redact_secrets(&text);
            assert_eq!(redact_secrets(&redacted), redacted);
        }
        assert_eq!(redact_secrets(&"eyJa.".repeat(100_000)), "[REDACTED-JWT].");
    }

    #[test]
    fn har_reader_streams_websocket_messages_and_skips_other_entries() {
        let har = r#"{
          "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{"id": "page_1", "title": "x", "nested": [[[[{"entries": []}]]]]}],
            "entries": [
              {"request": {"url": "https://h/app.js"}, "response": {"status": 200}},
              {
                "_resourceType": "websocket",
                "request": {"url": "ws://h/ws"},
                "_webSocketMessages": [
                  {"type": "send", "time": 1758207374.25, "opcode": 1, "data": "{\"type\":\"ping\"}"},
                  {"type": "receive", "time": 1758207375, "opcode": 1, "data": "{\"type\":\"pong\"}"},
                  {"type": "receive", "time": 1758207376.5, "opcode": 2, "data": "AAEC"},
                  {"type": "weird", "time": 1, "data": "x"},
                  {"type": "send", "time": null, "extra": {"deep": [1, 2]}},
                  {"type": "send", "time": "2025-09-18T14:56:14Z", "data": "z"}
                ]
              },
              {"_webSocketMessages": null},
              {"_webSocketMessages": []}
            ]
          },
          "trailing": {"_webSocketMessages": [{"type": "send", "data": "not in an entry"}]}
        }"#;
        let (messages, summary) = har_messages(har);
        assert_eq!(
            summary,
            HarSummary { entries: 4, websocket_entries: 2, messages: 4, skipped: 2 }
        );
        let texts: Vec<(usize, Direction, u8, &str)> =
            messages.iter().map(|m| (m.entry, m.dir, m.opcode, m.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (1, Direction::Out, 1, r#"{"type":"ping"}"#),
                (1, Direction::In, 1, r#"{"type":"pong"}"#),
                (1, Direction::In, 2, "AAEC"),
                (1, Direction::Out, 1, "z"),
            ]
        );
        assert_eq!(messages[0].t, Some(Timestamp::from_unix_micros(1_758_207_374_250_000)));
        assert_eq!(messages[1].t, Some(at(1)));
        assert_eq!(messages[3].t, Some(at(0)));
    }

    #[test]
    fn har_reader_tells_not_har_from_broken_har() {
        let not_har = |text: &str| {
            matches!(read_har_messages(text.as_bytes(), |_| {}), Err(RecordingError::NotHar))
        };
        assert!(not_har(r#"{"entries": []}"#));
        assert!(not_har("[1, {\"log\": {}}]"));
        assert!(not_har("42"));
        let broken = |text: &str| {
            matches!(read_har_messages(text.as_bytes(), |_| {}), Err(RecordingError::Har(_)))
        };
        assert!(broken(""));
        assert!(broken(r#"{"log": 5}"#));
        assert!(broken(r#"{"log": {"entries": [{"_webSocketMessages": [{"data": 5}]}]}}"#));
        assert!(broken(r#"{"log": {"entries": []}} trailing"#));
        assert!(broken(r#"{"log": {"entries": [{"_webSocketMessages": [{"type": "send""#));
    }

    #[test]
    fn har_reader_skips_deeply_nested_values_without_overflowing() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let har = format!(
            r#"{{"log": {{"pages": {deep}, "entries": [{{"x": {deep}, "_webSocketMessages": [{{"type": "send", "data": "ok", "y": {deep}}}]}}]}}}}"#
        );
        let (messages, summary) = har_messages(&har);
        assert_eq!(summary.messages, 1);
        assert_eq!(messages[0].text, "ok");
    }

    #[test]
    fn har_round_trips_through_write_har() {
        let records = vec![
            frame(Direction::Out, 0, "before open"),
            Record::Open { t: at(1), protocol: Some("jwt.abc".to_owned()) },
            frame(Direction::Out, 2, &format!(r#"{{"token":"{JWT}"}}"#)),
            Record::Close { t: at(3), code: 1006, reason: String::new(), clean: false },
            Record::Reconnect { t: at(3), attempt: 1, delay_ms: 500 },
            Record::Open { t: at(4), protocol: None },
            Record::Frame {
                dir: Direction::In,
                t: Timestamp::from_unix_micros(1_758_207_378_123_457),
                text: "ünïcødé \"quoted\"\n".to_owned(),
            },
            Record::Open { t: at(5), protocol: None },
        ];
        let mut out = Vec::new();
        write_har(&mut out, &header("ws://u:p@h/ws?token=abc"), records).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("abc") && !text.contains("eyJ") && !text.contains("u:p"), "{text}");

        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let log = &document["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "agentwire");
        let entries = log["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0]["request"]["url"], "ws://h/ws?token=REDACTED");
        assert_eq!(entries[0]["response"]["status"], 101);
        assert_eq!(entries[1]["startedDateTime"], "2025-09-18T14:56:15Z");
        assert_eq!(entries[1]["time"], 2000.0);
        assert_eq!(entries[2]["_resourceType"], "websocket");
        for entry in entries {
            for field in ["startedDateTime", "time", "request", "response", "cache", "timings"] {
                assert!(entry.get(field).is_some(), "entry lacks {field}");
            }
        }

        let (messages, summary) = har_messages(&text);
        assert_eq!(
            summary,
            HarSummary { entries: 4, websocket_entries: 4, messages: 3, skipped: 0 }
        );
        let expected = [
            (0, Direction::Out, at(0), "before open".to_owned()),
            (1, Direction::Out, at(2), r#"{"token":"[REDACTED-JWT]"}"#.to_owned()),
            (
                2,
                Direction::In,
                Timestamp::from_unix_micros(1_758_207_378_123_457),
                "ünïcødé \"quoted\"\n".to_owned(),
            ),
        ];
        let got: Vec<_> =
            messages.into_iter().map(|m| (m.entry, m.dir, m.t.unwrap(), m.text)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn write_har_without_records_writes_an_empty_log() {
        let mut out = Vec::new();
        write_har(&mut out, &header("ws://h/ws"), Vec::new()).unwrap();
        let (messages, summary) = har_messages(std::str::from_utf8(&out).unwrap());
        assert!(messages.is_empty());
        assert_eq!(summary, HarSummary::default());
    }
}
