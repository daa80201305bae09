//! Integration tests of ccstore-server: the API through actix's test utilities, a real listener
//! for what only the HTTP codec sees, and the binary itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod binary;
mod cors;
mod credentials_cli;
mod demo_logins;
mod docs;
mod documented_answers;
mod errors;
mod families;
mod health;
mod held;
mod limits;
mod live;
mod log_hygiene;
mod login_redis;
mod logs;
mod metrics;
mod redis;
mod redis_cluster;
mod redis_faults;
mod redis_records;
mod redis_server;
mod redis_tls;
mod refresh;
mod request_id;
mod rotation;
mod security_doc;
mod sessions;
mod spelling;
mod support;
mod unauthenticated;
