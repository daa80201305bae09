//! No key and no token reaches the log, whatever a client sends and wherever it puts its token:
//! the binary runs at `RUST_LOG=trace` (every line ccstore and its dependencies can write) with
//! the Redis store, and answers a test suite's worth of requests, every operation and every
//! refusal, with tokens in every place a client could put one. Then the whole log is searched.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::binary::{Running, command, key_text, run};
use crate::redis_server::RedisServer;
use crate::support::{ISSUER, sign_with};

/// Sends `head` (request line and headers, without the blank line) and `body` on a new
/// connection; returns the status.
fn exchange(address: &str, head: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "{head}\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    response
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

fn post(address: &str, path: &str, token: &str) -> u16 {
    exchange(
        address,
        &format!(
            "POST {path} HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json"
        ),
        "{}",
    )
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn signed(claims: &Value, key: &[u8], alg: &str) -> String {
    sign_with(&json!({"alg": alg, "typ": "JWT"}), claims, key)
}

/// Tokens refused for each reason: expired, forged, another issuer, another algorithm, `none`,
/// a broken signature, oversized.
fn refused_tokens(valid: &str) -> Vec<String> {
    let key = key_text().as_bytes();
    let claims =
        |iat: u64, exp: u64, iss: &str| json!({"sub": "7", "iss": iss, "iat": iat, "exp": exp});
    let now = now();
    vec![
        signed(&claims(now - 2000, now - 1000, ISSUER), key, "HS256"),
        signed(
            &claims(now, now + 900, ISSUER),
            b"another-key-0123456789-0123456789",
            "HS256",
        ),
        signed(&claims(now, now + 900, "adminUI"), key, "HS256"),
        signed(&claims(now, now + 900, ISSUER), key, "HS512"),
        signed(&claims(now, now + 900, ISSUER), b"", "none"),
        format!("{valid}x"),
        "a".repeat(20_000),
    ]
}

/// Requests (head, body) carrying `token` in the query, the path, a cookie, the request id,
/// other headers, the body, a 405, a 413 and a 431, and the key as a Basic password.
fn misplaced(token: &str) -> Vec<(String, String)> {
    let verify = "POST /ccstore/v1/verify HTTP/1.1";
    let refresh_json = "POST /ccstore/v1/refresh HTTP/1.1\r\nContent-Type: application/json";
    let mut requests: Vec<(String, String)> = [
        format!("POST /ccstore/v1/refresh?access_token={token} HTTP/1.1"),
        format!("POST /ccstore/v1/refresh/{token} HTTP/1.1"),
        format!("POST /{token} HTTP/1.1"),
        format!("GET /ccstore/v1/refresh HTTP/1.1\r\nAuthorization: Bearer {token}"),
        format!("{verify}\r\nCookie: JSESSIONID=1; oauth_token={token}"),
        format!("{verify}\r\nX-Request-Id: {token}"),
        format!("{verify}\r\nX-Access-Token: {token}"),
        format!("{verify}\r\nAuthorization: Basic {}", key_text()),
        format!("{verify}\r\nAuthorization: Bearer {token}\r\nAuthorization: Bearer {token}"),
        format!(
            "{verify}\r\nX-Padding: {}\r\nAuthorization: Bearer {token}",
            "p".repeat(40_000)
        ),
    ]
    .into_iter()
    .map(|head| (head, "{}".to_owned()))
    .collect();
    for body in [
        json!({"refresh_token": token}).to_string(),
        format!("[\"{token}\""),
        format!(
            "{{\"token\": \"{token}\", \"pad\": \"{}\"}}",
            "p".repeat(70_000)
        ),
    ] {
        requests.push((refresh_json.to_owned(), body));
    }
    requests
}

#[test]
fn a_suite_of_requests_at_trace_level_never_logs_a_key_or_a_token() {
    let redis = RedisServer::start();
    let mint = |sub: &str| {
        let output = run(command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .args(["token", "--sub", sub]));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let mut server = Running::start(
        command()
            .env("RUST_LOG", "trace")
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_REDIS_URL", redis.url()),
    );
    let address = server.address();
    let mut secrets: Vec<String> = vec![key_text().to_owned()];
    let mut remember = |token: String| {
        secrets.push(token.clone());
        token
    };

    // Every operation, succeeding.
    let first = remember(mint("1"));
    let (status, body) = server.refresh(&first);
    assert_eq!(status, 200, "{body}");
    let second = remember(body["access_token"].as_str().unwrap().to_owned());
    assert_eq!(post(&address, "/ccstore/v1/verify", &second), 200);
    let (status, body) = server.refresh(&second);
    assert_eq!(status, 200, "{body}");
    let third = remember(body["access_token"].as_str().unwrap().to_owned());
    // After a logout, every token of the session is refused.
    assert_eq!(post(&address, "/ccstore/v1/logout", &third), 200);
    for token in [&first, &second, &third] {
        assert_eq!(post(&address, "/ccstore/v1/refresh", token), 401);
        assert_eq!(post(&address, "/ccstore/v1/logout", token), 401);
    }

    // Every refusal.
    for token in refused_tokens(&mint("3")) {
        let token = remember(token);
        for path in [
            "/ccstore/v1/refresh",
            "/ccstore/v1/verify",
            "/ccstore/v1/logout",
        ] {
            assert_eq!(post(&address, path, &token), 401, "{path}");
        }
    }

    // A valid token everywhere but where it belongs.
    for (head, body) in misplaced(&remember(mint("4"))) {
        let status = exchange(&address, &head, &body);
        assert!((400..500).contains(&status), "{status} for {}", &head[..40]);
    }

    // A token as the method (spelled base64url, every character of which HTTP allows in a
    // method): ccstore does not serve it, so the access line names it with a fixed word.
    let as_method = remember(
        mint("5")
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', ""),
    );
    let head = format!("{as_method} /ccstore/v1/refresh HTTP/1.1");
    assert_eq!(exchange(&address, &head, ""), 405);

    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
    let log = lines.join("\n");
    assert!(
        log.contains("OTHER /ccstore/v1/refresh 405 "),
        "the request with a token as its method was not logged as OTHER:\n{log}"
    );
    assert!(log.contains("TRACE"), "trace level was not on:\n{log}");
    assert!(
        log.contains("{redacted}"),
        "the token-in-path requests were not logged:\n{log}"
    );
    assert!(lines.len() > 100, "{} lines", lines.len());
    for secret in &secrets {
        // A tenth of a token is already too much: no 40-byte piece of one may appear.
        for piece in secret
            .as_bytes()
            .chunks(40)
            .filter(|piece| piece.len() == 40)
        {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !log.contains(piece),
                "the log contains {piece:?} of a secret"
            );
        }
    }
}
