//! Every refused token: a 401 `errorModel` in OCC's words, an RFC 6750 challenge, and a
//! `devMessage` naming the reason without echoing the token.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{Value, json};

use crate::support::{
    ISSUER, KEY, NOW, app, assert_error_model, header, refresh_request, shopper_claims,
    shopper_token, sign_with,
};

/// Sends `authorization` (if any) to refresh; returns the WWW-Authenticate header and the body.
async fn refused(authorization: Option<&str>) -> (String, Value) {
    let (app, _) = app().await;
    let mut request = refresh_request();
    if let Some(value) = authorization {
        request = request.insert_header(("Authorization", value));
    }
    let response = test::call_service(&app, request.to_request()).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "{authorization:?}"
    );
    assert_eq!(header(&response, "cache-control"), "no-store");
    let challenge = header(&response, "www-authenticate");
    let body: Value = test::read_body_json(response).await;
    assert_error_model(&body, 401);
    assert_eq!(body["errorCode"], "00001000");
    assert_eq!(body["message"], "The user is not authenticated.");
    (challenge, body)
}

/// Asserts a refusal of a sent token: `invalid_token`, a devMessage containing `reason`, and the
/// token nowhere in the answer.
async fn assert_invalid_token(token: &str, reason: &str) {
    let (challenge, body) = refused(Some(&format!("Bearer {token}"))).await;
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let dev_message = body["devMessage"].as_str().unwrap();
    assert!(
        dev_message.contains(reason),
        "{dev_message:?} should name {reason:?}"
    );
    let answer = format!("{challenge}{body}");
    for part in token.split('.').filter(|part| part.len() > 8) {
        assert!(
            !answer.contains(part),
            "the answer echoes the token: {answer}"
        );
    }
}

fn hs256() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

#[actix_rt::test]
async fn no_authorization_header_is_401_with_a_bare_challenge() {
    let (challenge, body) = refused(None).await;
    assert_eq!(challenge, r#"Bearer realm="ccstore""#);
    assert!(
        body["devMessage"]
            .as_str()
            .unwrap()
            .contains("no bearer token")
    );
}

#[actix_rt::test]
async fn another_scheme_is_treated_as_no_token() {
    let (challenge, _) = refused(Some("Basic dXNlcjpwYXNzd29yZA==")).await;
    assert!(!challenge.contains("invalid_token"));
}

#[actix_rt::test]
async fn expired_token_is_401_naming_expiry() {
    let mut claims = shopper_claims();
    claims["exp"] = json!(NOW);
    assert_invalid_token(&sign_with(&hs256(), &claims, KEY), "expired").await;
}

#[actix_rt::test]
async fn forged_token_is_401_naming_the_signature() {
    let token = sign_with(
        &hs256(),
        &shopper_claims(),
        b"not-the-server-key-0123456789-012345",
    );
    assert_invalid_token(&token, "signature").await;
}

#[actix_rt::test]
async fn wrong_issuer_is_401_naming_the_issuer() {
    let mut claims = shopper_claims();
    claims["iss"] = json!("adminUI");
    assert_ne!(claims["iss"], ISSUER);
    assert_invalid_token(&sign_with(&hs256(), &claims, KEY), "issuer").await;
}

#[actix_rt::test]
async fn malformed_tokens_are_401_naming_malformation() {
    for token in ["abc", "a.b.c", "e30.e30.e30"] {
        assert_invalid_token(token, "malformed").await;
    }
    let (challenge, body) = refused(Some("Bearer")).await;
    assert!(challenge.contains("invalid_token"));
    assert!(body["devMessage"].as_str().unwrap().contains("malformed"));
}

#[actix_rt::test]
async fn alg_none_and_foreign_algorithms_are_401() {
    let unsigned = {
        let signed = sign_with(&json!({"alg": "none"}), &shopper_claims(), KEY);
        format!("{}.", signed.rsplit_once('.').unwrap().0)
    };
    assert_invalid_token(&unsigned, "algorithm").await;
    let rs256 = sign_with(&json!({"alg": "RS256"}), &shopper_claims(), KEY);
    assert_invalid_token(&rs256, "algorithm").await;
}

#[actix_rt::test]
async fn a_token_missing_a_required_claim_is_401_naming_it() {
    for claim in ["sub", "iss", "iat", "exp"] {
        let mut claims = shopper_claims();
        claims.as_object_mut().unwrap().remove(claim);
        assert_invalid_token(&sign_with(&hs256(), &claims, KEY), &format!("`{claim}`")).await;
    }
}

#[actix_rt::test]
async fn a_token_before_its_nbf_is_401() {
    let mut claims = shopper_claims();
    claims["nbf"] = json!(NOW + 10);
    assert_invalid_token(&sign_with(&hs256(), &claims, KEY), "not valid yet").await;
}

#[actix_rt::test]
async fn two_authorization_headers_are_refused() {
    let (app, _) = app().await;
    let token = format!("Bearer {}", shopper_token());
    let response = test::call_service(
        &app,
        refresh_request()
            .append_header(("Authorization", token.as_str()))
            .append_header(("Authorization", token.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
