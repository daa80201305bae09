//! What the session rules need from shared state, whichever store holds it: revoked sessions and
//! refresh markers, each kept only as long as the token or session it guards could still be used.

use std::future::Future;

use thiserror::Error;

/// What a refresh found when it claimed the right to refresh a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshClaim {
    /// The token's session is revoked; nothing was recorded.
    SessionRevoked,
    /// The token had not been refreshed: the refresh is now recorded.
    First,
    /// The token was already refreshed, first at this time (seconds since the epoch).
    RefreshedAt(u64),
}

/// The store could not answer; the rules fail closed on it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The store did not answer in time, or not at all.
    #[error("the session store is unreachable: {0}")]
    Unavailable(String),
    /// The in-process store is full of entries that are all still needed.
    #[error("the session store is full")]
    Full,
}

/// Shared session state: revocations and refresh markers, with expiry.
///
/// Implementations must make [`claim_refresh`](Self::claim_refresh) atomic: two refreshes of one
/// token, on any instances, must not both see [`RefreshClaim::First`].
pub trait SessionStore {
    /// Whether session `sid` is revoked.
    fn is_revoked(&self, sid: &str) -> impl Future<Output = Result<bool, StoreError>>;

    /// Revokes session `sid` for `ttl` seconds (after which no token of it could be used anyway).
    fn revoke(&self, sid: &str, ttl: u64) -> impl Future<Output = Result<(), StoreError>>;

    /// Unless session `sid` is revoked, records that token `token_id` is refreshed at `now`, kept
    /// for `ttl` seconds, and tells whether it was refreshed before.
    fn claim_refresh(
        &self,
        sid: &str,
        token_id: &str,
        now: u64,
        ttl: u64,
    ) -> impl Future<Output = Result<RefreshClaim, StoreError>>;
}
