//! Session rules: session ids and start carried across refreshes, the absolute lifetime, logout
//! and replay detection.

use ccstore_core::{ReuseDetection, TokenError, TokenPolicy};
use serde_json::json;

use crate::handmade::{open, shopper_claims, sign};
use crate::{GRACE, KEY, NOW, SESSION_MAX, TTL, now, policy, sessions, sessions_with};

#[test]
fn a_token_without_a_session_starts_one_at_its_first_refresh() {
    let (sessions, _) = sessions();
    let foreign = sign(&shopper_claims(NOW - 60, 900), KEY);
    let first = open(&now(sessions.refresh(&foreign)).unwrap().token, KEY).1;
    assert_eq!(
        first["auth_time"],
        json!(NOW - 60),
        "auth_time = iat of the first token"
    );
    let sid = first["sid"].as_str().unwrap().to_owned();
    assert!(!sid.is_empty());
    assert!(
        !foreign.contains(&sid),
        "the session id is not a piece of the token"
    );

    let second_token = now(sessions.refresh(&sign(&first, KEY))).unwrap().token;
    let second = open(&second_token, KEY).1;
    assert_eq!(second["sid"], json!(sid));
    assert_eq!(second["auth_time"], json!(NOW - 60));
}

#[test]
fn refreshes_never_extend_a_session_past_its_maximum_lifetime() {
    let (sessions, clock) = sessions();
    let mut claims = shopper_claims(NOW, 900);
    claims["sid"] = json!("s");
    claims["auth_time"] = json!(NOW);
    clock.set(NOW + SESSION_MAX - 100);
    let mut late = claims.clone();
    late["iat"] = json!(NOW + SESSION_MAX - 100);
    late["exp"] = json!(NOW + SESSION_MAX + 800);
    let issued = now(sessions.refresh(&sign(&late, KEY))).unwrap();
    assert_eq!(issued.expires_in, 100, "capped at auth_time + max");
    assert_eq!(open(&issued.token, KEY).1["exp"], json!(NOW + SESSION_MAX));

    clock.set(NOW + SESSION_MAX);
    assert_eq!(
        now(sessions.refresh(&sign(&late, KEY))),
        Err(TokenError::SessionLifetimeReached)
    );
    assert_eq!(
        now(sessions.verify(&sign(&late, KEY))),
        Err(TokenError::SessionLifetimeReached)
    );
}

#[test]
fn without_a_maximum_a_session_lives_as_long_as_it_is_refreshed() {
    let policy = TokenPolicy {
        session_max: None,
        ..policy()
    };
    let (sessions, clock) = sessions_with(policy, ReuseDetection::On { grace: GRACE }, 1000);
    let mut token = sign(&shopper_claims(NOW, 900), KEY);
    for _ in 0..60 {
        clock.advance(899);
        token = now(sessions.refresh(&token)).unwrap().token;
    }
    assert!(now(sessions.verify(&token)).is_ok());
}

#[test]
fn logout_ends_every_token_of_the_session_and_only_that_session() {
    let (sessions, clock) = sessions();
    let original = sign(&shopper_claims(NOW, 900), KEY);
    let other_session = sign(&shopper_claims(NOW, 901), KEY);
    clock.advance(1);
    let child = now(sessions.refresh(&original)).unwrap().token;
    clock.advance(1);
    let grandchild = now(sessions.refresh(&child)).unwrap().token;

    now(sessions.logout(&child)).unwrap();
    for token in [&original, &child, &grandchild] {
        assert_eq!(now(sessions.verify(token)), Err(TokenError::Revoked));
        assert_eq!(now(sessions.refresh(token)), Err(TokenError::Revoked));
        assert_eq!(now(sessions.logout(token)), Err(TokenError::Revoked));
    }
    assert!(now(sessions.verify(&other_session)).is_ok());
}

#[test]
fn verify_consumes_nothing() {
    let (sessions, _) = sessions();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    for _ in 0..3 {
        assert!(now(sessions.verify(&token)).is_ok());
    }
    assert_eq!(sessions.store().len(), 0, "verify recorded nothing");
    assert!(now(sessions.refresh(&token)).is_ok());
    assert_eq!(sessions.store().len(), 1);
}

#[test]
fn a_second_refresh_within_the_grace_window_gets_a_token_of_the_same_session() {
    let (sessions, clock) = sessions();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    let first = open(&now(sessions.refresh(&token)).unwrap().token, KEY).1;
    clock.advance(GRACE);
    let second = now(sessions.refresh(&token)).unwrap().token;
    assert_eq!(open(&second, KEY).1["sid"], first["sid"]);
    assert!(now(sessions.verify(&second)).is_ok());
}

#[test]
fn a_replay_after_the_grace_window_revokes_the_whole_session() {
    let (sessions, clock) = sessions();
    let stolen = sign(&shopper_claims(NOW, 900), KEY);
    let next = now(sessions.refresh(&stolen)).unwrap().token;
    // The shopper moves on: the stolen token's successor is used.
    let legitimate = now(sessions.refresh(&next)).unwrap().token;
    clock.advance(GRACE + 1);
    assert_eq!(now(sessions.refresh(&stolen)), Err(TokenError::Replayed));
    assert_eq!(now(sessions.verify(&legitimate)), Err(TokenError::Revoked));
    assert_eq!(now(sessions.refresh(&legitimate)), Err(TokenError::Revoked));
}

#[test]
fn with_reuse_detection_off_a_token_refreshes_any_number_of_times() {
    let (sessions, clock) = sessions_with(policy(), ReuseDetection::Off, 1000);
    let token = sign(&shopper_claims(NOW, 900), KEY);
    for _ in 0..3 {
        clock.advance(GRACE + 1);
        assert!(now(sessions.refresh(&token)).is_ok());
    }
    now(sessions.logout(&token)).unwrap();
    assert_eq!(now(sessions.refresh(&token)), Err(TokenError::Revoked));
}

#[test]
fn a_full_store_fails_closed() {
    let (sessions, _) = sessions_with(policy(), ReuseDetection::On { grace: GRACE }, 2);
    for iat in [NOW, NOW - 1] {
        assert!(now(sessions.refresh(&sign(&shopper_claims(iat, 900), KEY))).is_ok());
    }
    let third = sign(&shopper_claims(NOW - 2, 900), KEY);
    assert_eq!(
        now(sessions.refresh(&third)),
        Err(TokenError::StoreUnavailable)
    );
}

#[test]
fn sessions_are_forgotten_once_no_token_of_theirs_can_be_used() {
    let (sessions, clock) = sessions_with(policy(), ReuseDetection::On { grace: GRACE }, 2);
    let tokens: Vec<String> = (0..2)
        .map(|i| sign(&shopper_claims(NOW - i, 100), KEY))
        .collect();
    let successors: Vec<String> = tokens
        .iter()
        .map(|token| now(sessions.refresh(token)).unwrap().token)
        .collect();
    now(sessions.logout(&successors[0])).unwrap();
    assert_eq!(sessions.store().len(), 2);
    let third = sign(&shopper_claims(NOW, 900), KEY);
    assert_eq!(
        now(sessions.refresh(&third)),
        Err(TokenError::StoreUnavailable),
        "full of live sessions"
    );

    clock.advance(TTL);
    let fresh = sign(&shopper_claims(NOW + TTL, 900), KEY);
    assert!(
        now(sessions.refresh(&fresh)).is_ok(),
        "expired sessions were swept to make room"
    );
    assert_eq!(sessions.store().len(), 1);
}

#[test]
fn a_token_the_session_never_issued_for_refresh_counts_as_replayed() {
    let (sessions, clock) = sessions();
    let mut first = shopper_claims(NOW, 900);
    first["sid"] = json!("3f1d2c4b-5a69-4788-9c0d-1e2f3a4b5c6d");
    first["jti"] = json!("login-token");
    let login = sign(&first, KEY);
    let successor = now(sessions.refresh(&login)).unwrap().token;
    let mut forged_sibling = first.clone();
    forged_sibling["jti"] = json!("never-issued");
    clock.advance(1);
    assert_eq!(
        now(sessions.refresh(&sign(&forged_sibling, KEY))),
        Err(TokenError::Replayed)
    );
    assert_eq!(now(sessions.verify(&successor)), Err(TokenError::Revoked));
}

#[test]
fn racing_tabs_each_keep_a_refreshable_branch() {
    let (sessions, clock) = sessions();
    let shared = sign(&shopper_claims(NOW, 900), KEY);
    let mut tab_a = now(sessions.refresh(&shared)).unwrap().token;
    let mut tab_b = now(sessions.refresh(&shared)).unwrap().token;
    for _ in 0..5 {
        clock.advance(GRACE + 60);
        tab_a = now(sessions.refresh(&tab_a)).unwrap().token;
        tab_b = now(sessions.refresh(&tab_b)).unwrap().token;
    }
    assert!(now(sessions.verify(&tab_a)).is_ok());
    assert!(now(sessions.verify(&tab_b)).is_ok());
}

#[test]
fn a_client_refreshing_in_a_tight_loop_keeps_a_small_record_and_a_working_chain() {
    let (sessions, _) = sessions();
    let mut token = sign(&shopper_claims(NOW, 900), KEY);
    for _ in 0..100 {
        token = now(sessions.refresh(&token)).unwrap().token;
    }
    assert!(now(sessions.verify(&token)).is_ok());
    assert_eq!(sessions.store().len(), 1);
}
