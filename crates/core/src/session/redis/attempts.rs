//! Failed logins and used passcodes in Redis, so that throttling holds across every instance
//! sharing it: one hash per account, `ccstore:login:{<account key>}` (the 32-hex-digit digest of
//! family and username, never the name; the braces make it a hash tag, so each script runs on
//! one cluster slot), over the session store's connections, deadline and failure counts.
//!
//! Fields: `count` and `until` (the [`Failures`] record), `step` and `step_until` (the last TOTP
//! step used, and until when it matters). Each change is one atomic step: a Lua script applying
//! [`ThrottleRule::after_failure`] field for field (keep the two in step), or a single command.
//! The key expires when its last field lapses (at most `lockout` seconds after the last failure,
//! about 90 s after a passcode), so accounts tried once, known or not, leave nothing behind.
//! Times are the caller's clock, so every instance judges a record alike.

use ::redis::{AsyncCommands, Script};

use super::RedisStore;
use crate::{AccountKey, Failures, LoginAttempts, StoreError, ThrottleRule, totp_step_expires};

/// A failed login: the record of `after_failure`, the key kept until its latest field lapses.
/// Answers the new count.
const FAILURE: &str = r"
local key, now = KEYS[1], tonumber(ARGV[1])
local max_failures, lockout = tonumber(ARGV[2]), tonumber(ARGV[3])
local count = tonumber(redis.call('HGET', key, 'count') or '') or 0
local until_ = tonumber(redis.call('HGET', key, 'until') or '') or 0
if count >= max_failures and now < until_ then return count end
if now < until_ then count = count + 1 else count = 1 end
until_ = now + lockout
redis.call('HSET', key, 'count', count, 'until', until_)
local step_until = tonumber(redis.call('HGET', key, 'step_until') or '') or 0
if step_until > until_ then until_ = step_until end
redis.call('EXPIRE', key, until_ - now)
return count
";

/// A passcode of step `ARGV[1]` used: 1 if no passcode of it or a later step was used before
/// (and it is now remembered until `ARGV[3]`), 0 for a passcode used again.
const TOTP_STEP: &str = r"
local key, step = KEYS[1], tonumber(ARGV[1])
local now, expires = tonumber(ARGV[2]), tonumber(ARGV[3])
local used = tonumber(redis.call('HGET', key, 'step') or '')
local used_until = tonumber(redis.call('HGET', key, 'step_until') or '') or 0
if used and used_until > now and step <= used then return 0 end
redis.call('HSET', key, 'step', step, 'step_until', expires)
local lapses = expires
if redis.call('HEXISTS', key, 'count') == 1 then
  local until_ = tonumber(redis.call('HGET', key, 'until') or '') or 0
  if until_ > lapses then lapses = until_ end
end
if lapses > now then redis.call('EXPIRE', key, lapses - now) else redis.call('DEL', key) end
return 1
";

/// A [`LoginAttempts`] in Redis, sharing a [`RedisStore`]'s connections and bounds.
#[derive(Debug, Clone)]
pub struct RedisAttempts {
    store: RedisStore,
    failure: Script,
    totp_step: Script,
}

impl RedisAttempts {
    /// Attempts kept where `store` keeps sessions, over its connections (one per thread), within
    /// its deadline, its failures counted with the store's.
    pub fn new(store: &RedisStore) -> Self {
        Self {
            store: store.clone(),
            failure: Script::new(FAILURE),
            totp_step: Script::new(TOTP_STEP),
        }
    }
}

/// The Redis key of `account`'s record.
fn attempts_key(account: &AccountKey) -> String {
    format!("ccstore:login:{{{}}}", account.to_hex())
}

impl LoginAttempts for RedisAttempts {
    async fn locked_for(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<Option<u64>, StoreError> {
        let mut connection = self.store.connection()?;
        let (count, until): (Option<u32>, Option<u64>) = self
            .store
            .bounded(
                ::redis::cmd("HMGET")
                    .arg(attempts_key(account))
                    .arg("count")
                    .arg("until")
                    .query_async(&mut connection),
            )
            .await?;
        let record = count
            .zip(until)
            .map(|(count, until)| Failures { count, until });
        Ok(rule.locked_for(record, now))
    }

    async fn record_failure(
        &self,
        account: &AccountKey,
        now: u64,
        rule: ThrottleRule,
    ) -> Result<(), StoreError> {
        let mut connection = self.store.connection()?;
        let mut invocation = self.failure.key(attempts_key(account));
        invocation
            .arg(now)
            .arg(rule.max_failures.max(1))
            .arg(rule.lockout.max(1));
        self.store
            .bounded(invocation.invoke_async::<i64>(&mut connection))
            .await
            .map(drop)
    }

    async fn record_success(&self, account: &AccountKey, _now: u64) -> Result<(), StoreError> {
        let mut connection = self.store.connection()?;
        // One command: the failures go, a remembered passcode step stays until its own expiry
        // (a hash left without fields is deleted by Redis).
        self.store
            .bounded(connection.hdel::<_, _, i64>(attempts_key(account), &["count", "until"]))
            .await
            .map(drop)
    }

    async fn use_totp_step(
        &self,
        account: &AccountKey,
        step: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut connection = self.store.connection()?;
        let mut invocation = self.totp_step.key(attempts_key(account));
        invocation.arg(step).arg(now).arg(totp_step_expires(step));
        Ok(self
            .store
            .bounded(invocation.invoke_async::<i64>(&mut connection))
            .await?
            == 1)
    }
}
