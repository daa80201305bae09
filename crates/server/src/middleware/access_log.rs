//! One access-log line per request: method, path (no query string, no headers: nothing
//! token-bearing), status and latency, at `info` under the `ccstore::access` target; probes and
//! scrapes (`/health/*`, `/metrics`), which machines send every few seconds, at `debug`. Hand-written rather
//! than `from_fn`: it sits on every request.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use pin_project_lite::pin_project;

use crate::route::Route;

const TARGET: &str = "ccstore::access";

/// Middleware writing the access log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AccessLog;

impl<S, B> Transform<S, ServiceRequest> for AccessLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = AccessLogService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AccessLogService { service }))
    }
}

/// [`AccessLog`] around one service.
#[derive(Debug)]
pub(crate) struct AccessLogService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for AccessLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Logged<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let level = if Route::of(request.match_info().as_str()).is_probe() {
            log::Level::Debug
        } else {
            log::Level::Info
        };
        let line = log::log_enabled!(target: TARGET, level).then(|| {
            (
                level,
                request.method().clone(),
                request.path().to_owned(),
                Instant::now(),
            )
        });
        Logged {
            inner: self.service.call(request),
            line,
        }
    }
}

pin_project! {
    /// The rest of the chain's future; logs its outcome when it completes.
    pub(crate) struct Logged<F> {
        #[pin]
        inner: F,
        line: Option<(log::Level, Method, String, Instant)>,
    }
}

impl<F: Future<Output = Result<ServiceResponse<B>, Error>>, B> Future for Logged<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = std::task::ready!(this.inner.poll(cx));
        if let Some((level, method, path, started)) = this.line.take() {
            let status = match &outcome {
                Ok(response) => response.status(),
                Err(error) => error.as_response_error().status_code(),
            };
            let micros = started.elapsed().as_micros();
            let line = format_args!(
                "{method} {path} {} {}.{:03}ms",
                status.as_u16(),
                micros / 1000,
                micros % 1000
            );
            if level == log::Level::Info {
                crate::logging::access(TARGET, line);
            } else {
                log::log!(target: TARGET, level, "{line}");
            }
        }
        Poll::Ready(outcome)
    }
}
