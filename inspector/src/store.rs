//! The state as Yew sees it: [`State`] behind a shared cell, and a generation that changes
//! whenever it does, so components re-render.
//!
//! Live frames arrive far more often than a page should re-render (20 users at 100 frames/s is
//! 2,000 per second), so SDK callbacks apply their actions straight to the shared state and mark
//! it dirty ([`Sink::apply`]); a 100 ms timer ([`crate::hooks::use_refresh`]) turns a
//! dirty state into one [`StoreAction::Refresh`]. The user's own actions (pause, filter, import)
//! go through the reducer and render at once.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use yew::Reducible;

use crate::state::{Action, State};

/// The inspector's state for Yew: cheap to clone, equal while nothing changed.
#[derive(Clone)]
pub struct Store {
    state: Rc<RefCell<State>>,
    dirty: Rc<Cell<bool>>,
    /// Actions a sink got while the state was borrowed, applied before the next one.
    deferred: Rc<RefCell<Vec<Action>>>,
    generation: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            state: Rc::new(RefCell::new(State::default())),
            dirty: Rc::new(Cell::new(false)),
            deferred: Rc::default(),
            generation: 0,
        }
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && Rc::ptr_eq(&self.state, &other.state)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// What the reducer does.
#[derive(Debug)]
pub enum StoreAction {
    /// Apply a state action and render.
    Apply(Action),
    /// Render what a [`Sink`] changed.
    Refresh,
}

impl Reducible for Store {
    type Action = StoreAction;

    fn reduce(self: Rc<Self>, action: StoreAction) -> Rc<Self> {
        if let StoreAction::Apply(action) = action {
            self.sink().apply(action);
        }
        self.dirty.set(false);
        Rc::new(Store {
            state: Rc::clone(&self.state),
            dirty: Rc::clone(&self.dirty),
            deferred: Rc::clone(&self.deferred),
            generation: self.generation.wrapping_add(1),
        })
    }
}

impl Store {
    /// The state, to read while rendering.
    pub fn state(&self) -> Ref<'_, State> {
        self.state.borrow()
    }

    /// A number that changes whenever the state does (for components that render from it).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether something changed since the last render.
    pub fn is_dirty(&self) -> bool {
        self.dirty.get()
    }

    /// A handle that applies actions quietly, for callbacks that outlive a render.
    pub fn sink(&self) -> Sink {
        Sink {
            state: Rc::clone(&self.state),
            dirty: Rc::clone(&self.dirty),
            deferred: Rc::clone(&self.deferred),
        }
    }
}

/// Applies actions to the shared state and marks it dirty, without rendering: the next
/// refresh shows them.
#[derive(Clone)]
pub struct Sink {
    state: Rc<RefCell<State>>,
    dirty: Rc<Cell<bool>>,
    /// Actions that arrived while the state was borrowed, applied with the next one.
    deferred: Rc<RefCell<Vec<Action>>>,
}

impl Sink {
    /// Applies an action; the next refresh renders it.
    pub fn apply(&self, action: Action) {
        // Callbacks never run during a render (one thread, separate tasks), so the state is
        // free here. Should it ever be borrowed, the action waits for the next one instead of
        // panicking or being lost.
        let Ok(mut state) = self.state.try_borrow_mut() else {
            self.deferred.borrow_mut().push(action);
            return;
        };
        self.apply_deferred(&mut state);
        state.apply(action);
        self.dirty.set(true);
    }

    /// Applies the actions that arrived while the state was borrowed, in order.
    fn apply_deferred(&self, state: &mut State) {
        let mut deferred = self.deferred.borrow_mut();
        if !deferred.is_empty() {
            for earlier in deferred.drain(..) {
                state.apply(earlier);
            }
            self.dirty.set(true);
        }
    }

    /// The index the next frame of `user`'s lane gets ([`State::next_frame`]), with every
    /// action applied. Asked when a connection starts, never while the state is borrowed.
    pub fn next_frame(&self, user: &str) -> u64 {
        let Ok(mut state) = self.state.try_borrow_mut() else { return 0 };
        self.apply_deferred(&mut state);
        state.next_frame(user)
    }
}
