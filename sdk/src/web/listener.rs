//! A DOM event listener that is removed when dropped, and a count of the browser resources the
//! SDK holds (sockets, timers, listeners), so tests can prove a dropped client frees them.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::EventTarget;

thread_local! {
    static LIVE_SOCKETS: Cell<i64> = const { Cell::new(0) };
    static LIVE_TIMERS: Cell<i64> = const { Cell::new(0) };
    static LIVE_LISTENERS: Cell<i64> = const { Cell::new(0) };
}

/// How many sockets, timers and DOM listeners the SDK currently holds (for leak tests).
#[doc(hidden)]
#[must_use]
pub fn live_resources() -> [i64; 3] {
    [LIVE_SOCKETS.get(), LIVE_TIMERS.get(), LIVE_LISTENERS.get()]
}

/// Which resource counter to move.
#[derive(Clone, Copy)]
pub(crate) enum Resource {
    Socket,
    Timer,
}

/// Counts one live resource for as long as it exists.
pub(crate) struct Counted(Resource);

impl Counted {
    pub(crate) fn new(resource: Resource) -> Self {
        counter(resource, 1);
        Counted(resource)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        counter(self.0, -1);
    }
}

fn counter(resource: Resource, delta: i64) {
    match resource {
        Resource::Socket => LIVE_SOCKETS.set(LIVE_SOCKETS.get() + delta),
        Resource::Timer => LIVE_TIMERS.set(LIVE_TIMERS.get() + delta),
    }
}

/// An event listener on `target`, removed on drop. The closure is owned here, never leaked.
/// Rust front ends built on the SDK use it too (the inspector's keyboard shortcuts); every live
/// one is counted in [`live_resources`].
pub struct Listener<E: 'static> {
    target: EventTarget,
    kind: &'static str,
    // `Fn`, not `FnMut`: a handler may run again before it returns (a socket that dispatches
    // its `close` or a reply from inside `close()` or `send()`, as test doubles do), which
    // wasm-bindgen refuses for an `FnMut` closure with an exception.
    closure: Closure<dyn Fn(E)>,
}

impl<E: wasm_bindgen::convert::FromWasmAbi + 'static> Listener<E> {
    /// Listens for `kind` on `target`. Returns `None` if the browser refused (it never does
    /// for valid targets; the SDK then simply goes without that signal).
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl Fn(E) + 'static,
    ) -> Option<Self> {
        let closure = Closure::<dyn Fn(E)>::new(handler);
        target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref()).ok()?;
        LIVE_LISTENERS.set(LIVE_LISTENERS.get() + 1);
        Some(Listener { target: target.clone(), kind, closure })
    }
}

impl<E: 'static> Drop for Listener<E> {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
        LIVE_LISTENERS.set(LIVE_LISTENERS.get() - 1);
    }
}
