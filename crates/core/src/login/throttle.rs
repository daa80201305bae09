//! Throttling of password logins (NIST SP 800-63B §5.2.2): consecutive failed logins are counted
//! per account, and after [`ThrottleRule::max_failures`] of them the account's logins are refused
//! for [`ThrottleRule::lockout`] seconds, without the password being checked. A success resets
//! the count.
//!
//! - **Per account, whether it exists or not.** The count is kept for the name that was tried in
//!   its family, known or not, so a locked unknown name is answered exactly as a locked user is.
//!   The key is a digest of family and name ([`AccountKey`]), so no store holds usernames.
//! - **Consecutive means without a gap of `lockout`.** Each failure keeps the count for another
//!   `lockout` seconds; failures further apart start over. Once locked, the account stays locked
//!   `lockout` seconds from the failure that locked it, and attempts meanwhile change nothing.
//! - **Anyone can lock anyone out** by failing ten times: that is the rule's known price; the
//!   lock is short and lifts by itself, and a right password during it is refused too, so the
//!   lock is no oracle.
//! - **Passcodes are used once** (RFC 6238 §5.2): the store remembers each account's last
//!   accepted TOTP step until it has left the acceptance window.
//!
//! The rule is computed here, on a [`Failures`] record; where the records live is behind
//! [`LoginAttempts`], in memory for one instance ([`MemoryAttempts`](super::MemoryAttempts)) or
//! in Redis beside the session store ([`RedisAttempts`](crate::RedisAttempts)), so that the
//! count holds across instances. Two logins of one account racing through the hashing pool can
//! both be counted after the limit is reached; the excess is bounded by the pool's size.

use std::future::Future;

use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::family::Family;
use crate::login::totp::STEP_SECONDS;
use crate::login::users::normalised;

/// How many consecutive failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Consecutive failed logins that lock the account (at least 1).
    pub max_failures: u32,
    /// Seconds the account stays locked, and the longest gap between failures that still counts
    /// them as consecutive.
    pub lockout: u64,
}

impl Default for ThrottleRule {
    /// Ten failures, fifteen minutes.
    fn default() -> Self {
        Self {
            max_failures: 10,
            lockout: 15 * 60,
        }
    }
}

/// One account's failed logins: how many in a row, and until when they count (and, once they
/// are enough, until when the account is locked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Consecutive failures.
    pub count: u32,
    /// When the record lapses.
    pub until: u64,
}

impl ThrottleRule {
    /// Seconds the account of `record` stays locked at `now`, if it is locked.
    pub fn locked_for(&self, record: Option<Failures>, now: u64) -> Option<u64> {
        record
            .filter(|record| record.count >= self.max_failures && now < record.until)
            .map(|record| record.until - now)
    }

    /// The record after a failed login at `now`.
    pub fn after_failure(&self, record: Option<Failures>, now: u64) -> Failures {
        match record {
            Some(record) if self.locked_for(Some(record), now).is_some() => record,
            Some(record) if now < record.until => Failures {
                count: record.count.saturating_add(1),
                until: now.saturating_add(self.lockout),
            },
            _ => Failures {
                count: 1,
                until: now.saturating_add(self.lockout),
            },
        }
    }
}

/// Until when a used TOTP step must be remembered: the end of the last step in which its code is
/// still accepted (one step of drift after it).
pub fn totp_step_expires(step: u64) -> u64 {
    step.saturating_add(2).saturating_mul(STEP_SECONDS)
}

/// Whose logins are counted: a digest of the family and the username as compared (lowercase),
/// 128 bits of SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey([u8; 16]);

impl AccountKey {
    /// The key of `username` in `family`.
    pub fn new(family: &Family, username: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(family.id().as_bytes())
            .chain_update([0])
            .chain_update(normalised(username).as_bytes())
            .finalize();
        let mut key = [0; 16];
        key.iter_mut()
            .zip(digest)
            .for_each(|(byte, digest)| *byte = digest);
        Self(key)
    }

    /// The key as 32 hexadecimal digits, for a store that keys by text.
    pub fn to_hex(&self) -> String {
        format!("{:032x}", u128::from_be_bytes(self.0))
    }
}

/// Where failed logins and used passcodes are kept, whichever store holds them. Every method is
/// one atomic step per account.
pub trait LoginAttempts {
    /// Seconds `account` stays locked at `now` under `rule`, if it is locked.
    fn locked_for(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>>;

    /// Counts a failed login of `account` at `now` ([`ThrottleRule::after_failure`]).
    fn record_failure(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> impl Future<Output = Result<(), StoreError>>;

    /// Forgets the failures of `account`: it logged in.
    fn record_success(
        &self,
        account: &AccountKey,
        now: u64,
    ) -> impl Future<Output = Result<(), StoreError>>;

    /// Records that `account` used the passcode of TOTP `step` at `now`: `true` if no passcode
    /// of this step or a later one was used before (remembered until
    /// [`totp_step_expires`]), `false` for a passcode used again.
    fn use_totp_step(
        &self,
        account: &AccountKey,
        step: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Families;

    const RULE: ThrottleRule = ThrottleRule {
        max_failures: 3,
        lockout: 100,
    };

    fn fail_times(times: u32, now: u64) -> Option<Failures> {
        (0..times).fold(None, |record, _| Some(RULE.after_failure(record, now)))
    }

    #[test]
    fn the_limit_of_consecutive_failures_locks_for_the_lockout() {
        assert_eq!(RULE.locked_for(fail_times(2, 10), 10), None);
        let locked = fail_times(3, 10);
        assert_eq!(RULE.locked_for(locked, 10), Some(100));
        assert_eq!(RULE.locked_for(locked, 109), Some(1));
        assert_eq!(RULE.locked_for(locked, 110), None);
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let locked = fail_times(3, 10);
        assert_eq!(RULE.after_failure(locked, 60), locked.unwrap());
    }

    #[test]
    fn failures_further_apart_than_the_lockout_start_over() {
        let two = fail_times(2, 10);
        assert_eq!(RULE.after_failure(two, 109).count, 3);
        assert_eq!(RULE.after_failure(two, 110).count, 1);
    }

    #[test]
    fn after_a_lock_lifts_the_count_starts_over() {
        let locked = fail_times(3, 10);
        assert_eq!(
            RULE.after_failure(locked, 110),
            Failures {
                count: 1,
                until: 210
            }
        );
    }

    #[test]
    fn account_keys_separate_families_and_ignore_case() {
        let families = Families::default();
        let store = families.get("store").unwrap();
        let agent = families.get("agent").unwrap();
        assert_eq!(
            AccountKey::new(store, "Ann@Example.com"),
            AccountKey::new(store, "ann@example.com")
        );
        assert_ne!(AccountKey::new(store, "ann"), AccountKey::new(agent, "ann"));
        assert_ne!(
            AccountKey::new(store, "ann"),
            AccountKey::new(store, "anne")
        );
        assert_eq!(AccountKey::new(store, "ann").to_hex().len(), 32);
    }

    #[test]
    fn a_used_step_is_remembered_until_its_code_is_no_longer_accepted() {
        // The code of step 10 is accepted during steps 9 to 11, so until 12 * 30.
        assert_eq!(totp_step_expires(10), 360);
    }
}
