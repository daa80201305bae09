//! Token spellings through the HTTP API: what Storefront Classic's browser decoder needs of every
//! token it receives, both spellings accepted whatever is configured, and a stolen token
//! re-spelled in the other alphabet caught like the token itself.

use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ccstore_core::{TokenEncoding, TokenPolicy};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{
    GRACE, ISSUER, KEY, NOW, access_token, app_with, assert_error_model, policy, post_with, send,
    shopper_claims, sign_with,
};

const REFRESH: &str = "/ccstore/v1/refresh";
const VERIFY: &str = "/ccstore/v1/verify";
const LOGOUT: &str = "/ccstore/v1/logout";

/// What Storefront Classic does with a token it receives: `atob` (the standard alphabet, padding
/// as written) on the payload, then `JSON.parse`.
fn read_in_the_browser(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = STANDARD
        .decode(payload)
        .unwrap_or_else(|error| panic!("{payload}: {error}"));
    serde_json::from_slice(&bytes).unwrap()
}

/// `claims` signed by hand (no project code) with every segment in the standard alphabet.
fn sign_occ(claims: &Value) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"}).to_string();
    let input = format!(
        "{}.{}",
        STANDARD.encode(header),
        STANDARD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[actix_rt::test]
async fn claims_that_base64url_would_spell_with_dashes_are_readable_by_storefront_classic() {
    let (app, _) = app_with(policy()).await;
    let mut claims = shopper_claims();
    claims["a"] = json!("a>b");
    claims["q"] = json!("why?");
    claims["url"] = json!("https://shop.example/p?id=1&x=~");
    claims["name"] = json!("Zoë Ångström");
    claims["occs.admin.isAdmin"] = json!(false);
    claims["occs.admin.profileId"] = Value::Null;
    let given = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY);
    assert!(
        URL_SAFE_NO_PAD
            .encode(claims.to_string())
            .contains(['-', '_']),
        "the test claims must need base64url's own characters"
    );
    let (status, body) = send(&app, post_with(REFRESH, &given)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = access_token(&body);
    assert!(!token.contains(['-', '_']), "{token}");
    let read = read_in_the_browser(&token);
    for name in [
        "a",
        "q",
        "url",
        "name",
        "occs.admin.isAdmin",
        "occs.admin.profileId",
    ] {
        assert_eq!(read[name], claims[name], "{name}");
    }
    // And the next refresh, with the token as the page stored it.
    let (status, body) = send(&app, post_with(REFRESH, &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        read_in_the_browser(&access_token(&body))["name"],
        "Zoë Ångström"
    );
}

#[actix_rt::test]
async fn both_spellings_are_accepted_and_answered_in_the_configured_one() {
    for encoding in [TokenEncoding::Occ, TokenEncoding::Jws] {
        let (app, _) = app_with(TokenPolicy {
            encoding,
            ..policy()
        })
        .await;
        let mut claims = shopper_claims();
        claims["url"] = json!("https://shop.example/p?id=1");
        let jws = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY);
        let occ = sign_occ(&claims);
        for given in [jws, occ] {
            let (status, body) = send(&app, post_with(VERIFY, &given)).await;
            assert_eq!(status, StatusCode::OK, "{encoding:?} {given}: {body}");
            let (status, body) = send(&app, post_with(REFRESH, &given)).await;
            assert_eq!(status, StatusCode::OK, "{encoding:?} {given}: {body}");
            let token = access_token(&body);
            let (engine_ok, other_ok) = (
                token.split('.').all(|part| STANDARD.decode(part).is_ok()),
                token
                    .split('.')
                    .all(|part| URL_SAFE_NO_PAD.decode(part).is_ok()),
            );
            match encoding {
                TokenEncoding::Occ => assert!(engine_ok && token.ends_with('='), "{token}"),
                TokenEncoding::Jws => assert!(other_ok && !token.contains('='), "{token}"),
            }
        }
    }
}

/// A stolen token of `claims` (header and payload alike in both alphabets) and the same token
/// with its signature re-spelled in the standard alphabet, which verifies too.
fn stolen_and_respelled(claims: &Value) -> (String, String) {
    let mut claims = claims.clone();
    for length in 0.. {
        claims["pad"] = json!("x".repeat(length));
        let token = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY);
        let (input, signature) = token.rsplit_once('.').unwrap();
        if !input.contains(['-', '_']) && input.split('.').all(|part| part.len() % 4 == 0) {
            let signature = STANDARD.encode(URL_SAFE_NO_PAD.decode(signature).unwrap());
            return (token.clone(), format!("{input}.{signature}"));
        }
    }
    unreachable!()
}

#[actix_rt::test]
async fn a_stolen_token_respelled_in_the_other_alphabet_is_caught_as_a_replay() {
    // A token minted elsewhere (no `sid`, no `jti`) and one ccstore issued (both).
    let with_ids =
        json!({"sub": "1", "iss": ISSUER, "iat": NOW, "exp": NOW + 900, "sid": "s1", "jti": "j1"});
    for claims in [shopper_claims(), with_ids] {
        let (app, clock) = app_with(policy()).await;
        let (stolen, respelled) = stolen_and_respelled(&claims);
        assert_ne!(stolen, respelled);
        let (status, body) = send(&app, post_with(VERIFY, &respelled)).await;
        assert_eq!(status, StatusCode::OK, "the copy is a valid token: {body}");

        // The shopper refreshes twice (moving on past the stolen token); the thief, after the
        // grace window, presents the copy.
        let (status, body) = send(&app, post_with(REFRESH, &stolen)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = send(&app, post_with(REFRESH, &access_token(&body))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let shoppers = access_token(&body);
        clock.advance(GRACE + 1);
        let (status, body) = send(&app, post_with(REFRESH, &respelled)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_error_model(&body, 401);
        assert!(
            body["devMessage"]
                .as_str()
                .unwrap()
                .contains("already refreshed"),
            "{body}"
        );
        // The whole session is revoked, not a new one started for the copy.
        for token in [&shoppers, &respelled, &stolen] {
            let (status, body) = send(&app, post_with(VERIFY, token)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        }
    }
}

#[actix_rt::test]
async fn a_logout_ends_the_respelled_copy_too() {
    let (app, _) = app_with(policy()).await;
    let (token, respelled) = stolen_and_respelled(&shopper_claims());
    let (status, body) = send(&app, post_with(LOGOUT, &token)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": true})));
    for path in [VERIFY, REFRESH, LOGOUT] {
        let (status, body) = send(&app, post_with(path, &respelled)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
}
