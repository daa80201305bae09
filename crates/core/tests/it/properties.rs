//! Property tests over the two functions every request runs on client input: the `Authorization`
//! parser and token verification. No input may panic them; only tokens signed with the key, from
//! the issuer, may pass; any change to a valid token is refused; under a key set, only the key a
//! token's `kid` names verifies it.

use std::sync::Arc;

use base64::Engine;
use ccstore_core::{
    HmacKey, KeySet, ManualClock, SERVICE_CLAIMS, TokenError, TokenService, bearer_token,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::handmade::{OCC, open, shopper_claims, sign, sign_with_header};
use crate::{ISSUER, KEY, NOW, now, service, sessions};

proptest! {
    #[test]
    fn the_bearer_parser_takes_any_bytes_and_returns_only_token68(value in proptest::collection::vec(any::<u8>(), 0..300)) {
        match bearer_token(Some(&value)) {
            Ok(token) => {
                prop_assert!(!token.is_empty());
                prop_assert!(token.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~+/=".contains(&byte)));
                let text = String::from_utf8_lossy(&value);
                prop_assert!(text.trim().to_ascii_lowercase().starts_with("bearer "));
                prop_assert!(text.trim_end().ends_with(token));
            }
            Err(error) => prop_assert!(matches!(error, TokenError::Missing | TokenError::Malformed)),
        }
    }

    #[test]
    fn a_bearer_header_round_trips_its_token(scheme in "(?i:bearer)", spaces in " {1,3}", token in "[A-Za-z0-9._~+/-]{1,64}={0,2}") {
        let header = format!("{scheme}{spaces}{token}");
        prop_assert_eq!(bearer_token(Some(header.as_bytes())), Ok(token.as_str()));
    }

    #[test]
    fn verification_takes_any_text_without_panicking_or_accepting(text in ".{0,400}") {
        let (service, _) = service();
        prop_assert!(service.verify(&text).is_err());
    }

    #[test]
    fn verification_of_three_arbitrary_base64url_parts_fails(parts in proptest::collection::vec("[A-Za-z0-9_-]{0,80}", 3)) {
        let (service, _) = service();
        prop_assert!(service.verify(&parts.join(".")).is_err());
    }

    #[test]
    fn changing_any_character_of_a_valid_token_is_refused(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.-]") {
        let (service, _) = service();
        let token = sign(&shopper_claims(NOW, 900), KEY);
        let index = position.index(token.len());
        let mut changed = token.clone();
        changed.replace_range(index..=index, &replacement);
        prop_assume!(changed != token);
        prop_assert!(service.verify(&changed).is_err(), "{changed}");
    }

    #[test]
    fn valid_claims_of_any_shape_survive_verification(sub in "[^\u{0}]{1,40}", extra in proptest::collection::btree_map("[a-z:.]{1,12}", any::<i64>(), 0..5)) {
        let (service, _) = service();
        let mut claims = shopper_claims(NOW, 900);
        claims["sub"] = json!(sub);
        for (name, value) in &extra {
            if !["sub", "iss", "iat", "exp", "nbf", "jti", "sid", "auth_time"].contains(&name.as_str()) {
                claims[name] = json!(value);
            }
        }
        let verified = service.verify(&sign(&claims, KEY)).unwrap();
        prop_assert_eq!(verified.sub, sub);
        // Every claim the rules do not read is kept, none is dropped and none added.
        let expected: Map<String, Value> = claims
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| !SERVICE_CLAIMS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        prop_assert_eq!(&verified.other, &expected);
    }
}

proptest! {
    #[test]
    fn under_a_key_set_a_token_verifies_only_with_the_key_its_kid_names(
        kids in proptest::collection::btree_set("[A-Za-z0-9._-]{1,12}", 1..5),
        signer in any::<prop::sample::Index>(),
        named in any::<prop::sample::Index>(),
    ) {
        let kids: Vec<String> = kids.into_iter().collect();
        let secret = |kid: &str| format!("secret-of-{kid}-0123456789-0123456789");
        let keys = KeySet::named(
            kids.iter().map(|kid| (kid.clone(), HmacKey::new(secret(kid).as_bytes()).unwrap())).collect(),
            &kids[0],
        ).unwrap();
        let service = TokenService::new(keys, crate::policy(), Arc::new(ManualClock::at(NOW + 1)));
        let (signer, named) = (signer.get(&kids), named.get(&kids));
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": named});
        let token = sign_with_header(&header, &shopper_claims(NOW, 900), secret(signer).as_bytes());
        let outcome = service.verify(&token);
        if signer == named {
            prop_assert!(outcome.is_ok(), "{outcome:?}");
        } else {
            prop_assert_eq!(outcome, Err(TokenError::BadSignature));
        }
    }
}

/// Any JSON value, nested a few levels: every kind a claim can hold, any Unicode in strings and
/// names, floats of any finite value.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |float| float.is_finite())
            .prop_map(Value::from),
        ANY_TEXT.prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(ANY_TEXT, inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Text of any Unicode, control characters, quotes, backslashes and `>?~` included.
const ANY_TEXT: &str = "\\PC{0,12}|[\\x00-\\x7f]{0,12}";

proptest! {
    #[test]
    fn an_occ_token_of_any_claims_decodes_with_the_standard_alphabet_to_exactly_its_claims(
        sub in ANY_TEXT,
        other in proptest::collection::btree_map(ANY_TEXT, json_value(), 0..6),
    ) {
        let (service, _) = service();
        let other: Map<String, Value> = other
            .into_iter()
            .filter(|(name, _)| !SERVICE_CLAIMS.contains(&name.as_str()))
            .collect();
        let issued = service.mint(&sub, other.clone()).unwrap();
        let segments: Vec<&str> = issued.token.split('.').collect();
        prop_assert_eq!(segments.len(), 3);
        let header = OCC.decode(segments[0]).unwrap();
        prop_assert_eq!(header, br#"{"typ":"JWT","alg":"HS256"}"#);
        let payload: Value = serde_json::from_slice(&OCC.decode(segments[1]).unwrap()).unwrap();
        let mut expected = other;
        for name in ["iat", "exp", "jti", "sid", "auth_time"] {
            expected.insert(name.to_owned(), payload[name].clone());
        }
        expected.insert("sub".to_owned(), json!(sub));
        expected.insert("iss".to_owned(), json!(ISSUER));
        prop_assert_eq!(&payload, &Value::Object(expected));
        prop_assert_eq!(OCC.decode(segments[2]).unwrap().len(), 32);
        // A refresh carries every claim forward unchanged.
        let (sessions, _) = sessions();
        let refreshed = now(sessions.refresh(&issued.token)).unwrap();
        let (_, renewed) = open(&refreshed.token, KEY);
        for (name, value) in payload.as_object().unwrap() {
            if !["iat", "exp", "jti"].contains(&name.as_str()) {
                prop_assert_eq!(&renewed[name], value, "{}", name);
            }
        }
        let names = |claims: &Value| claims.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        prop_assert_eq!(names(&renewed), names(&payload), "no claim dropped or added");
    }
}
