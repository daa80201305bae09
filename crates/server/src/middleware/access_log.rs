//! One access-log line per request: method, path (no query string, no headers, and no path
//! segment long enough to be a token: nothing token-bearing), status and latency, at `info` under
//! the `ccstore::access` target; probes and scrapes (`/health/*`, `/metrics`), which machines send
//! every few seconds, at `debug`. The request id comes with it, as with every line written while
//! the request is handled. Hand-written rather
//! than `from_fn`: it sits on every request.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use pin_project_lite::pin_project;

use crate::log_line::Access;
use crate::route::Route;

const TARGET: &str = "ccstore::access";

/// Longest path segment logged as sent. Every route's segments are shorter; a token is longer
/// (its header alone is 36 characters), so a client that puts one in the path does not get it
/// logged.
const MAX_LOGGED_SEGMENT: usize = 32;

/// Longest path logged; the rest is cut, so a client cannot fill the log with one request.
const MAX_LOGGED_PATH: usize = 256;

/// A request's path as the log shows it, held without allocating when it is as short as every
/// route's.
enum LoggedPath {
    Short {
        bytes: [u8; MAX_LOGGED_SEGMENT],
        len: usize,
    },
    Long(String),
}

impl LoggedPath {
    fn new(path: &str) -> Self {
        let mut bytes = [0; MAX_LOGGED_SEGMENT];
        match bytes.get_mut(..path.len()) {
            Some(prefix) => {
                prefix.copy_from_slice(path.as_bytes());
                Self::Short {
                    bytes,
                    len: path.len(),
                }
            }
            None => Self::Long(loggable_path(path)),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Short { bytes, len } => bytes
                .get(..*len)
                .and_then(|path| std::str::from_utf8(path).ok())
                .unwrap_or_default(),
            Self::Long(path) => path,
        }
    }
}

/// `path` as the log shows it: segments over [`MAX_LOGGED_SEGMENT`] bytes become `{redacted}`,
/// and the whole is cut to [`MAX_LOGGED_PATH`] bytes.
fn loggable_path(path: &str) -> String {
    if path.len() <= MAX_LOGGED_SEGMENT {
        return path.to_owned();
    }
    let mut logged = String::with_capacity(path.len().min(MAX_LOGGED_PATH));
    for (index, segment) in path.split('/').enumerate() {
        if index > 0 {
            logged.push('/');
        }
        if segment.len() > MAX_LOGGED_SEGMENT {
            logged.push_str("{redacted}");
        } else {
            logged.push_str(segment);
        }
        if logged.len() > MAX_LOGGED_PATH {
            let mut end = MAX_LOGGED_PATH;
            while !logged.is_char_boundary(end) {
                end -= 1;
            }
            logged.truncate(end);
            logged.push('…');
            break;
        }
    }
    logged
}

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
                LoggedPath::new(request.path()),
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
        line: Option<(log::Level, Method, LoggedPath, Instant)>,
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
            let access = Access {
                method: method.as_str(),
                path: path.as_str(),
                status: status.as_u16(),
                micros: started.elapsed().as_micros(),
            };
            if level == log::Level::Info {
                crate::logging::access(TARGET, &access);
            } else {
                log::log!(target: TARGET, level, "{access}");
            }
        }
        Poll::Ready(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_are_held_inline_and_long_ones_redacted() {
        assert!(matches!(
            LoggedPath::new("/ccstore/v1/refresh"),
            LoggedPath::Short { .. }
        ));
        assert_eq!(
            LoggedPath::new("/ccstore/v1/refresh").as_str(),
            "/ccstore/v1/refresh"
        );
        assert_eq!(LoggedPath::new("/é/ü").as_str(), "/é/ü");
        let path = format!("/x/{}", "t".repeat(40));
        assert_eq!(LoggedPath::new(&path).as_str(), "/x/{redacted}");
    }

    #[test]
    fn routes_are_logged_as_sent_and_token_sized_segments_are_redacted() {
        for route in [
            "/ccstore/v1/refresh",
            "/swagger-ui/swagger-ui-bundle.js",
            "/",
        ] {
            assert_eq!(loggable_path(route), route);
        }
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
        assert_eq!(
            loggable_path(&format!("/ccstore/v1/refresh/{token}/x")),
            "/ccstore/v1/refresh/{redacted}/x"
        );
        let long = loggable_path(&"/abcdefgh".repeat(100));
        assert!(
            long.ends_with('…') && long.len() <= MAX_LOGGED_PATH + 12,
            "{long}"
        );
        let wide = loggable_path(&"/é".repeat(200));
        assert!(wide.ends_with('…'), "{wide}");
    }
}
