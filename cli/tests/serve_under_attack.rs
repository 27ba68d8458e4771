//! `agentwire serve` against clients that try to exhaust it (issue 13): connections that send
//! nothing or half a request, more of them than the process may open files, from one address.
//! A normal client from another address is still served, and the attackers' places come back
//! once the header timeout closes their connections.
#![cfg(unix)]
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]
#![allow(clippy::disallowed_methods, reason = "a black-box test waits on the real clock")]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A connection from `source` (any 127.x.y.z is a local address on Linux and macOS).
async fn connect_from(source: &str, server: &str) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse::<SocketAddr>().unwrap())?;
    socket.connect(server.parse().unwrap()).await
}

/// What the server sends before it closes, within `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    read.ok().map(|_| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn slowloris_from_one_address_does_not_starve_other_clients() {
    // 256 open files: the cap in all is 192; 300 attacking sockets would exceed the limit.
    let server = Server::start_with_open_files(
        256,
        &["--max-connections-per-address", "40", "--header-timeout", "2"],
    );
    let mut attackers = Vec::new();
    for i in 0..300 {
        let Ok(mut stream) = connect_from("127.0.0.1", &server.address).await else { continue };
        // Half of them send a request line and nothing more; the others send nothing at all.
        if i % 2 == 0 {
            let _ = stream.write_all(b"GET / HTTP/1.1\r\n").await;
        }
        attackers.push(stream);
    }
    // Past the cap per address, connections are refused at once with a 503 saying why.
    let mut refused = 0;
    for stream in attackers.iter_mut().skip(40) {
        if let Some(reply) = read_until_closed(stream, Duration::from_secs(1)).await {
            if reply.starts_with("HTTP/1.1 503") && reply.contains("the limit per address") {
                refused += 1;
            }
        }
    }
    assert!(refused >= 200, "{refused} of 260 over the cap were refused with a 503");

    // A normal client from another address is served meanwhile: a token, and a WebSocket.
    let mut client = connect_from("127.0.0.2", &server.address).await.unwrap();
    client
        .write_all(
            format!(
                "GET /dev/token?user=bystander HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                server.address
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let reply = read_until_closed(&mut client, Duration::from_secs(5)).await.unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let body = &reply[reply.find('{').unwrap()..=reply.rfind('}').unwrap()];
    let token: serde_json::Value = serde_json::from_str(body).unwrap();
    let token = token["token"].as_str().unwrap();
    let stream = connect_from("127.0.0.2", &server.address).await.unwrap();
    let mut request = server.url().into_client_request().unwrap();
    let protocols = format!("jwt-auth, jwt.{}", URL_SAFE_NO_PAD.encode(token));
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
    let Ok(Some(Ok(Message::Text(text)))) = first else { panic!("no first frame: {first:?}") };
    assert!(text.contains("connection_established"), "{text}");

    // The header timeout closes the attackers that stayed: within about 2 s, not never.
    let started = Instant::now();
    for stream in attackers.iter_mut().take(40) {
        let closed = read_until_closed(stream, Duration::from_secs(6)).await;
        assert!(closed.is_some(), "an idle connection is still open after {:?}", started.elapsed());
    }
    // Their places are free again.
    let mut again = connect_from("127.0.0.1", &server.address).await.unwrap();
    again
        .write_all(
            format!("GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.address)
                .as_bytes(),
        )
        .await
        .unwrap();
    let reply = read_until_closed(&mut again, Duration::from_secs(5)).await.unwrap_or_default();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = Server::start(&["--header-timeout", "1"]);
    let started = Instant::now();
    let mut idle = TcpStream::connect(&server.address).await.unwrap();
    let reply = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(reply.is_some(), "still open after 10 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "closed too early: {waited:?}");
    // A request that completes in time is answered as usual.
    let (status, _, _) = server.get("/").await;
    assert_eq!(status, 200);
}
