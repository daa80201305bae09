//! Logging in, free of HTTP: who may log in (the users and application-keys files), how a
//! password, a passcode and a key are checked, how failures are throttled, where password
//! hashing runs, and the service that decides a login and mints the new session's token.

mod app_keys;
mod attempts;
mod error;
mod lines;
mod memory_attempts;
mod password;
mod pool;
mod service;
mod throttle;
mod totp;
mod users;

pub use app_keys::{AppKey, AppKeys, KEY_PREFIX, MIN_APP_KEY_BYTES, NewAppKey, new_key};
pub use attempts::Attempts;
pub use error::{BUSY_RETRY_AFTER, LoginError};
pub use lines::{FileError, LineFault, MAX_NAME_BYTES};
pub use memory_attempts::{DEFAULT_TRACKED_ACCOUNTS, MemoryAttempts};
pub use password::{HashError, MIN_MEMORY_KIB, MIN_PASSES, PasswordHash};
pub use pool::{HashPool, PoolError};
pub use service::{LoggedIn, LoginService};
pub use throttle::{AccountKey, Failures, LoginAttempts, ThrottleRule, totp_step_expires};
pub use totp::{STEP_SECONDS, Totp};
pub use users::{MIN_PASSWORD_CHARS, NewUser, User, Users};
