//! Importing files: each one opened with the SDK's capture reader, then read and checked a
//! chunk at a time with a render in between, so the page stays responsive and shows the first
//! frames of a large file at once.

use yew::prelude::*;

use crate::browser;
use crate::page::{Page, PageAction};
use crate::state::{Action, Unreadable, parse_capture, refuse_size};
use crate::store::{Store, StoreAction};

/// Records read and checked between two renders while importing a file.
const IMPORT_CHUNK: usize = 2_000;

/// A callback that imports the files it is given, each into its own lane (selected), and says
/// how it went in the page's notice.
#[hook]
pub fn use_import(
    store: UseReducerHandle<Store>,
    page: UseReducerHandle<Page>,
) -> Callback<Vec<web_sys::File>> {
    Callback::from(move |files: Vec<web_sys::File>| {
        for file in files {
            let (store, page) = (store.clone(), page.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let notice = import(&store, &page, &file).await;
                page.dispatch(PageAction::Notify(notice));
            });
        }
    })
}

/// Imports one file; returns what the page should say about it.
async fn import(
    store: &UseReducerHandle<Store>,
    page: &UseReducerHandle<Page>,
    file: &web_sys::File,
) -> String {
    let name = file.name();
    if let Some(refusal) = refuse_size(&name, file.size()) {
        return format!("Import failed: {refusal}");
    }
    let opened = browser::read_file(file)
        .await
        .and_then(|bytes| parse_capture(&name, bytes).map_err(|error| format!("{name}: {error}")));
    let import = match opened {
        Ok(import) => import,
        Err(error) => return format!("Import failed: {error}"),
    };
    let user = import.user.clone();
    store.dispatch(StoreAction::Apply(Action::BeginImport(import)));
    page.dispatch(PageAction::SelectUser(user.clone()));
    while store.state().import_progress().is_some_and(|progress| progress.user == user) {
        store.dispatch(StoreAction::Apply(Action::ContinueImport(IMPORT_CHUNK)));
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    let state = store.state();
    let lane = state.lane_by_user(&user);
    match lane.and_then(|lane| lane.unreadable()) {
        Some(broken) => broken_notice(&name, broken),
        None => {
            let frames = lane.map_or(0, |lane| lane.frames_received());
            format!("Imported {name}: {frames} frames, checked into the lane “{user}”.")
        }
    }
}

/// What the page says of a file that became unreadable half-way.
fn broken_notice(name: &str, broken: &Unreadable) -> String {
    let place = broken.line.map(|line| format!(" at line {line}")).unwrap_or_default();
    format!(
        "{name} became unreadable{place}: {}. The {} records before it were checked and are shown; flags the rest would have raised are unknown.",
        broken.error, broken.records
    )
}
