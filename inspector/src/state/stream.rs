//! The stream: every frame, in arrival order, with what the flags say about it.

use std::borrow::Cow;
use std::sync::Arc;

use agentwire::{DecodeError, Event, Severity, Timestamp};

use super::FlagId;
use super::lanes::{Lane, LaneId};
use super::seq_list::Sequenced;

/// The type shown for a frame that is not an event (not JSON, no `type`).
pub const MALFORMED: &str = "malformed";

/// The type shown for a frame the checker saw (a flag names it) but the SDK did not hand over
/// as an event, so its text is unknown (a malformed frame, or a repeat the SDK held back).
pub const UNDELIVERED: &str = "undelivered";

/// One received frame.
#[derive(Clone, Debug)]
pub struct StreamRow {
    pub(crate) seq: u64,
    pub(crate) lane: LaneId,
    pub(crate) user: Arc<str>,
    pub(crate) frame: u64,
    pub(crate) at: Timestamp,
    pub(crate) kind: Cow<'static, str>,
    /// Only when it differs from `kind`.
    pub(crate) wire_type: Option<Box<str>>,
    pub(crate) run: Option<Arc<str>>,
    pub(crate) size: usize,
    /// `None` when the text is unknown ([`UNDELIVERED`]) or was not kept ([`StreamRow::limit`]).
    pub(crate) raw: Option<Box<str>>,
    /// The limit a frame too long to keep exceeded (its `size` is its length).
    pub(crate) limit: Option<usize>,
    pub(crate) flags: Vec<FlagId>,
    pub(crate) worst: Option<Severity>,
}

impl StreamRow {
    /// A row of `lane` with no text, run or flags yet.
    pub(crate) fn new(
        seq: u64,
        lane: &Lane,
        frame: u64,
        at: Timestamp,
        kind: Cow<'static, str>,
    ) -> Self {
        StreamRow {
            seq,
            lane: lane.id(),
            user: Arc::clone(&lane.user),
            frame,
            at,
            kind,
            wire_type: None,
            run: None,
            size: 0,
            raw: None,
            limit: None,
            flags: Vec::new(),
            worst: None,
        }
    }

    /// The global sequence number: the order of arrival across all users.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The lane the frame arrived on.
    #[must_use]
    pub fn lane(&self) -> LaneId {
        self.lane
    }

    /// The user the frame arrived for.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The frame's index on its connection, as the checker counts frames and flags name them.
    #[must_use]
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// When it arrived.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The canonical type (`agent_thinking` for a wire `reasoning`), the wire's `type` for an
    /// unknown one, [`MALFORMED`] or [`UNDELIVERED`].
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The `type` exactly as sent.
    #[must_use]
    pub fn wire_type(&self) -> &str {
        self.wire_type.as_deref().unwrap_or(&self.kind)
    }

    /// The run the frame belongs to (its `run_id`, else its `thread_id`; for an agent event
    /// without either, the run of the previous agent event, as the checker decides).
    #[must_use]
    pub fn run(&self) -> Option<&str> {
        self.run.as_deref()
    }

    /// The frame's size in bytes (0 when its text is unknown).
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// The frame's text exactly as received, to be shown as text; `None` when the SDK did not
    /// hand it over ([`UNDELIVERED`]), or when it was too long to keep ([`StreamRow::limit`]).
    #[must_use]
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// For a frame too long to keep (over the SDK's `max_frame_bytes` live, or a capture
    /// reader's line limit), the limit it exceeded; its [`StreamRow::size`] is its length.
    #[must_use]
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// The bytes of text the row keeps (its size, unless the text is unknown or not kept).
    pub(crate) fn kept_bytes(&self) -> u64 {
        self.raw.as_ref().map_or(0, |raw| raw.len() as u64)
    }

    /// The flags that point at this frame (as the frame that raised them, or a related one).
    #[must_use]
    pub fn flags(&self) -> &[FlagId] {
        &self.flags
    }

    /// The most severe of those flags.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.worst
    }

    /// The decoded event, for the expanded view (decoded again on demand, so the stream keeps
    /// only the text). `None` when the text is unknown.
    #[must_use]
    pub fn decode(&self) -> Option<Result<Event, DecodeError>> {
        self.raw.as_deref().map(agentwire::decode)
    }
}

/// A position in the filtered stream: which lane holds the row with this `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RowKey {
    pub(crate) seq: u64,
    pub(crate) lane: LaneId,
}

impl Sequenced for RowKey {
    fn seq(&self) -> u64 {
        self.seq
    }
}

/// The stored form of a canonical type: static for every known type.
pub(crate) fn kind_of(event: &Event) -> Cow<'static, str> {
    match event.kind.canonical_name() {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(event.wire_type.clone()),
    }
}
