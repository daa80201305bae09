//! ccstore's HTTP server: the actix-web application serving Oracle Commerce Cloud's
//! `POST /ccstore/v1/refresh` and its siblings, its configuration, the session stores, and the one
//! place errors become HTTP answers.

pub mod app;
pub mod config;
pub mod docs;
pub mod errors;
mod handlers;
pub mod logging;
mod middleware;
pub mod readiness;
pub mod startup;
pub mod state;
pub mod store;

pub use app::build_app;
pub use state::AppState;
