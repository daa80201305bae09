//! The claims of an access token: the registered ones the rules check, and every other claim kept
//! as it came, so a refresh carries roles and profile ids forward unchanged.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{TokenError, write_json_string};

/// Claims the service sets itself on every token it issues; values given for them are not used.
pub const SERVICE_CLAIMS: [&str; 8] =
    ["sub", "iss", "iat", "exp", "nbf", "jti", "sid", "auth_time"];

/// The claims of a verified token. Serialized (and read) by hand rather than with serde's
/// `flatten`, which buffers every claim on the hot path.
#[derive(Debug, Clone, PartialEq)]
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
    pub nbf: Option<u64>,
    /// Token id, unique per issued token.
    pub jti: Option<String>,
    /// Session id, shared by every token descended from one login through refreshes.
    pub sid: Option<String>,
    /// When the session started (the login), seconds since the epoch.
    pub auth_time: Option<u64>,
    /// Every other claim, as sent; never one of [`SERVICE_CLAIMS`].
    pub other: Map<String, Value>,
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("sub", &self.sub)?;
        map.serialize_entry("iss", &self.iss)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("exp", &self.exp)?;
        if let Some(nbf) = self.nbf {
            map.serialize_entry("nbf", &nbf)?;
        }
        if let Some(jti) = &self.jti {
            map.serialize_entry("jti", jti)?;
        }
        if let Some(sid) = &self.sid {
            map.serialize_entry("sid", sid)?;
        }
        if let Some(auth_time) = self.auth_time {
            map.serialize_entry("auth_time", &auth_time)?;
        }
        for (name, value) in &self.other {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Claims {
    /// Appends the claims to `out` as JSON, byte for byte what `serde_json` writes for them
    /// ([`Serialize`] above), but with [`write_json_string`]'s one-check copy of each string
    /// instead of serde's scan a byte at a time: every refresh signs this.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"{"sub":"#);
        write_json_string(out, &self.sub)?;
        out.extend_from_slice(br#","iss":"#);
        write_json_string(out, &self.iss)?;
        write_number(out, br#","iat":"#, self.iat);
        write_number(out, br#","exp":"#, self.exp);
        if let Some(nbf) = self.nbf {
            write_number(out, br#","nbf":"#, nbf);
        }
        if let Some(jti) = &self.jti {
            out.extend_from_slice(br#","jti":"#);
            write_json_string(out, jti)?;
        }
        if let Some(sid) = &self.sid {
            out.extend_from_slice(br#","sid":"#);
            write_json_string(out, sid)?;
        }
        if let Some(auth_time) = self.auth_time {
            write_number(out, br#","auth_time":"#, auth_time);
        }
        for (name, value) in &self.other {
            out.push(b',');
            write_json_string(out, name)?;
            out.push(b':');
            serde_json::to_writer(&mut *out, value)?;
        }
        out.push(b'}');
        Ok(())
    }
}

/// Appends `member` (`,"name":`) and `number`.
fn write_number(out: &mut Vec<u8>, member: &[u8], number: u64) {
    out.extend_from_slice(member);
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
}

/// Claims as they arrive, before the rules have checked that the required ones are present. A
/// registered claim given twice makes the token malformed.
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
    use proptest::prelude::*;

    use super::*;

    /// Any text, control characters, quotes and backslashes included.
    const ANY_TEXT: &str = "\\PC{0,12}|[\\x00-\\x7f]{0,12}";

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            ANY_TEXT.prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
            Just(serde_json::json!({"nested": ["a\"b", 1.5, null]})),
        ]
    }

    prop_compose! {
        fn claims()(
            sub in ANY_TEXT,
            iss in ANY_TEXT,
            iat in any::<u64>(),
            exp in any::<u64>(),
            nbf in proptest::option::of(any::<u64>()),
            jti in proptest::option::of(ANY_TEXT),
            sid in proptest::option::of(ANY_TEXT),
            auth_time in proptest::option::of(any::<u64>()),
            other in prop::collection::btree_map(ANY_TEXT, value(), 0..4),
        ) -> Claims {
            Claims { sub, iss, iat, exp, nbf, jti, sid, auth_time, other: other.into_iter().collect() }
        }
    }

    proptest! {
        #[test]
        fn the_claims_writer_writes_what_serde_writes(claims in claims()) {
            let mut written = Vec::new();
            claims.write_json(&mut written).unwrap();
            prop_assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&claims).unwrap()
            );
        }
    }
}
