//! The embedded session store: one process's sessions in memory, bounded, each dropped once no
//! token of it could be used. Enough for one instance; several instances share state through
//! Redis instead.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::session_record::Session;
use crate::store::{RefreshAttempt, Rotation, SessionStore, StoreError};

/// Seconds between sweeps of expired sessions.
const SWEEP_INTERVAL: u64 = 30;

/// An in-process [`SessionStore`] holding at most `capacity` sessions.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<u128, Session>,
    next_sweep: u64,
}

impl MemoryStore {
    /// A store of at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity,
        }
    }

    /// Sessions held now, expired ones included until the next sweep.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every statement leaves the state consistent, so a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The record of `sid`, created if absent; `None` when the store is full of live sessions.
    fn session<'s>(&self, state: &'s mut State, sid: u128, now: u64) -> Option<&'s mut Session> {
        if now >= state.next_sweep || state.sessions.len() >= self.capacity {
            state.sessions.retain(|_, session| session.expires > now);
            state.next_sweep = now.saturating_add(SWEEP_INTERVAL);
        }
        if state.sessions.len() >= self.capacity && !state.sessions.contains_key(&sid) {
            return None;
        }
        let session = state.sessions.entry(sid).or_default();
        if session.expires <= now {
            *session = Session::default();
        }
        Some(session)
    }
}

impl SessionStore for MemoryStore {
    async fn is_revoked(&self, sid: &str, now: u64) -> Result<bool, StoreError> {
        let state = self.lock();
        Ok(state
            .sessions
            .get(&session_key(sid))
            .is_some_and(|session| session.is_revoked(now)))
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.lock();
        let session = self
            .session(&mut state, session_key(sid), now)
            .ok_or(StoreError::Full)?;
        session.revoke(now, ttl);
        Ok(())
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        let now = attempt.now;
        let mut state = self.lock();
        let session = self
            .session(&mut state, session_key(attempt.sid), now)
            .ok_or(StoreError::Full)?;
        Ok(session.rotate(
            &attempt,
            token_key(attempt.token_id),
            token_key(attempt.successor_id),
        ))
    }
}

/// A 128-bit key for a session id: a UUID as it is, anything else by its SHA-256.
fn session_key(sid: &str) -> u128 {
    if let Ok(uuid) = Uuid::try_parse(sid) {
        return uuid.as_u128();
    }
    u128::from_be_bytes(
        Sha256::digest(sid.as_bytes())
            .first_chunk()
            .copied()
            .unwrap_or_default(),
    )
}

/// A 64-bit key for a token id, unique among one session's tokens.
fn token_key(id: &str) -> u64 {
    // The low bits of a random UUID are random; truncating keeps them.
    #[allow(clippy::cast_possible_truncation)]
    let key = session_key(id) as u64;
    key
}
