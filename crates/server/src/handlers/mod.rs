//! The HTTP handlers: extract, call the core, wrap the answer. No token rules live here.

pub(crate) mod bearer;
pub(crate) mod body;
pub(crate) mod docs;
pub(crate) mod fallback;
pub(crate) mod health;
pub(crate) mod logout;
pub(crate) mod metrics;
pub(crate) mod refresh;
pub(crate) mod responses;
pub(crate) mod verify;
