//! The page: a header, the users on the left, the selected user's runs on top, and the stream
//! and flags below. It owns the settings, the selection and the connections; everything shown
//! comes from the [`State`](crate::state::State) in the [`Store`].

use std::collections::BTreeSet;
use std::rc::Rc;

use agentwire::Rule;
use yew::prelude::*;

use crate::browser::{self, ServerInfo};
use crate::components::connect_panel::{ConnectPanel, DemoStatus};
use crate::components::filter_bar::{FilterBar, SEARCH_ID};
use crate::components::flags::FlagList;
use crate::components::frame_detail::FrameDetail;
use crate::components::header::{ExportChoice, Header};
use crate::components::lanes::LaneList;
use crate::components::rules::RulesDialog;
use crate::components::runs::RunTimelines;
use crate::components::stream::StreamView;
use crate::hooks::{Shortcut, Wanted, focus_later, use_connections, use_keyboard, use_refresh};
use crate::settings::{self, Settings};
use crate::state::{Action, ExportFormat, Filter, FlagId, Unreadable, parse_capture};
use crate::store::{Store, StoreAction};

/// Records checked between two renders while importing a file.
const IMPORT_CHUNK: usize = 2_000;

/// What the page says of a file that became unreadable half-way.
fn import_broken(name: &str, broken: &Unreadable) -> String {
    let place = broken.line.map(|line| format!(" at line {line}")).unwrap_or_default();
    format!(
        "{name} became unreadable{place}: {}. The {} records before it were checked and are shown; flags the rest would have raised are unknown.",
        broken.error, broken.records
    )
}

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
    let demo_users = use_state(Vec::<browser::DemoUser>::new);
    let demo_status = use_state(|| DemoStatus::Off);
    let info = use_state(|| None::<ServerInfo>);
    let notice = use_state(|| None::<String>);
    let selected_user = use_state(|| None::<String>);
    let selected_frame = use_state(|| None::<u64>);
    let selected_flag = use_state(|| None::<FlagId>);
    let highlighted = use_state(|| Rc::new(BTreeSet::<u64>::new()));
    let scroll_to = use_state(|| None::<u64>);
    let rules_open = use_state(|| None::<Option<Rule>>);
    let dragging = use_state(|| false);

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
    {
        let demo_users = demo_users.clone();
        let demo_status = demo_status.clone();
        let info = info.clone();
        use_effect_with((url.clone(), settings.demo_users), move |(url, wanted)| {
            let origin = settings::http_origin(url);
            demo_users.set(Vec::new());
            info.set(None);
            demo_status.set(if *wanted { DemoStatus::Loading } else { DemoStatus::Off });
            if let Some(origin) = origin {
                let wanted = *wanted;
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(server) = browser::server_info(&origin).await {
                        info.set(Some(server));
                    }
                    if wanted {
                        match browser::demo_users(&origin).await {
                            Ok(users) => {
                                demo_status.set(DemoStatus::Loaded(users.len()));
                                demo_users.set(users);
                            }
                            Err(error) => demo_status.set(DemoStatus::Unavailable(error)),
                        }
                    }
                });
            } else if *wanted {
                demo_status
                    .set(DemoStatus::Unavailable(format!("`{url}` is not a ws:// or wss:// URL")));
            }
        });
    }

    // One SDK client per user.
    let mut wanted: Vec<Wanted> = demo_users
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
        let notice = notice.clone();
        use_connections(
            store.sink(),
            url.clone(),
            wanted,
            (settings.stall_after_secs * 1_000.0) as u64,
            Callback::from(move |error| notice.set(Some(error))),
        );
    }

    // The first lane is selected until the user picks one.
    let first_user = store.state().lanes_in_order().first().map(|lane| lane.user().to_owned());
    let shown_user = (*selected_user).clone().or(first_user);

    let toggle_pause = {
        let store = store.clone();
        Callback::from(move |()| {
            let action = if store.state().is_paused() { Action::Resume } else { Action::Pause };
            store.dispatch(StoreAction::Apply(action));
        })
    };
    let close_all = {
        let rules_open = rules_open.clone();
        let selected_frame = selected_frame.clone();
        let selected_flag = selected_flag.clone();
        let highlighted = highlighted.clone();
        Callback::from(move |()| {
            if rules_open.is_some() {
                rules_open.set(None);
            } else {
                selected_frame.set(None);
                selected_flag.set(None);
                highlighted.set(Rc::new(BTreeSet::new()));
            }
        })
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

    let import = {
        let store = store.clone();
        let notice = notice.clone();
        let selected_user = selected_user.clone();
        Callback::from(move |files: Vec<web_sys::File>| {
            for file in files {
                let store = store.clone();
                let notice = notice.clone();
                let selected_user = selected_user.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let name = file.name();
                    let result = browser::read_file(&file).await.and_then(|text| {
                        parse_capture(&name, &text).map_err(|error| format!("{name}: {error}"))
                    });
                    match result {
                        Ok(import) => {
                            let user = import.user.clone();
                            store.dispatch(StoreAction::Apply(Action::BeginImport(import)));
                            selected_user.set(Some(user.clone()));
                            // Read and checked a chunk at a time, rendering in between: the page
                            // stays responsive and shows the first frames of a large file at once.
                            while store.state().import_progress().is_some_and(|p| p.user == user) {
                                store.dispatch(StoreAction::Apply(Action::ContinueImport(
                                    IMPORT_CHUNK,
                                )));
                                gloo_timers::future::TimeoutFuture::new(0).await;
                            }
                            let state = store.state();
                            let lane = state.lane_by_user(&user);
                            let frames = lane.map_or(0, |lane| lane.frames_received());
                            let message = match lane.and_then(|lane| lane.unreadable()) {
                                Some(broken) => import_broken(&name, broken),
                                None => format!(
                                    "Imported {name}: {frames} frames, checked into the lane “{user}”."
                                ),
                            };
                            drop(state);
                            notice.set(Some(message));
                        }
                        Err(error) => notice.set(Some(format!("Import failed: {error}"))),
                    }
                });
            }
        })
    };
    let export = {
        let store = store.clone();
        let notice = notice.clone();
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
            notice.set(Some(match result {
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
        let selected_frame = selected_frame.clone();
        let scroll_to = scroll_to.clone();
        Callback::from(move |seq: u64| {
            selected_frame.set(Some(seq));
            scroll_to.set(Some(seq));
        })
    };
    let select_flag = {
        let store = store.clone();
        let selected_flag = selected_flag.clone();
        let highlighted = highlighted.clone();
        let scroll_to = scroll_to.clone();
        let selected_frame = selected_frame.clone();
        Callback::from(move |id: FlagId| {
            let rows = store.state().flag_rows(id);
            if let Some(first) = rows.iter().next() {
                scroll_to.set(Some(*first));
                selected_frame.set(Some(*first));
            }
            highlighted.set(Rc::new(rows));
            selected_flag.set(Some(id));
        })
    };
    let select_user = {
        let selected_user = selected_user.clone();
        Callback::from(move |user: String| selected_user.set(Some(user)))
    };
    let on_settings = {
        let settings = settings.clone();
        Callback::from(move |next: Settings| settings.set(next))
    };
    let open_rules = {
        let rules_open = rules_open.clone();
        Callback::from(move |rule: Rule| rules_open.set(Some(Some(rule))))
    };

    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let dragging = dragging.clone();
        let import = import.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
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
        let notice = notice.clone();
        Callback::from(move |_: MouseEvent| notice.set(None))
    };

    html! {
        <div class={classes!("app", (*dragging).then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <Header {paused} {held} {kept} info={(*info).clone()} selected_user={shown_user.clone()}
                theme={settings.theme}
                on_pause={toggle_pause.clone()}
                on_clear={{ let store = store.clone(); Callback::from(move |()| store.dispatch(StoreAction::Apply(Action::Clear))) }}
                on_import={import}
                on_export={export}
                on_rules={{ let rules_open = rules_open.clone(); Callback::from(move |()| rules_open.set(Some(None))) }}
                on_theme={{ let settings = settings.clone(); Callback::from(move |()| { let mut next = (*settings).clone(); next.theme = next.theme.next(); settings.set(next); }) }} />
            if let Some(text) = &*notice {
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
                    <ConnectPanel settings={(*settings).clone()} default_url={(*default_url).clone()} demo={(*demo_status).clone()} on_change={on_settings} />
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
                        <StreamView store={(*store).clone()} selected={*selected_frame} highlighted={(*highlighted).clone()}
                            scroll_to={*scroll_to} on_select={select_frame} />
                        <div class="right">
                            <FlagList store={(*store).clone()} selected={*selected_flag} on_select={select_flag} on_rule={open_rules} />
                            if let Some(seq) = *selected_frame {
                                <FrameDetail store={(*store).clone()} {seq} on_close={close_all.clone()} />
                            }
                        </div>
                    </div>
                </main>
            </div>
            if let Some(rule) = *rules_open {
                <RulesDialog {rule} on_close={{ let rules_open = rules_open.clone(); Callback::from(move |()| rules_open.set(None)) }} />
            }
            if *dragging {
                <div class="drop-hint">{ "Drop a recording, HAR or frames file to check it offline" }</div>
            }
        </div>
    }
}
