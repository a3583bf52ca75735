//! The runner as a public endpoint: a request is refused from its head before its body is read,
//! slow heads and bodies are cut, and connections are capped. Raw HTTP/1.1 over TCP, since a
//! well-behaved client cannot send what these tests need.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Server;

fn connect(server: &Server) -> TcpStream {
    let address = server.base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).expect("connect to the runner");
    stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
}

/// The status line of the answer that arrives within `wait`; `None` if none does, `Some("")` if
/// the runner closed the connection without one.
fn status_within(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&received).lines().next().unwrap_or_default().to_owned()),
            Ok(n) => {
                received.extend_from_slice(&buffer[..n]);
                if let Some(line) =
                    String::from_utf8_lossy(&received).lines().next().filter(|_| received.contains(&b'\n'))
                {
                    return Some(line.to_owned());
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some(String::new()),
        }
    }
}

fn head(method: &str, path: &str, token: Option<&str>, length: usize) -> String {
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[test]
fn a_request_is_refused_from_its_head_without_waiting_for_its_body() {
    let server = Server::start_with_options(&["--body-timeout", "2"]);
    let token = server.token("demo", "ana", "agent");
    // Each head announces a body that never comes: the answer cannot depend on it.
    for (request, expected) in [
        (head("POST", "/no/such/route", None, 5_000_000), "404"),
        (head("POST", "/cases", None, 5_000_000), "401"),
        (head("POST", "/cases", Some("not-a-token"), 5_000_000), "401"),
        (head("DELETE", "/openapi.json", Some(&token), 100), "405"),
        (head("POST", "/cases", Some(&token), 2_000_000), "413"),
    ] {
        let mut stream = connect(&server);
        stream.write_all(request.as_bytes()).unwrap();
        let status = status_within(&mut stream, Duration::from_secs(1)).unwrap_or_default();
        assert!(status.starts_with(&format!("HTTP/1.1 {expected}")), "{request:?} → {status:?}");
    }
    // A body that stops half-way is cut when the body deadline passes: 408, not a hung request.
    let mut stream = connect(&server);
    stream.write_all(head("POST", "/cases", Some(&token), 100).as_bytes()).unwrap();
    stream.write_all(b"{\"type\":").unwrap();
    let started = Instant::now();
    let status = status_within(&mut stream, Duration::from_secs(10)).expect("an answer");
    assert!(status.starts_with("HTTP/1.1 408"), "{status:?}");
    assert!(started.elapsed() >= Duration::from_millis(1500), "cut at the deadline, not before");
}

#[test]
fn a_slow_head_is_cut_and_connections_wait_for_a_free_slot() {
    let server = Server::start_with_options(&["--max-connections", "2", "--header-timeout", "2"]);
    // Two connections take both slots: one sends half a head, the other nothing at all.
    let mut half = connect(&server);
    half.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let mut silent = connect(&server);
    // A third, complete request waits in the backlog while both slots are held...
    let mut waiting = connect(&server);
    waiting.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(status_within(&mut waiting, Duration::from_secs(1)), None, "served beyond the connection cap");
    // ...until the header deadline closes the two that never finished a head.
    assert_eq!(status_within(&mut half, Duration::from_secs(10)).as_deref(), Some(""), "half a head is cut");
    assert_eq!(status_within(&mut silent, Duration::from_secs(10)).as_deref(), Some(""), "an idle one is closed");
    let status = status_within(&mut waiting, Duration::from_secs(10)).expect("served once a slot is free");
    assert!(status.starts_with("HTTP/1.1 200"), "{status:?}");
}
