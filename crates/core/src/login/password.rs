//! Password hashes: argon2id in PHC format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), at
//! OWASP's parameters or stronger, and their verification, which costs the same for a user that
//! does not exist (a dummy hash of the same parameters is checked instead).
//!
//! OWASP's password storage cheat sheet asks for argon2id with at least 19 MiB of memory, two
//! passes and one lane; a hash weaker than that in either memory or passes, of another algorithm
//! or version, is refused when the users file is read, so a fast hash cannot slip in by hand.
//! New hashes are made at exactly those parameters: each check costs 19 MiB while it runs, and
//! the hashing pool bounds how many run at once.

use std::fmt;

use argon2::password_hash::{PasswordHashString, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// The least memory accepted, in KiB (OWASP: 19 MiB).
pub const MIN_MEMORY_KIB: u32 = 19_456;
/// The fewest passes accepted (OWASP: 2 at 19 MiB).
pub const MIN_PASSES: u32 = 2;
/// Lanes of new hashes (OWASP: 1).
const LANES: u32 = 1;
/// The password of the dummy hash unknown users are checked against.
pub(crate) const DUMMY_PASSWORD: &str = "ccstore: no such user";

/// Why a password hash was refused, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HashError {
    /// Not a PHC string argon2 can read.
    #[error("not a PHC password hash")]
    Malformed,
    /// A PHC string of another algorithm (argon2i, argon2d, bcrypt, ...) or argon2 version.
    #[error("the password hash is not argon2id version 19")]
    NotArgon2id,
    /// Argon2id weaker than OWASP's parameters.
    #[error(
        "the password hash is too weak (m={memory}, t={passes}); at least m=19456 and t=2 are \
         required"
    )]
    TooWeak {
        /// Its memory in KiB.
        memory: u32,
        /// Its passes.
        passes: u32,
    },
    /// Hashing itself failed (no randomness for the salt).
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// The cost parameters of an argon2id hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Cost {
    pub(crate) memory: u32,
    pub(crate) passes: u32,
    pub(crate) lanes: u32,
}

impl Cost {
    /// OWASP's parameters, used for every new hash.
    pub(crate) const OWASP: Self = Self {
        memory: MIN_MEMORY_KIB,
        passes: MIN_PASSES,
        lanes: LANES,
    };
}

/// A vetted argon2id hash. Not secret as a password is, but an offline guess away from one, so
/// its `Debug` shows only its cost.
#[derive(Clone)]
pub struct PasswordHash {
    phc: PasswordHashString,
    cost: Cost,
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PasswordHash")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl PasswordHash {
    /// The hash in PHC format, if it is argon2id version 19 at OWASP's parameters or stronger.
    pub fn parse(phc: &str) -> Result<Self, HashError> {
        let phc = PasswordHashString::new(phc).map_err(|_| HashError::Malformed)?;
        let parsed = phc.password_hash();
        if parsed.algorithm != argon2::ARGON2ID_IDENT
            || parsed.version != Some(Version::V0x13.into())
        {
            return Err(HashError::NotArgon2id);
        }
        if parsed.hash.is_none() || parsed.salt.is_none() {
            return Err(HashError::Malformed);
        }
        let params = Params::try_from(&parsed).map_err(|_| HashError::Malformed)?;
        let cost = Cost {
            memory: params.m_cost(),
            passes: params.t_cost(),
            lanes: params.p_cost(),
        };
        if cost.memory < MIN_MEMORY_KIB || cost.passes < MIN_PASSES {
            return Err(HashError::TooWeak {
                memory: cost.memory,
                passes: cost.passes,
            });
        }
        Ok(Self { phc, cost })
    }

    /// A new hash of `password` at OWASP's parameters, with a random 16-byte salt.
    pub fn new(password: &SecretString) -> Result<Self, HashError> {
        Self::with_cost(password.expose_secret().as_bytes(), Cost::OWASP)
    }

    /// The hash in PHC format, as the users file holds it.
    pub fn as_phc(&self) -> &str {
        self.phc.as_str()
    }

    pub(crate) fn cost(&self) -> Cost {
        self.cost
    }

    /// What an unknown user's password is checked against, at `cost`, so that it costs what a
    /// known user's does. It needs no secret and no randomness: whether it matches is never used
    /// to let anyone in.
    pub(crate) fn dummy(cost: Cost) -> Result<Self, HashError> {
        Self::with_salt(DUMMY_PASSWORD.as_bytes(), [0x5a; 16], cost)
    }

    fn with_cost(password: &[u8], cost: Cost) -> Result<Self, HashError> {
        let mut salt = [0_u8; 16];
        getrandom::fill(&mut salt).map_err(|error| HashError::Hashing(error.to_string()))?;
        Self::with_salt(password, salt, cost)
    }

    fn with_salt(password: &[u8], salt: [u8; 16], cost: Cost) -> Result<Self, HashError> {
        let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Hashing(e.to_string()))?;
        let params = Params::new(cost.memory, cost.passes, cost.lanes, None)
            .map_err(|error| HashError::Hashing(error.to_string()))?;
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password, &salt)
            .map_err(|error| HashError::Hashing(error.to_string()))?;
        Ok(Self {
            phc: hash.serialize(),
            cost,
        })
    }

    /// Whether `password` is the one hashed: a full argon2id computation at the hash's own
    /// parameters, whatever the answer.
    pub(crate) fn verify(&self, password: &SecretString) -> bool {
        Argon2::default()
            .verify_password(
                password.expose_secret().as_bytes(),
                &self.phc.password_hash(),
            )
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    #[test]
    fn a_new_hash_is_owasp_argon2id_and_verifies_only_its_password() {
        let hash = PasswordHash::new(&secret("correct horse")).unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hash.verify(&secret("correct horse")));
        assert!(!hash.verify(&secret("correct horse ")));
        let again = PasswordHash::parse(hash.as_phc()).unwrap();
        assert!(again.verify(&secret("correct horse")));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let one = PasswordHash::new(&secret("pw")).unwrap();
        let two = PasswordHash::new(&secret("pw")).unwrap();
        assert_ne!(one.as_phc(), two.as_phc());
    }

    #[test]
    fn weak_or_foreign_hashes_are_refused() {
        // Same salt and digest, only the parameters or the algorithm changed: parsing refuses
        // before anything is verified.
        let tail = "$c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";
        let cases = [
            (
                format!("$argon2id$v=19$m=4096,t=3,p=1{tail}"),
                HashError::TooWeak {
                    memory: 4096,
                    passes: 3,
                },
            ),
            (
                format!("$argon2id$v=19$m=19456,t=1,p=1{tail}"),
                HashError::TooWeak {
                    memory: 19456,
                    passes: 1,
                },
            ),
            (
                format!("$argon2i$v=19$m=65536,t=3,p=1{tail}"),
                HashError::NotArgon2id,
            ),
            (
                format!("$argon2id$v=16$m=65536,t=3,p=1{tail}"),
                HashError::NotArgon2id,
            ),
            (
                "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".to_owned(),
                HashError::Malformed,
            ),
            ("plain text".to_owned(), HashError::Malformed),
        ];
        for (phc, error) in cases {
            assert_eq!(PasswordHash::parse(&phc).unwrap_err(), error, "{phc}");
        }
        let stronger = format!("$argon2id$v=19$m=65536,t=3,p=4{tail}");
        assert!(PasswordHash::parse(&stronger).is_ok());
    }

    #[test]
    fn a_dummy_is_a_real_hash_of_the_dummy_password() {
        let dummy = PasswordHash::dummy(Cost::OWASP).unwrap();
        assert!(dummy.verify(&secret(DUMMY_PASSWORD)));
        assert!(!dummy.verify(&secret("anything else")));
    }

    #[test]
    fn a_dummy_has_the_cost_it_was_asked_for() {
        let cost = Cost {
            memory: 20_000,
            passes: 3,
            lanes: 2,
        };
        let dummy = PasswordHash::dummy(cost).unwrap();
        assert_eq!(PasswordHash::parse(dummy.as_phc()).unwrap().cost(), cost);
    }

    #[test]
    fn debug_shows_no_hash() {
        let hash = PasswordHash::new(&secret("pw")).unwrap();
        let shown = format!("{hash:?}");
        assert!(!shown.contains("argon2id$"), "{shown}");
        assert!(shown.contains("19456"), "{shown}");
    }
}
