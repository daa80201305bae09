//! The request body of the token operations: read (so the size limit holds and the connection
//! stays usable), held to the documented schema when it is sent as JSON (an object, whatever its
//! fields), and otherwise ignored, whatever clients send. Refusals are `ApiError`s like every other.
//!
//! No client without a valid token can make the server wait for a body. A body that came with
//! the head (`{}` nearly always does: clients send a request in one write) is read at once. One
//! that is not there yet is waited for only after the token has been verified, so a request
//! without a valid token is answered 401 at once (actix-http then closes the connection if the
//! body does not follow within its disconnect timeout, 1 s), and for at most
//! [`Limits::body_timeout`], after which the answer is 408. A request with `Upgrade: websocket`
//! has no framed body (actix reads it until the connection closes): it is refused, 400, without
//! reading anything.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, UPGRADE};
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{FromRequest, HttpRequest};
use ccstore_core::bearer_token;
use futures_util::Stream;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::AppState;
use crate::error::ApiError;
use crate::family::ServedFamily;
use crate::http::limits::Limits;

/// A body that was read to its end, at most [`Limits::max_body_bytes`] long, and thrown away:
/// empty, a JSON object (`{}`, `{"refresh_token": ...}`), or anything not sent as JSON (a form).
#[derive(Debug)]
pub(crate) struct IgnoredBody;

impl FromRequest for IgnoredBody {
    type Error = ApiError;
    type Future = Drain;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = request
            .app_data::<Data<AppState>>()
            .map_or_else(Limits::default, |state| state.limits);
        let headers = request.headers();
        if asks_for_websocket(headers) {
            return Drain::Refused(Some(ApiError::UpgradeRefused));
        }
        if declares_more_than(headers, limits.max_body_bytes) {
            return Drain::Refused(Some(ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE)));
        }
        let is_json = has_media_type(headers, "application/json");
        Drain::Reading {
            payload: payload.take(),
            read: 0,
            limit: limits.max_body_bytes,
            json: is_json.then_some(ReceivedJson::Empty),
            wait: Wait::Fresh {
                request: request.clone(),
                timeout: limits.body_timeout,
                yielded: false,
            },
        }
    }
}

/// Whether the request asks to upgrade to WebSocket: it then has no framed body (actix reads it
/// until the connection closes), so it is refused before anything is read.
pub(crate) fn asks_for_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
}

/// Whether the request's `Content-Length` is over `limit`: refused (413) before a byte is read.
pub(crate) fn declares_more_than(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > limit)
}

/// Whether the request's `Content-Type` is `essence` (parameters such as `charset` aside).
pub(crate) fn has_media_type(headers: &HeaderMap, essence: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|media_type| {
            let sent = media_type.split(';').next().unwrap_or_default().trim();
            sent.eq_ignore_ascii_case(essence)
        })
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
        /// Whether, and until when, the body may be waited for.
        wait: Wait,
    },
    /// Refused before reading; taken when answered.
    Refused(Option<ApiError>),
}

/// What stands between a body that is not there yet and the server waiting for it.
pub(crate) enum Wait {
    /// Nothing waited for yet.
    Fresh {
        /// The request, whose token is verified before any wait.
        request: HttpRequest,
        /// How long the body may then take.
        timeout: std::time::Duration,
        /// Whether the reader has yielded once, so that a body that came with the head, still
        /// in the connection's read buffer when the handler is first polled, is read first.
        yielded: bool,
    },
    /// The token is being verified.
    Verifying {
        /// The verification.
        check: Pin<Box<dyn Future<Output = Result<(), ApiError>>>>,
        /// How long the body may take once the token is known good.
        timeout: std::time::Duration,
    },
    /// The token is good: the body may come until this deadline.
    Deadline(Pin<Box<Sleep>>),
}

impl Wait {
    /// Polled when the body is not there: `Ready(error)` when the request must be answered now
    /// (its token is not valid, or its body is late), `Pending` while the body may still come.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<ApiError> {
        loop {
            match self {
                Self::Fresh {
                    request,
                    timeout,
                    yielded,
                } => {
                    if !*yielded {
                        *yielded = true;
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    *self = Self::Verifying {
                        check: Box::pin(verify(request.clone())),
                        timeout: *timeout,
                    };
                }
                Self::Verifying { check, timeout } => {
                    match std::task::ready!(check.as_mut().poll(cx)) {
                        Ok(()) => *self = Self::Deadline(Box::pin(sleep(*timeout))),
                        Err(error) => return Poll::Ready(error),
                    }
                }
                Self::Deadline(deadline) => {
                    std::task::ready!(deadline.as_mut().poll(cx));
                    return Poll::Ready(ApiError::Status(StatusCode::REQUEST_TIMEOUT));
                }
            }
        }
    }
}

/// Verifies the token of `request` (signature, claims, and that its session is not revoked),
/// consuming nothing: the operation itself verifies it again once the body has come.
async fn verify(request: HttpRequest) -> Result<(), ApiError> {
    let Some(family) = ServedFamily::of(&request) else {
        return Ok(());
    };
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .map(actix_web::http::header::HeaderValue::as_bytes);
    let token = bearer_token(header).map_err(|error| family.refused(error))?;
    family
        .sessions
        .verify(token)
        .await
        .map_err(|error| family.refused(error))?;
    Ok(())
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
                wait,
            } => loop {
                let next = match Pin::new(&mut *payload).poll_next(cx) {
                    Poll::Ready(next) => next,
                    Poll::Pending => {
                        return wait.poll_refusal(cx).map(Err);
                    }
                };
                match next {
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
