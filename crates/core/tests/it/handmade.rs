//! Tokens built by hand (HMAC-SHA256 over base64url JSON), so a mistake shared by the service's
//! signing and verifying code cannot hide; and a decoder to read what the service issued.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// A compact JWT with the given header and claims, HMAC-SHA256 signed with `key`.
pub(crate) fn sign_with_header(header: &Value, claims: &Value, key: &[u8]) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), key)
}

/// A compact JWT of header and claims given as raw JSON text, HMAC-SHA256 signed with `key`.
pub(crate) fn sign_raw(header: &str, claims: &str, key: &[u8]) -> String {
    sign_segments(
        &format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        ),
        key,
    )
}

/// `signing_input` (header and payload segments, encoded as they are to be sent), with its
/// HMAC-SHA256 under `key` appended.
pub(crate) fn sign_segments(signing_input: &str, key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// An HS256 JWT with `claims`, signed with `key`.
pub(crate) fn sign(claims: &Value, key: &[u8]) -> String {
    sign_with_header(&json!({"alg": "HS256", "typ": "JWT"}), claims, key)
}

/// Claims of a valid shopper token issued at `iat` that lives `ttl` seconds.
pub(crate) fn shopper_claims(iat: u64, ttl: u64) -> Value {
    json!({"sub": "110558", "iss": crate::ISSUER, "iat": iat, "exp": iat + ttl})
}

/// Header and claims of `token`, after checking its signature by hand.
pub(crate) fn open(token: &str, key: &[u8]) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three parts");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("signature made with the key");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}
