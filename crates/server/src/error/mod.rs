//! The one mapping from failures to HTTP: every error the server answers with, whatever layer it
//! comes from (token and session rules, the session store, routing, extractors, panics), becomes
//! an `errorModel` body here.

mod examples;
mod responses;

pub(crate) use examples::ErrorExamples;
pub(crate) use responses::{
    ErrorResponses, LoginErrorResponses, NotReadyResponse, ProbeMethodNotAllowed,
};

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use ccstore_core::{LoginError, TokenError};
use ccstore_model::{ErrorModel, LoginErrorModel};

use crate::readiness::NotReady;

/// OCC's message for every rejected token.
pub(crate) const NOT_AUTHENTICATED_MESSAGE: &str = "The user is not authenticated.";
/// Seconds a client should wait before retrying when the session store is unreachable.
pub(crate) const STORE_RETRY_AFTER_SECONDS: u32 = 1;
/// Why a JSON request body was refused: the documented request schemas are objects.
pub(crate) const BODY_NOT_AN_OBJECT: &str =
    "a JSON request body must be an object, such as {}; a form body or no body is accepted too";

/// Why a request with `Upgrade: websocket` was refused: its body would run to the end of the
/// connection.
pub(crate) const UPGRADE_REFUSED: &str =
    "ccstore does not upgrade connections; send the request without Upgrade: websocket";

/// Everything the server can answer with besides success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// The token was missing or refused, or could not be checked, on an operation of the family
    /// whose 401 `errorCode` is `code`.
    Token {
        /// Why.
        error: TokenError,
        /// The family's `errorCode` for a 401.
        code: &'static str,
    },
    /// No route matches the path.
    NotFound,
    /// The path exists, but not for this method.
    MethodNotAllowed {
        /// The methods the path does answer, for the `Allow` header.
        allow: &'static str,
    },
    /// A body sent as JSON that is not a JSON object (the request schemas are objects).
    BodyNotAnObject,
    /// A token operation asked to upgrade the connection to WebSocket.
    UpgradeRefused,
    /// Any other error status (a body too large or unreadable).
    Status(StatusCode),
    /// A handler panicked.
    Panic,
    /// The instance cannot do its job now (readiness).
    NotReady(NotReady),
    /// A CORS preflight asked for an origin, method or header that is not allowed; says which.
    CorsRefused(String),
    /// A login was refused; `code` is the family's `errorCode` for it, if OCC has one.
    Login {
        /// Why.
        error: LoginError,
        /// errorModel's `errorCode`.
        code: Option<&'static str>,
    },
}

impl ApiError {
    fn message(&self) -> &'static str {
        if let Self::Login { error, .. } = self {
            return error.message();
        }
        match self.status_code() {
            StatusCode::UNAUTHORIZED => NOT_AUTHENTICATED_MESSAGE,
            StatusCode::NOT_FOUND => "No resource exists at this path.",
            StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed on this resource.",
            StatusCode::SERVICE_UNAVAILABLE => {
                "The service is temporarily unavailable; retry later."
            }
            StatusCode::INTERNAL_SERVER_ERROR => "An internal error occurred.",
            status => status.canonical_reason().unwrap_or("Request failed."),
        }
    }

    fn body(&self) -> ErrorModel {
        let status = self.status_code();
        let (error_code, dev_message) = match self {
            Self::Token { error, code } if status == StatusCode::UNAUTHORIZED => {
                (Some(*code), Some(error.to_string()))
            }
            Self::Token {
                error: error @ TokenError::StoreUnavailable,
                ..
            } => (None, Some(error.to_string())),
            Self::NotReady(reason) => (None, Some(reason.to_string())),
            Self::CorsRefused(refusal) => (None, Some(refusal.clone())),
            Self::BodyNotAnObject => (None, Some(BODY_NOT_AN_OBJECT.to_owned())),
            Self::UpgradeRefused => (None, Some(UPGRADE_REFUSED.to_owned())),
            Self::Login { code, .. } => (*code, None),
            _ => (None, None),
        };
        ErrorModel {
            status: Some(status.as_str().to_owned()),
            message: Some(self.message().to_owned()),
            error_code: error_code.map(str::to_owned),
            dev_message,
            type_uri: Some(format!(
                "https://www.rfc-editor.org/rfc/rfc9110#status.{}",
                status.as_str()
            )),
            ..ErrorModel::default()
        }
    }

    /// `WWW-Authenticate` for a 401 (RFC 6750 §3): `invalid_token` when a token was sent.
    fn challenge(error: &TokenError) -> HeaderValue {
        let challenge = if error.token_was_sent() {
            format!(r#"Bearer realm="ccstore", error="invalid_token", error_description="{error}""#)
        } else {
            r#"Bearer realm="ccstore""#.to_owned()
        };
        HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token { error, .. } => write!(f, "{error}"),
            _ => f.write_str(self.message()),
        }
    }
}

impl From<NotReady> for ApiError {
    fn from(reason: NotReady) -> Self {
        Self::NotReady(reason)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Token {
                error: TokenError::Signing,
                ..
            }
            | Self::Panic => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Token {
                error: TokenError::StoreUnavailable,
                ..
            }
            | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Token { .. } => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::CorsRefused(_) | Self::BodyNotAnObject | Self::UpgradeRefused => {
                StatusCode::BAD_REQUEST
            }
            Self::Status(status) => *status,
            Self::Login { error, .. } => {
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponseBuilder::new(status);
        no_store(&mut response);
        match self {
            Self::Token { error, .. } if status == StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, Self::challenge(error)));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, *allow));
            }
            Self::Login { error, .. } => {
                if let Some(seconds) = error.retry_after() {
                    response.insert_header((header::RETRY_AFTER, seconds));
                }
                return response.json(LoginErrorModel {
                    error: error.oauth_error().to_owned(),
                    model: self.body(),
                });
            }
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                response.insert_header((header::RETRY_AFTER, STORE_RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        response.json(self.body())
    }
}

/// Why a presented token (or its absence) was not accepted: the `reason` label of
/// `ccstore_rejected_tokens_total`. Derived from [`TokenError`] in [`ApiError::rejection`], next
/// to its HTTP status, so that the two never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// No Bearer credential.
    Missing,
    /// Not a well-formed JWT.
    Malformed,
    /// Signed with another algorithm than HS256, or none.
    UnsupportedAlgorithm,
    /// Forged: the signature does not match the key.
    BadSignature,
    /// The token names a key (`kid`) that is not, or no longer, configured.
    UnknownKey,
    /// A required claim is absent.
    MissingClaim,
    /// Another issuer.
    WrongIssuer,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// The session reached its absolute lifetime.
    SessionLifetime,
    /// The session was ended by a logout or a replay.
    Revoked,
    /// A token refreshed before, presented again after the grace window.
    Replayed,
    /// The session store did not answer: the token could not be checked (fail closed).
    StoreUnavailable,
}

impl Rejection {
    /// Every reason, each at its [`index`](Self::index).
    pub(crate) const ALL: [Self; 13] = [
        Self::Missing,
        Self::Malformed,
        Self::UnsupportedAlgorithm,
        Self::BadSignature,
        Self::UnknownKey,
        Self::MissingClaim,
        Self::WrongIssuer,
        Self::Expired,
        Self::NotYetValid,
        Self::SessionLifetime,
        Self::Revoked,
        Self::Replayed,
        Self::StoreUnavailable,
    ];

    /// Position in [`ALL`](Self::ALL).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::MissingClaim => "missing_claim",
            Self::WrongIssuer => "wrong_issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::SessionLifetime => "session_lifetime",
            Self::Revoked => "revoked",
            Self::Replayed => "replayed",
            Self::StoreUnavailable => "store_unavailable",
        }
    }
}

impl ApiError {
    /// Why a token was not accepted, when this error is a token's refusal. A signing failure is
    /// the server's fault, not the token's, and counts only as a 500.
    pub(crate) fn rejection(&self) -> Option<Rejection> {
        let Self::Token { error, .. } = self else {
            return None;
        };
        Some(match error {
            TokenError::Missing => Rejection::Missing,
            TokenError::Malformed => Rejection::Malformed,
            TokenError::UnsupportedAlgorithm => Rejection::UnsupportedAlgorithm,
            TokenError::BadSignature => Rejection::BadSignature,
            TokenError::UnknownKey => Rejection::UnknownKey,
            TokenError::MissingClaim(_) => Rejection::MissingClaim,
            TokenError::WrongIssuer => Rejection::WrongIssuer,
            TokenError::Expired => Rejection::Expired,
            TokenError::NotYetValid => Rejection::NotYetValid,
            TokenError::SessionLifetimeReached => Rejection::SessionLifetime,
            TokenError::Revoked => Rejection::Revoked,
            TokenError::Replayed => Rejection::Replayed,
            TokenError::StoreUnavailable => Rejection::StoreUnavailable,
            TokenError::Signing => return None,
        })
    }
}

/// Token responses and errors must not be cached (RFC 6749 §5.1). For a builder that has no
/// such header yet: appended, as every header of a fresh answer is, because `HeaderMap::insert`
/// also moves the values it replaces out, a copy per header on every answer.
pub(crate) fn no_store(response: &mut HttpResponseBuilder) {
    response
        .append_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .append_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
}
