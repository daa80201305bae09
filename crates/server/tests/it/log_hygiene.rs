//! No key and no token reaches the log, whatever a client sends and wherever it puts its token:
//! the binary runs at `RUST_LOG=trace` (every line ccstore and its dependencies can write) with
//! the Redis store, and answers a test suite's worth of requests, every operation and every
//! refusal, with tokens in every place a client could put one; and logins of every kind, failed
//! ones and reloads of the credential files. Then the whole log is searched: the one secret it
//! may hold is development mode's announcement of its demo credentials, in its own lines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use ccstore_core::Totp;

use crate::binary::{Running, command, key_text, run};
use crate::credentials_cli::{
    key_login, new_app_key, password_form, totp_user_line, user_line, user_login, write_lines,
};
use crate::demo_logins::Announcement;
use crate::redis_server::{RedisServer, scratch_dir};
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

/// Whether `log` holds `secret`, or for a long one (a token, a key) any 40-byte piece of it.
fn leaks(log: &str, secret: &str) -> bool {
    if secret.len() < 80 {
        return log.contains(secret);
    }
    secret
        .as_bytes()
        .chunks(40)
        .filter(|piece| piece.len() == 40)
        .any(|piece| log.contains(std::str::from_utf8(piece).unwrap()))
}

/// The password the failed logins give.
const WRONG_PASSWORD: &str = "wrong pass word";

/// The access token of a 200 login answer.
fn token_of((status, body): (u16, Value)) -> String {
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn logins_failures_and_reloads_at_trace_level_log_no_credential_but_the_demo_announcement() {
    let redis = RedisServer::start();
    let dir = scratch_dir("hygiene-logins");
    let (password, later_password) = ("hygiene pass word", "later pass word");
    let user = user_line(&["ann@example.com", "--family", "store"], password);
    let later = user_line(&["later@example.com", "--family", "store"], later_password);
    let (admin, totp_secret) = totp_user_line("ops", password);
    let (app_key, key_line) = new_app_key(&["--name", "deploy"]);
    let (unregistered, _) = new_app_key(&["--name", "unregistered"]);
    let field = |line: &str, name: &str| {
        serde_json::from_str::<Value>(line).unwrap()[name]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let users = write_lines(&dir, "users", &[&user, &admin]);
    let keys = write_lines(&dir, "app-keys", &[&key_line]);
    let mut server = Running::start(
        command()
            .env("RUST_LOG", "trace")
            .env("CCSTORE_REDIS_URL", redis.url())
            .env("CCSTORE_USERS_FILE", &users)
            .env("CCSTORE_APP_KEYS_FILE", &keys)
            .env("CCSTORE_LOGIN_MAX_FAILURES", "3"),
    );
    let demo = Announcement::read(&mut server);
    let mut secrets = vec![
        password.to_owned(),
        later_password.to_owned(),
        WRONG_PASSWORD.to_owned(),
        totp_secret.clone(),
        app_key.clone(),
        unregistered.clone(),
        field(&user, "password_hash"),
        field(&later, "password_hash"),
        field(&admin, "password_hash"),
        field(&key_line, "sha256"),
    ];

    // The demo credentials, and a refresh of what they got.
    let demo_token = token_of(user_login(
        &mut server,
        "/ccstore/v1/login",
        &demo.shopper_form,
    ));
    let (status, body) = server.refresh(&demo_token);
    secrets.push(token_of((status, body)));
    secrets.push(demo_token);
    secrets.push(token_of(key_login(
        &mut server,
        "/ccadmin/v1/login",
        &demo.app_key,
    )));
    secrets.extend(log_in_every_way(
        &mut server,
        password,
        &totp_secret,
        (&app_key, &unregistered),
    ));

    // A broken reload (kept, the line not quoted), then a good one.
    let cut = |line: &str| line[..line.len() - 3].to_owned();
    write_lines(&dir, "users", &[&user, &cut(&later)]);
    write_lines(&dir, "app-keys", &[&cut(&key_line)]);
    server.signal("HUP");
    server.line_with("the users in force are kept");
    server.line_with("the application keys in force are kept");
    write_lines(&dir, "users", &[&later]);
    server.signal("HUP");
    server.line_with("SIGHUP: users reloaded");
    let form = password_form("later@example.com", later_password);
    secrets.push(token_of(user_login(
        &mut server,
        "/ccstore/v1/login",
        &form,
    )));

    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
    let log = lines.join("\n");
    assert!(log.contains("TRACE"), "trace level was not on:\n{log}");
    assert_only_announced(&lines, &demo, &secrets);
}

/// No secret of `secrets` (nor of `demo`) in `lines` outside the announcement, and the demo
/// password and key each in exactly their two lines of it.
fn assert_only_announced(lines: &[String], demo: &Announcement, secrets: &[String]) {
    // Outside the announcement (written at start, before any login), no secret at all.
    let rest: Vec<String> = lines
        .iter()
        .filter(|line| !demo.lines.contains(line))
        .cloned()
        .collect();
    assert_eq!(rest.len() + demo.lines.len(), lines.len(), "announced once");
    let rest = rest.join("\n");
    for secret in secrets.iter().chain([&demo.password, &demo.app_key]) {
        assert!(
            !leaks(&rest, secret),
            "a secret reached the log: {secret:?}\n{rest}"
        );
    }
    // The demo password and key are each in exactly their two lines.
    for (secret, announced) in [
        (&demo.password, &demo.password_lines),
        (&demo.app_key, &demo.key_lines),
    ] {
        let holding: Vec<&String> = lines.iter().filter(|line| line.contains(secret)).collect();
        assert_eq!(holding, announced.iter().collect::<Vec<_>>(), "{secret}");
    }
}

/// Logs in as the file's users (`password` is theirs; `ops` needs a passcode of `totp_secret`)
/// and with its key: successes, failures up to a lock, an unknown name, a passcode used twice,
/// an unregistered key, a key given as a password. The tokens obtained.
fn log_in_every_way(
    server: &mut Running,
    password: &str,
    totp_secret: &str,
    (app_key, unregistered): (&str, &str),
) -> Vec<String> {
    let mut tokens = Vec::new();
    // Users of the file: a success, failures up to a lock, an unknown name, a passcode twice.
    let form = password_form("ann@example.com", password);
    tokens.push(token_of(user_login(server, "/ccstore/v1/login", &form)));
    let wrong_form = password_form("ann@example.com", WRONG_PASSWORD);
    for expected in [400, 400, 400, 429] {
        let (status, body) = user_login(server, "/ccstore/v1/login", &wrong_form);
        assert_eq!(status, expected, "{body}");
    }
    let unknown = password_form("nobody@example.com", password);
    assert_eq!(user_login(server, "/ccstore/v1/login", &unknown).0, 400);
    let code = Totp::from_base32(totp_secret).unwrap().code_at(now());
    let mfa = format!("{}&totp_code={code}", password_form("ops", password));
    tokens.push(token_of(user_login(server, "/ccadmin/v1/mfalogin", &mfa)));
    assert_eq!(user_login(server, "/ccadmin/v1/mfalogin", &mfa).0, 400);
    // Application keys: registered, unregistered, the key given as a password.
    tokens.push(token_of(key_login(server, "/ccadmin/v1/login", app_key)));
    assert_eq!(key_login(server, "/ccadmin/v1/login", unregistered).0, 401);
    let key_as_password = password_form("deploy", app_key);
    assert_eq!(
        user_login(server, "/ccadmin/v1/login", &key_as_password).0,
        400
    );

    tokens
}
