//! The claims of a verified token read in one pass, without serde, when they have the shape
//! ccstore writes: one flat JSON object, no whitespace, string values without escapes and
//! unsigned integers. Every refresh reads one such object, and serde's generic path (a visitor
//! per member, an escape scan and a UTF-8 check per string) was the largest cost of a refresh
//! after the HMAC.
//!
//! This is a fast path, never a second grammar: anything it does not take as written (whitespace,
//! an escape, a nested value, a negative, fractional or oversized number, a registered claim of
//! the wrong kind or given twice, bytes after the object) makes it step aside, and
//! [`read_claims`] hands the text to serde, so the outcome is always serde's. The tests hold the
//! two to each other on generated objects of every kind.

use serde_json::{Number, Value};

use crate::TokenError;
use crate::claims::IncomingClaims;

/// The claims in `json`, a token's decoded payload: read by [`flat`] when it can, by serde
/// otherwise.
pub(crate) fn read_claims(json: &[u8]) -> Result<IncomingClaims, TokenError> {
    match flat(json) {
        Some(claims) => Ok(claims),
        None => serde_json::from_slice(json).map_err(|_| TokenError::Malformed),
    }
}

/// The claims in `json` if it is a flat object of the shape ccstore writes (see the module
/// documentation); `None` for anything else, valid or not.
fn flat(json: &[u8]) -> Option<IncomingClaims> {
    // Valid UTF-8 as a whole, so every string between two (ASCII) quotes is valid too.
    let text = std::str::from_utf8(json).ok()?;
    // No string can hold an escape or a control character then: each is found by one quote.
    if has_escape_or_control(json) {
        return None;
    }
    let mut reader = Reader { text, at: 0 };
    let mut claims = IncomingClaims::default();
    reader.expect(b'{')?;
    if reader.eat(b'}') {
        return reader.at_end().then_some(claims);
    }
    loop {
        let name = reader.string()?;
        reader.expect(b':')?;
        match name {
            "sub" => set_once(&mut claims.sub, reader.string()?.to_owned())?,
            "iss" => set_once(&mut claims.iss, reader.string()?.to_owned())?,
            "jti" => set_once(&mut claims.jti, reader.string()?.to_owned())?,
            "sid" => set_once(&mut claims.sid, reader.string()?.to_owned())?,
            "iat" => set_once(&mut claims.iat, reader.number()?)?,
            "exp" => set_once(&mut claims.exp, reader.number()?)?,
            "nbf" => set_once(&mut claims.nbf, reader.number()?)?,
            "auth_time" => set_once(&mut claims.auth_time, reader.number()?)?,
            _ => {
                let value = if reader.peek() == Some(b'"') {
                    Value::String(reader.string()?.to_owned())
                } else {
                    Value::Number(Number::from(reader.number()?))
                };
                // A repeated name replaces the earlier value, as serde's map does.
                claims.other.insert(name.to_owned(), value);
            }
        }
        if reader.eat(b',') {
            continue;
        }
        reader.expect(b'}')?;
        return reader.at_end().then_some(claims);
    }
}

/// Whether `json` holds a backslash or a control character (which JSON allows only escaped).
#[allow(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose, so that it vectorizes"
)]
fn has_escape_or_control(json: &[u8]) -> bool {
    json.iter().fold(false, |found, &byte| {
        found | (byte < 0x20) | (byte == b'\\')
    })
}

/// Fills `slot`; `None` when it is filled already (serde refuses the token: left to it).
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// A cursor over the object's text.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Steps over `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        self.at += usize::from(next);
        next
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn at_end(&self) -> bool {
        self.at == self.text.len()
    }

    /// A string, quotes stepped over; [`flat`] has made sure the text holds no escape or control
    /// character.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let rest = self.text.get(self.at..)?;
        // A byte loop: these strings are short (names, ids), where `str::find`'s memchr set-up
        // costs more than the scan. `"` is ASCII, so its position is a char boundary.
        let length = rest.bytes().position(|byte| byte == b'"')?;
        self.at += length + 1;
        rest.get(..length)
    }

    /// An unsigned integer as JSON writes it (no sign, no leading zero) that fits a `u64`. A
    /// fraction or an exponent is left unread, and the caller, expecting `,` or `}`, steps aside.
    fn number(&mut self) -> Option<u64> {
        let rest = self.text.as_bytes().get(self.at..)?;
        let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        let number = rest.get(..digits)?;
        if digits == 0 || (digits > 1 && number.first() == Some(&b'0')) {
            return None;
        }
        let value = number.iter().try_fold(0_u64, |value, &digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })?;
        self.at += digits;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn by_serde(json: &str) -> Option<IncomingClaims> {
        serde_json::from_str(json).ok()
    }

    #[test]
    fn the_claims_ccstore_writes_are_read_without_serde() {
        let written = serde_json::to_string(&json!({
            "sub": "bench-000001", "iss": "storefrontUI", "iat": 1_795_661_708_u64,
            "exp": 1_795_662_638_u64, "jti": "9ae02a10-ef8c-47a7-a346-dd739c60ba2d",
            "sid": "640fb478-134e-487a-8e91-9eace1744790", "auth_time": 1_795_661_707_u64,
            "nbf": 0, "roles": "shopper", "profile_version": 7, "name": "Zoë ☃",
        }))
        .unwrap();
        let read = flat(written.as_bytes()).expect("taken by the fast path");
        assert_eq!(Some(&read), by_serde(&written).as_ref());
        assert_eq!(read.sub.as_deref(), Some("bench-000001"));
        assert_eq!(read.auth_time, Some(1_795_661_707));
        assert_eq!(read.nbf, Some(0));
        assert_eq!(read.other["name"], "Zoë ☃");
        assert_eq!(read.other["profile_version"], 7);
        assert_eq!(flat(b"{}"), by_serde("{}"));
    }

    #[test]
    fn what_the_fast_path_does_not_take_as_written_is_left_to_serde() {
        for json in [
            r#"{ "sub":"a"}"#,
            r#"{"sub":"a" }"#,
            "{\"sub\":\"a\"}\n",
            r#"{"sub":"a\"b"}"#,
            r#"{"sub":"\u0041"}"#,
            r#"{"s\ub":"a"}"#,
            "{\"sub\":\"a\tb\"}",
            r#"{"sub":7}"#,
            r#"{"iat":"7"}"#,
            r#"{"iat":07}"#,
            r#"{"iat":-1}"#,
            r#"{"iat":1.5}"#,
            r#"{"iat":1e3}"#,
            r#"{"iat":18446744073709551616}"#,
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"x":true}"#,
            r#"{"x":null}"#,
            r#"{"x":[1]}"#,
            r#"{"x":{"y":1}}"#,
            r#"{"x":1,}"#,
            "{,}",
            r#"{"x"}"#,
            r#"["x"]"#,
            r#"{"x":1}{}"#,
            "",
        ] {
            assert_eq!(flat(json.as_bytes()), None, "{json}");
        }
        assert_eq!(flat(&[b'{', b'"', 0xff, b'"', b':', b'1', b'}']), None);
    }

    #[test]
    fn read_claims_gives_serdes_answer_on_both_paths() {
        for json in [
            r#"{"sub":"a","iat":1}"#,
            r#"{ "sub" : "a\"b" , "x" : [1, {"y": null}] }"#,
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"iat":-1}"#,
            r#"{"x":1,"x":"two"}"#,
            "not json",
        ] {
            assert_eq!(read_claims(json.as_bytes()).ok(), by_serde(json), "{json}");
        }
    }

    /// A member value of any kind serde reads, or that serde refuses, written compactly or not.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ._:/-]{0,12}".prop_map(|text| format!("\"{text}\"")),
            "\\PC{0,6}".prop_map(|text| serde_json::to_string(&text).unwrap()),
            any::<u64>().prop_map(|number| number.to_string()),
            any::<i64>().prop_map(|number| number.to_string()),
            "0[0-9]{1,3}|[0-9]{1,4}\\.[0-9]{1,3}|[1-9]e[0-9]|[0-9]{20,21}",
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just("[1,\"a\"]".to_owned()),
            Just("{\"a\":1}".to_owned()),
            Just("\"a\\\"b\"".to_owned()),
            Just("\"a\\u00e9\"".to_owned()),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "sub",
                "iss",
                "iat",
                "exp",
                "nbf",
                "jti",
                "sid",
                "auth_time"
            ])
            .prop_map(str::to_owned),
            "[a-z_]{1,6}",
            Just("s\\u0075b".to_owned()),
        ]
    }

    /// Text JSON writes without an escape.
    const PLAIN_TEXT: &str = "[^\"\\\\\\x00-\\x1f]{0,16}";

    proptest! {
        #[test]
        fn compact_flat_claims_of_any_content_take_the_fast_path(
            sub in proptest::option::of(PLAIN_TEXT),
            sid in proptest::option::of(PLAIN_TEXT),
            iat in proptest::option::of(any::<u64>()),
            auth_time in proptest::option::of(any::<u64>()),
            texts in prop::collection::btree_map("x_[a-z]{1,4}", PLAIN_TEXT, 0..4),
            numbers in prop::collection::btree_map("y_[a-z]{1,4}", any::<u64>(), 0..4),
        ) {
            let mut object = serde_json::Map::new();
            for (name, value) in [("sub", sub.map(Value::from)), ("sid", sid.map(Value::from)),
                                  ("iat", iat.map(Value::from)), ("auth_time", auth_time.map(Value::from))] {
                if let Some(value) = value {
                    object.insert(name.to_owned(), value);
                }
            }
            object.extend(texts.into_iter().map(|(name, text)| (name, Value::from(text))));
            object.extend(numbers.into_iter().map(|(name, number)| (name, Value::from(number))));
            let json = serde_json::to_string(&object).unwrap();
            let fast = flat(json.as_bytes());
            prop_assert!(fast.is_some(), "{}", json);
            prop_assert_eq!(fast, by_serde(&json), "{}", json);
        }

        #[test]
        fn the_fast_path_only_ever_gives_serdes_answer(
            members in prop::collection::vec((name(), value()), 0..10),
            spaced in any::<bool>(),
            tail in prop::sample::select(vec!["", " ", "}", ",", "x"]),
        ) {
            let separator = if spaced { ", " } else { "," };
            let body = members
                .iter()
                .map(|(name, value)| format!("\"{name}\":{value}"))
                .collect::<Vec<_>>()
                .join(separator);
            let json = format!("{{{body}}}{tail}");
            let serde = by_serde(&json);
            if let Some(fast) = flat(json.as_bytes()) {
                prop_assert_eq!(Some(fast), serde.clone(), "{}", json);
            }
            prop_assert_eq!(read_claims(json.as_bytes()).ok(), serde, "{}", json);
        }
    }
}
