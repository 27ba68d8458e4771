//! A virtualised list: only the rows in view (plus a few) are in the DOM, whatever the length.
//! Rows have one fixed height, so the scroll height is exact and nothing jumps while rows
//! stream in. When scrolled to the end it follows new rows; scrolled up, it stays put. A list
//! taller than a browser lets an element be maps its scroll range onto its rows
//! ([`crate::scroll`], where the arithmetic is tested).

use std::ops::Range;

use agentwire::web::Listener;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::scroll::Geometry;

/// Properties of [`VirtualList`].
#[derive(Properties, PartialEq)]
pub struct VirtualListProps {
    /// How many rows there are.
    pub len: usize,
    /// Each row's height in CSS pixels (the CSS must agree).
    pub row_height: u32,
    /// Renders the rows at these positions, in order (each `row_height` tall).
    pub render: Callback<Range<usize>, Html>,
    /// Changes whenever the rows' content may have changed (the store's generation).
    pub generation: u64,
    /// Scroll so that this row is in view (changes of it are acted on).
    #[prop_or_default]
    pub scroll_to: Option<usize>,
    /// The list's CSS class.
    #[prop_or_default]
    pub class: Classes,
    /// What to show when there are no rows.
    #[prop_or_default]
    pub empty: Html,
}

/// See the [module documentation](self).
#[function_component(VirtualList)]
pub fn virtual_list(props: &VirtualListProps) -> Html {
    let container = use_node_ref();
    let scroll_top = use_state(|| 0u32);
    let viewport = use_state(|| 600u32);
    let following = use_mut_ref(|| true);
    let row = props.row_height.max(1);
    let geometry = Geometry { len: props.len, row, viewport: *viewport };
    let total = geometry.spacer();

    {
        // Measure the viewport once mounted (the CSS sizes the container), and again whenever
        // the window is resized, so a taller list fills with rows at once.
        let container = container.clone();
        let viewport = viewport.clone();
        use_effect_with((), move |()| {
            let measure = move || {
                if let Some(element) = container.cast::<HtmlElement>() {
                    viewport.set(u32::try_from(element.client_height()).unwrap_or(600).max(row));
                }
            };
            measure();
            let on_resize = web_sys::window().and_then(|window| {
                Listener::new(&window, "resize", move |_: web_sys::Event| measure())
            });
            move || drop(on_resize)
        });
    }
    {
        // Follow the tail: new rows scroll into view while the list is at its end. Scrolled
        // up, the view stays on its rows: a scaled list's scroll position is moved to keep
        // them. The view's height is measured again too: it changes without a resize when a
        // bar above the list comes or goes, and a scaled list's mapping depends on it.
        let container = container.clone();
        let following = following.clone();
        let scroll_top = scroll_top.clone();
        let viewport = viewport.clone();
        let shown = use_mut_ref(|| geometry);
        use_effect_with((props.len, props.generation), move |_| {
            if let Some(element) = container.cast::<HtmlElement>() {
                let height = u32::try_from(element.client_height()).unwrap_or(0);
                if height > 0 && height != *viewport {
                    viewport.set(height);
                }
                if *following.borrow() {
                    element.set_scroll_top(i32::try_from(total).unwrap_or(i32::MAX));
                } else {
                    let before = *shown.borrow();
                    let current = f64::from(element.scroll_top());
                    let kept = geometry.keeping_place(before, current).round();
                    if (kept - current).abs() >= 1.0 {
                        element.set_scroll_top(kept as i32);
                    }
                }
                scroll_top.set(u32::try_from(element.scroll_top()).unwrap_or(0));
            }
            *shown.borrow_mut() = geometry;
        });
    }
    {
        let container = container.clone();
        let following = following.clone();
        let scroll_top = scroll_top.clone();
        use_effect_with(props.scroll_to, move |target| {
            if let (Some(target), Some(element)) = (target, container.cast::<HtmlElement>()) {
                if !geometry.shows(f64::from(element.scroll_top()), *target) {
                    let centred = geometry.centred_on(*target).min(f64::from(i32::MAX)) as i32;
                    element.set_scroll_top(centred);
                    *following.borrow_mut() = false;
                    scroll_top.set(u32::try_from(element.scroll_top()).unwrap_or(0));
                }
            }
        });
    }

    let onscroll = {
        let container = container.clone();
        let scroll_top = scroll_top.clone();
        let viewport = viewport.clone();
        let following = following.clone();
        Callback::from(move |_: Event| {
            if let Some(element) = container.cast::<HtmlElement>() {
                let top = u32::try_from(element.scroll_top()).unwrap_or(0);
                let height = u32::try_from(element.client_height()).unwrap_or(0);
                let scroll_height = u32::try_from(element.scroll_height()).unwrap_or(0);
                *following.borrow_mut() = top + height + row >= scroll_height;
                if height > 0 && height != *viewport {
                    viewport.set(height);
                }
                scroll_top.set(top);
            }
        })
    };

    let window = geometry.window(f64::from(*scroll_top));
    // Whole pixels: a scaled list's offset is fractional, and text placed between pixels blurs.
    let offset = window.offset.round();

    html! {
        <div class={classes!("vlist", props.class.clone())} ref={container} {onscroll}>
            if props.len == 0 {
                { props.empty.clone() }
            } else {
                <div class="vlist-spacer" style={format!("height:{total}px")}>
                    <div class="vlist-rows" style={format!("transform:translateY({offset}px)")}>
                        { props.render.emit(window.rows) }
                    </div>
                </div>
            }
        </div>
    }
}
