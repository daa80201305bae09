//! The credential commands as operators run them (`user add`, `app-key new`), and their lines in
//! a running server: each line logs in through `CCSTORE_USERS_FILE` or `CCSTORE_APP_KEYS_FILE`,
//! SIGHUP rereads both files, and a broken file keeps the set in force with a log line that
//! names the line without quoting it. No password or key is ever in what the commands or the
//! server print, but where it is meant to be shown once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ccstore_core::{AppKeys, Families, Totp, Users};
use serde_json::{Value, json};

use crate::binary::{Running, command, key_text, run};
use crate::log_hygiene::now;
use crate::redis_server::scratch_dir;
use crate::support::claims_of;

/// Runs `command` with `input` on its standard input.
pub(crate) fn run_with_input(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses before reading closes its input: that write may fail.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `user add` with `args`, the password given on standard input: its stdout line.
pub(crate) fn user_line(args: &[&str], password: &str) -> String {
    let output = run_with_input(
        command().arg("user").arg("add").args(args),
        &format!("{password}\n"),
    );
    assert!(output.status.success(), "{output:?}");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(!stdout.contains(password) && !stderr.contains(password));
    stdout.trim().to_owned()
}

/// `app-key new` with `args`: the key (from stderr) and the line (stdout).
pub(crate) fn new_app_key(args: &[&str]) -> (String, String) {
    let output = run(command().arg("app-key").arg("new").args(args));
    assert!(output.status.success(), "{output:?}");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    let key = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(key.starts_with("ccak_"), "{stderr}");
    assert!(stderr.contains("shown only this once"), "{stderr}");
    assert_eq!(stderr.matches(&key).count(), 1, "{stderr}");
    assert!(!stdout.contains(&key), "the key is in the line: {stdout}");
    (key, stdout.trim().to_owned())
}

/// A file of the test's own holding `lines`.
pub(crate) fn write_lines(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The form of a password login.
pub(crate) fn password_form(username: &str, password: &str) -> String {
    format!(
        "grant_type=password&username={username}&password={}",
        password.replace(' ', "+")
    )
}

/// Logs in to `target` with the application key `key`: the status and body.
pub(crate) fn key_login(server: &mut Running, target: &str, key: &str) -> (u16, Value) {
    let answer = server.login(
        target,
        &[("Authorization", &format!("Bearer {key}"))],
        "grant_type=client_credentials",
    );
    (answer.status, answer.json())
}

/// Logs in to `target` with a password form: the status and body.
pub(crate) fn user_login(server: &mut Running, target: &str, form: &str) -> (u16, Value) {
    let answer = server.login(target, &[], form);
    (answer.status, answer.json())
}

#[test]
fn user_add_reads_the_password_from_input_and_its_line_logs_in_through_the_server() {
    let password = "pass word 1234";
    let line = user_line(
        &[
            "ann@example.com",
            "--family",
            "store",
            "--sub",
            "se-570031",
            "--claim",
            "occs.admin.profileId=p-1",
            "--claim",
            r#"com.oracle.atg.cloud.commerce.roles:=["shopper"]"#,
        ],
        password,
    );
    let fields: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(fields["username"], "ann@example.com");
    assert_eq!(fields["family"], "store");
    assert_eq!(fields["sub"], "se-570031");
    assert!(
        fields["password_hash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$"),
        "{line}"
    );
    assert_eq!(Users::parse(&line, &Families::default()).unwrap().len(), 1);

    let dir = scratch_dir("user-add");
    let users = write_lines(&dir, "users", &[&line]);
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_USERS_FILE", &users),
    );
    let form = password_form("Ann@Example.com", password);
    let (status, body) = user_login(&mut server, "/ccstore/v1/login", &form);
    assert_eq!(status, 200, "{body}");
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "se-570031");
    assert_eq!(claims["occs.admin.profileId"], "p-1");
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["shopper"])
    );
    let wrong = password_form("ann@example.com", "pass word 1235");
    let (status, body) = user_login(&mut server, "/ccstore/v1/login", &wrong);
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
    let (_, lines) = server.terminate();
    assert!(!lines.join("\n").contains("pass word"));
}

#[test]
fn user_add_takes_no_password_from_arguments_and_refuses_an_empty_or_short_one() {
    let refused = |args: &[&str], input: &str| {
        let output = run_with_input(command().arg("user").arg("add").args(args), input);
        assert!(!output.status.success(), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: a line was printed");
        text(&output.stderr)
    };
    let store = ["ann", "--family", "store"];
    let stderr = refused(
        &[&store[..], &["--password", "pass word 1234"]].concat(),
        "",
    );
    assert!(
        stderr.contains("unexpected argument '--password'"),
        "{stderr}"
    );
    // Nothing is taken from the environment either.
    let output = run_with_input(
        command()
            .args(["user", "add"])
            .args(store)
            .env("CCSTORE_PASSWORD", "pass word 1234")
            .env("PASSWORD", "pass word 1234"),
        "",
    );
    assert!(!output.status.success() && output.stdout.is_empty());
    assert!(text(&output.stderr).contains("empty"), "{output:?}");
    assert!(refused(&store, "\n").contains("empty"));
    let short = refused(&store, "short\n");
    assert!(short.contains("at least 8 characters"), "{short}");
    assert!(!short.contains("short\n") && !short.contains(": short"));
    let family = refused(&["ann", "--family", "app"], "pass word 1234\n");
    assert!(family.contains("does not accept"), "{family}");
    let unknown = refused(&["ann", "--family", "nope"], "pass word 1234\n");
    assert!(unknown.contains("no family \"nope\""), "{unknown}");
}

/// `user add USERNAME --family admin --totp` with `password`: the line and the TOTP secret.
pub(crate) fn totp_user_line(username: &str, password: &str) -> (String, String) {
    let output = run_with_input(
        command().args(["user", "add", username, "--family", "admin", "--totp"]),
        &format!("{password}\n"),
    );
    assert!(output.status.success(), "{output:?}");
    let (line, stderr) = (text(&output.stdout), text(&output.stderr));
    let secret = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(stderr.contains("shown only this once"), "{stderr}");
    assert_eq!(stderr.matches(&secret).count(), 1, "{stderr}");
    assert!(!line.contains(password) && !stderr.contains(password));
    (line.trim().to_owned(), secret)
}

#[test]
fn user_add_with_totp_shows_the_secret_once_and_the_user_then_needs_a_passcode() {
    let password = "admin pass word";
    let (line, secret) = totp_user_line("ops", password);
    let fields: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(fields["totp_secret"], secret.as_str());
    assert_eq!(fields["sub"], "ops", "the sub defaults to the username");
    let totp = Totp::from_base32(&secret).unwrap();

    let dir = scratch_dir("user-totp");
    let users = write_lines(&dir, "users", &[&line]);
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_USERS_FILE", &users),
    );
    let form = password_form("ops", password);
    let (status, body) = user_login(&mut server, "/ccadmin/v1/mfalogin", &form);
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
    let with_code = format!("{form}&totp_code={}", totp.code_at(now()));
    let (status, body) = user_login(&mut server, "/ccadmin/v1/mfalogin", &with_code);
    assert_eq!(status, 200, "{body}");
    let (_, lines) = server.terminate();
    let log = lines.join("\n");
    assert!(!log.contains(&secret) && !log.contains("admin pass"));
}

#[test]
fn app_key_new_shows_the_key_once_and_its_line_logs_in_at_the_admin_login() {
    let (key, line) = new_app_key(&[
        "--name",
        "osf-deploy",
        "--claim",
        r#"com.oracle.atg.cloud.commerce.roles:=["admin"]"#,
    ]);
    let fields: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(fields["families"], json!(["admin"]), "admin by default");
    assert_eq!(fields["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        AppKeys::parse(&line, &Families::default()).unwrap().len(),
        1
    );
    // Every key is new.
    let (other, _) = new_app_key(&["--name", "other", "--family", "admin", "--family", "app"]);
    assert_ne!(key, other);
    let store = run(command().args(["app-key", "new", "--name", "x", "--family", "store"]));
    assert!(!store.status.success() && store.stdout.is_empty());

    let dir = scratch_dir("app-key");
    let keys = write_lines(&dir, "app-keys", &[&line]);
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_APP_KEYS_FILE", &keys),
    );
    let (status, body) = key_login(&mut server, "/ccadmin/v1/login", &key);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 300);
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "osf-deploy");
    assert_eq!(claims["iss"], "adminUI");
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
    let (status, body) = key_login(&mut server, "/ccapp/v1/login", &key);
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    let (_, lines) = server.terminate();
    assert!(!lines.join("\n").contains(&key));
}

#[test]
fn sighup_rereads_both_files_and_a_broken_file_keeps_the_set_in_force_unquoted() {
    let (first_password, second_password) = ("first pass word", "second pass word");
    let first = user_line(&["first", "--family", "store"], first_password);
    let second = user_line(&["second", "--family", "store"], second_password);
    let (first_key, first_key_line) = new_app_key(&["--name", "first-app"]);
    let (second_key, second_key_line) = new_app_key(&["--name", "second-app"]);
    let dir = scratch_dir("reload");
    let users = write_lines(&dir, "users", &[&first]);
    let keys = write_lines(&dir, "app-keys", &[&first_key_line]);
    let mut server = Running::start(
        command()
            .env("CCSTORE_JWT_SECRET", key_text())
            .env("CCSTORE_USERS_FILE", &users)
            .env("CCSTORE_APP_KEYS_FILE", &keys),
    );
    let logs_in = |server: &mut Running, username: &str, password: &str| {
        let form = password_form(username, password);
        user_login(server, "/ccstore/v1/login", &form).0 == 200
    };
    let key_works =
        |server: &mut Running, key: &str| key_login(server, "/ccadmin/v1/login", key).0 == 200;
    assert!(logs_in(&mut server, "first", first_password));
    assert!(key_works(&mut server, &first_key));

    // Broken on line 2: a valid line, then one cut short, holding a hash and a digest.
    let hash = serde_json::from_str::<Value>(&second).unwrap()["password_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let digest = serde_json::from_str::<Value>(&second_key_line).unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let cut = |line: &str| line[..line.len() - 3].to_owned();
    write_lines(&dir, "users", &[&first, &cut(&second)]);
    write_lines(&dir, "app-keys", &[&first_key_line, &cut(&second_key_line)]);
    server.signal("HUP");
    let users_kept = server.line_with("the users in force are kept");
    let keys_kept = server.line_with("the application keys in force are kept");
    for refusal in [&users_kept, &keys_kept] {
        assert!(
            refusal.contains("ERROR") && refusal.contains("line 2"),
            "{refusal}"
        );
    }
    assert!(logs_in(&mut server, "first", first_password));
    assert!(!logs_in(&mut server, "second", second_password));
    assert!(key_works(&mut server, &first_key));
    assert!(!key_works(&mut server, &second_key));

    // A good reload replaces each whole set.
    write_lines(&dir, "users", &[&second]);
    write_lines(&dir, "app-keys", &[&second_key_line]);
    server.signal("HUP");
    server.line_with("SIGHUP: users reloaded");
    server.line_with("SIGHUP: application keys reloaded (1)");
    assert!(!logs_in(&mut server, "first", first_password));
    assert!(logs_in(&mut server, "second", second_password));
    assert!(!key_works(&mut server, &first_key));
    assert!(key_works(&mut server, &second_key));

    let (exited_cleanly, lines) = server.terminate();
    assert!(exited_cleanly, "{lines:#?}");
    let log = lines.join("\n");
    for secret in [
        first_password,
        second_password,
        &first_key,
        &second_key,
        &hash[20..40],
        &digest[..20],
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}
