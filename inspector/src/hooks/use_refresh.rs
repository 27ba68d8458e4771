//! Renders what live callbacks changed, at most ten times a second, and tells the state the
//! time once a second (for last-event ages, frames per second and retry countdowns).

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::browser;
use crate::state::Action;
use crate::store::{Store, StoreAction};

/// How often a dirty state is rendered, in milliseconds.
pub const REFRESH_MS: u32 = 100;

/// See the [module documentation](self).
#[hook]
pub fn use_refresh(store: UseReducerHandle<Store>) {
    use_effect_with((), move |()| {
        let ticks = std::cell::Cell::new(0u32);
        let sink = store.sink();
        let interval = Interval::new(REFRESH_MS, move || {
            let count = ticks.get().wrapping_add(1);
            ticks.set(count);
            if count % (1_000 / REFRESH_MS) == 0 {
                sink.apply(Action::Tick(browser::now()));
            }
            if store.is_dirty() {
                store.dispatch(StoreAction::Refresh);
            }
        });
        move || drop(interval)
    });
}
