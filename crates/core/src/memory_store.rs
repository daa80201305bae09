//! The embedded session store: one process's revocations and refresh markers in memory, bounded,
//! with entries dropped once the token or session they guard has expired. Enough for one instance;
//! several instances share state through Redis instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Clock;
use crate::store::{RefreshClaim, SessionStore, StoreError};

/// Seconds between sweeps of expired entries.
const SWEEP_INTERVAL: u64 = 30;

/// An in-process [`SessionStore`] holding at most `capacity` entries of each kind.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default)]
struct State {
    /// Revoked session → when the revocation expires.
    revoked: HashMap<u128, u32>,
    /// Refreshed token → when it was first refreshed and when the marker expires.
    refreshed: HashMap<u128, Marker>,
    next_sweep: u64,
}

/// Compact so that a busy instance holds millions: 24 bytes with its key.
#[derive(Debug, Clone, Copy)]
struct Marker {
    first_refresh: u32,
    expires: u32,
}

impl MemoryStore {
    /// A store of at most `capacity` revocations and `capacity` refresh markers, telling time by
    /// `clock`.
    pub fn new(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity,
            clock,
        }
    }

    /// Entries held now (revocations, refresh markers), expired ones included until the next sweep.
    pub fn len(&self) -> (usize, usize) {
        let state = self.lock();
        (state.revoked.len(), state.refreshed.len())
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement, so a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state with expired entries swept out when due or when `full` says it is needed.
    fn swept(&self, now: u64, full: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        if now >= state.next_sweep || full(&state) {
            let now = seconds(now);
            state.revoked.retain(|_, expires| *expires > now);
            state.refreshed.retain(|_, marker| marker.expires > now);
            state.next_sweep = u64::from(now).saturating_add(SWEEP_INTERVAL);
        }
        state
    }
}

impl SessionStore for MemoryStore {
    async fn is_revoked(&self, sid: &str) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let state = self.lock();
        Ok(is_revoked(&state, compact(sid), now))
    }

    async fn revoke(&self, sid: &str, ttl: u64) -> Result<(), StoreError> {
        let now = self.clock.now();
        let key = compact(sid);
        let mut state = self.swept(now, |state| state.revoked.len() >= self.capacity);
        if state.revoked.len() >= self.capacity && !state.revoked.contains_key(&key) {
            return Err(StoreError::Full);
        }
        let expires = seconds(now.saturating_add(ttl));
        let entry = state.revoked.entry(key).or_insert(expires);
        *entry = (*entry).max(expires);
        Ok(())
    }

    async fn claim_refresh(
        &self,
        sid: &str,
        token_id: &str,
        now: u64,
        ttl: u64,
    ) -> Result<RefreshClaim, StoreError> {
        let key = compact(token_id);
        let mut state = self.swept(now, |state| state.refreshed.len() >= self.capacity);
        if is_revoked(&state, compact(sid), now) {
            return Ok(RefreshClaim::SessionRevoked);
        }
        if let Some(marker) = state.refreshed.get(&key) {
            if u64::from(marker.expires) > now {
                return Ok(RefreshClaim::RefreshedAt(u64::from(marker.first_refresh)));
            }
        } else if state.refreshed.len() >= self.capacity {
            return Err(StoreError::Full);
        }
        let marker = Marker {
            first_refresh: seconds(now),
            expires: seconds(now.saturating_add(ttl)),
        };
        state.refreshed.insert(key, marker);
        Ok(RefreshClaim::First)
    }
}

fn is_revoked(state: &State, sid: u128, now: u64) -> bool {
    state
        .revoked
        .get(&sid)
        .is_some_and(|expires| u64::from(*expires) > now)
}

/// Seconds since the epoch in 32 bits, enough until 2106; later saturates (entries then never
/// expire early, which fails closed).
fn seconds(time: u64) -> u32 {
    u32::try_from(time).unwrap_or(u32::MAX)
}

/// A 128-bit key for an id: a UUID as it is, anything else by its SHA-256.
fn compact(id: &str) -> u128 {
    if let Ok(uuid) = Uuid::try_parse(id) {
        return uuid.as_u128();
    }
    let digest = Sha256::digest(id.as_bytes());
    u128::from_be_bytes(digest.first_chunk().copied().unwrap_or_default())
}
