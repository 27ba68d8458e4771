//! One frame in full: where it came from, the flags it raised, its raw JSON and what the SDK
//! decoded from it.

use yew::prelude::*;

use super::json_tree::JsonTree;
use crate::format;
use crate::store::Store;

/// Properties of [`FrameDetail`].
#[derive(Properties, PartialEq)]
pub struct FrameDetailProps {
    /// The state.
    pub store: Store,
    /// The frame's stream sequence number.
    pub seq: u64,
    /// Close the detail.
    pub on_close: Callback<()>,
}

/// See the [module documentation](self).
#[function_component(FrameDetail)]
pub fn frame_detail(props: &FrameDetailProps) -> Html {
    let state = props.store.state();
    let close = props.on_close.reform(|_: MouseEvent| ());
    let Some(row) = state.row(props.seq) else {
        return html! {
            <section class="detail">
                <header><h3>{ "Frame" }</h3><button class="icon" onclick={close}>{ "×" }</button></header>
                <p class="muted">{ "This frame is no longer kept (evicted or cleared)." }</p>
            </section>
        };
    };
    let flags = row.flags().iter().filter_map(|id| state.flag(*id)).map(|entry| {
        let flag = entry.flag();
        html! {
            <li class={classes!("sev", format::severity(flag.severity))}>
                <span class="rule">{ flag.rule.id() }</span>{ " " }{ flag.message.clone() }
            </li>
        }
    });
    let raw = row.raw().map(serde_json::from_str::<serde_json::Value>);
    let decoded = match row.decode() {
        Some(Ok(event)) => serde_json::to_value(&event).ok().map(|mut value| {
            if let Some(object) = value.as_object_mut() {
                object.remove("raw");
            }
            html! { <JsonTree {value} /> }
        }),
        Some(Err(error)) => {
            Some(html! { <p class="sev error">{ format!("Does not decode: {error}") }</p> })
        }
        None => None,
    };
    html! {
        <section class="detail">
            <header>
                <h3>{ format!("Frame {} · {}", row.frame(), row.kind()) }</h3>
                <button class="icon" title="Close (Esc)" onclick={close}>{ "×" }</button>
            </header>
            <dl class="facts">
                <dt>{ "user" }</dt><dd>{ row.user().to_owned() }</dd>
                <dt>{ "received" }</dt><dd>{ format::time_of_day(row.at()) }</dd>
                <dt>{ "run" }</dt><dd>{ row.run().unwrap_or("–").to_owned() }</dd>
                <dt>{ "size" }</dt><dd>{ format::bytes(row.size() as u64) }</dd>
                if row.wire_type() != row.kind() {
                    <dt>{ "sent as" }</dt><dd>{ row.wire_type().to_owned() }</dd>
                }
            </dl>
            if row.flags().is_empty() {
                <></>
            } else {
                <h4>{ "Flags" }</h4>
                <ul class="detail-flags">{ for flags }</ul>
            }
            <h4>{ "Raw" }</h4>
            {
                match raw {
                    Some(Ok(value)) => html! { <JsonTree {value} /> },
                    Some(Err(_)) => html! { <pre class="raw">{ row.raw().unwrap_or_default().to_owned() }</pre> },
                    None => html! { <p class="muted">{ "The SDK did not hand this frame's text over (a repeat it held back)." }</p> },
                }
            }
            if let Some(decoded) = decoded {
                <h4>{ "Decoded" }</h4>
                { decoded }
            }
        </section>
    }
}
