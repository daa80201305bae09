//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does.

// A developer tool: failing loudly on bad input is the right behaviour here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// "OpenAPI" is a name, not code; clap shows these doc comments as `--help` text.
#![allow(clippy::doc_markdown)]

mod files;
mod openapi;
mod openapi30;
mod spec_diff;

use std::process::ExitCode;

use clap::Parser;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Regenerate openapi/openapi.json (3.1, from the code) and openapi/openapi-3.0.json (3.0.3,
    /// for gateways); with --check, change nothing and fail if either is stale.
    Openapi {
        /// Fail with a diff instead of writing when a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Compare the spec generated from the code with the documented schema
    /// (openapi/documented.json); fail on any difference or on an extension that
    /// openapi/extensions.json does not allow.
    Diff,
}

fn main() -> ExitCode {
    let passed = match Task::parse() {
        Task::Openapi { check } => openapi::regenerate(check),
        Task::Diff => openapi::diff_against_documented(),
    };
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
