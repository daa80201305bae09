//! Request size and connection limits as configured: 413 and 431 are `errorModel` answers at the
//! configured sizes, and a worker holds no more connections than allowed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test as actix_test;
use ccstore_core::ManualClock;
use ccstore_server::Limits;
use ccstore_server::build_app;
use serde_json::Value;

use crate::binary::{Running, command, run};
use crate::support::{KEY, NOW, assert_error_model, refresh_with, shopper_token, state};

/// Status and body of `request` sent to an app with `limits`.
async fn status_with(limits: Limits, request: actix_test::TestRequest) -> (StatusCode, Value) {
    let clock = ManualClock::at(NOW);
    let mut state = state(&clock);
    state.limits = limits;
    let app = actix_test::init_service(build_app(state)).await;
    // An error that leaves the middleware is answered by actix's dispatcher with its
    // `error_response()`, as here.
    let response = match actix_test::try_call_service(&app, request.to_request()).await {
        Ok(response) => response.map_into_boxed_body().into_parts().1,
        Err(error) => error.error_response(),
    };
    let status = response.status();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[actix_rt::test]
async fn the_configured_body_limit_is_413_one_byte_past_it() {
    let limits = Limits {
        max_body_bytes: 100,
        ..Limits::default()
    };
    let body = |size| refresh_with(&shopper_token()).set_payload(vec![b' '; size]);
    let (status, _) = status_with(limits, body(100)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = status_with(limits, body(101)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error_model(&error, 413);
}

#[actix_rt::test]
async fn a_head_over_the_limit_is_431_error_model_and_one_within_is_served() {
    for max_header_bytes in [Limits::DEFAULT_HEADER_BYTES, 8_192] {
        let limits = Limits {
            max_header_bytes,
            ..Limits::default()
        };
        let with_padding = |bytes: usize| {
            refresh_with(&shopper_token()).insert_header(("X-Padding", "p".repeat(bytes)))
        };
        let (status, body) = status_with(limits, with_padding(max_header_bytes)).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_error_model(&body, 431);
        let (status, _) = status_with(limits, with_padding(max_header_bytes / 2)).await;
        assert_eq!(status, StatusCode::OK, "limit {max_header_bytes}");
    }
}

#[test]
fn limits_out_of_range_are_refused_at_start() {
    for (variable, value) in [
        ("CCSTORE_MAX_BODY_BYTES", "1"),
        ("CCSTORE_MAX_HEADER_BYTES", "1024"),
        ("CCSTORE_MAX_HEADER_BYTES", "200000"),
        ("CCSTORE_MAX_CONNECTIONS", "0"),
    ] {
        let output = run(command()
            .env(variable, value)
            .env("CCSTORE_BIND", "127.0.0.1:0"));
        assert!(!output.status.success(), "{variable}={value}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("not in"), "{variable}={value}: {stderr}");
    }
}

/// A request on a new connection, sent whole.
fn send_verify(address: &str, token: &str, keep_alive: bool) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let request = format!(
        "POST /ccstore/v1/verify HTTP/1.1\r\nHost: t\r\nConnection: {connection}\r\n\
         Authorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

/// The status line of the response read from `stream`, or the read error.
fn status_line(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buffer = [0; 512];
    let read = stream.read(&mut buffer)?;
    let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn a_worker_serves_at_most_max_connections_and_the_next_waits_its_turn() {
    let key = std::str::from_utf8(KEY).unwrap();
    let minted = run(command()
        .env("CCSTORE_JWT_SECRET", key)
        .args(["token", "--sub", "5"]));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key)
            .env("CCSTORE_MAX_CONNECTIONS", "2"),
    );
    let address = server.address();
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = send_verify(&address, &token, true);
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            assert!(status_line(&mut stream).unwrap().contains("200"));
            stream
        })
        .collect();

    // The third connection is left in the listen backlog: its request gets no answer while both
    // others are open. Proving an absence takes a bounded wait; one second is ample on a server
    // that answered the first two in microseconds.
    let mut third = send_verify(&address, &token, false);
    third
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let waiting = status_line(&mut third);
    assert!(
        waiting.as_ref().is_err_and(|error| matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "answered past the limit: {waiting:?}"
    );

    // Closing one held connection lets the worker accept the third.
    held.pop();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(status_line(&mut third).unwrap().contains("200"));
    drop(held);
    server.terminate();
}
