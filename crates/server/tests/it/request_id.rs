//! `X-Request-Id` on every answer: the client's own when acceptable, a generated one otherwise,
//! on successes and on every error the one mapping answers with.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::Value;

use crate::support::{
    app, assert_error_model, header, post_with, refresh_request, refresh_with, shopper_token,
};

/// A generated id: 16 hex digits, a dash, a decimal counter.
fn assert_generated(id: &str) {
    let (prefix, counter) = id.split_once('-').unwrap_or_else(|| panic!("{id:?}"));
    assert_eq!(prefix.len(), 16, "{id}");
    assert!(prefix.bytes().all(|byte| byte.is_ascii_hexdigit()), "{id}");
    assert!(counter.parse::<u64>().is_ok(), "{id}");
}

#[actix_rt::test]
async fn an_acceptable_client_request_id_is_echoed() {
    let (app, _) = app().await;
    for supplied in [
        "abc",
        "f3b2c1d0-aaaa-4bbb-8ccc-0123456789ab",
        &"x".repeat(128),
    ] {
        let response = test::call_service(
            &app,
            refresh_with(&shopper_token())
                .insert_header(("X-Request-Id", supplied))
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-request-id"), supplied);
    }
}

#[actix_rt::test]
async fn an_unacceptable_or_missing_request_id_is_replaced_by_a_generated_one() {
    let (app, _) = app().await;
    let too_long = "x".repeat(129);
    let unacceptable: [&[u8]; 6] = [
        too_long.as_bytes(),
        b"a b",
        b"a\tb",
        b"a\"b",
        b"caf\xc3\xa9",
        b"",
    ];
    for supplied in unacceptable {
        let response = test::call_service(
            &app,
            refresh_request()
                .insert_header((
                    "X-Request-Id",
                    actix_web::http::header::HeaderValue::from_bytes(supplied).unwrap(),
                ))
                .to_request(),
        )
        .await;
        assert_generated(&header(&response, "x-request-id"));
    }
    let response = test::call_service(&app, refresh_request().to_request()).await;
    assert_generated(&header(&response, "x-request-id"));
}

#[actix_rt::test]
async fn each_request_gets_its_own_generated_id() {
    let (app, _) = app().await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..100 {
        let response = test::call_service(&app, refresh_request().to_request()).await;
        assert!(ids.insert(header(&response, "x-request-id")));
    }
}

#[actix_rt::test]
async fn every_error_answer_carries_the_request_id() {
    let (app, _) = app().await;
    let oversized = refresh_with(&shopper_token())
        .insert_header(("Content-Type", "application/json"))
        .set_payload(vec![b' '; 64 * 1024 + 1]);
    let not_an_object = refresh_with(&shopper_token())
        .insert_header(("Content-Type", "application/json"))
        .set_payload("[]");
    for (request, status) in [
        (refresh_request(), 401),
        (test::TestRequest::get().uri("/nowhere"), 404),
        (refresh_request().method(actix_web::http::Method::PUT), 405),
        (oversized, 413),
        (not_an_object, 400),
    ] {
        let id = format!("error-{status}");
        let response = test::call_service(
            &app,
            request
                .insert_header(("X-Request-Id", id.as_str()))
                .to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(header(&response, "x-request-id"), id);
        let body: Value = test::read_body_json(response).await;
        assert_error_model(&body, status);
    }
    let response = test::call_service(&app, post_with("/ccstore/v1/logout", "bad.token.x")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_generated(&header(&response, "x-request-id"));
}
