//! What the service leaves behind for operators: log lines (`logging`, their layout in
//! `log_line`, the access line in `access_log`), request ids, Prometheus metrics, and
//! [`observe`], the middleware that gives each request its id, its count and its access line.

pub(crate) mod access_log;
pub(crate) mod log_line;
pub mod logging;
pub(crate) mod metrics;
pub(crate) mod observe;
pub(crate) mod request_id;
