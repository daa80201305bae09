//! What the session rules need from shared state, whichever store holds it: per session, whether
//! it is revoked, which of its tokens may still be refreshed and which were refreshed without
//! their successor being used yet. State grows with sessions, not with refreshes, and each record
//! lives until the latest `exp` ever seen in its session (capped by the session's lifetime), so
//! that neither a logout nor replay detection lapses while any token of the session still works.
//! The rules themselves, the same for every store, are argued in `record.rs`.

use std::future::Future;

use thiserror::Error;

/// How a refresh-once check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The session is revoked; nothing was recorded.
    SessionRevoked,
    /// The token had not been refreshed (or its session was not known yet): it is now retired and
    /// its successor may be refreshed.
    Rotated,
    /// The token was refreshed within the grace window: its new successor may be refreshed too.
    WithinGrace,
    /// The token was refreshed before, after the grace window, but none of its successors has
    /// been used: the answer was lost (a 503 after Redis ran the script, a dropped connection),
    /// so this is the client's retry. Its unused successors are forgotten and the new one
    /// replaces them.
    Retried,
    /// The session moved on past the token (a successor of it was used) and the grace window is
    /// over, or the token is not one the session can refresh: presumed stolen. Nothing was
    /// recorded; the caller revokes the session.
    Replayed,
}

/// One refresh to check and record, atomically.
#[derive(Debug, Clone, Copy)]
pub struct RefreshAttempt<'a> {
    /// The session.
    pub sid: &'a str,
    /// The presented token's id.
    pub token_id: &'a str,
    /// The id the successor will carry, if the refresh is allowed.
    pub successor_id: &'a str,
    /// Now, in seconds since the epoch.
    pub now: u64,
    /// Seconds after its first refresh during which a token may be refreshed again.
    pub grace: u64,
    /// When the successor stops being usable: its `exp` plus leeway, clamped to the session's
    /// end and to [`MAX_RECORD_SECONDS`] from now.
    pub successor_expires: u64,
    /// When the presented token stops being usable, clamped the same way: until then it may come
    /// back as a retry.
    pub token_expires: u64,
    /// How many seconds from now the session's record must be kept: until the later of the two
    /// (the store keeps it longer if it has seen a later one).
    pub keep_for: u64,
}

/// The longest any record is kept, in seconds: a hundred years. With a session lifetime (the
/// default) every time is clamped to the session's end first; this bounds the rest, so that no
/// sum overflows, Lua's doubles stay exact and Redis's `EXPIRE` never refuses a TTL.
pub const MAX_RECORD_SECONDS: u64 = 100 * 366 * 86_400;

/// The store could not answer; the rules fail closed on it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The store did not answer in time, or not at all.
    #[error("the session store is unreachable: {0}")]
    Unavailable(String),
    /// The in-process store is full of sessions that are all still live.
    #[error("the session store is full")]
    Full,
}

/// Most tokens of one session that may be refreshed at once (one, plus one per tab that raced
/// within the grace window), and most refreshed tokens remembered for the grace window. Beyond
/// it the oldest is forgotten (and would count as replayed), so a client refreshing in a tight
/// loop cannot grow its session's record.
pub const MAX_TRACKED: usize = 8;

/// Shared session state.
///
/// [`rotate`](Self::rotate) must be atomic per session: two refreshes of one token, on any
/// instances, must not both see [`Rotation::Rotated`].
pub trait SessionStore {
    /// Whether session `sid` is revoked at `now`.
    fn is_revoked(&self, sid: &str, now: u64) -> impl Future<Output = Result<bool, StoreError>>;

    /// Revokes session `sid` from `now` for `ttl` seconds, or until the session's record would
    /// lapse if that is later (the latest `exp` it has seen); never shortens a longer revocation.
    fn revoke(&self, sid: &str, now: u64, ttl: u64)
    -> impl Future<Output = Result<(), StoreError>>;

    /// Applies the refresh-once rule to `attempt` and records its outcome.
    fn rotate(
        &self,
        attempt: RefreshAttempt<'_>,
    ) -> impl Future<Output = Result<Rotation, StoreError>>;
}

/// A store shared by the session rules of several families (one per family, one store).
impl<S: SessionStore> SessionStore for std::sync::Arc<S> {
    fn is_revoked(&self, sid: &str, now: u64) -> impl Future<Output = Result<bool, StoreError>> {
        S::is_revoked(self, sid, now)
    }

    fn revoke(
        &self,
        sid: &str,
        now: u64,
        ttl: u64,
    ) -> impl Future<Output = Result<(), StoreError>> {
        S::revoke(self, sid, now, ttl)
    }

    fn rotate(
        &self,
        attempt: RefreshAttempt<'_>,
    ) -> impl Future<Output = Result<Rotation, StoreError>> {
        S::rotate(self, attempt)
    }
}
