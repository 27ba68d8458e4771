//! Recordings in and out: a capture exported as an agentwire recording (JSONL) or HAR, and a
//! recording, HAR or frames file opened for an offline replay through the checker.
//!
//! Import reads a file with the SDK's capture reader, the one `agentwire check` reads with
//! ([`CaptureReader`](agentwire::recording::CaptureReader)): the same format detection, the same
//! frames, the same records skipped, the same errors. Opening a file only tells its format and
//! reads a recording's header; its records are read as they are checked, a chunk at a time
//! ([`Action::BeginImport`](super::Action::BeginImport)). Export writes through the SDK's
//! writers, which redact tokens from URLs, sub-protocols and frame text.

use std::io::Cursor;
use std::sync::Arc;

use agentwire::Timestamp;
use agentwire::recording::{
    self, CaptureReader, Direction, Header, MAX_LINE, Record, RecordingError,
};

use super::lanes::{Lane, LaneSource};
use super::runs::Lifecycle;

pub use agentwire::recording::CaptureFormat;

/// How an import reads its file: the SDK's capture reader over the file's bytes.
pub(crate) type ImportReader = CaptureReader<Cursor<FileBytes>>;

/// A file's bytes, shared (an [`Import`] is cloned with its action) and never copied again.
#[derive(Clone, Debug)]
pub(crate) struct FileBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A capture file opened for [`Action::Import`](super::Action::Import) (see [`parse_capture`]).
#[derive(Clone, Debug)]
pub struct Import {
    /// The lane it goes to (the file's name); a lane of that name is replaced.
    pub user: String,
    /// The connection's user the frames are checked for: a recording header's `user_id`. When
    /// `None`, the checker learns it from the first `pong` or `ack` naming one, as
    /// `agentwire check` does.
    pub user_id: Option<String>,
    /// The file's format.
    pub format: CaptureFormat,
    /// The file's bytes, read as they are checked.
    bytes: FileBytes,
}

impl Import {
    /// The file's size in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.0.len()
    }

    /// Whether the file is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.0.is_empty()
    }

    /// A reader of the file from its start.
    pub(crate) fn reader(&self) -> Result<ImportReader, ImportError> {
        CaptureReader::new(Cursor::new(self.bytes.clone()), MAX_LINE)
    }
}

/// Why a file can't be imported, or was imported only up to a point: the SDK's capture reader's
/// error, as `agentwire check` reports it.
pub use agentwire::recording::CaptureError as ImportError;

/// Opens a capture file for import (`name` is its file name, used as the lane's name; `bytes`
/// its content, text or not): tells its format and reads a recording's header, as
/// `agentwire check` does. Its records are read as they are checked.
///
/// # Errors
/// An [`ImportError`] for binary data or a recording whose header can't be read. A frames file
/// can't fail: lines that are not events are `malformed-frame` flags. A recording or HAR file
/// broken further on is imported up to the break ([`Lane::unreadable`]).
pub fn parse_capture(name: &str, bytes: impl Into<Vec<u8>>) -> Result<Import, ImportError> {
    let bytes = FileBytes(Arc::new(bytes.into()));
    let reader = CaptureReader::new(Cursor::new(bytes.clone()), MAX_LINE)?;
    let (format, user_id) = (reader.format(), reader.user_id().map(str::to_owned));
    Ok(Import { user: name.to_owned(), user_id, format, bytes })
}

/// The largest file the page imports: 1 GiB. The page holds the file's bytes while it checks
/// them, and each kept frame again, in a wasm memory of at most 4 GiB; past 2 GiB the copy into
/// wasm could not even be made (its capacity overflows, which trapped the page).
pub const MAX_IMPORT_BYTES: u64 = 1 << 30;

/// Why a file of `size` bytes is not read at all, if it is too large ([`MAX_IMPORT_BYTES`]);
/// `agentwire check` reads files of any size in bounded memory.
#[must_use]
pub fn refuse_size(name: &str, size: f64) -> Option<String> {
    // A browser's `File.size` is a whole number of bytes; anything else is refused too.
    let fits = size >= 0.0 && size <= MAX_IMPORT_BYTES as f64;
    (!fits).then(|| {
        let megabytes = (size / 1_048_576.0).round();
        let shown =
            if megabytes.is_finite() { crate::format::count(megabytes as u64) } else { "?".to_owned() };
        let limit = crate::format::count(MAX_IMPORT_BYTES / 1_048_576);
        format!(
            "{name} is {shown} MB, more than the {limit} MB the page can hold; check it with `agentwire check {name}`, which reads any size in bounded memory"
        )
    })
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

/// The lane's kept frames and lifecycle as recording records, in the order they happened. A
/// frame too long to keep is a `too_long` record (its length and the limit); frames whose text
/// the SDK did not hand over are left out.
pub(crate) fn lane_records(lane: &Lane) -> Vec<Record> {
    let mut markers = lane.lifecycle.iter().peekable();
    let mut records = Vec::with_capacity(lane.rows.len() + lane.lifecycle.len());
    for row in &lane.rows {
        while let Some(marker) = markers.next_if(|marker| marker.before_seq <= row.seq) {
            records.extend(lifecycle_record(marker.at, &marker.lifecycle));
        }
        if let Some(text) = row.raw() {
            records.push(Record::Frame { dir: Direction::In, t: row.at, text: text.to_owned() });
        } else if let Some(limit) = row.limit() {
            let length = row.size() as u64;
            records.push(Record::TooLong { dir: Direction::In, t: row.at, length, limit });
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
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("7c9e/../x y"), "7c9e_.._x_y");
    }

    #[test]
    fn files_over_a_gibibyte_are_refused_before_they_are_read() {
        let limit = MAX_IMPORT_BYTES as f64;
        assert_eq!(refuse_size("a.har", 0.0), None);
        assert_eq!(refuse_size("a.har", limit), None);
        let refused = refuse_size("big.har", 2.5 * limit).unwrap_or_default();
        assert!(refused.starts_with("big.har is 2\u{2009}560 MB"), "{refused}");
        assert!(refused.contains("agentwire check big.har"), "{refused}");
        for odd in [limit + 1.0, f64::NAN, f64::INFINITY, -1.0] {
            assert!(refuse_size("x", odd).is_some(), "{odd}");
        }
    }
}
