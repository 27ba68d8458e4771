//! The filters over the stream and the flags: user, run, event type, severity, rule, and a
//! free-text search (`/` focuses it).

use agentwire::{Rule, Severity};
use yew::prelude::*;

use super::input::{input_value, select_value};
use crate::state::Filter;
use crate::store::Store;

/// The event types offered in the type filter (canonical names; the filter also matches the
/// name as sent).
pub const EVENT_TYPES: [&str; 32] = [
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "tool_error",
    "agent_completed",
    "agent_error",
    "agent_death",
    "agent_timeout_warning",
    "agent_timeout_failure",
    "agent_stopped",
    "agent_response",
    "progress_update",
    "subagent_started",
    "subagent_completed",
    "partial_result",
    "final_report",
    "stream_chunk",
    "cleanup_started",
    "cleanup_duration_estimate",
    "cleanup_complete",
    "connection_established",
    "handshake_response",
    "handshake_complete",
    "heartbeat",
    "ping",
    "pong",
    "ack",
    "resume_result",
    "backend_log",
    "error",
    "malformed",
];

/// The id of the search box (the `/` shortcut focuses it).
pub const SEARCH_ID: &str = "search";

/// Properties of [`FilterBar`].
#[derive(Properties, PartialEq)]
pub struct FilterBarProps {
    /// The state (for the current filter and the users).
    pub store: Store,
    /// The filter changed.
    pub on_change: Callback<Filter>,
}

/// See the [module documentation](self).
#[function_component(FilterBar)]
pub fn filter_bar(props: &FilterBarProps) -> Html {
    let state = props.store.state();
    let filter = state.filter().clone();
    let users: Vec<String> = state.lanes().map(|lane| lane.user().to_owned()).collect();
    drop(state);

    let change = |update: fn(&mut Filter, Option<String>)| {
        let filter = filter.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |event: Event| {
            let mut next = filter.clone();
            update(&mut next, select_value(event.target()));
            on_change.emit(next);
        })
    };
    let on_user = change(|f, v| f.user = v);
    let on_type = change(|f, v| f.event_type = v);
    let on_severity = change(|f, v| {
        f.severity = v.and_then(|v| {
            [Severity::Info, Severity::Warning, Severity::Error]
                .into_iter()
                .find(|s| s.as_str() == v)
        });
    });
    let on_rule =
        change(|f, v| f.rule = v.and_then(|v| Rule::ALL.into_iter().find(|r| r.id() == v)));
    let on_run = {
        let filter = filter.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |event: InputEvent| {
            let value = input_value(event.target());
            let mut next = filter.clone();
            next.run = (!value.trim().is_empty()).then(|| value.trim().to_owned());
            on_change.emit(next);
        })
    };
    let on_text = {
        let filter = filter.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |event: InputEvent| {
            let mut next = filter.clone();
            next.text = input_value(event.target());
            on_change.emit(next);
        })
    };
    let on_reset = {
        let on_change = props.on_change.clone();
        Callback::from(move |_: MouseEvent| on_change.emit(Filter::default()))
    };
    let option = |value: &str, current: Option<&str>| {
        html! { <option value={value.to_owned()} selected={current == Some(value)}>{ value.to_owned() }</option> }
    };
    html! {
        <div class="filters" role="search">
            <select onchange={on_user} aria-label="User" title="User">
                <option value="" selected={filter.user.is_none()}>{ "all users" }</option>
                { for users.iter().map(|u| option(u, filter.user.as_deref())) }
            </select>
            <select onchange={on_type} aria-label="Event type" title="Event type">
                <option value="" selected={filter.event_type.is_none()}>{ "all types" }</option>
                { for EVENT_TYPES.iter().map(|t| option(t, filter.event_type.as_deref())) }
            </select>
            <select onchange={on_severity} aria-label="Severity" title="Flag severity (at least)">
                <option value="" selected={filter.severity.is_none()}>{ "any severity" }</option>
                { for ["info", "warning", "error"].iter().map(|s| option(s, filter.severity.map(Severity::as_str))) }
            </select>
            <select onchange={on_rule} aria-label="Rule" title="Rule">
                <option value="" selected={filter.rule.is_none()}>{ "all rules" }</option>
                { for Rule::ALL.iter().map(|r| option(r.id(), filter.rule.map(Rule::id))) }
            </select>
            <input class="run-input" type="text" placeholder="run id" aria-label="Run"
                value={filter.run.clone().unwrap_or_default()} oninput={on_run} />
            <input id={SEARCH_ID} class="search" type="search" placeholder="Search frames and flags  ( / )"
                aria-label="Search" value={filter.text.clone()} oninput={on_text} />
            if !filter.is_empty() {
                <button class="link" onclick={on_reset}>{ "clear filters" }</button>
            }
        </div>
    }
}
