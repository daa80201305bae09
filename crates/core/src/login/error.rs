//! Why a login was refused, and what each refusal means on the wire: the OAuth 2.0 `error` code
//! (RFC 6749 §5.2) clients such as Storefront Classic and occ-tools read, the HTTP status, the
//! `errorCode` and `message` of errorModel that OSF reads. The server maps these to responses in
//! its one error mapping; nothing here names a user, a password or a key.
//!
//! Statuses follow RFC 6749 §5.2 and Oracle's fixtures: a missing application key is `401
//! invalid_request` and a malformed one `400` with OCC's `60004` "Invalid OAuth token format.";
//! a key that is not registered for the family is `401 invalid_client`; bad user credentials are
//! `400 invalid_grant`. Where RFC 6749 and OCC are silent: a locked account is `429` (with
//! `invalid_grant`, so OAuth clients show a failed login, and `Retry-After`), a full hashing
//! queue or an unreachable store is `503 temporarily_unavailable` (RFC 6749 §4.1.2.1's code) with
//! `Retry-After`. OCC documents no `errorCode` but for 401s (the family's) and the malformed key,
//! so the others carry none.

use thiserror::Error;

use crate::family::Family;
use crate::login::pool::PoolError;
use crate::{StoreError, TokenError};

/// Seconds a client is told to wait when the service is busy or its store unreachable.
pub const BUSY_RETRY_AFTER: u64 = 1;

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoginError {
    /// No family of this name is configured.
    #[error("there is no such family")]
    UnknownFamily,
    /// A field is missing or repeated.
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// `client_credentials` without an `Authorization: Bearer` application key.
    #[error("no application key was sent")]
    MissingAppKey,
    /// An `Authorization: Bearer` credential that is not a well-formed token.
    #[error("the application key is malformed")]
    MalformedAppKey,
    /// An application key that is not registered, or not for this family.
    #[error("the application key is not valid for this family")]
    InvalidClient,
    /// A `grant_type` this family does not take.
    #[error("this family does not take this grant type")]
    UnsupportedGrantType,
    /// Wrong username, password or passcode, or a passcode used before.
    #[error("the credentials are not valid")]
    InvalidGrant,
    /// Too many failed logins of this account: refused for `retry_after` seconds.
    #[error("the account is locked after too many failed logins")]
    Locked {
        /// Seconds until the lock lifts.
        retry_after: u64,
    },
    /// The password-hashing queue is full.
    #[error("the password-hashing queue is full")]
    Busy,
    /// The attempts store could not answer; logins fail closed.
    #[error("{0}")]
    Unavailable(StoreError),
    /// The password check or the token signing failed on our side.
    #[error("the login could not be completed")]
    Internal,
}

impl From<PoolError> for LoginError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Busy => Self::Busy,
            PoolError::Failed => Self::Internal,
        }
    }
}

impl From<StoreError> for LoginError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error)
    }
}

impl From<TokenError> for LoginError {
    fn from(_: TokenError) -> Self {
        Self::Internal
    }
}

impl LoginError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnknownFamily => 404,
            Self::InvalidRequest(_)
            | Self::MalformedAppKey
            | Self::UnsupportedGrantType
            | Self::InvalidGrant => 400,
            Self::MissingAppKey | Self::InvalidClient => 401,
            Self::Locked { .. } => 429,
            Self::Busy | Self::Unavailable(_) => 503,
            Self::Internal => 500,
        }
    }

    /// The OAuth 2.0 `error` code of the answer.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Self::UnknownFamily
            | Self::InvalidRequest(_)
            | Self::MissingAppKey
            | Self::MalformedAppKey => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidGrant | Self::Locked { .. } => "invalid_grant",
            Self::Busy | Self::Unavailable(_) => "temporarily_unavailable",
            Self::Internal => "server_error",
        }
    }

    /// errorModel's `errorCode`, where OCC has one: the family's on a 401, `60004` for a
    /// malformed application key.
    pub fn error_code(&self, family: &Family) -> Option<&'static str> {
        match self {
            Self::MissingAppKey | Self::InvalidClient => Some(family.row().unauthenticated_code),
            Self::MalformedAppKey => Some("60004"),
            _ => None,
        }
    }

    /// errorModel's `message`: what the client may show.
    pub fn message(&self) -> &'static str {
        match self {
            Self::UnknownFamily => "Not found.",
            Self::InvalidRequest(detail) => detail,
            Self::MissingAppKey => "An application key is required.",
            Self::MalformedAppKey => "Invalid OAuth token format.",
            Self::InvalidClient => "The application key is not valid.",
            Self::UnsupportedGrantType => "This grant type is not supported here.",
            Self::InvalidGrant => "The login, password or passcode is not valid.",
            Self::Locked { .. } => "Too many failed logins. Try again later.",
            Self::Busy | Self::Unavailable(_) => "The service is busy. Try again shortly.",
            Self::Internal => "The login could not be completed.",
        }
    }

    /// Seconds for a `Retry-After` header, where the answer has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Locked { retry_after } => Some(*retry_after),
            Self::Busy | Self::Unavailable(_) => Some(BUSY_RETRY_AFTER),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Families;

    #[test]
    fn each_refusal_maps_to_its_oauth_code_status_and_occ_code() {
        let families = Families::default();
        let admin = families.get("admin").unwrap();
        let store = families.get("store").unwrap();
        let cases = [
            (
                LoginError::MissingAppKey,
                401,
                "invalid_request",
                Some("60006000"),
            ),
            (
                LoginError::MalformedAppKey,
                400,
                "invalid_request",
                Some("60004"),
            ),
            (
                LoginError::InvalidClient,
                401,
                "invalid_client",
                Some("60006000"),
            ),
            (
                LoginError::UnsupportedGrantType,
                400,
                "unsupported_grant_type",
                None,
            ),
            (LoginError::InvalidGrant, 400, "invalid_grant", None),
            (
                LoginError::InvalidRequest("x"),
                400,
                "invalid_request",
                None,
            ),
            (
                LoginError::Locked { retry_after: 7 },
                429,
                "invalid_grant",
                None,
            ),
            (LoginError::Busy, 503, "temporarily_unavailable", None),
            (LoginError::Internal, 500, "server_error", None),
        ];
        for (error, status, oauth, code) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.oauth_error(), oauth, "{error:?}");
            assert_eq!(error.error_code(admin), code, "{error:?}");
        }
        assert_eq!(
            LoginError::InvalidClient.error_code(store),
            Some("00001000")
        );
    }

    #[test]
    fn only_waits_carry_retry_after() {
        assert_eq!(LoginError::Locked { retry_after: 7 }.retry_after(), Some(7));
        assert_eq!(LoginError::Busy.retry_after(), Some(1));
        assert_eq!(
            LoginError::Unavailable(StoreError::Full).retry_after(),
            Some(1)
        );
        assert_eq!(LoginError::InvalidGrant.retry_after(), None);
    }
}
