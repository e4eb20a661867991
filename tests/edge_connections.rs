//! What the server answers before any route runs (issue 19, edge hardening): a client that
//! sends its headers a byte at a time past the header-read timeout gets `408` problem+json and
//! a closed connection; requests hyper cannot parse get problem+json too, never a bare status.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Store, database_url, settings, spawn_with};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Everything the server sends until it closes the connection (bounded: a server that never
/// closes fails the test instead of hanging it).
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut all))
        .await
        .expect("the server did not close the connection")
        .ok();
    String::from_utf8_lossy(&all).into_owned()
}

/// The status and problem body of a raw HTTP/1.1 answer.
fn problem_of(answer: &str) -> (u16, Value) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {answer:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    (status, serde_json::from_str(body).unwrap())
}

async fn app_with_header_timeout(ms: u64) -> common::TestApp {
    let mut s = settings(database_url(Store::Sqlite).await);
    s.http.header_read_timeout_ms = ms;
    spawn_with(s).await
}

#[tokio::test]
async fn headers_sent_byte_by_byte_past_the_timeout_get_408_and_a_closed_connection() {
    let app = app_with_header_timeout(500).await;
    let mut stream = TcpStream::connect(app.running.addr).await.unwrap();
    let head = b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: 1\r\n\r\n";
    let started = Instant::now();
    let mut closed_early = false;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            closed_early = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Past twice the timeout the server must have given up on this head.
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let answer = read_to_close(&mut stream).await;
    let (status, problem) = problem_of(&answer);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(problem["code"], "request_timeout");
    assert!(
        closed_early || started.elapsed() >= Duration::from_millis(500),
        "answered before the timeout"
    );

    // A client that sends its headers in time is served as usual on the same server.
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn requests_hyper_cannot_parse_are_answered_with_problems() {
    let app = app_with_header_timeout(5_000).await;
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let cases: Vec<(String, u16, &str)> = vec![
        (
            "GET /healthz HTTP/1.1\r\nHost: agora\r\nno colon here\r\n\r\n".into(),
            400,
            "bad_request",
        ),
        ("NOT AN HTTP REQUEST\r\n\r\n".into(), 400, "bad_request"),
        (
            "G@T /healthz HTTP/1.1\r\nHost: agora\r\n\r\n".into(),
            400,
            "bad_request",
        ),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: agora\r\n{many_headers}\r\n"),
            431,
            "request_header_fields_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let mut stream = TcpStream::connect(app.running.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_to_close(&mut stream).await;
        let (got, problem) = problem_of(&answer);
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{request:?}: {answer}"
        );
        assert_eq!(problem["status"], status);
    }

    // Errors the application answers keep their own problem, untouched by the edge.
    let mut stream = TcpStream::connect(app.running.addr).await.unwrap();
    stream
        .write_all(b"GET /no/such/route HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await;
    let (status, problem) = problem_of(&answer);
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
}
