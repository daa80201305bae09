//! Each verification rule: signature, algorithm, required claims, issuer, expiry, not-before.

use ccstore_core::TokenError;
use serde_json::json;

use crate::handmade::{shopper_claims, sign, sign_with_header};
use crate::{ISSUER, KEY, NOW, policy, service, service_with};

#[test]
fn a_handmade_token_verifies_with_every_claim_kept() {
    let (service, _) = service();
    let mut claims = shopper_claims(NOW - 10, 900);
    claims["com.oracle.atg.cloud.commerce.roles"] = json!(["admin"]);
    claims["aud"] = json!("storefront");
    let verified = service.verify(&sign(&claims, KEY)).unwrap();
    assert_eq!(verified.sub, "110558");
    assert_eq!(verified.iss, ISSUER);
    assert_eq!(verified.iat, NOW - 10);
    assert_eq!(verified.exp, NOW + 890);
    assert_eq!(
        verified.other["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
    assert_eq!(verified.other["aud"], json!("storefront"));
}

#[test]
fn a_token_signed_with_another_key_has_a_bad_signature() {
    let (service, _) = service();
    let token = sign(
        &shopper_claims(NOW, 900),
        b"another-key-0123456789-0123456789-01",
    );
    assert_eq!(service.verify(&token), Err(TokenError::BadSignature));
}

#[test]
fn a_tampered_payload_has_a_bad_signature() {
    let (service, _) = service();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    let forged_claims = sign(
        &json!({"sub": "1", "iss": ISSUER, "iat": NOW, "exp": NOW + 99_999}),
        KEY,
    );
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = forged_claims.split('.').nth(1).unwrap();
    assert_eq!(
        service.verify(&parts.join(".")),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn alg_none_is_refused() {
    let (service, _) = service();
    let signed = sign_with_header(&json!({"alg": "none"}), &shopper_claims(NOW, 900), KEY);
    let unsigned = format!("{}.", signed.rsplit_once('.').unwrap().0);
    for token in [signed, unsigned] {
        assert_eq!(
            service.verify(&token),
            Err(TokenError::UnsupportedAlgorithm),
            "{token}"
        );
    }
}

#[test]
fn other_algorithms_are_refused_even_with_a_valid_hmac() {
    let (service, _) = service();
    for alg in ["HS384", "HS512", "RS256", "ES256", "EdDSA"] {
        let token = sign_with_header(&json!({"alg": alg}), &shopper_claims(NOW, 900), KEY);
        assert_eq!(
            service.verify(&token),
            Err(TokenError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
}

#[test]
fn each_required_claim_is_required() {
    let (service, _) = service();
    for claim in ["sub", "iss", "iat", "exp"] {
        let mut claims = shopper_claims(NOW, 900);
        claims.as_object_mut().unwrap().remove(claim);
        let expected = TokenError::MissingClaim(claim);
        assert_eq!(
            service.verify(&sign(&claims, KEY)),
            Err(expected),
            "{claim}"
        );
    }
}

#[test]
fn claims_of_the_wrong_type_are_malformed() {
    let (service, _) = service();
    for (claim, value) in [
        ("sub", json!(110_558)),
        ("exp", json!("soon")),
        ("iat", json!(-1)),
        ("nbf", json!(1.5)),
    ] {
        let mut claims = shopper_claims(NOW, 900);
        claims[claim] = value;
        assert_eq!(
            service.verify(&sign(&claims, KEY)),
            Err(TokenError::Malformed),
            "{claim}"
        );
    }
}

#[test]
fn another_issuer_is_refused() {
    let (service, _) = service();
    let mut claims = shopper_claims(NOW, 900);
    claims["iss"] = json!("adminUI");
    assert_eq!(
        service.verify(&sign(&claims, KEY)),
        Err(TokenError::WrongIssuer)
    );
}

#[test]
fn a_token_is_valid_until_the_second_before_exp() {
    let (service, clock) = service();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    clock.set(NOW + 899);
    assert!(service.verify(&token).is_ok());
    clock.set(NOW + 900);
    assert_eq!(service.verify(&token), Err(TokenError::Expired));
}

#[test]
fn leeway_extends_exp_and_nbf_by_its_seconds() {
    let (service, clock) = service_with(ccstore_core::TokenPolicy {
        leeway: 30,
        ..policy()
    });
    let token = sign(&shopper_claims(NOW, 900), KEY);
    clock.set(NOW + 929);
    assert!(service.verify(&token).is_ok());
    clock.set(NOW + 930);
    assert_eq!(service.verify(&token), Err(TokenError::Expired));

    let mut early = shopper_claims(NOW, 900);
    early["nbf"] = json!(NOW + 30);
    clock.set(NOW);
    assert!(service.verify(&sign(&early, KEY)).is_ok());
    early["nbf"] = json!(NOW + 31);
    assert_eq!(
        service.verify(&sign(&early, KEY)),
        Err(TokenError::NotYetValid)
    );
}

#[test]
fn nbf_in_the_future_is_not_yet_valid_and_honoured_once_reached() {
    let (service, clock) = service();
    let mut claims = shopper_claims(NOW, 900);
    claims["nbf"] = json!(NOW + 60);
    let token = sign(&claims, KEY);
    assert_eq!(service.verify(&token), Err(TokenError::NotYetValid));
    clock.set(NOW + 60);
    assert!(service.verify(&token).is_ok());
}

#[test]
fn garbage_is_malformed_never_a_panic() {
    let (service, _) = service();
    let documented_example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE0MTQxNDk5NTYsInN1YiI6IjExMDU1OCIsImlzcyI6InN0b3JlZnJvbnRVSSIsImlhdCI6MTQxNDE0OTAyNn0=.B9qM0/VKpCNKvjCmOnUPv4RS7mkIDgKcP8RJPaVQGYU=";
    for token in [
        "",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "e30.e30.",
        "e30.e30.e30",
        "!!.??.##",
        documented_example,
    ] {
        let outcome = service.verify(token);
        assert!(
            matches!(
                outcome,
                Err(TokenError::Malformed | TokenError::BadSignature)
            ),
            "{token}: {outcome:?}"
        );
    }
}

#[test]
fn a_json_array_as_claims_is_malformed() {
    let (service, _) = service();
    let token = sign(&json!(["sub", "110558"]), KEY);
    assert_eq!(service.verify(&token), Err(TokenError::Malformed));
}

#[test]
fn a_registered_claim_given_twice_is_malformed() {
    let (service, _) = service();
    let claims = format!(
        r#"{{"sub":"1","sub":"2","iss":"{ISSUER}","iat":{NOW},"exp":{}}}"#,
        NOW + 60
    );
    let token = crate::handmade::sign_raw(r#"{"alg":"HS256"}"#, &claims, KEY);
    assert_eq!(service.verify(&token), Err(TokenError::Malformed));
}

#[test]
fn unregistered_claims_keep_escaped_names_and_any_json_value() {
    let (service, _) = service();
    let claims = format!(
        r#"{{"sub":"1","iss":"{ISSUER}","iat":{NOW},"exp":{},"r\u00f4le":{{"a":[1,null]}}}}"#,
        NOW + 60
    );
    let token = crate::handmade::sign_raw(r#"{"alg":"HS256"}"#, &claims, KEY);
    let verified = service.verify(&token).unwrap();
    assert_eq!(verified.other["rôle"], json!({"a": [1, null]}));
}

#[test]
fn verify_at_judges_the_time_rules_at_the_time_given_not_the_clocks() {
    let (service, clock) = service();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    assert_eq!(
        service.verify_at(&token, NOW + 900),
        Err(TokenError::Expired)
    );
    assert!(service.verify_at(&token, NOW + 899).is_ok());
    clock.set(NOW + 900);
    assert!(service.verify_at(&token, NOW).is_ok());
    assert_eq!(service.verify(&token), Err(TokenError::Expired));
}

#[test]
fn an_iat_or_auth_time_in_the_future_beyond_the_leeway_is_not_yet_valid() {
    let (service, _) = service_with(ccstore_core::TokenPolicy {
        leeway: 30,
        ..policy()
    });
    for claim in ["iat", "auth_time"] {
        for (time, valid) in [(NOW + 30, true), (NOW + 31, false), (u64::MAX, false)] {
            let mut claims = shopper_claims(NOW, 900);
            claims[claim] = json!(time);
            let outcome = service.verify(&sign(&claims, KEY)).map(|_| ());
            let expected = if valid {
                Ok(())
            } else {
                Err(TokenError::NotYetValid)
            };
            assert_eq!(outcome, expected, "{claim} = {time}");
        }
    }
}

#[test]
fn time_arithmetic_at_the_ends_of_the_range_neither_panics_nor_wraps() {
    use crate::{now, sessions_with};
    use ccstore_core::ReuseDetection;

    // The largest session maximum and leeway an operator can configure, and a token that lives
    // until the end of time: every sum saturates.
    let policy = ccstore_core::TokenPolicy {
        leeway: 3600,
        session_max: Some(u64::MAX),
        ttl: u64::MAX,
        ..policy()
    };
    let (sessions, _) = sessions_with(policy, ReuseDetection::On { grace: 30 }, 10);
    let mut claims = shopper_claims(NOW, 0);
    claims["exp"] = json!(u64::MAX);
    claims["auth_time"] = json!(NOW + 3600);
    let token = sign(&claims, KEY);
    let issued = now(sessions.refresh(&token)).unwrap();
    assert_eq!(issued.expires_in, u64::MAX - NOW);
    now(sessions.logout(&issued.token)).unwrap();
    assert_eq!(now(sessions.verify(&token)), Err(TokenError::Revoked));
    assert_eq!(
        now(sessions.verify(&issued.token)),
        Err(TokenError::Revoked)
    );
}
