//! `agentwire serve`: a simulated manager that speaks the real manager's protocol
//! (docs/protocol.md) and serves the inspector page.
//!
//! ```text
//!  browser ──GET /ws (subprotocols jwt-auth, jwt.<token>)──► negotiate ─► upgrade ─► verify JWT
//!     ▲                                                                       │
//!     │  connection_established, pong, ack, heartbeat, error_message           ▼
//!     └──────────────── socket task ◄── outbox ◄── Hub (by user) ◄── run tasks (runs.rs)
//! ```
//!
//! `--protocol` picks the generation per connection: September 2025 (the diagram above) or
//! October 2025 (docs/protocol.md §6: env-tagged subprotocols, then the [`handshake`]
//! before any hub frame, and cleanup frames after each run).
//!
//! The pure parts live in [`auth`] (JWT, subprotocols), [`script`] (realistic runs),
//! [`faults`] (fault configuration, and injection into scripted runs), [`spelling`] (the October
//! field names), [`handshake`] (its state machine), [`hold`] (when live frames wait for a
//! `resume`) and [`frames`] (the server's own frames); [`connection`], [`runs`], [`messages`] and
//! [`dev`] do the IO, and [`clock`] is the one place that reads the time.

pub(crate) mod auth;
mod clock;
mod connection;
mod dev;
mod faults;
mod files;
mod frames;
mod handshake;
mod hold;
mod hub;
mod listen;
mod messages;
mod runs;
pub(crate) mod script;
mod spelling;
mod truth;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agentwire::Timestamp;
use axum::Router;
use axum::routing::get;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use clock::{instant, now};
use hub::Hub;
use script::Shapes;

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
    /// `type: "reasoning"` quirk), `all` (those three), and `oct` (the October 2025 field
    /// spellings: `thought`, `tool`, `input`, `output`/`result`, `retry_info`, `llm_validation`,
    /// `agents_involved`, and the `system_message` wrapper; never part of `all`, name it:
    /// `--shapes all,oct`).
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

    /// Manager generation to speak: `sept` (September 2025, every client), `oct` (October 2025,
    /// docs/protocol.md §6, every client: env-tagged and raw-JWT subprotocols, `?token=`,
    /// the handshake, cleanup frames after each run) or `auto`: October for a client that offers
    /// an env-tagged subprotocol (`jwt.<env>.<JWT>`, env development|local|staging|production),
    /// sends an `X-Environment` header or an `env=` query parameter, September for the rest.
    #[arg(long, value_name = "PROFILE", value_enum, default_value_t = ProtocolSetting::Auto)]
    protocol: ProtocolSetting,

    /// October sessions: seconds the server waits for `handshake_acknowledged` after sending
    /// `handshake_response`; then it closes the connection with 1002 (protocol error, so clients
    /// retry) "handshake not acknowledged within SECS s".
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    handshake_timeout: f64,

    /// Mean seconds between two runs of one demo user (each wait is drawn between half and
    /// one and a half times this).
    #[arg(long, value_name = "SECS", default_value_t = 8.0)]
    run_every: f64,

    /// Connections at once, HTTP and WebSocket [default: the open-file limit less 64].
    ///
    /// Past it a new connection gets a 503 with Retry-After and is closed. Never above the
    /// open-file limit less 64, so the server does not run out of descriptors.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    max_connections: Option<usize>,

    /// Connections at once from one client address.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(usize))]
    max_connections_per_address: usize,

    /// Seconds a client may take to send a request's head (from connecting, or after its
    /// previous request): a connection that sends nothing, or only part of a request, is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    header_timeout: f64,
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
    /// The October 2025 field spellings and `system_message` wrapper (§6).
    Oct,
    /// The September shapes: bridge, payload and reasoning (not `oct`, so seeded `--shapes all`
    /// sessions stay what they were; name `oct` to add it).
    All,
}

/// The shapes `--shapes` names: `all` is the September ones, `oct` only when named.
fn shapes_from(names: &[ShapeName]) -> Shapes {
    let all = names.contains(&ShapeName::All);
    Shapes {
        bridge: all || names.contains(&ShapeName::Bridge),
        payload_wrapper: all || names.contains(&ShapeName::Payload),
        reasoning_quirk: all || names.contains(&ShapeName::Reasoning),
        october: names.contains(&ShapeName::Oct),
    }
}

/// Which manager generation `agentwire serve` speaks (`--protocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProtocolSetting {
    /// September 2025 (the backend at aebb16f77) for every client.
    Sept,
    /// October 2025 (docs/protocol.md §6) for every client.
    Oct,
    /// October for a client that shows it speaks it, September for the rest.
    Auto,
}

impl ProtocolSetting {
    /// Whether a client sending `signals` gets an October session.
    pub(crate) fn october_for(self, signals: &auth::ClientSignals<'_>) -> bool {
        match self {
            ProtocolSetting::Sept => false,
            ProtocolSetting::Oct => true,
            ProtocolSetting::Auto => signals.speak_october(),
        }
    }

    /// The option's value, as `/dev/info` reports it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ProtocolSetting::Sept => "sept",
            ProtocolSetting::Oct => "oct",
            ProtocolSetting::Auto => "auto",
        }
    }
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
    /// Which generation each client gets (`--protocol`).
    protocol: ProtocolSetting,
    /// October sessions: how long the server waits for `handshake_acknowledged`.
    handshake_timeout: Duration,
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

    /// `thread_<hex16>`: the thread an October handshake assigns, distinct for every call and
    /// fixed by the seed.
    fn mint_thread(&self) -> String {
        let n = self.next_id();
        format!("thread_{:016x}", (n ^ self.seed).wrapping_mul(0x9E37_79B9_7F4A_7C15))
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
    if !(args.handshake_timeout > 0.0 && seconds(args.handshake_timeout)) {
        return Err(ServeError::BadOption(
            "--handshake-timeout must be seconds above 0, at most a day",
        ));
    }
    if !(args.run_every > 0.0 && seconds(args.run_every)) {
        return Err(ServeError::BadOption("--run-every must be seconds above 0, at most a day"));
    }
    if !(args.header_timeout > 0.0 && seconds(args.header_timeout)) {
        return Err(ServeError::BadOption(
            "--header-timeout must be seconds above 0, at most a day",
        ));
    }
    if args.max_connections == Some(0) || args.max_connections_per_address == 0 {
        return Err(ServeError::BadOption("connection limits must be at least 1"));
    }
    if !args.www.is_dir() {
        return Err(ServeError::MissingPage(args.www));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<(), ServeError> {
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
        shapes: shapes_from(&args.shapes),
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
        protocol: args.protocol,
        handshake_timeout: Duration::from_secs_f64(args.handshake_timeout),
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
        tokio::spawn(runs::demo_traffic(Arc::clone(&shared), user.clone(), index, args.run_every));
    }
    let app = Router::new()
        .route("/ws", get(connection::upgrade))
        .merge(dev::routes())
        .fallback_service(files::router(&args.www)?)
        .with_state(shared);
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Bind { address, source })?;
    let local = listener.local_addr()?;
    // Listening for Ctrl-C starts before the startup line: a SIGINT sent as soon as a script
    // reads that line must shut the server down cleanly, not kill it.
    let shutdown = shutdown_signal()?;
    // The one line scripts and tests read: keep its shape.
    #[allow(clippy::print_stdout, reason = "the startup line is the command's output")]
    {
        println!("agentwire serve: listening on http://{local}/ (WebSocket: ws://{local}/ws)");
    }
    let limits = listen::Limits {
        total: listen::Limits::total_within_open_files(args.max_connections),
        per_address: args.max_connections_per_address,
        header_read: Duration::from_secs_f64(args.header_timeout),
    };
    tracing::info!(%local, www = %args.www.display(), faults = !shared_faults_off, ?limits, "serving");
    listen::serve(listener, app, limits, shutdown).await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT). The handler is installed by this call, not when the future is
/// first polled (as `tokio::signal::ctrl_c` would), so no signal is missed in between.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        interrupt.recv().await;
        tracing::info!("shutting down");
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
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
            protocol: ProtocolSetting::Auto,
            handshake_timeout: Duration::from_secs(10),
        };
        let public = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        assert!(shared(auth::DEV_SECRET).dev_secret_ok(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!shared(auth::DEV_SECRET).dev_secret_ok(public));
        assert!(shared("a real secret").dev_secret_ok(public));
    }

    #[test]
    fn shapes_all_means_the_september_shapes_and_oct_is_named_explicitly() {
        let september =
            Shapes { bridge: true, payload_wrapper: true, reasoning_quirk: true, october: false };
        assert_eq!(shapes_from(&[ShapeName::All]), september, "`all` leaves out `oct`");
        assert_eq!(
            shapes_from(&[ShapeName::Bridge, ShapeName::Payload, ShapeName::Reasoning]),
            september
        );
        assert_eq!(
            shapes_from(&[ShapeName::All, ShapeName::Oct]),
            Shapes { october: true, ..september }
        );
        assert_eq!(shapes_from(&[ShapeName::Oct]), Shapes { october: true, ..Shapes::default() });
        assert_eq!(shapes_from(&[]), Shapes::default());
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
}
