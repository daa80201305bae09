//! Success answers of the token endpoints: JSON with `Cache-Control: no-store` and
//! `Pragma: no-cache` (RFC 6749 §5.1), built in one place.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder};
use serde::Serialize;

use crate::errors::no_store;

/// A 200 JSON body that must not be cached.
#[derive(Debug)]
pub(crate) struct NoStoreJson<T>(pub(crate) T);

impl<T: Serialize> Responder for NoStoreJson<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponseBuilder::new(StatusCode::OK);
        no_store(&mut response);
        response.json(self.0)
    }
}
