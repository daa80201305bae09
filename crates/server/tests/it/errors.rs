//! Errors from routing and extractors: 404, 405 and 413 are `errorModel` bodies too.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::Value;

use crate::support::{
    app, assert_error_model, header, refresh_request, refresh_with, shopper_token,
};

#[actix_rt::test]
async fn unknown_paths_are_404_error_models() {
    let (app, _) = app().await;
    for (method, path) in [
        ("GET", "/"),
        ("POST", "/ccstore/v1/refresh/"),
        ("POST", "/ccstore/v1/nothing"),
        ("DELETE", "/x?y=z"),
    ] {
        let request = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = test::read_body_json(response).await;
        assert_error_model(&body, 404);
    }
}

#[actix_rt::test]
async fn other_methods_on_refresh_are_405_with_allow_post_and_options() {
    let (app, _) = app().await;
    for method in ["GET", "PUT", "DELETE", "PATCH", "HEAD"] {
        let request = refresh_request()
            .method(method.parse().unwrap())
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(header(&response, "allow"), "POST, OPTIONS");
        if method != "HEAD" {
            let body: Value = test::read_body_json(response).await;
            assert_error_model(&body, 405);
        }
    }
}

#[actix_rt::test]
async fn options_on_a_known_resource_is_204_with_its_allow() {
    let (app, _) = app().await;
    for (path, allow) in [
        ("/ccstore/v1/refresh", "POST, OPTIONS"),
        ("/ccstore/v1/verify", "POST, OPTIONS"),
        ("/ccstore/v1/logout", "POST, OPTIONS"),
        ("/openapi.json", "GET, HEAD, OPTIONS"),
        ("/openapi-3.0.json", "GET, HEAD, OPTIONS"),
        ("/openapi-aws.json", "GET, HEAD, OPTIONS"),
        ("/swagger-ui/index.html", "GET, HEAD, OPTIONS"),
    ] {
        let request = test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(path)
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&response, "allow"), allow, "{path}");
        assert!(test::read_body(response).await.is_empty(), "{path}");
    }
}

#[actix_rt::test]
async fn options_on_an_unknown_path_is_a_404_error_model() {
    let (app, _) = app().await;
    let request = test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/ccstore/v1/nothing")
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = test::read_body_json(response).await;
    assert_error_model(&body, 404);
}

#[actix_rt::test]
async fn a_body_over_64_kib_is_413_error_model() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        refresh_with(&shopper_token())
            .insert_header(("Content-Type", "application/json"))
            .set_payload(vec![b' '; 64 * 1024 + 1])
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = test::read_body_json(response).await;
    assert_error_model(&body, 413);
}

#[actix_rt::test]
async fn a_body_of_exactly_64_kib_is_accepted() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        refresh_with(&shopper_token())
            .set_payload(vec![b' '; 64 * 1024])
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn an_unauthenticated_oversized_body_is_refused_without_being_read() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        refresh_request()
            .set_payload(vec![b'x'; 1024 * 1024])
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn a_json_body_that_is_not_an_object_is_a_400_error_model() {
    let (app, _) = app().await;
    for body in ["[null, null]", "5", "\"x\"", "{", "{}{}", "null"] {
        let response = test::call_service(
            &app,
            refresh_with(&shopper_token())
                .insert_header(("Content-Type", "application/json; charset=utf-8"))
                .set_payload(body)
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = test::read_body_json(response).await;
        assert_error_model(&answer, 400);
    }
}
