//! The example of every documented error answer, made by the server's one error mapping
//! ([`ApiError`]'s `error_response`, the code that answers real requests) from the failure the
//! answer stands for: body and headers, never typed a second time, so they cannot drift apart.

use actix_web::ResponseError;
use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use ccstore_core::{LoginError, ThrottleRule, TokenError};
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::ApiError;
use crate::family::STORE;
use crate::readiness::NotReady;
use crate::routes::{GET_ALLOW, Operation, READY_OPERATION, Route};

/// The failure a documented error answer of operation `operation_id` at `path` stands for, by
/// its status key; `None` for a success or a status without a documented example. A family's
/// operation shows its family's 401 code.
pub(crate) fn documented_failure(path: &str, operation_id: &str, status: &str) -> Option<ApiError> {
    let served = Route::of(path).operation();
    let code = served
        .map_or(STORE, |served| served.family)
        .unauthenticated_code;
    if served.is_some_and(|served| served.operation == Operation::Login) {
        let error = match status {
            "400" => LoginError::InvalidGrant,
            "401" => LoginError::MissingAppKey,
            "429" => LoginError::Locked {
                retry_after: ThrottleRule::default().lockout,
            },
            "503" => LoginError::Busy,
            "default" => return Some(ApiError::Panic),
            _ => return None,
        };
        let code = (status == "401").then_some(code);
        return Some(ApiError::Login { error, code });
    }
    Some(match status {
        "400" => ApiError::BodyNotAnObject,
        "401" => ApiError::Token {
            error: TokenError::Expired,
            code,
        },
        "405" => ApiError::MethodNotAllowed { allow: GET_ALLOW },
        "413" => ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE),
        "503" if operation_id == READY_OPERATION => ApiError::NotReady(NotReady::ShuttingDown),
        "503" => ApiError::Token {
            error: TokenError::StoreUnavailable,
            code,
        },
        // What no other status documents: an internal error.
        "default" => ApiError::Panic,
        _ => return None,
    })
}

/// An error answer as the server sends it.
pub(crate) struct Answer {
    /// The JSON body.
    pub(crate) body: Value,
    /// The headers, by lowercase name.
    pub(crate) headers: Vec<(String, String)>,
}

impl Answer {
    /// What the server answers for `error`.
    pub(crate) fn of(error: &ApiError) -> Self {
        let response = error.error_response();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or_default().to_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = response
            .into_body()
            .try_into_bytes()
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self { body, headers }
    }

    /// A header's value as a documented example: a number when it is one (`Retry-After`).
    pub(crate) fn header_example(&self, name: &str) -> Option<Value> {
        let (_, value) = self
            .headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))?;
        Some(
            value
                .parse::<u64>()
                .map_or_else(|_| Value::String(value.clone()), Value::from),
        )
    }
}

/// Puts the mapping's answer, body and documented headers, on every documented error response.
pub(crate) struct ErrorExamples;

impl Modify for ErrorExamples {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, operation) in crate::api::operations_by_path_mut(openapi) {
            let id = operation.operation_id.clone().unwrap_or_default();
            for (status, response) in &mut operation.responses.responses {
                let (RefOr::T(response), Some(error)) =
                    (response, documented_failure(path, &id, status))
                else {
                    continue;
                };
                let answer = Answer::of(&error);
                for content in response.content.values_mut() {
                    if let RefOr::T(content) = content {
                        content.example = Some(answer.body.clone());
                    }
                }
                for (name, header) in &mut response.headers {
                    if let RefOr::T(header) = header {
                        header.example = answer.header_example(name);
                    }
                }
            }
        }
    }
}
