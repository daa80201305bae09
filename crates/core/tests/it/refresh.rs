//! A refresh keeps the session's claims and renews only the token's own.

use ccstore_core::TokenError;
use serde_json::json;

use crate::handmade::{open, shopper_claims, sign};
use crate::{KEY, NOW, TTL, now, sessions};

#[test]
fn refresh_keeps_every_claim_and_renews_iat_exp_and_jti() {
    let (sessions, clock) = sessions();
    let mut claims = shopper_claims(NOW - 100, 900);
    claims["com.oracle.atg.cloud.commerce.roles"] = json!(["admin", "shopper"]);
    claims["occs.admin.profileId"] = json!("p1");
    claims["jti"] = json!("old-id");
    claims["sid"] = json!("session-1");
    claims["auth_time"] = json!(NOW - 500);
    claims["aud"] = json!(["a", "b"]);
    clock.set(NOW + 5);

    let issued = now(sessions.refresh(&sign(&claims, KEY))).unwrap();
    assert_eq!(issued.expires_in, TTL);
    let (header, renewed) = open(&issued.token, KEY);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(renewed["iat"], json!(NOW + 5));
    assert_eq!(renewed["exp"], json!(NOW + 5 + TTL));
    assert_ne!(renewed["jti"], json!("old-id"));
    let mut expected = claims.clone();
    for renewed_claim in ["iat", "exp", "jti"] {
        expected[renewed_claim] = renewed[renewed_claim].clone();
    }
    assert_eq!(renewed, expected);
}

#[test]
fn each_refresh_gets_a_new_jti() {
    let (sessions, _) = sessions();
    let first = open(
        &now(sessions.refresh(&sign(&shopper_claims(NOW, 900), KEY)))
            .unwrap()
            .token,
        KEY,
    )
    .1;
    let second = open(
        &now(sessions.refresh(&sign(&shopper_claims(NOW, 901), KEY)))
            .unwrap()
            .token,
        KEY,
    )
    .1;
    assert!(first["jti"].as_str().is_some_and(|jti| jti.len() >= 32));
    assert_ne!(first["jti"], second["jti"]);
}

#[test]
fn a_refreshed_token_drops_nbf_and_refreshes_again() {
    let (sessions, clock) = sessions();
    let mut claims = shopper_claims(NOW, 900);
    claims["nbf"] = json!(NOW);
    let first = now(sessions.refresh(&sign(&claims, KEY))).unwrap();
    assert!(open(&first.token, KEY).1.get("nbf").is_none());
    clock.advance(TTL - 1);
    let second = now(sessions.refresh(&first.token)).unwrap();
    clock.advance(TTL - 1);
    assert!(now(sessions.verify(&second.token)).is_ok());
}

#[test]
fn an_expired_token_is_not_refreshed() {
    let (sessions, clock) = sessions();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    clock.set(NOW + 900);
    assert_eq!(now(sessions.refresh(&token)), Err(TokenError::Expired));
}
