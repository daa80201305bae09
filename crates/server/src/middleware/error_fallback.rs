//! Gives an `errorModel` body to error responses made outside [`ApiError`]: actix's own answers for
//! extractor failures and payload limits (413) carry plain text otherwise.

use actix_web::ResponseError;
use actix_web::dev::ServiceResponse;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};

use crate::errors::{ApiError, ErrorModelBody};

/// Middleware that rewrites every 4xx/5xx response lacking an `errorModel` body.
pub(crate) fn error_model_fallback<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_error_model)
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "the signature ErrorHandlers requires"
)]
fn to_error_model<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if response
        .response()
        .extensions()
        .contains::<ErrorModelBody>()
    {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let (request, _) = response.into_parts();
    let replacement = ApiError::Status(status).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
