//! The probes: liveness always, readiness until shutdown begins (and, with Redis, while Redis
//! answers: see `redis.rs`). An instance that is not ready answers a 503 `errorModel`.

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::ManualClock;
use ccstore_server::build_app;
use serde_json::{Value, json};

use crate::support::{NOW, app, assert_error_model, header, state};

#[actix_rt::test]
async fn live_and_ready_answer_status_ok_and_are_not_cached() {
    let (app, _) = app().await;
    for path in ["/health/live", "/health/ready"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body, json!({"status": "ok"}), "{path}");
    }
}

#[actix_rt::test]
async fn once_shutdown_begins_ready_is_a_503_error_model_and_live_stays_ok() {
    let state = state(&ManualClock::at(NOW));
    let draining = state.clone();
    let app = test::init_service(build_app(state)).await;
    draining.begin_draining();

    let response = test::call_service(
        &app,
        test::TestRequest::get().uri("/health/ready").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, "retry-after"), "1");
    let body: Value = test::read_body_json(response).await;
    assert_error_model(&body, 503);
    assert_eq!(body["devMessage"], "the server is shutting down");

    let live = test::call_service(
        &app,
        test::TestRequest::get().uri("/health/live").to_request(),
    )
    .await;
    assert_eq!(live.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn posting_to_a_probe_is_405_with_allow_get_head_options() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        test::TestRequest::post().uri("/health/ready").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), "GET, HEAD, OPTIONS");
    let body: Value = test::read_body_json(response).await;
    assert_error_model(&body, 405);
}
