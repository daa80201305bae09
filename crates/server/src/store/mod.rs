//! Where session state lives: in this process by default, in Redis when several instances share
//! it. One type so the rest of the server does not care which.
//!
//! Redis's futures are boxed: they are about ten times the in-process store's, and an enum's
//! future is as large as its largest branch, so unboxed they would make every refresh future
//! (copied whole through each middleware layer) a kilobyte larger, Redis or not. The box costs
//! one allocation next to a network round trip.

mod redis;

use ccstore_core::{MemoryStore, RefreshAttempt, Rotation, SessionStore, StoreError};

pub use self::redis::RedisStore;

/// The configured session store.
#[derive(Debug)]
pub enum Store {
    /// In-process: enough for one instance.
    Memory(MemoryStore),
    /// Shared by every instance.
    Redis(RedisStore),
}

impl Store {
    /// Whether the store answers: the in-process store always does; Redis must answer a `PING`
    /// within the store timeout.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(store) => Box::pin(store.ping()).await,
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
