//! ccstore's HTTP server: the actix-web application serving Oracle Commerce Cloud's
//! `POST /ccstore/v1/refresh` and its siblings, its configuration, and the one place errors
//! become HTTP answers. The token and session rules, and both session stores, are in
//! `ccstore-core`.

mod api;
mod app;
pub mod config;
pub mod credentials_cli;
mod development;
mod error;
mod family;
mod http;
mod keys_file;
mod login_files;
mod readiness;
mod routes;
mod shutdown;
pub mod startup;
mod state;
mod telemetry;

pub use api::rendered_openapi;
pub use app::{AppOptions, build_app, build_app_with};
pub use http::limits::Limits;
pub use state::{AppState, Logins};
pub use telemetry::logging;
