//! Which connections belong to which user. Like the manager's `send_to_user`, an event goes to
//! every connection of its user, and never to another user's.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc;

/// Frames queued per connection before it counts as too slow and is dropped.
pub(crate) const OUTBOX: usize = 4096;

/// A frame on its way to one connection.
pub(crate) type Outbox = mpsc::Sender<String>;

/// The live connections, by user.
#[derive(Default)]
pub(crate) struct Hub {
    users: Mutex<HashMap<String, Vec<(u64, Outbox)>>>,
}

impl Hub {
    /// Registers connection `id` of `user`.
    pub(crate) fn join(&self, user: &str, id: u64, outbox: Outbox) {
        if let Ok(mut users) = self.users.lock() {
            users.entry(user.to_owned()).or_default().push((id, outbox));
        }
    }

    /// Forgets connection `id` of `user`.
    pub(crate) fn leave(&self, user: &str, id: u64) {
        if let Ok(mut users) = self.users.lock() {
            if let Some(connections) = users.get_mut(user) {
                connections.retain(|(other, _)| *other != id);
                if connections.is_empty() {
                    users.remove(user);
                }
            }
        }
    }

    /// Sends `frame` to every connection of `user`; returns how many got it. A connection whose
    /// outbox is full is too slow: it is dropped from the hub (its socket task then closes it).
    pub(crate) fn send_to_user(&self, user: &str, frame: &str) -> usize {
        let Ok(mut users) = self.users.lock() else { return 0 };
        let Some(connections) = users.get_mut(user) else { return 0 };
        let mut delivered = 0;
        connections.retain(|(id, outbox)| match outbox.try_send(frame.to_owned()) {
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

    /// How many connections `user` has.
    #[cfg(test)]
    pub(crate) fn connections_of(&self, user: &str) -> usize {
        self.users.lock().map(|users| users.get(user).map_or(0, Vec::len)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_reach_every_connection_of_the_user_and_no_other_user() {
        let hub = Hub::default();
        let (a1, mut r1) = mpsc::channel(8);
        let (a2, mut r2) = mpsc::channel(8);
        let (b1, mut r3) = mpsc::channel(8);
        hub.join("alice", 1, a1);
        hub.join("alice", 2, a2);
        hub.join("bob", 3, b1);
        assert_eq!(hub.send_to_user("alice", "hello"), 2);
        assert_eq!(r1.recv().await.as_deref(), Some("hello"));
        assert_eq!(r2.recv().await.as_deref(), Some("hello"));
        assert!(r3.try_recv().is_err());
        hub.leave("alice", 1);
        assert_eq!(hub.connections_of("alice"), 1);
        hub.leave("alice", 2);
        assert_eq!(hub.send_to_user("alice", "gone"), 0);
    }

    #[tokio::test]
    async fn a_connection_that_does_not_keep_up_is_dropped() {
        let hub = Hub::default();
        let (slow, _receiver) = mpsc::channel(1);
        hub.join("alice", 1, slow);
        assert_eq!(hub.send_to_user("alice", "1"), 1);
        assert_eq!(hub.send_to_user("alice", "2"), 0);
        assert_eq!(hub.connections_of("alice"), 0);
    }
}
