//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does. One module
//! per task (`openapi`, `spec_diff`, `bench`, `bench_scale`) and what they share.

// A developer tool: failing loudly on bad input is the right behaviour here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// "OpenAPI" is a name, not code; clap shows these doc comments as `--help` text.
#![allow(clippy::doc_markdown)]

mod bench;
mod bench_scale;
mod files;
mod harness;
mod openapi;
mod openapi30;
mod openapi_aws;
mod spec_diff;

use std::process::ExitCode;

use clap::Parser;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Regenerate openapi/openapi.json (3.1, from the code), openapi/openapi-3.0.json (3.0.3) and
    /// openapi/openapi-aws.json (3.0.3 as AWS API Gateway imports it); with --check, change
    /// nothing and fail if any is stale.
    Openapi {
        /// Fail with a diff instead of writing when a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Compare the spec generated from the code with the documented schema
    /// (openapi/documented.json); fail on any difference or on an extension that
    /// openapi/extensions.json does not allow.
    Diff,
    /// Benchmark POST /ccstore/v1/refresh against a minimal actix-web floor (release builds, one
    /// worker on CPU 0, wrk on CPU 1), round after round; report the median round by CPU ratio
    /// against the targets, then the Redis round and the core micro-benchmarks, in
    /// docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks-redis.md. Needs wrk and
    /// redis-server.
    Bench {
        /// Rounds, each the fixed floor, the floor, then refresh in fresh processes [default: 5,
        /// 1 with --smoke].
        #[arg(long)]
        rounds: Option<u32>,
        /// Measured seconds per server and round [default: 10, 2 with --smoke].
        #[arg(long)]
        duration: Option<u32>,
        /// CI mode: short runs, nothing written; fails when the benchmark does not work (a
        /// server does not start, no requests, any non-2xx), never on the targets.
        #[arg(long)]
        smoke: bool,
    },
    /// Benchmark the in-process session store at scale: at each --sessions level, refreshes of
    /// existing sessions and new ones, across an expiry at the largest level and at capacity;
    /// every figure judged as a ratio to the first level's, in docs/benchmarks-scale.md.
    BenchScale {
        /// Sessions in the store at each level, comma-separated, smallest (the baseline) first.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000, 100_000, 1_000_000])]
        sessions: Vec<usize>,
        /// Measured seconds of each existing-sessions phase.
        #[arg(long, default_value_t = 10)]
        duration: u32,
    },
}

fn main() -> ExitCode {
    let passed = match Task::parse() {
        Task::Openapi { check } => openapi::regenerate(check),
        Task::Diff => openapi::diff_against_documented(),
        Task::Bench { rounds, duration, smoke } => {
            let rounds = rounds.unwrap_or(if smoke { 1 } else { bench::DEFAULT_ROUNDS });
            let duration = duration.unwrap_or(if smoke { 2 } else { 10 }).max(1);
            bench::run(&bench::Options { rounds, duration, smoke })
        }
        Task::BenchScale { sessions, duration } => {
            bench_scale::run(&bench_scale::Options { levels: sessions, duration })
        }
    };
    if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
