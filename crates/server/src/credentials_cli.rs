//! The operator's commands that make credential-file lines: `user add` (a users-file line, the
//! password read from standard input, hashed with argon2id) and `app-key new` (a fresh key shown
//! once, and its application-keys-file line). What is secret goes to standard error once, for a
//! person to copy; the line goes to standard output, for `>> file`. Nothing is logged.

use std::io::{self, BufRead, Read, Write};

use ccstore_core::{Families, Family, FamilyError, LineFault, NewAppKey, NewUser, Totp, new_key};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::config::{AppKeyCommand, Settings, UserCommand};
use crate::startup::{self, StartupError};

/// Longest password read, in bytes: argon2 takes any length, but a password is typed.
const MAX_PASSWORD_BYTES: usize = 1_024;

/// Why a command made no line.
#[derive(Debug, Error)]
pub enum CredentialsError {
    /// The families are misconfigured, or the one named does not exist.
    #[error("{0}")]
    Startup(#[from] StartupError),
    /// The line would be refused by the server (a bad name, a reserved claim, a short password).
    #[error("{0}")]
    Line(#[from] LineFault),
    /// Standard input is a terminal, where the password would be echoed.
    #[error(
        "the password is read from standard input, which is a terminal here (it would be \
         echoed): pipe it in, e.g. `ccstore-server user add NAME --family store < password.txt`"
    )]
    Terminal,
    /// Nothing was given.
    #[error("the password read from standard input is empty")]
    EmptyPassword,
    /// Longer than anyone types.
    #[error("the password read from standard input is longer than 1024 bytes")]
    LongPassword,
    /// Standard input could not be read, or is not UTF-8.
    #[error("cannot read the password from standard input: {0}")]
    Read(io::ErrorKind),
    /// The operating system's generator failed.
    #[error("cannot draw a random secret: {0}")]
    Random(String),
    /// Standard output or error could not be written.
    #[error("cannot write the result: {0}")]
    Write(io::ErrorKind),
}

impl From<io::Error> for CredentialsError {
    /// A failed write of the result.
    fn from(error: io::Error) -> Self {
        Self::Write(error.kind())
    }
}

/// The first line of `input` as a password, without its line ending; refused when empty or
/// longer than [`MAX_PASSWORD_BYTES`]. The buffer read into is zeroed.
pub fn read_password(input: &mut impl BufRead) -> Result<SecretString, CredentialsError> {
    let mut line = String::new();
    let limit = u64::try_from(MAX_PASSWORD_BYTES + 3).unwrap_or(u64::MAX);
    let read = input.take(limit).read_line(&mut line);
    let password = read
        .map_err(|error| CredentialsError::Read(error.kind()))
        .and_then(|_| {
            let text = line.strip_suffix('\n').unwrap_or(&line);
            let text = text.strip_suffix('\r').unwrap_or(text);
            match text.len() {
                0 => Err(CredentialsError::EmptyPassword),
                length if length > MAX_PASSWORD_BYTES => Err(CredentialsError::LongPassword),
                _ => Ok(SecretString::from(text)),
            }
        });
    line.zeroize();
    password
}

/// The family `name` names, as configured.
fn named<'a>(families: &'a Families, name: &str) -> Result<&'a Family, CredentialsError> {
    families
        .get(name)
        .ok_or_else(|| StartupError::Family(FamilyError::Unknown(name.to_owned())).into())
}

/// `user add`: reads the password from `input` (refused when `input_is_terminal`), writes the
/// users-file line to `out` and, with `--totp`, the new secret to `err`.
pub fn add_user(
    settings: &Settings,
    command: &UserCommand,
    input: &mut impl BufRead,
    input_is_terminal: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<(), CredentialsError> {
    let UserCommand::Add {
        username,
        family,
        sub,
        claims,
        totp,
    } = command;
    let families = startup::families(settings)?;
    let family = named(&families, family)?;
    if input_is_terminal {
        return Err(CredentialsError::Terminal);
    }
    let password = read_password(input)?;
    let secret = if *totp {
        Some(Totp::new_secret().map_err(|error| CredentialsError::Random(error.to_string()))?)
    } else {
        None
    };
    let line = NewUser {
        username,
        family,
        sub: sub.as_deref().unwrap_or(username),
        claims: claims.iter().cloned().collect::<Map<String, Value>>(),
        totp_secret: secret.as_ref(),
    }
    .line(&password)?;
    if let Some(secret) = &secret {
        writeln!(
            err,
            "TOTP secret of {username} for an authenticator app (RFC 6238: SHA-1, 6 digits, \
             30 s), shown only this once: {}",
            secret.expose_secret()
        )?;
    }
    writeln!(out, "{line}")?;
    Ok(())
}

/// `app-key new`: draws a key, writes it once to `err` with a warning, and its
/// application-keys-file line to `out`.
pub fn new_app_key(
    settings: &Settings,
    command: &AppKeyCommand,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<(), CredentialsError> {
    let AppKeyCommand::New {
        name,
        families: names,
        claims,
    } = command;
    let families = startup::families(settings)?;
    let families = names
        .iter()
        .map(|name| named(&families, name))
        .collect::<Result<Vec<_>, _>>()?;
    let key = new_key().map_err(|error| CredentialsError::Random(error.to_string()))?;
    let line = NewAppKey {
        name,
        families: &families,
        claims: claims.iter().cloned().collect(),
    }
    .line(&key)?;
    writeln!(
        err,
        "application key of {name}, shown only this once (only its digest is kept; store it \
         now): {}",
        key.expose_secret()
    )?;
    writeln!(out, "{line}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cli;
    use clap::Parser;

    #[test]
    fn a_terminal_as_input_is_refused_before_anything_is_read_or_printed() {
        let settings = Cli::try_parse_from(["ccstore-server"]).unwrap().settings;
        let command = UserCommand::Add {
            username: "ann".to_owned(),
            family: "store".to_owned(),
            sub: None,
            claims: Vec::new(),
            totp: true,
        };
        let mut input: &[u8] = b"pass word 1234\n";
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = add_user(&settings, &command, &mut input, true, &mut out, &mut err);
        assert!(
            matches!(outcome, Err(CredentialsError::Terminal)),
            "{outcome:?}"
        );
        assert_eq!(input.len(), 15, "the input was read");
        assert!(out.is_empty() && err.is_empty());
        let mut input: &[u8] = b"pass word 1234\n";
        add_user(&settings, &command, &mut input, false, &mut out, &mut err).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\"totp_secret\""));
        assert!(
            String::from_utf8(err)
                .unwrap()
                .contains("shown only this once")
        );
    }

    fn read(text: &str) -> Result<String, CredentialsError> {
        read_password(&mut text.as_bytes()).map(|secret| secret.expose_secret().to_owned())
    }

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        assert_eq!(read("pass word\n").unwrap(), "pass word");
        assert_eq!(read("pass word\r\nsecond").unwrap(), "pass word");
        assert_eq!(read("no newline").unwrap(), "no newline");
    }

    #[test]
    fn an_empty_or_endless_password_is_refused() {
        assert!(matches!(read(""), Err(CredentialsError::EmptyPassword)));
        assert!(matches!(read("\n"), Err(CredentialsError::EmptyPassword)));
        assert!(matches!(
            read(&"p".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(CredentialsError::LongPassword)
        ));
        assert_eq!(read(&"p".repeat(MAX_PASSWORD_BYTES)).unwrap().len(), 1_024);
        assert!(matches!(
            read_password(&mut &b"\xff\xfe\n"[..]),
            Err(CredentialsError::Read(io::ErrorKind::InvalidData))
        ));
    }
}
