//! `cargo xtask bench-scale`: the embedded store at the sizes it is sold for (issue 18). At each
//! `--sessions` level a fresh release server (one worker on CPU 0, the in-process store) is
//! filled with that many sessions by refreshing as many distinct tokens; then wrk (CPU 1)
//! measures chained refreshes of those existing sessions, then the creation of new ones. At the
//! largest level the existing sessions are measured again once the new-session phase's sessions
//! have expired; last, a server whose capacity is the largest level is filled to it: existing
//! sessions must keep their pace, new ones are refused. Every figure is judged as a ratio to the
//! first level's of the same run, in `docs/benchmarks-scale.md`.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts far below 2^52, shown as rates"
)]

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::files::repo_file;
use crate::harness::{self, Check, Minter, Server, Wrk, checks_table, ctx, figure, table};

/// Seconds of a new-session phase, and the tokens minted for it: more than a worker refreshes
/// in that time.
const NEW_SECONDS: u32 = 3;
const NEW_TOKENS: usize = 400_000;
/// Token lifetime: longer than one pass through a million sessions, short enough that the
/// new-session phase's sessions expire within the run.
const TTL: u64 = 120;
const CONNECTIONS: u32 = 64;
/// Connections the filling client refreshes on, one request in flight on each.
const FILL_CONNECTIONS: usize = 16;
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

/// One measured phase: wrk's figures, the server's CPU µs per request and RSS (MiB) after it.
struct Phase {
    name: String,
    sessions: usize,
    wrk: Wrk,
    cpu: f64,
    rss: f64,
}

/// Runs the benchmark; `false` when it could not be run.
pub(crate) fn run(options: &Options) -> bool {
    let report = measure(options)
        .map(|phases| report(&phases, options))
        .and_then(|report| {
            println!("{report}");
            let path = "docs/benchmarks-scale.md";
            std::fs::write(repo_file(path), report).map_err(|e| format!("writing {path}: {e}"))
        });
    report.map_err(|e| eprintln!("bench-scale: {e}")).is_ok()
}

fn measure(options: &Options) -> Result<Vec<Phase>, String> {
    harness::require(&[
        ("wrk", "wrk"),
        ("taskset", "util-linux"),
        ("getconf", "libc-bin"),
    ])?;
    let largest = options
        .levels
        .iter()
        .copied()
        .max()
        .filter(|_| !options.levels.contains(&0));
    let largest = largest.ok_or("--sessions needs levels above 0")?;
    let release = harness::build()?;
    let dir = release.join("../bench-scale");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let binary = release.join("ccstore-server");
    let mut scale = Scale {
        binary,
        dir,
        minter: Minter::new(TTL),
        phases: Vec::new(),
    };
    for &level in &options.levels {
        eprintln!("bench-scale: {level} sessions");
        let mut server = scale.start(largest + NEW_TOKENS)?;
        let (chain, created) = scale.fill_and_measure(&mut server, level, "", options.duration)?;
        if level == largest {
            // Keep the existing sessions refreshed, unmeasured, until the new-session phase's
            // sessions (never refreshed again) have expired; then measure across their removal.
            let expiry = Duration::from_secs(TTL + 2);
            while let Some(left) = expiry.checked_sub(created.elapsed()) {
                wrk(
                    &server,
                    &chain,
                    u32::try_from(left.as_secs().clamp(1, 20)).unwrap_or(20),
                )?;
            }
            let name = "existing, after expiry";
            scale
                .phases
                .push(phase(&mut server, name, level, &chain, options.duration)?);
        }
    }
    eprintln!("bench-scale: at capacity ({largest} sessions)");
    let mut server = scale.start(largest)?;
    scale.fill_and_measure(&mut server, largest, ", store full", options.duration)?;
    Ok(scale.phases)
}

struct Scale {
    binary: PathBuf,
    dir: PathBuf,
    minter: Minter,
    phases: Vec<Phase>,
}

impl Scale {
    /// A server whose store holds at most `capacity` sessions, once it answers.
    fn start(&self, capacity: usize) -> Result<Server, String> {
        let capacity = ("CCSTORE_MEMORY_STORE_CAPACITY", capacity.to_string());
        let env = [("CCSTORE_TOKEN_TTL", TTL.to_string()), capacity];
        let mut server = Server::start(&self.binary, &[], &env, self.dir.join("server.log"))?;
        server.first_answer("not-a-token")?; // answered 401, no session made
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
        seconds: u32,
    ) -> Result<(PathBuf, Instant), String> {
        let (chain, fresh) = (self.dir.join("chain.txt"), self.dir.join("fresh.txt"));
        harness::write_tokens(&chain, &fill(server.address, &self.minter.mint(level))?)?;
        let existing = phase(server, &format!("existing{suffix}"), level, &chain, seconds)?;
        harness::write_tokens(&fresh, &self.minter.mint(NEW_TOKENS))?;
        let created = Instant::now();
        let new = phase(server, &format!("new{suffix}"), level, &fresh, NEW_SECONDS)?;
        self.phases.extend([existing, new]);
        Ok((chain, created))
    }
}

fn wrk(server: &Server, tokens: &Path, seconds: u32) -> Result<Wrk, String> {
    let url = format!("http://{}/ccstore/v1/refresh", server.address);
    harness::wrk("scale", &url, CONNECTIONS, seconds, tokens)
}

/// One measured wrk run, with the server's CPU time and RSS around it.
fn phase(
    server: &mut Server,
    name: &str,
    sessions: usize,
    tokens: &Path,
    seconds: u32,
) -> Result<Phase, String> {
    let pid = Some(server.pid());
    let before = harness::cpu_seconds(pid)?;
    let wrk = wrk(server, tokens, seconds)?;
    let cpu = (harness::cpu_seconds(pid)? - before) * 1e6 / figure(&wrk, "requests").max(1.0);
    server.alive()?;
    let (name, rss) = (name.to_owned(), harness::memory_mib(server.pid(), "VmRSS")?);
    let phase = Phase {
        name,
        sessions,
        wrk,
        cpu,
        rss,
    };
    eprintln!("bench-scale: {}", row(&phase));
    Ok(phase)
}

/// Refreshes every token once over [`FILL_CONNECTIONS`] connections, one request in flight on
/// each, and returns the successors in order: one existing session each. (Pipelined batches on
/// one connection stalled on every batch's last answer: the server's small writes wait for the
/// client's delayed ACK, about 40 ms, so 100,000 sessions took 69 s.)
fn fill(address: SocketAddr, tokens: &[String]) -> Result<Vec<String>, String> {
    let started = Instant::now();
    let chunk = tokens.len().div_ceil(FILL_CONNECTIONS).max(1);
    let filled: Vec<Result<Vec<String>, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = tokens
            .chunks(chunk)
            .map(|part| scope.spawn(move || fill_one(address, part)))
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err("a filler panicked".into()))
            })
            .collect()
    });
    let mut successors = Vec::with_capacity(tokens.len());
    for part in filled {
        successors.extend(part?);
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "bench-scale: filled {} sessions in {seconds:.1} s",
        successors.len()
    );
    Ok(successors)
}

/// Refreshes `tokens` one after another on one connection.
fn fill_one(address: SocketAddr, tokens: &[String]) -> Result<Vec<String>, String> {
    let stream = TcpStream::connect(address).map_err(|e| format!("connect: {e}"))?;
    let (mut writer, mut reader) = (
        stream.try_clone().map_err(|e| e.to_string())?,
        BufReader::new(stream),
    );
    tokens
        .iter()
        .map(|token| {
            writer
                .write_all(harness::refresh_request(token).as_bytes())
                .map_err(|e| format!("send: {e}"))?;
            let (status, _, body) = harness::read_answer(&mut reader).map_err(ctx("filling"))?;
            let token = harness::access_token(&body).filter(|_| status == 200);
            Ok(token.ok_or(format!("filling: {status} {body}"))?.to_owned())
        })
        .collect()
}

fn row(phase: &Phase) -> String {
    let (
        Phase {
            name,
            sessions,
            cpu,
            rss,
            ..
        },
        w,
    ) = (phase, &phase.wrk);
    let [rate, p50, p99, non_200, p999, max] =
        ["rate", "p50_us", "p99_us", "non200", "p999_us", "max_us"].map(|name| figure(w, name));
    format!(
        "{name} | {sessions} | {rate:.0} | {cpu:.2} | {p50:.0} µs | {p99:.0} µs | {p999} µs | {max} µs \
         | {non_200} | {rss:.1}"
    )
}

/// Each phase's ratios to the first level's phase of its kind (existing or new), judged.
fn ratio_rows(phases: &[Phase]) -> Vec<String> {
    let row = |phase: &Phase| {
        let kind = if phase.name.starts_with("new") {
            "new"
        } else {
            "existing"
        };
        let base = phases.iter().find(|p| p.name == kind)?;
        let p999 = |p: &Phase| figure(&p.wrk, "p999_us");
        let ratios = [
            (phase.cpu / base.cpu, CPU_TARGET, "CPU"),
            (
                figure(&phase.wrk, "p99_us") / figure(&base.wrk, "p99_us"),
                P99_TARGET,
                "p99",
            ),
            (p999(phase) / p999(base), P999_TARGET, "p99.9"),
        ];
        let missed: Vec<&str> = ratios.iter().filter(|r| r.0 > r.1).map(|r| r.2).collect();
        let verdict = match missed.as_slice() {
            [] => "met".to_owned(),
            missed => format!("**NOT met**: {}", missed.join(", ")),
        };
        let [cpu, p99, p999] = ratios.map(|r| r.0);
        let (Phase { name, sessions, .. }, rate) = (
            phase,
            figure(&phase.wrk, "rate") / figure(&base.wrk, "rate"),
        );
        Some(format!(
            "{name} | {sessions} | {cpu:.2} | {p99:.2} | {p999:.2} | {rate:.2} | {verdict}"
        ))
    };
    phases.iter().filter_map(row).collect()
}

/// The report: every phase, each one's ratios to the baseline of its kind, the memory per
/// session and the capacity target.
fn report(phases: &[Phase], options: &Options) -> String {
    let levels: Vec<String> = options.levels.iter().map(ToString::to_string).collect();
    let (first, last) = (
        levels.first().cloned().unwrap_or_default(),
        levels.join(","),
    );
    let header = "phase | sessions | requests/s | CPU µs/request | p50 | p99 | p99.9 | max | non-200 | RSS MiB";
    let ratios =
        "phase | sessions | CPU (≤ 1.2) | p99 (≤ 1.5) | p99.9 (≤ 2) | requests/s | targets";
    let baseline = |name: &str| phases.iter().find(|p| p.name == name);
    let memory = baseline("existing").zip(baseline("existing, store full")).map(|(small, full)| {
        let (more, kept) = (full.sessions.saturating_sub(small.sessions).max(1), figure(&full.wrk, "rate") / figure(&small.wrk, "rate"));
        let per_session = (full.rss - small.rss) * 1024.0 * 1024.0 / more as f64;
        let what = "existing sessions' requests/s, store full / first level";
        let check = checks_table(&[Check::at_least(what, kept, CAPACITY_TARGET)]);
        let (full, small) = (full.sessions, small.sessions);
        format!(
            "\nMemory: {per_session:.0} bytes of RSS per session ((RSS full at {full} sessions − RSS at {small}) / \
             {more}).\n\n{check}"
        )
    });
    format!(
        "# Scale benchmark: the embedded store at {last} sessions\n\n\
         Written by `cargo xtask bench-scale --sessions {last}` (`xtask/src/bench_scale.rs` says what each \
         phase does). One server worker pinned to CPU 0, wrk pinned to CPU 1 with {CONNECTIONS} keep-alive \
         connections, {duration} s per existing-sessions phase and {NEW_SECONDS} s per new-session phase, token \
         TTL {TTL} s. \"existing\" refreshes the filled sessions' tokens in a chain, \"new\" presents tokens never \
         seen; \"after expiry\" runs once the new-session phase's sessions have expired; \"store full\" is a server \
         filled to its capacity, which must refuse new sessions (503). The machine is shared with other work: only \
         ratios within this run mean anything. CPU is the server's user+system time per request (/proc), RSS its \
         `VmRSS` after the phase, latencies wrk's.\n\n{}\n## Ratios to the {first}-session figures of this run\n\n{}{}",
        table(header, &phases.iter().map(row).collect::<Vec<_>>()),
        table(ratios, &ratio_rows(phases)),
        memory.unwrap_or_default(),
        duration = options.duration,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, sessions: usize, cpu: f64, [p99, p999]: [f64; 2], rate: f64) -> Phase {
        let report = format!(
            "1 requests in 1s\nRequests/sec: {rate}\n 50% 5us\n 99% {p99}us\nscale.lua: p999_us={p999}"
        );
        let wrk = harness::parse_wrk(&report).unwrap();
        Phase {
            name: name.to_owned(),
            sessions,
            wrk,
            cpu,
            rss: 10.0,
        }
    }

    #[test]
    fn every_phase_is_judged_against_the_first_level_of_its_kind() {
        let phases = [
            phase("existing", 1000, 10.0, [1000.0, 2000.0], 40_000.0),
            phase("new", 1000, 20.0, [1000.0, 2000.0], 30_000.0),
            phase("existing", 1_000_000, 12.0, [1500.0, 4000.0], 35_000.0),
            phase("new", 1_000_000, 24.1, [1510.0, 4001.0], 30_000.0),
            phase(
                "existing, store full",
                1_000_000,
                10.0,
                [1000.0, 2000.0],
                31_999.0,
            ),
        ];
        let report = report(
            &phases,
            &Options {
                levels: vec![1000, 1_000_000],
                duration: 10,
            },
        );
        for line in [
            "| existing | 1000000 | 1.20 | 1.50 | 2.00 | 0.88 | met |",
            "| new | 1000000 | 1.21 | 1.51 | 2.00 | 1.00 | **NOT met**: CPU, p99, p99.9 |",
            "| existing sessions' requests/s, store full / first level | 0.80× | ≥ 0.80× | **FAIL** |",
        ] {
            assert!(report.contains(line), "{line} in {report}");
        }
    }
}
