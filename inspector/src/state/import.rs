//! Importing a capture: its records read and replayed through an offline checker a chunk at a
//! time ([`Action::BeginImport`](super::Action::BeginImport) and
//! [`Action::ContinueImport`](super::Action::ContinueImport)), as `agentwire check` reads them:
//! the same reader, the same received frames, the same checker.
//!
//! A file that becomes unreadable half-way keeps what was checked before the break, and its
//! lane says where the file broke ([`Lane::unreadable`](super::Lane::unreadable)); the
//! end-of-stream rules are not run, since what the rest would have said is unknown.

use agentwire::recording::{CaptureItem, Received, Record};
use agentwire::session::{Disconnect, DisconnectCause};
use agentwire::{Checker, CheckerConfig, Timestamp};

use super::recordings::ImportReader;
use super::{Import, ImportError, LaneId, LaneSource, Lifecycle, State};

/// An import being checked a chunk at a time ([`Action::BeginImport`](super::Action::BeginImport)).
#[derive(Debug)]
pub(super) struct ImportJob {
    lane: LaneId,
    checker: Checker,
    reader: ImportReader,
    /// Records read so far.
    done: usize,
    /// The file's size in bytes.
    total_bytes: u64,
    /// The latest time seen: a frame without one of its own (a frames-file line without a
    /// `timestamp`, a line too long to read) takes it.
    last: Timestamp,
}

/// How far the import in progress is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// The lane it goes to.
    pub user: String,
    /// Records (frames, connection events) read and checked so far.
    pub done: usize,
    /// Bytes of the file read so far (ahead of the records checked by at most a read buffer).
    pub read_bytes: u64,
    /// The file's size in bytes.
    pub total_bytes: u64,
}

/// Where an imported file became unreadable. The records before it are checked; the flags the
/// rest would have raised, the end-of-stream rules included, are unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The 1-based line where it broke, when the file is line-based and the error names one.
    pub line: Option<usize>,
    /// How many records were read and checked before the break.
    pub records: usize,
    /// What was wrong.
    pub error: String,
}

impl State {
    /// The import being checked a chunk at a time, if any.
    #[must_use]
    pub fn import_progress(&self) -> Option<ImportProgress> {
        let job = self.importing.as_ref()?;
        let user = self.lanes.get(&job.lane)?.user().to_owned();
        Some(ImportProgress {
            user,
            done: job.done,
            read_bytes: job.reader.bytes_read().min(job.total_bytes),
            total_bytes: job.total_bytes,
        })
    }

    /// Opens a capture for a replay through an offline checker, as `agentwire check` does:
    /// received text frames in order, arrival times from the records, then the end-of-stream
    /// flags. Nothing is read or checked until [`State::continue_import`].
    pub(super) fn begin_import(&mut self, import: Import) {
        self.continue_import(usize::MAX);
        self.remove_lane(&import.user);
        let lane =
            self.lane_for(&import.user, LaneSource::Imported { user_id: import.user_id.clone() });
        let mut config = CheckerConfig::offline();
        if let Some(user_id) = &import.user_id {
            config = config.with_user(user_id.clone());
        }
        match import.reader() {
            Ok(reader) => {
                self.importing = Some(ImportJob {
                    lane,
                    checker: Checker::new(config),
                    reader,
                    done: 0,
                    total_bytes: import.len() as u64,
                    last: Timestamp::EPOCH,
                });
            }
            // `parse_capture` opened the same bytes: this does not happen.
            Err(error) => self.mark_unreadable(lane, 0, &error),
        }
    }

    /// Reads and checks up to `count` more records of the import in progress; at the end of the
    /// file, runs the end-of-stream rules.
    pub(super) fn continue_import(&mut self, count: usize) {
        let Some(mut job) = self.importing.take() else { return };
        let lane = job.lane;
        if !self.lanes.contains_key(&lane) {
            return; // removed meanwhile: nothing left to import into
        }
        for _ in 0..count {
            match job.reader.next() {
                Some(Ok(item)) => {
                    job.done += 1;
                    self.import_item(&mut job, item);
                }
                Some(Err(error)) => {
                    self.mark_unreadable(lane, job.done, &error);
                    return;
                }
                None => {
                    self.finish_import(job);
                    return;
                }
            }
        }
        self.importing = Some(job);
    }

    fn import_item(&mut self, job: &mut ImportJob, item: CaptureItem) {
        let lane = job.lane;
        if let CaptureItem::Record(record) = &item {
            job.last = record.time();
        }
        if let Some(received) = item.received() {
            let frame = job.checker.next_frame_index();
            match received.check(&mut job.checker) {
                Ok(checked) => {
                    // A frames file has no times of its own: a frame's timestamp, else the
                    // previous frame's.
                    if matches!(item, CaptureItem::Line(_)) {
                        job.last = checked.event.context.timestamp.unwrap_or(job.last);
                    }
                    self.push_event(lane, job.last, frame, checked.event, &checked.verdict);
                }
                Err(_) => match received {
                    Received::Text(text) => self.push_malformed(lane, job.last, frame, text.into()),
                    Received::Bytes(bytes) => {
                        let text = String::from_utf8_lossy(bytes).into_owned();
                        self.push_malformed(lane, job.last, frame, text);
                    }
                    Received::TooLong { length, limit } => {
                        self.push_too_long(lane, job.last, frame, length, limit);
                    }
                    // A kind of frame added later: its flag gives it a row without text.
                    _ => {}
                },
            }
        } else if let CaptureItem::Record(record) = item {
            match record {
                Record::Open { t, .. } => self.lifecycle(lane, t, Lifecycle::Opened),
                Record::Close { t, code, reason, clean } => {
                    let disconnect = Disconnect {
                        code,
                        reason,
                        was_clean: clean,
                        cause: DisconnectCause::Closed,
                    };
                    self.lifecycle(lane, t, Lifecycle::Disconnected(disconnect));
                }
                Record::Reconnect { t, attempt, delay_ms } => {
                    let retry = Lifecycle::RetryScheduled { attempt, delay_ms, retry_at: None };
                    self.lifecycle(lane, t, retry);
                }
                _ => {}
            }
        }
        while let Some(flag) = job.checker.poll_flag() {
            self.push_flag(lane, job.last, flag);
        }
    }

    /// The end of the file: the end-of-stream rules, and the user the checker learned.
    fn finish_import(&mut self, job: ImportJob) {
        let ImportJob { lane, mut checker, last, .. } = job;
        checker.finish();
        while let Some(flag) = checker.poll_flag() {
            self.push_flag(lane, last, flag);
        }
        if let (Some(lane), Some(learned)) = (self.lanes.get_mut(&lane), checker.user_id()) {
            lane.source = LaneSource::Imported { user_id: Some(learned.to_owned()) };
        }
    }

    fn mark_unreadable(&mut self, lane: LaneId, records: usize, error: &ImportError) {
        if let Some(lane) = self.lanes.get_mut(&lane) {
            let error_text = error.to_string();
            lane.unreadable = Some(Unreadable { line: error.line(), records, error: error_text });
        }
    }
}
