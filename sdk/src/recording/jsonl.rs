//! The agentwire JSONL format: [`RecordingWriter`] writes a header line and one line per record,
//! redacting secrets on the way; [`RecordingReader`] reads them back one line at a time.

use std::borrow::Cow;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::lines::{Line, MAX_LINE, read_line};
use super::redact::{redact_protocol, redact_secrets, redact_url};
use super::{Direction, FORMAT_TYPE, FORMAT_VERSION, Header, Record, RecordingError, write_error};
use crate::timestamp::Timestamp;

/// The reader's line buffer is shrunk back to this size after holding a longer line.
const LINE_BUFFER_KEEP: usize = 64 * 1024;
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
/// A record as written: borrowed from the caller's [`Record`], with secrets redacted.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum RecordOut<'a> {
    Frame {
        dir: Direction,
        t: Timestamp,
        text: Cow<'a, str>,
    },
    Open {
        t: Timestamp,
        protocol: Option<String>,
    },
    Close {
        t: Timestamp,
        code: u16,
        reason: Cow<'a, str>,
        clean: bool,
    },
    #[serde(rename = "too_long")]
    TooLong {
        dir: Direction,
        t: Timestamp,
        length: u64,
        limit: usize,
    },
    Reconnect {
        t: Timestamp,
        attempt: u32,
        delay_ms: u64,
    },
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
            Record::TooLong { dir, t, length, limit } => {
                RecordOut::TooLong { dir: *dir, t: *t, length: *length, limit: *limit }
            }
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
    max_line: usize,
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
        Self::with_max_line(reader, MAX_LINE)
    }

    /// As [`RecordingReader::new`], keeping lines of at most `max_line` bytes: a longer line
    /// is read to its end in bounded memory and given as [`RecordingError::LineTooLong`] (the
    /// iteration goes on).
    ///
    /// # Errors
    /// As [`RecordingReader::new`]; a header line longer than `max_line` is
    /// [`RecordingError::LineTooLong`].
    pub fn with_max_line(reader: R, max_line: usize) -> Result<Self, RecordingError> {
        let mut this = RecordingReader {
            reader,
            header: Header { url: String::new(), user_id: None, started_at: Timestamp::EPOCH },
            line: Vec::with_capacity(1024),
            line_number: 0,
            max_line,
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
            if self.line.capacity() > LINE_BUFFER_KEEP {
                self.line.shrink_to(LINE_BUFFER_KEEP);
            }
            let read = read_line(&mut self.reader, &mut self.line, self.max_line)?;
            if read != Line::End {
                self.line_number += 1;
            }
            match read {
                Line::End => return Ok(None),
                Line::TooLong { length } => {
                    return Err(RecordingError::LineTooLong {
                        line: self.line_number,
                        length,
                        limit: self.max_line,
                    });
                }
                _ => {}
            }
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
                break start..start + rest.len();
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
                if !matches!(
                    kind.as_str(),
                    "frame" | "too_long" | "open" | "close" | "reconnect"
                ) =>
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
