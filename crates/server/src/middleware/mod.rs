//! Middleware on every request: the access log, the metrics, and the panic guard that keeps the
//! error contract when a handler fails unexpectedly.

pub(crate) mod access_log;
pub(crate) mod catch_panic;
pub(crate) mod request_metrics;
