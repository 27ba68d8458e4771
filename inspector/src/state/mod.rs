//! The inspector's state: plain data changed only by [`State::apply`] with an [`Action`].
//!
//! ```text
//!  SDK client per user ──SessionEvent──► Action::Session { user, at, event } ─┐
//!  file (recording, HAR, frames) ──parse_capture──► Action::Import ──Checker──┤
//!  Pause / Resume / Clear / SetFilter / SetCap / Tick ────────────────────────┤
//!                                                                             ▼
//!                                                                   State::apply
//!   lanes (connection, counters) · runs (timelines) · stream rows · flags · filtered views
//! ```
//!
//! It does no IO and reads no clock: arrival times come in with the actions (a frame's own,
//! from its session: the time its checker judged it by), a frame's run and what it closed come
//! from the checker's [`Verdict`] (the timelines have no run model), and
//! [`Action::Tick`] says what time it is for ages and rates. Everything is bounded: each user
//! keeps at most [`State::cap`] frames and as many flags (the oldest are evicted and counted),
//! [`MAX_RUNS_PER_LANE`] runs and [`MAX_ITEMS_PER_RUN`] items of each kind per run.
//!
//! Applying a frame never rescans the stream: the frame is appended to its user's lane, checked
//! once against the filter and appended to the filtered view; evicting a user's oldest frame
//! removes it from the view, which is kept in chunks so that costs O(log n) plus one chunk's
//! shift. A virtualised list reads the view by position ([`State::visible_rows`],
//! [`State::filtered_len`]) without cloning anything. Changing the filter rebuilds the view once,
//! or narrows the current one when the new filter shows a subset of the old (typing on in the
//! search box). While paused, the lists stop at the last frame and flag before the pause; lanes
//! and run timelines stay live.
//!
//! ```
//! use agentwire::{Checker, CheckerConfig, SessionEvent, Timestamp};
//! use agentwire_inspector::state::{Action, State};
//!
//! let mut state = State::default();
//! let at = Timestamp::from_unix_micros(1_758_207_374_000_000);
//! let frame = r#"{"type":"agent_started","run_id":"r1","agent_name":"supervisor","user_id":"u1"}"#;
//! // What a session reports: the event, with the time and the verdict of its live checker.
//! let checked = Checker::new(CheckerConfig::live()).handle_text(frame, Some(at)).unwrap();
//! let (event, verdict) = (Box::new(checked.event), checked.verdict);
//! state.apply(Action::Session {
//!     user: "u1".to_owned(),
//!     at,
//!     event: SessionEvent::Event { event, frame: 0, at, verdict },
//! });
//! assert_eq!(state.filtered_len(), 1);
//! let row = state.visible_rows(0..1).next().unwrap();
//! assert_eq!((row.user(), row.kind(), row.run()), ("u1", "agent_started", Some("r1")));
//! assert!(state.lane_by_user("u1").unwrap().runs().get(Some("r1")).unwrap().is_open());
//! ```

mod capped;
mod filter;
mod flags;
mod import;
mod lanes;
mod recordings;
mod runs;
mod seq_list;
mod stream;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use agentwire::recording::Record;
use agentwire::{
    ConnectionState, DecodeError, Event, Flag, ResumeOutcome, Rule, SessionEvent, Timestamp,
    Verdict,
};

pub use capped::Capped;
pub use filter::Filter;
pub use flags::{FlagEntry, FlagId};
pub use import::{ImportProgress, Unreadable};
pub use lanes::{Lane, LaneId, LaneSource, RATE_WINDOW_SECS, SeverityCounts};
pub use recordings::{
    CaptureFormat, ExportError, ExportFile, ExportFormat, Import, ImportError, MAX_IMPORT_BYTES,
    parse_capture, refuse_size,
};
pub use runs::{
    ConnectionMarker, Execution, ExecutionStatus, FlagMark, Lifecycle, MAX_ITEMS_PER_RUN,
    MAX_RUNS_PER_LANE, Mark, Run, Runs, ThinkingStep, ToolCall, ToolStatus,
};
pub use stream::{MALFORMED, StreamRow, UNDELIVERED};

use filter::Matcher;
use flags::FlagKey;
use import::ImportJob;
use seq_list::SeqList;
use stream::{RowKey, kind_of};

/// How many frames (and flags) each user keeps by default.
pub const DEFAULT_CAP: usize = 50_000;

/// The most frame text a lane keeps, whatever its cap: 64 MiB, the oldest frames going first
/// (the newest always stays). The cap counts frames, and a server sending large ones (100 KB
/// each) filled the page's wasm memory, at most 4 GiB, long before it: an allocation then
/// failed and trapped the page. Twenty lanes at this budget stay near 1.3 GB.
pub const MAX_LANE_BYTES: u64 = 64 << 20;

/// Something that changes the state.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Action {
    /// What one user's SDK client reported, and when: an event with its frame index, a flag,
    /// a connection state change, a disconnect, a resume outcome. The first one for a user
    /// creates the user's lane.
    Session {
        /// The user (the client's token `sub`).
        user: String,
        /// When it happened (arrival time). A frame ([`SessionEvent::Event`],
        /// [`SessionEvent::Malformed`]) carries its own time from the session, which is used.
        at: Timestamp,
        /// What happened.
        event: SessionEvent,
    },
    /// Stop showing new frames and flags in the lists (they are still kept, and counted in
    /// [`State::held_frames`]); lanes and run timelines stay live.
    Pause,
    /// Show everything again, including what arrived while paused.
    Resume,
    /// Forget every frame, flag and run (flag counts and the cross-user mark start again);
    /// lanes, their connection state and lifecycle, and their receive counters stay.
    Clear,
    /// Show only what this filter matches.
    SetFilter(Filter),
    /// Keep at most this many frames, and as many flags, per user (at least 1); older ones are
    /// evicted now and from then on.
    SetCap(usize),
    /// The time is now this (for last-event ages and frames per second).
    Tick(Timestamp),
    /// Replay a capture file offline through the checker into its own lane (replacing a lane
    /// of the same name), all at once.
    Import(Import),
    /// Start replaying a capture file like [`Action::Import`], without reading or checking
    /// anything yet: [`Action::ContinueImport`] reads and checks it a chunk at a time, so a page
    /// stays responsive and shows the first frames while a large file is read. An import still
    /// in progress is finished first.
    BeginImport(Import),
    /// Read and check up to this many more records of the import in progress (see
    /// [`State::import_progress`]); at the end of the file, the end-of-stream rules run. A file
    /// that turns out unreadable ends the import there ([`Lane::unreadable`]).
    ContinueImport(usize),
    /// Remove a user's lane, with its frames, flags and runs.
    RemoveUser(String),
}

/// Where the lists stop while paused: the first frame and flag that arrived after the pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Watermark {
    seq: u64,
    flag: u64,
}

/// The filtered lists and what they show.
#[derive(Clone, Debug, Default)]
struct Views {
    matcher: Matcher,
    rows: SeqList<RowKey>,
    flags: SeqList<FlagKey>,
    paused: Option<Watermark>,
    held_frames: u64,
}

/// Everything the inspector shows. See the [module documentation](self).
#[derive(Debug)]
pub struct State {
    lanes: BTreeMap<LaneId, Lane>,
    by_user: HashMap<Arc<str>, LaneId>,
    next_lane: u32,
    /// The stream sequence number of the next frame.
    next_seq: u64,
    next_flag: u64,
    cap: usize,
    views: Views,
    now: Option<Timestamp>,
    importing: Option<ImportJob>,
}

impl Default for State {
    fn default() -> Self {
        State::with_cap(DEFAULT_CAP)
    }
}

impl State {
    /// An empty state keeping at most `cap` frames (and flags) per user.
    #[must_use]
    pub fn with_cap(cap: usize) -> Self {
        State {
            lanes: BTreeMap::new(),
            by_user: HashMap::new(),
            next_lane: 0,
            next_seq: 0,
            next_flag: 0,
            cap: cap.max(1),
            views: Views::default(),
            now: None,
            importing: None,
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Session { user, at, event } => self.session_event(&user, at, event),
            Action::Pause => {
                if self.views.paused.is_none() {
                    let mark = Watermark { seq: self.next_seq, flag: self.next_flag };
                    self.views.paused = Some(mark);
                }
            }
            Action::Resume => {
                self.views.paused = None;
                self.views.held_frames = 0;
            }
            Action::Clear => {
                for lane in self.lanes.values_mut() {
                    lane.clear();
                }
                self.views.rows.clear();
                self.views.flags.clear();
                self.views.held_frames = 0;
            }
            Action::SetFilter(filter) => self.set_filter(filter),
            Action::SetCap(cap) => {
                self.cap = cap.max(1);
                for lane in self.lanes.values_mut() {
                    self.views.evict(lane, self.cap);
                }
            }
            Action::Tick(now) => self.now = Some(now),
            Action::Import(import) => {
                self.begin_import(import);
                self.continue_import(usize::MAX);
            }
            Action::BeginImport(import) => self.begin_import(import),
            Action::ContinueImport(records) => self.continue_import(records),
            Action::RemoveUser(user) => self.remove_lane(&user),
        }
    }

    // --- queries ---

    /// The lanes, in the order they were created.
    pub fn lanes(&self) -> impl DoubleEndedIterator<Item = &Lane> + ExactSizeIterator + '_ {
        self.lanes.values()
    }

    /// The lanes as shown: those with a `cross-user-event` flag first, then in creation order.
    #[must_use]
    pub fn lanes_in_order(&self) -> Vec<&Lane> {
        let mut lanes: Vec<&Lane> = self.lanes.values().collect();
        lanes.sort_by_key(|lane| !lane.cross_user());
        lanes
    }

    /// The lane with this id.
    #[must_use]
    pub fn lane(&self, id: LaneId) -> Option<&Lane> {
        self.lanes.get(&id)
    }

    /// The lane of this user.
    #[must_use]
    pub fn lane_by_user(&self, user: &str) -> Option<&Lane> {
        self.by_user.get(user).and_then(|id| self.lanes.get(id))
    }

    /// The index the next frame of `user`'s lane gets. A new connection for a lane that keeps
    /// its rows (the page reconnects it after a settings change) numbers its frames on from here
    /// (`CheckerConfig::first_frame`): numbered from 0 again, its flags landed on the old rows.
    #[must_use]
    pub fn next_frame(&self, user: &str) -> u64 {
        self.lane_by_user(user).and_then(|lane| lane.last_frame).map_or(0, |last| last + 1)
    }

    /// The current filter.
    #[must_use]
    pub fn filter(&self) -> &Filter {
        self.views.matcher.filter()
    }

    /// How many frames (and flags) each user keeps.
    #[must_use]
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The time of the latest [`Action::Tick`].
    #[must_use]
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    /// Whether capture is paused.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.views.paused.is_some()
    }

    /// Frames received (and kept) since the pause, not shown until [`Action::Resume`].
    #[must_use]
    pub fn held_frames(&self) -> u64 {
        self.views.held_frames
    }

    /// Frames evicted to respect the cap, all users together.
    #[must_use]
    pub fn evicted_frames(&self) -> u64 {
        self.lanes.values().map(Lane::evicted_frames).sum()
    }

    /// Frames kept, all users together (shown or not).
    #[must_use]
    pub fn kept_frames(&self) -> usize {
        self.lanes.values().map(|lane| lane.rows.len()).sum()
    }

    /// How many stream rows the filter shows (frames held back by a pause excluded).
    #[must_use]
    pub fn filtered_len(&self) -> usize {
        match self.views.paused {
            Some(mark) => self.views.rows.rank(mark.seq),
            None => self.views.rows.len(),
        }
    }

    /// The shown stream rows at positions `range` (clipped), in arrival order: what a
    /// virtualised list renders. Borrowed, nothing cloned.
    pub fn visible_rows(&self, range: Range<usize>) -> impl Iterator<Item = &StreamRow> + '_ {
        let end = range.end.min(self.filtered_len());
        self.views
            .rows
            .range(range.start..end)
            .filter_map(|key| self.lanes.get(&key.lane).and_then(|lane| lane.row(key.seq)))
    }

    /// The position of a frame among the shown rows (to scroll to it), if it is shown.
    #[must_use]
    pub fn position_of(&self, seq: u64) -> Option<usize> {
        self.views.rows.position(seq).filter(|at| *at < self.filtered_len())
    }

    /// The kept frame with this stream sequence number, shown or not.
    #[must_use]
    pub fn row(&self, seq: u64) -> Option<&StreamRow> {
        self.lanes.values().find_map(|lane| lane.row(seq))
    }

    /// How many flags the filter shows (flags raised while paused excluded).
    #[must_use]
    pub fn filtered_flags_len(&self) -> usize {
        match self.views.paused {
            Some(mark) => self.views.flags.rank(mark.flag),
            None => self.views.flags.len(),
        }
    }

    /// The shown flags at positions `range` (clipped), in the order raised.
    pub fn visible_flags(&self, range: Range<usize>) -> impl Iterator<Item = &FlagEntry> + '_ {
        let end = range.end.min(self.filtered_flags_len());
        self.views
            .flags
            .range(range.start..end)
            .filter_map(|key| self.lanes.get(&key.lane).and_then(|lane| lane.flag(key.id)))
    }

    /// The kept flag with this id.
    #[must_use]
    pub fn flag(&self, id: FlagId) -> Option<&FlagEntry> {
        self.lanes.values().find_map(|lane| lane.flag(id))
    }

    /// The frames to highlight when a flag is clicked: the stream sequence numbers of the
    /// frames it names (its own and the related ones) that are still kept.
    #[must_use]
    pub fn flag_rows(&self, id: FlagId) -> BTreeSet<u64> {
        let Some(entry) = self.flag(id) else { return BTreeSet::new() };
        let Some(lane) = self.lanes.get(&entry.lane) else { return BTreeSet::new() };
        entry.rows.iter().copied().filter(|seq| lane.row(*seq).is_some()).collect()
    }

    /// One user's capture as a file (an agentwire recording or HAR), tokens redacted. `url` is
    /// the manager's URL for the header (redacted too).
    ///
    /// # Errors
    /// [`ExportError::UnknownUser`] when no lane has this user.
    pub fn export(
        &self,
        user: &str,
        format: ExportFormat,
        url: &str,
    ) -> Result<ExportFile, ExportError> {
        let lane =
            self.lane_by_user(user).ok_or_else(|| ExportError::UnknownUser(user.to_owned()))?;
        recordings::export_lane(lane, format, url)
    }

    /// Every user's capture, one file each (a recording is one connection).
    ///
    /// # Errors
    /// [`ExportError::Write`] if a file could not be written.
    pub fn export_all(
        &self,
        format: ExportFormat,
        url: &str,
    ) -> Result<Vec<ExportFile>, ExportError> {
        self.lanes.values().map(|lane| recordings::export_lane(lane, format, url)).collect()
    }

    /// One user's kept frames and connection lifecycle as recording records, in order.
    #[must_use]
    pub fn records(&self, user: &str) -> Option<Vec<Record>> {
        self.lane_by_user(user).map(recordings::lane_records)
    }

    // --- actions ---

    fn lane_for(&mut self, user: &str, source: LaneSource) -> LaneId {
        if let Some(id) = self.by_user.get(user) {
            return *id;
        }
        let id = LaneId(self.next_lane);
        self.next_lane += 1;
        let user: Arc<str> = Arc::from(user);
        self.by_user.insert(Arc::clone(&user), id);
        self.lanes.insert(id, Lane::new(id, user, source));
        id
    }

    fn remove_lane(&mut self, user: &str) {
        let Some(id) = self.by_user.remove(user) else { return };
        self.lanes.remove(&id);
        let views = &mut self.views;
        views.rows = SeqList::from_sorted(views.rows.iter().copied().filter(|key| key.lane != id));
        views.flags =
            SeqList::from_sorted(views.flags.iter().copied().filter(|key| key.lane != id));
    }

    fn session_event(&mut self, user: &str, at: Timestamp, event: SessionEvent) {
        let lane = self.lane_for(user, LaneSource::Live);
        match event {
            // The session's own arrival time: the one its checker judged the frame by.
            SessionEvent::Event { event, frame, at, verdict } => {
                self.push_event(lane, at, frame, *event, &verdict);
            }
            SessionEvent::Flag(flag) => self.push_flag(lane, at, flag),
            SessionEvent::State(state) => self.connection_state(lane, at, state),
            SessionEvent::Disconnected(disconnect) => {
                self.lifecycle(lane, at, Lifecycle::Disconnected(disconnect));
            }
            SessionEvent::Resumed(outcome) => self.resumed(lane, at, outcome),
            SessionEvent::Handshake(outcome) => {
                self.lifecycle(lane, at, Lifecycle::Handshake(outcome));
            }
            // A frame over the client's size limit: its length only, the text was never kept.
            SessionEvent::Malformed {
                frame,
                at,
                error: DecodeError::TooLong { length, limit },
                ..
            } => {
                self.push_too_long(lane, at, frame, length, limit);
            }
            SessionEvent::Malformed { frame, at, text, .. } => {
                self.push_malformed(lane, at, frame, text);
            }
            _ => {}
        }
    }

    fn connection_state(&mut self, id: LaneId, at: Timestamp, state: ConnectionState) {
        let before = self.lanes.get(&id).map(|lane| &lane.connection);
        let after_handshake = matches!(before, Some(ConnectionState::Handshaking));
        let was_open = matches!(before, Some(ConnectionState::Open));
        let lifecycle = match &state {
            // The end of a handshake has its own marker (the socket opened before it).
            ConnectionState::Open if after_handshake => None,
            ConnectionState::Open => Some(Lifecycle::Opened),
            // A socket that opens into its handshake; an open one that starts one is marked
            // when the handshake ends.
            ConnectionState::Handshaking if !was_open => Some(Lifecycle::Opened),
            ConnectionState::BackingOff { attempt, retry_at, delay_ms } => {
                Some(Lifecycle::RetryScheduled {
                    attempt: *attempt,
                    delay_ms: *delay_ms,
                    retry_at: Some(*retry_at),
                })
            }
            ConnectionState::Closed { reason, .. } => Some(Lifecycle::Closed(reason.clone())),
            _ => None,
        };
        if let Some(lane) = self.lanes.get_mut(&id) {
            if matches!(state, ConnectionState::Connecting { .. }) {
                lane.connects += 1;
            }
            lane.connection = state;
        }
        if let Some(lifecycle) = lifecycle {
            self.lifecycle(id, at, lifecycle);
        }
    }

    fn resumed(&mut self, id: LaneId, at: Timestamp, outcome: ResumeOutcome) {
        let (resumed, missing) = match outcome {
            ResumeOutcome::Recovered { last_seq, replayed } => {
                (Some(Lifecycle::Resumed { last_seq, replayed }), None)
            }
            ResumeOutcome::Partial { last_seq, replayed, missing } => {
                (Some(Lifecycle::Resumed { last_seq, replayed }), Some(missing))
            }
            ResumeOutcome::Unrecoverable { missing, .. } => (None, Some(missing)),
            ResumeOutcome::Reset { last_seq, server_last_seq } => {
                (Some(Lifecycle::ServerRestarted { last_seq, server_last_seq }), None)
            }
            _ => (None, None),
        };
        if let Some(resumed) = resumed {
            self.lifecycle(id, at, resumed);
        }
        if let Some(missing) = missing {
            self.lifecycle(id, at, Lifecycle::Gap { first: missing.first, last: missing.last });
        }
    }

    fn lifecycle(&mut self, id: LaneId, at: Timestamp, lifecycle: Lifecycle) {
        let Some(lane) = self.lanes.get_mut(&id) else { return };
        let marker = ConnectionMarker { at, before_seq: self.next_seq, lifecycle };
        lane.runs.mark_connection(&marker);
        lane.lifecycle.push(marker);
    }

    /// Appends the row that `build` makes (given its sequence number and its lane) to lane
    /// `id`, shows it if the filter matches, and evicts beyond the cap.
    fn push_row(&mut self, id: LaneId, build: impl FnOnce(u64, &mut Lane) -> StreamRow) {
        let seq = self.next_seq;
        let Some(lane) = self.lanes.get_mut(&id) else { return };
        self.next_seq += 1;
        if self.views.paused.is_some() {
            self.views.held_frames += 1;
        }
        let row = build(seq, lane);
        self.views.push_row(lane, row, self.cap);
    }

    /// A decoded frame, drawn on its run's timeline as the checker judged it.
    fn push_event(
        &mut self,
        id: LaneId,
        at: Timestamp,
        frame: u64,
        event: Event,
        verdict: &Verdict,
    ) {
        self.push_row(id, |seq, lane| {
            let run = lane.runs.apply(at, frame, seq, &event, verdict);
            let kind = kind_of(&event);
            let Event { wire_type, raw, .. } = event;
            StreamRow {
                wire_type: (wire_type != kind).then(|| wire_type.into_boxed_str()),
                run,
                size: raw.len(),
                raw: Some(raw.into_string().into_boxed_str()),
                ..StreamRow::new(seq, lane, frame, at, kind)
            }
        });
    }

    /// A frame too long to keep, by its length (live from the SDK, or from an import).
    fn push_too_long(&mut self, id: LaneId, at: Timestamp, frame: u64, length: u64, limit: usize) {
        self.push_row(id, |seq, lane| StreamRow {
            size: usize::try_from(length).unwrap_or(usize::MAX),
            limit: Some(limit),
            ..StreamRow::new(seq, lane, frame, at, MALFORMED.into())
        });
    }

    /// A frame that is not an event, with its text (live from the SDK, or from an import).
    fn push_malformed(&mut self, id: LaneId, at: Timestamp, frame: u64, text: String) {
        self.push_row(id, |seq, lane| StreamRow {
            size: text.len(),
            raw: Some(text.into_boxed_str()),
            ..StreamRow::new(seq, lane, frame, at, MALFORMED.into())
        });
    }

    fn push_flag(&mut self, id: LaneId, at: Timestamp, flag: Flag) {
        // A frame the checker saw that never arrived as an event (a malformed frame, a repeat
        // the SDK held back) gets a row without text, so the flag has a frame to point at.
        let undelivered = |lane: &Lane, frame: u64| lane.last_frame.is_none_or(|last| frame > last);
        if let Some(frame) = flag.frame {
            if self.lanes.get(&id).is_some_and(|lane| undelivered(lane, frame)) {
                let kind = if flag.rule == Rule::MalformedFrame { MALFORMED } else { UNDELIVERED };
                let run = flag.run_id.as_deref().map(Arc::from);
                self.push_row(id, |seq, lane| StreamRow {
                    run,
                    ..StreamRow::new(seq, lane, frame, at, kind.into())
                });
            }
        }
        let Some(lane) = self.lanes.get_mut(&id) else { return };
        let flag_id = FlagId(self.next_flag);
        self.next_flag += 1;
        lane.flag_counts.add(flag.severity);
        lane.cross_user |= flag.rule == Rule::CrossUserEvent;

        // The rows it names.
        let named = flag.frame.into_iter().chain(flag.related_frames.iter().copied());
        let mut rows = Vec::new();
        let mut own_row: Option<OwnRow> = None;
        for frame in named {
            let Some(row) = lane.row_index_by_frame(frame).and_then(|at| lane.rows.get_mut(at))
            else {
                continue;
            };
            if !row.flags.contains(&flag_id) {
                row.flags.push(flag_id);
            }
            row.worst = row.worst.max(Some(flag.severity));
            rows.push(row.seq);
            if Some(frame) == flag.frame {
                own_row = Some(OwnRow { seq: row.seq, kind: row.kind.clone() });
            }
        }
        rows.sort_unstable();
        rows.dedup();

        let mark = FlagMark {
            id: flag_id,
            rule: flag.rule,
            severity: flag.severity,
            frame: flag.frame,
            seq: own_row.as_ref().map(|own| own.seq),
            at,
        };
        lane.runs.mark_flag(flag.place(), mark);

        let entry = FlagEntry {
            id: flag_id,
            lane: id,
            user: Arc::clone(&lane.user),
            at,
            kind: own_row.map(|own| own.kind),
            flag,
            rows,
        };
        self.views.push_flag(lane, entry, self.cap);
    }

    fn set_filter(&mut self, filter: Filter) {
        if filter == *self.views.matcher.filter() {
            return;
        }
        let narrows = filter.narrows(self.views.matcher.filter());
        let matcher = Matcher::new(filter);
        let lanes = &self.lanes;
        let row = |key: &RowKey| {
            lanes.get(&key.lane).and_then(|lane| lane.row(key.seq).map(|row| (lane, row)))
        };
        let flag = |key: &FlagKey| lanes.get(&key.lane).and_then(|lane| lane.flag(key.id));
        let (rows, flags) = if narrows {
            let rows = self
                .views
                .rows
                .iter()
                .copied()
                .filter(|key| row(key).is_some_and(|(lane, row)| matcher.row(lane, row)));
            let flags = self
                .views
                .flags
                .iter()
                .copied()
                .filter(|key| flag(key).is_some_and(|entry| matcher.flag(entry)));
            (SeqList::from_sorted(rows), SeqList::from_sorted(flags))
        } else {
            let mut rows: Vec<RowKey> = lanes
                .values()
                .flat_map(|lane| {
                    let matcher = &matcher;
                    lane.rows
                        .iter()
                        .filter(move |row| matcher.row(lane, row))
                        .map(|row| RowKey { seq: row.seq, lane: lane.id })
                })
                .collect();
            rows.sort_unstable_by_key(|key| key.seq);
            let mut flags: Vec<FlagKey> = lanes
                .values()
                .flat_map(|lane| {
                    let matcher = &matcher;
                    lane.flags
                        .iter()
                        .filter(move |entry| matcher.flag(entry))
                        .map(|entry| FlagKey { id: entry.id, lane: lane.id })
                })
                .collect();
            flags.sort_unstable_by_key(|key| key.id);
            (SeqList::from_sorted(rows), SeqList::from_sorted(flags))
        };
        self.views.matcher = matcher;
        self.views.rows = rows;
        self.views.flags = flags;
    }
}

impl Views {
    /// Appends a row to its lane, shows it if the filter matches, and evicts beyond the cap.
    fn push_row(&mut self, lane: &mut Lane, row: StreamRow, cap: usize) {
        let key = RowKey { seq: row.seq, lane: lane.id };
        let shown = self.matcher.row(lane, &row);
        lane.frames_received += 1;
        lane.bytes_received += row.size as u64;
        lane.bytes_kept += row.kept_bytes();
        lane.last_event_at = Some(row.at);
        lane.last_frame = Some(row.frame);
        lane.rate.record(row.at);
        lane.rows.push_back(row);
        if shown {
            self.rows.insert(key);
        }
        self.evict(lane, cap);
    }

    /// Appends a flag to its lane, shows it if the filter matches, shows the rows it names
    /// that match now, and evicts beyond the cap.
    fn push_flag(&mut self, lane: &mut Lane, entry: FlagEntry, cap: usize) {
        let key = FlagKey { id: entry.id, lane: lane.id };
        let shown = self.matcher.flag(&entry);
        let rows = entry.rows.clone();
        lane.flags.push_back(entry);
        if shown {
            self.flags.insert(key);
        }
        // A flag can only make a row match (a severity, a rule, a sentence to search).
        if !self.matcher.is_empty() {
            for seq in rows {
                if lane.row(seq).is_some_and(|row| self.matcher.row(lane, row)) {
                    self.rows.insert(RowKey { seq, lane: lane.id });
                }
            }
        }
        self.evict(lane, cap);
    }

    /// Drops a lane's oldest frames and flags beyond `cap`, and its oldest frames beyond
    /// [`MAX_LANE_BYTES`].
    fn evict(&mut self, lane: &mut Lane, cap: usize) {
        while lane.rows.len() > cap || (lane.bytes_kept > MAX_LANE_BYTES && lane.rows.len() > 1) {
            if let Some(row) = lane.rows.pop_front() {
                self.rows.remove(row.seq);
                lane.bytes_kept = lane.bytes_kept.saturating_sub(row.kept_bytes());
                lane.evicted_frames += 1;
            }
        }
        while lane.flags.len() > cap {
            if let Some(entry) = lane.flags.pop_front() {
                self.flags.remove(entry.id.0);
                lane.evicted_flags += 1;
            }
        }
    }
}

/// The row of the frame that raised a flag.
struct OwnRow {
    seq: u64,
    kind: std::borrow::Cow<'static, str>,
}
