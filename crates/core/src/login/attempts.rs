//! Where failed logins and used passcodes are kept, chosen with the session store: in this
//! process beside the in-process store, in Redis beside the Redis store (so a lock holds on
//! every instance). One type so the server does not care which.
//!
//! Redis's futures are boxed, as in the session store's `Store`: an enum's future is as large as
//! its largest branch.

use crate::StoreError;
use crate::login::memory_attempts::{DEFAULT_TRACKED_ACCOUNTS, MemoryAttempts};
use crate::login::throttle::{AccountKey, LoginAttempts, ThrottleRule};
use crate::session::{RedisAttempts, Store};

/// The configured attempts store.
#[derive(Debug)]
pub enum Attempts {
    /// In-process: enough for one instance.
    Memory(MemoryAttempts),
    /// Shared by every instance.
    Redis(RedisAttempts),
}

impl Attempts {
    /// The attempts store that goes with `store`: Redis over its connections, or memory
    /// remembering [`DEFAULT_TRACKED_ACCOUNTS`] accounts.
    pub fn beside(store: &Store) -> Self {
        match store {
            Store::Memory(_) => Self::Memory(MemoryAttempts::new(DEFAULT_TRACKED_ACCOUNTS)),
            Store::Redis(store) => Self::Redis(RedisAttempts::new(store)),
        }
    }
}

impl LoginAttempts for Attempts {
    async fn locked_for(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<Option<u64>, StoreError> {
        match self {
            Self::Memory(attempts) => attempts.locked_for(account, now, rule).await,
            Self::Redis(attempts) => Box::pin(attempts.locked_for(account, now, rule)).await,
        }
    }

    async fn record_failure(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<(), StoreError> {
        match self {
            Self::Memory(attempts) => attempts.record_failure(account, now, rule).await,
            Self::Redis(attempts) => Box::pin(attempts.record_failure(account, now, rule)).await,
        }
    }

    async fn record_success(&self, account: &AccountKey, now: u64) -> Result<(), StoreError> {
        match self {
            Self::Memory(attempts) => attempts.record_success(account, now).await,
            Self::Redis(attempts) => Box::pin(attempts.record_success(account, now)).await,
        }
    }

    async fn use_totp_step(
        &self,
        account: &AccountKey,
        step: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(attempts) => attempts.use_totp_step(account, step, now).await,
            Self::Redis(attempts) => Box::pin(attempts.use_totp_step(account, step, now)).await,
        }
    }
}
