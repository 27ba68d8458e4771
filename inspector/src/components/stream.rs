//! Every frame, in arrival order, as a virtualised table: time, user, type, run, size and the
//! worst flag it raised. Clicking a row opens it; rows a selected flag names are highlighted.

use std::collections::BTreeSet;
use std::ops::Range;
use std::rc::Rc;

use yew::prelude::*;

use super::virtual_list::VirtualList;
use crate::format;
use crate::store::Store;

/// A stream row's height in pixels (the CSS's `.srow` agrees).
pub const ROW_HEIGHT: u32 = 24;

/// Properties of [`StreamView`].
#[derive(Properties, PartialEq)]
pub struct StreamViewProps {
    /// The state.
    pub store: Store,
    /// The selected frame.
    pub selected: Option<u64>,
    /// Frames to highlight (those of the selected flag).
    pub highlighted: Rc<BTreeSet<u64>>,
    /// A frame to scroll to.
    pub scroll_to: Option<u64>,
    /// A row was clicked.
    pub on_select: Callback<u64>,
}

/// See the [module documentation](self).
#[function_component(StreamView)]
pub fn stream_view(props: &StreamViewProps) -> Html {
    let (len, position, held) = {
        let state = props.store.state();
        let position = props.scroll_to.and_then(|seq| state.position_of(seq));
        (state.filtered_len(), position, state.held_frames())
    };
    let render = {
        let store = props.store.clone();
        let selected = props.selected;
        let highlighted = Rc::clone(&props.highlighted);
        let on_select = props.on_select.clone();
        Callback::from(move |range: Range<usize>| {
            let state = store.state();
            let rows = state.visible_rows(range).map(|row| {
                let seq = row.seq();
                let onclick = on_select.reform(move |_: MouseEvent| seq);
                let class = classes!(
                    "srow",
                    row.worst().map(format::severity),
                    (selected == Some(seq)).then_some("sel"),
                    highlighted.contains(&seq).then_some("hl"),
                );
                let badge = match row.flags().len() {
                    0 => html! {},
                    n => html! { <span class="badge">{ n }</span> },
                };
                html! {
                    <div {class} {onclick} key={seq} role="row" data-seq={seq.to_string()}>
                        <span class="c-time">{ format::time_of_day(row.at()) }</span>
                        <span class="c-user" title={row.user().to_owned()}>{ row.user().to_owned() }</span>
                        <span class="c-type">{ row.kind().to_owned() }</span>
                        <span class="c-run" title={row.run().unwrap_or_default().to_owned()}>{ row.run().unwrap_or("").to_owned() }</span>
                        <span class="c-size">{ format::bytes(row.size() as u64) }</span>
                        <span class="c-flags">{ badge }</span>
                    </div>
                }
            });
            html! { <>{ for rows }</> }
        })
    };
    let empty =
        html! { <p class="empty">{ "No frames match. Frames appear here as they arrive." }</p> };
    html! {
        <section class="stream" aria-label="Frame stream">
            <div class="srow shead" role="row">
                <span class="c-time">{ "time (UTC)" }</span>
                <span class="c-user">{ "user" }</span>
                <span class="c-type">{ "type" }</span>
                <span class="c-run">{ "run" }</span>
                <span class="c-size">{ "size" }</span>
                <span class="c-flags">{ "flags" }</span>
            </div>
            <VirtualList len={len} row_height={ROW_HEIGHT} {render} generation={props.store.generation()}
                scroll_to={position} class="stream-list" {empty} />
            if held > 0 {
                <div class="held" role="status">{ format!("Paused: {} frames received since, kept and not shown", format::count(held)) }</div>
            }
        </section>
    }
}
