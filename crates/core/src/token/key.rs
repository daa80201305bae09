//! The HS256 signing key, checked once at start-up. Signing and verifying are jsonwebtoken's
//! (its `rust_crypto` provider's HMAC-SHA256, constant-time comparison included), over any signing
//! input, so both token spellings are served by the same key; no log can print the secret.
//!
//! The provider's keyed `JwtSigner`/`JwtVerifier` are boxed trait objects that are neither `Send`
//! nor `Sync`, so one cannot be shared by the server's worker threads; the key keeps
//! jsonwebtoken's `EncodingKey`/`DecodingKey` instead and asks the provider for a keyed signer on
//! each use, as `jsonwebtoken::crypto::{sign, verify}` do. That costs about 80 ns a call on the
//! machines here (HMAC's two key blocks and one allocation), against about 300 ns for the HMAC of
//! a token itself.

use std::fmt;

use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::{KeyError, TokenError};

/// Least key length accepted: RFC 7518 §3.2 requires a key at least as long as the HMAC output.
pub const MIN_KEY_BYTES: usize = 32;

/// An HS256 key of at least [`MIN_KEY_BYTES`] bytes.
#[derive(Clone)]
pub struct HmacKey {
    signing: EncodingKey,
    verifying: DecodingKey,
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
        let key = Self {
            signing: EncodingKey::from_secret(secret),
            verifying: DecodingKey::from_secret(secret),
        };
        // The provider takes any HMAC secret; asking once here means a request never finds out.
        key.sign(b"").map_err(|_| KeyError::Unusable)?;
        key.verifies(b"", &Vec::new())
            .map_err(|_| KeyError::Unusable)?;
        Ok(key)
    }

    /// The HS256 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TokenError> {
        let signer = (DEFAULT_PROVIDER.signer_factory)(&Algorithm::HS256, &self.signing)
            .map_err(|_| TokenError::Signing)?;
        signer.try_sign(message).map_err(|_| TokenError::Signing)
    }

    /// Whether `signature` is the HS256 signature of `message`, compared in constant time. An
    /// error is the provider's fault, never the token's.
    #[allow(
        clippy::ptr_arg,
        reason = "jsonwebtoken's verifiers take signatures as `&Vec<u8>`"
    )]
    pub(crate) fn verifies(&self, message: &[u8], signature: &Vec<u8>) -> Result<bool, TokenError> {
        let verifier = (DEFAULT_PROVIDER.verifier_factory)(&Algorithm::HS256, &self.verifying)
            .map_err(|_| TokenError::Signing)?;
        Ok(verifier.verify(message, signature).is_ok())
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

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
    fn signatures_are_rfc_2104_hmac_sha256_and_verify_only_unchanged() {
        let secret = [7; 40];
        let key = HmacKey::new(&secret).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
        mac.update(b"header.payload");
        let expected = mac.finalize().into_bytes().to_vec();
        assert_eq!(key.sign(b"header.payload").unwrap(), expected);
        assert_eq!(key.verifies(b"header.payload", &expected), Ok(true));
        assert_eq!(key.verifies(b"header.payloaD", &expected), Ok(false));
        assert_eq!(
            key.verifies(b"header.payload", &expected[1..].to_vec()),
            Ok(false)
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = HmacKey::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{key:?}"), "HmacKey(<redacted>)");
    }
}
