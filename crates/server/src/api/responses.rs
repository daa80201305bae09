//! Success answers of the token endpoints: JSON with `Cache-Control: no-store` and
//! `Pragma: no-cache` (RFC 6749 §5.1), built in one place.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder, ResponseError};
use serde::Serialize;

use crate::error::{ApiError, no_store};

/// Room for the largest usual answer, a refresh (about 450 bytes), so the body is written with
/// one allocation and no regrowth.
const BODY_CAPACITY: usize = 640;

/// A 200 JSON body that must not be cached.
#[derive(Debug)]
pub(crate) struct NoStoreJson<T>(pub(crate) T);

impl<T: Serialize> Responder for NoStoreJson<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut body = Vec::with_capacity(BODY_CAPACITY);
        if serde_json::to_writer(&mut body, &self.0).is_err() {
            return ApiError::Status(StatusCode::INTERNAL_SERVER_ERROR).error_response();
        }
        let mut response = HttpResponseBuilder::new(StatusCode::OK);
        no_store(&mut response);
        response
            .append_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(body)
    }
}
