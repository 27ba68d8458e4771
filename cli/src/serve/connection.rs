//! One WebSocket connection, from the upgrade request to the close: subprotocol negotiation
//! before the upgrade, authentication after it, then the socket task that serves the client's
//! messages and the hub's frames. An October connection (docs/protocol.md §6) also runs the
//! handshake of [`handshake`] and sends cleanup frames after each run.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand::Rng;
use serde_json::Value;
use tokio::sync::mpsc;

use super::auth::{self, ClientSignals, Negotiation};
use super::handshake::{self, Handshake, Verdict};
use super::hold::LiveHold;
use super::listen::Slot;
use super::messages::{handle_client_message, resume_request};
use super::truth::HandshakeEvent;
use super::{Shared, faults, frames, hub, instant, now, unix_seconds};

/// Bytes read from a socket at a time.
const READ_BUFFER: usize = 4 * 1024;

/// The largest client message accepted; a larger one closes the connection (code 1009).
const MAX_CLIENT_MESSAGE: usize = 1 << 20;

/// The close code for a connection dropped for reading too slowly: 1013, "try again later"
/// (the truth file's `closed` record says the same).
const TOO_SLOW_CLOSE_CODE: u16 = 1013;

/// How long the `refuse_connections` fault refuses new connections.
const REFUSAL_WINDOW: Duration = Duration::from_secs(3);

/// Whether this connection attempt is refused before the upgrade (the `refuse_connections`
/// fault): inside a refusal window, or when this attempt starts one.
fn refusing(shared: &Shared) -> bool {
    let rate = shared.faults.rate(faults::FaultKind::RefuseConnections);
    let Ok(mut until) = shared.refuse_until.lock() else { return false };
    let now = instant();
    if until.is_some_and(|until| now < until) {
        return true;
    }
    let starts = rate > 0.0 && shared.fault_rng.lock().is_ok_and(|mut rng| rng.random_bool(rate));
    if starts {
        *until = Some(now + REFUSAL_WINDOW);
        if let Some(truth) = &shared.truth {
            truth.connection_fault(faults::FaultKind::RefuseConnections, "", None);
        }
        tracing::info!("fault: refusing new connections for {REFUSAL_WINDOW:?}");
    }
    starts
}

/// `GET /ws`: decides the profile (`--protocol`), negotiates the subprotocol before the
/// upgrade, then authenticates after it, as the manager does.
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Extension(slot): Extension<Arc<Slot>>,
    ws: WebSocketUpgrade,
) -> Response {
    if refusing(&shared) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "3")],
            "Service temporarily unavailable",
        )
            .into_response();
    }
    // The header may come as several lines (RFC 6455); read them as one list.
    let lines: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let offered = (!lines.is_empty()).then(|| lines.join(","));
    let offered = offered.as_deref();
    let query = query.unwrap_or_default();
    let signals = ClientSignals {
        offered,
        environment_header: headers.get("x-environment").and_then(|v| v.to_str().ok()),
        query_env: auth::query_param(&query, "env"),
    };
    let october = shared.protocol.october_for(&signals);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::bearer_token)
        .map(str::to_owned);
    let negotiation =
        if october { auth::negotiate_october(offered) } else { auth::negotiate(offered) };
    let (ws, token) = match negotiation {
        // The manager closes with 1003 before accepting: the client sees a failed handshake.
        Negotiation::Unsupported => {
            return (StatusCode::BAD_REQUEST, "No supported subprotocols").into_response();
        }
        Negotiation::NoHeader => (ws, None),
        Negotiation::Selected { protocol, token } => (ws.protocols([protocol]), token),
    };
    // The Authorization header is checked first, as the manager's unified handler does; an
    // October session falls back to `?token=` last.
    let query_token = october.then(|| auth::query_param(&query, "token")).flatten();
    let token = bearer.or(token).or(query_token.map(str::to_owned));
    // Clients send small JSON messages: a small read buffer keeps 1,000 idle connections cheap
    // (tungstenite's default is 128 KiB each), and a hostile client cannot make the server
    // buffer more than the 1 MiB the manager advertises (`/ws/config`).
    ws.read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            // The connection's place under the caps is held until the socket closes.
            let _slot = slot;
            connection(shared, socket, token, october).await;
        })
}

/// One connection, as the truth file names it.
#[derive(Clone, Copy)]
struct Peer<'a> {
    shared: &'a Shared,
    /// The authenticated user (`None` before authentication succeeded).
    user: Option<&'a str>,
    /// The connection's id in the hub.
    id: Option<u64>,
}

impl Peer<'_> {
    /// Sends one frame of this connection's own (not a run frame), recording it in the truth
    /// file; false when the socket is gone.
    async fn send(&self, socket: &mut WebSocket, frame: &Value) -> bool {
        self.send_text(socket, frame.to_string(), None).await
    }

    /// Like [`Peer::send`], for text (a replayed frame, with its sequence number).
    async fn send_text(&self, socket: &mut WebSocket, text: String, seq: Option<u64>) -> bool {
        if let Some(truth) = &self.shared.truth {
            truth.direct(self.user, self.id, seq, &text);
        }
        socket.send(Message::Text(Utf8Bytes::from(text))).await.is_ok()
    }

    /// Records a step of the October handshake in the truth file.
    fn record(&self, event: HandshakeEvent, thread_id: &str, named: Option<&str>) {
        if let (Some(truth), Some(user), Some(id)) = (&self.shared.truth, self.user, self.id) {
            truth.handshake(event, user, id, thread_id, named);
        }
    }
}

/// Closes the socket with `code` and `reason`.
async fn close(socket: &mut WebSocket, code: u16, reason: impl Into<Utf8Bytes>) {
    let close = CloseFrame { code, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(close))).await;
}

/// One authenticated (or refused) connection, from upgrade to close.
async fn connection(
    shared: Arc<Shared>,
    mut socket: WebSocket,
    token: Option<String>,
    october: bool,
) {
    let verified = match token.as_deref() {
        Some(token) => auth::verify(&shared.secret, token, unix_seconds(now())),
        None => Err(auth::AuthError::Missing),
    };
    let user = match verified {
        Ok(claims) => claims.sub,
        Err(error) => {
            tracing::info!(code = error.code(), "authentication failed");
            let message = format!(
                "WebSocket authentication failed. Supported formats: jwt.TOKEN, jwt-auth.TOKEN, bearer.TOKEN. Error: {error}"
            );
            let peer = Peer { shared: &shared, user: None, id: None };
            let _ = peer
                .send(&mut socket, &frames::error_message("AUTH_FAILED", &message, now()))
                .await;
            close(&mut socket, 1008, "Authentication failed").await;
            return;
        }
    };
    let id = shared.next_id();
    let connection_id =
        format!("main_{:08x}", (id ^ shared.seed).wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32);
    let (outbox, mut inbox) = mpsc::channel(hub::OUTBOX);
    // Joined at once, so no frame of the user is lost during an October handshake: the hub's
    // frames wait in the outbox until the handshake is complete.
    shared.hub.join(&user, id, outbox);
    tracing::info!(user, connection = %connection_id, october, "connected");
    let numbered = shared.hub.numbers_frames();
    let peer = Peer { shared: &shared, user: Some(&user), id: Some(id) };
    let established = if october {
        frames::connection_established_october(&user, &connection_id, numbered, now())
    } else {
        frames::connection_established(&user, &connection_id, numbered, now())
    };
    if peer.send(&mut socket, &established).await {
        let mut served = Served {
            shared: &shared,
            peer,
            user: &user,
            connection_id: &connection_id,
            handshake: None,
            hold: LiveHold::new(numbered, october, instant()),
            first_live_seq: None,
            replayed: None,
        };
        if !october || served.start_handshake(&mut socket).await {
            served.run(&mut socket, &mut inbox).await;
        }
    }
    shared.hub.leave(&user, id);
    tracing::info!(user, connection = %connection_id, "disconnected");
}

/// A connection being served, after authentication.
struct Served<'a> {
    shared: &'a Arc<Shared>,
    peer: Peer<'a>,
    user: &'a str,
    connection_id: &'a str,
    /// October only: the handshake (`None` in September).
    handshake: Option<Handshake>,
    /// With --seq: whether the hub's frames wait for a possible `resume`.
    hold: LiveHold,
    /// With --seq: the first numbered frame this connection sent live.
    first_live_seq: Option<u64>,
    /// With --seq: the frames already replayed by a `resume` (their live copies, still queued,
    /// are skipped).
    replayed: Option<(u64, u64)>,
}

/// Whether to go on serving a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// Go on.
    Continue,
    /// The connection is over (closed, failed, dropped or frozen).
    Stop,
}

impl Served<'_> {
    /// October: sends `handshake_response` with a new thread and starts waiting for the ack;
    /// false when the socket is gone.
    async fn start_handshake(&mut self, socket: &mut WebSocket) -> bool {
        let at = now();
        let thread_id = self.shared.mint_thread();
        let response = frames::handshake_response(
            &thread_id,
            &self.shared.mint_id("run_ws", at),
            &self.shared.mint_id("ws_req", at),
            at,
        );
        if !self.peer.send(socket, &response).await {
            return false;
        }
        self.peer.record(HandshakeEvent::ResponseSent, &thread_id, None);
        let deadline = instant() + self.shared.handshake_timeout;
        self.handshake = Some(Handshake::new(thread_id, deadline));
        true
    }

    /// Whether the hub's deliveries may go out: not before the October handshake is complete
    /// (a `drop_connection` or `freeze_connection` queued meanwhile waits in order with the
    /// frames, so it strikes after `handshake_complete` and the frames queued before it).
    fn may_deliver(&self) -> bool {
        self.handshake.as_ref().is_none_or(Handshake::is_complete)
    }

    /// Serves the connection until it ends.
    async fn run(&mut self, socket: &mut WebSocket, inbox: &mut mpsc::Receiver<hub::Delivery>) {
        let heartbeat_after = self.shared.heartbeat_after;
        let mut processed = 0u64;
        let mut silence = Box::pin(tokio::time::sleep(heartbeat_after));
        loop {
            let deadline = self.handshake.as_ref().and_then(Handshake::deadline);
            // With --seq, live frames wait for the client's first message (after the handshake
            // in October) or the end of a short grace ([`LiveHold`]), so a `resume` is answered
            // before any live frame and the client sees one increasing sequence.
            let release_at = self.hold.deadline();
            let flow = tokio::select! {
                () = sleep_until(release_at), if release_at.is_some() => {
                    self.hold.on_deadline();
                    Flow::Continue
                }
                () = sleep_until(deadline), if deadline.is_some() => {
                    self.handshake_timed_out(socket).await;
                    Flow::Stop
                }
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        processed += 1;
                        silence.as_mut().reset(instant() + heartbeat_after);
                        self.hold.on_client_message();
                        self.on_text(socket, text.as_str()).await
                    }
                    other => self.on_other(socket, other).await,
                },
                outgoing = inbox.recv(), if !self.hold.is_holding() && self.may_deliver() => {
                    // `None`: the hub dropped this connection (too slow); close it.
                    match outgoing {
                        Some(delivery) => self.on_delivery(socket, delivery).await,
                        None => {
                            self.too_slow(socket).await;
                            Flow::Stop
                        }
                    }
                }
                () = &mut silence => {
                    silence.as_mut().reset(instant() + heartbeat_after);
                    let beat = frames::heartbeat(self.connection_id, processed, now());
                    if self.peer.send(socket, &beat).await { Flow::Continue } else { Flow::Stop }
                }
            };
            if flow == Flow::Stop {
                return;
            }
        }
    }

    /// A client message that is not text: binary gets an error, a close or a failure ends the
    /// connection (saying why: 1009 for a message over the size limit, 1007 for text that is
    /// not UTF-8, 1002 for anything else refused).
    async fn on_other(
        &self,
        socket: &mut WebSocket,
        incoming: Option<Result<Message, axum::Error>>,
    ) -> Flow {
        match incoming {
            Some(Ok(Message::Binary(_))) => {
                let reply = frames::error_message(
                    "FORMAT_ERROR",
                    "Binary frames are not supported; send JSON text",
                    now(),
                );
                if self.peer.send(socket, &reply).await { Flow::Continue } else { Flow::Stop }
            }
            Some(Ok(Message::Close(_))) | None => Flow::Stop,
            Some(Err(error)) => {
                let (code, reason) = match error.into_inner().downcast_ref::<tungstenite::Error>() {
                    Some(tungstenite::Error::Capacity(_)) => (1009, "Message too big"),
                    Some(tungstenite::Error::Utf8(_)) => (1007, "Invalid UTF-8 in a text frame"),
                    _ => (1002, "Protocol error"),
                };
                close(socket, code, reason).await;
                Flow::Stop
            }
            Some(Ok(_)) => Flow::Continue,
        }
    }

    /// One text message of the client.
    async fn on_text(&mut self, socket: &mut WebSocket, text: &str) -> Flow {
        if let Some(handshake) = &mut self.handshake {
            let thread_id = handshake.thread_id().to_owned();
            match handshake.on_message(text) {
                Verdict::Process => {}
                Verdict::Acknowledged => {
                    self.peer.record(HandshakeEvent::Acknowledged, &thread_id, None);
                    // Sent from this task before the loop reads the outbox again: nothing can
                    // overtake it (§6 step 4).
                    let complete = frames::handshake_complete(&thread_id, now());
                    if !self.peer.send(socket, &complete).await {
                        return Flow::Stop;
                    }
                    self.peer.record(HandshakeEvent::CompleteSent, &thread_id, None);
                    // With --seq the client may `resume` now: the grace starts.
                    self.hold.on_handshake_complete(instant());
                    return Flow::Continue;
                }
                Verdict::WrongThread { named } => {
                    self.peer.record(HandshakeEvent::WrongThread, &thread_id, named.as_deref());
                    let message = format!(
                        "handshake_acknowledged names thread {}, but this connection's handshake thread is {thread_id}; still waiting for the acknowledgement",
                        named.as_deref().unwrap_or("(none)")
                    );
                    let reply = frames::error_message("HANDSHAKE_THREAD_MISMATCH", &message, now());
                    return self.reply(socket, &[reply]).await;
                }
                Verdict::Early { kind } => {
                    let message = format!(
                        "{} was not processed: acknowledge the handshake first (handshake_acknowledged with thread_id {thread_id})",
                        kind.as_deref().unwrap_or("the message")
                    );
                    let reply = frames::error_message("HANDSHAKE_INCOMPLETE", &message, now());
                    return self.reply(socket, &[reply]).await;
                }
            }
        }
        match resume_request(self.shared, text) {
            Some(Ok(last_seq)) => return self.resume(socket, last_seq).await,
            Some(Err(error)) => return self.reply(socket, &[error]).await,
            None => {}
        }
        let default_thread = self.handshake.as_ref().map(Handshake::thread_id);
        let replies = handle_client_message(self.shared, self.user, text, default_thread);
        self.reply(socket, &replies).await
    }

    /// Sends the connection's own frames, in order.
    async fn reply(&self, socket: &mut WebSocket, replies: &[Value]) -> Flow {
        for reply in replies {
            if !self.peer.send(socket, reply).await {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    /// Answers a `resume` (with --seq): the missed frames still held, then `resume_result`.
    async fn resume(&mut self, socket: &mut WebSocket, last_seq: u64) -> Flow {
        let replay = self.shared.hub.replay(self.user, last_seq, self.first_live_seq);
        let range = replay.frames.first().zip(replay.frames.last()).map(|(a, b)| (a.0, b.0));
        for (seq, frame) in replay.frames {
            if !self.peer.send_text(socket, frame, Some(seq)).await {
                return Flow::Stop;
            }
        }
        if self.first_live_seq.is_none() {
            // Their live copies may still be queued: skip exactly those.
            self.replayed = range;
        }
        let result = frames::resume_result(replay.from_seq, replay.to_seq, replay.complete, now());
        self.reply(socket, &[result]).await
    }

    /// One delivery from the hub.
    async fn on_delivery(&mut self, socket: &mut WebSocket, delivery: hub::Delivery) -> Flow {
        let (user, connection) = (self.user, self.connection_id);
        let (seq, frame) = match delivery {
            hub::Delivery::Frame(seq, frame) => (seq, frame),
            hub::Delivery::DropAbruptly => {
                // The `drop_connection` fault: go without a close frame (the client sees 1006).
                tracing::info!(user, connection, "fault: dropping the connection abruptly");
                return Flow::Stop;
            }
            hub::Delivery::Freeze => {
                tracing::info!(user, connection, "fault: freezing the connection");
                stay_frozen(socket).await;
                return Flow::Stop;
            }
            hub::Delivery::RunEnded { run_id, thread_id } => {
                if self.handshake.is_none() {
                    return Flow::Continue;
                }
                let cleanup = frames::cleanup(connection, &run_id, &thread_id, now());
                return self.reply(socket, &cleanup).await;
            }
        };
        if seq.zip(self.replayed).is_some_and(|(seq, (from, to))| (from..=to).contains(&seq)) {
            return Flow::Continue;
        }
        if self.first_live_seq.is_none() {
            self.first_live_seq = seq;
        }
        match socket.send(Message::Text(Utf8Bytes::from(frame))).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }

    /// No ack by the deadline: record it and close with 1002 ([`handshake::TIMEOUT_CLOSE_CODE`]).
    /// The hub dropped this connection for reading too slowly: what was queued before has
    /// been written; it is closed with 1013 (try again later) and a reason, so the client
    /// knows to reconnect and resume instead of seeing the stream stop with a bare TCP close.
    async fn too_slow(&self, socket: &mut WebSocket) {
        // The truth file recorded the drop when the hub made it.
        tracing::warn!(user = self.user, connection = self.connection_id, "closed a slow reader");
        let reason = format!(
            "too slow: more than {} frames waited for this connection; reconnect and resume",
            hub::OUTBOX
        );
        close(socket, TOO_SLOW_CLOSE_CODE, reason).await;
    }

    async fn handshake_timed_out(&self, socket: &mut WebSocket) {
        let thread_id = self.handshake.as_ref().map(Handshake::thread_id).unwrap_or_default();
        self.peer.record(HandshakeEvent::Timeout, thread_id, None);
        let seconds = self.shared.handshake_timeout.as_secs_f64();
        tracing::info!(user = self.user, connection = self.connection_id, "handshake timed out");
        close(socket, handshake::TIMEOUT_CLOSE_CODE, handshake::timeout_reason(seconds)).await;
    }
}

/// Waits until `deadline` (forever without one).
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The `freeze_connection` fault, once the connection's last frame before the freeze is sent:
/// nothing more goes out (no frames, heartbeats, replies, pongs or close frame) and everything
/// received is read and ignored, until the client closes the connection or it fails. The socket
/// then goes without a close frame.
///
/// Reading is what notices the client going. The one thing it still sends is the WebSocket
/// library's automatic answer to a *control* ping frame (browsers never send those; clients'
/// application-level `{"type":"ping"}` gets no `pong`).
async fn stay_frozen(socket: &mut WebSocket) {
    while let Some(Ok(message)) = socket.next().await {
        // A close from the client ends it at once: reading on would send the close reply.
        if matches!(message, Message::Close(_)) {
            return;
        }
    }
}
