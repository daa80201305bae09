//! The request body of the token operations: read (so the size limit holds and the connection
//! stays usable) and ignored, whatever clients send. Refusals are `ApiError`s like every other.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{FromRequest, HttpRequest};
use futures_util::Stream;

use crate::app::MAX_BODY_BYTES;
use crate::errors::ApiError;

/// A body that was read to its end, at most [`MAX_BODY_BYTES`] long, and thrown away.
#[derive(Debug)]
pub(crate) struct IgnoredBody;

impl FromRequest for IgnoredBody {
    type Error = ApiError;
    type Future = Drain;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
            return Drain::Refused(Some(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE)));
        }
        Drain::Reading {
            payload: payload.take(),
            read: 0,
        }
    }
}

/// Reads the payload to its end, counting bytes.
pub(crate) enum Drain {
    /// Still reading.
    Reading {
        /// The body.
        payload: Payload,
        /// Bytes read so far.
        read: usize,
    },
    /// Refused before reading; taken when answered.
    Refused(Option<ApiError>),
}

impl Future for Drain {
    type Output = Result<IgnoredBody, ApiError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Drain::Refused(error) => Poll::Ready(Err(error
                .take()
                .unwrap_or(ApiError::Status(StatusCode::BAD_REQUEST)))),
            Drain::Reading { payload, read } => loop {
                match std::task::ready!(Pin::new(&mut *payload).poll_next(cx)) {
                    None => return Poll::Ready(Ok(IgnoredBody)),
                    Some(Ok(chunk)) => {
                        *read += chunk.len();
                        if *read > MAX_BODY_BYTES {
                            return Poll::Ready(Err(ApiError::Status(
                                StatusCode::PAYLOAD_TOO_LARGE,
                            )));
                        }
                    }
                    Some(Err(PayloadError::Overflow)) => {
                        return Poll::Ready(Err(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE)));
                    }
                    Some(Err(_)) => {
                        return Poll::Ready(Err(ApiError::Status(StatusCode::BAD_REQUEST)));
                    }
                }
            },
        }
    }
}
