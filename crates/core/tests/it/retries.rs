//! Lost answers and old tokens, in the in-process store: a token whose successor was never used
//! refreshes again however late (the answer was lost), a token the session moved on from is a
//! replay however long ago, what a thief with an early copy can and cannot do, and a logout or
//! a replay check that covers an older, longer-lived token for its whole life.

use ccstore_core::{MAX_RECORD_SECONDS, ReuseDetection, TokenError, TokenPolicy};
use serde_json::json;

use crate::handmade::{open, shopper_claims, sign};
use crate::{GRACE, KEY, NOW, SESSION_MAX, TTL, now, policy, sessions, sessions_with};

/// A login token minted elsewhere, in session `sid`, living `life` seconds.
fn login(sid: &str, life: u64) -> String {
    let mut claims = shopper_claims(NOW, life);
    claims["sid"] = json!(sid);
    claims["jti"] = json!(format!("{sid}-login"));
    sign(&claims, KEY)
}

#[test]
fn a_token_whose_answer_was_lost_refreshes_again_however_late_in_the_same_session() {
    let (sessions, clock) = sessions();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    let lost = now(sessions.refresh(&token)).unwrap().token;
    clock.advance(GRACE + 600);
    let retried = now(sessions.refresh(&token)).expect("a retry, not a theft");
    assert_eq!(
        open(&retried.token, KEY).1["sid"],
        open(&lost, KEY).1["sid"]
    );
    let next = now(sessions.refresh(&retried.token)).unwrap().token;
    assert!(now(sessions.verify(&next)).is_ok());
}

#[test]
fn a_token_the_session_moved_on_from_is_a_replay_however_it_comes_back() {
    let (sessions, clock) = sessions();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    let successor = now(sessions.refresh(&token)).unwrap().token;
    let newest = now(sessions.refresh(&successor)).unwrap().token;
    clock.advance(GRACE + 1);
    assert_eq!(now(sessions.refresh(&token)), Err(TokenError::Replayed));
    assert_eq!(now(sessions.verify(&newest)), Err(TokenError::Revoked));
}

#[test]
fn a_thief_with_a_copy_taken_before_the_shopper_used_its_successor_is_found_out() {
    let (sessions, clock) = sessions();
    let copied = sign(&shopper_claims(NOW, 900), KEY);
    let shoppers = now(sessions.refresh(&copied)).unwrap().token;
    clock.advance(GRACE + 1);
    // The store cannot tell the thief's late refresh from a retry: it is honoured...
    let thiefs = now(sessions.refresh(&copied)).unwrap().token;
    // ...and replaces the shopper's unused successor, so the shopper's next refresh reveals it
    // and the session, the thief's chain included, ends.
    assert_eq!(now(sessions.refresh(&shoppers)), Err(TokenError::Replayed));
    assert_eq!(now(sessions.refresh(&thiefs)), Err(TokenError::Revoked));
}

#[test]
fn a_thief_with_a_copy_is_refused_once_the_shopper_has_used_its_successor() {
    let (sessions, clock) = sessions();
    let copied = sign(&shopper_claims(NOW, 900), KEY);
    let shoppers = now(sessions.refresh(&copied)).unwrap().token;
    let shoppers = now(sessions.refresh(&shoppers)).unwrap().token;
    clock.advance(GRACE + 1);
    assert_eq!(now(sessions.refresh(&copied)), Err(TokenError::Replayed));
    assert_eq!(now(sessions.verify(&shoppers)), Err(TokenError::Revoked));
}

#[test]
fn a_refreshed_ancestor_replayed_after_its_descendants_expired_is_still_a_replay() {
    let (sessions, clock) = sessions();
    let ancestor = login("3b0d6c1e-6c8a-4c55-9d43-2f5f6a0a7e11", 6 * 3600);
    let child = now(sessions.refresh(&ancestor)).unwrap().token;
    let _grandchild = now(sessions.refresh(&child)).unwrap().token;
    clock.advance(3 * TTL);
    assert_eq!(now(sessions.refresh(&ancestor)), Err(TokenError::Replayed));
}

#[test]
fn a_logout_of_the_newest_token_refuses_an_older_longer_lived_one_for_its_whole_life() {
    let (sessions, clock) = sessions();
    let life = 6 * 3600;
    let ancestor = login("7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", life);
    let newest = now(sessions.refresh(&ancestor)).unwrap().token;
    now(sessions.logout(&newest)).unwrap();
    for later in [2 * TTL, life - 1] {
        clock.set(NOW + later);
        assert_eq!(now(sessions.verify(&ancestor)), Err(TokenError::Revoked));
        assert_eq!(now(sessions.refresh(&ancestor)), Err(TokenError::Revoked));
    }
}

#[test]
fn a_far_future_exp_is_clamped_and_never_overflows_a_record() {
    for session_max in [Some(SESSION_MAX), None] {
        let policy = TokenPolicy {
            session_max,
            ..policy()
        };
        let (sessions, clock) = sessions_with(policy, ReuseDetection::On { grace: GRACE }, 10);
        let mut claims = shopper_claims(NOW, 0);
        claims["exp"] = json!(u64::MAX);
        let token = sign(&claims, KEY);
        let successor = now(sessions.refresh(&token)).unwrap().token;
        now(sessions.logout(&successor)).unwrap();
        clock.advance(MAX_RECORD_SECONDS / 2);
        assert!(
            now(sessions.verify(&token)).is_err(),
            "refused: revoked, or past the session's lifetime"
        );
    }
}
