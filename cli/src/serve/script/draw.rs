//! Uniform choices from a generator: one item, a shuffle, a sample of indices.

use rand::Rng;

/// A uniformly chosen item; `None` for an empty list.
pub(super) fn pick<'a, R: Rng + ?Sized, T>(rng: &mut R, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() { None } else { items.get(rng.random_range(0..items.len())) }
}

/// The items of `items` in random order.
pub(super) fn shuffled<'a, R: Rng + ?Sized>(rng: &mut R, items: &[&'a str]) -> Vec<&'a str> {
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}

/// `k` distinct indices below `n`, in increasing order (all of them when `k >= n`).
pub(super) fn sample_indices<R: Rng + ?Sized>(rng: &mut R, n: usize, k: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = rng.random_range(i..n);
        indices.swap(i, j);
    }
    indices.truncate(k);
    indices.sort_unstable();
    indices
}
