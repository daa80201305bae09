//! Success answers of the token endpoints: JSON with `Cache-Control: no-store` and
//! `Pragma: no-cache` (RFC 6749 §5.1), built in one place.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder, ResponseError};
use ccstore_model::{HealthStatus, LogoutResponse, RefreshResponse, VerifyResponse};
use serde::Serialize;

use crate::errors::{ApiError, no_store};

/// Room for the largest usual answer, a refresh (about 450 bytes), so the body is written with
/// one allocation and no regrowth.
const BODY_CAPACITY: usize = 640;

/// A success body: serialized by serde unless the type writes its own JSON faster.
pub(crate) trait JsonBody: Serialize {
    /// Appends the body as JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

impl JsonBody for HealthStatus {}
impl JsonBody for LogoutResponse {}
impl JsonBody for VerifyResponse {}

impl JsonBody for RefreshResponse {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        RefreshResponse::write_json(self, out)
    }
}

/// A 200 JSON body that must not be cached.
#[derive(Debug)]
pub(crate) struct NoStoreJson<T>(pub(crate) T);

impl<T: JsonBody> Responder for NoStoreJson<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut body = Vec::with_capacity(BODY_CAPACITY);
        if self.0.write_json(&mut body).is_err() {
            return ApiError::Status(StatusCode::INTERNAL_SERVER_ERROR).error_response();
        }
        let mut response = HttpResponseBuilder::new(StatusCode::OK);
        no_store(&mut response);
        response
            .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(body)
    }
}
