//! One lane per user: connection state (with the next retry time), reconnects, last-event age,
//! frames per second and flag counts by severity. A user who received another user's events is
//! marked in red and listed first.

use agentwire::Severity;
use yew::prelude::*;

use crate::format;
use crate::state::LaneSource;
use crate::store::Store;

/// Properties of [`LaneList`].
#[derive(Properties, PartialEq)]
pub struct LaneListProps {
    /// The state.
    pub store: Store,
    /// The selected lane's user.
    pub selected: Option<String>,
    /// A lane was clicked.
    pub on_select: Callback<String>,
    /// Show only this user's frames and flags.
    pub on_filter: Callback<String>,
    /// Remove a lane (an imported file).
    pub on_remove: Callback<String>,
}

/// See the [module documentation](self).
#[function_component(LaneList)]
pub fn lane_list(props: &LaneListProps) -> Html {
    let state = props.store.state();
    let now = state.now();
    let lanes = state.lanes_in_order().into_iter().map(|lane| {
        let user = lane.user().to_owned();
        let imported = matches!(lane.source(), LaneSource::Imported { .. });
        let (connection, connection_class) = if imported {
            ("imported".to_owned(), "imported")
        } else {
            format::connection(lane.connection(), now)
        };
        let counts = lane.flag_counts();
        let age = match (now, lane.last_event_at()) {
            (Some(now), Some(_)) => lane.last_event_age_ms(now).map(format::age).unwrap_or_default(),
            _ => "–".to_owned(),
        };
        let fps = now.map(|now| lane.frames_per_second(now)).unwrap_or(0.0);
        let onclick = {
            let user = user.clone();
            props.on_select.reform(move |_: MouseEvent| user.clone())
        };
        let filter = {
            let user = user.clone();
            let on_filter = props.on_filter.clone();
            Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                on_filter.emit(user.clone());
            })
        };
        let remove = imported.then(|| {
            let user = user.clone();
            let on_remove = props.on_remove.clone();
            Callback::from(move |event: MouseEvent| {
                event.stop_propagation();
                on_remove.emit(user.clone());
            })
        });
        let class = classes!(
            "lane",
            lane.cross_user().then_some("cross"),
            (props.selected.as_deref() == Some(user.as_str())).then_some("sel"),
        );
        html! {
            <li {class} {onclick} key={user.clone()} data-user={user.clone()}>
                <div class="lane-head">
                    <span class="lane-user" title={user.clone()}>{ user.clone() }</span>
                    <span class={classes!("conn", connection_class)}>{ connection }</span>
                </div>
                if lane.cross_user() {
                    <div class="lane-alert" role="alert">{ "received another user's events" }</div>
                }
                <div class="lane-stats">
                    <span title="frames received">{ format!("{} frames", format::count(lane.frames_received())) }</span>
                    <span title="frames per second, last 10 s">{ format!("{fps:.1}/s") }</span>
                    <span title="since the last event">{ format!("last {age}") }</span>
                    <span title="reconnects">{ format!("{} reconnects", lane.reconnects()) }</span>
                </div>
                <div class="lane-flags">
                    <span class={classes!("count", "error", (counts.get(Severity::Error) == 0).then_some("zero"))}>{ format!("{} errors", counts.get(Severity::Error)) }</span>
                    <span class={classes!("count", "warning", (counts.get(Severity::Warning) == 0).then_some("zero"))}>{ format!("{} warnings", counts.get(Severity::Warning)) }</span>
                    <span class={classes!("count", "info", (counts.get(Severity::Info) == 0).then_some("zero"))}>{ format!("{} info", counts.get(Severity::Info)) }</span>
                    <button class="link" onclick={filter} title="Show only this user's frames and flags">{ "filter" }</button>
                    if let Some(remove) = remove {
                        <button class="link" onclick={remove} title="Remove this imported file">{ "remove" }</button>
                    }
                </div>
                if lane.evicted_frames() > 0 {
                    <div class="lane-evicted">{ format!("{} oldest frames evicted (cap {} frames, {} MB)", format::count(lane.evicted_frames()), format::count(state.cap() as u64), crate::state::MAX_LANE_BYTES >> 20) }</div>
                }
            </li>
        }
    });
    html! {
        <ul class="lanes" aria-label="Users">
            { for lanes }
        </ul>
    }
}
