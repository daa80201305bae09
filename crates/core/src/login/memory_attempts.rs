//! Failed logins and used passcodes of one instance, in memory, bounded: an attacker trying
//! a million usernames must not grow it without end.
//!
//! Records are indexed by when they lapse, in two orders: accounts not locked, and locked ones.
//! Each operation first drops what has lapsed (each record once, so amortised O(log n)). When the
//! store is full, a new record first evicts the unlocked record closest to lapsing, and only when
//! every record is a lock, the lock closest to lifting. So spraying names (each failure costs the
//! attacker a full password hash in the bounded pool) pushes out other sprayed names first; to
//! lift a real lock early an attacker must first lock `capacity` other accounts, ten hashed
//! failures each, within the lockout. Evicting a record forgets, it never locks: the store fails
//! towards letting the next attempt be checked, never towards refusing an honest user.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::StoreError;
use crate::login::throttle::{
    AccountKey, Failures, LoginAttempts, ThrottleRule, totp_step_expires,
};

/// Accounts remembered by default: about 120 bytes each, so about 12 MB when full.
pub const DEFAULT_TRACKED_ACCOUNTS: usize = 100_000;

/// An in-process [`LoginAttempts`] remembering at most `capacity` accounts.
#[derive(Debug)]
pub struct MemoryAttempts {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<AccountKey, Record>,
    /// `(lapses, key)` of records not locked.
    open: BTreeSet<(u64, AccountKey)>,
    /// `(lapses, key)` of locked records.
    locked: BTreeSet<(u64, AccountKey)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    failures: Option<Failures>,
    /// The last TOTP step used, and until when it matters.
    totp: Option<(u64, u64)>,
    /// Whether the failures lock the account (when they were counted).
    locked: bool,
}

impl Record {
    fn lapses(&self) -> u64 {
        let failures = self.failures.map_or(0, |failures| failures.until);
        let totp = self.totp.map_or(0, |(_, until)| until);
        failures.max(totp)
    }
}

impl Default for MemoryAttempts {
    fn default() -> Self {
        Self::new(DEFAULT_TRACKED_ACCOUNTS)
    }
}

impl MemoryAttempts {
    /// A store remembering at most `capacity` accounts (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// Accounts remembered now, lapsed ones included until an operation drops them.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether no account is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a record half-written (every change is
        // one insert or remove per index), so the data is still whole.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` to the record of `account` at `now` (an empty one if none or lapsed),
    /// stores its result unless empty, and returns `change`'s answer.
    fn update<T>(
        &self,
        account: &AccountKey,
        now: u64,
        change: impl FnOnce(&mut Record) -> T,
    ) -> T {
        let mut inner = self.lock();
        inner.drop_lapsed(now);
        let old = inner.remove(account);
        let mut record = old.unwrap_or_default();
        let answer = change(&mut record);
        if record.lapses() > now {
            if inner.records.len() >= self.capacity {
                inner.evict_one();
            }
            inner.insert(*account, record);
        }
        answer
    }
}

impl Inner {
    fn index(&mut self, record: Record) -> &mut BTreeSet<(u64, AccountKey)> {
        if record.locked {
            &mut self.locked
        } else {
            &mut self.open
        }
    }

    fn remove(&mut self, account: &AccountKey) -> Option<Record> {
        let record = self.records.remove(account)?;
        let lapses = record.lapses();
        self.index(record).remove(&(lapses, *account));
        Some(record)
    }

    fn insert(&mut self, account: AccountKey, record: Record) {
        self.index(record).insert((record.lapses(), account));
        self.records.insert(account, record);
    }

    fn drop_lapsed(&mut self, now: u64) {
        for locked in [false, true] {
            loop {
                let index = if locked { &self.locked } else { &self.open };
                let Some(&(lapses, account)) = index.first() else {
                    break;
                };
                if lapses > now {
                    break;
                }
                self.remove(&account);
            }
        }
    }

    fn evict_one(&mut self) {
        let victim = self.open.first().or_else(|| self.locked.first()).copied();
        if let Some((_, account)) = victim {
            self.remove(&account);
        }
    }
}

impl LoginAttempts for MemoryAttempts {
    async fn locked_for(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<Option<u64>, StoreError> {
        let mut inner = self.lock();
        inner.drop_lapsed(now);
        let failures = inner
            .records
            .get(account)
            .and_then(|record| record.failures);
        Ok(rule.locked_for(failures, now))
    }

    async fn record_failure(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<(), StoreError> {
        self.update(account, now, |record| {
            let failures = rule.after_failure(record.failures, now);
            record.failures = Some(failures);
            record.locked = rule.locked_for(Some(failures), now).is_some();
        });
        Ok(())
    }

    async fn record_success(&self, account: &AccountKey, now: u64) -> Result<(), StoreError> {
        self.update(account, now, |record| {
            record.failures = None;
            record.locked = false;
        });
        Ok(())
    }

    async fn use_totp_step(
        &self,
        account: &AccountKey,
        step: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        Ok(self.update(account, now, |record| {
            let fresh = record
                .totp
                .is_none_or(|(used, until)| until <= now || step > used);
            if fresh {
                record.totp = Some((step, totp_step_expires(step)));
            }
            fresh
        }))
    }
}
