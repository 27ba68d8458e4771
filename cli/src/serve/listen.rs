//! Accepting connections without letting anyone hold the server hostage.
//!
//! Our own accept loop over hyper rather than `axum::serve`, which exposes none of these:
//!
//! * **a header-read timeout** (hyper's, [`Limits::header_read`]): a connection that sends no
//!   request, or only part of its head, is closed, as is one left idle between keep-alive
//!   requests (the timer runs again for each request head);
//! * **a cap on concurrent connections**, in all and per client address, counting WebSocket
//!   connections until they close. Past it, a connection gets a short `503` with `Retry-After`
//!   and the reason, and is closed. The total cap stays below the process's open-file limit, so
//!   `accept` itself does not run out of descriptors in normal operation;
//! * **accept errors with a back-off**: when `accept` fails for lack of resources (EMFILE,
//!   ENFILE, ENOBUFS, ENOMEM) the loop waits, doubling from 10 ms to 1 s, instead of retrying at
//!   once; one warning per episode, not one per attempt.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// Descriptors kept free for everything else the server opens (the truth file, static files).
const RESERVED_FILES: usize = 64;

/// The first and the longest wait after `accept` failed for lack of resources.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// How long a refused connection may take to read its `503` before it is dropped.
const REFUSAL_WRITE: Duration = Duration::from_secs(1);

/// What one server accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Connections at once, in all (HTTP and WebSocket).
    pub(crate) total: usize,
    /// Connections at once from one client address.
    pub(crate) per_address: usize,
    /// How long a request head may take to arrive, from the connection's start or the end of
    /// the previous request.
    pub(crate) header_read: Duration,
}

impl Limits {
    /// The total cap that fits the process's open-file limit: the limit less a reserve, or
    /// `wanted` when that is lower.
    pub(crate) fn total_within_open_files(wanted: Option<usize>) -> usize {
        let fitting = open_file_limit().map_or(1024, |limit| limit.saturating_sub(RESERVED_FILES));
        wanted.map_or(fitting, |wanted| wanted.min(fitting)).max(1)
    }
}

/// The soft limit on open files (Linux: `/proc/self/limits`); `None` where it can't be read.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connections open now, in all and by client address.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One connection's place under the caps, given back when the last clone is dropped (the HTTP
/// connection, and the WebSocket that may follow it, each hold one).
#[derive(Debug)]
pub(crate) struct Slot {
    counts: Arc<Mutex<Counts>>,
    address: IpAddr,
}

impl Slot {
    /// A place for a connection from `address`, or why there is none.
    fn take(counts: &Arc<Mutex<Counts>>, address: IpAddr, limits: &Limits) -> Result<Slot, String> {
        let mut guard = counts.lock().map_err(|_| "server state unavailable".to_owned())?;
        let Counts { total, by_address } = &mut *guard;
        if *total >= limits.total {
            return Err(format!("the server has {} connections open, its limit", limits.total));
        }
        let from_address = by_address.entry(address).or_insert(0);
        if *from_address >= limits.per_address {
            return Err(format!(
                "{address} has {} connections open, the limit per address",
                limits.per_address
            ));
        }
        *from_address += 1;
        *total += 1;
        Ok(Slot { counts: Arc::clone(counts), address })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.total = counts.total.saturating_sub(1);
            if let Some(count) = counts.by_address.get_mut(&self.address) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.by_address.remove(&self.address);
                }
            }
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves. Every request
/// carries its connection's [`Slot`] (as an `Arc` extension), which the WebSocket upgrade keeps
/// for the socket's life.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut backoff: Option<Duration> = None;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                if backoff.take().is_some() {
                    tracing::info!("accepting connections again");
                }
                accepted
            }
            Err(error) if is_out_of_resources(&error) => {
                let wait =
                    backoff.map_or(ACCEPT_BACKOFF.0, |wait| (wait * 2).min(ACCEPT_BACKOFF.1));
                if backoff.is_none() {
                    tracing::warn!(%error, "accept failed for lack of resources; backing off");
                }
                backoff = Some(wait);
                tokio::time::sleep(wait).await;
                continue;
            }
            // A connection that failed before it was accepted (reset, aborted): the next one.
            Err(error) => {
                tracing::debug!(%error, "accept failed");
                continue;
            }
        };
        match Slot::take(&counts, peer.ip(), &limits) {
            Ok(slot) => {
                tokio::spawn(serve_connection(stream, app.clone(), Arc::new(slot), limits));
            }
            Err(reason) => {
                tracing::warn!(%peer, %reason, "refused a connection");
                tokio::spawn(refuse(stream, reason));
            }
        }
    }
}

/// Whether `accept` failed because the process or the system is out of something that only
/// time (connections closing) gives back.
fn is_out_of_resources(error: &io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM (Linux numbering; elsewhere the kind is enough).
    matches!(error.raw_os_error(), Some(24 | 23 | 105 | 12))
        || matches!(error.kind(), io::ErrorKind::OutOfMemory)
}

/// One HTTP/1.1 connection (and its upgrade) through hyper, with the header-read timeout.
async fn serve_connection(stream: TcpStream, app: Router, slot: Arc<Slot>, limits: Limits) {
    let app = app.layer(axum::Extension(slot));
    let service = TowerToHyperService::new(app);
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended");
    }
}

/// Answers a connection over the caps with a `503` saying why, then closes it.
async fn refuse(mut stream: TcpStream, reason: String) {
    let body = format!("too many connections: {reason}; try again later\n");
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_WRITE, stream.write_all(response.as_bytes())).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_in_all_and_per_address_and_given_back_on_drop() {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let limits = Limits { total: 3, per_address: 2, header_read: Duration::from_secs(1) };
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = Slot::take(&counts, a, &limits).unwrap();
        let second = Slot::take(&counts, a, &limits).unwrap();
        let refused = Slot::take(&counts, a, &limits).unwrap_err();
        assert!(refused.contains("limit per address"), "{refused}");
        let third = Slot::take(&counts, b, &limits).unwrap();
        let refused = Slot::take(&counts, b, &limits).unwrap_err();
        assert!(refused.contains("its limit"), "{refused}");
        drop(first);
        let again = Slot::take(&counts, a, &limits).unwrap();
        drop((second, third, again));
        let counts = counts.lock().unwrap();
        assert_eq!((counts.total, counts.by_address.len()), (0, 0));
    }

    #[test]
    fn the_total_cap_stays_below_the_open_file_limit() {
        let fitting = Limits::total_within_open_files(None);
        assert!(fitting >= 1);
        if let Some(limit) = open_file_limit() {
            assert!(fitting <= limit, "{fitting} > {limit}");
            assert_eq!(Limits::total_within_open_files(Some(usize::MAX)), fitting);
        }
        assert_eq!(Limits::total_within_open_files(Some(5)), 5.min(fitting));
    }
}
