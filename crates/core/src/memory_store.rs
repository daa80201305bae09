//! The embedded session store: one process's sessions in memory, bounded, each dropped once no
//! token of it could be used. Enough for one instance; several instances share state through
//! Redis instead.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::store::{MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError};

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

/// What one session needs: times in seconds since the epoch, token ids in 64 bits (collisions
/// among the handful of tokens of one session are out of reach).
#[derive(Debug, Default)]
struct Session {
    /// Drop the record after this.
    expires: u64,
    /// Revoked until this (0: not revoked).
    revoked_until: u64,
    /// Tokens that may be refreshed, with when they stop being usable, oldest first.
    heads: Vec<(u64, u64)>,
    /// Tokens refreshed lately, with when: refreshable again within the grace window.
    retired: Vec<(u64, u64)>,
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
            .is_some_and(|session| session.revoked_until > now))
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.lock();
        let session = self
            .session(&mut state, session_key(sid), now)
            .ok_or(StoreError::Full)?;
        let until = now.saturating_add(ttl);
        session.revoked_until = session.revoked_until.max(until);
        session.expires = session.expires.max(until);
        Ok(())
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        let now = attempt.now;
        let mut state = self.lock();
        let session = self
            .session(&mut state, session_key(attempt.sid), now)
            .ok_or(StoreError::Full)?;
        if session.revoked_until > now {
            return Ok(Rotation::SessionRevoked);
        }
        session.heads.retain(|&(_, expires)| expires > now);
        session
            .retired
            .retain(|&(_, at)| now <= at.saturating_add(attempt.grace));
        let token = token_key(attempt.token_id);
        let new_session = session.heads.is_empty() && session.retired.is_empty();
        let outcome = if let Some(head) = session.heads.iter().position(|&(id, _)| id == token) {
            session.heads.remove(head);
            retire(&mut session.retired, token, now);
            Rotation::Rotated
        } else if session.retired.iter().any(|&(id, _)| id == token) {
            Rotation::WithinGrace
        } else if new_session {
            retire(&mut session.retired, token, now);
            Rotation::Rotated
        } else {
            return Ok(Rotation::Replayed);
        };
        if session.heads.len() >= MAX_TRACKED {
            session.heads.remove(0);
        }
        session
            .heads
            .push((token_key(attempt.successor_id), attempt.successor_expires));
        session.expires = session.expires.max(now.saturating_add(attempt.keep_for));
        Ok(outcome)
    }
}

/// Remembers `token` as refreshed at `now`, forgetting the oldest beyond [`MAX_TRACKED`].
fn retire(retired: &mut Vec<(u64, u64)>, token: u64, now: u64) {
    if retired.len() >= MAX_TRACKED {
        retired.remove(0);
    }
    retired.push((token, now));
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
