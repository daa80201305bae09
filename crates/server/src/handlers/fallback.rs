//! Answers for requests no operation takes: unknown paths and wrong methods.

use actix_web::{HttpResponse, Route, web};

use crate::errors::ApiError;

/// 404 for any path without a route.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A route answering 405 with `Allow: allow`, for the methods a resource does not take.
pub(crate) fn method_not_allowed(allow: &'static str) -> Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) })
}
