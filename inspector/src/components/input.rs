//! Reading form controls from their events.

use wasm_bindgen::JsCast;
use web_sys::{EventTarget, HtmlInputElement, HtmlSelectElement};

fn input(target: Option<EventTarget>) -> Option<HtmlInputElement> {
    target.and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
}

/// The value of the `<input>` an event came from (empty if it came from something else).
pub(crate) fn input_value(target: Option<EventTarget>) -> String {
    input(target).map(|input| input.value()).unwrap_or_default()
}

/// Whether the checkbox an event came from is checked.
pub(crate) fn input_checked(target: Option<EventTarget>) -> bool {
    input(target).is_some_and(|input| input.checked())
}

/// The value of the `<select>` an event came from; `None` for the empty "all" option.
pub(crate) fn select_value(target: Option<EventTarget>) -> Option<String> {
    let value = target?.dyn_into::<HtmlSelectElement>().ok()?.value();
    (!value.is_empty()).then_some(value)
}
