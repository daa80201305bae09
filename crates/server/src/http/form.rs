//! The body of a login: an `application/x-www-form-urlencoded` form (RFC 6749 §4.3, §4.4). There
//! the body is the credential, so no token can be checked before it; it is read as every body
//! is, at most [`Limits::max_body_bytes`](crate::http::limits::Limits) and within
//! [`Limits::body_timeout`](crate::http::limits::Limits) (408 after it), never longer. A field
//! sent twice, a body that is not a form, or bytes that are not one are `invalid_request`.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::{BytesMut, Data};
use actix_web::{FromRequest, HttpRequest};
use ccstore_core::LoginError;
use ccstore_model::LoginRequest;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::AppState;
use crate::error::ApiError;
use crate::http::body::{asks_for_websocket, declares_more_than, has_media_type};
use crate::http::limits::Limits;

/// The media type a login's body must have.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A login's form, read and parsed.
#[derive(Debug)]
pub(crate) struct LoginForm(pub(crate) LoginRequest);

fn invalid(detail: &'static str) -> ApiError {
    ApiError::Login {
        error: LoginError::InvalidRequest(detail),
        code: None,
    }
}

impl FromRequest for LoginForm {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = request
            .app_data::<Data<AppState>>()
            .map_or_else(Limits::default, |state| state.limits);
        let headers = request.headers();
        let refusal = if asks_for_websocket(headers) {
            Some(ApiError::UpgradeRefused)
        } else if declares_more_than(headers, limits.max_body_bytes) {
            Some(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE))
        } else if !has_media_type(headers, FORM) {
            Some(invalid(
                "A login is a form: send Content-Type: application/x-www-form-urlencoded.",
            ))
        } else {
            None
        };
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(refusal) = refusal {
                return Err(refusal);
            }
            let read = async {
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| ApiError::Status(StatusCode::BAD_REQUEST))?;
                    if body.len() + chunk.len() > limits.max_body_bytes {
                        return Err(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            let body = actix_web::rt::time::timeout(limits.body_timeout, read)
                .await
                .map_err(|_| ApiError::Status(StatusCode::REQUEST_TIMEOUT))??;
            serde_urlencoded::from_bytes(&body)
                .map(Self)
                .map_err(|_| invalid("The form is not valid: each field at most once, as text."))
        })
    }
}
