//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does. One module
//! per task (`openapi` with its `diff`, `bench`, `bench_scale`) and what they share.

// A developer tool: failing loudly on bad input is the right behaviour here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// "OpenAPI" is a name, not code; clap shows these doc comments as `--help` text.
#![allow(clippy::doc_markdown)]

mod bench;
mod bench_scale;
mod files;
mod harness;
mod load;
mod openapi;

use std::process::ExitCode;

use clap::Parser;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Regenerate openapi/openapi.json (3.1, from the code), openapi/openapi-3.0.json (3.0.3)
    /// and openapi/openapi-aws.json (3.0.3 as AWS API Gateway imports it).
    Openapi {
        /// Change nothing; fail with a diff if a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Compare the generated spec with openapi/documented.json; fail on any difference or on an
    /// extension openapi/extensions.json does not allow.
    Diff,
    /// Benchmark POST /ccstore/v1/refresh against an actix-web floor, then the core
    /// micro-benchmarks; write docs/benchmarks.md; fail when a target is missed.
    Bench(bench::Options),
    /// Benchmark the session stores at each --sessions level, across an expiry, at capacity and
    /// in Redis, judged against the first level; write docs/benchmarks-scale.md; fail when a
    /// target is missed. Needs redis-server.
    BenchScale(bench_scale::Options),
}

fn main() -> ExitCode {
    let passed = match Task::parse() {
        Task::Openapi { check } => openapi::regenerate(check),
        Task::Diff => openapi::diff_against_documented(),
        Task::Bench(options) => judged("bench", bench::run(&options)),
        Task::BenchScale(options) => judged("bench-scale", bench_scale::run(&options)),
    };
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A benchmark's outcome: `false`, said why, when it could not run or missed a target.
fn judged(task: &str, outcome: Result<bool, String>) -> bool {
    match outcome {
        Ok(true) => true,
        Ok(false) => {
            eprintln!("{task}: a target was missed (the report above says which)");
            false
        }
        Err(error) => {
            eprintln!("{task}: {error}");
            false
        }
    }
}
