//! A list that keeps its newest items, up to a cap, and counts the ones it dropped.

use std::collections::VecDeque;

/// A list that keeps at most `cap` items: pushing beyond drops the oldest and counts it. Items
/// keep their position number (0 for the first item ever pushed) when older ones are dropped,
/// so a number handed out stays valid for as long as its item is kept.
#[derive(Clone, Debug)]
pub struct Capped<T> {
    items: VecDeque<T>,
    /// The number of the oldest item kept (the number of items dropped from the front).
    first: u64,
    cap: usize,
}

impl<T> Capped<T> {
    /// An empty list that keeps at most `cap` items (at least one).
    #[must_use]
    pub(crate) fn new(cap: usize) -> Self {
        Capped { items: VecDeque::new(), first: 0, cap: cap.max(1) }
    }

    /// Appends an item (dropping the oldest when full) and returns its number.
    pub(crate) fn push(&mut self, item: T) -> u64 {
        if self.items.len() >= self.cap {
            self.items.pop_front();
            self.first += 1;
        }
        self.items.push_back(item);
        self.first + self.items.len() as u64 - 1
    }

    /// The item with this number, if it is still kept.
    #[must_use]
    pub fn get(&self, number: u64) -> Option<&T> {
        self.items.get(usize::try_from(number.checked_sub(self.first)?).ok()?)
    }

    /// The kept item whose `key` is `wanted`, in a list whose items were pushed in increasing
    /// order of `key` (a binary search), to change it.
    pub(crate) fn find_sorted_mut(
        &mut self,
        wanted: u64,
        key: impl FnMut(&T) -> u64,
    ) -> Option<&mut T> {
        let at = self.items.binary_search_by_key(&wanted, key).ok()?;
        self.items.get_mut(at)
    }

    /// The items kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + '_ {
        self.items.iter()
    }

    /// The items kept, with their numbers, oldest first.
    pub fn numbered(&self) -> impl DoubleEndedIterator<Item = (u64, &T)> + '_ {
        let first = self.first;
        self.items.iter().enumerate().map(move |(at, item)| (first + at as u64, item))
    }

    /// How many items are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many items were dropped to respect the cap.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_survive_dropping_the_oldest() {
        let mut list = Capped::new(2);
        assert_eq!(list.push('a'), 0);
        assert_eq!(list.push('b'), 1);
        assert_eq!(list.push('c'), 2);
        assert_eq!(list.dropped(), 1);
        assert_eq!(list.get(0), None);
        assert_eq!(list.get(2), Some(&'c'));
        assert_eq!(list.numbered().collect::<Vec<_>>(), [(1, &'b'), (2, &'c')]);
        assert_eq!(list.push('d'), 3);
    }

    #[test]
    fn an_item_is_found_by_its_key_among_those_kept() {
        let mut list = Capped::new(3);
        for frame in [2u64, 5, 9, 14] {
            list.push((frame, 'x'));
        }
        list.find_sorted_mut(9, |(frame, _)| *frame).unwrap().1 = 'y';
        assert_eq!(list.get(2), Some(&(9, 'y')));
        assert!(list.find_sorted_mut(2, |(frame, _)| *frame).is_none(), "dropped");
        assert!(list.find_sorted_mut(6, |(frame, _)| *frame).is_none(), "never pushed");
    }
}
