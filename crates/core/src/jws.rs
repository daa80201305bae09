//! Compact JWS (RFC 7515) as ccstore uses it: HS256 only. The structure and the header are read
//! once by us, the payload handed back for the claims to be read (`flat_claims`), and the HMAC is
//! computed with a key prepared once ([`HmacKey`]); a token whose header is one ccstore writes is
//! matched to its key without parsing the header.
//!
//! jsonwebtoken's `crypto::{sign, verify}` would re-key the HMAC and allocate a boxed signer on
//! every call, and it offers no way to keep a keyed one; the integration tests (`interop`) hold
//! this module to jsonwebtoken both ways, refusals included.
//!
//! [`HmacKey`]: crate::HmacKey

use base64_simd::{Out, URL_SAFE_NO_PAD};
use serde::Deserialize;

use crate::TokenError;
use crate::keys::{KeySet, NamedKey};

/// The header fields that decide whether, and with which key, a token can be accepted.
#[derive(Deserialize)]
struct Header {
    alg: String,
    /// Critical extensions (RFC 7515 §4.1.11): ccstore understands none, so any makes the token
    /// unacceptable.
    crit: Option<serde::de::IgnoredAny>,
    kid: Option<String>,
}

/// The payload of `token` (its claims' JSON, not yet read) if it is a compact JWS signed with
/// HS256 under one of `keys`.
pub(crate) fn open(token: &str, keys: &KeySet) -> Result<Vec<u8>, TokenError> {
    let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = message.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.contains('.') {
        return Err(TokenError::Malformed);
    }
    let key = if let Some(key) = keys.by_own_header(header) {
        key
    } else {
        let kid = foreign_kid(header)?;
        keys.for_kid(kid.as_deref()).ok_or(TokenError::UnknownKey)?
    };
    let signature = signature.as_bytes();
    let mut decoded = [0; 32];
    match URL_SAFE_NO_PAD.decoded_length(signature) {
        Ok(32) => {
            URL_SAFE_NO_PAD
                .decode(signature, Out::from_slice(&mut decoded))
                .map_err(|_| TokenError::Malformed)?;
        }
        // Base64url, but not the length of an HS256 signature.
        Ok(_) if URL_SAFE_NO_PAD.check(signature).is_ok() => return Err(TokenError::BadSignature),
        _ => return Err(TokenError::Malformed),
    }
    if !key.key.verifies(message.as_bytes(), &decoded) {
        return Err(TokenError::BadSignature);
    }
    URL_SAFE_NO_PAD
        .decode_to_vec(payload)
        .map_err(|_| TokenError::Malformed)
}

/// A compact JWS of `claims` (already JSON) signed with HS256 under `key`, naming it in `kid`.
pub(crate) fn seal(claims_json: &[u8], key: &NamedKey) -> String {
    let mut token = String::with_capacity(key.header.len() + claims_json.len() * 4 / 3 + 48);
    token.push_str(&key.header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_append(claims_json, &mut token);
    let signature = key.key.sign(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_append(signature, &mut token);
    token
}

/// The `kid` of a header written by someone else, if it asks for HS256 and nothing critical.
fn foreign_kid(encoded: &str) -> Result<Option<String>, TokenError> {
    let json = URL_SAFE_NO_PAD
        .decode_to_vec(encoded)
        .map_err(|_| TokenError::Malformed)?;
    let header: Header = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if header.alg != "HS256" || header.crit.is_some() {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    Ok(header.kid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HmacKey;

    fn named(kids: &[&str], active: &str) -> KeySet {
        KeySet::named(
            kids.iter()
                .zip(1_u8..)
                .map(|(kid, byte)| ((*kid).to_owned(), HmacKey::new(&[byte; 32]).unwrap()))
                .collect(),
            active,
        )
        .unwrap()
    }

    #[test]
    fn sealed_tokens_open_and_tampering_is_caught() {
        let keys = KeySet::single(HmacKey::new(&[9; 32]).unwrap());
        let token = seal(br#"{"a":1}"#, keys.signing());
        assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."));
        assert_eq!(open(&token, &keys).unwrap(), br#"{"a":1}"#);
        let other = KeySet::single(HmacKey::new(&[8; 32]).unwrap());
        assert_eq!(open(&token, &other), Err(TokenError::BadSignature));
        let extra_part = format!("{token}.x");
        assert_eq!(open(&extra_part, &keys), Err(TokenError::Malformed));
    }

    #[test]
    fn a_token_opens_under_any_set_that_still_lists_its_key() {
        let before = named(&["k1"], "k1");
        let token = seal(b"{}", before.signing());
        let rotated = named(&["k1", "k2"], "k2");
        assert!(open(&token, &rotated).is_ok());
        let retired = named(&["k2"], "k2");
        assert_eq!(open(&token, &retired), Err(TokenError::UnknownKey));
    }

    #[test]
    fn headers_with_other_algorithms_or_critical_extensions_are_refused() {
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
        ] {
            let encoded = URL_SAFE_NO_PAD.encode_to_string(header);
            assert_eq!(
                foreign_kid(&encoded),
                Err(TokenError::UnsupportedAlgorithm),
                "{header}"
            );
        }
        assert_eq!(
            foreign_kid(&URL_SAFE_NO_PAD.encode_to_string(r#"{"typ":"JWT"}"#)),
            Err(TokenError::Malformed)
        );
        assert_eq!(foreign_kid("!!"), Err(TokenError::Malformed));
        assert_eq!(
            foreign_kid(&URL_SAFE_NO_PAD.encode_to_string(r#"{"alg":"HS256","kid":"k1"}"#)),
            Ok(Some("k1".to_owned()))
        );
        assert_eq!(
            foreign_kid(&URL_SAFE_NO_PAD.encode_to_string(r#"{"kid":7,"alg":"HS256"}"#)),
            Err(TokenError::Malformed)
        );
    }
}
