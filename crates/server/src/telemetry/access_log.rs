//! The access-log line of a request: method, path (no query string, no headers, and no path
//! segment long enough to be a token: nothing token-bearing), status and latency, at `info` under
//! the `ccstore::access` target; probes and scrapes (`/health/*`, `/metrics`), which machines send
//! every few seconds, at `debug`. The request id comes with it, as with every line written while
//! the request is handled. [`super::observe`] starts the line when a request arrives and writes
//! it when the answer is ready; this module decides what the line says.

use std::time::Duration;

use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, StatusCode};

use crate::routes::Route;
use crate::telemetry::log_line::Access;
use crate::telemetry::request_id::RequestId;

const TARGET: &str = "ccstore::access";

/// Longest path segment logged as sent. Every route's segments are shorter; a token is longer
/// (its header alone is 36 characters), so a client that puts one in the path does not get it
/// logged.
const MAX_LOGGED_SEGMENT: usize = 32;

/// Longest path logged; the rest is cut, so a client cannot fill the log with one request.
const MAX_LOGGED_PATH: usize = 256;

/// A request's path as the log shows it: a route's path without copying it, any other held
/// without allocating when it is as short as every route's.
enum LoggedPath {
    /// The path is its route's label, as for every route sent as registered (all but Swagger UI's
    /// files).
    Route(&'static str),
    Short {
        bytes: [u8; MAX_LOGGED_SEGMENT],
        len: usize,
    },
    Long(String),
}

impl LoggedPath {
    /// `path`, served by `route`, as the log shows it.
    fn new(path: &str, route: Route) -> Self {
        let label = route.label();
        if path == label {
            return Self::Route(label);
        }
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
            Self::Route(path) => path,
            Self::Short { bytes, len } => bytes
                .get(..*len)
                .and_then(|path| std::str::from_utf8(path).ok())
                .unwrap_or_default(),
            Self::Long(path) => path,
        }
    }
}

/// `path` as the log shows it: from the first segment over [`MAX_LOGGED_SEGMENT`] bytes on, the
/// rest is `{redacted}` (a token in OCC's spelling holds `/`, so the pieces after its first one
/// can be short), and the whole is cut to [`MAX_LOGGED_PATH`] bytes.
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
            break;
        }
        logged.push_str(segment);
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

/// What the access line says for a method ccstore does not serve: the method itself is the
/// client's choice (any token of up to the head limit, a JWT included), so it is never logged.
const OTHER_METHOD: &str = "OTHER";

/// `method` as the access line names it: the methods ccstore serves as they are, any other as
/// [`OTHER_METHOD`].
fn logged_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::OPTIONS => "OPTIONS",
        _ => OTHER_METHOD,
    }
}

/// What a request's access line says before its answer is known.
pub(crate) struct AccessLine {
    level: log::Level,
    method: &'static str,
    path: LoggedPath,
}

impl AccessLine {
    /// The line of `request`, served by `route`; none when its level is not logged.
    pub(crate) fn for_request(request: &ServiceRequest, route: Route) -> Option<Self> {
        let level = if route.is_probe() {
            log::Level::Debug
        } else {
            log::Level::Info
        };
        log::log_enabled!(target: TARGET, level).then(|| Self {
            level,
            method: logged_method(request.method()),
            path: LoggedPath::new(request.path(), route),
        })
    }

    /// Writes the line: `status` answered after `latency`, to the request `id`.
    pub(crate) fn write(self, status: StatusCode, latency: Duration, id: &RequestId) {
        let access = Access {
            method: self.method,
            path: self.path.as_str(),
            status: status.as_u16(),
            micros: latency.as_micros(),
        };
        crate::telemetry::logging::access(self.level, TARGET, &access, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_ccstore_serves_are_logged_as_sent_and_any_other_as_a_fixed_word() {
        for served in ["GET", "HEAD", "POST", "OPTIONS"] {
            assert_eq!(
                logged_method(&Method::from_bytes(served.as_bytes()).unwrap()),
                served
            );
        }
        for other in [
            "PUT",
            "DELETE",
            "PATCH",
            "TRACE",
            "CONNECT",
            "get",
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        ] {
            assert_eq!(
                logged_method(&Method::from_bytes(other.as_bytes()).unwrap()),
                OTHER_METHOD,
                "{other}"
            );
        }
    }

    #[test]
    fn route_paths_are_not_copied_short_paths_are_held_inline_and_long_ones_redacted() {
        let refresh = LoggedPath::new("/ccstore/v1/refresh", Route::of("/ccstore/v1/refresh"));
        assert!(matches!(refresh, LoggedPath::Route(_)));
        assert_eq!(refresh.as_str(), "/ccstore/v1/refresh");
        // A path the router matched after decoding it is logged as sent.
        let encoded = LoggedPath::new("/ccstore/v1/%72efresh", Route::of("/ccstore/v1/refresh"));
        assert!(matches!(encoded, LoggedPath::Short { .. }));
        assert_eq!(encoded.as_str(), "/ccstore/v1/%72efresh");
        let file = LoggedPath::new("/swagger-ui/index.html", Route::SwaggerUi);
        assert!(matches!(file, LoggedPath::Short { .. }));
        assert_eq!(file.as_str(), "/swagger-ui/index.html");
        assert_eq!(LoggedPath::new("/é/ü", Route::Unmatched).as_str(), "/é/ü");
        let path = format!("/x/{}", "t".repeat(40));
        assert_eq!(
            LoggedPath::new(&path, Route::Unmatched).as_str(),
            "/x/{redacted}"
        );
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
            "/ccstore/v1/refresh/{redacted}"
        );
        // OCC's spelling: the signature's `/` leaves short pieces after the first, long one.
        let occ = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0=.a1x77X2l/gNh4r4hSP9h/svKySIx9VO/ee81T0yAo73zE=";
        assert_eq!(
            loggable_path(&format!("/ccstore/v1/refresh/{occ}")),
            "/ccstore/v1/refresh/{redacted}"
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
