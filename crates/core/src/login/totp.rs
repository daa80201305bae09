//! One-time passcodes for multi-factor logins (OCC's `mfalogin`): RFC 6238 TOTP with HMAC-SHA-1,
//! 30-second steps and six digits, as authenticator apps make them, accepted one step either side
//! of now for clock drift (RFC 6238 §5.2). The codes come from `totp-rs`; which step matched is
//! returned so that the caller can refuse a code used before (RFC 6238 §5.2: a verifier must not
//! accept the same passcode twice).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a passcode.
const DIGITS: usize = 6;
/// Bytes of a new secret (RFC 4226 §4 recommends 160 bits).
const NEW_SECRET_BYTES: usize = 20;

/// A user's TOTP secret, ready to check passcodes; zeroed when dropped, never shown.
#[derive(Clone)]
pub struct Totp(TOTP);

impl fmt::Debug for Totp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Totp([REDACTED])")
    }
}

impl Totp {
    /// The secret given in base32 (RFC 4648, as authenticator apps show it; case, spaces and `=`
    /// padding are ignored), if it decodes to at least 128 bits (RFC 4226 §4).
    pub fn from_base32(secret: &str) -> Option<Self> {
        let normalised = SecretString::from(
            secret
                .chars()
                .filter(|c| !c.is_ascii_whitespace() && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect::<String>(),
        );
        let bytes = Secret::Encoded(normalised.expose_secret().to_owned())
            .to_bytes()
            .ok()?;
        TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, bytes)
            .ok()
            .map(Self)
    }

    /// A new random secret in base32, for an operator to register in an authenticator app.
    pub fn new_secret() -> Result<SecretString, getrandom::Error> {
        let mut bytes = vec![0_u8; NEW_SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        // An encoded secret displays as its base32 text.
        Ok(SecretString::from(
            Secret::Raw(bytes).to_encoded().to_string(),
        ))
    }

    /// The step `code` belongs to, if it is the passcode of the step of `now` or of one step
    /// either side. Every candidate is compared in constant time.
    pub fn matching_step(&self, code: &str, now: u64) -> Option<u64> {
        if code.len() != DIGITS || !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let current = now / STEP_SECONDS;
        let mut matched = None;
        for step in current.saturating_sub(1)..=current.saturating_add(1) {
            let expected = self.0.generate(step.saturating_mul(STEP_SECONDS));
            if subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into() {
                matched = Some(step);
            }
        }
        matched
    }

    /// The passcode for the step of `now`, as an authenticator app shows it (for tests and the
    /// development mode).
    pub fn code_at(&self, now: u64) -> String {
        self.0.generate(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret, the ASCII of "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    /// RFC 6238 Appendix B's SHA-1 vectors: time and the eight-digit code; a six-digit code is its
    /// last six digits (both are the same truncation modulo a power of ten).
    const VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn rfc() -> Totp {
        Totp::from_base32(RFC_SECRET).unwrap()
    }

    #[test]
    fn rfc_6238_vectors_match_at_their_step() {
        let totp = rfc();
        for (time, code) in VECTORS {
            let six = &code[2..];
            assert_eq!(totp.code_at(time), six, "T={time}");
            assert_eq!(totp.matching_step(six, time), Some(time / 30), "T={time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let totp = rfc();
        let (time, code) = (1_111_111_109, "081804");
        let step_start = time / 30 * 30;
        for now in [step_start - 30, step_start - 1, time, step_start + 59] {
            assert_eq!(totp.matching_step(code, now), Some(time / 30), "now={now}");
        }
        for now in [step_start - 31, step_start + 60] {
            assert_eq!(totp.matching_step(code, now), None, "now={now}");
        }
    }

    #[test]
    fn the_first_steps_after_the_epoch_do_not_underflow() {
        let totp = rfc();
        assert_eq!(totp.matching_step("287082", 0), Some(1));
        assert_eq!(totp.matching_step(&totp.code_at(0), 0), Some(0));
    }

    #[test]
    fn codes_of_other_shapes_are_refused() {
        let totp = rfc();
        for code in ["", "28708", "2870820", "94287082", "28708a", " 87082"] {
            assert_eq!(totp.matching_step(code, 59), None, "{code:?}");
        }
    }

    #[test]
    fn secrets_are_base32_of_at_least_128_bits_in_any_case_with_spaces() {
        assert!(Totp::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").is_some());
        assert!(Totp::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====").is_some());
        // 80 bits: too short.
        assert!(Totp::from_base32("GEZDGNBVGY3TQOJQ").is_none());
        assert!(Totp::from_base32("not base32 at all!").is_none());
    }

    #[test]
    fn a_new_secret_is_160_bits_and_usable() {
        let secret = Totp::new_secret().unwrap();
        assert_eq!(secret.expose_secret().len(), 32);
        let totp = Totp::from_base32(secret.expose_secret()).unwrap();
        assert_eq!(totp.matching_step(&totp.code_at(1000), 1000), Some(33));
    }

    #[test]
    fn debug_shows_no_secret() {
        assert_eq!(format!("{:?}", rfc()), "Totp([REDACTED])");
    }
}
