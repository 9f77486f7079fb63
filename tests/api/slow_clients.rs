//! Slow and idle clients (issue 14.1): a request's headers and body must arrive in time, and
//! the web server serves a bounded number of connections, so that held connections cannot
//! use up the descriptors the broker and the store need.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{self, TestApp};

fn config_with(limits: &str, dir: &tempfile::TempDir) -> String {
    common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"))
        .replace("[web]\nlisten = \"127.0.0.1:0\"", &format!("[web]\nlisten = \"127.0.0.1:0\"\n{limits}"))
}

async fn app_with_limits() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = config_with("max_connections = 4\nheader_timeout_s = 1\nbody_timeout_s = 2", &dir);
    common::spawn_app_from(&text, dir).await
}

/// What the server sends before it closes the connection, or `None` if it keeps it open
/// past `wait`.
async fn answer_before_close(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(wait, stream.read_to_end(&mut received)).await;
    read.ok().map(|_| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_closed() {
    let app = app_with_limits().await;
    let mut partial = TcpStream::connect(app.web).await.unwrap();
    partial.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: xanh\r\nX-Slow: ").await.unwrap();
    let mut silent = TcpStream::connect(app.web).await.unwrap();
    for stream in [&mut partial, &mut silent] {
        let closed = answer_before_close(stream, Duration::from_secs(10)).await;
        assert!(closed.is_some(), "the server still holds a connection whose headers never came");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_off() {
    let app = app_with_limits().await;
    let mut slow = TcpStream::connect(app.web).await.unwrap();
    let head = "POST /login HTTP/1.1\r\nHost: xanh\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n";
    slow.write_all(head.as_bytes()).await.unwrap();
    // One byte every half second: each arrives well within any per-read timeout.
    let started = tokio::time::Instant::now();
    let answer = loop {
        if slow.write_all(b"a").await.is_err() {
            break answer_before_close(&mut slow, Duration::from_secs(1)).await;
        }
        let mut buffer = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(500), slow.read(&mut buffer)).await {
            Ok(Ok(n)) => break Some(String::from_utf8_lossy(&buffer[..n]).into_owned()),
            Ok(Err(_)) => break Some(String::new()),
            Err(_) => {}
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the server waited on the body for 15 s");
    };
    let answer = answer.unwrap_or_default();
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "a cut-off body is refused: {answer}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_takes_the_slot_of_a_slow_one_when_all_are_taken() {
    // Started without the usual wait on /api/v1/health, so that no other connection is open.
    let dir = tempfile::tempdir().unwrap();
    let text = config_with("max_connections = 4\nheader_timeout_s = 30", &dir);
    let app = common::start_app_from_env(&text, dir, &[]).await;
    // Four clients from four addresses that never finish their headers: every slot taken.
    let mut slow = Vec::new();
    for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        let mut stream = connect_from(source, app.web).await;
        stream.write_all(b"GET / HTTP/1.1\r\nHost: xanh\r\nX-Slow: ").await.unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = tokio::time::timeout(
        Duration::from_secs(5),
        common::http_client().build().unwrap().get(app.url("/api/v1/health")).send(),
    )
    .await;
    let status = health.expect("answered long before the 30 s header timeout").unwrap().status().as_u16();
    assert_eq!(status, 200);
    let mut closed = 0;
    for stream in &mut slow {
        if answer_before_close(stream, Duration::from_millis(200)).await.is_some() {
            closed += 1;
        }
    }
    assert!(closed >= 1, "a slow client gave up its slot");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_serving_requests_are_never_cut_for_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_with("max_connections = 4\nheader_timeout_s = 30\nbody_timeout_s = 30", &dir);
    let app = common::start_app_from_env(&text, dir, &[]).await;
    // Four requests being served: their bodies are still on their way.
    let mut busy = Vec::new();
    for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        let mut stream = connect_from(source, app.web).await;
        let head = "POST /login HTTP/1.1\r\nHost: xanh\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=";
        stream.write_all(head.as_bytes()).await.unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fifth = tokio::spawn({
        let url = app.url("/api/v1/health");
        async move { common::http_client().build().unwrap().get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fifth.is_finished(), "a fifth connection waits while four requests are being served");
    for stream in &mut busy {
        assert!(answer_before_close(stream, Duration::from_millis(50)).await.is_none(), "no request was cut");
    }
    drop(busy.pop());
    let status = tokio::time::timeout(Duration::from_secs(10), fifth).await.expect("served once a slot frees");
    assert_eq!(status.unwrap().unwrap(), 200);
    drop(busy);
    app.stop().await;
}

/// A connection from `source` (any 127.x.x.x reaches the loopback interface).
async fn connect_from(source: &str, to: std::net::SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_with("max_connections = 8\nmax_connections_per_address = 2\nheader_timeout_s = 30", &dir);
    let app = common::start_app_from_env(&text, dir, &[]).await;
    let _held = [connect_from("127.0.0.2", app.web).await, connect_from("127.0.0.2", app.web).await];
    let mut third = connect_from("127.0.0.2", app.web).await;
    third.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: xanh\r\n\r\n").await.ok();
    let answer = answer_before_close(&mut third, Duration::from_secs(5)).await;
    assert_eq!(answer.as_deref(), Some(""), "a third connection from the same address is closed unanswered");
    // Another address is served at once.
    let mut other = connect_from("127.0.0.3", app.web).await;
    other.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: xanh\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = answer_before_close(&mut other, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    app.stop().await;
}
