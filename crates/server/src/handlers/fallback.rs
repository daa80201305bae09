//! Answers for requests no operation takes: unknown paths, wrong methods, and `OPTIONS` (which
//! RFC 9110 §9.3.7 answers with the methods a resource allows).

use actix_web::http::{Method, header};
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

/// A route answering `OPTIONS` with 204 and `Allow: allow`. CORS preflights never reach it: the
/// CORS middleware answers them.
pub(crate) fn options(allow: &'static str) -> Route {
    web::method(Method::OPTIONS).to(move || async move {
        HttpResponse::NoContent()
            .insert_header((header::ALLOW, allow))
            .finish()
    })
}
