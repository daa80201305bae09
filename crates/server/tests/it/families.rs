//! Every family and path real clients call (`occ-clients.md`), through the HTTP API: the four
//! operations at each prefix and UI twin, each family refusing the others' tokens with its own
//! 401 code, and logins with each grant in each client's request shape.

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::{
    FAMILIES, Families, ManualClock, MemoryStore, NewAppKey, NewUser, ReuseDetection, Store,
};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::support::{
    GRACE, KEY, NOW, access_token, assert_error_model, claims_of, logged_in_state, policy,
    post_with, send, sign_with,
};

/// The issuer each family's tokens carry by default.
fn issuer(family: &str) -> &'static str {
    FAMILIES
        .iter()
        .find(|row| row.id == family)
        .map(|row| row.issuer)
        .unwrap()
}

/// A token of `family`, issued now, signed by hand.
fn token_of(family: &str, sub: &str) -> String {
    let iss = if family == "store" {
        crate::support::ISSUER
    } else {
        issuer(family)
    };
    sign_with(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": sub, "iss": iss, "iat": NOW, "exp": NOW + 300}),
        KEY,
    )
}

const SHOPPER: &str = "shopper@example.com";
const PASSWORD: &str = "correct horse battery staple";
const APP_KEY: &str = "ccak_test-application-key-0123456789abcdef0123456789";

/// A users file with one shopper (store) and one agent, and an application-keys file with one
/// key for the admin and extension families.
fn files() -> (String, String) {
    let families = Families::default();
    let family = |id| families.get(id).unwrap();
    let password = SecretString::from(PASSWORD);
    let mut claims = Map::new();
    claims.insert("occs.admin.profileId".to_owned(), json!("p1"));
    let shopper = NewUser {
        username: SHOPPER,
        family: family("store"),
        sub: "110558",
        claims: claims.clone(),
        totp_secret: None,
    }
    .line(&password)
    .unwrap();
    let agent = NewUser {
        username: "agent@example.com",
        family: family("agent"),
        sub: "agent-1",
        claims: Map::new(),
        totp_secret: None,
    }
    .line(&password)
    .unwrap();
    let mut roles = Map::new();
    roles.insert(
        "com.oracle.atg.cloud.commerce.roles".to_owned(),
        json!(["admin"]),
    );
    let key = NewAppKey {
        name: "deploy-tool",
        families: &[family("admin"), family("app")],
        claims: roles,
    }
    .line(&SecretString::from(APP_KEY))
    .unwrap();
    (format!("{shopper}\n{agent}\n"), format!("{key}\n"))
}

async fn app() -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let (users, keys) = files();
    let state = logged_in_state(
        Store::Memory(MemoryStore::new(1_000)),
        &policy(),
        ReuseDetection::On { grace: GRACE },
        &ManualClock::at(NOW),
        &users,
        &keys,
    );
    test::init_service(ccstore_server::build_app(state)).await
}

/// A login POST to `path` with `form`, as OAuth clients send it.
pub(crate) fn login(path: &str, form: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(path)
        .insert_header((
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ))
        .insert_header(("Accept", "application/json"))
        .set_payload(form.to_owned())
}

#[actix_rt::test]
async fn every_family_serves_refresh_verify_and_logout_at_each_prefix_for_its_own_tokens() {
    let app = app().await;
    for row in FAMILIES {
        for prefix in row.prefixes {
            let token = token_of(row.id, &format!("{}-{prefix}", row.id));
            let (status, body) = send(&app, post_with(&format!("{prefix}/verify"), &token)).await;
            assert_eq!(status, StatusCode::OK, "{prefix}: {body}");
            let (status, body) = send(&app, post_with(&format!("{prefix}/refresh"), &token)).await;
            assert_eq!(status, StatusCode::OK, "{prefix}: {body}");
            let renewed = access_token(&body);
            let claims = claims_of(&renewed);
            assert_eq!(
                claims["iss"],
                json!(if row.id == "store" {
                    crate::support::ISSUER
                } else {
                    row.issuer
                })
            );
            let (status, body) = send(&app, post_with(&format!("{prefix}/logout"), &renewed)).await;
            assert_eq!(
                (status, body),
                (StatusCode::OK, json!({"result": true})),
                "{prefix}"
            );
            let (status, body) = send(&app, post_with(&format!("{prefix}/verify"), &renewed)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{prefix}: refused after logout"
            );
            assert_eq!(body["errorCode"], row.unauthenticated_code, "{prefix}");
        }
    }
}

#[actix_rt::test]
async fn a_token_of_one_family_is_refused_by_every_other_on_every_operation_with_that_family_s_code()
 {
    let app = app().await;
    for owner in FAMILIES {
        let token = token_of(owner.id, "crossing");
        for other in FAMILIES.iter().filter(|row| row.id != owner.id) {
            for prefix in other.prefixes {
                for operation in ["refresh", "verify", "logout"] {
                    let path = format!("{prefix}/{operation}");
                    let (status, body) = send(&app, post_with(&path, &token)).await;
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{} token at {path}",
                        owner.id
                    );
                    assert_error_model(&body, 401);
                    assert_eq!(body["errorCode"], other.unauthenticated_code, "{path}");
                }
            }
        }
        // Refused everywhere else, it still works at home: nothing was revoked by the attempts.
        let home = format!("{}/verify", owner.prefixes[0]);
        assert_eq!(send(&app, post_with(&home, &token)).await.0, StatusCode::OK);
    }
}

#[actix_rt::test]
async fn a_shopper_logs_in_as_osf_and_storefront_classic_do_and_the_session_then_refreshes_and_ends()
 {
    let app = app().await;
    let form = format!(
        "grant_type=password&username={}&password={}",
        "shopper%40example.com", "correct+horse+battery+staple"
    );
    for path in [
        "/ccstore/v1/login",
        "/ccstoreui/v1/login/",
        "/ccstoreui/v1/login",
    ] {
        let response = test::call_service(&app, login(path, &form).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            crate::support::header(&response, "cache-control"),
            "no-store"
        );
        let cookie = crate::support::header(&response, "set-cookie");
        assert!(cookie.starts_with("ccstore_login=store;"), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 930);
        let token = access_token(&body);
        let claims = claims_of(&token);
        assert_eq!(claims["sub"], "110558");
        assert_eq!(claims["occs.admin.profileId"], "p1");
        assert_eq!(claims["auth_time"], NOW);
        assert!(
            claims["sid"].is_string(),
            "a login starts a session: {claims}"
        );

        // OSF refreshes with no body at all; Storefront Classic with {}.
        let bare = test::TestRequest::post()
            .uri("/ccstoreui/v1/refresh")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("X-CCProfileType", "storefrontUI"))
            .to_request();
        let (status, body) = send(&app, bare).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["expires_in"], 930,
            "a user's token refreshes for the user lifetime"
        );
        let renewed = access_token(&body);
        assert_eq!(claims_of(&renewed)["sid"], claims["sid"]);
        let (status, _) = send(&app, post_with("/ccstore/v1/logout", &renewed)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = send(&app, post_with("/ccstore/v1/refresh", &renewed)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
}

#[actix_rt::test]
async fn applications_log_in_with_their_key_as_osf_occ_tools_and_the_python_sdk_do() {
    let app = app().await;
    for (path, form) in [
        ("/ccadmin/v1/login", "grant_type=client_credentials"),
        (
            "/ccadmin/v1/login",
            "grant_type=client_credentials&totp_code=123456",
        ),
        ("/ccadminui/v1/login", "grant_type=client_credentials"),
        ("/ccapp/v1/login", "grant_type=client_credentials"),
        ("/ccappagent/v1/login", "grant_type=client_credentials"),
    ] {
        let request = login(path, form)
            .insert_header(("Authorization", format!("Bearer {APP_KEY}")))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path} {form}");
        assert!(
            !crate::support::header(&response, "set-cookie").is_empty(),
            "occ-tools needs a cookie"
        );
        let body: Value = test::read_body_json(response).await;
        assert!(body.get("error").is_none(), "{body}");
        assert_eq!(
            body["expires_in"], 300,
            "an application key's token lives 5 minutes"
        );
        let token = access_token(&body);
        let claims = claims_of(&token);
        assert_eq!(claims["sub"], "deploy-tool");
        assert_eq!(
            claims["com.oracle.atg.cloud.commerce.roles"],
            json!(["admin"])
        );
        // occ-tools refreshes with an empty form body; the SDK with no body.
        let prefix = path.trim_end_matches("/login");
        let refresh = test::TestRequest::post()
            .uri(&format!("{prefix}/refresh"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .to_request();
        let (status, body) = send(&app, refresh).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        // A refresh keeps the application key's five minutes; it does not make a user token.
        assert_eq!(body["expires_in"], 300, "{path}: {body}");
        let renewed = claims_of(&access_token(&body));
        assert_eq!(
            renewed["exp"].as_u64().unwrap() - renewed["iat"].as_u64().unwrap(),
            300
        );
    }
}

type Refusal<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    StatusCode,
    &'a str,
    Option<&'a str>,
);

#[actix_rt::test]
async fn swagger_ui_s_client_credentials_with_the_key_as_basic_client_secret_log_an_application_in()
{
    use base64::Engine;
    let app = app().await;
    let basic = |secret: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("swagger:{secret}"));
        login("/ccadmin/v1/login", "grant_type=client_credentials")
            .insert_header(("Authorization", format!("Basic {encoded}")))
            .to_request()
    };
    let (status, body) = send(&app, basic(APP_KEY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(claims_of(&access_token(&body))["sub"], "deploy-tool");
    let (status, body) = send(&app, basic("ccak_not-the-registered-key-0123456789abcdef")).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_client"))
    );
}

#[actix_rt::test]
async fn refused_logins_carry_the_oauth_error_and_error_model_and_a_cookie() {
    let app = app().await;
    let with_key = format!("Bearer {APP_KEY}");
    // Path, form, Authorization, status, OAuth error, errorCode.
    let cases: [Refusal<'_>; 9] = [
        (
            "/ccadmin/v1/login",
            "grant_type=client_credentials",
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            Some("60006000"),
        ),
        (
            "/ccadmin/v1/login",
            "grant_type=client_credentials",
            Some("Bearer not a key!"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("60004"),
        ),
        (
            "/ccadmin/v1/login",
            "grant_type=client_credentials",
            Some("Bearer ccak_an-unregistered-key-0123456789abcdef0123"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Some("60006000"),
        ),
        (
            "/ccstore/v1/login",
            "grant_type=client_credentials",
            Some(&with_key),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            None,
        ),
        (
            "/ccstore/v1/login",
            "grant_type=password&username=shopper%40example.com&password=wrong-password",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            None,
        ),
        (
            "/ccstore/v1/login",
            "grant_type=password&username=nobody%40example.com&password=wrong-password",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            None,
        ),
        (
            "/ccagent/v1/login",
            "grant_type=password&username=shopper%40example.com&password=correct+horse+battery+staple",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            None,
        ),
        (
            "/ccstore/v1/login",
            "grant_type=password&username=a&username=b&password=x",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            None,
        ),
        (
            "/ccstore/v1/login",
            "",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            None,
        ),
    ];
    for (path, form, authorization, status, error, code) in cases {
        let mut request = login(path, form);
        if let Some(authorization) = authorization {
            request = request.insert_header(("Authorization", authorization));
        }
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), status, "{path} {form}");
        assert!(
            !crate::support::header(&response, "set-cookie").is_empty(),
            "{path} {form}"
        );
        let body: Value = test::read_body_json(response).await;
        assert_error_model(&body, status.as_u16());
        assert_eq!(body["error"], error, "{path} {form}: {body}");
        assert_eq!(
            body.get("errorCode").and_then(Value::as_str),
            code,
            "{path} {form}"
        );
        assert!(body.get("access_token").is_none());
    }
    // A JSON body is not a login form.
    let json_login = test::TestRequest::post()
        .uri("/ccstore/v1/login")
        .insert_header(("Content-Type", "application/json"))
        .set_payload(r#"{"grant_type":"password"}"#)
        .to_request();
    let (status, body) = send(&app, json_login).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request"))
    );
}

#[actix_rt::test]
async fn consecutive_failures_lock_an_account_known_or_not_with_one_answer_and_a_success_resets() {
    let app = app().await;
    let attempt = |username: &str, password: &str| {
        login(
            "/ccstore/v1/login",
            &format!("grant_type=password&username={username}&password={password}"),
        )
        .to_request()
    };
    // Nine failures, then a success: the count starts again.
    for _ in 0..9 {
        assert_eq!(
            send(&app, attempt(SHOPPER, "wrong-password")).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    let right = "correct+horse+battery+staple";
    assert_eq!(send(&app, attempt(SHOPPER, right)).await.0, StatusCode::OK);
    for username in [SHOPPER, "nobody@example.com"] {
        for _ in 0..10 {
            let (status, body) = send(&app, attempt(username, "wrong-password")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{username}: {body}");
        }
    }
    let (known, unknown) = (
        test::call_service(&app, attempt(SHOPPER, right)).await,
        test::call_service(&app, attempt("nobody@example.com", right)).await,
    );
    assert_eq!(
        known.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked, even with the password"
    );
    assert_eq!(unknown.status(), known.status());
    let retry = crate::support::header(&known, "retry-after");
    assert_eq!(crate::support::header(&unknown, "retry-after"), retry);
    let (known, unknown): (Value, Value) = (
        test::read_body_json(known).await,
        test::read_body_json(unknown).await,
    );
    assert_eq!(
        known, unknown,
        "the same answer whether or not the account exists"
    );
    assert_eq!(known["error"], "invalid_grant");
}

/// The committed OpenAPI 3.1 document.
fn spec() -> Value {
    serde_json::from_str(include_str!("../../../../openapi/openapi.json")).unwrap()
}

#[actix_rt::test]
async fn every_family_path_the_server_answers_is_documented_under_its_family_s_tag_and_vice_versa()
{
    let app = app().await;
    let spec = spec();
    let paths = spec["paths"].as_object().unwrap();
    let mut documented_operations = 0;
    for row in FAMILIES {
        let tag = {
            let mut chars = row.id.chars();
            let first = chars.next().unwrap().to_uppercase();
            first.chain(chars).collect::<String>()
        };
        let logins = row.prefixes.iter().map(|prefix| format!("{prefix}/login"));
        let family_paths: Vec<String> = row
            .prefixes
            .iter()
            .flat_map(|prefix| {
                ["refresh", "verify", "logout"].map(|operation| format!("{prefix}/{operation}"))
            })
            .chain(logins)
            .chain(row.extra_login_paths.iter().map(|path| (*path).to_owned()))
            .collect();
        for path in family_paths {
            let operation = &paths
                .get(&path)
                .unwrap_or_else(|| panic!("{path} is served but not documented"))["post"];
            assert_eq!(operation["tags"], json!([tag]), "{path}");
            documented_operations += 1;
            // Served: anything but a 404 or 405 without credentials.
            let (status, body) =
                send(&app, test::TestRequest::post().uri(&path).to_request()).await;
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{path}: {status} {body}"
            );
        }
    }
    let probes = paths
        .keys()
        .filter(|path| path.starts_with("/health/"))
        .count();
    assert_eq!(
        paths.len(),
        documented_operations + probes,
        "nothing documented that is not served"
    );
    let ids: std::collections::HashSet<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    assert_eq!(ids.len(), paths.len(), "operation ids are unique");
}

#[actix_rt::test]
async fn each_family_s_documented_login_refusals_are_what_the_server_answers() {
    let app = app().await;
    let spec = spec();
    for (path, form, status, authorization) in [
        (
            "/ccstore/v1/login",
            "grant_type=password&username=nobody&password=wrong-password",
            "400",
            None,
        ),
        (
            "/ccadmin/v1/login",
            "grant_type=client_credentials",
            "401",
            None,
        ),
        (
            "/ccapp/v1/login",
            "grant_type=client_credentials",
            "401",
            None,
        ),
        (
            "/ccagentui/v1/login",
            "grant_type=password&username=nobody&password=wrong-password",
            "400",
            None::<&str>,
        ),
    ] {
        let mut request = login(path, form);
        if let Some(authorization) = authorization {
            request = request.insert_header(("Authorization", authorization));
        }
        let (answered, body) = send(&app, request.to_request()).await;
        assert_eq!(answered.as_str(), status, "{path}: {body}");
        let example = &spec["paths"][path]["post"]["responses"][status]["content"]["application/json"]
            ["example"];
        assert_eq!(&body, example, "{path} {status}");
    }
    let success = &spec["paths"]["/ccapp/v1/login"]["post"]["responses"]["200"]["content"]["application/json"]
        ["example"];
    assert_eq!(
        success["expires_in"], 300,
        "an application family's login example shows 300 s"
    );
}

#[actix_rt::test]
async fn a_login_declaring_a_body_over_the_limit_is_413_before_it_is_read() {
    let app = app().await;
    let request = login("/ccstore/v1/login", "grant_type=password")
        .insert_header(("Content-Length", "10000000"))
        .to_request();
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error_model(&body, 413);
}
