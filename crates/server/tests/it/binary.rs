//! The `ccstore-server` binary as operators run it: flags, key checks, minting, serving, SIGTERM.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{ISSUER, KEY, claims_of};

const BINARY: &str = env!("CARGO_BIN_EXE_ccstore-server");

/// The binary with a clean CCSTORE_* environment and `RUST_LOG=info`.
pub(crate) fn command() -> Command {
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars() {
        if name.starts_with("CCSTORE_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "info");
    command
}

pub(crate) fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().unwrap()
}

pub(crate) fn key_text() -> &'static str {
    std::str::from_utf8(KEY).unwrap()
}

#[test]
fn help_lists_every_setting_and_never_shows_the_secret() {
    let output = run(command()
        .arg("--help")
        .env("CCSTORE_JWT_SECRET", key_text()));
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    // Every setting the README's configuration table documents, and no fewer than today's.
    let readme = include_str!("../../../../README.md");
    let documented: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `CCSTORE_"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert!(documented.len() >= 24, "{documented:?}");
    for variable in documented {
        assert!(
            help.contains(&format!("CCSTORE_{variable}")),
            "CCSTORE_{variable} missing from --help"
        );
    }
    assert!(!help.contains(key_text()));
}

#[test]
fn a_key_shorter_than_32_bytes_is_refused_at_start() {
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", "too-short-a-key")
        .env("CCSTORE_BIND", "127.0.0.1:0"));
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(
        !stderr.contains("too-short-a-key"),
        "the key is logged: {stderr}"
    );
}

#[test]
fn a_cors_origin_that_is_not_exact_is_refused_at_start() {
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .env("CCSTORE_BIND", "127.0.0.1:0")
        .env(
            "CCSTORE_CORS_ORIGINS",
            "https://shop.example,https://*.example",
        ));
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("CCSTORE_CORS_ORIGINS: `https://*.example` is not an exact origin"),
        "{stderr}"
    );
}

#[test]
fn two_key_sources_are_refused() {
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .env("CCSTORE_JWT_SECRET_FILE", "/nonexistent"));
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("not both")
    );
}

#[test]
fn token_prints_a_token_signed_with_the_configured_key_and_issuer() {
    let output = run(command().env("CCSTORE_JWT_SECRET", key_text()).args([
        "token",
        "--sub",
        "110558",
        "--claim",
        "occs.admin.profileId=p-1",
        "--claim",
        r#"com.oracle.atg.cloud.commerce.roles:=["admin"]"#,
    ]));
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap();
    let claims = claims_of(token.trim());
    assert_eq!(claims["sub"], "110558");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["occs.admin.profileId"], "p-1");
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        930
    );
}

#[test]
fn token_without_a_configured_key_fails_clearly() {
    let output = run(command().args(["token", "--sub", "1"]));
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("no key is configured")
    );
}

#[test]
fn the_key_file_is_read_without_its_trailing_newline() {
    let path = std::env::temp_dir().join(format!("ccstore-key-{}", std::process::id()));
    std::fs::write(&path, format!("{}\n", key_text())).unwrap();
    let output = run(command()
        .env("CCSTORE_JWT_SECRET_FILE", &path)
        .args(["token", "--sub", "7"]));
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        claims_of(String::from_utf8(output.stdout).unwrap().trim())["sub"],
        "7"
    );
}

/// A running server process and the stderr lines it has written so far.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

/// An answer read off the wire.
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// Header names in lower case, with their values.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// The value of header `name` (lower case); panics when it is absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map_or_else(
                || panic!("no {name} in {:?}", self.headers),
                |(_, value)| value,
            )
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// Spawns `command` as a test server: any free port, one worker, stderr piped to the test.
pub(crate) fn spawn_server(command: &mut Command) -> Child {
    command
        .env("CCSTORE_BIND", "127.0.0.1:0")
        .env("CCSTORE_WORKERS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

impl Running {
    pub(crate) fn start(command: &mut Command) -> Self {
        let mut child = spawn_server(command);
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stderr line containing `needle`, waiting for it up to 30 s.
    pub(crate) fn line_with(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|line| line.contains(needle)) {
            return line.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no line with {needle:?} in {:#?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    pub(crate) fn address(&mut self) -> String {
        self.address_of("ccstore listening on http://")
    }

    /// The `host:port` a log line containing `announcement` gives.
    pub(crate) fn address_of(&mut self, announcement: &str) -> String {
        let line = self.line_with(announcement);
        let rest = line.split("http://").nth(1).unwrap();
        rest.split_whitespace().next().unwrap().to_owned()
    }

    pub(crate) fn refresh(&mut self, token: &str) -> (u16, Value) {
        self.post("/ccstore/v1/refresh", token)
    }

    /// POSTs `{}` to `target` (a path, maybe with a query) with `token` as the Bearer credential.
    pub(crate) fn post(&mut self, target: &str, token: &str) -> (u16, Value) {
        let answer = self.send(
            "POST",
            target,
            &[("Authorization", &format!("Bearer {token}"))],
        );
        (answer.status, answer.json())
    }

    /// Sends `method target` with `headers` and a `{}` JSON body on a new connection.
    pub(crate) fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
        self.send_body(method, target, headers, ("application/json", "{}"))
    }

    /// POSTs the login form `form` to `target` with `headers`, as OAuth clients send it.
    pub(crate) fn login(&mut self, target: &str, headers: &[(&str, &str)], form: &str) -> Answer {
        let form_type = "application/x-www-form-urlencoded";
        self.send_body("POST", target, headers, (form_type, form))
    }

    /// Sends `method target` with `headers` and `body` (its content type and text) on a new
    /// connection.
    pub(crate) fn send_body(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        (content_type, body): (&str, &str),
    ) -> Answer {
        let mut stream = TcpStream::connect(self.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
        for (name, value) in headers {
            write!(request, "{name}: {value}\r\n").unwrap();
        }
        write!(
            request,
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        // One write: a request in small pieces waits on Nagle and delayed ACKs.
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let mut head = head.split("\r\n");
        let status = head
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = head
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        Answer {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// Sends `signal` (`HUP`, `TERM`, ...) to the process.
    pub(crate) fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// GETs `path` on a new connection; returns the status and the body.
    fn get(&mut self, path: &str) -> (u16, String) {
        let address = self.address();
        get(&address, path)
    }

    /// Sends SIGTERM and returns every stderr line once the process has exited.
    pub(crate) fn terminate(self) -> (bool, Vec<String>) {
        self.signal("TERM");
        self.wait()
    }

    /// Waits for the process to exit; returns whether it succeeded and every stderr line.
    fn wait(mut self) -> (bool, Vec<String>) {
        let status = self.child.wait().unwrap();
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.lines.iter());
        (status.success(), seen)
    }
}

/// A test that fails before [`Running::terminate`] must not leave its server running.
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn the_server_logs_one_line_per_request_and_never_a_token_or_the_key_then_stops_on_sigterm() {
    logs_one_line_per_request_and_never_a_token_or_the_key("text");
}

#[test]
fn json_logs_never_show_a_token_or_the_key_either() {
    logs_one_line_per_request_and_never_a_token_or_the_key("json");
}

fn logs_one_line_per_request_and_never_a_token_or_the_key(format: &str) {
    let minted = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .args(["token", "--sub", "42"]));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_LOG_FORMAT", format),
    );
    let (status, body) = server.refresh(&token);
    assert_eq!(status, 200, "{body}");
    let renewed = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&renewed)["sub"], "42");
    let (status, body) = server.refresh("forged.token.here");
    assert_eq!(status, 401);
    assert_eq!(body["status"], "401");

    let access_line = server.line_with("POST /ccstore/v1/refresh 401");
    assert!(access_line.contains("ms"), "{access_line}");
    // Every operation, success and refusal, a token in the query string (RFC 6750 §2.3 allows
    // it; ccstore ignores it) and an expired one: none of them may reach the log.
    let query = format!("/ccstore/v1/verify?access_token={renewed}");
    for (target, presented, expected) in [
        ("/ccstore/v1/verify", renewed.as_str(), 200),
        (query.as_str(), renewed.as_str(), 200),
        ("/ccstore/v1/logout", renewed.as_str(), 200),
        ("/ccstore/v1/refresh", renewed.as_str(), 401),
        ("/ccstore/v1/verify", token.as_str(), 401),
    ] {
        let (status, body) = server.post(target, presented);
        assert_eq!(status, expected, "{target}: {body}");
    }
    // A token sent as the request id is longer than any id kept: replaced, never logged.
    let answer = server.send(
        "POST",
        "/ccstore/v1/verify",
        &[
            ("X-Request-Id", &token),
            ("Authorization", &format!("Bearer {token}")),
        ],
    );
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_ne!(answer.header("x-request-id"), token);
    server.line_with("POST /ccstore/v1/logout 200");
    server.line_with(answer.header("x-request-id"));
    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
    let log = lines.join("\n");
    assert!(log.contains("POST /ccstore/v1/refresh 200"), "{log}");
    for secret in [
        token.as_str(),
        renewed.as_str(),
        "forged.token.here",
        key_text(),
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}:\n{log}");
    }
}

#[test]
fn with_no_key_the_server_runs_in_development_mode_with_a_working_demo_token() {
    let mut server = Running::start(&mut command());
    let warning = server.line_with("DEVELOPMENT MODE");
    assert!(warning.contains("WARN"), "{warning}");
    let demo_line = server.line_with("demo token");
    let demo_token = demo_line.rsplit(' ').next().unwrap().to_owned();
    let swagger = server.line_with("swagger-ui");
    assert!(swagger.contains("http://127.0.0.1:"), "{swagger}");
    let (status, body) = server.refresh(&demo_token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let (_, lines) = server.terminate();
    let renewed = body["access_token"].as_str().unwrap();
    assert!(
        !lines.join("\n").contains(renewed),
        "a non-demo token was logged"
    );
}

#[test]
fn a_client_trickling_its_headers_is_cut_off_while_others_are_served() {
    let minted = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .args(["token", "--sub", "7"]));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_CLIENT_REQUEST_TIMEOUT_MS", "1500")
            .env("CCSTORE_KEEP_ALIVE_SECS", "1"),
    );
    let address = server.address();
    // The head trickles at a byte per 150 ms: about 7 s for all of it, far past the 1.5 s the
    // server gives a head. Between bytes, another client is served, and the trickler asks
    // (without waiting) whether the server has cut it off.
    let head = b"POST /ccstore/v1/refresh HTTP/1.1\r\nHost: t\r\n";
    let mut slow = TcpStream::connect(&address).unwrap();
    slow.set_nonblocking(true).unwrap();
    let mut answer = Vec::new();
    let mut sent = 0;
    let cut_off = loop {
        if sent == head.len() || slow.write_all(&head[sent..=sent]).is_err() {
            break sent < head.len();
        }
        sent += 1;
        let (status, _) = server.refresh(&token);
        assert_eq!(status, 200, "served while a client trickles");
        match slow.read(&mut [0; 1]) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            // Closed, reset, or the first byte of an answer: cut off.
            Ok(0) | Err(_) => break true,
            Ok(_) => {
                answer.push(b'H');
                break true;
            }
        }
        std::thread::park_timeout(Duration::from_millis(150));
    };
    assert!(
        cut_off,
        "the whole head trickled in ({sent} bytes) without the server cutting the client off"
    );
    slow.set_nonblocking(false).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = slow.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(sent > 1, "cut off before the head timeout could pass");

    // An idle keep-alive connection is closed by the server (keep-alive 1 s): the read ends
    // with the server's close, not with the client's read timeout.
    let mut idle = TcpStream::connect(&address).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "POST /ccstore/v1/verify HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    );
    idle.write_all(request.as_bytes()).unwrap();
    let mut kept = Vec::new();
    idle.read_to_end(&mut kept)
        .expect("the server closes an idle keep-alive connection");
    assert!(String::from_utf8_lossy(&kept).starts_with("HTTP/1.1 200"));
    server.terminate();
}

#[test]
fn probes_are_logged_at_debug_and_left_out_of_the_info_log() {
    for (filter, logged) in [("info", false), ("info,ccstore::access=debug", true)] {
        let mut server = Running::start(
            command()
                .env("CCSTORE_JWT_SECRET", key_text())
                .env("RUST_LOG", filter),
        );
        for path in ["/health/live", "/health/ready"] {
            let (status, body) = server.get(path);
            assert_eq!(status, 200, "{path}: {body}");
        }
        // A request logged at info after the probes: once its line is out, theirs would be too.
        let (status, _) = server.refresh("not-a-token");
        assert_eq!(status, 401);
        server.line_with("POST /ccstore/v1/refresh 401");
        let (_, lines) = server.terminate();
        for path in ["GET /health/live 200", "GET /health/ready 200"] {
            let line = lines.iter().find(|line| line.contains(path));
            assert_eq!(line.is_some(), logged, "{filter}: {path} in {lines:#?}");
            if let Some(line) = line {
                assert!(line.contains("DEBUG"), "{line}");
            }
        }
    }
}

/// GETs `path` from `address` on a new connection; returns the status and the body.
fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        response.split_once("\r\n\r\n").unwrap().1.to_owned(),
    )
}

#[test]
fn with_a_metrics_bind_metrics_are_served_there_only_and_count_the_main_listeners_requests() {
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_METRICS_BIND", "127.0.0.1:0"),
    );
    let metrics_address = server.address_of("metrics listening on http://");
    assert_ne!(metrics_address, server.address());
    let (status, body) = server.get("/metrics");
    assert_eq!(status, 404, "the main listener serves /metrics: {body}");
    let (status, _) = server.refresh("not-a-token");
    assert_eq!(status, 401);

    let (status, text) = get(&metrics_address, "/metrics");
    assert_eq!(status, 200, "{text}");
    let count = |route: &str, status: &str| {
        crate::metrics::sample(
            &text,
            "ccstore_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(count("/ccstore/v1/refresh", "401"), 1, "{text}");
    assert_eq!(count("/metrics", "404"), 1, "{text}");
    let (status, body) = get(&metrics_address, "/ccstore/v1/refresh");
    assert_eq!(
        status, 404,
        "the metrics listener serves only /metrics: {body}"
    );
    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
}

/// A token minted by the binary for `sub`.
fn minted(sub: &str) -> String {
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .args(["token", "--sub", sub]));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Reads from `stream` until `needle` has arrived; returns everything read.
fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut byte = [0_u8; 1];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let read = stream.read(&mut byte).unwrap();
        assert_eq!(
            read,
            1,
            "closed before {needle:?}: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.push(byte[0]);
    }
    String::from_utf8(seen).unwrap()
}

#[test]
fn on_sigterm_a_refresh_in_flight_completes_before_the_process_exits() {
    let token = minted("9");
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", key_text()));
    let mut in_flight = TcpStream::connect(server.address()).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The headers only: the server answers 100 Continue once it has started the request, and
    // then waits for the body.
    let head = format!(
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    );
    in_flight.write_all(head.as_bytes()).unwrap();
    read_until(&mut in_flight, "100 Continue\r\n\r\n");

    server.signal("TERM");
    server.line_with("SIGTERM received: not ready");
    server.line_with("listeners closed; finishing the requests in flight");
    in_flight.write_all(b"{}").unwrap();
    let mut response = String::new();
    in_flight.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body: Value = serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(
        claims_of(body["access_token"].as_str().unwrap())["sub"],
        "9"
    );

    let (exited_cleanly, lines) = server.wait();
    assert!(exited_cleanly, "{lines:#?}");
}

#[test]
fn during_the_shutdown_delay_ready_is_503_while_requests_are_still_served_and_a_second_signal_stops_at_once()
 {
    let token = minted("10");
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_SHUTDOWN_DELAY_MS", "120000"),
    );
    let (status, body) = server.get("/health/ready");
    assert_eq!(status, 200, "{body}");

    server.signal("TERM");
    let announced = server.line_with("SIGTERM received: not ready");
    assert!(announced.contains("close in 120000 ms"), "{announced}");
    let (status, body) = server.get("/health/ready");
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    crate::support::assert_error_model(&body, 503);
    assert_eq!(body["devMessage"], "the server is shutting down");
    assert_eq!(server.get("/health/live").0, 200);
    let (status, body) = server.refresh(&token);
    assert_eq!(status, 200, "still served during the delay: {body}");

    let signalled = std::time::Instant::now();
    server.signal("TERM");
    let (_, lines) = server.wait();
    assert!(
        signalled.elapsed() < Duration::from_secs(30),
        "the second signal did not stop the server: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("SIGTERM received again")),
        "{lines:#?}"
    );
}
