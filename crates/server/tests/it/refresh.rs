//! The happy path: a valid token in, its successor out, whatever body real clients send.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{Value, json};

use crate::support::{
    KEY, NOW, TTL, app, claims_of, header, refresh_request, refresh_with, shopper_claims,
    shopper_token, sign_with,
};

#[actix_rt::test]
async fn a_valid_token_is_refreshed_with_the_documented_body_and_no_store_headers() {
    let (app, clock) = app().await;
    clock.advance(40);
    let response = test::call_service(
        &app,
        refresh_with(&shopper_token())
            .insert_header(("Content-Type", "application/json"))
            .set_payload("{}")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "pragma"), "no-cache");
    assert!(header(&response, "content-type").starts_with("application/json"));
    let body: Value = test::read_body_json(response).await;
    let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        ["access_token", "expires_in", "token_type"],
        "exactly the documented fields"
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], json!(TTL));
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["iat"], json!(NOW + 40));
    assert_eq!(claims["exp"], json!(NOW + 40 + TTL));
}

#[actix_rt::test]
async fn every_claim_of_the_old_token_survives_with_a_fresh_jti() {
    let (app, _) = app().await;
    let mut claims = shopper_claims();
    claims["com.oracle.atg.cloud.commerce.roles"] = json!(["admin"]);
    claims["occs.admin.profileId"] = json!("admin-1");
    claims["aud"] = json!("storefront");
    claims["jti"] = json!("first");
    let token = sign_with(&json!({"alg": "HS256"}), &claims, KEY);
    let response = test::call_service(&app, refresh_with(&token).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = test::read_body_json(response).await;
    let renewed = claims_of(body["access_token"].as_str().unwrap());
    for kept in [
        "sub",
        "iss",
        "com.oracle.atg.cloud.commerce.roles",
        "occs.admin.profileId",
        "aud",
    ] {
        assert_eq!(renewed[kept], claims[kept], "{kept}");
    }
    assert!(renewed["jti"].is_string());
    assert_ne!(renewed["jti"], claims["jti"]);
}

#[actix_rt::test]
async fn the_bodies_real_clients_send_are_all_accepted() {
    let (app, _) = app().await;
    let bodies: [(Option<&str>, &str); 7] = [
        (Some("application/json"), "{}"),
        (Some("application/json; charset=utf-8"), "{}"),
        (Some("application/json"), ""),
        (None, ""),
        (
            Some("application/x-www-form-urlencoded"),
            "grant_type=client_credentials",
        ),
        (Some("application/json"), r#"{"refresh_token":"whatever"}"#),
        (Some("text/plain"), "not json at all"),
    ];
    for (content_type, body) in bodies {
        let mut request = refresh_with(&shopper_token()).set_payload(body);
        if let Some(content_type) = content_type {
            request = request.insert_header(("Content-Type", content_type));
        }
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{content_type:?} {body:?}"
        );
    }
}

#[actix_rt::test]
async fn the_query_string_clients_add_is_ignored() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/ccstore/v1/refresh?grant_type=client_credentials")
            .insert_header(("Authorization", format!("Bearer {}", shopper_token())))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn the_scheme_is_case_insensitive() {
    let (app, _) = app().await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = test::call_service(
            &app,
            refresh_request()
                .insert_header(("Authorization", format!("{scheme} {}", shopper_token())))
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[actix_rt::test]
async fn a_refreshed_token_keeps_a_session_alive_past_the_first_tokens_expiry() {
    let (app, clock) = app().await;
    let mut token = shopper_token();
    for _ in 0..5 {
        clock.advance(600);
        let response = test::call_service(&app, refresh_with(&token).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = test::read_body_json(response).await;
        token = body["access_token"].as_str().unwrap().to_owned();
    }
    assert_eq!(claims_of(&token)["exp"], json!(NOW + 3000 + TTL));
}
