//! Minting: what operators and the development mode hand out.

use base64::Engine;
use serde_json::{Map, json};

use crate::handmade::{OCC, open};
use crate::{ISSUER, KEY, NOW, TTL, service};

#[test]
fn a_minted_token_carries_sub_issuer_and_extra_claims_and_verifies() {
    let (service, _) = service();
    let mut other = Map::new();
    other.insert("occs.admin.profileId".into(), json!("p1"));
    let issued = service.mint("110558", other).unwrap();
    let (_, claims) = open(&issued.token, KEY);
    assert_eq!(claims["sub"], "110558");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["iat"], json!(NOW));
    assert_eq!(claims["exp"], json!(NOW + TTL));
    assert_eq!(claims["occs.admin.profileId"], "p1");
    assert_eq!(
        claims["auth_time"],
        json!(NOW),
        "a minted token starts a session"
    );
    assert!(claims["sid"].as_str().is_some_and(|sid| sid.len() == 36));
    assert!(service.verify(&issued.token).is_ok());
}

#[test]
fn extra_claims_cannot_override_the_service_claims() {
    let (service, _) = service();
    let mut other = Map::new();
    for name in ["sub", "iss", "iat", "exp", "nbf", "jti", "sid", "auth_time"] {
        other.insert(name.into(), json!(1));
    }
    let issued = service.mint("110558", other).unwrap();
    let (_, claims) = open(&issued.token, KEY);
    assert_eq!(claims["sub"], "110558");
    assert_eq!(claims["exp"], json!(NOW + TTL));
    assert!(claims.get("nbf").is_none());
    let payload = issued.token.split('.').nth(1).unwrap();
    let raw_json = String::from_utf8(OCC.decode(payload).unwrap()).unwrap();
    for name in ["\"sub\"", "\"exp\"", "\"jti\"", "\"sid\"", "\"auth_time\""] {
        assert_eq!(
            raw_json.matches(name).count(),
            1,
            "{name} once in {raw_json}"
        );
    }
}
