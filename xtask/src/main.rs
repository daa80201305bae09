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
    /// Benchmark POST /ccstore/v1/refresh against an actix-web floor, then the Redis round and
    /// the core micro-benchmarks; write docs/benchmarks.md, .svg and -redis.md. Needs wrk and
    /// redis-server.
    Bench {
        /// Rounds of fixed floor, floor and refresh [default: 5, 1 with --smoke].
        #[arg(long)]
        rounds: Option<u32>,
        /// Measured seconds per server and round [default: 10, 2 with --smoke].
        #[arg(long)]
        duration: Option<u32>,
        /// CI: short runs, nothing written; fails only when the benchmark does not work.
        #[arg(long)]
        smoke: bool,
    },
    /// Benchmark the in-process session store at each --sessions level, across an expiry and at
    /// capacity, judged against the first level; write docs/benchmarks-scale.md. Needs wrk.
    BenchScale {
        /// Sessions at each level, comma-separated, the baseline first.
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
        Task::Bench {
            rounds,
            duration,
            smoke,
        } => {
            let rounds = rounds.unwrap_or(if smoke { 1 } else { bench::DEFAULT_ROUNDS });
            let duration = duration.unwrap_or(if smoke { 2 } else { 10 }).max(1);
            bench::run(&bench::Options {
                rounds,
                duration,
                smoke,
            })
        }
        Task::BenchScale { sessions, duration } => bench_scale::run(&bench_scale::Options {
            levels: sessions,
            duration,
        }),
    };
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
