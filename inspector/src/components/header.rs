//! The top bar: what is connected, the simulated manager's fault notice, pause and resume
//! (space), clear, import and export of recordings, the rules, and the theme.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::browser::ServerInfo;
use crate::format;
use crate::settings::Theme;
use crate::state::ExportFormat;

/// What to export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportChoice {
    /// The file format.
    pub format: ExportFormat,
    /// One user, or every user (a file each).
    pub user: Option<String>,
}

/// Properties of [`Header`].
#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// Whether capture is paused.
    pub paused: bool,
    /// Frames received while paused.
    pub held: u64,
    /// Frames kept, all users.
    pub kept: usize,
    /// What the simulated manager says about itself, when it is one.
    pub info: Option<ServerInfo>,
    /// The selected user (for "export this user").
    pub selected_user: Option<String>,
    /// The theme.
    pub theme: Theme,
    /// Pause or resume.
    pub on_pause: Callback<()>,
    /// Clear the capture.
    pub on_clear: Callback<()>,
    /// Files to import.
    pub on_import: Callback<Vec<web_sys::File>>,
    /// Export.
    pub on_export: Callback<ExportChoice>,
    /// Show the rules.
    pub on_rules: Callback<()>,
    /// Next theme.
    pub on_theme: Callback<()>,
}

/// See the [module documentation](self).
#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let file_input = use_node_ref();
    let on_pick = {
        let on_import = props.on_import.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let files = input.files();
            let picked: Vec<web_sys::File> = (0..files.as_ref().map_or(0, |f| f.length()))
                .filter_map(|i| files.as_ref().and_then(|f| f.get(i)))
                .collect();
            input.set_value("");
            on_import.emit(picked);
        })
    };
    let open_picker = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = file_input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let menu = use_node_ref();
    let export = |format: ExportFormat, user: Option<String>| {
        let on_export = props.on_export.clone();
        let menu = menu.clone();
        Callback::from(move |_: MouseEvent| {
            // Close the menu: the choice is made.
            if let Some(menu) = menu.cast::<web_sys::Element>() {
                let _ = menu.remove_attribute("open");
            }
            on_export.emit(ExportChoice { format, user: user.clone() })
        })
    };
    let faults = props.info.as_ref().filter(|info| !info.fault_rates.is_empty()).map(|info| {
        let rates = info
            .fault_rates
            .iter()
            .map(|(kind, rate)| format!("{kind} {:.1} %", rate * 100.0))
            .collect::<Vec<_>>()
            .join(", ");
        html! {
            <div class="fault-notice" role="status">
                <strong>{ format!("Fault injection is on ({} preset).", info.faults) }</strong>
                { format!(" The simulated manager breaks some runs on purpose, so flags appear: {rates}.") }
            </div>
        }
    });
    html! {
        <>
            <header class="top">
                <h1>{ "agentwire" }<span>{ " inspector" }</span></h1>
                <div class="actions">
                    <button class={classes!("primary", props.paused.then_some("paused"))} onclick={props.on_pause.reform(|_| ())}
                        title="Pause or resume capture (space)" aria-pressed={props.paused.to_string()}>
                        { if props.paused { format!("Resume ({} held)", format::count(props.held)) } else { "Pause".to_owned() } }
                    </button>
                    <button onclick={props.on_clear.reform(|_| ())} title="Forget every frame, flag and run">{ "Clear" }</button>
                    <span class="muted small">{ format!("{} frames kept", format::count(props.kept as u64)) }</span>
                    <span class="sep" />
                    <button onclick={open_picker} title="Import a recording, HAR or frames file (or drop it on the page)">{ "Import…" }</button>
                    <input ref={file_input} type="file" multiple=true class="hidden" accept=".jsonl,.json,.har,.txt,.log" onchange={on_pick} aria-label="Import files" />
                    <details class="menu" ref={menu.clone()}>
                        <summary>{ "Export" }</summary>
                        <div class="menu-items">
                            <button onclick={export(ExportFormat::Recording, None)}>{ "All users: agentwire recordings (.jsonl)" }</button>
                            <button onclick={export(ExportFormat::Har, None)}>{ "All users: HAR" }</button>
                            if let Some(user) = &props.selected_user {
                                <button onclick={export(ExportFormat::Recording, Some(user.clone()))}>{ format!("{user}: recording") }</button>
                                <button onclick={export(ExportFormat::Har, Some(user.clone()))}>{ format!("{user}: HAR") }</button>
                            }
                            <p class="muted small">{ "Tokens are never exported." }</p>
                        </div>
                    </details>
                    <span class="sep" />
                    <button onclick={props.on_rules.reform(|_| ())}>{ "Rules" }</button>
                    <button onclick={props.on_theme.reform(|_| ())} title="Theme: system, light, dark">{ format!("Theme: {}", props.theme.name()) }</button>
                </div>
            </header>
            { faults.unwrap_or_default() }
        </>
    }
}
