//! Access tokens: the Bearer credential, the codec (HS256 through jsonwebtoken, in OCC's spelling
//! or strict JWS), the claims and their rules, the keys, and the service that verifies and issues.

mod bearer;
mod claims;
mod codec;
mod key;
mod keys;
mod service;

pub use bearer::{MAX_TOKEN_BYTES, bearer_token};
pub use claims::{Claims, SERVICE_CLAIMS};
pub use codec::TokenEncoding;
pub(crate) use codec::fingerprint;
pub use key::{HmacKey, MIN_KEY_BYTES};
pub use keys::{KeyRing, KeySet, MAX_KID_BYTES};
pub use service::{IssuedToken, LIFETIME_CLAIM, TokenPolicy, TokenService};
