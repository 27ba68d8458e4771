//! Resume after a reconnect (agentwire's sequence extension, docs/rules.md), as the [`Session`]
//! sees it. When the socket that went away had received numbered frames from a server that
//! numbers them, the new socket owes a `resume` from the last `seq`, sent as its first message
//! (after the October 2025 handshake when one is expected). Frames numbered above it count as
//! replayed; the server's `resume_result` ends the resume with a [`ResumeOutcome`].

use super::{ClientMessage, Phase, ResumeOutcome, SeqRange, Session, SessionEvent};
use crate::timestamp::Timestamp;

/// A resume in progress: sent, not yet answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PendingResume {
    /// Whether the `resume` went out (it waits for an expected handshake to end, and goes
    /// again after one that refused it).
    pub(super) sent: bool,
    last_seq: u64,
    replayed: u64,
    first_replayed: Option<u64>,
}

impl Session {
    /// The resume a socket that just opened owes: one from the last `seq` received, when resume
    /// is on, the server numbers its frames, and this is a reconnect.
    pub(super) fn resume_owed(&self) -> Option<PendingResume> {
        match self.stats.last_seq {
            Some(last_seq) if self.config.resume && self.seq_supported && self.was_open => {
                Some(PendingResume { sent: false, last_seq, replayed: 0, first_replayed: None })
            }
            _ => None,
        }
    }

    /// A frame numbered `seq` arrived: above the resume's `last_seq`, it is a replayed one.
    pub(super) fn count_replayed(&mut self, seq: u64) {
        if let Phase::Open { resume: Some(pending), .. } = &mut self.phase {
            if seq > pending.last_seq {
                pending.replayed += 1;
                pending.first_replayed = Some(pending.first_replayed.map_or(seq, |f| f.min(seq)));
            }
        }
    }

    /// Sends the pending `resume`, once.
    pub(super) fn send_resume(&mut self, now: Timestamp) {
        let Phase::Open { resume: Some(pending), .. } = &mut self.phase else { return };
        if pending.sent {
            return;
        }
        pending.sent = true;
        let last_seq = pending.last_seq;
        self.transmit(now, &ClientMessage::Resume { last_seq });
    }

    /// The server's `resume_result` arrived: the resume ends with its outcome.
    pub(super) fn finish_resume(&mut self, result: &crate::event::ResumeResult) {
        let Phase::Open { resume, .. } = &mut self.phase else { return };
        let Some(pending) = resume.take() else { return };
        let PendingResume { last_seq, replayed, first_replayed, .. } = pending;
        let from = result.from_seq.unwrap_or(last_seq + 1);
        let to = result.to_seq.unwrap_or(last_seq);
        let outcome = if to < last_seq {
            // "Nothing missed" is `to_seq == last_seq`; below it, the server never got as far as
            // the client: its numbering is a new one. Resume from the server's numbers next time
            // (the checker restarts its numbering on the same frame).
            self.stats.last_seq = Some(to);
            ResumeOutcome::Reset { last_seq, server_last_seq: to }
        } else if result.complete || to < from {
            ResumeOutcome::Recovered { last_seq, replayed }
        } else if let Some(first) = first_replayed.filter(|first| *first > from) {
            ResumeOutcome::Partial {
                last_seq,
                replayed,
                missing: SeqRange { first: from, last: first - 1 },
            }
        } else if replayed > 0 {
            // Incomplete, yet the first missed frame came back: the gap is inside the range.
            ResumeOutcome::Partial {
                last_seq,
                replayed,
                missing: SeqRange { first: from, last: to },
            }
        } else {
            ResumeOutcome::Unrecoverable { last_seq, missing: SeqRange { first: from, last: to } }
        };
        self.events.push_back(SessionEvent::Resumed(outcome));
    }
}
