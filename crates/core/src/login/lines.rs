//! The shape both credential files share: one JSON object per line, blank lines and `#` comments
//! skipped, and a refusal that names the line but never quotes it (the lines hold password
//! hashes, TOTP secrets and key digests).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::SERVICE_CLAIMS;
use crate::login::password::HashError;

/// Longest username or application-key name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Why a credential file was refused: the first faulty line and what is wrong with it. A
/// refused file changes nothing; the set in force stays.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {fault}")]
pub struct FileError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong with it.
    pub fault: LineFault,
}

/// What is wrong with one line of a credential file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineFault {
    /// Not a JSON object with the file's fields (serde's message is not given: it can quote a
    /// value).
    #[error("not a JSON object of the form {0}")]
    Syntax(&'static str),
    /// A family name that is not configured.
    #[error("there is no family {0:?}")]
    UnknownFamily(String),
    /// A family that does not log in this way (an application key for the store family).
    #[error("family {0} does not accept this kind of login")]
    WrongGrant(&'static str),
    /// An application key with no family.
    #[error("no family is given")]
    NoFamily,
    /// A name (username, application-key name, `sub`) that is empty, too long or holds control
    /// characters.
    #[error("{0} must be 1 to 256 bytes without control characters")]
    BadName(&'static str),
    /// A name used twice (usernames are compared case-insensitively, per family).
    #[error("{0} is already used on an earlier line")]
    Duplicate(&'static str),
    /// A claim the service sets itself (`sub`, `iss`, `exp`, ...).
    #[error("claim {0:?} is set by the service and cannot be given")]
    ReservedClaim(String),
    /// A password too short to hash (`user add`).
    #[error("the password must have at least 8 characters (NIST SP 800-63B)")]
    ShortPassword,
    /// An application key too short to register (`app-key`).
    #[error("an application key must have at least 32 bytes")]
    ShortKey,
    /// An unusable password hash.
    #[error("{0}")]
    Hash(HashError),
    /// A TOTP secret that is not base32 of at least 128 bits.
    #[error("the TOTP secret must be base32 (RFC 4648) of at least 16 bytes")]
    Totp,
    /// A key digest that is not 64 hexadecimal digits.
    #[error("sha256 must be 64 hexadecimal digits")]
    Digest,
}

/// Each entry of a JSON-lines `text` with its line number, in order; the first fault ends it.
pub(crate) fn entries<T: DeserializeOwned>(
    text: &str,
    form: &'static str,
) -> impl Iterator<Item = Result<(usize, T), FileError>> {
    // An editor's byte-order mark is not part of the first line.
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(move |(line, text)| {
            serde_json::from_str(text)
                .map(|entry| (line, entry))
                .map_err(|_| FileError {
                    line,
                    fault: LineFault::Syntax(form),
                })
        })
}

/// Whether `name` is 1 to [`MAX_NAME_BYTES`] bytes without control characters.
pub(crate) fn checked_name(name: &str, what: &'static str) -> Result<(), LineFault> {
    let fits = !name.is_empty() && name.len() <= MAX_NAME_BYTES;
    if fits && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(LineFault::BadName(what))
    }
}

/// `claims` if none of them is one the service sets itself.
pub(crate) fn checked_claims(claims: Map<String, Value>) -> Result<Map<String, Value>, LineFault> {
    match claims
        .keys()
        .find(|name| SERVICE_CLAIMS.contains(&name.as_str()))
    {
        Some(name) => Err(LineFault::ReservedClaim(name.clone())),
        None => Ok(claims),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Entry {
        n: u32,
    }

    #[test]
    fn blank_lines_and_comments_are_skipped_and_lines_counted_from_one() {
        let text = "# header\n\n{\"n\": 1}\n   \n  {\"n\": 2}  \n";
        let got: Vec<_> = entries::<Entry>(text, "{n}").collect();
        assert_eq!(got, vec![Ok((3, Entry { n: 1 })), Ok((5, Entry { n: 2 }))]);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_not_faults() {
        let text = "\u{feff}{\"n\": 1}\r\n{\"n\": 2}\r\n";
        let got: Vec<_> = entries::<Entry>(text, "{n}").collect();
        assert_eq!(got, vec![Ok((1, Entry { n: 1 })), Ok((2, Entry { n: 2 }))]);
    }

    #[test]
    fn a_broken_line_is_named_and_not_quoted() {
        let text = "{\"n\": 1}\n{\"n\": \"s3cret\"}\n";
        let error = entries::<Entry>(text, "{n}").find_map(Result::err).unwrap();
        assert_eq!(error.line, 2);
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn names_must_be_short_printable_and_present() {
        assert_eq!(checked_name("ann@example.com", "username"), Ok(()));
        for bad in ["", "a\nb", "tab\there", &"x".repeat(MAX_NAME_BYTES + 1)] {
            assert_eq!(
                checked_name(bad, "username"),
                Err(LineFault::BadName("username"))
            );
        }
    }

    #[test]
    fn service_claims_cannot_be_given() {
        let Value::Object(claims) = serde_json::json!({"roles": ["a"], "exp": 1}) else {
            unreachable!()
        };
        assert_eq!(
            checked_claims(claims),
            Err(LineFault::ReservedClaim("exp".into()))
        );
    }
}
