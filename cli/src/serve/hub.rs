//! Which connections belong to which user. Like the manager's `send_to_user`, an event goes to
//! every connection of its user, and never to another user's.
//!
//! With the sequence extension (checker-rules.md, `--seq`), every frame sent to a user gets the
//! next number of that user's sequence in a root `seq` key, and the user's recent frames are kept
//! (for `--seq-keep`, and at most [`HISTORY_LIMIT`] frames) so a reconnecting client can `resume`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Frames queued per connection before it counts as too slow and is dropped.
pub(crate) const OUTBOX: usize = 4096;

/// The most frames kept per user for `resume`, whatever `--seq-keep` says.
pub(crate) const HISTORY_LIMIT: usize = 100_000;

/// A frame on its way to one connection: its sequence number (when numbered) and its text.
pub(crate) type Outgoing = (Option<u64>, String);

/// The sending end of a connection's queue.
pub(crate) type Outbox = mpsc::Sender<Outgoing>;

/// One user's connections and, with `--seq`, sequence counter and recent frames.
#[derive(Default)]
struct UserState {
    connections: Vec<(u64, Outbox)>,
    last_seq: u64,
    history: VecDeque<(u64, Instant, String)>,
}

impl UserState {
    /// Drops frames older than `keep`, and the oldest beyond [`HISTORY_LIMIT`].
    fn forget_older_than(&mut self, keep: Duration) {
        let now = Instant::now();
        while self.history.len() > HISTORY_LIMIT
            || self.history.front().is_some_and(|(_, at, _)| now.duration_since(*at) > keep)
        {
            self.history.pop_front();
        }
    }
}

/// What a `resume` gets: the frames to replay, and the outcome to report.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Replay {
    /// The frames after the client's `last_seq` that are still held, in order.
    pub(crate) frames: Vec<(u64, String)>,
    /// The first sequence number the client missed.
    pub(crate) from_seq: u64,
    /// The last sequence number the client missed (below `from_seq` when it missed nothing).
    pub(crate) to_seq: u64,
    /// Whether every missed frame was still held.
    pub(crate) complete: bool,
}

/// The live connections, by user.
pub(crate) struct Hub {
    users: Mutex<HashMap<String, UserState>>,
    /// With `--seq`: how long a user's frames are kept for `resume`.
    keep: Option<Duration>,
}

impl Hub {
    /// A hub; `keep` turns the sequence extension on, keeping frames that long for `resume`.
    pub(crate) fn new(keep: Option<Duration>) -> Self {
        Hub { users: Mutex::new(HashMap::new()), keep }
    }

    /// Whether frames are numbered (`--seq`).
    pub(crate) fn numbers_frames(&self) -> bool {
        self.keep.is_some()
    }

    /// Registers connection `id` of `user`.
    pub(crate) fn join(&self, user: &str, id: u64, outbox: Outbox) {
        if let Ok(mut users) = self.users.lock() {
            users.entry(user.to_owned()).or_default().connections.push((id, outbox));
        }
    }

    /// Forgets connection `id` of `user`. A user's sequence and history outlive its
    /// connections, so a client can reconnect and resume.
    pub(crate) fn leave(&self, user: &str, id: u64) {
        if let Ok(mut users) = self.users.lock() {
            if let Some(state) = users.get_mut(user) {
                state.connections.retain(|(other, _)| *other != id);
                if state.connections.is_empty() && state.history.is_empty() {
                    users.remove(user);
                }
            }
        }
    }

    /// Sends `frame` to every connection of `user` (numbered with `--seq`); returns how many got
    /// it. A connection whose outbox is full is too slow: it is dropped from the hub (its socket
    /// task then closes it).
    pub(crate) fn send_to_user(&self, user: &str, frame: &Value) -> usize {
        let Ok(mut users) = self.users.lock() else { return 0 };
        let (seq, text) = match self.keep {
            Some(keep) => {
                let state = users.entry(user.to_owned()).or_default();
                state.last_seq += 1;
                let seq = state.last_seq;
                let mut numbered = frame.clone();
                if let Some(object) = numbered.as_object_mut() {
                    object.insert("seq".to_owned(), Value::from(seq));
                }
                let text = numbered.to_string();
                state.history.push_back((seq, Instant::now(), text.clone()));
                state.forget_older_than(keep);
                (Some(seq), text)
            }
            None => (None, frame.to_string()),
        };
        let Some(state) = users.get_mut(user) else { return 0 };
        let mut delivered = 0;
        state.connections.retain(|(id, outbox)| match outbox.try_send((seq, text.clone())) {
            Ok(()) => {
                delivered += 1;
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(user, connection = id, "outbox full: dropping a slow connection");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        delivered
    }

    /// The frames of `user` after `last_seq` and before `before` (exclusive; `None`: up to the
    /// latest), as far as they are still held.
    pub(crate) fn replay(&self, user: &str, last_seq: u64, before: Option<u64>) -> Replay {
        let Ok(mut users) = self.users.lock() else {
            return Replay {
                frames: vec![],
                from_seq: last_seq + 1,
                to_seq: last_seq,
                complete: false,
            };
        };
        let state = users.entry(user.to_owned()).or_default();
        if let Some(keep) = self.keep {
            // A quiet user's old frames expire too, not only when a new frame arrives.
            state.forget_older_than(keep);
        }
        let from_seq = last_seq.saturating_add(1);
        let to_seq =
            before.map_or(state.last_seq, |before| before.saturating_sub(1)).min(state.last_seq);
        let frames: Vec<(u64, String)> = state
            .history
            .iter()
            .filter(|(seq, _, _)| (from_seq..=to_seq).contains(seq))
            .map(|(seq, _, text)| (*seq, text.clone()))
            .collect();
        let missed = to_seq.saturating_add(1).saturating_sub(from_seq);
        let complete = frames.len() as u64 == missed;
        Replay { frames, from_seq, to_seq, complete }
    }

    /// How many connections `user` has.
    #[cfg(test)]
    pub(crate) fn connections_of(&self, user: &str) -> usize {
        self.users
            .lock()
            .map(|users| users.get(user).map_or(0, |s| s.connections.len()))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(receiver: &mut mpsc::Receiver<Outgoing>) -> Vec<Outgoing> {
        std::iter::from_fn(|| receiver.try_recv().ok()).collect()
    }

    #[tokio::test]
    async fn frames_reach_every_connection_of_the_user_and_no_other_user() {
        let hub = Hub::new(None);
        let (a1, mut r1) = mpsc::channel(8);
        let (a2, mut r2) = mpsc::channel(8);
        let (b1, mut r3) = mpsc::channel(8);
        hub.join("alice", 1, a1);
        hub.join("alice", 2, a2);
        hub.join("bob", 3, b1);
        assert_eq!(hub.send_to_user("alice", &json!({"type": "x"})), 2);
        assert_eq!(texts(&mut r1), [(None, r#"{"type":"x"}"#.to_owned())]);
        assert_eq!(texts(&mut r2), [(None, r#"{"type":"x"}"#.to_owned())]);
        assert!(texts(&mut r3).is_empty());
        hub.leave("alice", 1);
        assert_eq!(hub.connections_of("alice"), 1);
        hub.leave("alice", 2);
        assert_eq!(hub.send_to_user("alice", &json!({"type": "gone"})), 0);
    }

    #[tokio::test]
    async fn a_connection_that_does_not_keep_up_is_dropped() {
        let hub = Hub::new(None);
        let (slow, _receiver) = mpsc::channel(1);
        hub.join("alice", 1, slow);
        assert_eq!(hub.send_to_user("alice", &json!({"n": 1})), 1);
        assert_eq!(hub.send_to_user("alice", &json!({"n": 2})), 0);
        assert_eq!(hub.connections_of("alice"), 0);
    }

    #[tokio::test]
    async fn with_seq_each_user_has_its_own_numbering_and_history() {
        let hub = Hub::new(Some(Duration::from_secs(120)));
        let (a, mut ra) = mpsc::channel(8);
        hub.join("alice", 1, a);
        for n in 0..3 {
            hub.send_to_user("alice", &json!({"n": n}));
        }
        hub.send_to_user("bob", &json!({"n": 0})); // nobody connected: numbered and kept anyway
        let seqs: Vec<Option<u64>> = texts(&mut ra).into_iter().map(|(seq, _)| seq).collect();
        assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
        let replay = hub.replay("alice", 1, None);
        assert_eq!(replay.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!((replay.from_seq, replay.to_seq, replay.complete), (2, 3, true));
        assert!(replay.frames[0].1.contains(r#""seq":2"#));
        assert_eq!(hub.replay("bob", 0, None).frames.len(), 1);
        let nothing = hub.replay("alice", 3, None);
        assert_eq!(
            (nothing.frames.len(), nothing.from_seq, nothing.to_seq, nothing.complete),
            (0, 4, 3, true)
        );
        let bounded = hub.replay("alice", 0, Some(3));
        assert_eq!(bounded.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [1, 2]);
    }

    #[tokio::test(start_paused = true)]
    async fn frames_older_than_the_keep_window_are_forgotten_and_resume_says_so() {
        let hub = Hub::new(Some(Duration::from_secs(2)));
        hub.send_to_user("alice", &json!({"n": 1}));
        tokio::time::advance(Duration::from_secs(3)).await;
        hub.send_to_user("alice", &json!({"n": 2}));
        let replay = hub.replay("alice", 0, None);
        assert_eq!(replay.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [2]);
        assert_eq!((replay.from_seq, replay.to_seq, replay.complete), (1, 2, false));
        // With no new frame, time alone expires the rest.
        tokio::time::advance(Duration::from_secs(3)).await;
        let replay = hub.replay("alice", 0, None);
        assert!(replay.frames.is_empty());
        assert_eq!((replay.from_seq, replay.to_seq, replay.complete), (1, 2, false));
    }
}
