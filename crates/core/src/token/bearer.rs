//! Reads the token out of an `Authorization` header value (RFC 6750 §2.1: `Bearer <token68>`, the
//! scheme case-insensitive), on raw bytes so that no header a client can send makes it fail. OCC
//! pads every segment of its tokens with `=`, not only the last, so a credential is taken as
//! dot-separated `token68` parts.

use crate::TokenError;

/// Longest token accepted. OCC tokens, roles included, are well under 4 KiB; anything longer is not
/// worth decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The bearer token in an `Authorization` header value.
///
/// No header, or a credential of another scheme (`Basic ...`), is [`TokenError::Missing`]; a
/// `Bearer` credential that is empty, too long or not dot-separated `token68` parts is
/// [`TokenError::Malformed`].
pub fn bearer_token(authorization: Option<&[u8]>) -> Result<&str, TokenError> {
    let value = authorization.ok_or(TokenError::Missing)?.trim_ascii();
    let (scheme, credentials) = match value.iter().position(|&byte| byte == b' ') {
        Some(space) => value.split_at(space),
        None => (value, &b""[..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(TokenError::Missing);
    }
    let token = credentials.trim_ascii_start();
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES || !is_credential(token) {
        return Err(TokenError::Malformed);
    }
    std::str::from_utf8(token).map_err(|_| TokenError::Malformed)
}

/// A `token68`, or dot-separated parts that each are one (or empty): a token of OCC's, with
/// padding at the end of each segment. One branch-free pass over the bytes and their pairs (so it
/// vectorizes: every request's token goes through it), and a second look only for the rare
/// credential with a `.=` in it.
#[allow(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose, so that it vectorizes"
)]
fn is_credential(token: &[u8]) -> bool {
    let (Some(&first), Some(rest)) = (token.first(), token.get(1..)) else {
        return false;
    };
    let characters = token.iter().fold(true, |ok, &byte| {
        ok & (is_token68_body(byte) | (byte == b'='))
    });
    // Padding followed by data ends no part; padding right after a dot starts one.
    let (pad_then_data, dot_then_pad) =
        token
            .iter()
            .zip(rest)
            .fold((false, false), |(data, dot), (&byte, &next)| {
                (
                    data | ((byte == b'=') & (next != b'=') & (next != b'.')),
                    dot | ((byte == b'.') & (next == b'=')),
                )
            });
    if !characters || pad_then_data || first == b'=' {
        return false;
    }
    // `.=` is no padded part, but may still be a token68 as a whole (`a.=`).
    !dot_then_pad || is_token68(token)
}

/// RFC 7235 `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(token: &[u8]) -> bool {
    let mut body = token;
    while let [rest @ .., b'='] = body {
        body = rest;
    }
    // Every byte of every token is checked, so the check is branch-free over fixed-size chunks,
    // which the compiler turns into vector instructions: one early exit per chunk, not per byte.
    let mut chunks = body.chunks_exact(32);
    let whole = chunks.by_ref().all(|chunk| {
        chunk
            .iter()
            .fold(true, |ok, &byte| ok & is_token68_body(byte))
    });
    !body.is_empty() && whole && chunks.remainder().iter().all(|&byte| is_token68_body(byte))
}

/// Whether `byte` may stand in the body of a `token68`, written as comparisons (no table), so it
/// vectorizes.
#[allow(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose, so that it vectorizes"
)]
#[inline]
fn is_token68_body(byte: u8) -> bool {
    let letter = (byte | 0x20).wrapping_sub(b'a') < 26;
    let digit = byte.wrapping_sub(b'0') < 10;
    letter
        | digit
        | (byte == b'-')
        | (byte == b'.')
        | (byte == b'_')
        | (byte == b'~')
        | (byte == b'+')
        | (byte == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<&str, TokenError> {
        bearer_token(Some(value.as_bytes()))
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for value in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER a.b.c",
            "bEaReR   a.b.c ",
        ] {
            assert_eq!(parse(value), Ok("a.b.c"), "{value}");
        }
    }

    #[test]
    fn no_header_and_other_schemes_are_missing() {
        assert_eq!(bearer_token(None), Err(TokenError::Missing));
        assert_eq!(parse("Basic dXNlcjpwYXNz"), Err(TokenError::Missing));
        assert_eq!(parse("Bearera.b.c"), Err(TokenError::Missing));
        assert_eq!(parse(""), Err(TokenError::Missing));
    }

    #[test]
    fn empty_or_invalid_bearer_credentials_are_malformed() {
        for value in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer ===",
            "Bearer a=b",
            "Bearer a.=.b",
            "Bearer a.b=c.d",
        ] {
            assert_eq!(parse(value), Err(TokenError::Malformed), "{value}");
        }
        assert_eq!(
            bearer_token(Some(b"Bearer \xff\xfe")),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn padding_and_base64_characters_are_token68() {
        assert_eq!(parse("Bearer ab+/c.d_e-f~g=="), Ok("ab+/c.d_e-f~g=="));
    }

    #[test]
    fn a_credential_is_a_token68_or_dot_separated_token68_parts_for_every_short_spelling() {
        let reference = |token: &[u8]| {
            is_token68(token)
                || token
                    .split(|&byte| byte == b'.')
                    .all(|part| part.is_empty() || is_token68(part))
        };
        let alphabet = [b'a', b'.', b'=', b'-', b' '];
        for length in 1..=7_u32 {
            for mut index in 0..alphabet.len().pow(length) {
                let mut token = Vec::new();
                for _ in 0..length {
                    token.push(alphabet[index % alphabet.len()]);
                    index /= alphabet.len();
                }
                assert_eq!(
                    is_credential(&token),
                    reference(&token),
                    "{:?}",
                    String::from_utf8_lossy(&token)
                );
            }
        }
    }

    #[test]
    fn occs_documented_token_with_every_segment_padded_is_taken() {
        let documented = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE0MTQxNDk5NTYsInN1YiI6IjExMDU1OCIsImlzcyI6InN0b3JlZnJvbnRVSSIsImlhdCI6MTQxNDE0OTAyNn0=.B9qM0/VKpCNKvjCmOnUPv4RS7mkIDgKcP8RJPaVQGYU=";
        assert_eq!(parse(&format!("Bearer {documented}")), Ok(documented));
        assert_eq!(parse("Bearer a==.b=.c"), Ok("a==.b=.c"));
        // Still a token68 as a whole: a dot, then padding.
        assert_eq!(parse("Bearer .="), Ok(".="));
    }

    #[test]
    fn every_byte_is_classified_as_rfc_7235_says_wherever_it_stands() {
        for byte in 0..=u8::MAX {
            let expected = byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte);
            assert_eq!(is_token68_body(byte), expected, "byte {byte:#04x}");
            // In the vectorized chunks and in the remainder alike.
            for position in [0, 31, 40, 63, 70] {
                let mut token = vec![b'a'; 71];
                token[position] = byte;
                let valid = expected || (byte == b'=' && position == 70);
                assert_eq!(is_token68(&token), valid, "byte {byte:#04x} at {position}");
            }
        }
    }

    #[test]
    fn overlong_tokens_are_malformed() {
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1));
        assert_eq!(parse(&long), Err(TokenError::Malformed));
        let longest = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES));
        assert!(parse(&longest).is_ok());
    }
}
