//! Sessions: the rules on top of the token rules (logout, lifetime, replay detection), what they
//! need from shared state, and the stores that keep it, side by side.

mod configured;
mod memory;
mod record;
mod redis;
mod rules;
mod store;

pub use self::redis::{RedisAttempts, RedisOptions, RedisStore, StoreFailures};
pub use configured::{Store, StoreUnready};
pub use memory::MemoryStore;
pub use rules::{ReuseDetection, Sessions};
pub use store::{
    MAX_RECORD_SECONDS, MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError,
};
