//! The duplicate window: content fingerprints of the connection's recent agent events.

use std::collections::VecDeque;

use crate::fingerprint::Fingerprint;

/// The last `capacity` fingerprints, each with the frame it came from.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    capacity: usize,
    entries: VecDeque<(Fingerprint, u64)>,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Self {
        Window { capacity, entries: VecDeque::with_capacity(capacity.min(1024)) }
    }

    /// The frame of the most recent equal event among the last `capacity` agent events, if any.
    /// Every event is remembered, duplicates included, forgetting the oldest when full.
    pub(crate) fn check_and_insert(&mut self, fingerprint: Fingerprint, frame: u64) -> Option<u64> {
        let original = self
            .entries
            .iter()
            .rev()
            .find(|(seen, _)| *seen == fingerprint)
            .map(|(_, frame)| *frame);
        if self.capacity > 0 {
            if self.entries.len() == self.capacity {
                self.entries.pop_front();
            }
            self.entries.push_back((fingerprint, frame));
        }
        original
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_forgets_beyond_its_capacity() {
        let mut window = Window::new(2);
        let prints: Vec<_> = (0..3u64).map(Fingerprint).collect();
        assert_eq!(window.check_and_insert(prints[0], 0), None);
        assert_eq!(window.check_and_insert(prints[1], 1), None);
        assert_eq!(window.check_and_insert(prints[2], 2), None);
        assert_eq!(window.check_and_insert(prints[0], 3), None, "evicted after two newer ones");
    }

    #[test]
    fn duplicates_count_as_recent_events_and_the_latest_copy_is_named() {
        let mut window = Window::new(2);
        let (a, b) = (Fingerprint(1), Fingerprint(2));
        assert_eq!(window.check_and_insert(a, 0), None);
        assert_eq!(window.check_and_insert(a, 1), Some(0));
        assert_eq!(window.check_and_insert(b, 2), None);
        // Frame 1 (a copy of a) is still among the last two agent events.
        assert_eq!(window.check_and_insert(a, 3), Some(1));
    }

    #[test]
    fn a_zero_capacity_window_detects_nothing() {
        let mut window = Window::new(0);
        assert_eq!(window.check_and_insert(Fingerprint(1), 0), None);
        assert_eq!(window.check_and_insert(Fingerprint(1), 1), None);
    }
}
