//! Helpers shared by the end-to-end tests of `agentwire serve`: the real binary on 127.0.0.1 (a
//! free port), tokens, and a tokio-tungstenite client.
#![allow(dead_code, reason = "each test binary uses its own part of the helpers")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) mod october;

pub(crate) const SECRET: &str = "test-secret";
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A running `agentwire serve`, killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) address: String,
    pub(crate) _www: tempdir::Dir,
}

pub(crate) mod tempdir {
    /// A directory under the system temp dir, removed on drop.
    pub(crate) struct Dir(pub(crate) std::path::PathBuf);
    impl Dir {
        pub(crate) fn new(tag: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "agentwire-serve-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Server {
    pub(crate) fn start(extra: &[&str]) -> Server {
        let www = tempdir::Dir::new("www");
        std::fs::write(www.0.join("index.html"), "<!doctype html><title>agentwire</title>")
            .unwrap();
        std::fs::write(www.0.join("app.wasm"), b"\0asm\x01\0\0\0").unwrap();
        Server::launch(Command::new(env!("CARGO_BIN_EXE_agentwire")), www, extra)
    }

    /// [`Server::start`] with the open-file limit (`ulimit -n`) set to `open_files`.
    #[cfg(unix)]
    pub(crate) fn start_with_open_files(open_files: u32, extra: &[&str]) -> Server {
        let www = tempdir::Dir::new("www");
        std::fs::write(www.0.join("index.html"), "<!doctype html><title>agentwire</title>")
            .unwrap();
        let mut shell = Command::new("sh");
        shell.args(["-c", &format!("ulimit -n {open_files} && exec \"$0\" \"$@\"")]);
        shell.arg(env!("CARGO_BIN_EXE_agentwire"));
        Server::launch(shell, www, extra)
    }

    fn launch(mut command: Command, www: tempdir::Dir, extra: &[&str]) -> Server {
        let mut child = command
            .args(["serve", "--port", "0", "--jwt-secret", SECRET, "--www"])
            .arg(&www.0)
            // Fast runs unless the test asks for another speed.
            .args(if extra.contains(&"--speed") { &[][..] } else { &["--speed", "40"][..] })
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "agentwire serve: listening on http://127.0.0.1:PORT/ (WebSocket: ws://127.0.0.1:PORT/ws)"
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("unexpected startup line: {line:?}"))
            .to_owned();
        Server { child, address, _www: www }
    }

    pub(crate) fn url(&self) -> String {
        format!("ws://{}/ws", self.address)
    }

    /// A raw HTTP/1.1 GET: (status, headers, body).
    pub(crate) async fn get(&self, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).await.unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.address);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, head.to_owned(), body.to_owned())
    }

    /// A token for `user` from the dev endpoint.
    pub(crate) async fn token(&self, user: &str) -> String {
        let (status, _, body) = self.get(&format!("/dev/token?user={user}")).await;
        assert_eq!(status, 200, "{body}");
        // The body may be chunked; take the JSON object inside it.
        let start = body.find('{').unwrap();
        let end = body.rfind('}').unwrap();
        let value: Value = serde_json::from_str(&body[start..=end]).unwrap();
        assert_eq!(value["user_id"], json!(user));
        value["token"].as_str().unwrap().to_owned()
    }

    /// Connects as a browser would: subprotocols `jwt-auth, jwt.<base64url(token)>`.
    pub(crate) async fn connect(&self, token: &str) -> Socket {
        let (socket, response) = self
            .connect_with(&format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(token)))
            .await
            .unwrap();
        let selected = response.headers().get("sec-websocket-protocol").unwrap().to_str().unwrap();
        assert!(selected.starts_with("jwt."), "the token-bearing entry is echoed: {selected}");
        socket
    }

    pub(crate) async fn connect_with(
        &self,
        protocols: &str,
    ) -> Result<(Socket, tokio_tungstenite::tungstenite::handshake::client::Response), WsError>
    {
        let mut request = self.url().into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
        tokio_tungstenite::connect_async(request).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn jwt(claims: &Value, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{header}.{payload}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{payload}.{signature}")
}

#[allow(clippy::disallowed_methods, reason = "test tokens need the real time")]
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The next text frame, parsed; panics after `secs` seconds.
pub(crate) async fn next_json(socket: &mut Socket, secs: u64) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(secs), socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("no socket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

pub(crate) async fn send(socket: &mut Socket, value: Value) {
    socket.send(Message::Text(value.to_string().into())).await.unwrap();
}

pub(crate) async fn established(server: &Server, user: &str) -> Socket {
    let token = server.token(user).await;
    let mut socket = server.connect(&token).await;
    let first = next_json(&mut socket, 5).await;
    assert_eq!(first["type"], json!("connection_established"), "{first}");
    socket
}

/// Reads frames until the supervisor's `agent_completed` of `run_id` (or any run when `None`).
pub(crate) async fn frames_of_one_run(socket: &mut Socket) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = next_json(socket, 20).await;
        let done =
            frame["type"] == json!("agent_completed") && frame["agent_name"] == json!("supervisor");
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

/// The code of the close frame the server sends next (skipping other frames); `None` when the
/// connection ends without one. Panics after 5 s.
pub(crate) async fn close_code(socket: &mut Socket) -> Option<CloseCode> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("the server closes the connection")
}

/// Expects an AUTH_FAILED error frame, then a close with code 1008.
pub(crate) async fn expect_auth_failure(mut socket: Socket) {
    let error = next_json(&mut socket, 5).await;
    assert_eq!(error["type"], json!("error_message"), "{error}");
    assert_eq!(error["error_code"], json!("AUTH_FAILED"));
    let close = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    match close {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected close 1008, got {other:?}"),
    }
}

/// The truth file's records so far. The server may be writing its last line as it is read:
/// an unfinished last line is left for the next read.
pub(crate) fn truth_records(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let complete = if text.ends_with('\n') {
        &text[..]
    } else {
        &text[..text.rfind('\n').map_or(0, |end| end + 1)]
    };
    complete.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}
