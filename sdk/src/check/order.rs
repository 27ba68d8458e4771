//! The orderings the checker needs, in one small place of wasm: flags of several runs in frame
//! order, and eviction's choice of the least recently used runs. All go through one heap over
//! `(u64, usize)` pairs: an ordering per element type would each add its own code to the wasm
//! package.

/// `items` ordered by `key`, ties kept in their present order.
pub(super) fn sorted_by_key<T>(items: Vec<T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    let mut order: Vec<(u64, usize)> =
        items.iter().enumerate().map(|(index, item)| (key(item), index)).collect();
    heap_sort(&mut order);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.into_iter().filter_map(|(_, index)| slots.get_mut(index).and_then(Option::take)).collect()
}

/// Sorts `items` ascending in place: a heap sort, in a few hundred bytes of wasm where the
/// standard library's `sort_unstable` takes about 2.5 KB. `O(n log n)`, no allocation.
pub(super) fn heap_sort(items: &mut [(u64, usize)]) {
    let len = items.len();
    make_heap(items);
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// The `k`-th smallest of `values`, counting from 1 (the largest of the `k` smallest); `None`
/// when there are fewer than `k` values, or `k` is 0. A max-heap of the `k` smallest so far:
/// `O(n log k)` time, `k` pairs of memory (the heap sort's pairs, so that no second heap is
/// compiled).
pub(super) fn kth_smallest(values: impl Iterator<Item = u64>, k: usize) -> Option<u64> {
    let mut heap: Vec<(u64, usize)> = Vec::with_capacity(k);
    for value in values {
        if heap.len() < k {
            heap.push((value, 0));
            if heap.len() == k {
                make_heap(&mut heap);
            }
        } else if let Some(top) = heap.first_mut().filter(|top| value < top.0) {
            *top = (value, 0);
            sift_down(&mut heap, 0, k);
        }
    }
    // Until it holds `k` values the heap is not ordered, and its first is not the largest.
    heap.first().filter(|_| heap.len() == k).map(|top| top.0)
}

/// Orders `items` as a max-heap: each item is at least as large as its children.
fn make_heap(items: &mut [(u64, usize)]) {
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len);
    }
}

/// Moves the item at `root` down the max-heap held in `items[..end]` until neither of its
/// children is larger.
fn sift_down(items: &mut [(u64, usize)], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && items.get(child) < items.get(child + 1) {
            child += 1;
        }
        if items.get(root) >= items.get(child) {
            return;
        }
        items.swap(root, child);
        root = child;
    }
}
