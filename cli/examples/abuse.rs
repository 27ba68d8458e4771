//! The attacks of issue 13 against a fresh `agentwire serve`, on loopback only, as a table:
//! attack, tried, held. Run by `scripts/bench-abuse`, which writes the table with the `check`
//! inputs' one.
//!
//! ```sh
//! cargo build --release -p agentwire-cli --bins --examples
//! target/release/examples/abuse
//! ```
//!
//! The server runs with `ulimit -n 256`, `--seq`, `--max-connections-per-address 40` and
//! `--header-timeout 2`. Each attack counts as held when the server refused it the documented
//! way (a close code, an error frame, a 404 or 503) and a normal client was still served.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![allow(clippy::indexing_slicing, reason = "JSON lookups on values the server sent")]
#![allow(clippy::disallowed_methods, reason = "an attack measures wall time")]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SECRET: &str = "abuse-secret";

struct Server {
    child: Child,
    pid: u32,
    address: String,
    www: std::path::PathBuf,
    outside: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.www);
        let _ = std::fs::remove_dir_all(&self.outside);
    }
}

fn start_server() -> Server {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().and_then(|examples| examples.parent()).unwrap().join("agentwire");
    let base = std::env::temp_dir().join(format!("agentwire-abuse-{}", std::process::id()));
    let (www, outside) = (base.join("www"), base.join("outside"));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(www.join("index.html"), "page").unwrap();
    std::fs::write(outside.join("secret.txt"), "SECRET-OUTSIDE").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, www.join("leak")).unwrap();
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\""])
        .arg(binary)
        .args(["serve", "--port", "0", "--seq", "--speed", "10000", "--jwt-secret", SECRET])
        .args(["--users", "1", "--run-every", "0.01"])
        .args(["--max-connections-per-address", "40", "--header-timeout", "2", "--www"])
        .arg(&www)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("build the agentwire binary first: cargo build --release -p agentwire-cli");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address =
        line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    let pid = child.id();
    Server { child, pid, address, www, outside: base }
}

/// An HS256 JWT with `header` and `claims`, signed with `key` (unsigned when `None`).
fn jwt(header: &Value, claims: &Value, key: Option<&str>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.map_or_else(String::new, |key| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    });
    format!("{input}.{signature}")
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

async fn connect_from(source: &str, address: &str) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse::<SocketAddr>().unwrap())?;
    socket.connect(address.parse().unwrap()).await
}

/// A raw HTTP GET from `source`: the status and the body.
async fn get(source: &str, address: &str, path: &str) -> (u16, String) {
    let Ok(mut stream) = connect_from(source, address).await else { return (0, String::new()) };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return (0, String::new());
    }
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, reply)
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A WebSocket from `source` offering `jwt-auth, jwt.<base64url(token)>`.
async fn websocket(source: &str, address: &str, token: &str) -> Option<Socket> {
    let stream = connect_from(source, address).await.ok()?;
    let mut request = format!("ws://{address}/ws").into_client_request().ok()?;
    let protocols = format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(token));
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().ok()?);
    tokio_tungstenite::client_async(request, stream).await.ok().map(|(socket, _)| socket)
}

/// The next text frame as JSON, or the close code as `{"close": code}`, within 5 s.
async fn next(socket: &mut Socket) -> Value {
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                }
                Some(Ok(Message::Close(frame))) => {
                    return json!({"close": frame.map(|f| u16::from(f.code))});
                }
                Some(Ok(_)) => {}
                _ => return json!({"close": null}),
            }
        }
    })
    .await;
    read.unwrap_or(json!({"timeout": true}))
}

/// Whether a token is refused: no `connection_established` on its socket.
async fn refused(address: &str, token: &str) -> bool {
    let Some(mut socket) = websocket("127.0.0.3", address, token).await else { return true };
    next(&mut socket).await["type"] != json!("connection_established")
}

struct Row {
    attack: String,
    tried: usize,
    held: usize,
}

async fn jwt_attacks(address: &str) -> Row {
    let now = unix_now();
    let claims = json!({"sub": "victim", "exp": now + 600});
    let hs = json!({"alg": "HS256", "typ": "JWT"});
    let valid = jwt(&hs, &claims, Some(SECRET));
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut tokens: Vec<String> = ["none", "None", "NONE", "nOnE"]
        .iter()
        .flat_map(|alg| {
            let header = json!({"alg": alg, "typ": "JWT"});
            [jwt(&header, &claims, None), jwt(&header, &claims, Some(SECRET))]
        })
        .collect();
    tokens.push(jwt(&hs, &claims, Some("wrong-secret")));
    tokens.push(format!("{head}.{}.", rest.split_once('.').unwrap().0));
    tokens.push(format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(json!({"sub": "admin", "exp": now + 600}).to_string())
    ));
    tokens.push(jwt(&hs, &json!({"sub": "victim", "exp": now - 60}), Some(SECRET)));
    tokens.push(jwt(
        &hs,
        &json!({"sub": "victim", "exp": now + 600, "nbf": now + 3600}),
        Some(SECRET),
    ));
    tokens.push(jwt(&json!({"alg": "HS512"}), &claims, Some(SECRET)));
    tokens.extend(["", "garbage", "a.b", "a.b.c.d"].map(str::to_owned));
    let mut held = 0;
    for token in &tokens {
        if refused(address, token).await {
            held += 1;
        }
    }
    // The control: a valid token is accepted.
    assert!(!refused(address, &valid).await, "a valid token must be accepted");
    Row { attack: "forged, tampered, expired and unsigned JWTs".into(), tried: tokens.len(), held }
}

async fn traversal(address: &str) -> Row {
    let paths = [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/.%2e/.%2e/etc/passwd",
        "//etc/passwd",
        "/%2F..%2F..%2Fetc%2Fpasswd",
        "/leak/secret.txt",
        "/le%61k/secret.txt",
        "/./leak/secret.txt",
        "/leak/",
    ];
    let mut held = 0;
    for path in paths {
        let (status, body) = get("127.0.0.3", address, path).await;
        if status != 200 && !body.contains("SECRET-OUTSIDE") && !body.contains("root:") {
            held += 1;
        }
    }
    Row {
        attack: "path traversal and symbolic links out of --www".into(),
        tried: paths.len(),
        held,
    }
}

async fn slowloris(address: &str) -> Row {
    let mut attackers = Vec::new();
    for i in 0..300 {
        if let Ok(mut stream) = connect_from("127.0.0.1", address).await {
            if i % 2 == 0 {
                let _ = stream.write_all(b"GET / HTTP/1.1\r\n").await;
            }
            attackers.push(stream);
        }
    }
    let (status, _) = get("127.0.0.2", address, "/").await;
    drop(attackers);
    Row {
        attack: "slowloris: 300 idle or half-sent sockets from one address, ulimit -n 256".into(),
        tried: 1,
        held: usize::from(status == 200),
    }
}

async fn oversized(address: &str, token: &str) -> Row {
    let Some(mut socket) = websocket("127.0.0.3", address, token).await else {
        return Row { attack: "a 2 MiB client message".into(), tried: 1, held: 0 };
    };
    next(&mut socket).await;
    let _ = socket.send(Message::text("x".repeat(2 << 20))).await;
    let mut held = 0;
    for _ in 0..10 {
        let reply = next(&mut socket).await;
        if reply.get("close").is_some() {
            held = usize::from(reply["close"] == json!(1009));
            break;
        }
    }
    Row { attack: "a 2 MiB client message".into(), tried: 1, held }
}

async fn invalid_resume(address: &str, token: &str) -> Row {
    let Some(mut socket) = websocket("127.0.0.3", address, token).await else {
        return Row { attack: "invalid resume.last_seq".into(), tried: 6, held: 0 };
    };
    next(&mut socket).await;
    let values = [json!(-1), json!("3"), json!(2.5), json!(null), json!(1e30), json!({})];
    let mut held = 0;
    for value in &values {
        let message = json!({"type": "resume", "payload": {"last_seq": value}});
        let _ = socket.send(Message::text(message.to_string())).await;
        loop {
            let reply = next(&mut socket).await;
            if reply["type"] == json!("error_message") {
                held += usize::from(reply["error_code"] == json!("INVALID_RESUME"));
                break;
            }
            if reply["type"] == json!("resume_result") || reply.get("close").is_some() {
                break;
            }
            if reply.get("timeout").is_some() {
                break;
            }
        }
    }
    Row {
        attack: "invalid resume.last_seq (-1, \"3\", 2.5, null, 1e30, {})".into(),
        tried: values.len(),
        held,
    }
}

async fn slow_reader(address: &str) -> Row {
    // The demo user's runs come one after another, whether anyone reads them or not.
    let (_, users) = get("127.0.0.4", address, "/dev/users").await;
    let users: Value = users
        .find('[')
        .zip(users.rfind(']'))
        .and_then(|(start, end)| serde_json::from_str(users.get(start..=end)?).ok())
        .unwrap_or(Value::Null);
    let token = users[0]["token"].as_str().unwrap_or_default().to_owned();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.4:0".parse().unwrap()).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let mut request = format!("ws://{address}/ws").into_client_request().unwrap();
    let protocols = format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(&token));
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    // Nothing is read for a while: the server's writes block, and its outbox fills.
    tokio::time::sleep(Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let closed = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await;
    Row {
        attack: "a reader that stops reading while its runs go on (close 1013 expected)".into(),
        tried: 1,
        held: usize::from(matches!(closed, Ok(Some(1013)))),
    }
}

/// The server's open file descriptors and resident memory in MB (Linux, from /proc).
fn resources(pid: u32) -> (usize, u64) {
    let files = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0);
    (files, rss_kb / 1024)
}

async fn connect_cycles(address: &str, token: &str, pid: u32) -> Row {
    let before = resources(pid);
    for _ in 0..2000 {
        if let Some(mut socket) = websocket("127.0.0.5", address, token).await {
            next(&mut socket).await;
            let _ = socket.close(None).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = resources(pid);
    let held = after.0 <= before.0 + 8 && after.1 <= before.1 + 32;
    let attack = format!(
        "2,000 connect/disconnect cycles (descriptors {} → {}, RSS {} → {} MB)",
        before.0, after.0, before.1, after.1
    );
    Row { attack, tried: 1, held: usize::from(held) }
}

async fn ping_flood(address: &str, token: &str) -> Row {
    let Some(mut socket) = websocket("127.0.0.6", address, token).await else {
        return Row { attack: "10,000 pings on one connection".into(), tried: 1, held: 0 };
    };
    next(&mut socket).await;
    let (mut sink, mut stream) = socket.split();
    let sender = tokio::spawn(async move {
        for _ in 0..10_000 {
            if sink.send(Message::text(r#"{"type":"ping"}"#)).await.is_err() {
                break;
            }
        }
        sink
    });
    let pongs = tokio::time::timeout(Duration::from_secs(60), async {
        let mut pongs = 0;
        while pongs < 10_000 {
            match stream.next().await {
                Some(Ok(Message::Text(text))) if text.contains("\"pong\"") => pongs += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        pongs
    })
    .await
    .unwrap_or(0);
    let _ = sender.await;
    let (status, _) = get("127.0.0.7", address, "/").await;
    Row {
        attack: "10,000 pings on one connection (each answered, others still served)".into(),
        tried: 1,
        held: usize::from(pongs == 10_000 && status == 200),
    }
}

#[tokio::main]
async fn main() {
    let server = start_server();
    let address = server.address.clone();
    let token = jwt(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "attacker", "exp": unix_now() + 3600}),
        Some(SECRET),
    );
    let rows = vec![
        jwt_attacks(&address).await,
        traversal(&address).await,
        oversized(&address, &token).await,
        invalid_resume(&address, &token).await,
        slowloris(&address).await,
        slow_reader(&address).await,
        ping_flood(&address, &token).await,
        connect_cycles(&address, &token, server.pid).await,
    ];
    println!("| attack | tried | held |");
    println!("|---|---|---|");
    let mut failed = false;
    for row in &rows {
        println!("| {} | {} | {} |", row.attack, row.tried, row.held);
        failed |= row.held != row.tried;
    }
    drop(server);
    if failed {
        std::process::exit(1);
    }
}
