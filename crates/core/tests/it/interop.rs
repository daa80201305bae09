//! jsonwebtoken's own `encode`/`decode`, the JWT a standard library writes and reads, against
//! ccstore: what it signs, ccstore verifies; what ccstore issues in the strict JWS spelling, it
//! decodes; and a base64url signature it refuses, ccstore refuses for the same reason.

use ccstore_core::{TokenEncoding, TokenError, TokenPolicy};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use crate::handmade::{shopper_claims, sign};
use crate::{ISSUER, KEY, NOW, TTL, policy, service, service_with};

fn encode(algorithm: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap()
}

#[test]
fn a_token_jsonwebtoken_signs_verifies_with_its_claims() {
    let (service, _) = service();
    let mut claims = shopper_claims(NOW - 10, 900);
    claims["roles"] = json!(["admin"]);
    let verified = service
        .verify(&encode(Algorithm::HS256, &claims, KEY))
        .unwrap();
    assert_eq!(verified.sub, "110558");
    assert_eq!(verified.exp, NOW + 890);
    assert_eq!(verified.other["roles"], json!(["admin"]));
}

#[test]
fn a_token_ccstore_issues_as_jws_decodes_with_jsonwebtoken_and_only_under_its_key() {
    let (service, _) = service_with(TokenPolicy {
        encoding: TokenEncoding::Jws,
        ..policy()
    });
    let mut other = Map::new();
    other.insert("occs.admin.profileId".into(), json!("why? a>b ~ Zoë"));
    other.insert("occs.admin.isAdmin".into(), json!(null));
    let issued = service.mint("110558", other).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    // The test clock stands at NOW, long past; jsonwebtoken checks `exp` against the system's.
    validation.validate_exp = false;
    let decoded =
        jsonwebtoken::decode::<Value>(&issued.token, &DecodingKey::from_secret(KEY), &validation)
            .unwrap();
    assert_eq!(decoded.header.alg, Algorithm::HS256);
    assert_eq!(decoded.claims["sub"], "110558");
    assert_eq!(decoded.claims["iat"], NOW);
    assert_eq!(decoded.claims["exp"], NOW + TTL);
    assert_eq!(decoded.claims["occs.admin.profileId"], "why? a>b ~ Zoë");
    assert_eq!(decoded.claims["occs.admin.isAdmin"], Value::Null);
    let other_key = DecodingKey::from_secret(b"another-key-0123456789-0123456789-01");
    assert!(jsonwebtoken::decode::<Value>(&issued.token, &other_key, &validation).is_err());
}

#[test]
fn jsonwebtoken_tokens_under_another_key_or_algorithm_are_refused() {
    let (service, _) = service();
    let claims = shopper_claims(NOW, 900);
    let other_key = encode(
        Algorithm::HS256,
        &claims,
        b"another-key-0123456789-0123456789-01",
    );
    assert_eq!(service.verify(&other_key), Err(TokenError::BadSignature));
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        assert_eq!(
            service.verify(&encode(algorithm, &claims, KEY)),
            Err(TokenError::UnsupportedAlgorithm),
            "{algorithm:?}"
        );
    }
}

#[test]
fn a_signature_is_refused_for_the_reason_jsonwebtoken_gives() {
    let (service, _) = service();
    let token = sign(&shopper_claims(NOW, 900), KEY);
    let (message, signature) = token.rsplit_once('.').unwrap();
    let last = signature.len() - 1;
    let variants = [
        signature.to_owned(),
        signature[..last].to_owned(),
        signature[..last - 1].to_owned(),
        format!("{signature}AAAA"),
        format!("{signature}A"),
        "A".repeat(400),
        String::new(),
        format!("{}B", &signature[..last]),
        format!("{}!", &signature[..last]),
    ];
    let decoding = DecodingKey::from_secret(KEY);
    let mut reasons = Vec::new();
    for variant in variants {
        let expected = match jsonwebtoken::crypto::verify(
            &variant,
            message.as_bytes(),
            &decoding,
            Algorithm::HS256,
        ) {
            Ok(true) => Ok(()),
            Ok(false) => Err(TokenError::BadSignature),
            Err(_) => Err(TokenError::Malformed),
        };
        let outcome = service.verify(&format!("{message}.{variant}")).map(|_| ());
        assert_eq!(outcome, expected, "signature {variant:?}");
        reasons.push(expected);
    }
    // The variants reach every verdict: accepted, a wrong signature, not base64url at all.
    for verdict in [
        Ok(()),
        Err(TokenError::BadSignature),
        Err(TokenError::Malformed),
    ] {
        assert!(reasons.contains(&verdict), "no variant gives {verdict:?}");
    }
}
