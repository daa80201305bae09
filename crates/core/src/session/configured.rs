//! Where session state lives: in this process by default, in Redis when several instances share
//! it. One type so the server does not care which.
//!
//! Redis's futures are boxed: they are about ten times the in-process store's, and an enum's
//! future is as large as its largest branch, so unboxed they would make every refresh future
//! (copied whole through each middleware layer) a kilobyte larger, Redis or not. The box costs
//! one allocation next to a network round trip.

use thiserror::Error;

use super::memory::MemoryStore;
use super::redis::RedisStore;
use super::store::{RefreshAttempt, Rotation, SessionStore, StoreError};

/// Why the session store cannot serve requests as they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StoreUnready {
    /// Redis did not answer within the store timeout.
    #[error("the session store is unreachable")]
    Unreachable,
    /// Redis may evict keys, and with them logouts and refresh records.
    #[error(
        "the session store may evict sessions (maxmemory-policy is not noeviction); set it to \
         noeviction, or accept the risk with CCSTORE_REDIS_ACCEPT_EVICTION=on"
    )]
    Evicting,
    /// A primary of the cluster does not answer, or the cluster is not `ok`.
    #[error("the Redis cluster is not ok: a primary does not answer or cluster_state is not ok")]
    ClusterDown,
    /// The URL names one node, and that node is a cluster member: two keys in three would be
    /// answered `MOVED`.
    #[error(
        "CCSTORE_REDIS_URL names a single node but Redis runs in cluster mode; use \
         redis+cluster:// (or rediss+cluster://)"
    )]
    ClusterNodeAsSingle,
    /// The URL names a cluster, and Redis is not in cluster mode.
    #[error("CCSTORE_REDIS_URL names a cluster but Redis does not run in cluster mode")]
    NotACluster,
}

/// The configured session store.
#[derive(Debug)]
pub enum Store {
    /// In-process: enough for one instance.
    Memory(MemoryStore),
    /// Shared by every instance.
    Redis(RedisStore),
}

impl Store {
    /// Whether the store can serve requests: the in-process store always can; Redis must
    /// answer within the store timeout, in the mode its URL says, without an evicting policy
    /// (see [`RedisStore::check`]).
    pub async fn check(&self) -> Result<(), StoreUnready> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(store) => Box::pin(store.check()).await,
        }
    }
}

impl SessionStore for Store {
    async fn is_revoked(&self, sid: &str, now: u64) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => store.is_revoked(sid, now).await,
            Self::Redis(store) => Box::pin(store.is_revoked(sid, now)).await,
        }
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        match self {
            Self::Memory(store) => store.revoke(sid, now, ttl).await,
            Self::Redis(store) => Box::pin(store.revoke(sid, now, ttl)).await,
        }
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        match self {
            Self::Memory(store) => store.rotate(attempt).await,
            Self::Redis(store) => Box::pin(store.rotate(attempt)).await,
        }
    }
}
