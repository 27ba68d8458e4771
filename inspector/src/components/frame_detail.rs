//! One frame in full: where it came from, the flags it raised, its raw JSON and what the SDK
//! decoded from it.

use std::rc::Rc;

use serde_json::Value;
use yew::prelude::*;

use super::json_tree::{JsonTree, MAX_STRING_CHARS};
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
    // A kept frame never changes, so its parsed forms are computed once per frame, not on every
    // render of the live page (a large frame would cost a parse ten times a second).
    let parsed = {
        let store = props.store.clone();
        use_memo(props.seq, move |seq| parse(&store, *seq))
    };
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
    let Parsed { raw, decoded } = parsed.as_ref();
    let decoded = match decoded {
        Some(Ok(value)) => Some(html! { <JsonTree value={Rc::clone(value)} /> }),
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
                    Some(Ok(value)) => html! { <JsonTree value={Rc::clone(value)} /> },
                    Some(Err(text)) => html! { <pre class="raw">{ text.clone() }</pre> },
                    None => match row.limit() {
                        Some(limit) => html! { <p class="muted">{ format!(
                            "Not kept: {} bytes, longer than the {}-byte limit (the connection's maxFrameBytes, or the file reader's line limit).",
                            format::count(row.size() as u64), format::count(limit as u64),
                        ) }</p> },
                        None => html! { <p class="muted">{ "The SDK did not hand this frame's text over (a repeat it held back)." }</p> },
                    },
                }
            }
            if let Some(decoded) = decoded {
                <h4>{ "Decoded" }</h4>
                { decoded }
            }
        </section>
    }
}

/// A frame's raw JSON (or its text, cut short, when it is not JSON) and its decoded fields.
struct Parsed {
    raw: Option<Result<Rc<Value>, String>>,
    decoded: Option<Result<Rc<Value>, String>>,
}

fn parse(store: &Store, seq: u64) -> Parsed {
    let state = store.state();
    let Some(row) = state.row(seq) else { return Parsed { raw: None, decoded: None } };
    let raw = row.raw().map(|text| {
        serde_json::from_str::<Value>(text).map(Rc::new).map_err(|_| {
            match format::truncate(text, MAX_STRING_CHARS) {
                (whole, 0) => whole.to_owned(),
                (shown, rest) => format!("{shown}… ({rest} more characters)"),
            }
        })
    });
    let decoded = row.decode().map(|decoded| match decoded {
        Ok(event) => {
            let mut value = serde_json::to_value(&event).unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.remove("raw");
            }
            Ok(Rc::new(value))
        }
        Err(error) => Err(error.to_string()),
    });
    Parsed { raw, decoded }
}
