//! Compact JWS (RFC 7515) as ccstore uses it: HS256 only. The structure, the header and the claims
//! are read once by us; the HMAC is jsonwebtoken's. A token whose header is the one ccstore writes
//! is recognised without parsing it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{HmacKey, TokenError};

/// `{"typ":"JWT","alg":"HS256"}`, base64url: the header of every token ccstore signs.
const OWN_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9";

/// The header fields that decide whether a token can be accepted.
#[derive(Deserialize)]
struct Header {
    alg: String,
    /// Critical extensions (RFC 7515 §4.1.11): ccstore understands none, so any makes the token
    /// unacceptable.
    crit: Option<serde::de::IgnoredAny>,
}

/// The claims of `token` if it is a compact JWS signed with HS256 under `key`.
pub(crate) fn open<T: DeserializeOwned>(token: &str, key: &HmacKey) -> Result<T, TokenError> {
    let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = message.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.contains('.') {
        return Err(TokenError::Malformed);
    }
    if header != OWN_HEADER {
        check_header(header)?;
    }
    match jsonwebtoken::crypto::verify(
        signature,
        message.as_bytes(),
        &key.decoding,
        Algorithm::HS256,
    ) {
        Ok(true) => {}
        Ok(false) => return Err(TokenError::BadSignature),
        Err(_) => return Err(TokenError::Malformed),
    }
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&claims).map_err(|_| TokenError::Malformed)
}

/// A compact JWS of `claims` (already JSON) signed with HS256 under `key`.
pub(crate) fn seal(claims_json: &[u8], key: &HmacKey) -> Result<String, TokenError> {
    let mut token = String::with_capacity(OWN_HEADER.len() + claims_json.len() * 4 / 3 + 48);
    token.push_str(OWN_HEADER);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims_json, &mut token);
    let signature = jsonwebtoken::crypto::sign(token.as_bytes(), &key.encoding, Algorithm::HS256)
        .map_err(|_| TokenError::Signing)?;
    token.push('.');
    token.push_str(&signature);
    Ok(token)
}

/// Accepts a header written by someone else only if it asks for HS256 and nothing critical.
fn check_header(encoded: &str) -> Result<(), TokenError> {
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| TokenError::Malformed)?;
    let header: Header = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if header.alg != "HS256" || header.crit.is_some() {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_header_is_the_base64url_of_typ_jwt_alg_hs256() {
        let decoded = URL_SAFE_NO_PAD.decode(OWN_HEADER).unwrap();
        assert_eq!(decoded, br#"{"typ":"JWT","alg":"HS256"}"#);
    }

    #[test]
    fn sealed_tokens_open_and_tampering_is_caught() {
        let key = HmacKey::new(&[9; 32]).unwrap();
        let token = seal(br#"{"a":1}"#, &key).unwrap();
        let opened: serde_json::Value = open(&token, &key).unwrap();
        assert_eq!(opened, serde_json::json!({"a": 1}));
        let other = HmacKey::new(&[8; 32]).unwrap();
        assert_eq!(
            open::<serde_json::Value>(&token, &other),
            Err(TokenError::BadSignature)
        );
        let extra_part = format!("{token}.x");
        assert_eq!(
            open::<serde_json::Value>(&extra_part, &key),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn headers_with_other_algorithms_or_critical_extensions_are_refused() {
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
        ] {
            let encoded = URL_SAFE_NO_PAD.encode(header);
            assert_eq!(
                check_header(&encoded),
                Err(TokenError::UnsupportedAlgorithm),
                "{header}"
            );
        }
        assert_eq!(
            check_header(&URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#)),
            Err(TokenError::Malformed)
        );
        assert_eq!(check_header("!!"), Err(TokenError::Malformed));
        assert!(check_header(&URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k1"}"#)).is_ok());
    }
}
