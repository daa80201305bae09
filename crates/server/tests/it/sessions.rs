//! Session rules through the HTTP API: verify, logout, the absolute lifetime and replay detection,
//! with the in-process store and the clock under the test's control.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{Value, json};

use crate::support::{
    GRACE, KEY, NOW, SESSION_MAX, access_token, app, assert_error_model, claims_of, header,
    post_with, send, shopper_claims, shopper_token, sign_with,
};

const REFRESH: &str = "/ccstore/v1/refresh";
const VERIFY: &str = "/ccstore/v1/verify";
const LOGOUT: &str = "/ccstore/v1/logout";

/// Asserts a 401 errorModel whose devMessage contains `reason`.
fn assert_refused(status: StatusCode, body: &Value, reason: &str) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error_model(body, 401);
    assert_eq!(body["errorCode"], "00001000");
    let dev_message = body["devMessage"].as_str().unwrap();
    assert!(
        dev_message.contains(reason),
        "{dev_message:?} should name {reason:?}"
    );
}

#[actix_rt::test]
async fn verify_answers_success_true_and_consumes_nothing() {
    let (app, _) = app().await;
    let token = shopper_token();
    for _ in 0..3 {
        let response = test::call_service(&app, post_with(VERIFY, &token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "cache-control"), "no-store");
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body, json!({"success": true}));
    }
    let (status, _) = send(&app, post_with(REFRESH, &token)).await;
    assert_eq!(status, StatusCode::OK, "verify did not consume the token");
}

#[actix_rt::test]
async fn verify_and_logout_accept_no_body_and_refuse_bad_tokens() {
    let (app, clock) = app().await;
    for path in [VERIFY, LOGOUT] {
        let bare = test::TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {}", shopper_token())))
            .to_request();
        let (status, body) = send(&app, bare).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");

        let (status, body) = send(&app, test::TestRequest::post().uri(path).to_request()).await;
        assert_refused(status, &body, "no bearer token");
        let forged = sign_with(
            &json!({"alg": "HS256"}),
            &shopper_claims(),
            b"another-key-0123456789-0123456789-xx",
        );
        let (status, body) = send(&app, post_with(path, &forged)).await;
        assert_refused(status, &body, "signature");
    }
    clock.advance(900);
    let (status, body) = send(&app, post_with(VERIFY, &shopper_token())).await;
    assert_refused(status, &body, "expired");
}

#[actix_rt::test]
async fn verify_and_logout_answer_other_methods_with_405() {
    let (app, _) = app().await;
    for path in [VERIFY, LOGOUT] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header(&response, "allow"), "POST, OPTIONS");
    }
}

#[actix_rt::test]
async fn logout_answers_result_true_and_ends_every_token_of_the_session() {
    let (app, clock) = app().await;
    let original = shopper_token();
    clock.advance(1);
    let (_, body) = send(&app, post_with(REFRESH, &original)).await;
    let child = access_token(&body);
    clock.advance(1);
    let (_, body) = send(&app, post_with(REFRESH, &child)).await;
    let grandchild = access_token(&body);
    let unrelated = sign_with(
        &json!({"alg": "HS256"}),
        &json!({"sub": "2", "iss": "storefrontUI", "iat": NOW, "exp": NOW + 900}),
        KEY,
    );

    let (status, body) = send(&app, post_with(LOGOUT, &grandchild)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": true})));

    for token in [&original, &child, &grandchild] {
        for path in [REFRESH, VERIFY, LOGOUT] {
            let (status, body) = send(&app, post_with(path, token)).await;
            assert_refused(status, &body, "session has ended");
        }
    }
    let (status, _) = send(&app, post_with(VERIFY, &unrelated)).await;
    assert_eq!(status, StatusCode::OK, "another session is untouched");
}

#[actix_rt::test]
async fn a_token_minted_without_a_session_starts_one_at_its_first_refresh() {
    let (app, _) = app().await;
    let (_, body) = send(&app, post_with(REFRESH, &shopper_token())).await;
    let first = claims_of(&access_token(&body));
    assert_eq!(first["auth_time"], json!(NOW), "auth_time = iat");
    let (_, body) = send(&app, post_with(REFRESH, &access_token(&body))).await;
    let second = claims_of(&access_token(&body));
    assert_eq!(second["sid"], first["sid"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
}

#[actix_rt::test]
async fn refresh_stops_at_the_sessions_maximum_lifetime() {
    let (app, clock) = app().await;
    let mut claims = shopper_claims();
    claims["sid"] = json!("0b5c1a8e-7d0c-4c52-9a61-0f1e2d3c4b5a");
    claims["auth_time"] = json!(NOW);
    clock.set(NOW + SESSION_MAX - 10);
    claims["iat"] = json!(NOW + SESSION_MAX - 20);
    claims["exp"] = json!(NOW + SESSION_MAX + 900);
    let token = sign_with(&json!({"alg": "HS256"}), &claims, KEY);

    let (status, body) = send(&app, post_with(REFRESH, &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], json!(10), "capped at auth_time + max");
    assert_eq!(
        claims_of(&access_token(&body))["exp"],
        json!(NOW + SESSION_MAX)
    );

    clock.set(NOW + SESSION_MAX);
    for path in [REFRESH, VERIFY] {
        let (status, body) = send(&app, post_with(path, &token)).await;
        assert_refused(status, &body, "maximum lifetime");
    }
}

#[actix_rt::test]
async fn a_token_refreshed_again_within_the_grace_window_gets_a_token_of_the_same_session() {
    let (app, clock) = app().await;
    let token = shopper_token();
    let (_, first) = send(&app, post_with(REFRESH, &token)).await;
    clock.advance(GRACE);
    let (status, second) = send(&app, post_with(REFRESH, &token)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        claims_of(&access_token(&second))["sid"],
        claims_of(&access_token(&first))["sid"]
    );
    for body in [&first, &second] {
        let (status, _) = send(&app, post_with(REFRESH, &access_token(body))).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "both racing tabs keep a working token"
        );
    }
}

#[actix_rt::test]
async fn a_token_replayed_after_the_grace_window_revokes_its_session() {
    let (app, clock) = app().await;
    let stolen = shopper_token();
    let (_, body) = send(&app, post_with(REFRESH, &stolen)).await;
    // The shopper moves on: the stolen token's successor is used.
    let (_, body) = send(&app, post_with(REFRESH, &access_token(&body))).await;
    let legitimate = access_token(&body);
    clock.advance(GRACE + 1);
    let (status, body) = send(&app, post_with(REFRESH, &stolen)).await;
    assert_refused(status, &body, "already refreshed");
    for path in [REFRESH, VERIFY] {
        let (status, body) = send(&app, post_with(path, &legitimate)).await;
        assert_refused(status, &body, "session has ended");
    }
}

#[actix_rt::test]
async fn with_reuse_detection_off_and_no_session_maximum_refresh_behaves_as_occ() {
    use ccstore_core::Store;
    use ccstore_core::{ManualClock, MemoryStore, ReuseDetection, TokenPolicy};
    use ccstore_server::build_app;

    let clock = ManualClock::at(NOW);
    let policy = TokenPolicy {
        session_max: None,
        ..crate::support::policy()
    };
    let state = crate::support::configured_state(
        Store::Memory(MemoryStore::new(100)),
        policy,
        ReuseDetection::Off,
        &clock,
    );
    let app = test::init_service(build_app(state)).await;
    let token = shopper_token();
    for _ in 0..3 {
        clock.advance(GRACE + 1);
        let (status, body) = send(&app, post_with(REFRESH, &token)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the same token refreshes again: {body}"
        );
    }
    let mut current = token;
    for _ in 0..60 {
        let (_, body) = send(&app, post_with(REFRESH, &current)).await;
        current = access_token(&body);
        clock.advance(899);
    }
    assert!(ccstore_core::Clock::now(&clock) > NOW + SESSION_MAX);
    let (status, _) = send(&app, post_with(VERIFY, &current)).await;
    assert_eq!(status, StatusCode::OK, "no absolute lifetime");
}
