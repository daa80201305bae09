//! Token logic of ccstore, free of HTTP: parse a Bearer credential, verify an HS256 access token
//! (in OCC's spelling or strict JWS) against the configured key, issuer and clock, issue its
//! refreshed successor, mint new tokens, and hold sessions to their rules (logout, absolute
//! lifetime, replay detection).

mod bearer;
mod claims;
mod clock;
mod codec;
mod error;
mod key;
mod keys;
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
pub use key::{HmacKey, MIN_KEY_BYTES};
pub use keys::{KeyRing, KeySet, MAX_KID_BYTES};
pub use memory_store::MemoryStore;
pub use service::{IssuedToken, TokenPolicy, TokenService};
pub use sessions::{ReuseDetection, Sessions};
pub use store::{
    MAX_RECORD_SECONDS, MAX_TRACKED, RefreshAttempt, Rotation, SessionStore, StoreError,
};
