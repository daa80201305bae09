//! The embedded session store: one process's sessions in memory, bounded, each dropped once no
//! token of it could be used. Enough for one instance; several instances share state through
//! Redis instead.
//!
//! # Why shards of `IndexMap`s swept by a cursor
//!
//! The store must cost the same at any size up to its capacity (1,000,000 by default): no full
//! scan and no global pause on the request path, no lock every worker waits on, no live record
//! ever dropped to make room, and a small, stated size per session. So:
//!
//! - **Shards.** Sessions are spread by their (random) id over shards of about
//!   [`SESSIONS_PER_SHARD`] each, every shard behind its own mutex, held for one record's work.
//!   Workers touching different sessions almost never meet.
//! - **Room from the start.** Each shard's table is made with room for [`SHARD_ROOM`] records
//!   (4,096 buckets, six standard deviations above a full store's share), so it never rehashes
//!   and its records never move to a larger vector on the request path, and the allocator never
//!   holds the freed smaller tables of a store that grew (in the server they cost about 24 bytes
//!   of RSS per session before). The record vector's pages that no record has reached yet are
//!   address space, not memory; what is written at the start (the hash indexes' control bytes
//!   and allocator headers) is about 4 MiB and 2 ms for the default capacity.
//! - **Expiry is a cursor, not a sweep.** Each shard keeps its records in insertion order
//!   (`indexmap`, whose entries are one dense vector) and a cursor into them. Every operation on a
//!   shard moves its cursor [`SWEEP_STEP`] records on, dropping those whose time is up
//!   (`swap_remove`, O(1)), so expired records go at the rate sessions are used, a few
//!   nanoseconds each, and never all at once. When the store is full, a request that needs a new
//!   record first moves its shard's cursor up to [`FULL_SWEEP`] records on; if that frees nothing,
//!   it is refused (503) at once. Live records are never dropped: a dropped revocation would bring
//!   a logged-out token back.
//! - **Capacity is one atomic count**, reserved before a record is added, so "full" is exact
//!   without a global lock.
//! - **Small records.** A session's tokens are inline (`smallvec`, in [`Session`]) in the usual
//!   case of one head and at most two recently refreshed tokens, and its times are 32-bit
//!   [`Stamp`]s from the store's epoch, so a record is 120 bytes in its shard's vector (key,
//!   cached hash and [`Session`]), with no heap allocation of its own, plus about 10 bytes of hash
//!   index. The RSS measured per session is in `docs/benchmarks-scale.md`.
//!
//! # Why foldhash, and why hash flooding is no risk here
//!
//! A lookup hashes one 16-byte key, at least twice per refresh (find, insert or move on). std's
//! `RandomState` (`SipHash`-1-3) spends tens of nanoseconds on it; foldhash (hashbrown's default
//! hasher, already in the tree through actix-http) a few multiplications. Each shard's hasher
//! has its own 64-bit seed, and the process one shared secret, both drawn from the operating
//! system's randomness (foldhash's own defaults come from address-space layout and the time), so
//! no list of keys collides in every process or in every shard. Foldhash does not claim to resist
//! an attacker who can watch many hashes and then choose keys; here nobody can choose keys: a
//! record's key is the session id of a token whose signature was already checked (the store is
//! never reached before), so every key is one that we or the co-signing OCC issued, a random
//! UUID, or the SHA-256 of another id, and an attacker would need a signed token per key to try
//! one. A shard's table never holds more than its share of the capacity, and nothing about it
//! (order, the time of one probe) shows in an answer beyond the noise of a network round trip.
//!
//! Not `moka`: its bound is an eviction policy (it would drop live sessions, revocations included,
//! when full), and each of its entries carries reference counts, access and write-order queue
//! nodes and a timer-wheel node, several times the size of the record itself.
//!
//! The per-session rules (what a refresh, a replay, a logout do to one record) are the methods of
//! [`Session`]; the container only finds, creates and drops records.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use foldhash::SharedSeed;
use foldhash::fast::SeedableRandomState;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::record::{Epoch, Session, Stamp};
use super::store::{RefreshAttempt, Rotation, SessionStore, StoreError};

/// Sessions a shard holds on average when the store is full: its table then has 4,096 buckets
/// (hashbrown fills them to 7/8, [`SHARD_ROOM`] records), with room for six standard deviations
/// of the random spread of sessions over shards.
const SESSIONS_PER_SHARD: usize = 3_200;

/// Records a shard has room for from the start, without growing: 7/8 of 4,096 buckets.
const SHARD_ROOM: usize = 3_584;

/// How far before the first time the store is given its [`Epoch`] lies: a clock stepped back by
/// up to a day still compares exactly.
const EPOCH_MARGIN: u64 = 86_400;

/// Records each operation on a shard checks for expiry, after its own work.
const SWEEP_STEP: usize = 8;

/// Records a request that needs a new record checks for expiry when the store is full, before
/// it is refused.
const FULL_SWEEP: usize = 64;

/// A hasher seeded from the operating system's randomness: its own seed for each shard, and one
/// secret shared by all of a process's shards (foldhash's own seeds come from address-space
/// layout and the time).
fn shard_hasher() -> SeedableRandomState {
    static SHARED: OnceLock<SharedSeed> = OnceLock::new();
    let shared = SHARED.get_or_init(|| SharedSeed::from_u64(os_random()));
    SeedableRandomState::with_seed(os_random(), shared)
}

/// 64 random bits: std's `RandomState` is keyed from the operating system's randomness (and a
/// new one differs from the last), so what it makes of no input is as random as its key.
fn os_random() -> u64 {
    std::hash::RandomState::new().build_hasher().finish()
}

/// A session id's key: 128 bits as two words, so a record aligns to 8 bytes, not 16.
type Key = [u64; 2];

/// An in-process [`SessionStore`] holding at most `capacity` sessions.
#[derive(Debug)]
pub struct MemoryStore {
    shards: Box<[Shard]>,
    /// Records held, expired ones included until the cursor passes them.
    len: AtomicUsize,
    capacity: usize,
    /// Where the records' times count from, set by the first operation.
    epoch: OnceLock<Epoch>,
}

/// One shard, on its own cache lines so that workers locking neighbours do not slow each other.
#[derive(Debug)]
#[repr(align(128))]
struct Shard(Mutex<Records>);

impl Shard {
    /// A shard with room for `records` records before its table grows.
    fn with_room(records: usize) -> Self {
        Self(Mutex::new(Records {
            sessions: IndexMap::with_capacity_and_hasher(records, shard_hasher()),
            cursor: 0,
        }))
    }
}

#[derive(Debug)]
struct Records {
    sessions: IndexMap<Key, Session, SeedableRandomState>,
    /// The next record the sweep checks.
    cursor: usize,
}

impl MemoryStore {
    /// A store of at most `capacity` sessions, in one shard per [`SESSIONS_PER_SHARD`] of them,
    /// each with room for its share from the start.
    pub fn new(capacity: usize) -> Self {
        let shards = capacity.div_ceil(SESSIONS_PER_SHARD).max(1);
        let room = SHARD_ROOM.min(capacity);
        Self {
            shards: (0..shards).map(|_| Shard::with_room(room)).collect(),
            len: AtomicUsize::new(0),
            capacity,
            epoch: OnceLock::new(),
        }
    }

    /// `now` as the records keep it.
    fn stamp(&self, now: u64) -> Stamp {
        self.epoch(now).stamp(now)
    }

    /// The store's epoch, set [`EPOCH_MARGIN`] before `now` if this is its first operation.
    fn epoch(&self, now: u64) -> Epoch {
        *self.epoch.get_or_init(|| Epoch::before(now, EPOCH_MARGIN))
    }

    /// Sessions held now, expired ones included until the sweep passes them.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shard of `key`, locked.
    fn lock(&self, key: Key) -> MutexGuard<'_, Records> {
        // Both halves mixed (a UUID fixes a few bits of each: its version and variant; a v7
        // UUID starts with a timestamp), then spread over the shards by their top bits.
        let mixed = (key[0] ^ key[1]).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let count = u128::try_from(self.shards.len()).unwrap_or(1);
        let index = usize::try_from((u128::from(mixed) * count) >> 64).unwrap_or_default();
        #[allow(
            clippy::indexing_slicing,
            reason = "(x * count) >> 64 < count for any 64-bit x, and there is at least one shard"
        )]
        let shard = &self.shards[index];
        // Every statement leaves the records consistent, so a panic elsewhere cannot corrupt them.
        shard.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one of the capacity's places; `false` when the store is full.
    fn reserve(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |len| {
                (len < self.capacity).then_some(len + 1)
            })
            .is_ok()
    }

    /// Runs `work` on the record of `key`, created (or renewed, if its time is up) when needed;
    /// `None` when the store is full of live sessions. Then moves the sweep on.
    fn with_session<R>(
        &self,
        key: Key,
        now: Stamp,
        work: impl FnOnce(&mut Session) -> R,
    ) -> Option<R> {
        let mut records = self.lock(key);
        let outcome = if let Some(session) = records.sessions.get_mut(&key) {
            if session.is_expired(now) {
                *session = Session::default();
            }
            work(session)
        } else {
            if !self.reserve() {
                self.sweep(&mut records, now, FULL_SWEEP);
                if !self.reserve() {
                    return None;
                }
            }
            let mut session = Session::default();
            let outcome = work(&mut session);
            records.sessions.insert(key, session);
            outcome
        };
        self.sweep(&mut records, now, SWEEP_STEP);
        Some(outcome)
    }

    /// Moves the cursor of `records` up to `steps` records on, dropping those whose time is up.
    fn sweep(&self, records: &mut Records, now: Stamp, steps: usize) {
        for _ in 0..steps {
            if records.cursor >= records.sessions.len() {
                records.cursor = 0;
                if records.sessions.is_empty() {
                    return;
                }
            }
            let cursor = records.cursor;
            let expired = records
                .sessions
                .get_index(cursor)
                .is_some_and(|(_, session)| session.is_expired(now));
            if expired {
                // The last record moves into the cursor's place and is checked next.
                records.sessions.swap_remove_index(cursor);
                self.len.fetch_sub(1, Ordering::AcqRel);
            } else {
                records.cursor += 1;
            }
        }
    }
}

impl SessionStore for MemoryStore {
    async fn is_revoked(&self, sid: &str, now: u64) -> Result<bool, StoreError> {
        let (key, now) = (session_key(sid), self.stamp(now));
        let mut records = self.lock(key);
        let revoked = records
            .sessions
            .get(&key)
            .is_some_and(|session| session.is_revoked(now));
        self.sweep(&mut records, now, SWEEP_STEP);
        Ok(revoked)
    }

    async fn revoke(&self, sid: &str, now: u64, ttl: u64) -> Result<(), StoreError> {
        let epoch = self.epoch(now);
        let until = epoch.stamp(now.saturating_add(ttl));
        self.with_session(session_key(sid), epoch.stamp(now), |session| {
            session.revoke(until);
        })
        .ok_or(StoreError::Full)
    }

    async fn rotate(&self, attempt: RefreshAttempt<'_>) -> Result<Rotation, StoreError> {
        let (token, successor) = (token_key(attempt.token_id), token_key(attempt.successor_id));
        let times = self.epoch(attempt.now).attempt(&attempt);
        self.with_session(session_key(attempt.sid), times.now(), |session| {
            session.rotate(&times, token, successor)
        })
        .ok_or(StoreError::Full)
    }
}

/// A 128-bit key for a session id: a UUID as it is, anything else by its SHA-256.
fn session_key(sid: &str) -> Key {
    let key = if let Ok(uuid) = Uuid::try_parse(sid) {
        uuid.as_u128()
    } else {
        u128::from_be_bytes(
            Sha256::digest(sid.as_bytes())
                .first_chunk()
                .copied()
                .unwrap_or_default(),
        )
    };
    let half = |bits: u128| u64::try_from(bits & u128::from(u64::MAX)).unwrap_or_default();
    [half(key >> 64), half(key)]
}

/// A 64-bit key for a token id, unique among one session's tokens.
fn token_key(id: &str) -> u64 {
    // The low bits of a random UUID are random; truncating keeps them.
    session_key(id)[1]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the in-memory store never waits"),
        }
    }

    fn attempt<'a>(
        sid: &'a str,
        token: &'a str,
        successor: &'a str,
        at: u64,
    ) -> RefreshAttempt<'a> {
        RefreshAttempt {
            sid,
            token_id: token,
            successor_id: successor,
            now: at,
            grace: 30,
            successor_expires: at + 100,
            token_expires: at + 100,
            keep_for: 100,
        }
    }

    #[test]
    fn a_record_is_120_bytes_with_a_clients_tokens_inline() {
        assert_eq!(size_of::<Session>(), 96);
        assert_eq!(align_of::<Session>(), 8);
        assert_eq!(size_of::<(u64, Key, Session)>(), 120);
        let epoch = Epoch::before(1_000, EPOCH_MARGIN);
        let mut session = Session::default();
        // A client refreshing every 30 s, with the default 30 s grace window.
        for (at, token, successor) in [
            (1_000, "t0", "t1"),
            (1_030, "t1", "t2"),
            (1_060, "t2", "t3"),
        ] {
            let times = epoch.attempt(&attempt("s", token, successor, at));
            assert_eq!(
                session.rotate(&times, token_key(token), token_key(successor)),
                Rotation::Rotated
            );
            assert!(!session.tokens_held().2, "spilled at {at}");
        }
        assert_eq!(session.tokens_held(), (1, 2, false));
    }

    #[test]
    fn every_shard_hashes_with_its_own_random_seed() {
        let key = session_key("the-same-session");
        let hashes: Vec<u64> = (0..4).map(|_| shard_hasher().hash_one(key)).collect();
        for (i, hash) in hashes.iter().enumerate() {
            assert!(!hashes[..i].contains(hash), "{hashes:x?}");
        }
        assert_ne!(os_random(), os_random());
    }

    #[test]
    fn a_big_store_has_shards_and_a_small_one_a_single_shard() {
        assert_eq!(MemoryStore::new(0).shards.len(), 1);
        assert_eq!(MemoryStore::new(10).shards.len(), 1);
        assert_eq!(MemoryStore::new(1_000_000).shards.len(), 313);
        // Room for a full store's share from the start, so no table grows on the request path.
        let rooms = |store: &MemoryStore| -> Vec<usize> {
            let shards = store.shards.iter();
            shards
                .map(|shard| shard.0.lock().unwrap().sessions.capacity())
                .collect()
        };
        assert!(
            rooms(&MemoryStore::new(1_000_000))
                .iter()
                .all(|&room| room >= SHARD_ROOM)
        );
        assert!(rooms(&MemoryStore::new(10)).iter().all(|&room| room >= 10));
    }

    #[test]
    fn times_count_from_the_first_operation_and_a_clock_stepped_back_expires_nothing_early() {
        let store = MemoryStore::new(10);
        let start = 1_800_000_000;
        now(store.rotate(attempt("a", "t0", "t1", start))).unwrap();
        now(store.revoke("a", start, 50)).unwrap();
        // Stepped back past the store's epoch: the revocation still holds.
        assert!(now(store.is_revoked("a", start - 2 * EPOCH_MARGIN)).unwrap());
        assert!(now(store.is_revoked("a", start + 99)).unwrap());
        assert!(
            !now(store.is_revoked("a", start + 100)).unwrap(),
            "the record's life is up"
        );
        // Times a hundred years on are still exact.
        let later = start + 50;
        now(store.rotate(attempt("b", "t0", "t1", later))).unwrap();
        let far = attempt("b", "t1", "t2", later + 1);
        let far = RefreshAttempt {
            keep_for: crate::MAX_RECORD_SECONDS,
            ..far
        };
        assert_eq!(now(store.rotate(far)), Ok(Rotation::Rotated));
        let gone = later + 1 + crate::MAX_RECORD_SECONDS;
        now(store.revoke("b", gone - 1, 1)).unwrap();
        assert!(now(store.is_revoked("b", gone - 1)).unwrap());
        assert!(!now(store.is_revoked("b", gone)).unwrap());
    }

    #[test]
    fn sessions_spread_over_every_shard() {
        let store = MemoryStore::new(64 * SESSIONS_PER_SHARD);
        // Random UUIDs, time-ordered ones (a v7 UUID starts with its millisecond), digests.
        for i in 0..4_000_u64 {
            let sid = match i % 3 {
                0 => Uuid::new_v4().to_string(),
                1 => Uuid::from_u128(
                    u128::from(1_800_000_000_000 + i) << 80
                        | 0x7000 << 64
                        | u128::from(i.wrapping_mul(0x2545_F491_4F6C_DD1D)),
                )
                .to_string(),
                _ => format!("minted-elsewhere-{i}"),
            };
            now(store.rotate(attempt(&sid, "a", "b", 1_000))).unwrap();
        }
        let sizes: Vec<usize> = store
            .shards
            .iter()
            .map(|shard| shard.0.lock().unwrap().sessions.len())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 4_000);
        assert!(sizes.iter().all(|&size| size > 20), "{sizes:?}");
    }

    #[test]
    fn expired_records_go_as_the_store_is_used_and_live_ones_stay() {
        let store = MemoryStore::new(1_000);
        let sids: Vec<String> = (0..100).map(|i| format!("session-{i}")).collect();
        for sid in &sids {
            now(store.rotate(attempt(sid, "a", "b", 1_000))).unwrap();
        }
        let live = "the-live-one";
        now(store.rotate(attempt(live, "a", "b", 1_050))).unwrap();
        assert_eq!(store.len(), 101);
        // Past the first hundred's expiry (1,100), not the live one's (1,150): each use moves
        // the sweep on, and no use ever checks more than a few records.
        let mut uses = 0;
        while store.len() > 1 {
            assert!(!now(store.is_revoked(live, 1_120)).unwrap());
            uses += 1;
            assert!(
                uses <= 101 / SWEEP_STEP + 2,
                "the sweep stalled at {}",
                store.len()
            );
        }
        let records = store.lock(session_key(live));
        assert!(records.sessions.contains_key(&session_key(live)));
    }

    #[test]
    fn a_full_store_refuses_new_sessions_serves_existing_ones_and_reclaims_expired_ones() {
        let store = MemoryStore::new(3);
        for sid in ["a", "b", "c"] {
            now(store.rotate(attempt(sid, "t0", "t1", 1_000))).unwrap();
        }
        assert_eq!(
            now(store.rotate(attempt("d", "t0", "t1", 1_000))),
            Err(StoreError::Full)
        );
        assert_eq!(now(store.revoke("d", 1_000, 10)), Err(StoreError::Full));
        assert_eq!(
            now(store.rotate(attempt("a", "t1", "t2", 1_001))),
            Ok(Rotation::Rotated),
            "an existing session is served when the store is full"
        );
        assert_eq!(store.len(), 3);
        // "b" and "c" expire at 1,100; "a" lives to 1,101.
        assert_eq!(
            now(store.rotate(attempt("d", "t0", "t1", 1_100))),
            Ok(Rotation::Rotated)
        );
        assert_eq!(store.len(), 2, "both expired records were reclaimed");
        assert!(!now(store.is_revoked("a", 1_100)).unwrap());
        assert_eq!(
            now(store.rotate(attempt("a", "t2", "t3", 1_100))),
            Ok(Rotation::Rotated),
            "the live session kept its record"
        );
    }

    #[test]
    fn a_revocation_outlives_the_records_other_deadlines_and_is_never_swept_early() {
        let store = MemoryStore::new(1);
        now(store.rotate(attempt("a", "t0", "t1", 1_000))).unwrap();
        now(store.revoke("a", 1_000, 500)).unwrap();
        for at in [1_101, 1_300, 1_499] {
            assert!(now(store.is_revoked("a", at)).unwrap(), "at {at}");
            assert_eq!(
                now(store.rotate(attempt("a", "t1", "t2", at))),
                Ok(Rotation::SessionRevoked)
            );
        }
        assert_eq!(
            now(store.rotate(attempt("b", "t0", "t1", 1_499))),
            Err(StoreError::Full),
            "the revoked record holds its place until it has done its job"
        );
        assert!(!now(store.is_revoked("a", 1_500)).unwrap());
        assert!(now(store.rotate(attempt("b", "t0", "t1", 1_500))).is_ok());
    }
}
