//! Flags as the inspector lists them: the checker's [`Flag`], with its user, arrival time and
//! the stream rows it points at.

use std::borrow::Cow;
use std::sync::Arc;

use agentwire::{Flag, Timestamp};

use super::lanes::LaneId;
use super::seq_list::Sequenced;

/// Identifies a flag in the state: the order in which flags arrived, across all users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlagId(pub(crate) u64);

/// One flag, with where it was raised.
#[derive(Clone, Debug)]
pub struct FlagEntry {
    pub(crate) id: FlagId,
    pub(crate) lane: LaneId,
    pub(crate) user: Arc<str>,
    pub(crate) at: Timestamp,
    pub(crate) flag: Flag,
    /// The type of the frame that raised it, when that frame is in the stream.
    pub(crate) kind: Option<Cow<'static, str>>,
    /// The stream rows of `flag.frame` and `flag.related_frames` that were kept when the flag
    /// arrived (in frame order).
    pub(crate) rows: Vec<u64>,
}

impl FlagEntry {
    /// The flag's id.
    #[must_use]
    pub fn id(&self) -> FlagId {
        self.id
    }

    /// The lane it was raised on.
    #[must_use]
    pub fn lane(&self) -> LaneId {
        self.lane
    }

    /// The user it was raised for.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// When it arrived.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The checker's flag: rule, severity, frame, related frames, run and sentence.
    #[must_use]
    pub fn flag(&self) -> &Flag {
        &self.flag
    }

    /// The type of the frame that raised it, when that frame is in the stream.
    #[must_use]
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// The stream sequence numbers of the frames it names (its own and the related ones) that
    /// were in the stream when it arrived. Evicted or cleared ones may have gone since.
    #[must_use]
    pub fn rows(&self) -> &[u64] {
        &self.rows
    }
}

/// A position in the filtered flags list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlagKey {
    pub(crate) id: FlagId,
    pub(crate) lane: LaneId,
}

impl Sequenced for FlagKey {
    fn seq(&self) -> u64 {
        self.id.0
    }
}
