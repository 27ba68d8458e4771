//! A JSON value as a collapsible tree. Every key and value is rendered as text: a frame's
//! contents are data, never markup.

use serde_json::Value;
use yew::prelude::*;

/// Objects and arrays deeper than this start collapsed.
const OPEN_DEPTH: usize = 2;

/// Properties of [`JsonTree`].
#[derive(Properties, PartialEq)]
pub struct JsonTreeProps {
    /// The value to show.
    pub value: Value,
}

/// See the [module documentation](self).
#[function_component(JsonTree)]
pub fn json_tree(props: &JsonTreeProps) -> Html {
    html! { <div class="json">{ node(None, &props.value, 0) }</div> }
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

fn node(key: Option<&str>, value: &Value, depth: usize) -> Html {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let children = map.iter().map(|(k, v)| node(Some(k), v, depth + 1));
            html! {
                <details class="json-node" open={depth < OPEN_DEPTH}>
                    <summary>{ key_label(key) }{ format!("{{…}} {} keys", map.len()) }</summary>
                    <div class="json-children">{ for children }</div>
                </details>
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let children =
                items.iter().enumerate().map(|(i, v)| node(Some(&i.to_string()), v, depth + 1));
            html! {
                <details class="json-node" open={depth < OPEN_DEPTH}>
                    <summary>{ key_label(key) }{ format!("[…] {} items", items.len()) }</summary>
                    <div class="json-children">{ for children }</div>
                </details>
            }
        }
        leaf => {
            let (class, text) = match leaf {
                Value::String(s) => ("json-string", quoted(s)),
                Value::Number(n) => ("json-number", n.to_string()),
                Value::Bool(b) => ("json-bool", b.to_string()),
                Value::Null => ("json-null", "null".to_owned()),
                Value::Object(_) => ("json-punct", "{}".to_owned()),
                Value::Array(_) => ("json-punct", "[]".to_owned()),
            };
            html! { <div class="json-leaf">{ key_label(key) }<span class={class}>{ text }</span></div> }
        }
    }
}
