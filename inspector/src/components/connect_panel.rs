//! Where the page connects: the manager URL, the simulated manager's demo users, users added
//! by hand with a token (the user id is read from its `sub`), whether tokens are remembered,
//! and the frames kept per user.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::input::{input_checked, input_value};
use crate::settings::{ManualUser, Settings, user_of_token};

/// What the page knows about the demo users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoStatus {
    /// Not asked for.
    Off,
    /// Being fetched.
    Loading,
    /// This many demo users.
    Loaded(usize),
    /// The server has none (a real manager), or they could not be read.
    Unavailable(String),
}

/// Properties of [`ConnectPanel`].
#[derive(Properties, PartialEq)]
pub struct ConnectPanelProps {
    /// The settings.
    pub settings: Settings,
    /// The URL used when the settings leave it empty.
    pub default_url: String,
    /// The demo users' status.
    pub demo: DemoStatus,
    /// The settings changed.
    pub on_change: Callback<Settings>,
}

/// See the [module documentation](self).
#[function_component(ConnectPanel)]
pub fn connect_panel(props: &ConnectPanelProps) -> Html {
    let token_input = use_node_ref();
    let token_error = use_state(|| None::<String>);
    let settings = &props.settings;

    let update = |apply: fn(&mut Settings, &Event)| {
        let settings = settings.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |event: Event| {
            let mut next = settings.clone();
            apply(&mut next, &event);
            on_change.emit(next);
        })
    };
    let on_url = update(|s, e| s.url = input_value(e.target()).trim().to_owned());
    let on_demo = update(|s, e| s.demo_users = input_checked(e.target()));
    let on_remember = update(|s, e| s.remember_tokens = input_checked(e.target()));
    let on_cap = update(|s, e| {
        if let Ok(cap) = input_value(e.target()).trim().parse::<usize>() {
            s.cap = cap.clamp(100, crate::state::DEFAULT_CAP * 20);
        }
    });
    let on_stall = update(|s, e| {
        let typed = input_value(e.target()).trim().parse::<f64>().ok();
        if let Some(secs) = typed.and_then(crate::settings::stall_after_secs) {
            s.stall_after_secs = secs;
        }
    });
    let on_add = {
        let settings = settings.clone();
        let on_change = props.on_change.clone();
        let token_input = token_input.clone();
        let token_error = token_error.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = token_input.cast::<HtmlInputElement>() else { return };
            let token = input.value().trim().to_owned();
            match user_of_token(&token) {
                Ok(user_id) => {
                    let mut next = settings.clone();
                    next.users.retain(|user| user.user_id != user_id);
                    next.users.push(ManualUser { user_id, token: Some(token) });
                    input.set_value("");
                    token_error.set(None);
                    on_change.emit(next);
                }
                Err(error) => token_error.set(Some(error)),
            }
        })
    };
    let users = settings.users.iter().map(|user| {
        let remove = {
            let settings = settings.clone();
            let on_change = props.on_change.clone();
            let id = user.user_id.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = settings.clone();
                next.users.retain(|user| user.user_id != id);
                on_change.emit(next);
            })
        };
        html! {
            <li>
                <span class="mono">{ user.user_id.clone() }</span>
                if user.token.is_none() {
                    <span class="muted">{ " token needed (add it again)" }</span>
                }
                <button class="link" onclick={remove}>{ "remove" }</button>
            </li>
        }
    });
    let demo = match &props.demo {
        DemoStatus::Off => String::new(),
        DemoStatus::Loading => "asking the server for demo users…".to_owned(),
        DemoStatus::Loaded(n) => format!("{n} demo users from /dev/users"),
        DemoStatus::Unavailable(why) => format!("no demo users: {why}"),
    };
    html! {
        <details class="connect" open={settings.users.is_empty() && !matches!(props.demo, DemoStatus::Loaded(_))}>
            <summary>{ "Connection" }</summary>
            <label class="field">
                <span>{ "Manager URL" }</span>
                <input type="url" value={settings.url.clone()} placeholder={props.default_url.clone()} onchange={on_url} aria-label="Manager URL" />
            </label>
            <label class="check">
                <input type="checkbox" checked={settings.demo_users} onchange={on_demo} />
                { " simulated manager's demo users" }
            </label>
            if !demo.is_empty() { <p class="muted small">{ demo }</p> }
            <form class="add-user" onsubmit={on_add}>
                <input ref={token_input} type="password" placeholder="paste a user's JWT" aria-label="Token" autocomplete="off" />
                <button type="submit">{ "Add user" }</button>
            </form>
            if let Some(error) = &*token_error { <p class="error small" role="alert">{ error.clone() }</p> }
            <ul class="manual-users">{ for users }</ul>
            <label class="check">
                <input type="checkbox" checked={settings.remember_tokens} onchange={on_remember} />
                { " remember tokens in this browser" }
            </label>
            <label class="field">
                <span>{ "Flag a silent run after (seconds)" }</span>
                <input type="number" min="1" step="1" value={settings.stall_after_secs.to_string()} onchange={on_stall} aria-label="Stall after seconds" />
            </label>
            <label class="field">
                <span>{ "Frames kept per user" }</span>
                <input type="number" min="100" step="1000" value={settings.cap.to_string()} onchange={on_cap} aria-label="Frames kept per user" />
            </label>
        </details>
    }
}
