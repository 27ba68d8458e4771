//! Importing a capture: its records replayed through an offline checker a chunk at a time
//! ([`Action::BeginImport`](super::Action::BeginImport) and
//! [`Action::ContinueImport`](super::Action::ContinueImport)), as `agentwire check` reads them.

use agentwire::recording::{Direction, Record};
use agentwire::session::{Disconnect, DisconnectCause};
use agentwire::{Checker, CheckerConfig, Timestamp};

use super::{Import, LaneId, LaneSource, Lifecycle, State};

/// An import being checked a chunk at a time ([`Action::BeginImport`]).
#[derive(Clone, Debug)]
pub(super) struct ImportJob {
    lane: LaneId,
    checker: Checker,
    records: std::vec::IntoIter<Record>,
    total: usize,
    last: Timestamp,
}

/// How far the import in progress is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    /// The lane it goes to.
    pub user: String,
    /// Records checked so far.
    pub done: usize,
    /// Records in the file.
    pub total: usize,
}

impl State {
    /// The import being checked a chunk at a time, if any.
    #[must_use]
    pub fn import_progress(&self) -> Option<ImportProgress> {
        let job = self.importing.as_ref()?;
        let user = self.lanes.get(&job.lane)?.user().to_owned();
        Some(ImportProgress { user, done: job.total - job.records.len(), total: job.total })
    }

    /// Replays a capture through an offline checker, as `agentwire check` does: received text
    /// frames in order, arrival times from the records, then the end-of-stream flags.
    pub(super) fn begin_import(&mut self, import: Import) {
        self.continue_import(usize::MAX);
        let Import { user, user_id, records, .. } = import;
        self.remove_lane(&user);
        let lane = self.lane_for(&user, LaneSource::Imported { user_id: user_id.clone() });
        let mut config = CheckerConfig::offline();
        if let Some(user_id) = user_id {
            config = config.with_user(user_id);
        }
        self.importing = Some(ImportJob {
            lane,
            checker: Checker::new(config),
            total: records.len(),
            records: records.into_iter(),
            last: Timestamp::EPOCH,
        });
    }

    pub(super) fn continue_import(&mut self, count: usize) {
        let Some(mut job) = self.importing.take() else { return };
        let lane = job.lane;
        if !self.lanes.contains_key(&lane) {
            return; // removed meanwhile: nothing left to import into
        }
        for record in job.records.by_ref().take(count) {
            let checker = &mut job.checker;
            job.last = record.time();
            match record {
                Record::Frame { dir: Direction::In, t, text } => {
                    let frame = checker.next_frame_index();
                    match checker.handle_text(&text, None) {
                        Ok(checked) => {
                            self.push_event(lane, t, frame, checked.event, &checked.verdict);
                        }
                        Err(_) => self.push_malformed(lane, t, frame, text),
                    }
                    while let Some(flag) = checker.poll_flag() {
                        self.push_flag(lane, t, flag);
                    }
                }
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
        if job.records.len() > 0 {
            self.importing = Some(job);
            return;
        }
        let ImportJob { mut checker, last, .. } = job;
        checker.finish();
        while let Some(flag) = checker.poll_flag() {
            self.push_flag(lane, last, flag);
        }
        if let (Some(lane), Some(learned)) = (self.lanes.get_mut(&lane), checker.user_id()) {
            lane.source = LaneSource::Imported { user_id: Some(learned.to_owned()) };
        }
    }
}
