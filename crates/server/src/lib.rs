//! ccstore's HTTP server: the actix-web application serving Oracle Commerce Cloud's
//! `POST /ccstore/v1/refresh` and its siblings, its configuration, the session stores, and the one
//! place errors become HTTP answers.

pub mod app;
pub mod config;
pub mod cors;
pub mod descriptors;
pub mod docs;
pub mod errors;
mod handlers;
pub mod keys_file;
pub mod limits;
pub mod log_line;
pub mod logging;
pub mod metrics;
mod middleware;
pub mod readiness;
pub mod request_id;
pub mod route;
pub mod shutdown;
pub mod startup;
pub mod state;

pub use app::{AppOptions, build_app, build_app_with, metrics_app};
pub use state::AppState;
