//! Load benchmark for `agentwire serve`, on loopback only: holds N authenticated connections
//! (one user each), keeps one run going per connection at full speed, and reports frames/s
//! delivered plus the server process's CPU time and resident memory (from /proc).
//!
//! ```sh
//! cargo build --release -p agentwire-cli --bins --examples   # --bins: the server it starts
//! ulimit -n 16384   # two sockets per connection live in this machine's process table
//! target/release/examples/serve_load 1000 10
//! ```
//! Arguments: connections (default 1000), seconds of measurement (default 10). The same run also
//! measures 10 connections first, as the baseline the 1,000-connection numbers are compared with.
//! `AGENTWIRE_LOAD_IDLE=1` opens idle connections only; `AGENTWIRE_LOAD_ADDR=HOST:PORT` targets a
//! server that is already running (for example under a heap profiler; its CPU and memory are then
//! not read).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    if let Ok(address) = std::env::var("AGENTWIRE_LOAD_ADDR") {
        // An already running server (for example under a profiler); it is not stopped.
        let child = Command::new("sleep").arg("86400").spawn().unwrap();
        return Server { child, address };
    }
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().and_then(|examples| examples.parent()).unwrap().join("agentwire");
    let www = std::env::temp_dir().join(format!("agentwire-load-www-{}", std::process::id()));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "load").unwrap();
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0", "--speed", "10000", "--heartbeat-after", "3600", "--www"])
        .arg(&www)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("build the agentwire binary first: cargo build --release -p agentwire-cli");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address =
        line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    Server { child, address }
}

/// CPU seconds (user + system) and resident memory in MB of a process, from /proc.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, rss_kb / 1024.0)
}

async fn token(address: &str, user: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /dev/token?user={user} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let start = response.find("\"token\":\"").unwrap() + 9;
    let end = response[start..].find('"').unwrap() + start;
    response[start..end].to_owned()
}

/// Opens `connections` connections, runs them for `seconds`, and prints one result line.
async fn measure(server: &Server, connections: usize, seconds: u64, label: &str) {
    let (cpu_before, rss_before) = usage(server.child.id());
    let frames = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for index in 0..connections {
        let address = server.address.clone();
        let (frames, ready, stop) = (Arc::clone(&frames), Arc::clone(&ready), Arc::clone(&stop));
        let label = label.to_owned();
        tasks.push(tokio::spawn(async move {
            let token = token(&address, &format!("{label}-user-{index}")).await;
            let mut request = format!("ws://{address}/ws").into_client_request().unwrap();
            let protocols = format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(&token));
            request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            socket.next().await; // connection_established
            ready.fetch_add(1, Ordering::Relaxed);
            let start = r#"{"type":"start_agent","payload":{"user_request":"load"}}"#;
            if std::env::var("AGENTWIRE_LOAD_IDLE").is_ok() {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                return;
            }
            socket.send(Message::Text(start.into())).await.unwrap();
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        frames.fetch_add(1, Ordering::Relaxed);
                        // Keep one run going: start the next when the supervisor finishes.
                        if text.contains(r#""type":"agent_completed""#)
                            && text.contains(r#""agent_name":"supervisor""#)
                        {
                            socket.send(Message::Text(start.into())).await.unwrap();
                        }
                    }
                    Ok(Some(Ok(_))) | Err(_) => {}
                    Ok(_) => break,
                }
            }
        }));
    }
    while ready.load(Ordering::Relaxed) < connections as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (cpu_open, rss_open) = usage(server.child.id());
    if std::env::var("AGENTWIRE_LOAD_IDLE").is_ok() {
        println!(
            "{label:>5} idle connections: {connections:>5} | server RSS {rss_open:.1} MB ({:.1} KB each)",
            (rss_open - rss_before) * 1024.0 / connections as f64
        );
    }
    let counted_from = frames.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = frames.load(Ordering::Relaxed) - counted_from;
    let (cpu_after, rss_after) = usage(server.child.id());
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    println!(
        "{label:>5} connections held: {connections:>5} | frames delivered: {:>9.0}/s | server CPU: {:>4.0}% of a core | server RSS: {:>6.1} MB ({:+.1} MB for the connections, {:.1} KB each) | setup CPU {:.2} s",
        delivered as f64 / elapsed,
        (cpu_after - cpu_open) / elapsed * 100.0,
        rss_after,
        rss_open - rss_before,
        (rss_open - rss_before) * 1024.0 / connections as f64,
        cpu_open - cpu_before,
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let connections: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let seconds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let baseline = start_server();
    measure(&baseline, 10, seconds, "base").await;
    drop(baseline);
    let server = start_server();
    measure(&server, connections, seconds, "load").await;
}
