//! Answers 431 `errorModel` to a request whose head is larger than the configured limit.
//!
//! actix-http refuses heads over its own fixed 128 KiB buffer before the application sees them,
//! with an empty 431; this check gives operators a smaller, configurable limit whose answer is in
//! the error contract. The size counted is the head as sent: request line, then each header as
//! `name: value\r\n`.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use futures_util::future::Either;

use crate::error::ApiError;

/// Middleware refusing request heads over `max_bytes`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderLimit {
    /// Largest head accepted, in bytes.
    pub(crate) max_bytes: usize,
}

impl<S, B> Transform<S, ServiceRequest> for HeaderLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = HeaderLimitService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HeaderLimitService {
            service,
            max_bytes: self.max_bytes,
        }))
    }
}

/// [`HeaderLimit`] around one service.
#[derive(Debug)]
pub(crate) struct HeaderLimitService<S> {
    service: S,
    max_bytes: usize,
}

impl<S, B> Service<ServiceRequest> for HeaderLimitService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Either<S::Future, Ready<Result<ServiceResponse<B>, Error>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        if head_size(&request) > self.max_bytes {
            let too_large = ApiError::Status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
            return Either::Right(ready(Err(too_large.into())));
        }
        Either::Left(self.service.call(request))
    }
}

/// The size of the request head as sent over HTTP/1.1.
fn head_size(request: &ServiceRequest) -> usize {
    // "METHOD target HTTP/1.1\r\n"; the target in origin form, as clients send it.
    let target = request
        .uri()
        .path_and_query()
        .map_or(1, |target| target.as_str().len());
    let request_line = request.method().as_str().len() + target + 12;
    request
        .headers()
        .iter()
        .fold(request_line, |size, (name, value)| {
            size + name.as_str().len() + value.len() + 4
        })
}
