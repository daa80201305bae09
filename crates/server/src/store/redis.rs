//! Session state in Redis, shared by every instance behind the load balancer: one hash per
//! session, changed only by Lua scripts so that each check-and-set is atomic. Every call is
//! bounded in time; an unreachable Redis is an error the rules fail closed on, and the connection
//! manager reconnects by itself when Redis returns.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use actix_web::rt::time::timeout;
use ccstore_core::{MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Client, RedisResult, Script};

use crate::metrics::StoreFailures;

/// The refresh-once rule on one session hash (fields `revoked` = until when, `h:<id>` = a token
/// that may be refreshed and when it expires, `r:<id>` = a token refreshed and when), the same
/// rule as the in-process store. Answers 0 revoked, 1 rotated, 2 within grace, 3 replayed.
const ROTATE: &str = r"
local key, token, successor = KEYS[1], ARGV[1], ARGV[2]
local now, grace = tonumber(ARGV[3]), tonumber(ARGV[4])
local successor_expires, keep, max_tracked = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local fields = redis.call('HGETALL', key)
local revoked, heads, is_head, retired, recent = 0, {}, false, false, {}
for i = 1, #fields, 2 do
  local name, value = fields[i], tonumber(fields[i + 1])
  local kind, id = string.sub(name, 1, 2), string.sub(name, 3)
  if name == 'revoked' then
    revoked = value
  elseif kind == 'h:' and value > now then
    heads[#heads + 1] = {name, value}
    if id == token then is_head = true end
  elseif kind == 'r:' and now <= value + grace then
    recent[#recent + 1] = {name, value}
    if id == token then retired = true end
  else
    redis.call('HDEL', key, name)
  end
end
if revoked > now then return 0 end
local function forget_oldest(entries)
  if #entries >= max_tracked then
    table.sort(entries, function(a, b) return a[2] < b[2] end)
    redis.call('HDEL', key, entries[1][1])
  end
end
local outcome
if retired then
  outcome = 2
elseif is_head or (#heads == 0 and #recent == 0) then
  if is_head then
    redis.call('HDEL', key, 'h:' .. token)
    for i, head in ipairs(heads) do
      if head[1] == 'h:' .. token then table.remove(heads, i) break end
    end
  end
  forget_oldest(recent)
  redis.call('HSET', key, 'r:' .. token, now)
  outcome = 1
else
  return 3
end
forget_oldest(heads)
redis.call('HSET', key, 'h:' .. successor, successor_expires)
if redis.call('TTL', key) < keep then redis.call('EXPIRE', key, keep) end
return outcome
";

/// Revoke until `now + ttl`; never shortens a longer revocation or the record's life.
const REVOKE: &str = r"
local ends = tonumber(ARGV[1]) + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'revoked') or '0')
if ends > current then redis.call('HSET', KEYS[1], 'revoked', ends) end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
";

/// A [`SessionStore`] in Redis: one hash `ccstore:{<sid>}` per session (the braces make it a hash
/// tag, so Redis Cluster works too).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    deadline: Duration,
    rotate: Script,
    revoke: Script,
    failures: StoreFailures,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: it is not kept, and never printed.
        f.debug_struct("RedisStore")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store at `url` whose every call answers within `deadline`. Connects lazily, so the server
    /// starts (and answers 503) while Redis is down. Must be called inside the async runtime.
    pub fn new(url: &str, deadline: Duration) -> RedisResult<Self> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(deadline))
            .set_response_timeout(Some(deadline))
            .set_number_of_retries(1)
            .set_max_delay(deadline);
        let connection = ConnectionManager::new_lazy_with_config(Client::open(url)?, config)?;
        Ok(Self {
            connection,
            deadline,
            rotate: Script::new(ROTATE),
            revoke: Script::new(REVOKE),
            failures: StoreFailures::default(),
        })
    }

    /// The counters of this store's failed and timed-out calls.
    pub fn failures(&self) -> &StoreFailures {
        &self.failures
    }

    /// Runs `call`, turning a Redis error or a missed deadline into [`StoreError::Unavailable`].
    async fn bounded<T>(
        &self,
        call: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match timeout(self.deadline, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                self.failures.count_error();
                let kind = format!("{:?}", error.kind());
                log::warn!("session store: Redis error: {kind}");
                Err(StoreError::Unavailable(kind))
            }
            Err(_) => {
                self.failures.count_timeout();
                log::warn!(
                    "session store: Redis did not answer within {:?}",
                    self.deadline
                );
                Err(StoreError::Unavailable("timed out".to_owned()))
            }
        }
    }
}

impl RedisStore {
    /// A `PING`, bounded like every other call: what readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.bounded(redis::cmd("PING").query_async::<String>(&mut connection))
            .await
            .map(drop)
    }
}

fn session_key(sid: &str) -> String {
    format!("ccstore:{{{sid}}}")
}

impl SessionStore for RedisStore {
    async fn is_revoked(&self, sid: &str, now: u64) -> Result<bool, StoreError> {
        let mut connection = self.connection.clone();
        let until: Option<u64> = self
            .bounded(connection.hget(session_key(sid), "revoked"))
            .await?;
        Ok(until.is_some_and(|until| until > now))
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.revoke.key(session_key(sid));
        invocation.arg(now).arg(ttl.max(1));
        self.bounded(invocation.invoke_async::<i64>(&mut connection))
            .await
            .map(drop)
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.rotate.key(session_key(attempt.sid));
        invocation
            .arg(attempt.token_id)
            .arg(attempt.successor_id)
            .arg(attempt.now)
            .arg(attempt.grace)
            .arg(attempt.successor_expires)
            .arg(attempt.keep_for.max(1))
            .arg(MAX_TRACKED);
        Ok(
            match self
                .bounded(invocation.invoke_async::<i64>(&mut connection))
                .await?
            {
                0 => Rotation::SessionRevoked,
                1 => Rotation::Rotated,
                2 => Rotation::WithinGrace,
                _ => Rotation::Replayed,
            },
        )
    }
}
