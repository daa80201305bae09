//! The application-keys file (`CCSTORE_APP_KEYS_FILE`): which applications may log in with
//! `client_credentials`, to which families, and with which claims. One JSON object per line,
//! holding the SHA-256 digest of the key, never the key:
//!
//! ```text
//! {"name":"osf-deploy","families":["admin"],"claims":{"com.oracle.atg.cloud.commerce.roles":["admin"]},"sha256":"5e8848...(64 hex digits)"}
//! ```
//!
//! The token's `sub` is the key's name. The file is read whole, like the users file.
//!
//! # Why a plain SHA-256 digest, compared in constant time
//!
//! A password needs a slow, salted hash because people choose few of the possible ones: a
//! leaked fast hash is a dictionary attack away from the password. An application key is 256
//! bits from the operating system's generator ([`new_key`]), or an existing OCC application key
//! (a signed JWT, hundreds of bits of it random): there is no dictionary, and 2^256 SHA-256
//! guesses are out of reach, so a leaked file reveals no key, and salt and argon2 would only slow
//! every client login down. Keys shorter than [`MIN_APP_KEY_BYTES`] are not registered. A login
//! digests the presented key once and compares the digest with every registered one, all of
//! them, in constant time: which entry matched, and how much of a digest did, are not in the
//! timing (what is, how many entries there are, is no secret). Login by key is so cheap that it
//! runs on the request worker, and guessing needs no throttle.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::family::{Families, Family, Grant};
use crate::login::lines::{self, FileError, LineFault};

/// The fields of a line, for the refusal message.
const FORM: &str = "{\"name\", \"families\": [...], \"claims\": {...}, \"sha256\": HEX}";

/// Fewest bytes of a key that `app-key` registers.
pub const MIN_APP_KEY_BYTES: usize = 32;

/// Prefix of the keys [`new_key`] makes, so that secret scanners and people can tell one.
pub const KEY_PREFIX: &str = "ccak_";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    name: String,
    families: Vec<String>,
    #[serde(default)]
    claims: Map<String, Value>,
    sha256: String,
}

/// A registered application key.
#[derive(Debug, Clone)]
pub struct AppKey {
    name: String,
    families: Vec<&'static str>,
    claims: Map<String, Value>,
    digest: [u8; 32],
}

impl AppKey {
    /// The application's name: the `sub` of its tokens.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Claims its tokens carry besides the service's own.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Whether it may log in to `family`.
    pub fn serves(&self, family: &Family) -> bool {
        self.families.contains(&family.id())
    }
}

/// Every key of the application-keys file.
#[derive(Debug, Clone, Default)]
pub struct AppKeys(Vec<AppKey>);

impl AppKeys {
    /// Every key of an application-keys file, or the first line that is not a valid entry.
    pub fn parse(text: &str, families: &Families) -> Result<Self, FileError> {
        let mut keys: Vec<AppKey> = Vec::new();
        for entry in lines::entries::<Line>(text, FORM) {
            let (line, entry) = entry?;
            let key = app_key(entry, families).map_err(|fault| FileError { line, fault })?;
            let fault = if keys.iter().any(|other| other.name == key.name) {
                Some(LineFault::Duplicate("name"))
            } else if keys.iter().any(|other| other.digest == key.digest) {
                Some(LineFault::Duplicate("key"))
            } else {
                None
            };
            if let Some(fault) = fault {
                return Err(FileError { line, fault });
            }
            keys.push(key);
        }
        Ok(Self(keys))
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The registered key `presented` is, comparing its digest with every entry's.
    pub fn find(&self, presented: &str) -> Option<&AppKey> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.0.iter().fold(None, |found, key| {
            let equal: bool = key.digest.ct_eq(&digest).into();
            if equal { Some(key) } else { found }
        })
    }
}

fn app_key(line: Line, families: &Families) -> Result<AppKey, LineFault> {
    lines::checked_name(&line.name, "name")?;
    if line.families.is_empty() {
        return Err(LineFault::NoFamily);
    }
    let families = line
        .families
        .iter()
        .map(|id| {
            let family = families
                .get(id)
                .ok_or_else(|| LineFault::UnknownFamily(id.clone()))?;
            takes_keys(family)?;
            Ok(family.id())
        })
        .collect::<Result<Vec<_>, LineFault>>()?;
    Ok(AppKey {
        name: line.name,
        families,
        claims: lines::checked_claims(line.claims)?,
        digest: digest_from_hex(&line.sha256).ok_or(LineFault::Digest)?,
    })
}

fn takes_keys(family: &Family) -> Result<(), LineFault> {
    if family.allows(Grant::ClientCredentials) {
        Ok(())
    } else {
        Err(LineFault::WrongGrant(family.id()))
    }
}

fn digest_from_hex(hex: &str) -> Option<[u8; 32]> {
    let mut digest = [0_u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    Some(digest)
}

/// A new application key: 32 bytes from the operating system's generator, base64url, after
/// [`KEY_PREFIX`]. Shown once; only its digest is kept.
pub fn new_key() -> Result<SecretString, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    secrecy::zeroize::Zeroize::zeroize(&mut bytes);
    Ok(SecretString::from(key))
}

/// An application key to register (`ccstore-server app-key new`).
#[derive(Debug, Clone)]
pub struct NewAppKey<'a> {
    /// The application's name.
    pub name: &'a str,
    /// The families it logs in to.
    pub families: &'a [&'a Family],
    /// Claims its tokens carry.
    pub claims: Map<String, Value>,
}

impl NewAppKey<'_> {
    /// The application-keys-file line registering `key` (a [`new_key`], or an existing OCC key
    /// of at least [`MIN_APP_KEY_BYTES`] bytes), refused like a line of the file would be.
    pub fn line(&self, key: &SecretString) -> Result<String, LineFault> {
        lines::checked_name(self.name, "name")?;
        if self.families.is_empty() {
            return Err(LineFault::NoFamily);
        }
        for family in self.families {
            takes_keys(family)?;
        }
        let key = key.expose_secret();
        if key.len() < MIN_APP_KEY_BYTES {
            return Err(LineFault::ShortKey);
        }
        let line = Line {
            name: self.name.to_owned(),
            families: self.families.iter().map(|f| f.id().to_owned()).collect(),
            claims: lines::checked_claims(self.claims.clone())?,
            sha256: format!("{:x}", Sha256::digest(key.as_bytes())),
        };
        serde_json::to_string(&line).map_err(|_| LineFault::Syntax(FORM))
    }
}
