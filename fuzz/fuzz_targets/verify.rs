//! Token verification on arbitrary text and on structured tokens: HS256-signed headers and claims
//! with every field optional or of a wrong kind, other algorithms, key ids (`kid`) known, unknown
//! or absent under a lone key or a rotated key set, and single-byte mutations of a signed token.
//! Never a panic; a token is accepted only if it is unmutated, signed with the key its `kid` names
//! (the active key when it names none), says HS256, comes from the issuer, and is within its
//! lifetime.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ccstore_core::{HmacKey, KeySet, ManualClock, TokenEncoding, TokenPolicy, TokenService};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use sha2::Sha256;

const KEY: &[u8] = b"fuzz-key-0123456789-0123456789-0123456789";
/// The retired key of the rotated set; `KEY` is its active key, named `k2`.
const OLD_KEY: &[u8] = b"old-fuzz-key-0123456789-0123456789-0123";
const FOREIGN_KEY: &[u8] = b"another-key-0123456789-0123456789-01";
const ISSUER: &str = "storefrontUI";
const NOW: u64 = 1_800_000_000;

#[derive(Debug, Arbitrary)]
enum Input {
    Raw(String),
    Structured(Structured),
}

#[derive(Debug, Arbitrary)]
struct Structured {
    alg: u8,
    sub: Option<Field>,
    from_issuer: bool,
    iat: Option<i64>,
    exp_offset: Option<i32>,
    nbf_offset: Option<i32>,
    extra: Vec<(String, Field)>,
    signed_with_key: bool,
    kid: u8,
    rotated_keys: bool,
    mutation: Option<(u16, u8)>,
}

#[derive(Debug, Arbitrary)]
enum Field {
    Text(String),
    Number(i64),
    Float(f64),
    Flag(bool),
    Nothing,
    List(Vec<i8>),
}

impl Field {
    fn json(&self) -> Value {
        match self {
            Field::Text(text) => json!(text),
            Field::Number(number) => json!(number),
            Field::Float(float) => json!(float),
            Field::Flag(flag) => json!(flag),
            Field::Nothing => Value::Null,
            Field::List(items) => json!(items),
        }
    }
}

fn service(rotated_keys: bool) -> TokenService {
    let policy = TokenPolicy {
        issuer: ISSUER.to_owned(),
        ttl: 930,
        leeway: 0,
        session_max: Some(43_200),
        encoding: TokenEncoding::Occ,
    };
    let keys = if rotated_keys {
        let named = |kid: &str, key| (kid.to_owned(), HmacKey::new(key).unwrap());
        KeySet::named(vec![named("k1", OLD_KEY), named("k2", KEY)], "k2").unwrap()
    } else {
        KeySet::single(HmacKey::new(KEY).unwrap())
    };
    TokenService::new(keys, policy, Arc::new(ManualClock::at(NOW)))
}

fn sign(header: &Value, claims: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(text) => {
            let _ = service(false).verify(&text);
            let _ = service(true).verify(&text);
        }
        Input::Structured(token) => {
            let alg = ["HS256", "HS384", "none", "RS256", "hs256"][usize::from(token.alg % 5)];
            let mut claims = Map::new();
            if let Some(sub) = &token.sub {
                claims.insert("sub".into(), sub.json());
            }
            let iss = if token.from_issuer { ISSUER } else { "adminUI" };
            claims.insert("iss".into(), json!(iss));
            if let Some(iat) = token.iat {
                claims.insert("iat".into(), json!(iat));
            }
            let exp = token
                .exp_offset
                .map(|offset| NOW as i64 + i64::from(offset));
            if let Some(exp) = exp {
                claims.insert("exp".into(), json!(exp));
            }
            let nbf = token
                .nbf_offset
                .map(|offset| NOW as i64 + i64::from(offset));
            if let Some(nbf) = nbf {
                claims.insert("nbf".into(), json!(nbf));
            }
            for (name, value) in &token.extra {
                claims.entry(name.clone()).or_insert_with(|| value.json());
            }
            let kid = [None, Some("k1"), Some("k2"), Some("gone")][usize::from(token.kid % 4)];
            // The key a correct signer would use: the one the kid names, else the active one.
            let key: &[u8] = match (token.signed_with_key, kid) {
                (false, _) => FOREIGN_KEY,
                (true, Some("k1")) if token.rotated_keys => OLD_KEY,
                (true, _) => KEY,
            };
            let mut header = json!({"alg": alg});
            if let Some(kid) = kid {
                header["kid"] = json!(kid);
            }
            let mut signed = sign(&header, &Value::Object(claims), key).into_bytes();
            let mut mutated = false;
            if let Some((position, byte)) = token.mutation {
                let index = usize::from(position) % signed.len();
                mutated = signed[index] != byte;
                signed[index] = byte;
            }
            let Ok(text) = String::from_utf8(signed) else {
                return;
            };
            if let Ok(verified) = service(token.rotated_keys).verify(&text) {
                assert!(!mutated, "a mutated token was accepted: {text}");
                assert!(
                    token.signed_with_key && alg == "HS256",
                    "accepted {alg}: {text}"
                );
                assert!(
                    !(token.rotated_keys && kid == Some("gone")),
                    "accepted an unknown kid: {text}"
                );
                assert_eq!(verified.iss, ISSUER);
                assert!(verified.exp > NOW);
                assert!(verified.nbf.is_none_or(|nbf| nbf <= NOW));
            }
        }
    }
});
