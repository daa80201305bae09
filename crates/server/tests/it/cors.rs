//! CORS: off unless origins are configured; then preflights from those origins pass, others are
//! refused with an `errorModel`, and answers to allowed origins carry `Access-Control-Allow-Origin`.

use actix_web::http::{Method, StatusCode};
use actix_web::test;
use ccstore_core::ManualClock;
use ccstore_server::{AppOptions, build_app_with};
use serde_json::Value;

use crate::support::{NOW, app, assert_error_model, header, refresh_with, shopper_token, state};

const SHOP: &str = "https://shop.example";

fn options() -> AppOptions {
    AppOptions {
        cors_origins: vec![SHOP.to_owned(), "http://localhost:3000".to_owned()].into(),
        ..AppOptions::default()
    }
}

fn preflight(origin: &str, method: &str) -> test::TestRequest {
    test::TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/ccstore/v1/refresh")
        .insert_header(("Origin", origin))
        .insert_header(("Access-Control-Request-Method", method))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization,content-type",
        ))
}

#[actix_rt::test]
async fn a_preflight_from_an_allowed_origin_allows_post_with_authorization_and_content_type() {
    let app = test::init_service(build_app_with(state(&ManualClock::at(NOW)), &options())).await;
    let response = test::call_service(&app, preflight(SHOP, "POST").to_request()).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(header(&response, "access-control-allow-origin"), SHOP);
    let methods = header(&response, "access-control-allow-methods");
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = header(&response, "access-control-allow-headers").to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), "");
    assert_eq!(header(&response, "access-control-expose-headers"), "");
}

#[actix_rt::test]
async fn a_preflight_from_another_origin_or_for_another_method_is_a_400_error_model() {
    let app = test::init_service(build_app_with(state(&ManualClock::at(NOW)), &options())).await;
    for (origin, method) in [
        ("https://evil.example", "POST"),
        ("https://shop.example.evil.example", "POST"),
        ("http://shop.example", "POST"),
        (SHOP, "DELETE"),
    ] {
        let response = test::call_service(&app, preflight(origin, method).to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{origin} {method}"
        );
        assert_eq!(header(&response, "access-control-allow-origin"), "");
        let body: Value = test::read_body_json(response).await;
        assert_error_model(&body, 400);
        assert!(
            body["devMessage"].as_str().unwrap().contains("not allowed"),
            "{body}"
        );
    }
}

#[actix_rt::test]
async fn an_actual_request_from_an_allowed_origin_gets_its_origin_back_and_others_get_none() {
    let app = test::init_service(build_app_with(state(&ManualClock::at(NOW)), &options())).await;
    let valid = shopper_token();
    for (token, origin, status, allowed) in [
        (valid.as_str(), SHOP, StatusCode::OK, SHOP),
        // A refusal is readable by the allowed origin too: clients look for status "401".
        ("not-a-token", SHOP, StatusCode::UNAUTHORIZED, SHOP),
        // CORS is enforced by browsers: the server answers, without the header that lets them
        // read.
        (
            "not-a-token",
            "https://evil.example",
            StatusCode::UNAUTHORIZED,
            "",
        ),
    ] {
        let request = refresh_with(token).insert_header(("Origin", origin));
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            allowed,
            "{origin}"
        );
    }
}

#[actix_rt::test]
async fn without_configured_origins_no_cors_header_is_sent_and_options_is_plain() {
    let (app, _) = app().await;
    let response = test::call_service(&app, preflight(SHOP, "POST").to_request()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "allow"), "POST, OPTIONS");
    assert_eq!(header(&response, "access-control-allow-origin"), "");
    let response = test::call_service(
        &app,
        refresh_with(&shopper_token())
            .insert_header(("Origin", SHOP))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "access-control-allow-origin"), "");
}
