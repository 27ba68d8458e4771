//! Every flag, newest last, as a virtualised list: severity, rule id (a link to its
//! explanation), user, run, and the checker's sentence. Clicking a flag highlights its frames in
//! the stream.

use std::ops::Range;

use agentwire::Rule;
use yew::prelude::*;

use super::virtual_list::VirtualList;
use crate::format;
use crate::state::FlagId;
use crate::store::Store;

/// A flag row's height in pixels (the CSS's `.frow` agrees).
pub const ROW_HEIGHT: u32 = 44;

/// Properties of [`FlagList`].
#[derive(Properties, PartialEq)]
pub struct FlagListProps {
    /// The state.
    pub store: Store,
    /// The selected flag.
    pub selected: Option<FlagId>,
    /// A flag was clicked.
    pub on_select: Callback<FlagId>,
    /// A rule id was clicked: show its explanation.
    pub on_rule: Callback<Rule>,
}

/// See the [module documentation](self).
#[function_component(FlagList)]
pub fn flag_list(props: &FlagListProps) -> Html {
    let len = props.store.state().filtered_flags_len();
    let render = {
        let store = props.store.clone();
        let selected = props.selected;
        let on_select = props.on_select.clone();
        let on_rule = props.on_rule.clone();
        Callback::from(move |range: Range<usize>| {
            let state = store.state();
            let rows = state.visible_flags(range).map(|entry| {
                let id = entry.id();
                let flag = entry.flag();
                let rule = flag.rule;
                let onclick = on_select.reform(move |_: MouseEvent| id);
                let on_rule = on_rule.clone();
                let rule_click = Callback::from(move |event: MouseEvent| {
                    event.prevent_default();
                    event.stop_propagation();
                    on_rule.emit(rule);
                });
                let class = classes!(
                    "frow",
                    format::severity(flag.severity),
                    (selected == Some(id)).then_some("sel"),
                );
                html! {
                    <div {class} {onclick} key={format!("{id:?}")} role="row">
                        <div class="frow-head">
                            <span class={classes!("sev-badge", format::severity(flag.severity))}>{ format::severity(flag.severity) }</span>
                            <a class="rule" href={format!("#rule-{}", rule.id())} onclick={rule_click}
                                title="What this rule means">{ rule.id() }</a>
                            <span class="frow-user">{ entry.user().to_owned() }</span>
                            <span class="frow-run">{ flag.run_id.clone().unwrap_or_default() }</span>
                            <span class="frow-time">{ format::time_of_day(entry.at()) }</span>
                        </div>
                        <div class="frow-msg" title={flag.message.clone()}>{ flag.message.clone() }</div>
                    </div>
                }
            });
            html! { <>{ for rows }</> }
        })
    };
    let empty = html! { <p class="empty">{ "No flags. Every missing, out-of-order, duplicate or cross-user event shows up here." }</p> };
    html! {
        <section class="flags" aria-label="Flags">
            <VirtualList len={len} row_height={ROW_HEIGHT} {render} generation={props.store.generation()}
                class="flag-list" {empty} />
        </section>
    }
}
