//! Middleware on every request: the request id, the access log, the panic guard that keeps the
//! error contract when a handler fails unexpectedly, and the request-head size limit.

pub(crate) mod access_log;
pub(crate) mod catch_panic;
pub(crate) mod header_limit;
pub(crate) mod request_id;
