//! An ordered list of keys, kept in chunks so that edits anywhere stay cheap: the filtered views
//! of the stream and of the flags.
//!
//! A plain `Vec` would make every eviction (a user's oldest frame, somewhere in the middle of
//! the merged view) cost a shift of the whole view. Here appending is O(1), inserting or
//! removing anywhere O(CHUNK + log n), and reading a window by position O(n / CHUNK + window):
//! what a virtualised list needs on every render.

use std::collections::VecDeque;
use std::ops::Range;

/// How many keys a chunk holds before a new one is started (appends) or it is split (inserts).
const CHUNK: usize = 512;

/// A key ordered by a sequence number.
pub(crate) trait Sequenced: Copy {
    /// The number keys are ordered by; unique within a list.
    fn seq(&self) -> u64;
}

/// Keys in increasing `seq` order, each `seq` at most once.
#[derive(Clone, Debug)]
pub(crate) struct SeqList<K> {
    /// Never holds an empty chunk.
    chunks: VecDeque<Vec<K>>,
    len: usize,
}

impl<K> Default for SeqList<K> {
    fn default() -> Self {
        SeqList { chunks: VecDeque::new(), len: 0 }
    }
}

impl<K: Sequenced> SeqList<K> {
    /// A list of already sorted keys (duplicates skipped).
    pub(crate) fn from_sorted(keys: impl IntoIterator<Item = K>) -> Self {
        let mut list = SeqList::default();
        for key in keys {
            list.insert(key);
        }
        list
    }

    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Removes every key.
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Inserts `key` in order; a key whose `seq` is already present is not inserted again.
    /// Returns whether it was inserted. Appending (the common case) is O(1).
    pub(crate) fn insert(&mut self, key: K) -> bool {
        let seq = key.seq();
        let appends = match self.chunks.back() {
            None => true,
            Some(last) => last.last().is_none_or(|last| last.seq() < seq),
        };
        let inserted = if appends { self.append(key) } else { self.insert_within(key) };
        if inserted {
            self.len += 1;
        }
        inserted
    }

    fn append(&mut self, key: K) -> bool {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push(key),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(key);
                self.chunks.push_back(chunk);
            }
        }
        true
    }

    fn insert_within(&mut self, key: K) -> bool {
        let seq = key.seq();
        let at = self.chunk_for(seq);
        let Some(chunk) = self.chunks.get_mut(at) else { return false };
        let position = chunk.partition_point(|k| k.seq() < seq);
        if chunk.get(position).is_some_and(|k| k.seq() == seq) {
            return false;
        }
        chunk.insert(position, key);
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(at + 1, tail);
        }
        true
    }

    /// Removes the key with this `seq`, if present.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<K> {
        let at = self.chunk_for(seq);
        let chunk = self.chunks.get_mut(at)?;
        let position = chunk.partition_point(|k| k.seq() < seq);
        if chunk.get(position).is_none_or(|k| k.seq() != seq) {
            return None;
        }
        let key = chunk.remove(position);
        self.len -= 1;
        if chunk.is_empty() {
            self.chunks.remove(at);
        } else if chunk.len() < CHUNK / 4 {
            self.merge_into_previous(at);
        }
        Some(key)
    }

    /// Merges the small chunk at `at` into its predecessor when both fit in one chunk, so that
    /// scattered removals do not leave many tiny chunks behind.
    fn merge_into_previous(&mut self, at: usize) {
        let Some(previous) = at.checked_sub(1) else { return };
        let fits = match (self.chunks.get(previous), self.chunks.get(at)) {
            (Some(previous), Some(chunk)) => previous.len() + chunk.len() <= CHUNK,
            _ => false,
        };
        if !fits {
            return;
        }
        if let Some(chunk) = self.chunks.remove(at) {
            if let Some(previous) = self.chunks.get_mut(previous) {
                previous.extend(chunk);
            }
        }
    }

    /// The index of the chunk that holds `seq` or would hold it: the first whose last key is
    /// not below it (the last chunk when `seq` is beyond every key).
    fn chunk_for(&self, seq: u64) -> usize {
        let at = self.chunks.partition_point(|chunk| chunk.last().is_some_and(|k| k.seq() < seq));
        at.min(self.chunks.len().saturating_sub(1))
    }

    /// How many keys have a `seq` below `seq`.
    pub(crate) fn rank(&self, seq: u64) -> usize {
        let at = self.chunks.partition_point(|chunk| chunk.last().is_some_and(|k| k.seq() < seq));
        let before: usize = self.chunks.iter().take(at).map(Vec::len).sum();
        let within =
            self.chunks.get(at).map_or(0, |chunk| chunk.partition_point(|k| k.seq() < seq));
        before + within
    }

    /// The position of the key with this `seq`, if present.
    pub(crate) fn position(&self, seq: u64) -> Option<usize> {
        let rank = self.rank(seq);
        self.range(rank..rank + 1).next().filter(|key| key.seq() == seq).map(|_| rank)
    }

    /// The keys at positions `range` (clipped to the list).
    pub(crate) fn range(&self, range: Range<usize>) -> impl Iterator<Item = &K> + '_ {
        let mut skip = range.start;
        let first = self
            .chunks
            .iter()
            .position(|chunk| {
                if skip < chunk.len() {
                    true
                } else {
                    skip -= chunk.len();
                    false
                }
            })
            .unwrap_or(self.chunks.len());
        self.chunks
            .iter()
            .skip(first)
            .flatten()
            .skip(skip)
            .take(range.end.saturating_sub(range.start))
    }

    /// Every key, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &K> + '_ {
        self.chunks.iter().flatten()
    }
}

impl Sequenced for u64 {
    fn seq(&self) -> u64 {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &SeqList<u64>) -> Vec<u64> {
        list.iter().copied().collect()
    }

    #[test]
    fn appends_inserts_and_removes_keep_the_order() {
        let mut list = SeqList::default();
        for seq in (0..5000).step_by(2) {
            assert!(list.insert(seq));
        }
        assert!(list.insert(1001));
        assert!(!list.insert(1001), "a seq is held once");
        assert_eq!(list.remove(1000), Some(1000));
        assert_eq!(list.remove(1000), None);
        assert_eq!(list.len(), 2500);
        let all = keys(&list);
        assert!(all.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(list.rank(1001), 500);
        assert_eq!(list.position(1001), Some(500));
        assert_eq!(list.position(1003), None);
        assert_eq!(list.range(499..502).copied().collect::<Vec<_>>(), [998, 1001, 1002]);
        assert_eq!(list.range(2499..4000).copied().collect::<Vec<_>>(), [4998]);
        assert_eq!(list.range(2500..2600).count(), 0);
    }

    #[test]
    fn removing_from_the_front_and_middle_leaves_no_empty_or_tiny_chunks_behind() {
        let mut list = SeqList::default();
        for seq in 0..100_000 {
            list.insert(seq);
        }
        // Remove every key but one in each run of 100: the chunks merge as they shrink.
        for seq in 0..100_000 {
            if seq % 100 != 0 {
                list.remove(seq);
            }
        }
        assert_eq!(list.len(), 1000);
        assert!(list.chunks.iter().all(|chunk| !chunk.is_empty()));
        assert!(list.chunks.len() <= 1000 / (CHUNK / 4) + 2, "{} chunks", list.chunks.len());
        assert_eq!(keys(&list), (0..100_000).step_by(100).collect::<Vec<u64>>());
    }

    #[test]
    fn inserting_into_one_spot_splits_the_chunk() {
        let mut list = SeqList::default();
        list.insert(0);
        list.insert(u64::MAX);
        for seq in (1..5000).rev() {
            list.insert(seq);
        }
        assert_eq!(list.len(), 5001);
        assert!(list.chunks.iter().all(|chunk| chunk.len() <= 2 * CHUNK));
        assert_eq!(list.range(0..3).copied().collect::<Vec<_>>(), [0, 1, 2]);
    }
}
