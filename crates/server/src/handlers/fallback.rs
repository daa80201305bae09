//! Answers for requests no operation takes: unknown paths and wrong methods.

use actix_web::HttpResponse;

use crate::errors::ApiError;

/// 404 for any path without a route.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// 405 for a method a POST-only resource does not answer.
pub(crate) async fn post_only() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed { allow: "POST" })
}
