//! A JSON value as a collapsible tree. Every key and value is rendered as text: a frame's
//! contents are data, never markup.
//!
//! A hostile or just huge frame must not freeze the page, so the tree is bounded: a collapsed
//! node renders no children at all (they are built when it is opened), an open node shows at
//! most [`MAX_CHILDREN`] of them with a count of the rest, and a string shows at most
//! [`MAX_STRING_CHARS`] characters with a count of the rest.

use std::rc::Rc;

use serde_json::Value;
use yew::prelude::*;

/// Objects and arrays deeper than this start collapsed.
const OPEN_DEPTH: usize = 2;

/// The most children an open object or array shows.
pub const MAX_CHILDREN: usize = 200;

/// The most characters a string shows.
pub const MAX_STRING_CHARS: usize = 4_000;

/// Properties of [`JsonTree`].
#[derive(Properties, PartialEq)]
pub struct JsonTreeProps {
    /// The value to show (shared: a large frame is not copied on every render).
    pub value: Rc<Value>,
}

/// See the [module documentation](self).
#[function_component(JsonTree)]
pub fn json_tree(props: &JsonTreeProps) -> Html {
    html! { <div class="json"><JsonNode value={Rc::clone(&props.value)} depth={0} /></div> }
}

/// Properties of [`JsonNode`].
#[derive(Properties, PartialEq)]
struct JsonNodeProps {
    /// The key or index it has in its parent.
    #[prop_or_default]
    name: Option<String>,
    value: Rc<Value>,
    depth: usize,
}

fn key_label(key: Option<&str>) -> Html {
    match key {
        Some(key) => html! { <><span class="json-key">{ quoted(key) }</span>{ ": " }</> },
        None => html! {},
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| text.to_owned())
}

/// A string's JSON form, cut to [`MAX_STRING_CHARS`] characters with a count of the rest.
fn bounded_string(text: &str) -> String {
    match crate::format::truncate(text, MAX_STRING_CHARS) {
        (whole, 0) => quoted(whole),
        (shown, rest) => format!("{}… ({rest} more characters)", quoted(shown)),
    }
}

/// One node: a leaf, or an object or array that renders its children only while open.
#[function_component(JsonNode)]
fn json_node(props: &JsonNodeProps) -> Html {
    let open = use_state(|| props.depth < OPEN_DEPTH);
    let key = props.name.as_deref();
    let (summary, children): (String, Vec<(String, &Value)>) = match props.value.as_ref() {
        Value::Object(map) if !map.is_empty() => (
            format!("{{…}} {} keys", map.len()),
            map.iter().take(MAX_CHILDREN).map(|(k, v)| (k.clone(), v)).collect(),
        ),
        Value::Array(items) if !items.is_empty() => (
            format!("[…] {} items", items.len()),
            items.iter().take(MAX_CHILDREN).enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        ),
        leaf => {
            let (class, text) = match leaf {
                Value::String(s) => ("json-string", bounded_string(s)),
                Value::Number(n) => ("json-number", n.to_string()),
                Value::Bool(b) => ("json-bool", b.to_string()),
                Value::Null => ("json-null", "null".to_owned()),
                Value::Object(_) => ("json-punct", "{}".to_owned()),
                Value::Array(_) => ("json-punct", "[]".to_owned()),
            };
            return html! {
                <div class="json-leaf">{ key_label(key) }<span class={class}>{ text }</span></div>
            };
        }
    };
    let total = match props.value.as_ref() {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    let toggle = {
        let open = open.clone();
        Callback::from(move |event: MouseEvent| {
            event.prevent_default();
            open.set(!*open);
        })
    };
    html! {
        <details class="json-node" open={*open}>
            <summary onclick={toggle}>{ key_label(key) }{ summary }</summary>
            if *open {
                <div class="json-children">
                    { for children.into_iter().map(|(name, value)| html! {
                        <JsonNode name={Some(name)} value={Rc::new(value.clone())} depth={props.depth + 1} />
                    }) }
                    if total > MAX_CHILDREN {
                        <div class="json-more">{ format!("… {} more", total - MAX_CHILDREN) }</div>
                    }
                </div>
            }
        </details>
    }
}
