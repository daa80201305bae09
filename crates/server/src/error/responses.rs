//! The error answers the operations document, as response types the handlers' `utoipa::path`
//! attributes list. No example is written here: [`super::examples`] makes each one from the
//! server's own error mapping, so that it shows what the server really sends.

use ccstore_model::{ErrorModel, LoginErrorModel};
use utoipa::IntoResponses;

/// The error answers every token operation (refresh, verify, logout) shares, all `errorModel`.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum ErrorResponses {
    /// The body was sent as JSON but is not a JSON object.
    #[response(
        status = 400,
        description = "The body was sent as JSON (`Content-Type: application/json`) but is not a JSON object; send `{}`, a form body, or no body."
    )]
    BodyNotAnObject(ErrorModel),
    /// The token was refused.
    #[response(
        status = 401,
        description = "The token is missing, malformed, forged, expired, from another issuer, or its session has ended.",
        headers(("WWW-Authenticate" = String, description = "The RFC 6750 Bearer challenge; `error=\"invalid_token\"` when a token was sent."))
    )]
    Unauthenticated(ErrorModel),
    /// The body is over the size limit.
    #[response(
        status = 413,
        description = "The body is larger than the server's limit (`CCSTORE_MAX_BODY_BYTES`, 64 KiB by default)."
    )]
    BodyTooLarge(ErrorModel),
    /// The session store could not be reached.
    #[response(
        status = 503,
        description = "The session store is unreachable; retry after `Retry-After` seconds.",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying."))
    )]
    StoreUnavailable(ErrorModel),
    /// Anything else, such as an internal error.
    #[response(status = "default", description = "The error response")]
    Other(ErrorModel),
}

/// The refusals of a login: errorModel with the OAuth 2.0 `error` field (RFC 6749 §5.2).
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum LoginErrorResponses {
    /// The request or the credentials are not valid.
    #[response(
        status = 400,
        description = "The form is not valid (`invalid_request`), the grant type is not one this family takes (`unsupported_grant_type`), the login, password or passcode is not valid (`invalid_grant`), or the application key is malformed (`invalid_request`, `errorCode` 60004). The body is an `errorModel` with the OAuth 2.0 `error` field."
    )]
    Refused(LoginErrorModel),
    /// The application key is missing or not registered.
    #[response(
        status = 401,
        description = "`client_credentials` without an application key as the Bearer credential (`invalid_request`), or with one that is not registered for this family (`invalid_client`)."
    )]
    Unauthenticated(LoginErrorModel),
    /// The account is locked.
    #[response(
        status = 429,
        description = "Too many consecutive failed logins of this account (`invalid_grant`): refused, whatever the password, for `Retry-After` seconds. Answered the same whether or not the account exists.",
        headers(("Retry-After" = u32, description = "Seconds until the account's logins are taken again."))
    )]
    Locked(LoginErrorModel),
    /// The password checks are saturated or the store is unreachable.
    #[response(
        status = 503,
        description = "The password-hashing queue is full or the session store is unreachable (`temporarily_unavailable`); retry after `Retry-After` seconds.",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying."))
    )]
    Busy(LoginErrorModel),
    /// Anything else, such as an internal error.
    #[response(status = "default", description = "The error response")]
    Other(ErrorModel),
}

/// The 405 of the probes, which answer GET, HEAD and OPTIONS.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum ProbeMethodNotAllowed {
    /// Another method.
    #[response(
        status = 405,
        description = "Another method than GET, HEAD or OPTIONS."
    )]
    MethodNotAllowed(ErrorModel),
}

/// The 503 of the readiness probe.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum NotReadyResponse {
    /// The instance cannot take traffic now.
    #[response(
        status = 503,
        description = "The instance is shutting down or cannot reach the session store; `devMessage` says which.",
        headers(("Retry-After" = u32, description = "Seconds to wait before asking again."))
    )]
    NotReady(ErrorModel),
}
