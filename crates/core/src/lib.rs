//! Token and session logic of ccstore, free of HTTP: parse a Bearer credential, verify an HS256
//! access token (in OCC's spelling or strict JWS) against the configured key, issuer and clock,
//! issue its refreshed successor, mint new tokens (`token/`), hold sessions to their rules
//! (logout, absolute lifetime, replay detection) in memory or in Redis (`session/`), for every
//! OCC auth family (`family.rs`), and log users and applications in (`login/`).

mod clock;
mod error;
mod family;
mod family_tokens;
mod login;
mod session;
mod token;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{KeyError, TokenError};
pub use family::{
    APP_KEY_TTL, FAMILIES, Families, Family, FamilyError, FamilyOverrides, FamilyRow, Grant,
    USER_TTL,
};
pub use family_tokens::FamilyTokens;
pub use login::{
    AccountKey, AppKey, AppKeys, Attempts, BUSY_RETRY_AFTER, DEFAULT_TRACKED_ACCOUNTS, Failures,
    FileError, HashError, HashPool, KEY_PREFIX, LineFault, LoggedIn, LoginAttempts, LoginError,
    LoginService, MAX_NAME_BYTES, MIN_APP_KEY_BYTES, MIN_MEMORY_KIB, MIN_PASSES,
    MIN_PASSWORD_CHARS, MemoryAttempts, NewAppKey, NewUser, PasswordHash, PoolError, STEP_SECONDS,
    ThrottleRule, Totp, User, Users, new_key, totp_step_expires,
};
pub use session::{
    MAX_RECORD_SECONDS, MAX_TRACKED, MemoryStore, RedisAttempts, RedisOptions, RedisStore,
    RefreshAttempt, ReuseDetection, Rotation, SessionStore, Sessions, Store, StoreError,
    StoreFailures, StoreUnready,
};
pub use token::{
    Claims, HmacKey, IssuedToken, KeyRing, KeySet, LIFETIME_CLAIM, MAX_KID_BYTES, MAX_TOKEN_BYTES,
    MIN_KEY_BYTES, SERVICE_CLAIMS, TokenEncoding, TokenPolicy, TokenService, bearer_token,
};
