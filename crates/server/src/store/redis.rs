//! Session state in Redis, shared by every instance behind the load balancer. Every call is
//! bounded in time; an unreachable Redis is an error the rules fail closed on, and the connection
//! manager reconnects by itself when Redis returns.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use actix_web::rt::time::timeout;
use ccstore_core::{RefreshClaim, SessionStore, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Client, RedisResult, Script};

/// Atomically: nothing if the session is revoked (-1); otherwise record the token's first refresh
/// time unless one is recorded, and answer it (or -2 when this is the first).
const CLAIM_REFRESH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local first = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'GET', 'EX', ARGV[2])
if first then return tonumber(first) end
return -2
";

/// Revoke for at least the given seconds; never shorten a longer revocation.
const REVOKE: &str = r"
redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'GT')
return 1
";

/// A [`SessionStore`] in Redis. Keys are `ccstore:{<sid>}:revoked` and
/// `ccstore:{<sid>}:refreshed:<token id>`: one hash slot per session, so the atomic scripts also
/// work on Redis Cluster.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    deadline: Duration,
    claim_refresh: Script,
    revoke: Script,
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
            claim_refresh: Script::new(CLAIM_REFRESH),
            revoke: Script::new(REVOKE),
        })
    }

    /// Runs `call`, turning a Redis error or a missed deadline into [`StoreError::Unavailable`].
    async fn bounded<T>(
        &self,
        call: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match timeout(self.deadline, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                let kind = format!("{:?}", error.kind());
                log::warn!("session store: Redis error: {kind}");
                Err(StoreError::Unavailable(kind))
            }
            Err(_) => {
                log::warn!(
                    "session store: Redis did not answer within {:?}",
                    self.deadline
                );
                Err(StoreError::Unavailable("timed out".to_owned()))
            }
        }
    }
}

fn revoked_key(sid: &str) -> String {
    format!("ccstore:{{{sid}}}:revoked")
}

fn refreshed_key(sid: &str, token_id: &str) -> String {
    format!("ccstore:{{{sid}}}:refreshed:{token_id}")
}

impl SessionStore for RedisStore {
    async fn is_revoked(&self, sid: &str) -> Result<bool, StoreError> {
        let mut connection = self.connection.clone();
        self.bounded(connection.exists(revoked_key(sid))).await
    }

    async fn revoke(&self, sid: &str, ttl: u64) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.revoke.key(revoked_key(sid));
        invocation.arg(ttl);
        self.bounded(invocation.invoke_async::<i64>(&mut connection))
            .await
            .map(drop)
    }

    async fn claim_refresh(
        &self,
        sid: &str,
        token_id: &str,
        now: u64,
        ttl: u64,
    ) -> Result<RefreshClaim, StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.claim_refresh.key(revoked_key(sid));
        invocation
            .key(refreshed_key(sid, token_id))
            .arg(now)
            .arg(ttl);
        Ok(
            match self
                .bounded(invocation.invoke_async::<i64>(&mut connection))
                .await?
            {
                -1 => RefreshClaim::SessionRevoked,
                first if first >= 0 => RefreshClaim::RefreshedAt(first.unsigned_abs()),
                _ => RefreshClaim::First,
            },
        )
    }
}
