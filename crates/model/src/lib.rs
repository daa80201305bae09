//! Wire types of the ccstore API: what goes over HTTP, named and described exactly as Oracle
//! Commerce Cloud's Store API documents them, so the OpenAPI document derived from them is the
//! documented contract.

mod error_model;
mod health;
mod login;
mod refresh;
mod session;

pub use error_model::{ErrorItem, ErrorModel};
pub use health::{HEALTH_OK, HealthStatus};
pub use login::{LoginErrorModel, LoginRequest, LoginResponse};
pub use refresh::{RefreshRequest, RefreshResponse, TOKEN_TYPE_BEARER};
pub use session::{LogoutRequest, LogoutResponse, VerifyRequest, VerifyResponse};
