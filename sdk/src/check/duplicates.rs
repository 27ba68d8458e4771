//! The duplicate window: content fingerprints of the connection's recent agent events.

use crate::fingerprint::Fingerprint;

/// The last `capacity` fingerprints, and an index by fingerprint of the latest frame that had
/// each, so that a lookup costs the same whatever the window's size (a scan of 256 entries per
/// event was a third of the checker's cost).
#[derive(Clone, Debug)]
pub(crate) struct Window {
    capacity: usize,
    /// The fingerprints in the window, a ring once full: `next` is the oldest then.
    ring: Vec<u64>,
    next: usize,
    index: Index,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Self {
        Window { capacity, ring: Vec::new(), next: 0, index: Index::default() }
    }

    /// The frame of the most recent equal event among the last `capacity` agent events, if any.
    /// Every event is remembered, duplicates included, forgetting the oldest when full.
    pub(crate) fn check_and_insert(&mut self, fingerprint: Fingerprint, frame: u64) -> Option<u64> {
        let original = self.index.latest(fingerprint.0);
        if self.ring.len() < self.capacity {
            self.ring.push(fingerprint.0);
        } else if let Some(oldest) = self.ring.get_mut(self.next) {
            let oldest = std::mem::replace(oldest, fingerprint.0);
            self.index.forget_one(oldest);
            self.next = (self.next + 1) % self.capacity;
        } else {
            // A window of no events remembers nothing.
            return original;
        }
        self.index.remember(fingerprint.0, frame);
        original
    }
}

/// One fingerprint in the window: the latest frame that had it, and how many entries have it
/// (zero marks an empty slot).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    fingerprint: u64,
    latest: u64,
    count: u32,
}

/// An open-addressing table from fingerprint to [`Slot`], with linear probing and deletion by
/// backward shift (no tombstones), at most half full. Fingerprints are already uniform 64-bit
/// hashes, so their low bits pick the slot. Frames made to collide can only lengthen probes up
/// to the window's size, the cost of the scan this replaces.
#[derive(Clone, Debug, Default)]
struct Index {
    slots: Vec<Slot>,
    len: usize,
}

impl Index {
    /// The slot a fingerprint starts probing from.
    fn home(&self, fingerprint: u64) -> usize {
        (fingerprint as usize) & self.slots.len().wrapping_sub(1)
    }

    /// Where `fingerprint` is, if it is there.
    fn find(&self, fingerprint: u64) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = self.home(fingerprint);
        loop {
            let slot = self.slots.get(at)?;
            if slot.count == 0 {
                return None;
            }
            if slot.fingerprint == fingerprint {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
    }

    fn latest(&self, fingerprint: u64) -> Option<u64> {
        let at = self.find(fingerprint)?;
        self.slots.get(at).map(|slot| slot.latest)
    }

    /// One more entry with `fingerprint`, the latest from `frame`.
    fn remember(&mut self, fingerprint: u64, frame: u64) {
        if let Some(slot) = self.find(fingerprint).and_then(|at| self.slots.get_mut(at)) {
            slot.latest = frame;
            slot.count += 1;
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(Slot { fingerprint, latest: frame, count: 1 });
        self.len += 1;
    }

    /// Puts `new` in the first empty slot from its home (there is one: at most half full).
    fn place(&mut self, new: Slot) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(new.fingerprint);
        while let Some(slot) = self.slots.get_mut(at) {
            if slot.count == 0 {
                *slot = new;
                return;
            }
            at = (at + 1) & mask;
        }
    }

    /// Twice the slots (at least 64), every entry placed again.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        for slot in old.into_iter().filter(|slot| slot.count > 0) {
            self.place(slot);
        }
    }

    /// One entry with `fingerprint` fewer; the slot is emptied when it was the last, and the
    /// entries after it move back into the hole where their probe runs allow.
    fn forget_one(&mut self, fingerprint: u64) {
        let Some(mut hole) = self.find(fingerprint) else { return };
        match self.slots.get_mut(hole) {
            Some(slot) if slot.count > 1 => {
                slot.count -= 1;
                return;
            }
            Some(_) => {}
            None => return,
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = (hole + 1) & mask;
        while let Some(next) = self.slots.get(at).copied().filter(|slot| slot.count > 0) {
            // `next` may fill the hole when the hole lies on its probe run (from its home to
            // where it is).
            let home = self.home(next.fingerprint);
            if at.wrapping_sub(home) & mask >= at.wrapping_sub(hole) & mask {
                if let Some(slot) = self.slots.get_mut(hole) {
                    *slot = next;
                }
                hole = at;
            }
            at = (at + 1) & mask;
        }
        if let Some(slot) = self.slots.get_mut(hole) {
            *slot = Slot::default();
        }
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The window answers as a scan of its last `capacity` entries would, on streams with
        /// many repeats and with fingerprints made to share their low bits (long probe runs,
        /// deletions inside them).
        #[test]
        fn the_index_answers_as_a_scan_of_the_window(
            capacity in 0usize..40,
            stream in proptest::collection::vec((0u64..24, proptest::prelude::any::<bool>()), 0..400),
        ) {
            let mut window = Window::new(capacity);
            let mut model: VecDeque<(u64, u64)> = VecDeque::new();
            for (frame, (value, clash)) in stream.into_iter().enumerate() {
                let frame = frame as u64;
                // Clashing fingerprints differ only above the bits that pick a slot.
                let fingerprint = if clash { value << 40 } else { value.wrapping_mul(0x9E37_79B9_7F4A_7C15) };
                let expected = model.iter().rev().find(|(seen, _)| *seen == fingerprint).map(|(_, f)| *f);
                if capacity > 0 {
                    if model.len() == capacity {
                        model.pop_front();
                    }
                    model.push_back((fingerprint, frame));
                }
                proptest::prop_assert_eq!(window.check_and_insert(Fingerprint(fingerprint), frame), expected);
                proptest::prop_assert_eq!(window.index.len, model.iter().map(|(f, _)| *f).collect::<std::collections::HashSet<_>>().len());
            }
        }
    }

    #[test]
    fn a_zero_capacity_window_detects_nothing() {
        let mut window = Window::new(0);
        assert_eq!(window.check_and_insert(Fingerprint(1), 0), None);
        assert_eq!(window.check_and_insert(Fingerprint(1), 1), None);
    }
}
