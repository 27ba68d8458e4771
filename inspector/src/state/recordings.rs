//! Recordings in and out: a capture exported as an agentwire recording (JSONL) or HAR, and a
//! recording, HAR or frames file read back for an offline replay through the checker.
//!
//! Import tells the format from the content with the SDK's detection, the one `agentwire check`
//! uses (`agentwire::recording::detect`), and keeps what `check` checks: received text frames.
//! Export writes through the SDK's writers, which redact tokens from URLs, sub-protocols and
//! frame text.

use agentwire::Timestamp;
use agentwire::recording::{
    self, Direction, FORMAT_TYPE, HarMessage, Header, Record, RecordingError, RecordingReader,
};

use super::lanes::{Lane, LaneSource};
use super::runs::Lifecycle;

/// The WebSocket opcode of a text message.
const OPCODE_TEXT: u8 = 1;

pub use agentwire::recording::CaptureFormat;

/// A capture read from a file, ready for [`Action::Import`](super::Action::Import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The lane it goes to (the file's name); a lane of that name is replaced.
    pub user: String,
    /// The connection's user the frames are checked for: a recording header's `user_id`. When
    /// `None`, the checker learns it from the first `pong` or `ack` naming one, as
    /// `agentwire check` does.
    pub user_id: Option<String>,
    /// The file's format.
    pub format: CaptureFormat,
    /// Its records: frames with their times, and the connection's opens, closes and
    /// reconnects when the file has them.
    pub records: Vec<Record>,
}

/// Why a file can't be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// It starts with a recording header but is not a readable recording (a line that is not a
    /// valid record, an unsupported version, a second header).
    #[error(transparent)]
    Recording(RecordingError),
    /// It starts like a HAR document but is not valid JSON or not shaped like one.
    #[error(transparent)]
    Har(RecordingError),
}

/// Reads a capture file's text (`name` is its file name, used as the lane's name).
///
/// # Errors
/// An [`ImportError`] for a broken recording or HAR file. A frames file can't fail: lines that
/// are not events are `malformed-frame` flags.
pub fn parse_capture(name: &str, text: &str) -> Result<Import, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let format = recording::detect_text(text);
    let (user_id, records) = match format {
        CaptureFormat::Recording => read_recording(text)?,
        CaptureFormat::Har => (None, read_har(text)?),
        CaptureFormat::Frames => (None, read_frames(text)),
    };
    Ok(Import { user: name.to_owned(), user_id, format, records })
}

fn read_recording(text: &str) -> Result<(Option<String>, Vec<Record>), ImportError> {
    let mut reader = RecordingReader::new(text.as_bytes()).map_err(ImportError::Recording)?;
    let user_id = reader.header().user_id.clone();
    let mut records = Vec::new();
    for record in reader.by_ref() {
        match record {
            Ok(record) => records.push(record),
            // A record from a newer writer is skipped, as `agentwire check` skips it.
            Err(RecordingError::UnknownRecord { kind, .. }) if kind != FORMAT_TYPE => {}
            Err(error) => return Err(ImportError::Recording(error)),
        }
    }
    Ok((user_id, records))
}

/// A HAR file's text messages, with an open record where each WebSocket entry starts.
fn read_har(text: &str) -> Result<Vec<Record>, ImportError> {
    let mut records = Vec::new();
    let mut entry = None;
    let mut t = Timestamp::EPOCH;
    let on_message = |message: HarMessage| {
        t = message.t.unwrap_or(t);
        if entry != Some(message.entry) {
            entry = Some(message.entry);
            records.push(Record::Open { t, protocol: None });
        }
        if message.opcode == OPCODE_TEXT {
            records.push(Record::Frame { dir: message.dir, t, text: message.text });
        }
    };
    recording::read_har_messages(text.as_bytes(), on_message).map_err(ImportError::Har)?;
    Ok(records)
}

/// A frames file: one frame per line (blank lines skipped); a frame's time is its own
/// timestamp, else the previous frame's.
fn read_frames(text: &str) -> Vec<Record> {
    let mut t = Timestamp::EPOCH;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            t = agentwire::decode(line).ok().and_then(|event| event.context.timestamp).unwrap_or(t);
            Record::Frame { dir: Direction::In, t, text: line.to_owned() }
        })
        .collect()
}

/// A file format for export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// An agentwire recording (`.recording.jsonl`).
    Recording,
    /// HAR with `_webSocketMessages` (`.har`).
    Har,
}

/// One exported file: one user's connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// The lane's user.
    pub user: String,
    /// A file name for it (the user, with characters unsafe in file names replaced).
    pub name: String,
    /// The file's bytes, tokens redacted.
    pub bytes: Vec<u8>,
}

/// Why a capture can't be exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// No lane has this user.
    #[error("no lane for user `{0}`")]
    UnknownUser(String),
    /// The writer failed (it writes to memory, so only if a value could not be encoded).
    #[error(transparent)]
    Write(#[from] RecordingError),
}

/// Writes one lane as a file. `url` is the manager's URL (redacted by the writer).
pub(crate) fn export_lane(
    lane: &Lane,
    format: ExportFormat,
    url: &str,
) -> Result<ExportFile, ExportError> {
    let records = lane_records(lane);
    let user_id = match &lane.source {
        LaneSource::Live => Some(lane.user().to_owned()),
        LaneSource::Imported { user_id } => user_id.clone(),
    };
    let started_at = records.first().map_or(Timestamp::EPOCH, Record::time);
    let header = Header { url: url.to_owned(), user_id, started_at };
    let (bytes, extension) = match format {
        ExportFormat::Recording => {
            let mut writer = recording::RecordingWriter::new(Vec::new(), &header)?;
            for record in &records {
                writer.write(record)?;
            }
            (writer.into_inner(), "recording.jsonl")
        }
        ExportFormat::Har => {
            let mut bytes = Vec::new();
            recording::write_har(&mut bytes, &header, records)?;
            (bytes, "har")
        }
    };
    let name = format!("agentwire-{}.{extension}", file_safe(lane.user()));
    Ok(ExportFile { user: lane.user().to_owned(), name, bytes })
}

/// The lane's kept frames and lifecycle as recording records, in the order they happened.
/// Frames whose text the SDK did not hand over are left out.
pub(crate) fn lane_records(lane: &Lane) -> Vec<Record> {
    let mut markers = lane.lifecycle.iter().peekable();
    let mut records = Vec::with_capacity(lane.rows.len() + lane.lifecycle.len());
    for row in &lane.rows {
        while let Some(marker) = markers.next_if(|marker| marker.before_seq <= row.seq) {
            records.extend(lifecycle_record(marker.at, &marker.lifecycle));
        }
        if let Some(text) = row.raw() {
            records.push(Record::Frame { dir: Direction::In, t: row.at, text: text.to_owned() });
        }
    }
    for marker in markers {
        records.extend(lifecycle_record(marker.at, &marker.lifecycle));
    }
    records
}

fn lifecycle_record(t: Timestamp, lifecycle: &Lifecycle) -> Option<Record> {
    match lifecycle {
        Lifecycle::Opened => Some(Record::Open { t, protocol: None }),
        Lifecycle::Disconnected(disconnect) => Some(Record::Close {
            t,
            code: disconnect.code,
            reason: disconnect.reason.clone(),
            clean: disconnect.was_clean,
        }),
        Lifecycle::RetryScheduled { attempt, delay_ms, .. } => {
            Some(Record::Reconnect { t, attempt: *attempt, delay_ms: *delay_ms })
        }
        Lifecycle::Resumed { .. }
        | Lifecycle::Handshake(_)
        | Lifecycle::Gap { .. }
        | Lifecycle::ServerRestarted { .. }
        | Lifecycle::Closed(_) => None,
    }
}

/// `text` with every character but ASCII letters, digits, `-`, `_` and `.` replaced by `_`.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_files_skip_blank_lines_and_take_times_from_the_frames() {
        let import = parse_capture(
            "f.frames",
            "\u{feff}{\"type\":\"pong\",\"timestamp\":\"2025-09-18T14:56:14Z\"}\r\n\n  \nnot json\n",
        )
        .unwrap();
        assert_eq!(import.format, CaptureFormat::Frames);
        let times: Vec<Timestamp> = import.records.iter().map(Record::time).collect();
        let t = Timestamp::parse("2025-09-18T14:56:14Z").unwrap();
        assert_eq!(times, [t, t]);
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("7c9e/../x y"), "7c9e_.._x_y");
    }
}
