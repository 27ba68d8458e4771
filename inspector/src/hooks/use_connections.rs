//! One SDK client per user: what the page wants connected (a URL and users with tokens) is
//! reconciled with what is connected whenever it changes. Each client's session events become
//! [`Action::Session`]s on the shared state.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use std::time::Duration;

use agentwire::session::ClosedReason;
use agentwire::{
    Client, ClientOptions, ConnectionState, SessionConfig, SessionEvent, Subscription,
};
use yew::prelude::*;

use crate::browser;
use crate::state::Action;
use crate::store::Sink;

/// A user to connect, with the token to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The user id (the lane's name).
    pub user: String,
    /// The token.
    pub token: String,
}

impl std::fmt::Debug for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Wanted").field("user", &self.user).finish_non_exhaustive()
    }
}

struct Connection {
    url: String,
    token: String,
    stall_after: Duration,
    // Dropped together: the subscription first, then the client (which closes its socket).
    _subscription: Subscription,
    _client: Client,
}

/// The session settings of every inspector client: repeats are delivered too (the stream shows
/// every frame; the checker has flagged them already), and runs stall after `stall_after`.
fn session_config(stall_after: Duration) -> SessionConfig {
    let mut config = SessionConfig { deliver_duplicates: true, ..SessionConfig::default() };
    config.checker.stall_after = stall_after;
    config
}

fn connect(
    sink: &Sink,
    url: &str,
    stall_after: Duration,
    wanted: &Wanted,
) -> Result<Connection, String> {
    let mut session = session_config(stall_after);
    // The lane may already show frames of an earlier connection: number on from them.
    session.checker.first_frame = sink.next_frame(&wanted.user);
    let options =
        ClientOptions { token: Some(wanted.token.clone()), session, ..ClientOptions::default() };
    let client = Client::connect(url, options).map_err(|error| error.to_string())?;
    let sink = sink.clone();
    let user = wanted.user.clone();
    let subscription = client.on_session_event(move |event| {
        sink.apply(Action::Session {
            user: user.clone(),
            at: browser::now(),
            event: event.clone(),
        });
    });
    Ok(Connection {
        url: url.to_owned(),
        token: wanted.token.clone(),
        stall_after,
        _subscription: subscription,
        _client: client,
    })
}

/// See the [module documentation](self). `stall_after_ms` is the live checker's stall deadline;
/// `on_error` hears why a connection could not start (an invalid URL).
#[hook]
pub fn use_connections(
    sink: Sink,
    url: String,
    users: Vec<Wanted>,
    stall_after_ms: u64,
    on_error: Callback<String>,
) {
    let live: Rc<RefCell<HashMap<String, Connection>>> = use_mut_ref(HashMap::new);
    {
        let live = Rc::clone(&live);
        use_effect_with((url, users, stall_after_ms), move |(url, users, stall_after_ms)| {
            let stall_after = Duration::from_millis(*stall_after_ms);
            let mut live = live.borrow_mut();
            live.retain(|user, connection| {
                let keep = connection.url == *url
                    && connection.stall_after == stall_after
                    && users.iter().any(|w| w.user == *user && w.token == connection.token);
                if !keep {
                    // Its subscription goes with it, so the lane would go on saying "open":
                    // say that the page closed it.
                    let closed = ConnectionState::Closed {
                        reason: ClosedReason::Client,
                        unsent: Vec::new(),
                    };
                    sink.apply(Action::Session {
                        user: user.clone(),
                        at: browser::now(),
                        event: SessionEvent::State(closed),
                    });
                }
                keep
            });
            for wanted in users {
                if live.contains_key(&wanted.user) {
                    continue;
                }
                match connect(&sink, url, stall_after, wanted) {
                    Ok(connection) => {
                        live.insert(wanted.user.clone(), connection);
                    }
                    Err(error) => on_error.emit(format!("{}: {error}", wanted.user)),
                }
            }
        });
    }
    use_effect_with((), move |()| move || live.borrow_mut().clear());
}
