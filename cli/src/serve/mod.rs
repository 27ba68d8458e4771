//! `agentwire serve`: a simulated manager that speaks the real manager's protocol
//! (manager-protocol.md) and serves the inspector page.
//!
//! ```text
//!  browser ──GET /ws (subprotocols jwt-auth, jwt.<token>)──► negotiate ─► upgrade ─► verify JWT
//!     ▲                                                                       │
//!     │  connection_established, pong, ack, heartbeat, error_message           ▼
//!     └──────────────── socket task ◄── outbox ◄── Hub (by user) ◄── run tasks (script.rs)
//! ```
//!
//! The pure parts live in [`auth`] (JWT, subprotocols), [`script`] (realistic runs) and
//! [`frames`] (the server's own frames); this module does the IO.

pub(crate) mod auth;
mod faults;
mod frames;
mod hub;
pub(crate) mod script;
mod truth;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agentwire::Timestamp;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clap::Args;
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower_http::services::ServeDir;

use auth::{Claims, Negotiation};
use hub::Hub;
use script::{RunSpec, Shapes};

/// Options of `agentwire serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Anything but loopback turns the /dev endpoints off unless --dev.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,

    /// Port to listen on; 0 picks a free port (printed at startup).
    #[arg(long, default_value_t = 8080)]
    port: u16,

    /// HS256 secret for verifying (and, in dev mode, minting) JWTs. The default is a published
    /// development secret: never use it where tokens matter.
    #[arg(long, value_name = "SECRET", default_value = auth::DEV_SECRET)]
    jwt_secret: String,

    /// Directory of the inspector page served at `/`.
    #[arg(long, value_name = "DIR", default_value = "www")]
    www: PathBuf,

    /// Seconds of client silence after which the server sends a `heartbeat` frame.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    heartbeat_after: f64,

    /// Speed of simulated runs: 1 is human-watchable (a run over a few seconds), 10 ten times
    /// faster.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,

    /// Frame shapes to mix in besides the canonical flat S3 one, comma-separated:
    /// `bridge` (S4 `data` wrapper), `payload` (the old `payload` wrapper), `reasoning` (the
    /// `type: "reasoning"` quirk), or `all`.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    shapes: Vec<ShapeName>,

    /// Seed of every random choice (runs, ids), for reproducible sessions.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Serve the /dev endpoints (tokens for any user) on a non-loopback address too. They are
    /// always on for loopback.
    #[arg(long)]
    dev: bool,

    /// Simulated demo users who start runs on their own, so a page has live traffic with no
    /// other setup. `GET /dev/users` lists them with tokens.
    #[arg(long, value_name = "N", default_value_t = 0)]
    users: usize,

    /// Number frames per user (agentwire's sequence extension): a root `seq` on every frame sent
    /// to the user, `features.seq` in `connection_established`, and `resume` replays what a
    /// client missed, followed by a `resume_result`.
    #[arg(long)]
    seq: bool,

    /// With --seq: seconds a user's frames are kept for `resume`.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    seq_keep: f64,

    /// Fault preset: `none` (default), `mild` (a few percent of runs get one fault of each kind,
    /// for demos) or `chaos`. Adjust single kinds with --fault.
    #[arg(long, value_name = "PRESET", default_value = "none", value_parser = faults::FaultRates::parse_preset)]
    faults: faults::FaultRates,

    /// One fault rate, as KIND=RATE (repeatable; overrides the preset). Kinds: drop, duplicate,
    /// duplicate_attempt, reorder, delay, skew_timestamp, cross_user, malformed (the chance that a
    /// run gets that fault), drop_connection (per run: drop one of the user's connections
    /// abruptly), freeze_connection (per run: one of the user's connections goes silent but stays
    /// open, a half-open connection; with --seq a client that reconnects and resumes misses
    /// nothing), refuse_connections (per connection attempt: refuse new connections with 503 for
    /// a few seconds).
    #[arg(long = "fault", value_name = "KIND=RATE")]
    fault: Vec<faults::FaultSetting>,

    /// The stall deadline the `delay` fault holds an event back beyond, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    stall_after: f64,

    /// Write the ground truth to FILE as JSON Lines: every frame sent to every connection, and
    /// every fault injected (kind, user, run, frame).
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,

    /// Mean seconds between two runs of one demo user (each wait is drawn between half and
    /// one and a half times this).
    #[arg(long, value_name = "SECS", default_value_t = 8.0)]
    run_every: f64,
}

/// What demo users ask for.
const DEMO_REQUESTS: [&str; 6] = [
    "Cut my GPU spend by 30%",
    "Why did our cloud bill jump in March?",
    "Forecast next quarter's storage costs",
    "Which instances can we rightsize?",
    "Summarise last week's cost anomalies",
    "Compare reserved and spot pricing for our training jobs",
];

/// The id of demo user `index`: UUID-shaped and fixed by the seed, like real user ids.
fn demo_user_id(seed: u64, index: usize) -> String {
    let mut rng = StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0xA076_1D64_78BD_642F));
    let (a, b, c) = (rng.random::<u32>(), rng.random::<u32>(), rng.random::<u64>());
    format!(
        "{a:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        b >> 16,
        b & 0xfff,
        0x8000 | (c >> 48) & 0x3fff,
        c & 0xffff_ffff_ffff
    )
}

/// A frame shape `--shapes` can mix in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ShapeName {
    /// The S4 bridge shape (`data` wrapper).
    Bridge,
    /// The old bridge shape (`payload` wrapper).
    Payload,
    /// `type: "reasoning"` for thinking events.
    Reasoning,
    /// All of the above.
    All,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// The address is taken or not ours.
    #[error("can't listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The page directory does not exist.
    #[error("no page to serve: {0} does not exist (run scripts/serve, or pass --www DIR)")]
    MissingPage(PathBuf),
    /// An option is out of range.
    #[error("{0}")]
    BadOption(&'static str),
    /// The ground-truth file can't be created.
    #[error("can't write the truth file {path}: {source}")]
    Truth {
        /// The file asked for.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The runtime or the server failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// With `--seq`, how long a new connection's live frames wait for a `resume`.
const RESUME_GRACE: Duration = Duration::from_millis(500);

/// The most runs one user can have in progress; more `start_agent`s are refused.
const MAX_ACTIVE_RUNS: usize = 8;

/// Bytes read from a socket at a time.
const READ_BUFFER: usize = 4 * 1024;

/// The largest client message accepted; a larger one closes the connection (code 1009).
const MAX_CLIENT_MESSAGE: usize = 1 << 20;

/// Everything the handlers share.
struct Shared {
    secret: Vec<u8>,
    heartbeat_after: Duration,
    speed: f64,
    shapes: Shapes,
    seed: u64,
    dev: bool,
    hub: Hub,
    /// Counter for connection, thread and run ids.
    next_id: AtomicU64,
    /// The demo users' ids.
    demo_users: Vec<String>,
    /// Fault rates (all zero by default).
    faults: faults::FaultRates,
    /// The stall deadline the `delay` fault goes beyond.
    stall_after_ms: u64,
    /// The ground-truth file, when asked for.
    truth: Option<truth::Truth>,
    /// New connections are refused (503) until then (the `refuse_connections` fault).
    refuse_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// Random choices of the fault injection that are not per run.
    fault_rng: std::sync::Mutex<StdRng>,
    /// Runs in progress, by user.
    active_runs: std::sync::Mutex<std::collections::HashMap<String, usize>>,
    /// Whether the server listens on a loopback address only.
    loopback_only: bool,
}

/// The server's clock: the one place `agentwire serve` reads the time.
#[allow(clippy::disallowed_methods, reason = "the server is IO code; the SDK core stays sans-IO")]
fn now() -> Timestamp {
    let since_epoch =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::from_unix_micros(i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX))
}

/// Whether the /dev endpoints (tokens for any user) are served: always on loopback, elsewhere
/// only when asked for explicitly.
fn dev_mode(host: IpAddr, explicitly: bool) -> bool {
    explicitly || host.is_loopback()
}

fn unix_seconds(now: Timestamp) -> u64 {
    u64::try_from(now.as_unix_micros() / 1_000_000).unwrap_or(0)
}

impl Shared {
    /// Whether the JWT secret is fit for this address: anything goes on loopback, elsewhere not
    /// the published development secret.
    fn dev_secret_ok(&self, host: IpAddr) -> bool {
        host.is_loopback() || self.secret != auth::DEV_SECRET.as_bytes()
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// `<prefix>_<ms>_<n>_<hex8>`, like the manager's `thread_ws_...` and `run_ws_...` ids.
    fn mint_id(&self, prefix: &str, now: Timestamp) -> String {
        let n = self.next_id();
        let tag = (n ^ self.seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        format!("{prefix}_{}_{n}_{tag:08x}", now.as_unix_micros() / 1000)
    }
}

/// Runs `agentwire serve` until Ctrl-C; the exit status.
pub(crate) fn run(args: ServeArgs) -> Result<(), ServeError> {
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        return Err(ServeError::BadOption("--speed must be a number greater than 0"));
    }
    // At most a day: beyond that a duration is a mistake, and sums of instants could overflow.
    let seconds = |value: f64| value.is_finite() && (0.0..=86_400.0).contains(&value);
    if !(args.heartbeat_after > 0.0 && seconds(args.heartbeat_after)) {
        return Err(ServeError::BadOption(
            "--heartbeat-after must be seconds above 0, at most a day",
        ));
    }
    if !seconds(args.seq_keep) {
        return Err(ServeError::BadOption("--seq-keep must be seconds, 0 up to a day"));
    }
    if !(args.stall_after > 0.0 && seconds(args.stall_after)) {
        return Err(ServeError::BadOption("--stall-after must be seconds above 0, at most a day"));
    }
    if !(args.run_every > 0.0 && seconds(args.run_every)) {
        return Err(ServeError::BadOption("--run-every must be seconds above 0, at most a day"));
    }
    if !args.www.is_dir() {
        return Err(ServeError::MissingPage(args.www));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    let all = args.shapes.contains(&ShapeName::All);
    let truth = match &args.truth {
        Some(path) => Some(
            truth::Truth::create(path)
                .map_err(|source| ServeError::Truth { path: path.clone(), source })?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared {
        secret: args.jwt_secret.into_bytes(),
        heartbeat_after: Duration::from_secs_f64(args.heartbeat_after),
        speed: args.speed,
        shapes: Shapes {
            bridge: all || args.shapes.contains(&ShapeName::Bridge),
            payload_wrapper: all || args.shapes.contains(&ShapeName::Payload),
            reasoning_quirk: all || args.shapes.contains(&ShapeName::Reasoning),
        },
        seed: args.seed,
        dev: dev_mode(args.host, args.dev),
        hub: Hub::new(args.seq.then(|| Duration::from_secs_f64(args.seq_keep))),
        next_id: AtomicU64::new(1),
        demo_users: (0..args.users).map(|index| demo_user_id(args.seed, index)).collect(),
        faults: args.faults.with_overrides(&args.fault),
        stall_after_ms: (args.stall_after * 1000.0) as u64,
        truth,
        refuse_until: std::sync::Mutex::new(None),
        fault_rng: std::sync::Mutex::new(StdRng::seed_from_u64(args.seed ^ 0x5DEE_CE66_D1CE_4E5B)),
        active_runs: std::sync::Mutex::new(std::collections::HashMap::new()),
        loopback_only: args.host.is_loopback(),
    });
    let shared_faults_off = shared.faults.is_none();
    if shared.hub.numbers_frames() {
        let sweeper = Arc::clone(&shared);
        let every = Duration::from_secs_f64((args.seq_keep / 2.0).clamp(1.0, 60.0));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let held = sweeper.hub.sweep();
                tracing::debug!(held, "expired old frames");
            }
        });
    }
    if !shared.dev_secret_ok(args.host) {
        tracing::warn!(
            "listening on {} with the published development JWT secret: anyone can mint tokens; pass --jwt-secret",
            args.host
        );
    }
    for (index, user) in shared.demo_users.iter().enumerate() {
        tokio::spawn(demo_traffic(Arc::clone(&shared), user.clone(), index, args.run_every));
    }
    let app = Router::new()
        .route("/ws", get(upgrade))
        .route("/dev/token", get(dev_token))
        .route("/dev/users", get(dev_users))
        .route("/dev/info", get(dev_info))
        .fallback_service(ServeDir::new(&args.www))
        .with_state(shared);
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })?;
    let local = listener.local_addr()?;
    // The one line scripts and tests read: keep its shape.
    #[allow(clippy::print_stdout, reason = "the startup line is the command's output")]
    {
        println!("agentwire serve: listening on http://{local}/ (WebSocket: ws://{local}/ws)");
    }
    tracing::info!(%local, www = %args.www.display(), faults = !shared_faults_off, "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await?;
    Ok(())
}

/// Whether a request may use the /dev endpoints: dev mode, and, when the server is bound to
/// loopback only, a loopback `Host` (so a web page on another domain that resolves to
/// 127.0.0.1, a DNS rebinding attack, cannot mint tokens).
fn dev_allowed(shared: &Shared, headers: &HeaderMap) -> bool {
    if !shared.dev {
        return false;
    }
    if !shared.loopback_only {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    is_loopback_host(host)
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A demo user's own activity: a new run every `run_every` seconds on average, forever.
async fn demo_traffic(shared: Arc<Shared>, user: String, index: usize, run_every: f64) {
    let mut rng = StdRng::seed_from_u64(
        shared.seed.wrapping_add(index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
    );
    loop {
        let wait = run_every * rng.random_range(0.5..1.5);
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        let request =
            DEMO_REQUESTS.get(rng.random_range(0..DEMO_REQUESTS.len())).copied().unwrap_or("Help");
        let _ = start_run(&shared, &user, None, request.to_owned());
    }
}

/// A token valid for a day.
fn day_token(shared: &Shared, user: &str) -> String {
    let issued = unix_seconds(now());
    let claims = Claims {
        sub: user.to_owned(),
        exp: Some(issued + 24 * 3600),
        iat: Some(issued),
        nbf: None,
    };
    auth::mint(&shared.secret, &claims)
}

/// `GET /dev/users`: the demo users, each with a token (dev mode only).
async fn dev_users(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let users: Vec<Value> = shared
        .demo_users
        .iter()
        .map(|user| json!({"user_id": user, "token": day_token(&shared, user)}))
        .collect();
    Json(Value::Array(users)).into_response()
}

/// `GET /dev/info`: what this simulated manager does, so a page can say so: the fault preset
/// (`none`, `mild`, `chaos` or `custom`) with every active fault kind and its rate, whether
/// frames are numbered (`--seq`), and how many demo users run (dev mode only).
async fn dev_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(json!({
        "faults": shared.faults.preset_name(),
        "fault_rates": shared.faults.active(),
        "seq": shared.hub.numbers_frames(),
        "users": shared.demo_users.len(),
    }))
    .into_response()
}

/// Query of `GET /dev/token`.
#[derive(serde::Deserialize)]
struct TokenQuery {
    user: String,
}

/// `GET /dev/token?user=ID`: a token for any user (dev mode only).
async fn dev_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    if !dev_allowed(&shared, &headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if query.user.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "user must not be empty").into_response();
    }
    let token = day_token(&shared, &query.user);
    Json(json!({"user_id": query.user, "token": token})).into_response()
}

/// How long the `refuse_connections` fault refuses new connections.
const REFUSAL_WINDOW: Duration = Duration::from_secs(3);

/// Whether this connection attempt is refused before the upgrade (the `refuse_connections`
/// fault): inside a refusal window, or when this attempt starts one.
fn refusing(shared: &Shared) -> bool {
    let rate = shared.faults.rate(faults::FaultKind::RefuseConnections);
    let Ok(mut until) = shared.refuse_until.lock() else { return false };
    let now = tokio::time::Instant::now();
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

/// `GET /ws`: negotiates the subprotocol before the upgrade, then authenticates after it, as
/// the manager does.
async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
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
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::bearer_token)
        .map(str::to_owned);
    let (ws, token) = match auth::negotiate(offered) {
        // The manager closes with 1003 before accepting: the client sees a failed handshake.
        Negotiation::Unsupported => {
            return (StatusCode::BAD_REQUEST, "No supported subprotocols").into_response();
        }
        Negotiation::NoHeader => (ws, None),
        Negotiation::Selected { protocol, token } => (ws.protocols([protocol]), token),
    };
    // The Authorization header is checked first, as the manager's unified handler does.
    let token = bearer.or(token);
    // Clients send small JSON messages: a small read buffer keeps 1,000 idle connections cheap
    // (tungstenite's default is 128 KiB each), and a hostile client cannot make the server
    // buffer more than the 1 MiB the manager advertises (`/ws/config`).
    ws.read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| connection(shared, socket, token))
}

/// Sends one frame; false when the socket is gone.
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
}

/// One authenticated (or refused) connection, from upgrade to close.
async fn connection(shared: Arc<Shared>, mut socket: WebSocket, token: Option<String>) {
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
            let close =
                CloseFrame { code: 1008, reason: Utf8Bytes::from_static("Authentication failed") };
            let _ = socket.send(Message::Close(Some(close))).await;
            return;
        }
    };
    let id = shared.next_id();
    let connection_id =
        format!("main_{:08x}", (id ^ shared.seed).wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32);
    let (outbox, mut inbox) = mpsc::channel(hub::OUTBOX);
    shared.hub.join(&user, id, outbox);
    tracing::info!(user, connection = %connection_id, "connected");
    let numbered = shared.hub.numbers_frames();
    let peer = Peer { shared: &shared, user: Some(&user), id: Some(id) };
    if peer
        .send(&mut socket, &frames::connection_established(&user, &connection_id, numbered, now()))
        .await
    {
        serve_connection(&shared, peer, &mut socket, &mut inbox, &user, &connection_id).await;
    }
    shared.hub.leave(&user, id);
    tracing::info!(user, connection = %connection_id, "disconnected");
}

async fn serve_connection(
    shared: &Arc<Shared>,
    peer: Peer<'_>,
    socket: &mut WebSocket,
    inbox: &mut mpsc::Receiver<hub::Delivery>,
    user: &str,
    connection_id: &str,
) {
    let mut processed = 0u64;
    let mut silence = Box::pin(tokio::time::sleep(shared.heartbeat_after));
    // With --seq: the first numbered frame this connection sent live, and the last one already
    // replayed by a `resume` (its live copy, still queued, is skipped).
    let mut first_live_seq: Option<u64> = None;
    let mut replayed: Option<(u64, u64)> = None;
    // With --seq, live frames wait until the client's first message (or a short grace period),
    // so a `resume` sent right after `connection_established` is answered before any live frame
    // and the client sees one increasing sequence.
    let mut holding = shared.hub.numbers_frames();
    let grace = tokio::time::sleep(RESUME_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
                    () = &mut grace, if holding => holding = false,
                    incoming = socket.next() => {
                        let text = match incoming {
                            Some(Ok(Message::Text(text))) => text,
                            Some(Ok(Message::Binary(_))) => {
                                let reply = frames::error_message("FORMAT_ERROR", "Binary frames are not supported; send JSON text", now());
                                if !peer.send(socket, &reply).await { return; }
                                continue;
                            }
                            Some(Ok(Message::Close(_))) | None => return,
                            Some(Err(error)) => {
                                // Say why before going: 1009 for a message over the size limit, 1007
                                // for text that is not UTF-8, 1002 for anything else refused.
        let (code, reason) = match error.into_inner().downcast_ref::<tungstenite::Error>() {
                                    Some(tungstenite::Error::Capacity(_)) => (1009, "Message too big"),
                                    Some(tungstenite::Error::Utf8(_)) => (1007, "Invalid UTF-8 in a text frame"),
                                    _ => (1002, "Protocol error"),
                                };
                                let close = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
                                let _ = socket.send(Message::Close(Some(close))).await;
                                return;
                            }
                            Some(Ok(_)) => continue,
                        };
                        processed += 1;
                        silence.as_mut().reset(tokio::time::Instant::now() + shared.heartbeat_after);
                        holding = false;
                        if let Some(last_seq) = resume_request(shared, text.as_str()) {
                            let replay = shared.hub.replay(user, last_seq, first_live_seq);
                            let range = replay.frames.first().zip(replay.frames.last()).map(|(a, b)| (a.0, b.0));
                            for (seq, frame) in replay.frames {
                                if !peer.send_text(socket, frame, Some(seq)).await { return; }
                            }
                            if first_live_seq.is_none() {
                                // Their live copies may still be queued: skip exactly those.
                                replayed = range;
                            }
                            let result = frames::resume_result(replay.from_seq, replay.to_seq, replay.complete, now());
                            if !peer.send(socket, &result).await { return; }
                            continue;
                        }
                        for reply in handle_client_message(shared, user, text.as_str()) {
                            if !peer.send(socket, &reply).await { return; }
                        }
                    }
                    outgoing = inbox.recv(), if !holding => {
                        // `None`: the hub dropped this connection (too slow); close it.
                        let Some(delivery) = outgoing else { return };
                        let (seq, frame) = match delivery {
                            hub::Delivery::Frame(seq, frame) => (seq, frame),
                            hub::Delivery::DropAbruptly => {
                                // The `drop_connection` fault: go without a close frame (the client sees 1006).
                                tracing::info!(user, connection = %connection_id, "fault: dropping the connection abruptly");
                                return;
                            }
                            hub::Delivery::Freeze => {
                                tracing::info!(user, connection = %connection_id, "fault: freezing the connection");
                                stay_frozen(socket).await;
                                return;
                            }
                        };
                        if seq.zip(replayed).is_some_and(|(seq, (from, to))| (from..=to).contains(&seq)) {
                            continue;
                        }
                        if first_live_seq.is_none() {
                            first_live_seq = seq;
                        }
                        if socket.send(Message::Text(Utf8Bytes::from(frame))).await.is_err() { return; }
                    }
                    () = &mut silence => {
                        silence.as_mut().reset(tokio::time::Instant::now() + shared.heartbeat_after);
                        if !peer.send(socket, &frames::heartbeat(connection_id, processed, now())).await { return; }
                    }
                }
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

/// The manager's aliases for client message types (`types.LEGACY_MESSAGE_TYPE_MAP`).
fn canonical_client_type(kind: &str) -> &str {
    match kind {
        "chat_message" | "message" | "user" | "user_input" | "chat" => "user_message",
        "execute_agent" | "EXECUTE_AGENT" => "start_agent",
        "typing" => "user_typing",
        other => other,
    }
}

/// With `--seq`, the `last_seq` of a `resume` message (`payload.last_seq`, or at the root).
/// Without it, `resume` is an unknown type like any other and gets the manager's `ack`.
fn resume_request(shared: &Shared, text: &str) -> Option<u64> {
    if !shared.hub.numbers_frames() {
        return None;
    }
    let message = serde_json::from_str::<Value>(text).ok()?;
    if message.get("type").and_then(Value::as_str) != Some("resume") {
        return None;
    }
    let body = message.get("payload").unwrap_or(&message);
    Some(body.get("last_seq").and_then(Value::as_u64).unwrap_or(0))
}

/// The server's replies to one client message (runs it starts are sent through the hub).
fn handle_client_message(shared: &Arc<Shared>, user: &str, text: &str) -> Vec<Value> {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return vec![frames::error_message("JSON_PARSE_ERROR", "Invalid JSON format", now())];
    };
    let Some(kind) = message.get("type").and_then(Value::as_str) else {
        return vec![frames::error_message(
            "FORMAT_ERROR",
            "Message must be a JSON object with a string `type`",
            now(),
        )];
    };
    // The body is `payload` when that key exists, otherwise the whole message (§3.2).
    let body = message.get("payload").unwrap_or(&message);
    let text_of = |keys: &[&str]| {
        keys.iter()
            .find_map(|key| body.get(*key)?.as_str().filter(|s| !s.is_empty()))
            .map(str::to_owned)
    };
    let thread_id = text_of(&["thread_id"]);
    match canonical_client_type(kind) {
        "user_message" => match text_of(&["content", "text", "message"]) {
            Some(request) => start_run(shared, user, thread_id, request),
            None => vec![frames::error_message(
                "AGENT_REQUEST_ERROR",
                "user_message needs `content`",
                now(),
            )],
        },
        "start_agent" => {
            let query = body.get("request").and_then(|r| r.get("query")).and_then(Value::as_str);
            match text_of(&["user_request", "content", "text"]).or(query.map(str::to_owned)) {
                Some(request) => start_run(shared, user, thread_id, request),
                None => vec![frames::error_message(
                    "AGENT_REQUEST_ERROR",
                    "start_agent needs `user_request`",
                    now(),
                )],
            }
        }
        "ping" => vec![frames::pong(user, now())],
        "heartbeat" => vec![frames::heartbeat_ack(now())],
        "pong" | "heartbeat_ack" => vec![],
        "connect" => vec![frames::system_ack("connected", user, now())],
        "disconnect" => vec![frames::system_ack("disconnect_acknowledged", user, now())],
        "user_typing" | "typing_started" | "typing_stopped" => {
            vec![frames::system_ack("typing_acknowledged", user, now())]
        }
        other => vec![frames::ack(other, user, now())],
    }
}

/// The `drop` faults at the positions `at` accepts: each consumes the sequence number its frame
/// would have had (with `--seq`, so the client sees the gap) and is recorded.
fn lose_dropped_frames(
    shared: &Shared,
    user: &str,
    injected: &[faults::InjectedFault],
    at: impl Fn(usize) -> bool,
) {
    for fault in injected.iter().filter(|f| f.kind == faults::FaultKind::Drop && at(f.index)) {
        let _ = shared.hub.skip_seq(user);
        if let Some(truth) = &shared.truth {
            truth.fault(user, fault);
        }
    }
}

/// Counts a user's runs in progress, up to [`MAX_ACTIVE_RUNS`]; the count drops when this does.
struct ActiveRun {
    shared: Arc<Shared>,
    user: String,
}

impl ActiveRun {
    fn start(shared: &Arc<Shared>, user: &str) -> Option<ActiveRun> {
        let mut active = shared.active_runs.lock().ok()?;
        let count = active.entry(user.to_owned()).or_default();
        if *count >= MAX_ACTIVE_RUNS {
            return None;
        }
        *count += 1;
        Some(ActiveRun { shared: Arc::clone(shared), user: user.to_owned() })
    }
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        if let Ok(mut active) = self.shared.active_runs.lock() {
            if let Some(count) = active.get_mut(&self.user) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    active.remove(&self.user);
                }
            }
        }
    }
}

/// Sends one frame of a run to every connection of its user (and, for the `cross_user` fault, a
/// copy to another connected user), recording it in the truth file. Whether a copy leaked.
fn deliver_run_frame(shared: &Shared, user: &str, frame: &faults::Outgoing, pick: usize) -> bool {
    let sent = shared.hub.send_to_user(user, &frame.text);
    if let Some(truth) = &shared.truth {
        truth.frame(user, &sent, &frame.text, frame.fault);
    }
    if !frame.also_to_other_user {
        return false;
    }
    let parsed = serde_json::from_str::<Value>(&frame.text).ok();
    let thread_id = parsed.as_ref().and_then(|v| v.get("thread_id")).and_then(Value::as_str);
    let Some(other) = shared.hub.other_user(user, thread_id, pick) else { return false };
    let leaked = shared.hub.send_to_user(&other, &frame.text);
    if let Some(truth) = &shared.truth {
        truth.leak(user, &other, &leaked, &frame.text);
    }
    true
}

/// Starts a simulated run for `user`; its frames go to every connection of the user.
fn start_run(
    shared: &Arc<Shared>,
    user: &str,
    thread_id: Option<String>,
    request: String,
) -> Vec<Value> {
    let start = now();
    let thread_id = thread_id.unwrap_or_else(|| shared.mint_id("thread_ws", start));
    let run_id = shared.mint_id("run_ws", start);
    let request_id = shared.mint_id("ws_req", start);
    // Each run has its own generator, derived from the seed and the run's number, so a run's
    // content does not depend on how tasks interleave.
    let mut rng =
        StdRng::seed_from_u64(shared.seed ^ shared.next_id().wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let spec = RunSpec {
        user_id: user,
        thread_id: &thread_id,
        run_id: &run_id,
        request_id: &request_id,
        request: &request,
    };
    let script = script::script_run(&mut rng, &spec, &shared.shapes, start, shared.speed);
    let (outgoing, injected) =
        faults::apply_to_run(&mut rng, script, &shared.faults, shared.stall_after_ms);
    tracing::info!(user, run = %run_id, frames = outgoing.len(), faults = injected.len(), "run started");
    let drop_connection = rng.random_bool(shared.faults.rate(faults::FaultKind::DropConnection));
    let pick = rng.random_range(0..1024usize);
    // Drawn after every other choice of the run, so it changes none of them.
    let freeze_connection =
        rng.random_bool(shared.faults.rate(faults::FaultKind::FreezeConnection));
    let Some(active) = ActiveRun::start(shared, user) else {
        let message = format!("{MAX_ACTIVE_RUNS} runs are already in progress for this user");
        return vec![frames::error_message("AGENT_REQUEST_ERROR", &message, now())];
    };
    let shared = Arc::clone(shared);
    let user = user.to_owned();
    tokio::spawn(async move {
        let _active = active;
        // `drop_connection` and `freeze_connection` strike mid-run, after the middle frame; a run
        // that drew both only drops (a dropped connection can't also freeze).
        let drop_after = drop_connection.then_some(outgoing.len() / 2);
        let freeze_after = (freeze_connection && !drop_connection).then_some(outgoing.len() / 2);
        let total = outgoing.len();
        for (index, frame) in outgoing.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(frame.delay_ms)).await;
            lose_dropped_frames(&shared, &user, &injected, |at| at == index);
            let leaked = deliver_run_frame(&shared, &user, frame, pick);
            // Faults are recorded when they happen, not when planned: a leak needs another
            // connected user to happen at all.
            for fault in
                injected.iter().filter(|f| f.index == index && f.kind != faults::FaultKind::Drop)
            {
                if fault.kind == faults::FaultKind::CrossUser && !leaked {
                    continue;
                }
                if let Some(truth) = &shared.truth {
                    truth.fault(&user, fault);
                }
            }
            if drop_after == Some(index) {
                if let Some(connection) = shared.hub.drop_one_connection(&user, pick) {
                    if let Some(truth) = &shared.truth {
                        truth.connection_fault(
                            faults::FaultKind::DropConnection,
                            &user,
                            Some(connection),
                        );
                    }
                }
            }
            if freeze_after == Some(index) {
                if let Some(connection) = shared.hub.freeze_one_connection(&user, pick) {
                    if let Some(truth) = &shared.truth {
                        truth.connection_fault(
                            faults::FaultKind::FreezeConnection,
                            &user,
                            Some(connection),
                        );
                    }
                }
            }
        }
        lose_dropped_frames(&shared, &user, &injected, |at| at >= total);
    });
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_endpoints_are_on_for_loopback_and_off_elsewhere_unless_asked_for() {
        assert!(dev_mode(IpAddr::V4(Ipv4Addr::LOCALHOST), false));
        assert!(dev_mode("::1".parse().unwrap(), false));
        assert!(!dev_mode(IpAddr::V4(Ipv4Addr::UNSPECIFIED), false));
        assert!(!dev_mode("192.0.2.10".parse().unwrap(), false));
        assert!(dev_mode(IpAddr::V4(Ipv4Addr::UNSPECIFIED), true));
    }

    #[test]
    fn the_published_dev_secret_is_only_fit_for_loopback() {
        let shared = |secret: &str| Shared {
            secret: secret.as_bytes().to_vec(),
            heartbeat_after: Duration::from_secs(1),
            speed: 1.0,
            shapes: Shapes::default(),
            seed: 1,
            dev: false,
            hub: Hub::new(None),
            next_id: AtomicU64::new(1),
            demo_users: vec![],
            faults: faults::FaultRates::default(),
            stall_after_ms: 30_000,
            truth: None,
            refuse_until: std::sync::Mutex::new(None),
            fault_rng: std::sync::Mutex::new(StdRng::seed_from_u64(1)),
            active_runs: std::sync::Mutex::new(std::collections::HashMap::new()),
            loopback_only: false,
        };
        let public = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        assert!(shared(auth::DEV_SECRET).dev_secret_ok(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!shared(auth::DEV_SECRET).dev_secret_ok(public));
        assert!(shared("a real secret").dev_secret_ok(public));
    }

    #[test]
    fn only_loopback_host_headers_count_as_loopback() {
        for host in ["127.0.0.1:8080", "localhost", "LOCALHOST:1", "[::1]:8080", "127.3.4.5"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in
            ["evil.example:8080", "", "10.0.0.1:80", "[2001:db8::1]:80", "localhost.evil.example"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn demo_user_ids_are_uuid_shaped_distinct_and_fixed_by_the_seed() {
        let ids: Vec<String> = (0..50).map(|index| demo_user_id(7, index)).collect();
        for id in &ids {
            let parts: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
        }
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 50);
        assert_eq!(demo_user_id(7, 3), ids[3]);
        assert_ne!(demo_user_id(8, 3), ids[3]);
    }

    #[test]
    fn client_type_aliases_follow_the_managers_legacy_map() {
        for alias in ["chat_message", "message", "user", "user_input", "chat"] {
            assert_eq!(canonical_client_type(alias), "user_message");
        }
        assert_eq!(canonical_client_type("execute_agent"), "start_agent");
        assert_eq!(canonical_client_type("typing"), "user_typing");
        assert_eq!(canonical_client_type("session_restore"), "session_restore");
    }
}
