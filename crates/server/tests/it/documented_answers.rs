//! The committed document's error examples are what the server answers: each documented error
//! response of the token operations is provoked for real and its body (and documented headers)
//! compared with the example, so an example can only be right by being the server's answer.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use actix_web::{body::MessageBody, http::StatusCode};
use ccstore_core::Store;
use ccstore_core::{ManualClock, MemoryStore};
use ccstore_server::build_app;
use serde_json::{Value, json};

use crate::support::{
    ISSUER, KEY, NOW, app, policy, shopper_claims, shopper_token, sign_with, state_with,
};

const OPERATIONS: [&str; 3] = ["refresh", "verify", "logout"];

/// The committed OpenAPI 3.1 document.
fn spec() -> Value {
    serde_json::from_str(include_str!("../../../../openapi/openapi.json")).unwrap()
}

/// The documented response `status` of `POST /ccstore/v1/{operation}`.
fn documented(operation: &str, status: &str) -> Value {
    spec()["paths"][format!("/ccstore/v1/{operation}")]["post"]["responses"][status].clone()
}

/// A valid token of its own session, one for each `n`.
fn token_of_session(n: usize) -> String {
    let mut claims = shopper_claims();
    claims["jti"] = json!(format!("documented-answers-{n}"));
    sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY)
}

/// A POST to `operation` with `token`, `content_type` and `body`.
fn post(operation: &str, token: &str, content_type: &str, body: Vec<u8>) -> actix_http::Request {
    test::TestRequest::post()
        .uri(&format!("/ccstore/v1/{operation}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", content_type))
        .set_payload(body)
        .to_request()
}

/// Asserts that `response` is the documented response `status` of `operation`: its status, its
/// body equal to the example, and each documented header equal to its example.
async fn assert_documented<B: MessageBody>(
    response: ServiceResponse<B>,
    operation: &str,
    status: &str,
) {
    let doc = documented(operation, status);
    assert_eq!(response.status().as_str(), status, "{operation}");
    let headers = doc["headers"].as_object().cloned().unwrap_or_default();
    for (name, header) in &headers {
        let sent = response
            .headers()
            .get(name.as_str())
            .unwrap()
            .to_str()
            .unwrap();
        let example = &header["example"];
        let expected = example
            .as_str()
            .map_or_else(|| example.to_string(), str::to_owned);
        assert_eq!(sent, expected, "{operation} {status} header {name}");
    }
    let body: Value = test::read_body_json(response).await;
    assert_eq!(
        body, doc["content"]["application/json"]["example"],
        "{operation} {status}"
    );
}

/// Sends `body` as JSON with `token` to each of `operations` and asserts that each answer is its
/// documented response `status`.
async fn assert_each_answers<S, B>(
    app: &S,
    operations: &[&str],
    token: &str,
    body: &[u8],
    status: &str,
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    for operation in operations {
        let request = post(operation, token, "application/json", body.to_vec());
        let response = test::call_service(app, request).await;
        assert_documented(response, operation, status).await;
    }
}

#[actix_rt::test]
async fn a_json_body_that_is_not_an_object_gets_the_documented_400() {
    let (app, _) = app().await;
    assert_each_answers(&app, &OPERATIONS, &shopper_token(), b"[]", "400").await;
}

#[actix_rt::test]
async fn an_expired_token_gets_the_documented_401_and_challenge() {
    let (app, _) = app().await;
    let expired = sign_with(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "110558", "iss": ISSUER, "iat": NOW - 1000, "exp": NOW - 100}),
        KEY,
    );
    assert_each_answers(&app, &OPERATIONS, &expired, b"{}", "401").await;
}

#[actix_rt::test]
async fn a_body_over_the_limit_gets_the_documented_413() {
    let (app, _) = app().await;
    let body = vec![b' '; 64 * 1024 + 1];
    assert_each_answers(&app, &OPERATIONS, &shopper_token(), &body, "413").await;
}

#[actix_rt::test]
async fn a_store_that_cannot_take_the_session_gets_the_documented_503_and_retry_after() {
    let clock = ManualClock::at(NOW);
    let full = Store::Memory(MemoryStore::new(0));
    let app = test::init_service(build_app(state_with(full, policy(), &clock))).await;
    // Verify only reads the store, so a full one does not refuse it; the others need an entry.
    let needing_an_entry = ["refresh", "logout"];
    assert_each_answers(&app, &needing_an_entry, &shopper_token(), b"{}", "503").await;
}

#[actix_rt::test]
async fn the_default_example_is_the_500_it_stands_for_not_another_status() {
    for operation in OPERATIONS {
        let example = &documented(operation, "default")["content"]["application/json"]["example"];
        assert_eq!(example["status"], "500", "{operation}");
    }
}

#[actix_rt::test]
async fn each_documented_media_type_and_no_body_are_accepted_with_a_schema_a_generator_fills() {
    let spec = spec();
    let (app, _) = app().await;
    let mut sessions = 0..;
    let mut token = || token_of_session(sessions.next().unwrap());
    for operation in OPERATIONS {
        let body = &spec["paths"][format!("/ccstore/v1/{operation}")]["post"]["requestBody"];
        assert_eq!(body["required"], false, "{operation}");
        let media_types = body["content"].as_object().unwrap();
        assert_eq!(
            media_types.keys().collect::<Vec<_>>(),
            ["application/json", "application/x-www-form-urlencoded"]
        );
        for (media_type, content) in media_types {
            let name = content["schema"]["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            assert_eq!(
                spec["components"]["schemas"][name]["properties"],
                json!({}),
                "{name}"
            );
            let sent = if media_type == "application/json" {
                "{}"
            } else {
                ""
            };
            let request = post(operation, &token(), media_type, sent.into());
            let response = test::call_service(&app, request).await;
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{operation} {media_type}"
            );
        }
        let bare = test::TestRequest::post()
            .uri(&format!("/ccstore/v1/{operation}"))
            .insert_header(("Authorization", format!("Bearer {}", token())))
            .to_request();
        assert_eq!(
            test::call_service(&app, bare).await.status(),
            StatusCode::OK
        );
    }
}
