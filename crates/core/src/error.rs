//! Why a token or a key was refused. Each variant names one reason, so the server can say it to a
//! developer (never echoing the token) and operators can count it.

use thiserror::Error;

/// Why a bearer token was not accepted, or could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// The request carries no Bearer credential.
    #[error("no bearer token was sent")]
    Missing,
    /// The credential is not a well-formed JWT (structure, base64, JSON or claim types).
    #[error("the token is malformed")]
    Malformed,
    /// The token is signed with an algorithm other than HS256, or with none.
    #[error("the token's signing algorithm is not accepted")]
    UnsupportedAlgorithm,
    /// The signature does not match the configured key.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// The token names, in its `kid` header, a key that is not (or no longer) configured.
    #[error("the token's signing key is not known")]
    UnknownKey,
    /// A required claim is absent.
    #[error("the token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The session reached its absolute lifetime (`auth_time` + the configured maximum).
    #[error("the session reached its maximum lifetime; log in again")]
    SessionLifetimeReached,
    /// The session was ended by a logout, or revoked after a replay.
    #[error("the session has ended")]
    Revoked,
    /// The token was refreshed before, outside the grace window: presumed stolen, so its whole
    /// session is now revoked.
    #[error("the token was already refreshed; the session is revoked as a precaution")]
    Replayed,
    /// The successor token could not be signed; a server fault, not the client's.
    #[error("the token could not be signed")]
    Signing,
    /// The session store could not be reached in time: the token cannot be checked, so it is not
    /// accepted (fail closed); the client may retry.
    #[error("the session store is unavailable")]
    StoreUnavailable,
}

impl TokenError {
    /// Whether a token was presented at all (RFC 6750 asks for `error="invalid_token"` then).
    pub fn token_was_sent(&self) -> bool {
        !matches!(self, Self::Missing)
    }
}

/// Why a signing key was refused at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The key is shorter than HS256 needs (RFC 7518 §3.2).
    #[error("the HS256 key is {actual} bytes long; at least {minimum} bytes are required")]
    TooShort {
        /// Length of the key given.
        actual: usize,
        /// Least length accepted.
        minimum: usize,
    },
    /// A key set lists no key.
    #[error("no key is listed")]
    NoKeys,
    /// A key id is empty or too long.
    #[error("a key id (kid) must be 1 to {maximum} bytes long")]
    BadKid {
        /// Longest id accepted.
        maximum: usize,
    },
    /// Two keys share an id.
    #[error("the key id {0:?} is listed twice")]
    DuplicateKid(String),
    /// jsonwebtoken's crypto provider refused the key (it takes any HMAC secret, so this is a
    /// broken build, not a bad key).
    #[error("the signing provider refused the HS256 key")]
    Unusable,
    /// The active key's id names no listed key.
    #[error("the active key id {0:?} names no listed key")]
    ActiveNotListed(String),
}
