//! The request body of the token operations: read (so the size limit holds and the connection
//! stays usable), held to the documented schema when it is sent as JSON (an object, whatever its
//! fields), and otherwise ignored, whatever clients send. Refusals are `ApiError`s like every other.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{FromRequest, HttpRequest};
use futures_util::Stream;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::AppState;
use crate::errors::ApiError;
use crate::limits::Limits;

/// A body that was read to its end, at most [`Limits::max_body_bytes`] long, and thrown away:
/// empty, a JSON object (`{}`, `{"refresh_token": ...}`), or anything not sent as JSON (a form).
#[derive(Debug)]
pub(crate) struct IgnoredBody;

impl FromRequest for IgnoredBody {
    type Error = ApiError;
    type Future = Drain;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<Data<AppState>>()
            .map_or(Limits::DEFAULT_BODY_BYTES, |state| {
                state.limits.max_body_bytes
            });
        let headers = request.headers();
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Drain::Refused(Some(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE)));
        }
        let is_json = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|media_type| {
                let essence = media_type.split(';').next().unwrap_or_default().trim();
                essence.eq_ignore_ascii_case("application/json")
            });
        Drain::Reading {
            payload: payload.take(),
            read: 0,
            limit,
            json: is_json.then_some(ReceivedJson::Empty),
        }
    }
}

/// Reads the payload to its end, counting bytes and keeping them only to check a JSON body.
pub(crate) enum Drain {
    /// Still reading.
    Reading {
        /// The body.
        payload: Payload,
        /// Bytes read so far.
        read: usize,
        /// Most bytes allowed.
        limit: usize,
        /// The body so far, when it is sent as JSON.
        json: Option<ReceivedJson>,
    },
    /// Refused before reading; taken when answered.
    Refused(Option<ApiError>),
}

impl Future for Drain {
    type Output = Result<IgnoredBody, ApiError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let too_large = || ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE);
        let bad_request = || ApiError::Status(StatusCode::BAD_REQUEST);
        match self.get_mut() {
            Drain::Refused(error) => Poll::Ready(Err(error.take().unwrap_or_else(bad_request))),
            Drain::Reading {
                payload,
                read,
                limit,
                json,
            } => loop {
                match std::task::ready!(Pin::new(&mut *payload).poll_next(cx)) {
                    None => {
                        let acceptable = json.as_ref().is_none_or(|body| {
                            let body = body.as_slice();
                            body.is_empty() || serde_json::from_slice::<AnyObject>(body).is_ok()
                        });
                        return Poll::Ready(if acceptable {
                            Ok(IgnoredBody)
                        } else {
                            Err(ApiError::BodyNotAnObject)
                        });
                    }
                    Some(Ok(chunk)) => {
                        *read += chunk.len();
                        if *read > *limit {
                            return Poll::Ready(Err(too_large()));
                        }
                        if let Some(body) = json {
                            body.push(chunk);
                        }
                    }
                    Some(Err(PayloadError::Overflow)) => return Poll::Ready(Err(too_large())),
                    Some(Err(_)) => return Poll::Ready(Err(bad_request())),
                }
            },
        }
    }
}

/// A JSON body as it arrives: a body in one chunk (`{}`, nearly always) is kept as received,
/// without a copy; only a body in several chunks is gathered into one buffer.
pub(crate) enum ReceivedJson {
    /// Nothing received yet.
    Empty,
    /// One chunk, shared with the connection's buffer.
    Chunk(Bytes),
    /// Several chunks, copied together.
    Gathered(BytesMut),
}

impl ReceivedJson {
    fn push(&mut self, chunk: Bytes) {
        *self = match std::mem::replace(self, Self::Empty) {
            Self::Empty => Self::Chunk(chunk),
            Self::Chunk(first) => {
                let mut gathered = BytesMut::with_capacity(first.len() + chunk.len());
                gathered.extend_from_slice(&first);
                gathered.extend_from_slice(&chunk);
                Self::Gathered(gathered)
            }
            Self::Gathered(mut gathered) => {
                gathered.extend_from_slice(&chunk);
                Self::Gathered(gathered)
            }
        };
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Empty => &[],
            Self::Chunk(chunk) => chunk,
            Self::Gathered(gathered) => gathered,
        }
    }
}

/// Any JSON object, its members ignored: what `refresh_request` (and its siblings) allow.
struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AnyObjectVisitor)
    }
}

struct AnyObjectVisitor;

impl<'de> Visitor<'de> for AnyObjectVisitor {
    type Value = AnyObject;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<AnyObject, A::Error> {
        while members.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyObject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_put_together_in_order_and_one_chunk_is_kept_as_it_came() {
        let mut body = ReceivedJson::Empty;
        assert_eq!(body.as_slice(), b"");
        let first = Bytes::from_static(b"{\"a\"");
        body.push(first.clone());
        assert!(matches!(&body, ReceivedJson::Chunk(kept) if kept.as_ptr() == first.as_ptr()));
        body.push(Bytes::from_static(b":"));
        body.push(Bytes::from_static(b"1}"));
        assert_eq!(body.as_slice(), b"{\"a\":1}");
    }
}
