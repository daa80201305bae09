//! Behaviour only a real listener shows: what the HTTP codec refuses before the app, and panics.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, HttpServer, web};
use ccstore_core::ManualClock;
use ccstore_server::build_app;
use serde_json::Value;

use crate::support::{NOW, assert_error_model, shopper_token, state};

/// The app on a real socket, with one extra route that panics.
struct LiveServer {
    address: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

async fn panics() -> HttpResponse {
    panic!("deliberate panic in a test handler")
}

impl LiveServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (handle_sender, handle_receiver) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let state = state(&ManualClock::at(NOW));
                let server = HttpServer::new(move || {
                    build_app(state.clone()).route("/test/panic", web::post().to(panics))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                handle_sender.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        let handle = handle_receiver.recv().unwrap();
        Self {
            address,
            handle,
            thread: Some(thread),
        }
    }

    /// Sends `request` on a new connection; returns the status and the raw response.
    fn exchange(&self, request: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // The server may answer and close before it has read an oversized request.
        let _ = stream.write_all(request);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {response:?}"));
        (status, response)
    }

    fn refresh(&self, extra_headers: &str) -> (u16, String) {
        self.exchange(
            format!(
                "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
                 Content-Length: 2\r\n{extra_headers}\r\n{{}}"
            )
            .as_bytes(),
        )
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        actix_rt::System::new().block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

fn body_of(response: &str) -> Value {
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:?}"))
}

#[test]
fn a_200_kb_authorization_header_gets_a_4xx_and_the_server_goes_on() {
    let server = LiveServer::start();
    let huge = format!("Authorization: Bearer {}\r\n", "a".repeat(200 * 1024));
    let (status, response) = server.refresh(&huge);
    assert!((400..500).contains(&status), "{response}");

    let token = format!("Authorization: Bearer {}\r\n", shopper_token());
    let (status, response) = server.refresh(&token);
    assert_eq!(status, 200, "{response}");
}

#[test]
fn a_40_kb_head_gets_a_431_error_model_and_the_server_goes_on() {
    let server = LiveServer::start();
    let padding = format!("X-Padding: {}\r\n", "p".repeat(40 * 1024));
    let (status, response) = server.refresh(&padding);
    assert_eq!(status, 431, "{response}");
    assert_error_model(&body_of(&response), 431);

    let token = format!("Authorization: Bearer {}\r\n", shopper_token());
    let (status, response) = server.refresh(&token);
    assert_eq!(status, 200, "{response}");
}

#[test]
fn a_panicking_handler_answers_500_error_model_and_the_server_goes_on() {
    let server = LiveServer::start();
    let (status, response) =
        server.exchange(b"POST /test/panic HTTP/1.1\r\nHost: test\r\nConnection: close\r\nX-Request-Id: panic-1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(status, 500, "{response}");
    assert_error_model(&body_of(&response), 500);
    assert!(
        response
            .to_ascii_lowercase()
            .contains("\r\nx-request-id: panic-1\r\n"),
        "{response}"
    );

    let (status, _) = server.refresh(&format!("Authorization: Bearer {}\r\n", shopper_token()));
    assert_eq!(status, 200);
}

#[test]
fn an_unauthenticated_request_over_the_wire_is_a_401_error_model() {
    let server = LiveServer::start();
    let (status, response) = server.refresh("");
    assert_eq!(status, 401);
    assert!(
        response
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{response}"
    );
    assert_error_model(&body_of(&response), 401);
}

#[test]
fn a_chunked_body_over_64_kib_is_a_413_error_model() {
    let server = LiveServer::start();
    let chunk = "x".repeat(16 * 1024);
    let mut request = format!(
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        shopper_token()
    );
    for _ in 0..5 {
        write!(request, "{:x}\r\n{chunk}\r\n", chunk.len()).unwrap();
    }
    request.push_str("0\r\n\r\n");
    let (status, response) = server.exchange(request.as_bytes());
    assert_eq!(status, 413, "{response}");
    assert_error_model(&body_of(&response), 413);
}

#[test]
fn a_json_body_in_several_chunks_is_read_whole() {
    let server = LiveServer::start();
    let chunked = |pieces: &[&str]| {
        let mut request = format!(
            "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
             Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n",
            shopper_token()
        );
        for piece in pieces {
            write!(request, "{:x}\r\n{piece}\r\n", piece.len()).unwrap();
        }
        request.push_str("0\r\n\r\n");
        server.exchange(request.as_bytes())
    };
    // An object only when its pieces are put together: each piece alone is not JSON.
    let (status, response) = chunked(&[r#"{"refresh"#, r#"_token":"#, r#""x"}"#]);
    assert_eq!(status, 200, "{response}");
    // Not an object once put together, though its first piece starts like one.
    let (status, response) = chunked(&[r#"{"refresh"#, r#"_token":"#, "}"]);
    assert_eq!(status, 400, "{response}");
    assert_error_model(&body_of(&response), 400);
}

/// The value of header `name` in a raw HTTP response, compared case-insensitively.
fn raw_header<'r>(response: &'r str, name: &str) -> Option<&'r str> {
    let (head, _) = response.split_once("\r\n\r\n")?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[test]
fn head_on_a_get_resource_sends_the_get_headers_without_the_body() {
    let server = LiveServer::start();
    let request = |method: &str| {
        format!("{method} /openapi.json HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
    };
    let (get_status, get) = server.exchange(request("GET").as_bytes());
    let (head_status, head) = server.exchange(request("HEAD").as_bytes());
    assert_eq!((get_status, head_status), (200, 200), "{head}");
    let length = raw_header(&get, "content-length").unwrap();
    assert!(length.parse::<usize>().unwrap() > 1000, "{length}");
    assert_eq!(raw_header(&head, "content-length"), Some(length));
    assert_eq!(
        raw_header(&head, "content-type"),
        raw_header(&get, "content-type")
    );
    assert_eq!(
        head.split_once("\r\n\r\n").unwrap().1,
        "",
        "HEAD sent a body"
    );
}
