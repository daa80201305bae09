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

mod bench;
mod bench_micro;
mod bench_redis;
mod bench_report;
mod bench_scale;
mod bench_wrk;
mod files;
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
    /// Benchmark POST /ccstore/v1/refresh against a minimal actix-web floor: release builds of
    /// both, one worker pinned to CPU 0, wrk pinned to CPU 1 chaining refreshed tokens. Each of
    /// --rounds rounds measures the floor then refresh; every round's ratios refresh/floor are
    /// printed, and the median round by CPU ratio is reported whole (requests/s, p50/p99,
    /// non-2xx, server CPU per request, peak RSS, start-up time, targets) and written to
    /// docs/benchmarks.md and docs/benchmarks.svg with all rounds listed, together with the core
    /// criterion micro-benchmarks (`cargo bench -p ccstore-core`), run afterwards. Needs wrk
    /// (`apt-get install -y wrk`).
    Bench {
        /// Rounds, each the floor then refresh in fresh processes; the median round by CPU ratio
        /// is reported (even count: the lower middle) [default: 5, 1 with --smoke].
        #[arg(long)]
        rounds: Option<u32>,
        /// Measured seconds per server and round [default: 10, 2 with --smoke].
        #[arg(long)]
        duration: Option<u32>,
        /// Unmeasured warm-up seconds per server and round before the measured run [default: 2,
        /// 1 with --smoke].
        #[arg(long)]
        warmup: Option<u32>,
        /// Keep-alive connections held by wrk's single thread.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// CI mode: short runs, nothing written; fails when the benchmark does not work (a
        /// server does not start, wrk is missing, no requests, any non-2xx), never on the
        /// ratio targets.
        #[arg(long)]
        smoke: bool,
    },
    /// Benchmark the in-process session store at scale: for each --sessions level, a release
    /// server (one worker, CPU 0) filled with that many sessions, then wrk (CPU 1) measuring
    /// chained refreshes of existing sessions and the creation of new ones (CPU µs/request, p50,
    /// p99, p99.9, max, RSS), across an expiry at the largest level, and at capacity. Writes
    /// docs/benchmarks-scale.md with every figure as a ratio to the first level's. Needs wrk.
    BenchScale {
        /// Sessions in the store at each level, comma-separated, smallest (the baseline) first.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000, 100_000, 1_000_000])]
        sessions: Vec<usize>,
        /// Measured seconds of each existing-sessions phase.
        #[arg(long, default_value_t = 10)]
        duration: u32,
        /// Keep-alive connections held by wrk's single thread.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Token lifetime of the servers, seconds: longer than one pass through every session of
        /// the largest level; the sessions of the new-session phase expire this long after it.
        #[arg(long, default_value_t = 120)]
        ttl: u64,
        /// Print the report without writing docs/benchmarks-scale.md.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    let passed = match Task::parse() {
        Task::Openapi { check } => openapi::regenerate(check),
        Task::Diff => openapi::diff_against_documented(),
        Task::Bench {
            rounds,
            duration,
            warmup,
            connections,
            smoke,
        } => bench::run(&bench::Options {
            rounds: rounds.unwrap_or(if smoke { 1 } else { bench::DEFAULT_ROUNDS }),
            duration: duration.unwrap_or(if smoke { 2 } else { 10 }),
            warmup: warmup.unwrap_or(if smoke { 1 } else { 2 }),
            connections,
            smoke,
        }),
        Task::BenchScale {
            sessions,
            duration,
            connections,
            ttl,
            dry_run,
        } => bench_scale::run(&bench_scale::Options {
            levels: sessions,
            duration,
            connections,
            ttl,
            dry_run,
        }),
    };
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
