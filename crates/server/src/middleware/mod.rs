//! Middleware on every request: the request-head size limit, the guards that keep the error
//! contract when a handler panics or CORS refuses a preflight, and [`observe`], which gives each
//! request its id, its count in the metrics and its access line, from the pieces in
//! [`access_log`], [`request_metrics`] and [`request_id`].

pub(crate) mod access_log;
pub(crate) mod catch_panic;
pub(crate) mod cors_refusals;
pub(crate) mod header_limit;
pub(crate) mod observe;
pub(crate) mod request_id;
pub(crate) mod request_metrics;
