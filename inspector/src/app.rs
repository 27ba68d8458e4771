//! The page: a header, the users on the left, the selected user's runs on top, and the stream
//! and flags below. It owns the settings and wires the hooks (connections, demo users, import,
//! keyboard); the selection, dialogs and notices are the [`Page`] reducer's, and everything
//! else shown comes from the [`State`](crate::state::State) in the [`Store`].

use agentwire::Rule;
use yew::prelude::*;

use crate::browser;
use crate::components::connect_panel::ConnectPanel;
use crate::components::filter_bar::{FilterBar, SEARCH_ID};
use crate::components::flags::FlagList;
use crate::components::frame_detail::FrameDetail;
use crate::components::header::{ExportChoice, Header};
use crate::components::lanes::LaneList;
use crate::components::rules::RulesDialog;
use crate::components::runs::RunTimelines;
use crate::components::stream::StreamView;
use crate::hooks::{
    Shortcut, Wanted, focus_later, use_connections, use_demo_users, use_import, use_keyboard,
    use_refresh,
};
use crate::page::{Page, PageAction};
use crate::settings::Settings;
use crate::state::{Action, ExportFormat, Filter, FlagId};
use crate::store::{Store, StoreAction};

/// Properties of [`App`].
#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Settings to start from instead of the stored ones (tests), not saved.
    #[prop_or_default]
    pub settings: Option<Settings>,
    /// A state to show instead of a new one (tests feed it scripted events through
    /// [`Store::sink`]).
    #[prop_or_default]
    pub store: Option<Store>,
}

/// See the [module documentation](self).
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let ephemeral = props.settings.is_some();
    let settings = use_state(|| props.settings.clone().unwrap_or_else(browser::load_settings));
    let store = use_reducer(|| props.store.clone().unwrap_or_default());
    let page = use_reducer(Page::default);

    use_refresh(store.clone());
    let default_url = use_memo((), |()| browser::default_ws_url());
    let url = if settings.url.is_empty() { (*default_url).clone() } else { settings.url.clone() };

    // Settings: saved, the theme applied, the cap applied.
    {
        let store = store.clone();
        use_effect_with((*settings).clone(), move |settings| {
            if !ephemeral {
                browser::save_settings(settings);
            }
            if let Some(root) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-theme", settings.theme.name());
            }
            if store.state().cap() != settings.cap {
                store.dispatch(StoreAction::Apply(Action::SetCap(settings.cap)));
            }
        });
    }

    // The simulated manager's demo users and fault settings.
    let demo = use_demo_users(url.clone(), settings.demo_users);

    // One SDK client per user.
    let mut wanted: Vec<Wanted> = demo
        .users
        .iter()
        .map(|user| Wanted { user: user.user_id.clone(), token: user.token.clone() })
        .collect();
    for user in &settings.users {
        if let Some(token) = &user.token {
            if !wanted.iter().any(|w| w.user == user.user_id) {
                wanted.push(Wanted { user: user.user_id.clone(), token: token.clone() });
            }
        }
    }
    {
        let page = page.clone();
        use_connections(
            store.sink(),
            url.clone(),
            wanted,
            (settings.stall_after_secs * 1_000.0) as u64,
            Callback::from(move |error| page.dispatch(PageAction::Notify(error))),
        );
    }

    // The first lane is selected until the user picks one.
    let first_user = store.state().lanes_in_order().first().map(|lane| lane.user().to_owned());
    let shown_user = page.selected_user.clone().or(first_user);

    let toggle_pause = {
        let store = store.clone();
        Callback::from(move |()| {
            let action = if store.state().is_paused() { Action::Resume } else { Action::Pause };
            store.dispatch(StoreAction::Apply(action));
        })
    };
    let close_all = {
        let page = page.clone();
        Callback::from(move |()| page.dispatch(PageAction::Close))
    };
    {
        let toggle_pause = toggle_pause.clone();
        let close_all = close_all.clone();
        use_keyboard(Callback::from(move |shortcut| match shortcut {
            Shortcut::TogglePause => toggle_pause.emit(()),
            Shortcut::Search => focus_later(SEARCH_ID),
            Shortcut::Close => close_all.emit(()),
        }));
    }

    let import = use_import(store.clone(), page.clone());
    let export = {
        let store = store.clone();
        let page = page.clone();
        let url = url.clone();
        Callback::from(move |choice: ExportChoice| {
            let state = store.state();
            let files = match &choice.user {
                Some(user) => state.export(user, choice.format, &url).map(|file| vec![file]),
                None => state.export_all(choice.format, &url),
            };
            let mime = match choice.format {
                ExportFormat::Har => "application/json",
                _ => "application/x-ndjson",
            };
            let result = files.map_err(|e| e.to_string()).and_then(|files| {
                if files.is_empty() {
                    return Err("nothing to export yet".to_owned());
                }
                files
                    .iter()
                    .try_for_each(|file| browser::download(&file.name, mime, &file.bytes))
                    .map(|()| files.len())
            });
            page.dispatch(PageAction::Notify(match result {
                Ok(count) => format!(
                    "Exported {count} file(s). Check one in CI with `agentwire check FILE`."
                ),
                Err(error) => format!("Export failed: {error}"),
            }));
        })
    };
    let on_filter = {
        let store = store.clone();
        Callback::from(move |filter: Filter| {
            store.dispatch(StoreAction::Apply(Action::SetFilter(filter)))
        })
    };
    let filter_user = {
        let store = store.clone();
        Callback::from(move |user: String| {
            let mut filter = store.state().filter().clone();
            filter.user = Some(user);
            store.dispatch(StoreAction::Apply(Action::SetFilter(filter)));
        })
    };
    let remove_user = {
        let store = store.clone();
        Callback::from(move |user: String| {
            store.dispatch(StoreAction::Apply(Action::RemoveUser(user)))
        })
    };
    let select_frame = {
        let page = page.clone();
        Callback::from(move |seq: u64| page.dispatch(PageAction::SelectFrame(seq)))
    };
    let select_flag = {
        let (store, page) = (store.clone(), page.clone());
        Callback::from(move |id: FlagId| {
            let rows = store.state().flag_rows(id);
            page.dispatch(PageAction::SelectFlag { id, rows });
        })
    };
    let select_user = {
        let page = page.clone();
        Callback::from(move |user: String| page.dispatch(PageAction::SelectUser(user)))
    };
    let on_settings = {
        let settings = settings.clone();
        Callback::from(move |next: Settings| settings.set(next))
    };
    let open_rules = {
        let page = page.clone();
        Callback::from(move |rule: Rule| page.dispatch(PageAction::OpenRules(Some(rule))))
    };

    let ondragover = {
        let page = page.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if !page.dragging {
                page.dispatch(PageAction::Dragging(true));
            }
        })
    };
    let ondragleave = {
        let page = page.clone();
        Callback::from(move |_: DragEvent| page.dispatch(PageAction::Dragging(false)))
    };
    let ondrop = {
        let page = page.clone();
        let import = import.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            page.dispatch(PageAction::Dragging(false));
            let files = event.data_transfer().and_then(|transfer| transfer.files());
            let files: Vec<web_sys::File> = files
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            import.emit(files);
        })
    };

    let state = store.state();
    let (paused, held, kept, evicted) =
        (state.is_paused(), state.held_frames(), state.kept_frames(), state.evicted_frames());
    let importing = state.import_progress();
    let no_lanes = state.lanes().len() == 0;
    drop(state);
    let dismiss = {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| page.dispatch(PageAction::Dismiss))
    };

    html! {
        <div class={classes!("app", page.dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <Header {paused} {held} {kept} info={demo.info.clone()} selected_user={shown_user.clone()}
                theme={settings.theme}
                on_pause={toggle_pause.clone()}
                on_clear={{ let store = store.clone(); Callback::from(move |()| store.dispatch(StoreAction::Apply(Action::Clear))) }}
                on_import={import}
                on_export={export}
                on_rules={{ let page = page.clone(); Callback::from(move |()| page.dispatch(PageAction::OpenRules(None))) }}
                on_theme={{ let settings = settings.clone(); Callback::from(move |()| { let mut next = (*settings).clone(); next.theme = next.theme.next(); settings.set(next); }) }} />
            if let Some(text) = &page.notice {
                <div class="notice" role="status">{ text.clone() }<button class="icon" onclick={dismiss}>{ "×" }</button></div>
            }
            if let Some(progress) = importing {
                <div class="notice importing" role="status">
                    { format!("Importing into “{}”: {} records checked, {} of {} read", progress.user, crate::format::count(progress.done as u64), crate::format::bytes(progress.read_bytes), crate::format::bytes(progress.total_bytes)) }
                    <progress max={progress.total_bytes.to_string()} value={progress.read_bytes.to_string()} />
                </div>
            }
            if evicted > 0 {
                <div class="notice evicted" role="status">{ format!("{} older frames were evicted to stay within {} frames per user (Connection → Frames kept per user).", crate::format::count(evicted), crate::format::count(settings.cap as u64)) }</div>
            }
            <div class="body">
                <aside class="side">
                    <ConnectPanel settings={(*settings).clone()} default_url={(*default_url).clone()} demo={demo.status.clone()} on_change={on_settings} />
                    <LaneList store={(*store).clone()} selected={shown_user.clone()} on_select={select_user}
                        on_filter={filter_user} on_remove={remove_user} />
                    if no_lanes {
                        <p class="empty">{ "No users yet. Use the demo users of `agentwire serve`, add a token, or drop a recording here." }</p>
                    }
                </aside>
                <main class="main">
                    <RunTimelines store={(*store).clone()} user={shown_user.clone()} on_frame={select_frame.clone()} on_flag={select_flag.clone()} />
                    <FilterBar store={(*store).clone()} on_change={on_filter} />
                    <div class="panes">
                        <StreamView store={(*store).clone()} selected={page.selected_frame} highlighted={page.highlighted.clone()}
                            scroll_to={page.scroll_to} on_select={select_frame} />
                        <div class="right">
                            <FlagList store={(*store).clone()} selected={page.selected_flag} on_select={select_flag} on_rule={open_rules} />
                            if let Some(seq) = page.selected_frame {
                                <FrameDetail store={(*store).clone()} {seq} on_close={close_all.clone()} />
                            }
                        </div>
                    </div>
                </main>
            </div>
            if let Some(rule) = page.rules {
                <RulesDialog {rule} on_close={{ let page = page.clone(); Callback::from(move |()| page.dispatch(PageAction::CloseRules)) }} />
            }
            if page.dragging {
                <div class="drop-hint">{ "Drop a recording, HAR or frames file to check it offline" }</div>
            }
        </div>
    }
}
