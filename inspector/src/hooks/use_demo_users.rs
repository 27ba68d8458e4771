//! The simulated manager's demo users and its fault settings, fetched whenever the URL changes
//! or the demo users are switched on.

use yew::prelude::*;

use crate::browser::{self, DemoUser, ServerInfo};
use crate::components::connect_panel::DemoStatus;
use crate::settings;

/// What [`use_demo_users`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoUsers {
    /// The demo users (empty until fetched, or when not wanted).
    pub users: Vec<DemoUser>,
    /// Whether they were asked for, are being fetched, came, or could not be had.
    pub status: DemoStatus,
    /// The server's description (its faults), when it is `agentwire serve`.
    pub info: Option<ServerInfo>,
}

/// Fetches the server description of `url`'s origin, and its demo users when `wanted`.
#[hook]
pub fn use_demo_users(url: String, wanted: bool) -> DemoUsers {
    let users = use_state(Vec::<DemoUser>::new);
    let status = use_state(|| DemoStatus::Off);
    let info = use_state(|| None::<ServerInfo>);
    {
        let (users, status, info) = (users.clone(), status.clone(), info.clone());
        use_effect_with((url, wanted), move |(url, wanted)| {
            let origin = settings::http_origin(url);
            users.set(Vec::new());
            info.set(None);
            status.set(if *wanted { DemoStatus::Loading } else { DemoStatus::Off });
            if let Some(origin) = origin {
                let wanted = *wanted;
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(server) = browser::server_info(&origin).await {
                        info.set(Some(server));
                    }
                    if wanted {
                        match browser::demo_users(&origin).await {
                            Ok(found) => {
                                status.set(DemoStatus::Loaded(found.len()));
                                users.set(found);
                            }
                            Err(error) => status.set(DemoStatus::Unavailable(error)),
                        }
                    }
                });
            } else if *wanted {
                status
                    .set(DemoStatus::Unavailable(format!("`{url}` is not a ws:// or wss:// URL")));
            }
        });
    }
    DemoUsers { users: (*users).clone(), status: (*status).clone(), info: (*info).clone() }
}
