//! Gives every request its id (see [`crate::request_id`]): current while the rest of the chain
//! runs, so every log line of the request names it, and sent back in `X-Request-Id` on every
//! answer, errors and caught panics included.
//!
//! Outermost, so the access line and every other layer run inside the id's scope. An error the
//! chain returns (a caught panic) cannot take a header, and the request it belonged to is gone by
//! then, so it is wrapped in [`Identified`]: the same `errorModel` answer from the one mapping in
//! `errors.rs`, plus the header. Successful answers, and the errors handlers return (already
//! answers by then), just get the header.

use std::fmt;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{Error, HttpResponse, ResponseError};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;

use crate::request_id::{self, HEADER, RequestId};

/// Middleware assigning request ids.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AssignRequestId;

impl<S, B> Transform<S, ServiceRequest> for AssignRequestId
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = AssignRequestIdService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AssignRequestIdService { service }))
    }
}

/// [`AssignRequestId`] around one service.
#[derive(Debug)]
pub(crate) struct AssignRequestIdService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for AssignRequestIdService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Answered<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let id = RequestId::for_request(request.headers());
        let inner = request_id::sync_scope(id.clone(), || self.service.call(request));
        Answered {
            inner: request_id::scope(id, inner),
        }
    }
}

pin_project! {
    /// The rest of the chain's future, polled with the id current; labels its answer.
    pub(crate) struct Answered<F> {
        #[pin]
        inner: TaskLocalFuture<RequestId, F>,
    }
}

impl<F: Future<Output = Result<ServiceResponse<B>, Error>>, B> Future for Answered<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        let outcome = std::task::ready!(inner.as_mut().poll(cx));
        let Some(id) = inner.take_value() else {
            return Poll::Ready(outcome);
        };
        let request_id = id.header_value();
        Poll::Ready(match outcome {
            Ok(mut response) => {
                response.headers_mut().insert(HEADER, request_id);
                Ok(response)
            }
            Err(error) => Err(Identified { error, request_id }.into()),
        })
    }
}

/// An error the chain returned, answered as it would be, with the request id.
#[derive(Debug)]
struct Identified {
    error: Error,
    request_id: HeaderValue,
}

impl fmt::Display for Identified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Identified {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        response
            .headers_mut()
            .insert(HEADER, self.request_id.clone());
        response
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use actix_web::dev::Service as _;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;
    use crate::middleware::catch_panic::CatchPanic;

    /// Every record logged in this test binary, with the request id current when it was.
    static LOGGED: Mutex<Vec<(String, Option<String>)>> = Mutex::new(Vec::new());

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            let id = request_id::current().map(|id| id.to_string());
            LOGGED.lock().unwrap().push((record.args().to_string(), id));
        }

        fn flush(&self) {}
    }

    async fn panics() -> HttpResponse {
        panic!("deliberate panic in a test handler")
    }

    #[actix_rt::test]
    async fn a_caught_panic_is_answered_and_logged_with_the_request_id() {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Info);
        let app = test::init_service(
            App::new()
                .route("/panic", web::get().to(panics))
                .wrap(CatchPanic)
                .wrap(AssignRequestId),
        )
        .await;
        let request = test::TestRequest::get()
            .uri("/panic")
            .insert_header((HEADER, "panic-7"))
            .to_request();
        let Err(error) = app.call(request).await else {
            panic!("a caught panic is an error result");
        };
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers().get(HEADER).unwrap(), "panic-7");
        let logged = LOGGED.lock().unwrap();
        let (_, id) = logged
            .iter()
            .find(|(message, _)| message.contains("panicked"))
            .unwrap_or_else(|| panic!("the panic was not logged: {logged:?}"));
        assert_eq!(id.as_deref(), Some("panic-7"));
    }
}
