//! Which methods a route takes, and answers for requests no operation takes: unknown paths,
//! wrong methods, and `OPTIONS` (which RFC 9110 §9.3.7 answers with the methods a resource
//! allows).

use actix_web::http::{Method, header};
use actix_web::{HttpResponse, Route, guard, web};

use crate::error::ApiError;

/// 404 for any path without a route.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A route taking requests of `methods` only. actix-web's own method guards (`web::post()`,
/// `guard::Get()`) also note every method they test in the request's extensions, for actix's
/// default 405 answer: a `Vec` and a map entry allocated on every request. Every resource here
/// answers 405 itself ([`method_not_allowed`], with a fixed `Allow`), so this guard only compares.
pub(crate) fn method_route(methods: &'static [Method]) -> Route {
    web::route().guard(guard::fn_guard(move |context| {
        methods.contains(&context.head().method)
    }))
}

/// A route answering 405 with `Allow: allow`, for the methods a resource does not take.
pub(crate) fn method_not_allowed(allow: &'static str) -> Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) })
}

/// A route answering `OPTIONS` with 204 and `Allow: allow`. CORS preflights never reach it: the
/// CORS middleware answers them.
pub(crate) fn options(allow: &'static str) -> Route {
    method_route(&[Method::OPTIONS]).to(move || async move {
        HttpResponse::NoContent()
            .insert_header((header::ALLOW, allow))
            .finish()
    })
}
