//! Middleware that holds the error contract for every layer: panics and errors raised below the
//! handlers still answer with an `errorModel`.

pub(crate) mod access_log;
pub(crate) mod catch_panic;
pub(crate) mod error_fallback;
