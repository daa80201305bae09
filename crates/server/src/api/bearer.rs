//! The `Authorization: Bearer` credential as an extractor, so a handler that takes one never runs
//! without it and a refusal is a 401 `errorModel`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use ccstore_core::{TokenError, bearer_token};

use crate::error::ApiError;
use crate::family::ServedFamily;

/// The bearer token the request presents.
#[derive(Debug)]
pub(crate) struct BearerToken(pub(crate) String);

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut values = request.headers().get_all(AUTHORIZATION);
        let first = values.next();
        // Two Authorization headers are ambiguous: refuse rather than pick one.
        let outcome = if values.next().is_some() {
            Err(TokenError::Malformed)
        } else {
            bearer_token(first.map(actix_web::http::header::HeaderValue::as_bytes))
                .map(|token| Self(token.to_owned()))
        };
        ready(outcome.map_err(|error| match ServedFamily::of(request) {
            Some(family) => family.refused(error),
            None => ApiError::Token {
                error,
                code: crate::family::STORE.unauthenticated_code,
            },
        }))
    }
}
