//! Key rotation: the active key signs and names itself in `kid`; every listed key still verifies
//! the tokens it signed; a token without `kid` is checked against the active key; a retired key's
//! tokens are refused; a replaced key set takes effect on the next call.

use std::sync::Arc;

use ccstore_core::{
    HmacKey, KeyRing, KeySet, ManualClock, MemoryStore, ReuseDetection, Sessions, TokenError,
    TokenService,
};
use serde_json::json;

use crate::handmade::{open, shopper_claims, sign, sign_with_header};
use crate::{GRACE, NOW, now, policy};

const OLD: &[u8] = b"old-key-0123456789-0123456789-0123456789";
const NEW: &[u8] = b"new-key-0123456789-0123456789-0123456789";

fn set(keys: &[(&str, &[u8])], active: &str) -> KeySet {
    KeySet::named(
        keys.iter()
            .map(|(kid, secret)| ((*kid).to_owned(), HmacKey::new(secret).unwrap()))
            .collect(),
        active,
    )
    .unwrap()
}

fn sessions_over(ring: &KeyRing) -> Sessions<MemoryStore> {
    let tokens = TokenService::new(ring.clone(), policy(), Arc::new(ManualClock::at(NOW + 1)));
    Sessions::new(
        tokens,
        MemoryStore::new(100),
        ReuseDetection::On { grace: GRACE },
    )
}

fn with_kid(kid: &str, key: &[u8]) -> String {
    sign_with_header(
        &json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        &shopper_claims(NOW, 900),
        key,
    )
}

#[test]
fn refreshed_tokens_are_signed_with_the_active_key_and_carry_its_kid() {
    let ring = KeyRing::new(set(&[("old", OLD), ("new", NEW)], "new"));
    let sessions = sessions_over(&ring);
    let issued = now(sessions.refresh(&with_kid("old", OLD))).unwrap();
    let (header, _) = open(&issued.token, NEW);
    assert_eq!(header, json!({"typ": "JWT", "alg": "HS256", "kid": "new"}));
}

#[test]
fn a_token_without_kid_is_checked_against_the_active_key_only() {
    let ring = KeyRing::new(set(&[("old", OLD), ("new", NEW)], "new"));
    let sessions = sessions_over(&ring);
    assert!(now(sessions.verify(&sign(&shopper_claims(NOW, 900), NEW))).is_ok());
    assert_eq!(
        now(sessions.verify(&sign(&shopper_claims(NOW, 900), OLD))),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn a_kid_names_its_key_and_an_unknown_or_mismatched_kid_is_refused() {
    let ring = KeyRing::new(set(&[("old", OLD), ("new", NEW)], "new"));
    let sessions = sessions_over(&ring);
    assert!(now(sessions.verify(&with_kid("old", OLD))).is_ok());
    assert_eq!(
        now(sessions.verify(&with_kid("new", OLD))),
        Err(TokenError::BadSignature)
    );
    assert_eq!(
        now(sessions.verify(&with_kid("other", OLD))),
        Err(TokenError::UnknownKey)
    );
}

#[test]
fn a_replaced_set_signs_and_verifies_from_the_next_call_on() {
    let ring = KeyRing::new(set(&[("old", OLD)], "old"));
    let sessions = sessions_over(&ring);
    let before = now(sessions.refresh(&with_kid("old", OLD))).unwrap();
    assert_eq!(open(&before.token, OLD).0["kid"], "old");

    // Step 1 of a rotation: the new key becomes active, the old one still verifies.
    ring.replace(set(&[("old", OLD), ("new", NEW)], "new"));
    let after = now(sessions.refresh(&before.token)).unwrap();
    assert_eq!(open(&after.token, NEW).0["kid"], "new");

    // Step 2, once every old token has expired: the old key is retired.
    ring.replace(set(&[("new", NEW)], "new"));
    assert_eq!(
        now(sessions.verify(&with_kid("old", OLD))),
        Err(TokenError::UnknownKey)
    );
    assert!(now(sessions.refresh(&after.token)).is_ok());
}

#[test]
fn a_lone_unnamed_key_accepts_tokens_minted_elsewhere_with_any_kid() {
    let ring = KeyRing::from(HmacKey::new(OLD).unwrap());
    let sessions = sessions_over(&ring);
    let issued = now(sessions.refresh(&with_kid("issuer-side-name", OLD))).unwrap();
    let (header, _) = open(&issued.token, OLD);
    assert_eq!(header, json!({"typ": "JWT", "alg": "HS256"}));
}
