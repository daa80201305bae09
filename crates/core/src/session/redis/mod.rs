//! Session state in Redis, shared by every instance behind the load balancer: one hash per
//! session, changed only by Lua scripts so that each check-and-set is atomic (on one node, or on
//! the one cluster slot the key's hash tag picks). Every call is bounded in time; an unreachable
//! Redis is an error the rules fail closed on, and the connection reconnects by itself when
//! Redis returns. A call that times out may still run on the server: the rules make that
//! harmless (a retry of the same token is honoured, see `record.rs`).

mod attempts;
mod connection;
mod health;
mod scripts;

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ::redis::{AsyncCommands, RedisResult, Script};
use tokio::time::timeout;

pub use self::attempts::RedisAttempts;
use self::connection::{Connection, Connector, Target};
use self::scripts::{REVOKE, ROTATE};
use super::StoreUnready;
use super::store::{MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError};

/// How many calls of a store failed, by kind: plain counters the server's metrics read, so the
/// store does not depend on them.
#[derive(Debug, Default)]
pub struct StoreFailures {
    errors: AtomicU64,
    timeouts: AtomicU64,
}

impl StoreFailures {
    /// Calls that failed (refused connection, Redis error).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Calls that did not answer within the store timeout.
    pub fn timeouts(&self) -> u64 {
        self.timeouts.load(Ordering::Relaxed)
    }

    fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    fn count_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }
}

/// How the Redis store is set up.
#[derive(Debug, Clone, Default)]
pub struct RedisOptions {
    /// A PEM bundle of the authorities to trust for `rediss://`, instead of the system's.
    pub ca: Option<Vec<u8>>,
    /// Stay ready under an evicting `maxmemory-policy` (the operator accepts that evicted
    /// records forget logouts and replays).
    pub accept_eviction: bool,
}

thread_local! {
    /// This thread's connection of each store (by [`RedisStore::id`]), opened on first use.
    static CONNECTIONS: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Ids of stores, so that clones of one store share each thread's connection.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A [`SessionStore`] in Redis: one hash `ccstore:{<sid>}` per session (the braces make it a hash
/// tag: in a cluster, every key of a session is in one slot, so each script runs on one node).
#[derive(Clone)]
pub struct RedisStore {
    id: u64,
    connector: Arc<Connector>,
    cluster: bool,
    accept_eviction: bool,
    deadline: Duration,
    rotate: Script,
    revoke: Script,
    failures: Arc<StoreFailures>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: it is not kept, and never printed.
        f.debug_struct("RedisStore")
            .field("cluster", &self.cluster)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store at `url` whose every call answers within `deadline`. Connects lazily, so the server
    /// starts (and answers 503) while Redis is down; each thread opens its own connection, on its
    /// runtime, when it first needs one.
    pub fn new(url: &str, deadline: Duration) -> RedisResult<Self> {
        Self::with_options(url, deadline, RedisOptions::default())
    }

    /// [`new`](Self::new) with `options`; `url` may name a cluster (see `connection.rs`).
    pub fn with_options(url: &str, deadline: Duration, options: RedisOptions) -> RedisResult<Self> {
        let target = Target::parse(url);
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            connector: Arc::new(Connector::new(&target, deadline, options.ca)?),
            cluster: target.is_cluster(),
            accept_eviction: options.accept_eviction,
            deadline,
            rotate: Script::new(ROTATE),
            revoke: Script::new(REVOKE),
            failures: Arc::default(),
        })
    }

    /// The counts of this store's failed and timed-out calls, shared with every clone (the
    /// server reads them into its metrics at each scrape).
    pub fn failures(&self) -> Arc<StoreFailures> {
        Arc::clone(&self.failures)
    }

    /// This thread's connection, opened (lazily, on this thread's runtime) on first use.
    fn connection(&self) -> Result<Connection, StoreError> {
        CONNECTIONS.with(|cell| {
            let mut connections = cell
                .try_borrow_mut()
                .map_err(|_| StoreError::Unavailable("connection table busy".to_owned()))?;
            if let Some((_, connection)) = connections.iter().find(|(id, _)| *id == self.id) {
                return Ok(connection.clone());
            }
            let connection = self.connector.connect().map_err(|error| {
                self.failures.count_error();
                StoreError::Unavailable(format!("{:?}", error.kind()))
            })?;
            connections.push((self.id, connection.clone()));
            Ok(connection)
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
    /// Whether this store speaks to a cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// What readiness checks, bounded like every other call: Redis answers, in the mode the URL
    /// says (every primary of a cluster answers and reports `cluster_state:ok`), and will not
    /// evict records (`maxmemory-policy noeviction`, or no memory limit), unless the operator
    /// accepted that risk.
    pub async fn check(&self) -> Result<(), StoreUnready> {
        let mut connection = self.connection().map_err(|_| StoreUnready::Unreachable)?;
        let nodes = match timeout(self.deadline, health::nodes(&mut connection)).await {
            Ok(nodes) => nodes?,
            Err(_) => return Err(StoreUnready::Unreachable),
        };
        health::judge(&nodes, self.cluster, self.accept_eviction)
    }
}

fn session_key(sid: &str) -> String {
    format!("ccstore:{{{sid}}}")
}

impl SessionStore for RedisStore {
    async fn is_revoked(&self, sid: &str, now: u64) -> Result<bool, StoreError> {
        let mut connection = self.connection()?;
        let until: Option<u64> = self
            .bounded(connection.hget(session_key(sid), "revoked"))
            .await?;
        Ok(until.is_some_and(|until| until > now))
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        let mut connection = self.connection()?;
        let mut invocation = self.revoke.key(session_key(sid));
        invocation.arg(now).arg(ttl.max(1));
        self.bounded(invocation.invoke_async::<i64>(&mut connection))
            .await
            .map(drop)
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        let mut connection = self.connection()?;
        let mut invocation = self.rotate.key(session_key(attempt.sid));
        invocation
            .arg(attempt.token_id)
            .arg(attempt.successor_id)
            .arg(attempt.now)
            .arg(attempt.grace)
            .arg(attempt.successor_expires)
            .arg(attempt.token_expires)
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
                4 => Rotation::Retried,
                _ => Rotation::Replayed,
            },
        )
    }
}
