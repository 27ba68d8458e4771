//! Which connections belong to which user. Like the manager's `send_to_user`, an event goes to
//! every connection of its user, and never to another user's.
//!
//! With the sequence extension (docs/rules.md, `--seq`), every frame sent to a user gets the
//! next number of that user's sequence in a root `seq` key, and the user's recent frames are kept
//! (for `--seq-keep`, and at most [`HISTORY_LIMIT`] frames) so a reconnecting client can `resume`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::instant;

/// Frames queued per connection before it counts as too slow and is dropped.
pub(crate) const OUTBOX: usize = 4096;

/// The most frames kept per user for `resume`, whatever `--seq-keep` says.
pub(crate) const HISTORY_LIMIT: usize = 100_000;

/// What a connection's socket task is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Send a frame: its sequence number (when numbered) and its text.
    Frame(Option<u64>, String),
    /// Drop the connection abruptly, without a close frame (fault injection).
    ///
    /// Like [`Delivery::Freeze`], it is queued in order with the frames: an October connection
    /// still in its handshake (its outbox held) answers as usual until the ack, sends
    /// `handshake_complete` and the frames queued before this, then drops.
    DropAbruptly,
    /// Freeze the connection (fault injection): send nothing more on it, not even a close frame,
    /// and ignore what it receives, until the client goes. The hub queues nothing after this.
    Freeze,
    /// A run of the user has sent its last frame. An October connection sends its cleanup
    /// frames (§6) for it; a September connection ignores it. Never numbered (`--seq`): a
    /// September connection of the same user never sees cleanup frames, so a number would be
    /// a gap to it.
    RunEnded {
        /// The run.
        run_id: String,
        /// Its thread.
        thread_id: String,
    },
}

/// The sending end of a connection's queue.
pub(crate) type Outbox = mpsc::Sender<Delivery>;

/// Where a frame went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Its sequence number, with `--seq`.
    pub(crate) seq: Option<u64>,
    /// The connections that got it.
    pub(crate) connections: Vec<u64>,
    /// The connections dropped for being too slow to take it (their outbox was full).
    pub(crate) dropped: Vec<u64>,
}

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
        let now = instant();
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

    /// Forgets connection `id` of `user`. With `--seq` a user's sequence counter outlives its
    /// connections (a reconnecting client resumes from it, so numbering must never restart);
    /// only its history expires.
    pub(crate) fn leave(&self, user: &str, id: u64) {
        if let Ok(mut users) = self.users.lock() {
            if let Some(state) = users.get_mut(user) {
                state.connections.retain(|(other, _)| *other != id);
                if state.connections.is_empty() && self.keep.is_none() {
                    users.remove(user);
                }
            }
        }
    }

    /// Expires old frames of every user (with `--seq`), so quiet users' histories do not stay
    /// in memory; returns how many frames are still held.
    pub(crate) fn sweep(&self) -> usize {
        let (Some(keep), Ok(mut users)) = (self.keep, self.users.lock()) else { return 0 };
        users
            .values_mut()
            .map(|state| {
                state.forget_older_than(keep);
                state.history.shrink_to_fit();
                state.history.len()
            })
            .sum()
    }

    /// Consumes the user's next sequence number without sending anything: the frame it would have
    /// numbered was lost (the `drop` fault), so a numbering client sees the gap.
    pub(crate) fn skip_seq(&self, user: &str) -> Option<u64> {
        self.keep?;
        let mut users = self.users.lock().ok()?;
        let state = users.entry(user.to_owned()).or_default();
        state.last_seq += 1;
        Some(state.last_seq)
    }

    /// Sends the frame `text` to every connection of `user`. With `--seq` a JSON object gets the
    /// user's next number in a root `seq` key and is kept for `resume`; anything else (a
    /// malformed frame) cannot carry a number and goes as it is. Without `--seq` the text is
    /// never parsed. A connection whose outbox is full is too slow: it is dropped from the hub
    /// (its socket task then closes it).
    pub(crate) fn send_to_user(&self, user: &str, text: &str) -> Sent {
        let Ok(mut users) = self.users.lock() else { return Sent::default() };
        let numbered = self.keep.and_then(|keep| {
            let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
                return None;
            };
            let state = users.entry(user.to_owned()).or_default();
            state.last_seq += 1;
            let seq = state.last_seq;
            object.insert("seq".to_owned(), Value::from(seq));
            let text = Value::Object(object).to_string();
            state.history.push_back((seq, instant(), text.clone()));
            state.forget_older_than(keep);
            Some((seq, text))
        });
        let (seq, text) = match numbered {
            Some((seq, text)) => (Some(seq), text),
            None => (None, text.to_owned()),
        };
        let (connections, dropped) = deliver(&mut users, user, &Delivery::Frame(seq, text));
        Sent { seq, connections, dropped }
    }

    /// Tells every connection of `user` that run `run_id` (on `thread_id`) sent its last frame;
    /// the ids that were told, and those dropped for being too slow.
    pub(crate) fn end_run(
        &self,
        user: &str,
        run_id: &str,
        thread_id: &str,
    ) -> (Vec<u64>, Vec<u64>) {
        let Ok(mut users) = self.users.lock() else { return (Vec::new(), Vec::new()) };
        let ended =
            Delivery::RunEnded { run_id: run_id.to_owned(), thread_id: thread_id.to_owned() };
        deliver(&mut users, user, &ended)
    }

    /// Asks connection number `pick` (modulo their count) of `user` to drop abruptly; its id.
    pub(crate) fn drop_one_connection(&self, user: &str, pick: usize) -> Option<u64> {
        let users = self.users.lock().ok()?;
        let connections = &users.get(user)?.connections;
        let (id, outbox) = connections.get(pick.checked_rem(connections.len())?)?;
        outbox.try_send(Delivery::DropAbruptly).ok().map(|()| *id)
    }

    /// Asks connection number `pick` (modulo their count) of `user` to freeze (the
    /// `freeze_connection` fault) and takes it out of the user's connections, so nothing is
    /// queued for it after the freeze: it counts as gone for delivery, while the user's frames are
    /// still numbered and kept (with `--seq`) for a `resume` on another connection. Its id; `None`
    /// (and nothing changes) when the user has no connection or that one's outbox is full or
    /// closed.
    pub(crate) fn freeze_one_connection(&self, user: &str, pick: usize) -> Option<u64> {
        let mut users = self.users.lock().ok()?;
        let state = users.get_mut(user)?;
        let index = pick.checked_rem(state.connections.len())?;
        let (id, outbox) = state.connections.get(index)?;
        outbox.try_send(Delivery::Freeze).ok()?;
        let id = *id;
        state.connections.remove(index);
        if state.connections.is_empty() && self.keep.is_none() {
            users.remove(user);
        }
        Some(id)
    }

    /// A connected user other than `user` to leak a frame to: not the same id, not one the
    /// checker would take for it (a prefix either way), and not the frame's thread id.
    pub(crate) fn other_user(
        &self,
        user: &str,
        thread_id: Option<&str>,
        pick: usize,
    ) -> Option<String> {
        let users = self.users.lock().ok()?;
        let mut candidates: Vec<&String> = users
            .iter()
            .filter(|(other, state)| {
                !state.connections.is_empty()
                    && !other.starts_with(user)
                    && !user.starts_with(other.as_str())
                    && Some(other.as_str()) != thread_id
            })
            .map(|(other, _)| other)
            .collect();
        candidates.sort();
        candidates.get(pick.checked_rem(candidates.len())?).map(|other| (*other).clone())
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

/// Queues `delivery` for every connection of `user`: the ids that got it, and those dropped.
/// A connection whose outbox is full is too slow: it is dropped from the hub (its socket task
/// writes what it holds, then closes it with 1013).
fn deliver(
    users: &mut HashMap<String, UserState>,
    user: &str,
    delivery: &Delivery,
) -> (Vec<u64>, Vec<u64>) {
    let Some(state) = users.get_mut(user) else { return (Vec::new(), Vec::new()) };
    let mut delivered = Vec::new();
    let mut dropped = Vec::new();
    state.connections.retain(|(id, outbox)| match outbox.try_send(delivery.clone()) {
        Ok(()) => {
            delivered.push(*id);
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(user, connection = id, "outbox full: dropping a slow connection");
            dropped.push(*id);
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    (delivered, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(receiver: &mut mpsc::Receiver<Delivery>) -> Vec<(Option<u64>, String)> {
        std::iter::from_fn(|| receiver.try_recv().ok())
            .filter_map(|delivery| match delivery {
                Delivery::Frame(seq, text) => Some((seq, text)),
                Delivery::DropAbruptly | Delivery::Freeze | Delivery::RunEnded { .. } => None,
            })
            .collect()
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
        assert_eq!(
            hub.send_to_user("alice", &json!({"type": "x"}).to_string()).connections,
            [1, 2]
        );
        assert_eq!(texts(&mut r1), [(None, r#"{"type":"x"}"#.to_owned())]);
        assert_eq!(texts(&mut r2), [(None, r#"{"type":"x"}"#.to_owned())]);
        assert!(texts(&mut r3).is_empty());
        hub.leave("alice", 1);
        assert_eq!(hub.connections_of("alice"), 1);
        hub.leave("alice", 2);
        assert!(
            hub.send_to_user("alice", &json!({"type": "gone"}).to_string()).connections.is_empty()
        );
    }

    #[tokio::test]
    async fn leak_targets_are_other_connected_users_never_a_prefix_or_the_thread() {
        let hub = Hub::new(None);
        let mut receivers = Vec::new();
        for (user, id) in [("alice", 1), ("alice-2", 2), ("bob", 3), ("thread_9", 4)] {
            let (outbox, receiver) = mpsc::channel(8);
            receivers.push(receiver);
            hub.join(user, id, outbox);
        }
        let targets: std::collections::BTreeSet<String> =
            (0..10).filter_map(|pick| hub.other_user("alice", Some("thread_9"), pick)).collect();
        assert_eq!(targets.into_iter().collect::<Vec<_>>(), ["bob"]);
        assert!(hub.other_user("nobody-else", None, 0).is_some());
        let lonely = Hub::new(None);
        assert_eq!(lonely.other_user("alice", None, 0), None);
    }

    #[tokio::test]
    async fn the_end_of_a_run_reaches_every_connection_of_the_user_unnumbered() {
        let hub = Hub::new(Some(Duration::from_secs(60)));
        let (a1, mut r1) = mpsc::channel(8);
        hub.join("alice", 1, a1);
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        assert_eq!(hub.end_run("alice", "run_1", "thread_1").0, [1]);
        assert!(matches!(r1.try_recv(), Ok(Delivery::Frame(Some(1), _))));
        assert_eq!(
            r1.try_recv().ok(),
            Some(Delivery::RunEnded { run_id: "run_1".into(), thread_id: "thread_1".into() })
        );
        let sent = hub.send_to_user("alice", &json!({"n": 2}).to_string());
        assert_eq!(sent.seq, Some(2), "the end of a run takes no number");
        assert!(hub.end_run("bob", "run_2", "thread_2").0.is_empty());
    }

    #[tokio::test]
    async fn an_abrupt_drop_goes_to_one_connection_of_the_user() {
        let hub = Hub::new(None);
        let (a1, mut r1) = mpsc::channel(8);
        hub.join("alice", 7, a1);
        assert_eq!(hub.drop_one_connection("alice", 5), Some(7));
        assert_eq!(r1.try_recv().ok(), Some(Delivery::DropAbruptly));
        assert_eq!(hub.drop_one_connection("bob", 0), None);
    }

    #[tokio::test]
    async fn a_frozen_connection_gets_nothing_after_the_freeze_but_frames_are_still_kept() {
        let hub = Hub::new(Some(Duration::from_secs(60)));
        let (a1, mut r1) = mpsc::channel(8);
        let (a2, mut r2) = mpsc::channel(8);
        hub.join("alice", 1, a1);
        hub.join("alice", 2, a2);
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        // Pick 2 of two connections is the first one, as for `drop_one_connection`.
        assert_eq!(hub.freeze_one_connection("alice", 2), Some(1));
        assert_eq!(hub.connections_of("alice"), 1);
        let sent = hub.send_to_user("alice", &json!({"n": 2}).to_string());
        assert_eq!((sent.seq, sent.connections), (Some(2), vec![2]));
        // The frozen connection got the frame before the freeze, then the freeze, then nothing.
        assert!(matches!(r1.try_recv(), Ok(Delivery::Frame(Some(1), _))));
        assert_eq!(r1.try_recv().ok(), Some(Delivery::Freeze));
        assert!(r1.try_recv().is_err());
        assert_eq!(
            texts(&mut r2).into_iter().map(|(seq, _)| seq).collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        // Leaving later is harmless, and a reconnecting client can resume what it missed.
        hub.leave("alice", 1);
        let replay = hub.replay("alice", 1, None);
        assert_eq!(replay.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), [2]);
        assert!(replay.complete);

        // The last connection frozen: frames are numbered and kept with nobody to send them to.
        assert_eq!(hub.freeze_one_connection("alice", 0), Some(2));
        assert_eq!(hub.connections_of("alice"), 0);
        let sent = hub.send_to_user("alice", &json!({"n": 3}).to_string());
        assert_eq!((sent.seq, sent.connections), (Some(3), vec![]));
        assert_eq!(r2.try_recv().ok(), Some(Delivery::Freeze));
        assert!(r2.try_recv().is_err(), "the freeze is the last delivery");
        assert_eq!(hub.replay("alice", 1, None).frames.len(), 2);
        assert_eq!(hub.freeze_one_connection("alice", 0), None);
        assert_eq!(hub.freeze_one_connection("bob", 0), None);
    }

    #[tokio::test]
    async fn a_connection_whose_outbox_is_full_is_not_frozen() {
        let hub = Hub::new(None);
        let (a1, _r1) = mpsc::channel(1);
        hub.join("alice", 1, a1);
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        assert_eq!(hub.freeze_one_connection("alice", 0), None);
        assert_eq!(hub.connections_of("alice"), 1);
        // Without `--seq`, freezing the last connection forgets the user, as leaving does.
        let (b1, mut rb) = mpsc::channel(8);
        hub.join("bob", 2, b1);
        assert_eq!(hub.freeze_one_connection("bob", 0), Some(2));
        assert_eq!(rb.try_recv().ok(), Some(Delivery::Freeze));
        assert!(hub.send_to_user("bob", &json!({"n": 1}).to_string()).connections.is_empty());
        assert_eq!(hub.connections_of("bob"), 0);
    }

    #[tokio::test]
    async fn malformed_text_is_delivered_without_a_sequence_number() {
        let hub = Hub::new(Some(Duration::from_secs(60)));
        let (a, mut ra) = mpsc::channel(8);
        hub.join("alice", 1, a);
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        hub.send_to_user("alice", "{\"cut");
        hub.send_to_user("alice", &json!({"n": 2}).to_string());
        let seqs: Vec<Option<u64>> = texts(&mut ra).into_iter().map(|(seq, _)| seq).collect();
        assert_eq!(seqs, [Some(1), None, Some(2)]);
    }

    #[tokio::test]
    async fn a_connection_that_does_not_keep_up_is_dropped() {
        let hub = Hub::new(None);
        let (slow, _receiver) = mpsc::channel(1);
        hub.join("alice", 1, slow);
        assert_eq!(hub.send_to_user("alice", &json!({"n": 1}).to_string()).connections.len(), 1);
        assert!(hub.send_to_user("alice", &json!({"n": 2}).to_string()).connections.is_empty());
        assert_eq!(hub.connections_of("alice"), 0);
    }

    #[tokio::test]
    async fn with_seq_each_user_has_its_own_numbering_and_history() {
        let hub = Hub::new(Some(Duration::from_secs(120)));
        let (a, mut ra) = mpsc::channel(8);
        hub.join("alice", 1, a);
        for n in 0..3 {
            hub.send_to_user("alice", &json!({"n": n}).to_string());
        }
        hub.send_to_user("bob", &json!({"n": 0}).to_string()); // nobody connected: numbered and kept anyway
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

    #[tokio::test]
    async fn numbering_never_restarts_when_a_quiet_user_leaves() {
        let hub = Hub::new(Some(Duration::ZERO));
        let (a, _ra) = mpsc::channel(8);
        hub.join("alice", 1, a);
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        hub.leave("alice", 1);
        assert_eq!(hub.sweep(), 0, "nothing kept with a zero window");
        let (b, mut rb) = mpsc::channel(8);
        hub.join("alice", 2, b);
        hub.send_to_user("alice", &json!({"n": 2}).to_string());
        assert_eq!(texts(&mut rb).first().map(|(seq, _)| *seq), Some(Some(2)));
        assert_eq!(hub.skip_seq("alice"), Some(3));
        hub.send_to_user("alice", &json!({"n": 3}).to_string());
        assert_eq!(
            texts(&mut rb).first().map(|(seq, _)| *seq),
            Some(Some(4)),
            "the skipped number stays a gap"
        );
        assert_eq!(Hub::new(None).skip_seq("alice"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn frames_older_than_the_keep_window_are_forgotten_and_resume_says_so() {
        let hub = Hub::new(Some(Duration::from_secs(2)));
        hub.send_to_user("alice", &json!({"n": 1}).to_string());
        tokio::time::advance(Duration::from_secs(3)).await;
        hub.send_to_user("alice", &json!({"n": 2}).to_string());
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
