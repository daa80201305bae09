//! The token codec: compact JWS (RFC 7515) signed with HS256, in either of the two spellings OCC
//! clients meet ([`TokenEncoding`]). A token is read in the spelling it came in, whatever the
//! service writes, and its signature is checked over its signing input exactly as presented.
//!
//! The parts are the crates': jsonwebtoken's crypto provider signs and verifies (see
//! [`HmacKey`](crate::HmacKey)), its [`Header`] reads headers written by others, and the `base64`
//! crate's strict engines decode (canonical bits, padding exactly as the spelling demands, no
//! whitespace). What is ours is only telling the two spellings apart and refusing a token that
//! mixes them. jsonwebtoken's own `decode`/`encode` cannot be used whole: they know only base64url,
//! and their claim validation reads the system clock, where ccstore's rules read the service's.

use base64::Engine;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::Header;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::keys::{KeySet, NamedKey};
use crate::TokenError;

/// Bytes of an HS256 signature.
const SIGNATURE_BYTES: usize = 32;

/// How the three segments of a token are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEncoding {
    /// Standard base64 (RFC 4648 §4) with `=` padding, as Oracle's documented example and real
    /// OCC tokens are written, and as Storefront Classic's browser code decodes them.
    #[default]
    Occ,
    /// Base64url without padding (RFC 7515 §2), as strict JWS readers (gateway JWT validators,
    /// jose, jsonwebtoken) require.
    Jws,
}

impl TokenEncoding {
    /// Both spellings, in a fixed order.
    pub const ALL: [Self; 2] = [Self::Occ, Self::Jws];

    /// The strict engine of this spelling.
    pub(crate) fn engine(self) -> &'static GeneralPurpose {
        match self {
            Self::Occ => &STANDARD,
            Self::Jws => &URL_SAFE_NO_PAD,
        }
    }

    /// The spelling of `token`: characters only standard base64 has (`+`, `/`, `=`) make it
    /// [`Occ`](Self::Occ), characters only base64url has (`-`, `_`) [`Jws`](Self::Jws); both, or
    /// any character neither has (whitespace, say) besides the dots, is a malformed token. A
    /// token of letters and digits alone reads the same either way and is taken as base64url,
    /// which needs no padding.
    fn of(token: &str) -> Result<Self, TokenError> {
        let seen = classes(token.as_bytes());
        match (
            seen & STANDARD_ONLY != 0,
            seen & URL_ONLY != 0,
            seen & FOREIGN != 0,
        ) {
            (true, true, _) | (_, _, true) => Err(TokenError::Malformed),
            (true, false, false) => Ok(Self::Occ),
            (false, _, false) => Ok(Self::Jws),
        }
    }
}

/// [`class`] of `+`, `/` and `=` (the bit positions are [`class`]'s).
const STANDARD_ONLY: u8 = 1;
/// [`class`] of `-` and `_`.
const URL_ONLY: u8 = 2;
/// [`class`] of a byte no spelling has (a dot separates segments and has none of these bits).
const FOREIGN: u8 = 4;

/// The [`class`]es of every byte of `token`, or-ed: over fixed-size chunks, so that the compiler
/// turns it into vector instructions (a byte at a time, it was 5% of a refresh's CPU in the
/// profile, for tokens of several hundred bytes).
#[inline(never)]
fn classes(token: &[u8]) -> u8 {
    let mut chunks = token.chunks_exact(32);
    let mut seen = 0;
    for chunk in chunks.by_ref() {
        seen |= chunk.iter().fold(0, |seen, &byte| seen | class(byte));
    }
    chunks
        .remainder()
        .iter()
        .fold(seen, |seen, &byte| seen | class(byte))
}

/// What `byte` says of a token's spelling, as bits: comparisons and shifts, no branch and no
/// table.
#[inline]
fn class(byte: u8) -> u8 {
    let letter = u8::from((byte | 0x20).wrapping_sub(b'a') < 26);
    let digit = u8::from(byte.wrapping_sub(b'0') < 10);
    let standard = u8::from(byte == b'+') | u8::from(byte == b'/') | u8::from(byte == b'=');
    let url = u8::from(byte == b'-') | u8::from(byte == b'_');
    let known = letter | digit | standard | url | u8::from(byte == b'.');
    standard | (url << 1) | ((known ^ 1) << 2)
}

/// The payload of `token` (its claims' JSON, not yet read) if it is a compact JWS signed with
/// HS256 under one of `keys`.
pub(crate) fn open(token: &str, keys: &KeySet) -> Result<Vec<u8>, TokenError> {
    let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = message.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.contains('.') {
        return Err(TokenError::Malformed);
    }
    let engine = TokenEncoding::of(token)?.engine();
    let key = if let Some(key) = keys.by_own_header(header) {
        key
    } else {
        let kid = foreign_kid(&engine.decode(header).map_err(|_| TokenError::Malformed)?)?;
        keys.for_kid(kid.as_deref()).ok_or(TokenError::UnknownKey)?
    };
    let signature = engine
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    if signature.len() != SIGNATURE_BYTES {
        return Err(TokenError::BadSignature);
    }
    if !key.key.verifies(message.as_bytes(), &signature)? {
        return Err(TokenError::BadSignature);
    }
    engine.decode(payload).map_err(|_| TokenError::Malformed)
}

/// A compact JWS of `claims_json` signed with HS256 under `key`, spelled in `encoding`.
pub(crate) fn seal(
    claims_json: &[u8],
    key: &NamedKey,
    encoding: TokenEncoding,
) -> Result<String, TokenError> {
    let engine = encoding.engine();
    let header = key.header(encoding);
    let mut token = String::with_capacity(header.len() + claims_json.len() * 4 / 3 + 52);
    token.push_str(header);
    token.push('.');
    engine.encode_string(claims_json, &mut token);
    let signature = key.key.sign(token.as_bytes())?;
    token.push('.');
    engine.encode_string(signature, &mut token);
    Ok(token)
}

/// An id of a token that verified, the same whichever spelling it came in: the SHA-256 of its
/// decoded signature. Only the signature of a token can be re-spelled without breaking it (the
/// signing input is checked as presented), and the signature is unique to the signing input.
pub(crate) fn fingerprint(token: &str) -> String {
    let signature = token
        .rsplit_once('.')
        .map_or("", |(_, signature)| signature);
    let decoded = TokenEncoding::of(token)
        .ok()
        .and_then(|encoding| encoding.engine().decode(signature).ok())
        .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(Sha256::digest(decoded))
}

/// The `kid` of a header written by someone else (its decoded JSON), if it asks for HS256 and
/// nothing critical. Only a JSON object is a header; `crit` in any form (even `null` or `[]`)
/// asks for an extension ccstore does not understand (RFC 7515 §4.1.11).
fn foreign_kid(json: &[u8]) -> Result<Option<String>, TokenError> {
    let fields: Map<String, Value> =
        serde_json::from_slice(json).map_err(|_| TokenError::Malformed)?;
    match fields.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {}
        Some(Value::String(_)) => return Err(TokenError::UnsupportedAlgorithm),
        _ => return Err(TokenError::Malformed),
    }
    if fields.contains_key("crit") {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let header: Header =
        serde_json::from_value(Value::Object(fields)).map_err(|_| TokenError::Malformed)?;
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
    fn sealed_tokens_open_in_both_spellings_and_tampering_is_caught() {
        let keys = KeySet::single(HmacKey::new(&[9; 32]).unwrap());
        for encoding in TokenEncoding::ALL {
            let token = seal(br#"{"a":1}"#, keys.signing(), encoding).unwrap();
            assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."));
            assert_eq!(open(&token, &keys).unwrap(), br#"{"a":1}"#);
            let other = KeySet::single(HmacKey::new(&[8; 32]).unwrap());
            assert_eq!(open(&token, &other), Err(TokenError::BadSignature));
            let extra_part = format!("{token}.x");
            assert_eq!(open(&extra_part, &keys), Err(TokenError::Malformed));
        }
        // `{"a":1}` is 7 bytes: padded in OCC's spelling, not in JWS's.
        let occ = seal(br#"{"a":1}"#, keys.signing(), TokenEncoding::Occ).unwrap();
        assert!(occ.split('.').nth(1).unwrap().ends_with('='));
        assert!(occ.ends_with('='));
        let jws = seal(br#"{"a":1}"#, keys.signing(), TokenEncoding::Jws).unwrap();
        assert!(!jws.contains('='));
    }

    #[test]
    fn the_spelling_is_told_by_the_characters_only_one_alphabet_has() {
        assert_eq!(TokenEncoding::of("ab.c+d.e="), Ok(TokenEncoding::Occ));
        assert_eq!(TokenEncoding::of("ab.c/d.e"), Ok(TokenEncoding::Occ));
        assert_eq!(TokenEncoding::of("ab.c-d.e"), Ok(TokenEncoding::Jws));
        assert_eq!(TokenEncoding::of("ab.c_d.e"), Ok(TokenEncoding::Jws));
        assert_eq!(TokenEncoding::of("abcd.efgh.ijkl"), Ok(TokenEncoding::Jws));
        for mixed in [
            "a+.b_.c", "a=.b-.c", "a/.b.c-", "a.b .c", "a.b\n.c", "a.b~.c",
        ] {
            assert_eq!(
                TokenEncoding::of(mixed),
                Err(TokenError::Malformed),
                "{mixed:?}"
            );
        }
    }

    #[test]
    fn every_byte_is_classified_as_the_two_alphabets_say() {
        for byte in 0..=u8::MAX {
            let expected = if b"+/=".contains(&byte) {
                STANDARD_ONLY
            } else if b"-_".contains(&byte) {
                URL_ONLY
            } else if byte.is_ascii_alphanumeric() || byte == b'.' {
                0
            } else {
                FOREIGN
            };
            assert_eq!(class(byte), expected, "byte {byte:#04x}");
        }
    }

    #[test]
    fn a_token_opens_under_any_set_that_still_lists_its_key() {
        let before = named(&["k1"], "k1");
        let rotated = named(&["k1", "k2"], "k2");
        let retired = named(&["k2"], "k2");
        for encoding in TokenEncoding::ALL {
            let token = seal(b"{}", before.signing(), encoding).unwrap();
            assert!(open(&token, &rotated).is_ok());
            assert_eq!(open(&token, &retired), Err(TokenError::UnknownKey));
        }
    }

    #[test]
    fn headers_with_other_algorithms_or_critical_extensions_are_refused() {
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
            r#"{"alg":"HS256","crit":null}"#,
            r#"{"alg":"HS256","crit":[]}"#,
        ] {
            assert_eq!(
                foreign_kid(header.as_bytes()),
                Err(TokenError::UnsupportedAlgorithm),
                "{header}"
            );
        }
        for header in [
            r#"{"typ":"JWT"}"#,
            r#"{"alg":null}"#,
            r#"["HS256",null,"k1"]"#,
            r#"{"kid":7,"alg":"HS256"}"#,
            "!!",
        ] {
            assert_eq!(
                foreign_kid(header.as_bytes()),
                Err(TokenError::Malformed),
                "{header}"
            );
        }
        assert_eq!(
            foreign_kid(br#"{"alg":"HS256","kid":"k1"}"#),
            Ok(Some("k1".to_owned()))
        );
    }

    #[test]
    fn a_fingerprint_does_not_depend_on_the_signatures_spelling() {
        let keys = KeySet::single(HmacKey::new(&[9; 32]).unwrap());
        // 6 bytes of claims: the payload reads the same in both alphabets, unpadded.
        let jws = seal(br#"{"a":}"#, keys.signing(), TokenEncoding::Jws).unwrap();
        let (message, signature) = jws.rsplit_once('.').unwrap();
        let respelled = format!(
            "{message}.{}",
            STANDARD.encode(URL_SAFE_NO_PAD.decode(signature).unwrap())
        );
        assert_ne!(respelled, jws);
        assert_eq!(fingerprint(&respelled), fingerprint(&jws));
        let other = seal(br#"{"b":}"#, keys.signing(), TokenEncoding::Jws).unwrap();
        assert_ne!(fingerprint(&other), fingerprint(&jws));
    }
}
