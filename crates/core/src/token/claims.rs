//! The claims of an access token: the registered ones the rules check, and every other claim kept
//! as it came, so a refresh carries roles and profile ids forward unchanged.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::TokenError;

/// Claims the service sets itself on every token it issues; values given for them are not used.
pub const SERVICE_CLAIMS: [&str; 8] =
    ["sub", "iss", "iat", "exp", "nbf", "jti", "sid", "auth_time"];

/// The claims of a verified token, written by serde: the registered claims first, then every
/// other claim as it came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claims {
    /// Subject: the shopper's profile id.
    pub sub: String,
    /// Issuer, equal to the configured one.
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Token id, unique per issued token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Session id, shared by every token descended from one login through refreshes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the session started (the login), seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Every other claim, as sent; never one of [`SERVICE_CLAIMS`].
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Claims as they arrive, before the rules have checked that the required ones are present: read
/// by serde through the visitor below rather than a derive with `flatten`, which would buffer
/// every claim and take a registered claim given twice; that makes the token malformed here.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct IncomingClaims {
    pub(crate) sub: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) iat: Option<u64>,
    pub(crate) exp: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) jti: Option<String>,
    pub(crate) sid: Option<String>,
    pub(crate) auth_time: Option<u64>,
    pub(crate) other: Map<String, Value>,
}

impl<'de> Deserialize<'de> for IncomingClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = IncomingClaims;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JWT claims set (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IncomingClaims, A::Error> {
        let mut claims = IncomingClaims::default();
        while let Some(name) = map.next_key::<ClaimName<'de>>()? {
            match name.as_str() {
                "sub" => once(&mut claims.sub, map.next_value()?, "sub")?,
                "iss" => once(&mut claims.iss, map.next_value()?, "iss")?,
                "iat" => once(&mut claims.iat, map.next_value()?, "iat")?,
                "exp" => once(&mut claims.exp, map.next_value()?, "exp")?,
                "nbf" => once(&mut claims.nbf, map.next_value()?, "nbf")?,
                "jti" => once(&mut claims.jti, map.next_value()?, "jti")?,
                "sid" => once(&mut claims.sid, map.next_value()?, "sid")?,
                "auth_time" => once(&mut claims.auth_time, map.next_value()?, "auth_time")?,
                _ => {
                    claims.other.insert(name.into_owned(), map.next_value()?);
                }
            }
        }
        Ok(claims)
    }
}

fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

/// A claim name, borrowed from the token's JSON when it has no escapes.
enum ClaimName<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl ClaimName<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(name) => name,
            Self::Owned(name) => name,
        }
    }

    fn into_owned(self) -> String {
        match self {
            Self::Borrowed(name) => name.to_owned(),
            Self::Owned(name) => name,
        }
    }
}

impl<'de> Deserialize<'de> for ClaimName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ClaimNameVisitor)
    }
}

struct ClaimNameVisitor;

impl<'de> Visitor<'de> for ClaimNameVisitor {
    type Value = ClaimName<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a claim name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<ClaimName<'de>, E> {
        Ok(ClaimName::Borrowed(name))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<ClaimName<'de>, E> {
        Ok(ClaimName::Owned(name.to_owned()))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<ClaimName<'de>, E> {
        Ok(ClaimName::Owned(name))
    }
}

impl Claims {
    /// When the token's session started: `auth_time`, or for a token minted without one, its `iat`.
    pub fn session_start(&self) -> u64 {
        self.auth_time.unwrap_or(self.iat)
    }
}

impl TryFrom<IncomingClaims> for Claims {
    type Error = TokenError;

    fn try_from(incoming: IncomingClaims) -> Result<Self, TokenError> {
        Ok(Self {
            sub: incoming.sub.ok_or(TokenError::MissingClaim("sub"))?,
            iss: incoming.iss.ok_or(TokenError::MissingClaim("iss"))?,
            iat: incoming.iat.ok_or(TokenError::MissingClaim("iat"))?,
            exp: incoming.exp.ok_or(TokenError::MissingClaim("exp"))?,
            nbf: incoming.nbf,
            jti: incoming.jti,
            sid: incoming.sid,
            auth_time: incoming.auth_time,
            other: incoming.other,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn claims_are_written_registered_first_then_every_other_claim_of_any_kind() {
        let other = json!({"roles": ["a>b"], "admin": null, "flag": true, "ratio": 0.5});
        let Value::Object(other) = other else {
            unreachable!()
        };
        let claims = Claims {
            sub: "Zoë".to_owned(),
            iss: "storefrontUI".to_owned(),
            iat: 1,
            exp: 2,
            nbf: None,
            jti: Some("j".to_owned()),
            sid: None,
            auth_time: Some(1),
            other,
        };
        assert_eq!(
            serde_json::to_string(&claims).unwrap(),
            r#"{"sub":"Zoë","iss":"storefrontUI","iat":1,"exp":2,"jti":"j","auth_time":1,"admin":null,"flag":true,"ratio":0.5,"roles":["a>b"]}"#
        );
    }
}
