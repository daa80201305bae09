//! No client can hold the server: against the binary, a request without a valid token is
//! answered without any wait for its body, a body that does not come is cut off, an `Upgrade`
//! request is answered, and probes are answered while more connections are open than the
//! process has descriptors. Every wait here is bounded by a read timeout; none is a measurement.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::{Running, command, key_text, run, spawn_server};
use crate::support::{ISSUER, sign_with};

/// Longest any answer may take to arrive before a test fails; a server that holds the
/// connection fails the test here instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(10);

fn mint() -> String {
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .args(["token", "--sub", "42"]));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Sends `request` as it is on a new connection and reads until the server closes it (or
/// [`PATIENCE`] runs out, which fails the test); returns the status and the body.
fn answer_and_close(address: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|error| panic!("the connection was held: {error}; read {response:?}"));
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `POST path` with `token`, announcing a body of `length` bytes and sending only `sent` of them.
fn unfinished(path: &str, token: &str, length: usize, sent: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{sent}"
    )
}

fn assert_error_model(body: &str, status: &str) {
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(body["status"], status, "{body}");
}

#[test]
fn a_request_without_a_valid_token_gets_its_401_without_the_server_waiting_for_its_body() {
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", key_text()));
    let address = server.address();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let forged = sign_with(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "1", "iss": ISSUER, "iat": now, "exp": now + 900}),
        b"another-key-0123456789-0123456789-0123456789",
    );
    for path in [
        "/ccstore/v1/refresh",
        "/ccstore/v1/verify",
        "/ccstore/v1/logout",
    ] {
        for token in ["x", forged.as_str()] {
            // The body never comes; the answer does, and then the connection is closed.
            let (status, body) = answer_and_close(&address, &unfinished(path, token, 100, "{"));
            assert_eq!(status, 401, "{path}: {body}");
            assert_error_model(&body, "401");
        }
    }
    // A logged-out session's token is refused as promptly.
    let token = mint();
    let (status, _) = server.post("/ccstore/v1/logout", &token);
    assert_eq!(status, 200);
    let request = unfinished("/ccstore/v1/refresh", &token, 100, "");
    assert_eq!(answer_and_close(&address, &request).0, 401);
    server.terminate();
}

#[test]
fn a_body_that_does_not_come_in_time_is_a_408_error_model_and_the_connection_is_closed() {
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_BODY_TIMEOUT_MS", "200"),
    );
    let address = server.address();
    for path in ["/ccstore/v1/refresh", "/ccstore/v1/verify"] {
        let request = unfinished(path, &mint(), 100, "{\"a\":");
        let (status, body) = answer_and_close(&address, &request);
        assert_eq!(status, 408, "{path}: {body}");
        assert_error_model(&body, "408");
    }
    // The token the late body came with was not consumed: it still refreshes.
    let token = mint();
    let request = unfinished("/ccstore/v1/refresh", &token, 10, "");
    assert_eq!(answer_and_close(&address, &request).0, 408);
    assert_eq!(server.refresh(&token).0, 200);
    server.terminate();
}

#[test]
fn an_upgrade_request_is_answered_and_its_connection_closed() {
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", key_text()));
    let address = server.address();
    let token = mint();
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    let refresh = format!(
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         {upgrade}\r\n\r\n"
    );
    let (status, body) = answer_and_close(&address, &refresh);
    assert_eq!(status, 400, "{body}");
    assert_error_model(&body, "400");
    assert!(body.contains("Upgrade"), "{body}");
    let probe = format!("GET /health/live HTTP/1.1\r\nHost: t\r\n{upgrade}\r\n\r\n");
    assert_eq!(answer_and_close(&address, &probe).0, 200);
    // The token was not consumed.
    assert_eq!(server.refresh(&token).0, 200);
    server.terminate();
}

/// GETs `path` on a new connection within [`PATIENCE`]; the status.
fn get(address: &str, path: &str) -> u16 {
    answer_and_close(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    )
    .0
}

#[test]
fn probes_are_answered_while_more_connections_are_open_than_the_process_has_descriptors() {
    const DESCRIPTORS: usize = 128;
    // `ulimit -n` lowers the soft limit of the shell, which then becomes the server.
    let mut limited = Command::new("sh");
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("CCSTORE_")) {
        limited.env_remove(name);
    }
    limited
        .args([
            "-c",
            &format!("ulimit -n {DESCRIPTORS} && exec \"$0\""),
            command().get_program().to_str().unwrap(),
        ])
        .env("RUST_LOG", "info")
        .env("CCSTORE_JWT_SECRET", key_text())
        .env("CCSTORE_METRICS_BIND", "127.0.0.1:0")
        .env("CCSTORE_CLIENT_REQUEST_TIMEOUT_MS", "60000");
    let mut server = Running::start(&mut limited);
    let address = server.address();
    let capped = server.line_with("connections capped at");
    assert!(
        capped.contains(&format!("descriptor limit is {DESCRIPTORS}")),
        "{capped}"
    );
    let operations = server.address_of("metrics listening on http://");

    // Twice the descriptor limit of clients connect and send nothing: each holds its
    // connection for the head timeout, a minute.
    let held: Vec<TcpStream> = (0..2 * DESCRIPTORS)
        .map(|_| TcpStream::connect(&address).unwrap())
        .collect();
    // The server has taken as many as it may: one more request on the main listener waits in
    // the backlog. Seen from outside only as an answer that has not come: what follows does not
    // depend on it, so the wait is not asserted.
    let started = Instant::now();
    for path in ["/health/live", "/health/ready", "/metrics"] {
        assert_eq!(get(&operations, path), 200, "{path}");
    }
    assert!(started.elapsed() < PATIENCE);

    // Once those clients go, the main listener serves again.
    drop(held);
    assert_eq!(server.refresh(&mint()).0, 200);
    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly);
    assert!(
        !lines
            .iter()
            .any(|line| line.contains("Too many open files")),
        "accept ran out of descriptors: {lines:#?}"
    );
}

#[test]
fn when_stderr_stalls_log_lines_are_dropped_and_counted_and_requests_go_on() {
    let mut child = spawn_server(
        command()
            .env("RUST_LOG", "trace")
            .env("CCSTORE_JWT_SECRET", key_text()),
    );
    // Read stderr up to the address, then stop reading: the pipe fills and every write to it
    // blocks, as with a stalled journald.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let address = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no address logged"
        );
        if let Some(rest) = line.split("ccstore listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let mut stream = TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut dropped = 0;
    // Each request writes a few trace lines: tens of thousands of them outgrow any bound a
    // writer could honestly keep. Keep sending until the metric says lines were dropped.
    for round in 0..200_000 {
        let path = if round % 500 == 499 {
            "/metrics"
        } else {
            "/health/live"
        };
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
            .unwrap();
        let body = read_response(&mut reader);
        if path == "/metrics" {
            dropped = body
                .lines()
                .find_map(|line| line.strip_prefix("ccstore_log_lines_dropped_total "))
                .unwrap_or_else(|| panic!("no dropped-lines metric in {body}"))
                .parse::<u64>()
                .unwrap();
            if dropped > 0 {
                break;
            }
        }
    }
    assert!(dropped > 0, "no line was ever dropped");
    // Still serving while stderr is stalled.
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert!(read_response(&mut reader).contains("ok"));

    // The sink recovers: what waited is written, and lines are kept again. Requests to a
    // marked path are sent until one of their access lines comes through (the first ones may
    // still find the batch full).
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut recovered = false;
    for marker in 0.. {
        assert!(
            Instant::now() < deadline,
            "no line got through after the sink recovered"
        );
        stream
            .write_all(format!("GET /recovered-{marker} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
            .unwrap();
        read_response(&mut reader);
        while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            if line.contains("GET /recovered-") {
                recovered = true;
                break;
            }
        }
        if recovered {
            break;
        }
    }
    drop(reader);
    drop(stream);
    // Then the server stops on SIGTERM and writes its last lines before exiting.
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert!(child.wait().unwrap().success());
    let rest: Vec<String> = lines.iter().collect();
    assert!(
        rest.iter().any(|line| line.contains("listeners closed")),
        "{:#?}",
        &rest[rest.len().saturating_sub(20)..]
    );
}

/// Reads one response with a `Content-Length` body off `reader`; returns the body.
fn read_response(reader: &mut BufReader<TcpStream>) -> String {
    let mut length = 0;
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "connection closed"
        );
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}
