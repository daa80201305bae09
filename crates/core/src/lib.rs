//! Token and session logic of ccstore, free of HTTP: parse a Bearer credential, verify an HS256
//! access token (in OCC's spelling or strict JWS) against the configured key, issuer and clock,
//! issue its refreshed successor, mint new tokens (`token/`), and hold sessions to their rules
//! (logout, absolute lifetime, replay detection) in memory or in Redis (`session/`).

mod clock;
mod error;
mod session;
mod token;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{KeyError, TokenError};
pub use session::{
    MAX_RECORD_SECONDS, MAX_TRACKED, MemoryStore, RedisOptions, RedisStore, RefreshAttempt,
    ReuseDetection, Rotation, SessionStore, Sessions, Store, StoreError, StoreFailures,
    StoreUnready,
};
pub use token::{
    Claims, HmacKey, IssuedToken, KeyRing, KeySet, MAX_KID_BYTES, MAX_TOKEN_BYTES, MIN_KEY_BYTES,
    SERVICE_CLAIMS, TokenEncoding, TokenPolicy, TokenService, bearer_token,
};
