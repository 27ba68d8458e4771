//! Where a virtualised list's rows go for a scroll position, for lists taller than a browser
//! lets an element be.
//!
//! Browsers cap an element's height: about 17.9 million CSS pixels in Firefox, 33.5 million in
//! Chromium. With a cap of a million frames per user, the stream (24 px rows) is 24 million
//! pixels tall and the flags list (44 px) 44 million: past the cap, the tail of a list could not
//! be scrolled to. So a list taller than [`MAX_SPACER`] gets a spacer of that height, and a
//! scroll position maps to the row at the same fraction of the way through the list; a list
//! within it maps one pixel to one pixel, as before. Plain arithmetic, tested natively; the
//! `VirtualList` component reads and writes the DOM.

/// The tallest spacer a list gets, in CSS pixels: well under every browser's element cap.
pub const MAX_SPACER: u32 = 8_000_000;

/// Rows rendered beyond each edge of the view, so fast scrolling shows no blank.
const OVERSCAN: usize = 8;

/// A list's geometry: how many rows, how tall each is, how tall its view is (CSS pixels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// How many rows the list has.
    pub len: usize,
    /// Each row's height (at least 1).
    pub row: u32,
    /// The view's height.
    pub viewport: u32,
}

/// The rows to render for a scroll position, and where their block goes in the spacer.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// The rows, in order.
    pub rows: std::ops::Range<usize>,
    /// The block's top in the spacer, in CSS pixels (negative when the rows above the view do
    /// not fit above it in a scaled list: they are out of view either way).
    pub offset: f64,
}

impl Geometry {
    fn row(self) -> f64 {
        f64::from(self.row.max(1))
    }

    /// The list's full height at one pixel per pixel.
    fn content(self) -> f64 {
        self.len as f64 * self.row()
    }

    /// The spacer's height: the content's, up to [`MAX_SPACER`].
    #[must_use]
    pub fn spacer(self) -> u32 {
        let content = self.content();
        if content >= f64::from(MAX_SPACER) { MAX_SPACER } else { content as u32 }
    }

    /// Content pixels per scroll pixel: 1 unless the list is taller than [`MAX_SPACER`]. The
    /// scroll range (spacer less view) maps onto the content's (content less view), so the top
    /// shows the first row and the end the last. It grows with the list: see
    /// [`Geometry::keeping_place`].
    fn scale(self) -> f64 {
        let content = self.content();
        let spacer = f64::from(self.spacer());
        let view = f64::from(self.viewport);
        if content <= spacer || spacer <= view { 1.0 } else { (content - view) / (spacer - view) }
    }

    /// The rows in view at `scroll_top` (plus eight each side, so fast scrolling shows no
    /// blank), and their block's top.
    #[must_use]
    pub fn window(self, scroll_top: f64) -> Window {
        let row = self.row();
        let top = scroll_top.max(0.0) * self.scale();
        let first = (top / row) as usize;
        let visible = (f64::from(self.viewport) / row) as usize + 1;
        let start = first.saturating_sub(OVERSCAN).min(self.len);
        let mut end = first.saturating_add(visible + OVERSCAN).min(self.len);
        // Row `first` sits where the content's `top` would: the block moves with the scroll.
        let offset = scroll_top.max(0.0) - (top - start as f64 * row);
        // Never past the spacer's bottom (a scaled list's block can reach beyond it): rows
        // there are out of view, and would make the list scroll past its end.
        let room = ((f64::from(self.spacer()) - offset) / row).ceil().max(0.0) as usize;
        end = end.min(start.saturating_add(room)).max(start);
        Window { rows: start..end, offset }
    }

    /// The scroll position that keeps the view on the same rows after the list grew or shrank
    /// from `before`: a scaled list's scroll pixel stands for more rows as rows arrive, so the
    /// same position would slide down the list.
    #[must_use]
    pub fn keeping_place(self, before: Geometry, scroll_top: f64) -> f64 {
        let top = scroll_top.max(0.0) * before.scale();
        let limit = f64::from(self.spacer().saturating_sub(self.viewport));
        (top / self.scale()).min(limit).max(0.0)
    }

    /// The scroll position that shows row `index` in the middle of the view.
    #[must_use]
    pub fn centred_on(self, index: usize) -> f64 {
        let top = index as f64 * self.row() - f64::from(self.viewport / 2);
        (top / self.scale()).max(0.0)
    }

    /// Whether row `index` is wholly in view at `scroll_top`.
    #[must_use]
    pub fn shows(self, scroll_top: f64, index: usize) -> bool {
        let top = scroll_top.max(0.0) * self.scale();
        let row_top = index as f64 * self.row();
        row_top >= top && row_top + self.row() <= top + f64::from(self.viewport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row `index`'s top in the view at `scroll_top` (the block's offset plus its place in it).
    fn in_view(geometry: Geometry, scroll_top: f64, index: usize) -> f64 {
        let window = geometry.window(scroll_top);
        assert!(window.rows.contains(&index), "{index} not rendered at {scroll_top}: {window:?}");
        window.offset + (index - window.rows.start) as f64 * f64::from(geometry.row) - scroll_top
    }

    #[test]
    fn a_list_within_the_cap_maps_one_pixel_to_one_pixel() {
        let geometry = Geometry { len: 10_000, row: 24, viewport: 600 };
        assert_eq!(geometry.spacer(), 240_000);
        let window = geometry.window(2_400.0);
        assert_eq!(window, Window { rows: 92..134, offset: 92.0 * 24.0 });
        assert_eq!(in_view(geometry, 2_400.0, 100), 0.0);
        assert_eq!(geometry.centred_on(100), 2_400.0 - 300.0);
        assert!(geometry.shows(2_400.0, 100) && !geometry.shows(2_401.0, 100));
    }

    #[test]
    fn a_list_past_the_cap_reaches_its_first_and_last_rows() {
        // A million 44 px flags: 44 million pixels, past every browser's cap.
        let geometry = Geometry { len: 1_000_000, row: 44, viewport: 600 };
        assert_eq!(geometry.spacer(), MAX_SPACER);
        assert_eq!(in_view(geometry, 0.0, 0), 0.0, "the top shows the first row at the top");
        let end = f64::from(MAX_SPACER - 600);
        let last = in_view(geometry, end, 999_999);
        assert!(
            (last - (600.0 - 44.0)).abs() < 1e-6,
            "the end shows the last row at the bottom: {last}"
        );
        let window = geometry.window(end);
        let bottom = window.offset + (window.rows.len() as f64) * 44.0;
        assert!((bottom - f64::from(MAX_SPACER)).abs() < 1e-6, "the block ends with the spacer");
    }

    #[test]
    fn scrolling_a_scaled_list_moves_its_rows_smoothly_and_in_order() {
        let geometry = Geometry { len: 2_000_000, row: 24, viewport: 700 };
        let mut previous = 0;
        for step in 0..=1_000 {
            let scroll = f64::from(MAX_SPACER - 700) * f64::from(step) / 1_000.0;
            let window = geometry.window(scroll);
            assert!(window.rows.start <= window.rows.end && window.rows.end <= geometry.len);
            let first = window.rows.start + 8.min(window.rows.len());
            assert!(first >= previous, "rows go forward: {first} after {previous}");
            previous = first;
            // The view is covered: the rendered block spans the whole view.
            let bottom = window.offset + window.rows.len() as f64 * 24.0;
            assert!(window.offset <= scroll, "a gap above the rows at {scroll}");
            assert!(bottom >= scroll + 700.0 - 1e-6, "a gap below the rows at {scroll}");
        }
    }

    #[test]
    fn a_row_scrolled_to_in_a_scaled_list_is_in_view() {
        let geometry = Geometry { len: 1_500_000, row: 24, viewport: 600 };
        for index in [0, 1, 12_345, 745_000, 1_000_000, 1_499_999] {
            let scroll = geometry.centred_on(index).min(f64::from(MAX_SPACER - 600));
            let top = in_view(geometry, scroll, index);
            assert!((0.0..=600.0 - 24.0).contains(&top), "row {index} at {top}");
            assert!(geometry.shows(scroll, index));
        }
    }

    #[test]
    fn a_scaled_list_keeps_its_place_as_rows_arrive() {
        let before = Geometry { len: 1_000_000, row: 24, viewport: 600 };
        let scroll = f64::from(MAX_SPACER) / 2.0;
        let shown = before.window(scroll).rows.start + 8;
        for grown in [1_000_001, 1_000_050, 1_200_000] {
            let after = Geometry { len: grown, ..before };
            let kept = after.keeping_place(before, scroll);
            assert_eq!(after.window(kept).rows.start + 8, shown, "grown to {grown}");
            if grown >= 1_000_050 {
                // Half way down, 50 more rows move the same position by about 25 rows.
                assert_ne!(
                    after.window(scroll).rows.start + 8,
                    shown,
                    "without it, the view slides"
                );
            }
        }
        // Within the cap, nothing moves.
        let small = Geometry { len: 1_000, ..before };
        assert_eq!(Geometry { len: 2_000, ..small }.keeping_place(small, 4_800.0), 4_800.0);
    }

    #[test]
    fn the_rendered_block_never_reaches_past_the_spacer() {
        for len in [10, 1_000, 333_334, 1_000_000, 2_000_000] {
            let geometry = Geometry { len, row: 24, viewport: 600 };
            let end = f64::from(geometry.spacer().saturating_sub(600));
            for step in 0..=200 {
                let scroll = end * f64::from(step) / 200.0;
                let window = geometry.window(scroll);
                let bottom = window.offset + window.rows.len() as f64 * 24.0;
                assert!(
                    bottom <= f64::from(geometry.spacer()) + 24.0,
                    "{len} at {scroll}: {bottom}"
                );
                assert!(
                    bottom >= scroll + 600.0 - 1e-6 || window.rows.end == len,
                    "{len} at {scroll}"
                );
            }
        }
    }

    #[test]
    fn empty_and_degenerate_lists_render_nothing_without_dividing_by_zero() {
        let empty = Geometry { len: 0, row: 24, viewport: 600 };
        assert_eq!(empty.window(0.0).rows, 0..0);
        let flat = Geometry { len: 10, row: 0, viewport: 0 };
        assert_eq!(flat.window(5.0).rows, 0..10);
        assert_eq!(flat.window(1e12).rows, 10..10, "past the end: nothing");
        assert_eq!(flat.centred_on(3), 3.0);
    }
}
