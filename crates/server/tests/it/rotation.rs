//! Key rotation through the binary: keys from `CCSTORE_JWT_KEYS_FILE`, reread on SIGHUP while
//! clients refresh on keep-alive connections, with not one refresh failing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::{Running, command, run};
use crate::support::{KEY, claims_of};

const K1: &str = "k1-secret-0123456789-0123456789-0123456789";
const K2: &str = "k2-secret-0123456789-0123456789-0123456789";
const CLIENTS: usize = 4;

/// A key file in the temp directory, removed when dropped.
struct KeysFile(PathBuf);

impl KeysFile {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("ccstore-{name}-{}.json", std::process::id())))
    }

    fn write(&self, keys: &[(&str, &str)], active: &str) {
        let keys: Vec<Value> = keys
            .iter()
            .map(|(kid, secret)| json!({"kid": kid, "secret": secret}))
            .collect();
        self.write_text(&json!({"active": active, "keys": keys}).to_string());
    }

    /// Replaces the file atomically, as an operator's `mv` would.
    fn write_text(&self, text: &str) {
        let staged = self.0.with_extension("staged");
        std::fs::write(&staged, text).unwrap();
        std::fs::rename(&staged, &self.0).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for KeysFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn header_of(token: &str) -> Value {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::STANDARD
        .decode(header)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn mint(keys: &KeysFile, sub: &str) -> String {
    let output = run(command()
        .env("CCSTORE_JWT_KEYS_FILE", keys.path())
        .args(["token", "--sub", sub]));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// One refresh over a kept-alive connection: the status and the body.
fn refresh_on(reader: &mut BufReader<TcpStream>, token: &str) -> (u16, Value) {
    let request = format!(
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    reader.get_mut().write_all(request.as_bytes()).unwrap();
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// What a client saw: one event per refresh, the `kid` of the token it got or the failure.
type Event = (usize, Result<String, (u16, Value)>);

/// A client refreshing its own chain of tokens until `stop`, reporting every refresh.
fn client(
    id: usize,
    address: String,
    mut token: String,
    stop: &AtomicBool,
    events: &mpsc::Sender<Event>,
) {
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        let (status, body) = refresh_on(&mut reader, &token);
        if status != 200 {
            events.send((id, Err((status, body)))).unwrap();
            return;
        }
        body["access_token"]
            .as_str()
            .unwrap()
            .clone_into(&mut token);
        let kid = header_of(&token)["kid"].as_str().unwrap().to_owned();
        if events.send((id, Ok(kid))).is_err() {
            return;
        }
    }
}

/// Receives events until every client has reported a refresh that got a token with `kid`,
/// failing on any refused refresh; returns how many refreshes that took.
fn until_every_client_sees(events: &mpsc::Receiver<Event>, kid: &str) -> usize {
    let mut seen = [false; CLIENTS];
    let mut refreshes = 0;
    while !seen.iter().all(|seen| *seen) {
        let (id, outcome) = events
            .recv_timeout(Duration::from_secs(30))
            .expect("clients keep refreshing");
        match outcome {
            Ok(got) => seen[id] |= got == kid,
            Err(refused) => panic!("client {id}: refresh refused during rotation: {refused:?}"),
        }
        refreshes += 1;
    }
    refreshes
}

#[test]
fn keys_rotate_on_sighup_under_load_without_one_failed_refresh() {
    let keys = KeysFile::new("rotation");
    keys.write(&[("k1", K1)], "k1");
    let chains: Vec<String> = (0..CLIENTS)
        .map(|n| mint(&keys, &format!("c{n}")))
        .collect();
    let unused_k1_token = mint(&keys, "kept");
    assert_eq!(header_of(&unused_k1_token)["kid"], "k1");
    let mut server = Running::start(command().env("CCSTORE_JWT_KEYS_FILE", keys.path()));
    server.line_with(r#"signing keys: 1 key, active "k1""#);
    let address = server.address();

    let stop = Arc::new(AtomicBool::new(false));
    let (sender, events) = mpsc::channel();
    let clients: Vec<_> = chains
        .into_iter()
        .enumerate()
        .map(|(id, token)| {
            let (address, stop, sender) = (address.clone(), stop.clone(), sender.clone());
            thread::spawn(move || client(id, address, token, &stop, &sender))
        })
        .collect();
    drop(sender);
    let mut refreshes = until_every_client_sees(&events, "k1");

    // Step 1: k2 signs from now on, k1 still verifies what it signed.
    keys.write(&[("k1", K1), ("k2", K2)], "k2");
    server.signal("HUP");
    server.line_with(r#"keys reloaded: 2 keys, active "k2""#);
    refreshes += until_every_client_sees(&events, "k2");
    let (status, body) = server.post("/ccstore/v1/verify", &unused_k1_token);
    assert_eq!(
        status, 200,
        "a k1 token verifies while k1 is listed: {body}"
    );

    // A broken file is refused and the keys in force stay.
    keys.write_text(r#"{"active": "k3", "keys": ["#);
    server.signal("HUP");
    let refused = server.line_with("the keys in force are kept");
    assert!(
        refused.contains("ERROR") && refused.contains("line 1"),
        "{refused}"
    );
    refreshes += until_every_client_sees(&events, "k2");

    // Step 2: k1 is retired; its tokens are refused by name, k2's chains go on.
    keys.write(&[("k2", K2)], "k2");
    server.signal("HUP");
    server.line_with(r#"keys reloaded: 1 key, active "k2""#);
    let (status, body) = server.post("/ccstore/v1/verify", &unused_k1_token);
    assert_eq!(status, 401);
    assert_eq!(body["devMessage"], "the token's signing key is not known");
    refreshes += until_every_client_sees(&events, "k2");

    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    for (id, outcome) in &events {
        assert!(outcome.is_ok(), "client {id}: {outcome:?}");
        refreshes += 1;
    }
    assert!(refreshes >= 4 * CLIENTS, "{refreshes} refreshes");
    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
    let log = lines.join("\n");
    for secret in [K1, K2] {
        assert!(!log.contains(secret), "a key reached the log:\n{log}");
    }
}

#[test]
fn sighup_without_a_keys_file_is_logged_and_the_server_keeps_serving() {
    let key = std::str::from_utf8(KEY).unwrap();
    let output = run(command()
        .env("CCSTORE_JWT_SECRET", key)
        .args(["token", "--sub", "9"]));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(header_of(&token).get("kid").is_none());
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", key));
    server.line_with("signing keys: 1 key, active \"(unnamed)\"");
    server.signal("HUP");
    server.line_with("nothing to reload");
    let (status, body) = server.refresh(&token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims_of(body["access_token"].as_str().unwrap())["sub"],
        "9"
    );
    let (exited_cleanly, _) = server.terminate();
    assert!(exited_cleanly);
}

#[test]
fn an_unusable_keys_file_stops_the_start_and_names_the_fault_not_the_secret() {
    let keys = KeysFile::new("short");
    keys.write(&[("k1", K1), ("weak", "short-secret")], "k1");
    let output = run(command()
        .env("CCSTORE_JWT_KEYS_FILE", keys.path())
        .env("CCSTORE_BIND", "127.0.0.1:0"));
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(r#"key "weak""#) && stderr.contains("at least 32"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("short-secret") && !stderr.contains(K1),
        "{stderr}"
    );

    let output = run(command()
        .env("CCSTORE_JWT_KEYS_FILE", keys.path())
        .env("CCSTORE_JWT_SECRET", K1));
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("not both")
    );
}
