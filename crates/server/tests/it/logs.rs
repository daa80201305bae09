//! The binary's log lines as a collector reads them: `CCSTORE_LOG_FORMAT=json` gives one JSON
//! object a line, and every line written while a request is handled names its request id, the
//! id the client got back in `X-Request-Id`.

use std::collections::HashMap;
use std::net::TcpListener;

use serde_json::Value;

use crate::binary::{Running, command, key_text, run};

fn token(sub: &str) -> String {
    let minted = run(command()
        .env("CCSTORE_JWT_SECRET", key_text())
        .args(["token", "--sub", sub]));
    String::from_utf8(minted.stdout).unwrap().trim().to_owned()
}

fn json_server() -> Running {
    Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_LOG_FORMAT", "json"),
    )
}

/// Parses every line, asserting the fields every line has.
fn parse_all(lines: &[String]) -> Vec<Value> {
    assert!(!lines.is_empty());
    lines
        .iter()
        .map(|line| {
            let record: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            for field in ["timestamp", "level", "target", "message"] {
                assert!(record[field].is_string(), "no {field} in {line}");
            }
            let timestamp = record["timestamp"].as_str().unwrap();
            assert!(
                timestamp.len() == 20
                    && timestamp.ends_with('Z')
                    && timestamp.as_bytes()[10] == b'T',
                "{timestamp}"
            );
            record
        })
        .collect()
}

/// The access lines by request id.
fn access_lines(records: &[Value]) -> HashMap<String, Value> {
    records
        .iter()
        .filter(|record| record["target"] == "ccstore::access")
        .map(|record| {
            let id = record["request_id"]
                .as_str()
                .unwrap_or_else(|| panic!("no request_id in {record}"));
            (id.to_owned(), record.clone())
        })
        .collect()
}

/// A generated id: 16 hex digits, a dash, a decimal counter.
fn is_generated(id: &str) -> bool {
    id.split_once('-').is_some_and(|(prefix, counter)| {
        prefix.len() == 16
            && prefix.bytes().all(|byte| byte.is_ascii_hexdigit())
            && !counter.is_empty()
            && counter.bytes().all(|byte| byte.is_ascii_digit())
    })
}

#[test]
fn json_lines_parse_and_each_access_line_carries_the_answered_request_id() {
    let token = token("110558");
    let bearer = format!("Bearer {token}");
    let mut server = json_server();
    let refreshed = server.send(
        "POST",
        "/ccstore/v1/refresh?access_token=x",
        &[("Authorization", &bearer), ("X-Request-Id", "client-id-1")],
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.header("x-request-id"), "client-id-1");
    let refused = server.send("POST", "/ccstore/v1/refresh", &[]);
    assert_eq!(refused.status, 401);
    let refused_id = refused.header("x-request-id").to_owned();
    assert!(is_generated(&refused_id), "{refused_id}");
    server.line_with(&refused_id);
    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly);

    let records = parse_all(&lines);
    let access = access_lines(&records);
    let ok = &access["client-id-1"];
    assert_eq!(ok["level"], "INFO");
    assert_eq!(ok["method"], "POST");
    assert_eq!(ok["path"], "/ccstore/v1/refresh", "the query is not logged");
    assert_eq!(ok["status"], 200);
    assert!(ok["latency_ms"].as_f64().unwrap() >= 0.0, "{ok}");
    assert_eq!(access[&refused_id]["status"], 401);
    assert_eq!(access.len(), 2, "{access:#?}");
    // Lines outside any request (start-up, shutdown) have no request id.
    let listening = records
        .iter()
        .find(|record| record["message"].as_str().unwrap().contains("listening on"))
        .unwrap();
    assert!(listening.get("request_id").is_none(), "{listening}");
}

#[test]
fn unacceptable_request_ids_are_replaced_and_never_logged() {
    let mut server = json_server();
    let too_long = "a".repeat(129);
    let longest = "b".repeat(128);
    let mut replaced = Vec::new();
    for supplied in [
        too_long.as_str(),
        "tab\tinside",
        "space inside",
        "quote\"inside",
        "{\"injected\":1}",
    ] {
        let answer = server.send("POST", "/ccstore/v1/verify", &[("X-Request-Id", supplied)]);
        assert_eq!(answer.status, 401);
        let id = answer.header("x-request-id").to_owned();
        assert!(is_generated(&id), "{supplied:?} became {id:?}");
        replaced.push(id);
    }
    let kept = server.send("POST", "/ccstore/v1/verify", &[("X-Request-Id", &longest)]);
    assert_eq!(kept.header("x-request-id"), longest);
    server.line_with(&longest);
    let (_, lines) = server.terminate();

    let access = access_lines(&parse_all(&lines));
    for id in &replaced {
        assert_eq!(access[id]["status"], 401, "{id}");
    }
    let log = lines.join("\n");
    for supplied in [
        too_long.as_str(),
        "tab\\tinside",
        "space inside",
        "injected",
    ] {
        assert!(
            !log.contains(supplied),
            "{supplied:?} reached the log:\n{log}"
        );
    }
}

#[test]
fn a_store_error_logged_while_handling_a_request_carries_its_request_id() {
    // A port nothing listens on: every Redis call fails at once.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let token = token("7");
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_LOG_FORMAT", "json")
            .env("CCSTORE_REDIS_URL", format!("redis://{closed}")),
    );
    let answer = server.send(
        "POST",
        "/ccstore/v1/refresh",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("X-Request-Id", "store-down-1"),
        ],
    );
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.header("x-request-id"), "store-down-1");
    server.line_with("ccstore::access");
    let (_, lines) = server.terminate();

    let records = parse_all(&lines);
    let store_error = records
        .iter()
        .find(|record| record["target"] == "ccstore_core::session::redis")
        .unwrap_or_else(|| panic!("no store error in {lines:#?}"));
    assert_eq!(store_error["level"], "WARN");
    assert_eq!(store_error["request_id"], "store-down-1", "{store_error}");
    assert_eq!(access_lines(&records)["store-down-1"]["status"], 503);
}

#[test]
fn text_access_lines_end_with_the_request_id() {
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", key_text()));
    let answer = server.send("GET", "/nowhere", &[("X-Request-Id", "text-1")]);
    assert_eq!(answer.status, 404);
    let line = server.line_with("GET /nowhere 404");
    assert!(line.starts_with('['), "{line}");
    assert!(line.ends_with("ms request_id=text-1"), "{line}");
    server.terminate();
}
