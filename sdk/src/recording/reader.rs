//! One streaming reader for every capture format: a frames file, an agentwire recording or a
//! HAR file, told apart by [`detect`](super::detect). `agentwire check` and the inspector's
//! import both read captures through it, so a file means the same to both by construction:
//! the same format, the same frames, the same records skipped, the same errors.
//!
//! ```text
//!  input ──► detect (reads only the start) ──► replay of the whole input
//!               frames file:  one line at a time ──► Line / Bytes / TooLong
//!               recording:    RecordingReader    ──► Record / TooLong   (unknown records skipped)
//!               HAR:          read_har_messages  ──► Record (an `open` per entry, text frames)
//! ```
//!
//! Lines and records are read one at a time into bounded buffers ([`MAX_LINE`](super::MAX_LINE)
//! or the limit given). A HAR file is one JSON document: [`CaptureReader::stream`] streams
//! its messages with bounded memory, while [`Iterator::next`] reads all of its messages at the
//! first call and hands them out one by one (the inspector holds the whole file anyway).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::capture::{CaptureFormat, Replay, detect};
use super::har::{HarMessage, read_har_messages};
use super::jsonl::RecordingReader;
use super::lines::{Line, read_line};
use super::{Direction, FORMAT_TYPE, Record, RecordingError};
use crate::check::{Checked, Checker};
use crate::decode::DecodeError;
use crate::timestamp::Timestamp;

/// The frames reader's line buffer is shrunk back to this size after holding a longer line.
const LINE_BUFFER_KEEP: usize = 64 * 1024;

/// The WebSocket opcode of a text message.
const OPCODE_TEXT: u8 = 1;

/// One thing a capture holds, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureItem {
    /// A line of a frames file: one received frame's text, without a time of its own (the
    /// frame's `timestamp`, when it has one, is the best there is).
    Line(String),
    /// A line of a frames file that is not UTF-8: still a received frame, for the decoder's
    /// lossy path ([`decode_bytes`](crate::decode_bytes)).
    Bytes(Vec<u8>),
    /// A record: of a recording, or of a HAR file (its text messages as `frame` records, and an
    /// `open` record where each WebSocket entry starts).
    Record(Record),
    /// A line longer than the limit (a frame of a frames file, or a recording's record, most
    /// likely a received frame): read to its end and not kept.
    TooLong {
        /// Its 1-based line number.
        line: usize,
        /// Its length in bytes, without its line ending.
        length: u64,
        /// The limit it exceeds.
        limit: usize,
    },
}

impl CaptureItem {
    /// The frame the connection received, when this item is one: a line of a frames file, a
    /// received `frame` record, a received `too_long` record (a frame not kept when it arrived),
    /// or a line too long to read (most likely a received frame). What
    /// `agentwire check` and the inspector's import check, decided here once.
    #[must_use]
    pub fn received(&self) -> Option<Received<'_>> {
        match self {
            CaptureItem::Line(text)
            | CaptureItem::Record(Record::Frame { dir: Direction::In, text, .. }) => {
                Some(Received::Text(text))
            }
            CaptureItem::Bytes(bytes) => Some(Received::Bytes(bytes)),
            CaptureItem::TooLong { length, limit, .. }
            | CaptureItem::Record(Record::TooLong { dir: Direction::In, length, limit, .. }) => {
                Some(Received::TooLong { length: *length, limit: *limit })
            }
            _ => None,
        }
    }
}

/// A frame the connection received, as a capture holds it ([`CaptureItem::received`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received<'a> {
    /// Its text.
    Text(&'a str),
    /// A frames-file line that is not UTF-8.
    Bytes(&'a [u8]),
    /// A line too long to read.
    TooLong {
        /// Its length in bytes.
        length: u64,
        /// The limit it exceeds.
        limit: usize,
    },
}

impl Received<'_> {
    /// Checks the frame with `checker`, offline (a capture's frames have no arrival time for the
    /// checker): text decoded and judged, bytes decoded as [`decode_bytes`](crate::decode_bytes)
    /// decodes them, a line too long a `malformed-frame`.
    ///
    /// # Errors
    /// The frame's [`DecodeError`]; it has already been reported as a flag.
    pub fn check(self, checker: &mut Checker) -> Result<Checked, DecodeError> {
        let decoded = match self {
            Received::Text(text) => crate::decode(text),
            Received::Bytes(bytes) => crate::decode_bytes(bytes),
            Received::TooLong { length, limit } => Err(DecodeError::TooLong { length, limit }),
        };
        checker.handle_decoded(decoded, None)
    }
}

/// Why a capture can't be read (on). Every variant ends the reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Reading the input failed.
    #[error("can't read: {0}")]
    Io(io::Error),
    /// The input is binary (a NUL byte near its start): no frames file, recording or HAR.
    #[error("binary data (a NUL byte at offset {offset}), not frames, a recording or a HAR file")]
    Binary {
        /// Where the first NUL byte is.
        offset: usize,
    },
    /// The input starts with a recording header but is not a readable recording: a header
    /// that can't be read, a line that is not a valid record (the error names its line), an
    /// unsupported version, a second header. Records of an unknown type are skipped, not errors
    /// ([`CaptureReader::skipped`]).
    #[error(transparent)]
    Recording(RecordingError),
    /// The input starts like a HAR document (an object with a `log` key) but is not valid JSON
    /// or not shaped like one.
    #[error(transparent)]
    Har(RecordingError),
}

impl CaptureError {
    /// The 1-based line where the input became unreadable, when the error names one.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            CaptureError::Recording(error) => error.line(),
            _ => None,
        }
    }

    fn of_recording(error: RecordingError) -> Self {
        match error {
            RecordingError::Io(error) => CaptureError::Io(error),
            error => CaptureError::Recording(error),
        }
    }

    fn of_har(error: RecordingError) -> Self {
        match error {
            RecordingError::Io(error) => CaptureError::Io(error),
            error => CaptureError::Har(error),
        }
    }
}

/// Records of a recording skipped because their type is unknown (from a newer writer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkippedRecords {
    /// How many.
    pub count: u64,
    /// The line number and type of the first one.
    pub first: Option<(usize, String)>,
}

/// A reader that counts the bytes read through it, for progress.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where the items come from.
enum Source<R: Read> {
    Frames {
        input: Replay<Counted<R>>,
        buffer: Vec<u8>,
        line: usize,
        limit: usize,
    },
    Recording(RecordingReader<Replay<Counted<R>>>),
    /// The input until the first read, then the messages read.
    Har {
        input: Option<Replay<Counted<R>>>,
        items: VecDeque<CaptureItem>,
    },
    /// After an error: nothing more.
    Done,
}

/// A capture (a frames file, an agentwire recording or a HAR file, told apart by
/// [`detect`](super::detect)) read one item at a time, in bounded memory. `agentwire check` and
/// the inspector's import both read through it, so a file means the same to both.
///
/// Lines and records are read one at a time, each at most the `max_line` given. A HAR file is
/// one JSON document: [`CaptureReader::stream`] hands its messages over as they are parsed,
/// while [`Iterator::next`] reads all of them at the first call and hands them out one by one.
pub struct CaptureReader<R: Read> {
    format: CaptureFormat,
    source: Source<R>,
    user_id: Option<String>,
    skipped: SkippedRecords,
    websocket_entries: Option<usize>,
    read: Arc<AtomicU64>,
}

impl<R: Read> std::fmt::Debug for CaptureReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("bytes_read", &self.bytes_read())
            .finish_non_exhaustive()
    }
}

impl<R: Read> CaptureReader<R> {
    /// Tells the format of `input` from its start and reads a recording's header. Lines (frames,
    /// records) longer than `max_line` bytes are [`CaptureItem::TooLong`].
    ///
    /// # Errors
    /// [`CaptureError::Binary`] for binary input, [`CaptureError::Recording`] for a recording
    /// whose header can't be read, [`CaptureError::Io`] when reading fails.
    pub fn new(input: R, max_line: usize) -> Result<Self, CaptureError> {
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: input, count: Arc::clone(&read) };
        let (format, replay) = detect(counted).map_err(CaptureError::Io)?;
        // What detection read: JSON text never holds a NUL byte (`/dev/zero`, an image, ...).
        let start = replay.get_ref().get_ref().0.get_ref();
        if let Some(offset) = start.iter().position(|byte| *byte == 0) {
            return Err(CaptureError::Binary { offset });
        }
        let mut user_id = None;
        let source = match format {
            CaptureFormat::Frames => {
                Source::Frames { input: replay, buffer: Vec::new(), line: 0, limit: max_line }
            }
            CaptureFormat::Recording => {
                let reader = RecordingReader::with_max_line(replay, max_line)
                    .map_err(CaptureError::of_recording)?;
                user_id = reader.header().user_id.clone();
                Source::Recording(reader)
            }
            CaptureFormat::Har => Source::Har { input: Some(replay), items: VecDeque::new() },
        };
        Ok(CaptureReader {
            format,
            source,
            user_id,
            skipped: SkippedRecords::default(),
            websocket_entries: None,
            read,
        })
    }

    /// The input's format.
    #[must_use]
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// A recording header's `user_id`: the connection's user.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The records of unknown type skipped so far.
    #[must_use]
    pub fn skipped(&self) -> &SkippedRecords {
        &self.skipped
    }

    /// A HAR file's number of entries with WebSocket messages, once its messages were read.
    #[must_use]
    pub fn websocket_entries(&self) -> Option<usize> {
        self.websocket_entries
    }

    /// How many bytes were read from the input so far (ahead of the items handed out by at most
    /// a read buffer), for progress.
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// Hands every remaining item to `each`, in file order. A HAR file's messages are streamed
    /// as they are parsed, so memory stays bounded whatever the input.
    ///
    /// # Errors
    /// The [`CaptureError`] that ended the reading; `each` has had every item before it.
    pub fn stream(&mut self, mut each: impl FnMut(CaptureItem)) -> Result<(), CaptureError> {
        if let Source::Har { input, .. } = &mut self.source {
            if let Some(input) = input.take() {
                let result = read_har(input, &mut each);
                return self.har_read(result);
            }
        }
        for item in self.by_ref() {
            each(item?);
        }
        Ok(())
    }

    /// Reads a HAR file's messages into the queue (the first [`Iterator::next`]).
    fn fill_har(&mut self) -> Result<(), CaptureError> {
        let Source::Har { input, items } = &mut self.source else { return Ok(()) };
        let Some(input) = input.take() else { return Ok(()) };
        let result = read_har(input, &mut |item| items.push_back(item));
        self.har_read(result)
    }

    fn har_read(&mut self, result: Result<usize, RecordingError>) -> Result<(), CaptureError> {
        match result {
            Ok(entries) => {
                self.websocket_entries = Some(entries);
                Ok(())
            }
            Err(error) => {
                self.source = Source::Done;
                Err(CaptureError::of_har(error))
            }
        }
    }

    fn next_item(&mut self) -> Result<Option<CaptureItem>, CaptureError> {
        if matches!(self.source, Source::Har { input: Some(_), .. }) {
            self.fill_har()?;
        }
        match &mut self.source {
            Source::Frames { input, buffer, line, limit } => loop {
                if buffer.capacity() > LINE_BUFFER_KEEP {
                    buffer.shrink_to(LINE_BUFFER_KEEP);
                }
                let found = read_line(input, buffer, *limit).map_err(CaptureError::Io)?;
                *line += 1;
                match found {
                    Line::End => return Ok(None),
                    Line::TooLong { length } => {
                        let item = CaptureItem::TooLong { line: *line, length, limit: *limit };
                        return Ok(Some(item));
                    }
                    _ if buffer.trim_ascii().is_empty() => {}
                    _ => {
                        let bytes = std::mem::take(buffer);
                        return Ok(Some(match String::from_utf8(bytes) {
                            Ok(text) => CaptureItem::Line(text),
                            Err(error) => CaptureItem::Bytes(error.into_bytes()),
                        }));
                    }
                }
            },
            Source::Recording(reader) => loop {
                match reader.next() {
                    None => return Ok(None),
                    Some(Ok(record)) => return Ok(Some(CaptureItem::Record(record))),
                    Some(Err(RecordingError::LineTooLong { line, length, limit })) => {
                        return Ok(Some(CaptureItem::TooLong { line, length, limit }));
                    }
                    // A record from a newer writer; a second header is an error.
                    Some(Err(RecordingError::UnknownRecord { line, kind }))
                        if kind != FORMAT_TYPE =>
                    {
                        self.skipped.count += 1;
                        self.skipped.first.get_or_insert((line, kind));
                    }
                    Some(Err(error)) => return Err(CaptureError::of_recording(error)),
                }
            },
            Source::Har { items, .. } => Ok(items.pop_front()),
            Source::Done => Ok(None),
        }
    }
}

impl<R: Read> Iterator for CaptureReader<R> {
    type Item = Result<CaptureItem, CaptureError>;

    /// The next item, or the error that ends the reading (then `None`).
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_item() {
            Ok(item) => item.map(Ok),
            Err(error) => {
                self.source = Source::Done;
                Some(Err(error))
            }
        }
    }
}

/// Streams a HAR file's text messages as `frame` records, with an `open` record where each
/// entry starts; a message without a time takes the previous one's. Returns the number of
/// entries with WebSocket messages.
fn read_har<R: Read>(
    input: R,
    each: &mut impl FnMut(CaptureItem),
) -> Result<usize, RecordingError> {
    let mut entry = None;
    let mut t = Timestamp::EPOCH;
    let on_message = |message: HarMessage| {
        t = message.t.unwrap_or(t);
        if entry != Some(message.entry) {
            entry = Some(message.entry);
            each(CaptureItem::Record(Record::Open { t, protocol: None }));
        }
        if message.opcode == OPCODE_TEXT {
            each(CaptureItem::Record(Record::Frame { dir: message.dir, t, text: message.text }));
        }
    };
    read_har_messages(input, on_message).map(|summary| summary.websocket_entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::Direction;

    const HEADER: &str = r#"{"type":"agentwire.recording","version":1,"url":"ws://h/ws","user_id":"u1","started_at":0}"#;
    const FRAME: &str = r#"{"type":"frame","dir":"in","t":1,"text":"{\"type\":\"pong\"}"}"#;

    fn read_all(text: &[u8], limit: usize) -> (Vec<CaptureItem>, Option<CaptureError>) {
        let mut reader = CaptureReader::new(text, limit).expect("a readable start");
        let mut items = Vec::new();
        let mut error = None;
        for item in reader.by_ref() {
            match item {
                Ok(item) => items.push(item),
                Err(e) => error = Some(e),
            }
        }
        assert!(reader.next().is_none(), "nothing after the end or an error");
        (items, error)
    }

    #[test]
    fn a_frames_file_gives_its_lines_skipping_blanks_and_naming_long_ones() {
        let input = b"{\"type\":\"pong\"}\r\n \t\r\n\n\xFF\xFE\n{\"type\":\"heartbeat\",\"pad\":\"xxxxxxxx\"}\n{}";
        let (items, error) = read_all(input, 30);
        assert!(error.is_none());
        assert_eq!(
            items,
            [
                CaptureItem::Line(r#"{"type":"pong"}"#.into()),
                CaptureItem::Bytes(vec![0xFF, 0xFE]),
                CaptureItem::TooLong { line: 5, length: 37, limit: 30 },
                CaptureItem::Line("{}".into()),
            ]
        );
    }

    #[test]
    fn a_recording_skips_records_from_newer_writers_and_stops_at_a_broken_line() {
        let out = r#"{"type":"frame","dir":"out","t":1,"text":"sent"}"#;
        let text = format!(
            "{HEADER}\n{FRAME}\n{{\"type\":\"annotation\",\"t\":2}}\n{out}\n{{\"type\":\"frame\"\n{FRAME}\n"
        );
        let mut reader = CaptureReader::new(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!((reader.format(), reader.user_id()), (CaptureFormat::Recording, Some("u1")));
        let items: Vec<Result<CaptureItem, CaptureError>> = reader.by_ref().collect();
        assert_eq!(items.len(), 3, "two records, then the error: {items:?}");
        assert!(matches!(
            &items[1],
            Ok(CaptureItem::Record(Record::Frame { dir: Direction::Out, .. }))
        ));
        let error = items[2].as_ref().unwrap_err();
        assert!(matches!(error, CaptureError::Recording(_)), "{error}");
        assert_eq!(error.line(), Some(5));
        assert_eq!(reader.skipped().count, 1);
        assert_eq!(reader.skipped().first, Some((3, "annotation".to_owned())));
    }

    #[test]
    fn a_second_header_is_an_error_and_a_broken_header_fails_at_once() {
        let text = format!("{HEADER}\n{FRAME}\n{HEADER}\n");
        let (items, error) = read_all(text.as_bytes(), 1 << 20);
        assert_eq!(items.len(), 1);
        assert_eq!(error.and_then(|e| e.line()), Some(3));
        let broken = r#"{"type":"agentwire.recording","version":99}"#;
        let error = CaptureReader::new(broken.as_bytes(), 1 << 20).unwrap_err();
        assert!(matches!(
            error,
            CaptureError::Recording(RecordingError::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn a_har_file_gives_an_open_per_entry_and_its_text_messages_pulled_or_streamed() {
        let har = r#"{"log":{"entries":[
            {"_webSocketMessages":[
                {"type":"send","time":1.5,"opcode":1,"data":"hello"},
                {"type":"receive","time":2,"opcode":2,"data":"AAAA"},
                {"type":"receive","opcode":1,"data":"{\"type\":\"pong\"}"}]},
            {"request":{}},
            {"_webSocketMessages":[{"type":"receive","time":3,"opcode":1,"data":"x"}]}]}}"#;
        let (pulled, error) = read_all(har.as_bytes(), 1 << 20);
        assert!(error.is_none());
        let mut reader = CaptureReader::new(har.as_bytes(), 1 << 20).unwrap();
        let mut streamed = Vec::new();
        reader.stream(|item| streamed.push(item)).unwrap();
        assert_eq!(pulled, streamed);
        assert_eq!(reader.websocket_entries(), Some(2));
        let t = |seconds: i64| Timestamp::from_unix_micros(seconds * 1_000_000);
        let kinds: Vec<(String, Timestamp)> = pulled
            .iter()
            .map(|item| match item {
                CaptureItem::Record(Record::Open { t, .. }) => ("open".to_owned(), *t),
                CaptureItem::Record(Record::Frame { dir, t, text }) => {
                    (format!("{dir:?} {text}"), *t)
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds[0], ("open".to_owned(), Timestamp::from_unix_micros(1_500_000)));
        assert_eq!(
            kinds[2],
            ("In {\"type\":\"pong\"}".to_owned(), t(2)),
            "no time: the previous one"
        );
        assert_eq!(kinds.len(), 5, "{kinds:?}");
        assert_eq!(kinds[3].0, "open");
    }

    #[test]
    fn a_broken_har_is_an_error_after_the_messages_before_it() {
        let har = r#"{"log":{"entries":[{"_webSocketMessages":[{"type":"receive","data":"a"}]},{"_webSocketMessages":5}]}}"#;
        let (items, error) = read_all(har.as_bytes(), 1 << 20);
        assert!(matches!(error, Some(CaptureError::Har(_))), "{error:?}");
        assert!(items.is_empty(), "pulled: the document is read whole before any message");
        let mut reader = CaptureReader::new(har.as_bytes(), 1 << 20).unwrap();
        let mut streamed = 0;
        assert!(reader.stream(|_| streamed += 1).is_err());
        assert_eq!(streamed, 2, "streamed: the open and the frame came before the error");
    }

    #[test]
    fn received_frames_are_lines_received_records_and_long_lines_and_check_as_the_cli_does() {
        let t = Timestamp::EPOCH;
        let frame =
            |dir, text: &str| CaptureItem::Record(Record::Frame { dir, t, text: text.into() });
        let items = [
            CaptureItem::Line(r#"{"type":"pong"}"#.into()),
            frame(Direction::In, r#"{"type":"heartbeat"}"#),
            frame(Direction::Out, r#"{"type":"ping"}"#),
            CaptureItem::Record(Record::Open { t, protocol: None }),
            CaptureItem::Bytes(vec![0xFF, b'{']),
            CaptureItem::TooLong { line: 9, length: 100, limit: 10 },
        ];
        let mut checker = Checker::new(crate::CheckerConfig::offline());
        let outcomes: Vec<Option<bool>> = items
            .iter()
            .map(|item| item.received().map(|received| received.check(&mut checker).is_ok()))
            .collect();
        assert_eq!(outcomes, [Some(true), Some(true), None, None, Some(false), Some(false)]);
        let summary = checker.summary();
        assert_eq!((summary.frames, summary.events), (4, 2));
        assert_eq!(summary.flags_by_rule.get(crate::Rule::MalformedFrame), 2);
    }

    #[test]
    fn binary_input_is_refused_and_progress_counts_bytes() {
        let error = CaptureReader::new(&b"{\"type\":\0\"x\"}"[..], 1 << 20).unwrap_err();
        assert!(matches!(error, CaptureError::Binary { offset: 8 }), "{error}");
        let text = "{\"type\":\"pong\"}\n".repeat(10_000);
        let mut reader = CaptureReader::new(text.as_bytes(), 1 << 20).unwrap();
        assert!(reader.bytes_read() < text.len() as u64);
        assert_eq!(reader.by_ref().count(), 10_000);
        assert_eq!(reader.bytes_read(), text.len() as u64);
    }
}
