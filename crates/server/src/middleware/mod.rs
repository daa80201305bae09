//! Middleware on every request: the request id, the access log, the metrics, the request-head
//! size limit, and the guards that keep the error contract when a handler panics or CORS refuses
//! a preflight.

pub(crate) mod access_log;
pub(crate) mod catch_panic;
pub(crate) mod cors_refusals;
pub(crate) mod header_limit;
pub(crate) mod request_id;
pub(crate) mod request_metrics;
