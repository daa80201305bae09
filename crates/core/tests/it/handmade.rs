//! Tokens built by hand (HMAC-SHA256 over base64 JSON, in either spelling), so a mistake shared by
//! the service's signing and verifying code cannot hide; and a decoder to read what the service
//! issued.

use base64::Engine;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// OCC's spelling: standard base64 with `=` padding, decoded strictly (canonical padding and bits).
pub(crate) const OCC: GeneralPurpose = STANDARD;
/// Strict JWS: base64url without padding.
pub(crate) const JWS: GeneralPurpose = URL_SAFE_NO_PAD;

/// A compact JWT with the given header and claims, HMAC-SHA256 signed with `key`, in base64url.
pub(crate) fn sign_with_header(header: &Value, claims: &Value, key: &[u8]) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), key)
}

/// A compact JWT of header and claims given as raw JSON text, HMAC-SHA256 signed with `key`, in
/// base64url.
pub(crate) fn sign_raw(header: &str, claims: &str, key: &[u8]) -> String {
    sign_raw_in(&JWS, header, claims, key)
}

/// A compact JWT of raw header and claims, every segment spelled by `engine`.
pub(crate) fn sign_raw_in(
    engine: &GeneralPurpose,
    header: &str,
    claims: &str,
    key: &[u8],
) -> String {
    let signing_input = format!("{}.{}", engine.encode(header), engine.encode(claims));
    sign_segments_in(engine, &signing_input, key)
}

/// `signing_input` (header and payload segments, encoded as they are to be sent), with its
/// HMAC-SHA256 under `key` appended as `engine` spells it.
pub(crate) fn sign_segments_in(engine: &GeneralPurpose, signing_input: &str, key: &[u8]) -> String {
    format!(
        "{signing_input}.{}",
        engine.encode(hmac(signing_input, key))
    )
}

fn hmac(signing_input: &str, key: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// An HS256 JWT with `claims`, signed with `key`, in base64url.
pub(crate) fn sign(claims: &Value, key: &[u8]) -> String {
    sign_with_header(&json!({"alg": "HS256", "typ": "JWT"}), claims, key)
}

/// An HS256 JWT with `claims`, signed with `key`, every segment spelled by `engine`.
pub(crate) fn sign_in(engine: &GeneralPurpose, claims: &Value, key: &[u8]) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"}).to_string();
    sign_raw_in(engine, &header, &claims.to_string(), key)
}

/// Claims of a valid shopper token issued at `iat` that lives `ttl` seconds.
pub(crate) fn shopper_claims(iat: u64, ttl: u64) -> Value {
    json!({"sub": "110558", "iss": crate::ISSUER, "iat": iat, "exp": iat + ttl})
}

/// Header and claims of `token`, a token in the service's default spelling (OCC's), after
/// checking its signature by hand.
pub(crate) fn open(token: &str, key: &[u8]) -> (Value, Value) {
    open_in(&OCC, token, key)
}

/// Header and claims of `token`, every segment of which `engine` must decode strictly, after
/// checking its signature by hand.
pub(crate) fn open_in(engine: &GeneralPurpose, token: &str, key: &[u8]) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three parts");
    let signature = engine.decode(parts[2]).expect("the signature's spelling");
    assert_eq!(
        signature,
        hmac(&format!("{}.{}", parts[0], parts[1]), key),
        "signature made with the key"
    );
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&engine.decode(part).expect("the segment's spelling")).unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}
