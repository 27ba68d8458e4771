//! `agentwire check`: reads the input with the SDK's capture reader (which tells its format from
//! its content, as the inspector's import does), streams its received frames through the run
//! checker, and collects the outcome (counters and flags) for the report.
//!
//! ```text
//!  FILE ──► CaptureReader::stream ──► received frames ──► Checker::handle_text ──► flags (kept)
//!           (frames file, recording or HAR)
//! ```
//!
//! Memory does not grow with the length of the input: the reader holds one line or message at
//! a time in bounded buffers, and the flags are kept in bounded memory (`flags.rs`).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

pub(crate) use agentwire::recording::SkippedRecords;
use agentwire::recording::{CaptureError, CaptureReader, RecordingError};
use agentwire::{Checker, CheckerConfig, Severity, Summary};

use crate::flags::Flags;

/// What `agentwire check` was asked to do.
#[derive(Debug)]
pub(crate) struct CheckOptions {
    /// The file to check.
    pub(crate) path: PathBuf,
    /// `--user`: the connection's user id.
    pub(crate) user: Option<String>,
    /// `--stall-after`: the stall deadline, when not the default.
    pub(crate) stall_after: Option<Duration>,
    /// `--json`: keep every flag for the JSON report (not only the text report's sample).
    pub(crate) json: bool,
    /// `--max-frame-bytes`: a longer line is skipped and flagged.
    pub(crate) max_frame_bytes: usize,
}

/// The input formats `check` understands (docs/rules.md, "Input detection"): the SDK's, so the
/// inspector's import reads a file as `check` does.
pub(crate) use agentwire::recording::CaptureFormat as Format;

/// Where the connection's user id came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UserSource {
    /// `--user`.
    Option,
    /// The `user_id` of the recording's header.
    RecordingHeader,
    /// Learned by the checker from the first `pong` or `ack` naming one.
    Learned,
}

/// Everything the report needs: counters and flags, never the frames themselves.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The file checked, as given.
    pub(crate) path: PathBuf,
    /// The format detected.
    pub(crate) format: Format,
    /// The checker's counters.
    pub(crate) summary: Summary,
    /// The flags: all counted, a sample kept, all as JSON with `--json`.
    pub(crate) flags: Flags,
    /// The connection's user id and where it came from, when known.
    pub(crate) user: Option<(String, UserSource)>,
    /// HAR only: how many entries carried WebSocket messages.
    pub(crate) websocket_entries: Option<usize>,
    /// Recording only: records of unknown type that were skipped.
    pub(crate) skipped_records: SkippedRecords,
}

impl Outcome {
    /// Whether at least one flag is an error (exit status 1).
    pub(crate) fn has_errors(&self) -> bool {
        self.flags.count_of(Severity::Error) > 0
    }
}

/// Why an input can't be checked (exit status 2). Every variant is fatal: no report is printed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    /// The file can't be opened: missing, a directory, no permission.
    #[error("can't open {}: {source}", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading the file failed part way.
    #[error("can't read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file starts with a recording header but is not a readable recording: a line that is
    /// not a valid record (the error names its line), an unsupported version, a second header.
    #[error("{}: {source}", .path.display())]
    Recording {
        /// The file.
        path: PathBuf,
        /// What the recording reader found.
        source: RecordingError,
    },
    /// The input is binary (a NUL byte near its start): not a frames file, recording or HAR.
    #[error("{}: binary data (a NUL byte at offset {offset}), not frames, a recording or a HAR file", .path.display())]
    Binary {
        /// The file.
        path: PathBuf,
        /// Where the first NUL byte is.
        offset: usize,
    },
    /// The input holds no received frame: an empty capture must not pass a check.
    #[error("{}: no frames: the {} holds no received frame to check", .path.display(), .format.describe())]
    NoFrames {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
    },
    /// With `--json`, the flags outgrew memory and could not be kept in a temporary file.
    #[error("can't keep the flags for --json in a temporary file: {0}")]
    Spill(io::Error),
    /// The file starts like a HAR document (an object with a `log` key) but is not valid JSON or
    /// not shaped like a HAR.
    #[error("{}: {source}", .path.display())]
    Har {
        /// The file.
        path: PathBuf,
        /// What the HAR reader found.
        source: RecordingError,
    },
}

/// Checks the file named in `options`.
///
/// # Errors
/// A [`CheckError`] when the file can't be opened or read, or is a broken recording or HAR file.
/// Malformed frames are not errors: they are `malformed-frame` flags.
pub(crate) fn run(options: &CheckOptions) -> Result<Outcome, CheckError> {
    let path = options.path.as_path();
    let file =
        File::open(path).map_err(|source| CheckError::Open { path: path.to_owned(), source })?;
    let outcome = check_input(file, options)?;
    if outcome.summary.frames == 0 {
        return Err(CheckError::NoFrames { path: path.to_owned(), format: outcome.format });
    }
    Ok(outcome)
}

/// Checks every received frame of a capture, whatever its format.
fn check_input(input: impl Read, options: &CheckOptions) -> Result<Outcome, CheckError> {
    let path = options.path.as_path();
    let capture_error = |error: CaptureError| match error {
        CaptureError::Io(source) => CheckError::Read { path: path.to_owned(), source },
        CaptureError::Binary { offset } => CheckError::Binary { path: path.to_owned(), offset },
        CaptureError::Recording(source) => CheckError::Recording { path: path.to_owned(), source },
        CaptureError::Har(source) => CheckError::Har { path: path.to_owned(), source },
        // A variant added later: shown as it describes itself.
        error => CheckError::Read { path: path.to_owned(), source: io::Error::other(error) },
    };
    let mut reader = CaptureReader::new(input, options.max_frame_bytes).map_err(capture_error)?;
    let header_user =
        if options.user.is_none() { reader.user_id().map(str::to_owned) } else { None };
    let mut feed = Feed::new(options, header_user.as_deref());
    reader
        .stream(|item| {
            if let Some(received) = item.received() {
                // The event (or the decode error, already a `malformed-frame` flag) is not kept.
                let _ = received.check(&mut feed.checker);
                feed.drain();
            }
        })
        .map_err(capture_error)?;
    let mut outcome = feed.finish(options, reader.format(), header_user)?;
    outcome.skipped_records = reader.skipped().clone();
    outcome.websocket_entries = reader.websocket_entries();
    Ok(outcome)
}

/// The checker and the flags it raised so far.
struct Feed {
    checker: Checker,
    flags: Flags,
    /// The first failure to keep a flag (`--json` spilling to a temporary file).
    spill_error: Option<io::Error>,
}

impl Feed {
    fn new(options: &CheckOptions, header_user: Option<&str>) -> Self {
        let mut config = CheckerConfig::offline();
        if let Some(user) = options.user.as_deref().or(header_user) {
            config = config.with_user(user);
        }
        if let Some(stall_after) = options.stall_after {
            config = config.with_stall_after(stall_after);
        }
        Feed { checker: Checker::new(config), flags: Flags::new(options.json), spill_error: None }
    }

    fn drain(&mut self) {
        while let Some(flag) = self.checker.poll_flag() {
            if let Err(error) = self.flags.push(flag) {
                self.spill_error.get_or_insert(error);
            }
        }
    }

    /// Ends the stream and builds the outcome.
    fn finish(
        mut self,
        options: &CheckOptions,
        format: Format,
        header_user: Option<String>,
    ) -> Result<Outcome, CheckError> {
        self.checker.finish();
        self.drain();
        if let Some(error) = self.spill_error {
            return Err(CheckError::Spill(error));
        }
        let user = match (&options.user, header_user) {
            (Some(user), _) => Some((user.clone(), UserSource::Option)),
            (None, Some(user)) => Some((user, UserSource::RecordingHeader)),
            (None, None) => {
                self.checker.user_id().map(|user| (user.to_owned(), UserSource::Learned))
            }
        };
        Ok(Outcome {
            path: options.path.clone(),
            format,
            summary: self.checker.summary(),
            flags: self.flags,
            user,
            websocket_entries: None,
            skipped_records: SkippedRecords::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentwire::Rule;

    fn options() -> CheckOptions {
        CheckOptions {
            path: PathBuf::from("test"),
            user: None,
            stall_after: None,
            json: false,
            max_frame_bytes: agentwire::recording::MAX_LINE,
        }
    }

    #[test]
    fn frames_lines_skip_blanks_strip_crlf_and_flag_bad_bytes() {
        let input: &[u8] = b"{\"type\":\"pong\"}\r\n \t\r\n\n\xFF\xFE\n{\"type\":\"heartbeat\"}";
        let outcome = check_input(input, &options()).unwrap();
        assert_eq!(outcome.summary.frames, 3);
        assert_eq!(outcome.summary.events, 2);
        let shown: Vec<&agentwire::Flag> =
            outcome.flags.groups().iter().flat_map(|(_, members)| members).collect();
        let rules: Vec<Rule> = shown.iter().map(|flag| flag.rule).collect();
        assert_eq!(rules, [Rule::MalformedFrame]);
        assert_eq!(shown.first().and_then(|flag| flag.frame), Some(1));
    }

    #[test]
    fn recording_skips_unknown_record_types_but_not_a_second_header() {
        let header = r#"{"type":"agentwire.recording","version":1,"url":"ws://h/ws","user_id":"u1","started_at":0}"#;
        let frame = r#"{"type":"frame","dir":"in","t":1,"text":"{\"type\":\"pong\"}"}"#;
        let out = r#"{"type":"frame","dir":"out","t":1,"text":"not checked"}"#;
        let text =
            format!("{header}\n{frame}\n{{\"type\":\"annotation\",\"t\":2}}\n{out}\n{frame}\n");
        let outcome = check_input(text.as_bytes(), &options()).unwrap();
        assert_eq!(outcome.summary.frames, 2);
        assert_eq!(outcome.skipped_records.count, 1);
        assert_eq!(outcome.skipped_records.first, Some((3, "annotation".to_owned())));
        assert_eq!(outcome.user, Some(("u1".to_owned(), UserSource::RecordingHeader)));

        let text = format!("{header}\n{frame}\n{header}\n");
        let error = check_input(text.as_bytes(), &options()).unwrap_err();
        assert!(matches!(error, CheckError::Recording { .. }), "{error}");
    }
}
