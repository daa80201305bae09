//! Success answers of the token endpoints: JSON with `Cache-Control: no-store` and
//! `Pragma: no-cache` (RFC 6749 §5.1), built in one place.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder, ResponseError};
use ccstore_core::write_json_string;
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

/// Written by hand: a refresh answers with a token of several hundred bytes, which
/// [`write_json_string`] copies whole where `serde_json` would scan it a byte at a time. The
/// output is byte for byte `serde_json`'s (tests below).
impl JsonBody for RefreshResponse {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"{"access_token":"#);
        write_json_string(out, &self.access_token)?;
        out.extend_from_slice(br#","token_type":"#);
        write_json_string(out, &self.token_type)?;
        out.extend_from_slice(br#","expires_in":"#);
        out.extend_from_slice(itoa::Buffer::new().format(self.expires_in).as_bytes());
        out.push(b'}');
        Ok(())
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
            .append_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(response: &RefreshResponse) -> Vec<u8> {
        let mut out = Vec::new();
        response.write_json(&mut out).unwrap();
        out
    }

    #[test]
    fn the_refresh_body_is_what_serde_writes_for_it() {
        let token = RefreshResponse::bearer("eyJ0eXAi.eyJzdWIi.c2ln-_".into(), 930);
        assert_eq!(written(&token), serde_json::to_vec(&token).unwrap());
        assert_eq!(
            String::from_utf8(written(&token)).unwrap(),
            r#"{"access_token":"eyJ0eXAi.eyJzdWIi.c2ln-_","token_type":"bearer","expires_in":930}"#
        );
        let odd = RefreshResponse {
            access_token: "a\"b\\c\n".into(),
            token_type: "t\u{1}".into(),
            expires_in: u64::MAX,
        };
        assert_eq!(written(&odd), serde_json::to_vec(&odd).unwrap());
    }
}
