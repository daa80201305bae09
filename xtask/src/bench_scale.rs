//! `cargo xtask bench-scale`: the embedded store at the sizes it is sold for (issue 18). For each
//! `--sessions` level a fresh release server (one worker on CPU 0, the in-process store) is
//! filled with that many sessions by refreshing as many distinct tokens; then wrk (CPU 1)
//! measures chained refreshes of those existing sessions, then the creation of new ones. At the
//! largest level the existing sessions are measured again once the new-session phase's sessions
//! have expired; last, a server whose capacity is the largest level is filled to it: existing
//! sessions must keep their pace, new ones are refused. Every figure is judged as a ratio to the
//! first level's of the same run, and `docs/benchmarks-scale.md` written.

#![allow(clippy::cast_precision_loss, reason = "counts far below 2^52, shown as rates")]

use std::fmt::Write as _;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::files::repo_file;
use crate::harness::{self, Check, Minter, Server, Wrk, checks_table, table};

/// Seconds of a new-session phase, and the tokens minted for it: more than a worker refreshes
/// in that time.
const NEW_SECONDS: u32 = 3;
const NEW_TOKENS: usize = 400_000;
/// Token lifetime: longer than one pass through a million sessions, short enough that the
/// new-session phase's sessions expire within the run.
const TTL: u64 = 120;
const CONNECTIONS: u32 = 64;
/// Connections of the filling client, and requests in flight on each.
const FILL_CONNECTIONS: usize = 8;
const FILL_PIPELINE: usize = 32;
/// Issue 18's targets, as ratios to the first level's figures: CPU per request, p99, p99.9, and
/// existing sessions' requests/s with the store full.
const CPU_TARGET: f64 = 1.2;
const P99_TARGET: f64 = 1.5;
const P999_TARGET: f64 = 2.0;
const CAPACITY_TARGET: f64 = 0.8;

pub(crate) struct Options {
    /// Sessions in the store at each level, smallest (the baseline) first.
    pub(crate) levels: Vec<usize>,
    /// Measured seconds of each existing-sessions phase.
    pub(crate) duration: u32,
}

/// One measured phase.
struct Phase {
    name: String,
    sessions: usize,
    wrk: Wrk,
    cpu_us: f64,
    rss_mib: f64,
    /// The server's own refresh latency (`ccstore_refresh_duration_seconds`): the bucket bounds
    /// under which 99 %, 99.9 % and all of the phase's refreshes fell, µs.
    server_us: [f64; 3],
}

impl Phase {
    fn p999_us(&self) -> f64 {
        self.wrk.script.get("p999_us").copied().unwrap_or(f64::NAN)
    }
}

/// Runs the benchmark; `false` when it could not be run.
pub(crate) fn run(options: &Options) -> bool {
    let report = measure_levels(options).and_then(|phases| {
        let report = report(&phases, options);
        println!("{report}");
        std::fs::write(repo_file("docs/benchmarks-scale.md"), &report)
            .map_err(|e| format!("writing docs/benchmarks-scale.md: {e}"))
    });
    report.map_err(|e| eprintln!("bench-scale: {e}")).is_ok()
}

fn measure_levels(options: &Options) -> Result<Vec<Phase>, String> {
    harness::require(&[("wrk", "wrk"), ("taskset", "util-linux"), ("getconf", "libc-bin")])?;
    let largest = options.levels.iter().copied().max().filter(|_| !options.levels.contains(&0));
    let largest = largest.ok_or("--sessions needs levels above 0")?;
    let release = harness::build()?;
    let dir = release.join("../bench-scale");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut scale = Scale {
        binary: release.join("ccstore-server"),
        dir,
        minter: Minter::new(TTL),
        duration: options.duration,
        phases: Vec::new(),
    };
    for &level in &options.levels {
        eprintln!("bench-scale: {level} sessions");
        let mut server = scale.start(largest + NEW_TOKENS)?;
        let (chain, created) = scale.fill_and_measure(&mut server, level, "")?;
        if level == largest {
            // Keep the existing sessions refreshed, unmeasured, until the new-session phase's
            // sessions (never refreshed again) have expired; then measure across their removal.
            let expiry = Duration::from_secs(TTL + 2);
            while created.elapsed() < expiry {
                let left = expiry.saturating_sub(created.elapsed()).as_secs().clamp(1, 20);
                Scale::wrk(&server, &chain, u32::try_from(left).unwrap_or(20))?;
            }
            let phase = Scale::measure(
                &mut server,
                "existing, after expiry",
                level,
                &chain,
                options.duration,
            )?;
            scale.phases.push(phase);
        }
    }
    eprintln!("bench-scale: at capacity ({largest} sessions)");
    let mut server = scale.start(largest)?;
    scale.fill_and_measure(&mut server, largest, ", store full")?;
    Ok(scale.phases)
}

struct Scale {
    binary: PathBuf,
    dir: PathBuf,
    minter: Minter,
    duration: u32,
    phases: Vec<Phase>,
}

impl Scale {
    /// A server whose store holds at most `capacity` sessions, once it answers.
    fn start(&self, capacity: usize) -> Result<Server, String> {
        let env = [
            ("CCSTORE_TOKEN_TTL", TTL.to_string()),
            ("CCSTORE_MEMORY_STORE_CAPACITY", capacity.to_string()),
        ];
        let mut server = Server::start(&self.binary, &[], &env, self.dir.join("server.log"))?;
        // An invalid token is answered 401 and makes no session.
        server.first_answer("not-a-token")?;
        Ok(server)
    }

    /// Fills the store with `level` sessions, then measures refreshes of them ("existing") and
    /// the creation of new ones ("new"), each name followed by `suffix`. Returns the file of the
    /// existing sessions' tokens and when the new sessions were created.
    fn fill_and_measure(
        &mut self,
        server: &mut Server,
        level: usize,
        suffix: &str,
    ) -> Result<(PathBuf, Instant), String> {
        let chain = self.dir.join("chain.txt");
        write_tokens(&chain, &fill(server.address, &self.minter.mint(level))?)?;
        let phase =
            Self::measure(server, &format!("existing{suffix}"), level, &chain, self.duration)?;
        self.phases.push(phase);
        let fresh = self.dir.join("fresh.txt");
        write_tokens(&fresh, &self.minter.mint(NEW_TOKENS))?;
        let created = Instant::now();
        let phase = Self::measure(server, &format!("new{suffix}"), level, &fresh, NEW_SECONDS)?;
        self.phases.push(phase);
        Ok((chain, created))
    }

    fn wrk(server: &Server, tokens: &Path, seconds: u32) -> Result<Wrk, String> {
        harness::wrk(
            "scale",
            &format!("http://{}/ccstore/v1/refresh", server.address),
            CONNECTIONS,
            seconds,
            tokens,
        )
    }

    /// One measured wrk run, with the server's CPU time, RSS and latency histogram around it.
    fn measure(
        server: &mut Server,
        name: &str,
        sessions: usize,
        tokens: &Path,
        seconds: u32,
    ) -> Result<Phase, String> {
        let (histogram_before, cpu_before) =
            (histogram(server.address)?, harness::cpu_seconds(server.pid())?);
        let wrk = Self::wrk(server, tokens, seconds)?;
        let cpu = harness::cpu_seconds(server.pid())? - cpu_before;
        let histogram_after = histogram(server.address)?;
        server.alive()?;
        let bound = |share| quantile_bound(&histogram_before, &histogram_after, share);
        let cpu_us = cpu * 1e6 / wrk.requests.max(1) as f64;
        let phase = Phase {
            name: name.to_owned(),
            sessions,
            cpu_us,
            rss_mib: harness::memory_mib(server.pid(), "VmRSS")?,
            server_us: [0.99, 0.999, 1.0].map(bound),
            wrk,
        };
        eprintln!("bench-scale: {}", row(&phase));
        Ok(phase)
    }
}

fn write_tokens(path: &Path, tokens: &[String]) -> Result<(), String> {
    std::fs::write(path, tokens.join("\n") + "\n")
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The cumulative buckets of the server's refresh latency histogram: (upper bound µs, count).
fn histogram(address: SocketAddr) -> Result<Vec<(f64, u64)>, String> {
    let mut text = String::new();
    let mut stream = TcpStream::connect(address).map_err(|e| format!("metrics: {e}"))?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("metrics: {e}"))?;
    stream.read_to_string(&mut text).map_err(|e| format!("metrics: {e}"))?;
    Ok(buckets(&text)).and_then(|b| {
        if b.is_empty() {
            Err("no ccstore_refresh_duration_seconds buckets in /metrics".to_owned())
        } else {
            Ok(b)
        }
    })
}

fn buckets(metrics: &str) -> Vec<(f64, u64)> {
    let bucket = |rest: &str| {
        let (bound, count) = rest.split_once("\"} ")?;
        let bound = if bound == "+Inf" { f64::INFINITY } else { bound.parse::<f64>().ok()? * 1e6 };
        Some((bound, count.trim().parse().ok()?))
    };
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("ccstore_refresh_duration_seconds_bucket{le=\""))
        .filter_map(bucket)
        .collect()
}

/// The smallest bucket bound under which `share` of the refreshes between two readings fell.
fn quantile_bound(before: &[(f64, u64)], after: &[(f64, u64)], share: f64) -> f64 {
    let counts: Vec<(f64, u64)> = after
        .iter()
        .zip(before)
        .map(|(&(bound, a), &(_, b))| (bound, a.saturating_sub(b)))
        .collect();
    let total = counts.last().map_or(0, |&(_, count)| count) as f64;
    counts
        .iter()
        .find(|&&(_, count)| count as f64 >= share * total)
        .map_or(f64::INFINITY, |&(bound, _)| bound)
}

/// Refreshes every token once, [`FILL_CONNECTIONS`] connections each with [`FILL_PIPELINE`]
/// requests in flight, and returns the successors: one existing session each.
fn fill(address: SocketAddr, tokens: &[String]) -> Result<Vec<String>, String> {
    let started = Instant::now();
    let chunk = tokens.len().div_ceil(FILL_CONNECTIONS).max(1);
    let successors = std::thread::scope(|scope| {
        let workers: Vec<_> = tokens
            .chunks(chunk)
            .map(|tokens| scope.spawn(move || fill_one(address, tokens)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err("a filler panicked".into())))
            .collect::<Result<Vec<_>, String>>()
    })?;
    let successors: Vec<String> = successors.into_iter().flatten().collect();
    eprintln!(
        "bench-scale: filled {} sessions in {:.1} s",
        successors.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(successors)
}

fn fill_one(address: SocketAddr, tokens: &[String]) -> Result<Vec<String>, String> {
    let stream = TcpStream::connect(address).map_err(|e| format!("connect: {e}"))?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut successors = Vec::with_capacity(tokens.len());
    for batch in tokens.chunks(FILL_PIPELINE) {
        let requests: String = batch.iter().map(|token| harness::refresh_request(token)).collect();
        writer.write_all(requests.as_bytes()).map_err(|e| format!("send: {e}"))?;
        for _ in batch {
            let (status, _, body) = harness::read_answer(&mut reader)?;
            let token = harness::access_token(&body).filter(|_| status == 200);
            successors.push(token.ok_or(format!("filling: {status} {body}"))?.to_owned());
        }
    }
    Ok(successors)
}

fn row(phase: &Phase) -> String {
    let (Phase { name, sessions, cpu_us, rss_mib, server_us: [s99, s999, smax], .. }, w) =
        (phase, &phase.wrk);
    let (p999, max) = (phase.p999_us(), w.script.get("max_us").copied().unwrap_or(f64::NAN));
    let (rate, p50, p99, non_200) = (w.rate, w.p50_us, w.p99_us, w.count("non200"));
    format!(
        "{name} | {sessions} | {rate:.0} | {cpu_us:.2} | {p50:.0} µs | {p99:.0} µs | {p999:.0} µs | {max:.0} µs | \
         {non_200} | {rss_mib:.1} | {s99} µs | {s999} µs | {smax} µs"
    )
}

/// Each phase's ratios to the first level's phase of its kind (existing or new), judged.
fn ratio_rows(phases: &[Phase]) -> Vec<String> {
    let baseline = |name: &str| phases.iter().find(|p| p.name == name);
    let row = |phase: &Phase| {
        let base = baseline(if phase.name.starts_with("new") { "new" } else { "existing" })?;
        let cpu = (phase.cpu_us / base.cpu_us, CPU_TARGET, "CPU");
        let p99 = (phase.wrk.p99_us / base.wrk.p99_us, P99_TARGET, "p99");
        let p999 = (phase.p999_us() / base.p999_us(), P999_TARGET, "p99.9");
        let missed: Vec<&str> =
            [cpu, p99, p999].iter().filter(|(r, target, _)| r > target).map(|m| m.2).collect();
        let verdict = if missed.is_empty() {
            "met".to_owned()
        } else {
            format!("**NOT met**: {}", missed.join(", "))
        };
        let (Phase { name, sessions, .. }, rate) = (phase, phase.wrk.rate / base.wrk.rate);
        Some(format!(
            "{name} | {sessions} | {:.2} | {:.2} | {:.2} | {rate:.2} | {verdict}",
            cpu.0, p99.0, p999.0
        ))
    };
    phases.iter().filter_map(row).collect()
}

/// The report: every phase, then each one's ratios to the baseline of its kind, judged.
fn report(phases: &[Phase], options: &Options) -> String {
    let levels: Vec<String> = options.levels.iter().map(ToString::to_string).collect();
    let (first, last, duration) = (
        levels.first().cloned().unwrap_or_default(),
        levels.last().cloned().unwrap_or_default(),
        options.duration,
    );
    let header = "phase | sessions | requests/s | CPU µs/request | p50 | p99 | p99.9 | max | non-200 | RSS MiB | \
                  in the server: p99 ≤ | p99.9 ≤ | max ≤";
    let ratios =
        "phase | sessions | CPU (≤ 1.2) | p99 (≤ 1.5) | p99.9 (≤ 2) | requests/s | targets";
    let mut out = format!(
        "# Scale benchmark: the embedded store from {first} to {last} sessions\n\n\
         Written by `cargo xtask bench-scale --sessions {levels}` (`xtask/src/bench_scale.rs` says what each phase \
         does). One server worker pinned to CPU 0, wrk pinned to CPU 1 with {CONNECTIONS} keep-alive connections, \
         {duration} s per existing-sessions phase and {NEW_SECONDS} s per new-session phase, token TTL {TTL} s. \
         \"existing\" refreshes the filled sessions' tokens in a chain, \"new\" presents tokens never seen; \"after \
         expiry\" runs once the new-session phase's sessions have expired; \"store full\" is a server filled to its \
         capacity, which must refuse new sessions (503).\n\n\
         The machine is shared with other work: only ratios within this run mean anything. CPU is the server's \
         user+system time per request (/proc); RSS its `VmRSS` after the phase. Latencies are wrk's, except \"in the \
         server\": the bucket bounds of the server's own refresh histogram (`ccstore_refresh_duration_seconds`) \
         under which 99 %, 99.9 % and all refreshes fell.\n\n{}\n## Ratios to the {first}-session figures of this \
         run\n\n{}",
        table(header, &phases.iter().map(row).collect::<Vec<_>>()),
        table(ratios, &ratio_rows(phases)),
        levels = levels.join(","),
    );
    let baseline = |name: &str| phases.iter().find(|p| p.name == name);
    if let (Some(small), Some(full)) = (baseline("existing"), baseline("existing, store full")) {
        let (more, kept) =
            (full.sessions.saturating_sub(small.sessions).max(1), full.wrk.rate / small.wrk.rate);
        let per_session = (full.rss_mib - small.rss_mib) * 1024.0 * 1024.0 / more as f64;
        let check = Check::new(
            "existing sessions' requests/s, store full / first level",
            kept,
            "≥ 0.8×",
            kept >= CAPACITY_TARGET,
        );
        let _ = write!(
            out,
            "\nMemory: {per_session:.0} bytes of RSS per session ((RSS with the store full at {} sessions − RSS at \
             {} sessions) / {more}).\n\n{}",
            full.sessions,
            small.sessions,
            checks_table(&[check])
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_histogram_gives_the_bound_under_which_a_share_of_the_phase_fell() {
        let metrics = |counts: [u64; 3]| {
            format!(
                "ccstore_refresh_duration_seconds_bucket{{le=\"0.0001\"}} {}\nccstore_refresh_duration_seconds_bucket{{le=\"0.001\"}} {}\n\
                 ccstore_refresh_duration_seconds_bucket{{le=\"+Inf\"}} {}\nccstore_other 5\n",
                counts[0], counts[1], counts[2]
            )
        };
        let before = buckets(&metrics([100, 100, 100]));
        assert_eq!(format!("{before:?}"), "[(100.0, 100), (1000.0, 100), (inf, 100)]");
        // The phase: 990 refreshes under 100 µs, 9 more under 1 ms, 1 above.
        let after = buckets(&metrics([1090, 1099, 1100]));
        let bounds = [0.99, 0.999, 1.0].map(|share| quantile_bound(&before, &after, share));
        assert_eq!(format!("{bounds:?}"), "[100.0, 1000.0, inf]");
    }

    fn phase(name: &str, sessions: usize, cpu_us: f64, [p99, p999]: [f64; 2], rate: f64) -> Phase {
        let report = format!(
            "1000 requests in 1.00s\nRequests/sec: {rate}\n 50% 500us\n 99% {p99}us\nscale.lua: p999_us={p999} max_us=9000\n"
        );
        Phase {
            name: name.to_owned(),
            sessions,
            wrk: harness::parse_wrk(&report).unwrap(),
            cpu_us,
            rss_mib: 10.0,
            server_us: [100.0; 3],
        }
    }

    #[test]
    fn every_phase_is_judged_against_the_first_level_of_its_kind() {
        let phases = [
            phase("existing", 1000, 10.0, [1000.0, 2000.0], 40_000.0),
            phase("new", 1000, 20.0, [1000.0, 2000.0], 30_000.0),
            phase("existing", 1_000_000, 12.0, [1500.0, 4000.0], 35_000.0),
            phase("new", 1_000_000, 24.1, [1510.0, 4001.0], 30_000.0),
            phase("existing, store full", 1_000_000, 10.0, [1000.0, 2000.0], 31_999.0),
        ];
        let report = report(&phases, &Options { levels: vec![1000, 1_000_000], duration: 10 });
        assert!(
            report.contains("| existing | 1000000 | 1.20 | 1.50 | 2.00 | 0.88 | met |"),
            "{report}"
        );
        assert!(
            report.contains(
                "| new | 1000000 | 1.21 | 1.51 | 2.00 | 1.00 | **NOT met**: CPU, p99, p99.9 |"
            ),
            "{report}"
        );
        assert!(report.contains("| existing sessions' requests/s, store full / first level | 0.80× | ≥ 0.8× | **FAIL** |"), "{report}");
    }
}
