//! The key file operators rotate keys with (`CCSTORE_JWT_KEYS_FILE`), and its reload on SIGHUP.
//!
//! ```json
//! {"active": "2026-11", "keys": [
//!   {"kid": "2026-11", "secret": "at least 32 bytes of text ........"},
//!   {"kid": "2026-10", "secret_base64": "c2VjcmV0IGJ5dGVzIC4uLg=="}
//! ]}
//! ```
//!
//! A file that cannot be used is refused whole, with a message that never quotes its contents:
//! at start the server does not start, on reload the keys in force stay.

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ccstore_core::{HmacKey, KeyError, KeyRing, KeySet};
use serde::Deserialize;
use thiserror::Error;

/// Why a key file was refused.
#[derive(Debug, Error)]
pub enum KeysFileError {
    /// The file cannot be read.
    #[error("cannot read the keys file {path}: {source}")]
    Read {
        /// The file named.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not the expected JSON; only the position is given, as serde's message can
    /// quote a value, and values here are secrets.
    #[error(
        "the keys file {path} is not valid (line {line}, column {column}): expected \
         {{\"active\": KID, \"keys\": [{{\"kid\": KID, \"secret\": TEXT}} or \
         {{\"kid\": KID, \"secret_base64\": BASE64}}, ...]}}"
    )]
    Syntax {
        /// The file named.
        path: PathBuf,
        /// Line of the fault.
        line: usize,
        /// Column of the fault.
        column: usize,
    },
    /// A key entry gives no secret, two secrets, or bad base64.
    #[error(
        "key {kid:?} in {path}: give exactly one of `secret` or `secret_base64` (standard base64)"
    )]
    Secret {
        /// The file named.
        path: PathBuf,
        /// The key's id.
        kid: String,
    },
    /// A key is unusable (too short).
    #[error("key {kid:?} in {path}: {source}")]
    Key {
        /// The file named.
        path: PathBuf,
        /// The key's id.
        kid: String,
        /// Why.
        source: KeyError,
    },
    /// The set is unusable (no keys, duplicate ids, active key not listed).
    #[error("the keys file {path}: {source}")]
    Set {
        /// The file named.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    active: String,
    keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    kid: String,
    secret: Option<String>,
    secret_base64: Option<String>,
}

/// The key set described by the file at `path`.
pub(crate) fn read(path: &Path) -> Result<KeySet, KeysFileError> {
    let text = std::fs::read(path).map_err(|source| KeysFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: KeysFile = serde_json::from_slice(&text).map_err(|error| KeysFileError::Syntax {
        path: path.to_owned(),
        line: error.line(),
        column: error.column(),
    })?;
    let mut keys = Vec::with_capacity(file.keys.len());
    for entry in file.keys {
        let secret = match (entry.secret, entry.secret_base64) {
            (Some(text), None) => Some(text.into_bytes()),
            (None, Some(encoded)) => STANDARD.decode(encoded.trim()).ok(),
            _ => None,
        };
        let Some(secret) = secret else {
            return Err(KeysFileError::Secret {
                path: path.to_owned(),
                kid: entry.kid,
            });
        };
        match HmacKey::new(&secret) {
            Ok(key) => keys.push((entry.kid, key)),
            Err(source) => {
                return Err(KeysFileError::Key {
                    path: path.to_owned(),
                    kid: entry.kid,
                    source,
                });
            }
        }
    }
    KeySet::named(keys, &file.active).map_err(|source| KeysFileError::Set {
        path: path.to_owned(),
        source,
    })
}

/// Rereads the key file into `ring` on every SIGHUP, for the life of the server. A file that
/// cannot be used is logged and the keys in force stay; requests in flight are never touched.
/// Without a key file SIGHUP is logged and ignored, rather than ending the process.
pub(crate) fn reload_on_sighup(path: Option<PathBuf>, ring: KeyRing) -> io::Result<()> {
    use actix_rt::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    actix_rt::spawn(async move {
        while hangups.recv().await.is_some() {
            match &path {
                Some(path) => reload(path, &ring),
                None => log::warn!(
                    "SIGHUP: the key is not read from CCSTORE_JWT_KEYS_FILE, nothing to reload"
                ),
            }
        }
    });
    Ok(())
}

fn reload(path: &Path, ring: &KeyRing) {
    match read(path) {
        Ok(keys) => {
            log::info!("SIGHUP: keys reloaded: {}", describe(&keys));
            ring.replace(keys);
        }
        Err(error) => log::error!("SIGHUP: {error}; the keys in force are kept"),
    }
}

/// The ids of a key set, for the log: `3 keys, active "2026-11"`.
pub(crate) fn describe(keys: &KeySet) -> String {
    format!(
        "{} key{}, active {:?}",
        keys.count(),
        if keys.count() == 1 { "" } else { "s" },
        keys.active_kid().unwrap_or("(unnamed)")
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    /// `text` read as a key file.
    fn read_text(text: &str) -> Result<KeySet, KeysFileError> {
        static FILES: AtomicUsize = AtomicUsize::new(0);
        let number = FILES.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ccstore-keys-{}-{number}.json", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let result = read(&path);
        std::fs::remove_file(&path).unwrap();
        result
    }

    #[test]
    fn text_and_base64_secrets_are_read() {
        let encoded = STANDARD.encode([7_u8; 32]);
        let keys = read_text(&format!(
            r#"{{"active":"b","keys":[{{"kid":"a","secret":"{SECRET}"}},{{"kid":"b","secret_base64":"{encoded}"}}]}}"#
        ))
        .unwrap();
        assert_eq!(describe(&keys), r#"2 keys, active "b""#);
    }

    #[test]
    fn faults_are_named_without_quoting_a_secret() {
        let cases = [
            (
                r#"{"active":"a","keys":"a-secret-value-out-of-place-012345"}"#,
                "line 1",
            ),
            (r#"{"active":"a","keys":[{"kid":"a"}]}"#, "exactly one of"),
            (
                r#"{"active":"a","keys":[{"kid":"a","secret":"x","secret_base64":"eA=="}]}"#,
                "exactly one of",
            ),
            (
                r#"{"active":"a","keys":[{"kid":"a","secret_base64":"!!"}]}"#,
                "exactly one of",
            ),
            (
                r#"{"active":"a","keys":[{"kid":"a","secret":"short-secret"}]}"#,
                "at least 32",
            ),
            (
                &format!(r#"{{"active":"z","keys":[{{"kid":"a","secret":"{SECRET}"}}]}}"#),
                "names no listed key",
            ),
            (r#"{"active":"a","keys":[],"extra":1}"#, "line 1"),
        ];
        for (text, expected) in cases {
            let message = read_text(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            for secret in ["a-secret-value", "short-secret", SECRET] {
                assert!(!message.contains(secret), "{message}");
            }
        }
    }
}
