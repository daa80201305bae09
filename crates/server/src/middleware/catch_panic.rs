//! Turns a panic in a handler into a 500 `errorModel` instead of a dropped connection.
//!
//! The panic becomes an error result, which actix answers with [`ApiError::Panic`]'s response; the
//! request itself cannot be kept aside to build a response here, as routing needs sole ownership.

use std::panic::AssertUnwindSafe;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::errors::ApiError;

/// Runs the rest of the chain, answering 500 if it panics.
pub(crate) async fn catch_panic(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let method = request.method().clone();
    let path = request.path().to_owned();
    AssertUnwindSafe(async move { next.call(request).await })
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            log::error!("handler panicked on {method} {path}");
            Err(ApiError::Panic.into())
        })
}
