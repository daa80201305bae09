//! HTTP below the operations: the size and time limits (head, body, connections), panic catching,
//! CORS and its refusals, and the answers for requests no operation takes.

pub(crate) mod body;
pub(crate) mod catch_panic;
pub(crate) mod cors;
pub(crate) mod descriptors;
pub(crate) mod fallback;
pub(crate) mod form;
pub(crate) mod header_limit;
pub(crate) mod limits;
