//! Development mode's demo credentials, as a newcomer meets them: the log announces a demo
//! shopper and a demo application key with curl lines, and the requests those lines make log
//! in at once. The announcement's parts are read by [`Announcement::read`], which the
//! log-hygiene test uses too, to tell the deliberate lines from a leak.

use serde_json::json;

use crate::binary::{Running, command};
use crate::support::unverified_claims_of;

/// What development mode announces.
pub(crate) struct Announcement {
    /// The demo shopper's password.
    pub(crate) password: String,
    /// The demo application key.
    pub(crate) app_key: String,
    /// The form of the shopper's curl line.
    pub(crate) shopper_form: String,
    /// The lines that name the password, and those that name the key.
    pub(crate) password_lines: Vec<String>,
    pub(crate) key_lines: Vec<String>,
    /// Every line of the announcement, the demo token's included.
    pub(crate) lines: Vec<String>,
}

/// The text of `line` between `start` and the next `end`.
fn between<'a>(line: &'a str, start: &str, end: &str) -> &'a str {
    let rest = line
        .split_once(start)
        .unwrap_or_else(|| panic!("no {start:?} in {line}"))
        .1;
    rest.split_once(end).map_or(rest, |(inside, _)| inside)
}

impl Announcement {
    /// Reads the announcement from `server`'s log.
    pub(crate) fn read(server: &mut Running) -> Self {
        let warning = server.line_with("DEVELOPMENT MODE");
        let token = server.line_with("demo token for sub 110558");
        let try_token = server.line_with("/ccstore/v1/refresh");
        let swagger = server.line_with("/swagger-ui/ (Authorize with the demo token)");
        let shopper = server.line_with("demo shopper (store family");
        assert!(shopper.contains("WARN"), "{shopper}");
        let password = shopper.rsplit(' ').next().unwrap().to_owned();
        let shopper_curl = server.line_with("/ccstore/v1/login");
        let shopper_form = between(&shopper_curl, "-d '", "'").to_owned();
        assert_eq!(
            shopper_form,
            format!("grant_type=password&username=demo-shopper&password={password}")
        );
        let key_line = server.line_with("demo application key (admin family");
        let app_key = key_line.rsplit(' ').next().unwrap().to_owned();
        let key_curl = server.line_with("/ccadmin/v1/login");
        assert_eq!(between(&key_curl, "Bearer ", "'"), app_key);
        assert!(
            key_curl.contains("-d grant_type=client_credentials http://127.0.0.1:"),
            "{key_curl}"
        );
        assert!(
            shopper_curl.contains("curl -s -X POST -d '"),
            "{shopper_curl}"
        );
        let lines = vec![
            warning,
            token,
            try_token,
            shopper.clone(),
            shopper_curl.clone(),
            key_line.clone(),
            key_curl.clone(),
            swagger,
        ];
        for line in &lines {
            assert!(line.contains("WARN"), "{line}");
        }
        Self {
            password,
            app_key,
            shopper_form,
            password_lines: vec![shopper, shopper_curl],
            key_lines: vec![key_line, key_curl],
            lines,
        }
    }
}

#[test]
fn in_development_mode_the_announced_demo_shopper_and_application_key_log_in_at_once() {
    let mut server = Running::start(&mut command());
    let demo = Announcement::read(&mut server);
    assert_eq!(demo.password.len(), 24, "{}", demo.password);
    assert!(demo.app_key.starts_with("ccak_"));

    let answer = server.login("/ccstore/v1/login", &[], &demo.shopper_form);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let claims = unverified_claims_of(answer.json()["access_token"].as_str().unwrap());
    assert_eq!(
        (&claims["sub"], &claims["iss"]),
        (&json!("110558"), &json!("storefrontUI"))
    );
    let wrong = demo
        .shopper_form
        .replace(&demo.password, "not-the-password");
    assert_eq!(server.login("/ccstore/v1/login", &[], &wrong).status, 400);

    let bearer = format!("Bearer {}", demo.app_key);
    let answer = server.login(
        "/ccadmin/v1/login",
        &[("Authorization", &bearer)],
        "grant_type=client_credentials",
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let claims = unverified_claims_of(answer.json()["access_token"].as_str().unwrap());
    assert_eq!(
        (&claims["sub"], &claims["iss"]),
        (&json!("demo-app"), &json!("adminUI"))
    );
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
    // The demo key is for the admin family only; the shopper for the store family only.
    let app = server.login(
        "/ccapp/v1/login",
        &[("Authorization", &bearer)],
        "grant_type=client_credentials",
    );
    assert_eq!(app.status, 401, "{}", app.body);
    let agent = server.login("/ccagent/v1/login", &[], &demo.shopper_form);
    assert_eq!(agent.status, 400, "{}", agent.body);
    server.terminate();
}

#[test]
fn with_a_configured_key_there_are_no_demo_credentials() {
    let mut server = Running::start(command().env("CCSTORE_JWT_SECRET", crate::binary::key_text()));
    server.address();
    let answer = server.login(
        "/ccstore/v1/login",
        &[],
        "grant_type=password&username=demo-shopper&password=whatever-it-is",
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    let (_, lines) = server.terminate();
    let log = lines.join("\n");
    assert!(!log.contains("demo"), "{log}");
}
