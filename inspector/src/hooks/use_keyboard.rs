//! The page's keyboard shortcuts: space pauses and resumes capture, `/` focuses the search,
//! Escape closes what is open. Keys typed into a field are the field's.

use agentwire::web::Listener;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

/// What a shortcut asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Space.
    TogglePause,
    /// `/`.
    Search,
    /// Escape.
    Close,
}

fn typing_into_a_field(event: &KeyboardEvent) -> bool {
    event.target().and_then(|target| target.dyn_into::<HtmlElement>().ok()).is_some_and(|element| {
        matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON")
            || element.is_content_editable()
    })
}

/// See the [module documentation](self).
#[hook]
pub fn use_keyboard(on_shortcut: Callback<Shortcut>) {
    use_effect_with((), move |()| {
        let document = web_sys::window().and_then(|w| w.document());
        // Removed when the component goes (the listener is dropped with the effect).
        let listener = document.and_then(|document| {
            Listener::new(&document, "keydown", move |event: KeyboardEvent| {
                if event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let shortcut = match event.key().as_str() {
                    "Escape" => Some(Shortcut::Close),
                    _ if typing_into_a_field(&event) => None,
                    " " => Some(Shortcut::TogglePause),
                    "/" => Some(Shortcut::Search),
                    _ => None,
                };
                if let Some(shortcut) = shortcut {
                    event.prevent_default();
                    on_shortcut.emit(shortcut);
                }
            })
        });
        move || drop(listener)
    });
}

/// Focuses the element with this id on the next turn (after a render).
///
/// The wait is a future that owns its timer and the timer's closure, and drops both when it
/// completes: nothing outlives the keypress (a forgotten `Timeout` kept one closure per `/`).
pub fn focus_later(id: &'static str) {
    wasm_bindgen_futures::spawn_local(async move {
        TimeoutFuture::new(0).await;
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}
