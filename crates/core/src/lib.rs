//! Token logic of ccstore, free of HTTP: parse a Bearer credential, verify an HS256 access token
//! (in OCC's spelling or strict JWS) against the configured key, issuer and clock, issue its
//! refreshed successor, mint new tokens, and hold sessions to their rules (logout, absolute
//! lifetime, replay detection), for every OCC auth family, and log users and applications in.

mod bearer;
mod claims;
mod clock;
mod codec;
mod error;
mod family;
mod family_tokens;
mod key;
mod keys;
mod login;
mod memory_store;
mod service;
mod session_record;
mod sessions;
mod store;

pub use bearer::{MAX_TOKEN_BYTES, bearer_token};
pub use claims::{Claims, SERVICE_CLAIMS};
pub use clock::{Clock, ManualClock, SystemClock};
pub use codec::TokenEncoding;
pub use error::{KeyError, TokenError};
pub use family::{
    APP_KEY_TTL, FAMILIES, Families, Family, FamilyError, FamilyOverrides, FamilyRow, Grant,
    USER_TTL,
};
pub use family_tokens::FamilyTokens;
pub use key::{HmacKey, MIN_KEY_BYTES};
pub use keys::{KeyRing, KeySet, MAX_KID_BYTES};
pub use login::{
    AccountKey, AppKey, AppKeys, BUSY_RETRY_AFTER, DEFAULT_TRACKED_ACCOUNTS, Failures, FileError,
    HashError, HashPool, KEY_PREFIX, LineFault, LoggedIn, LoginAttempts, LoginError, LoginService,
    MAX_NAME_BYTES, MIN_APP_KEY_BYTES, MIN_MEMORY_KIB, MIN_PASSES, MIN_PASSWORD_CHARS,
    MemoryAttempts, NewAppKey, NewUser, PasswordHash, PoolError, STEP_SECONDS, ThrottleRule, Totp,
    User, Users, new_key, totp_step_expires,
};
pub use memory_store::MemoryStore;
pub use service::{IssuedToken, TokenPolicy, TokenService};
pub use sessions::{ReuseDetection, Sessions};
pub use store::{
    MAX_RECORD_SECONDS, MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError,
};
