//! The duplicate window: content fingerprints of the connection's recent agent events.

use std::collections::VecDeque;

use crate::fingerprint::Fingerprint;

/// The last `capacity` fingerprints, each with the frame it came from.
#[derive(Debug)]
pub(crate) struct Window {
    capacity: usize,
    entries: VecDeque<(Fingerprint, u64)>,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Self {
        Window { capacity, entries: VecDeque::with_capacity(capacity.min(1024)) }
    }

    /// The frame of an equal event in the window, if any; otherwise remembers this one,
    /// forgetting the oldest when full.
    pub(crate) fn check_and_insert(&mut self, fingerprint: Fingerprint, frame: u64) -> Option<u64> {
        if let Some((_, original)) = self.entries.iter().find(|(seen, _)| *seen == fingerprint) {
            return Some(*original);
        }
        if self.capacity == 0 {
            return None;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((fingerprint, frame));
        None
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
        assert_eq!(window.check_and_insert(prints[0], 2), Some(0));
        assert_eq!(window.check_and_insert(prints[2], 3), None);
        assert_eq!(window.check_and_insert(prints[0], 4), None, "evicted after two newer ones");
    }

    #[test]
    fn a_zero_capacity_window_detects_nothing() {
        let mut window = Window::new(0);
        assert_eq!(window.check_and_insert(Fingerprint(1), 0), None);
        assert_eq!(window.check_and_insert(Fingerprint(1), 1), None);
    }
}
