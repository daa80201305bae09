//! Where session state lives: in this process by default, in Redis when several instances share
//! it. One type so the rest of the server does not care which.

mod redis;

use ccstore_core::{MemoryStore, RefreshClaim, SessionStore, StoreError};

pub use self::redis::RedisStore;

/// The configured session store.
#[derive(Debug)]
pub enum Store {
    /// In-process: enough for one instance.
    Memory(MemoryStore),
    /// Shared by every instance.
    Redis(RedisStore),
}

impl SessionStore for Store {
    async fn is_revoked(&self, sid: &str) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => store.is_revoked(sid).await,
            Self::Redis(store) => store.is_revoked(sid).await,
        }
    }

    async fn revoke(&self, sid: &str, ttl: u64) -> Result<(), StoreError> {
        match self {
            Self::Memory(store) => store.revoke(sid, ttl).await,
            Self::Redis(store) => store.revoke(sid, ttl).await,
        }
    }

    async fn claim_refresh(
        &self,
        sid: &str,
        token_id: &str,
        now: u64,
        ttl: u64,
    ) -> Result<RefreshClaim, StoreError> {
        match self {
            Self::Memory(store) => store.claim_refresh(sid, token_id, now, ttl).await,
            Self::Redis(store) => store.claim_refresh(sid, token_id, now, ttl).await,
        }
    }
}
