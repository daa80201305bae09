//! The HS256 signing key, checked once at start-up and kept as an HMAC-SHA256 state that has
//! already absorbed it (the `hmac` crate, which jsonwebtoken's `rust_crypto` backend uses too),
//! so no request pays for key set-up and no log can print the secret.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::KeyError;

/// Least key length accepted: RFC 7518 §3.2 requires a key at least as long as the HMAC output.
pub const MIN_KEY_BYTES: usize = 32;

/// An HS256 key of at least [`MIN_KEY_BYTES`] bytes.
#[derive(Clone)]
pub struct HmacKey {
    /// HMAC-SHA256 with the key already absorbed.
    keyed: Hmac<Sha256>,
}

impl HmacKey {
    /// Accepts `secret` as an HS256 key if it is long enough.
    pub fn new(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                actual: secret.len(),
                minimum: MIN_KEY_BYTES,
            });
        }
        // HMAC takes a key of any length, so this cannot fail once the length is checked above.
        let keyed = Hmac::new_from_slice(secret).map_err(|_| KeyError::TooShort {
            actual: secret.len(),
            minimum: MIN_KEY_BYTES,
        })?;
        Ok(Self { keyed })
    }

    /// The HS256 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Whether `signature` is the HS256 signature of `message`, compared in constant time.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let mut mac = self.keyed.clone();
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_shorter_than_32_bytes_are_refused() {
        assert_eq!(
            HmacKey::new(&[7; 31]).unwrap_err(),
            KeyError::TooShort {
                actual: 31,
                minimum: 32
            }
        );
        assert!(HmacKey::new(&[7; 32]).is_ok());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = HmacKey::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{key:?}"), "HmacKey(<redacted>)");
    }
}
