//! `cargo xtask bench-scale`: the embedded store at the sizes it is sold for. For each level of
//! sessions (1,000, 100,000 and 1,000,000 by default) a fresh release server (one worker on CPU
//! 0, the in-process store) is filled with that many sessions by refreshing as many distinct
//! tokens; then wrk (CPU 1) measures chained refreshes of those existing sessions, then the
//! creation of new ones. At the largest level the existing sessions are measured once more after
//! the sessions created by the new-session phase have expired, so that the run spans their
//! expiry. Last, a server whose capacity is the largest level is filled to it: existing sessions
//! are measured at capacity, and new ones must be refused. Every figure is a ratio to the
//! 1,000-session figures of the same run, on a machine that may be shared.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and ticks far below 2^52, shown as rates"
)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ccstore_core::{HmacKey, KeySet, SystemClock, TokenEncoding, TokenPolicy, TokenService};

use crate::bench;
use crate::bench_wrk::{self, WrkResult, WrkRun};
use crate::files::repo_file;

/// Seconds of the new-session phase.
const NEW_SECONDS: u32 = 3;
/// Tokens minted for the new-session phase: more than a worker refreshes in [`NEW_SECONDS`].
const NEW_TOKENS: usize = 400_000;
/// Keep-alive connections of the filling client, and requests in flight on each.
const FILL_CONNECTIONS: usize = 8;
const FILL_PIPELINE: usize = 32;

/// The task's settings.
pub(crate) struct Options {
    /// Sessions in the store at each measured level, smallest first (the first is the baseline).
    pub(crate) levels: Vec<usize>,
    /// Measured seconds of each existing-sessions phase.
    pub(crate) duration: u32,
    /// Keep-alive connections held by wrk.
    pub(crate) connections: u32,
    /// Token lifetime of the servers, seconds: longer than a cycle through every session of the
    /// largest level, short enough that the new-session phase's sessions expire within the run.
    pub(crate) ttl: u64,
    /// Skip writing `docs/benchmarks-scale.md`.
    pub(crate) dry_run: bool,
}

/// One measured phase.
#[derive(Debug, Clone)]
struct Phase {
    name: String,
    sessions: usize,
    wrk: WrkResult,
    p999_us: f64,
    max_us: f64,
    cpu_us: f64,
    rss_mib: f64,
    /// The server's own refresh latency (`ccstore_refresh_duration_seconds`), as the bucket
    /// bounds under which 99 %, 99.9 % and all of the phase's refreshes fell, µs.
    server_us: [f64; 3],
}

/// Runs the benchmark; `false` when it could not be run.
pub(crate) fn run(options: &Options) -> bool {
    match run_levels(options) {
        Ok(()) => true,
        Err(message) => {
            eprintln!("bench-scale: {message}");
            false
        }
    }
}

fn run_levels(options: &Options) -> Result<(), String> {
    bench::check_tools()?;
    if options.levels.is_empty() || options.levels.contains(&0) {
        return Err("--sessions needs at least one level above 0".to_owned());
    }
    bench::build()?;
    let binary = bench::target_dir()?.join("release").join("ccstore-server");
    let ticks = bench::clock_ticks_per_second()?;
    let largest = options.levels.iter().copied().max().unwrap_or(1);
    let minter = minter(options.ttl);
    let mut phases = Vec::new();
    let mut sub = 0;
    let mut mint = |count: usize| -> Vec<String> {
        (0..count)
            .map(|_| {
                sub += 1;
                minter
                    .mint(&format!("scale-{sub:08}"), serde_json::Map::new())
                    .unwrap()
                    .token
            })
            .collect()
    };
    for &level in &options.levels {
        eprintln!("bench-scale: {level} sessions");
        let mut server = Server::start(&binary, largest + NEW_TOKENS, options.ttl)?;
        let (chain, created) =
            server.fill_and_measure(level, "", &mut mint, options, ticks, &mut phases)?;
        if level == largest {
            // Keep the existing sessions refreshed, unmeasured, until the new-session phase's
            // sessions (never refreshed again) have expired; then measure across their removal.
            let expiry = Duration::from_secs(options.ttl + 2);
            while created.elapsed() < expiry {
                let left = expiry.saturating_sub(created.elapsed()).as_secs().max(1);
                server.wrk(&chain, options, u32::try_from(left.min(20)).unwrap_or(20))?;
            }
            phases.push(server.measure(
                "existing, after expiry",
                level,
                &chain,
                options,
                options.duration,
                ticks,
            )?);
        }
    }
    eprintln!("bench-scale: at capacity ({largest} sessions)");
    let mut server = Server::start(&binary, largest, options.ttl)?;
    server.fill_and_measure(
        largest,
        ", store full",
        &mut mint,
        options,
        ticks,
        &mut phases,
    )?;
    drop(server);
    let report = report(&phases, options);
    println!("{report}");
    if !options.dry_run {
        std::fs::write(repo_file("docs/benchmarks-scale.md"), &report)
            .map_err(|e| format!("writing docs/benchmarks-scale.md: {e}"))?;
    }
    Ok(())
}

/// Mints tokens as the server verifies them, with the bench key, in this process.
fn minter(ttl: u64) -> TokenService {
    let policy = TokenPolicy {
        issuer: "storefrontUI".to_owned(),
        ttl,
        leeway: 0,
        session_max: Some(43_200),
        encoding: TokenEncoding::Occ,
    };
    let key = HmacKey::new(bench::BENCH_KEY.as_bytes()).unwrap();
    TokenService::new(
        KeySet::single(key),
        policy,
        std::sync::Arc::new(SystemClock),
    )
}

fn write_tokens(path: &Path, tokens: &[String]) -> Result<(), String> {
    let mut text = tokens.join("\n");
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// A running scale server and where its files go.
struct Server {
    child: Child,
    address: SocketAddr,
    dir: PathBuf,
}

impl Server {
    fn start(binary: &Path, capacity: usize, ttl: u64) -> Result<Self, String> {
        let address = bench::free_address()?;
        let dir = bench::target_dir()?.join("bench-scale");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
        let mut command = Command::new("taskset");
        command.args(["-c", "0"]).arg(binary);
        bench::clean_env(&mut command)
            .env("CCSTORE_BIND", address.to_string())
            .env("CCSTORE_WORKERS", "1")
            .env("CCSTORE_TOKEN_TTL", ttl.to_string())
            .env("CCSTORE_MEMORY_STORE_CAPACITY", capacity.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let server = Self {
            child,
            address,
            dir,
        };
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("the server did not start listening within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(server)
    }

    /// Fills the store with `level` sessions, then measures refreshes of them ("existing") and
    /// the creation of new ones ("new"), each name followed by `suffix`. Returns the file of the
    /// existing sessions' tokens and when the new sessions were created.
    fn fill_and_measure(
        &mut self,
        level: usize,
        suffix: &str,
        mint: &mut impl FnMut(usize) -> Vec<String>,
        options: &Options,
        ticks: f64,
        phases: &mut Vec<Phase>,
    ) -> Result<(PathBuf, Instant), String> {
        let successors = fill(self.address, &mint(level))?;
        let chain = self.dir.join("chain.txt");
        write_tokens(&chain, &successors)?;
        let existing = format!("existing{suffix}");
        phases.push(self.measure(&existing, level, &chain, options, options.duration, ticks)?);
        let fresh = self.dir.join("fresh.txt");
        write_tokens(&fresh, &mint(NEW_TOKENS))?;
        let created = Instant::now();
        let new = format!("new{suffix}");
        phases.push(self.measure(&new, level, &fresh, options, NEW_SECONDS, ticks)?);
        Ok((chain, created))
    }

    /// Runs wrk for `seconds` on the queue of tokens in `tokens`, which it rewrites with the
    /// tokens still queued at the end, to chain the next run.
    fn wrk(
        &self,
        tokens: &Path,
        options: &Options,
        seconds: u32,
    ) -> Result<(WrkResult, String), String> {
        let out = self.dir.join("left.txt");
        let url = format!("http://{}/ccstore/v1/refresh", self.address);
        let script = repo_file("bench/scale.lua");
        let result = bench_wrk::run_with_report(&WrkRun {
            script: &script,
            url: &url,
            connections: options.connections,
            seconds,
            tokens_in: tokens,
            tokens_out: &out,
        })?;
        std::fs::rename(&out, tokens).map_err(|e| format!("keeping the chain: {e}"))?;
        Ok(result)
    }

    /// One measured wrk run, with the server's CPU time and RSS read around it.
    fn measure(
        &mut self,
        name: &str,
        sessions: usize,
        tokens: &Path,
        options: &Options,
        seconds: u32,
        ticks_per_second: f64,
    ) -> Result<Phase, String> {
        let pid = self.child.id();
        let histogram_before = histogram(self.address)?;
        let before = bench::cpu_ticks(pid)?;
        let (wrk, report) = self.wrk(tokens, options, seconds)?;
        let cpu_seconds = (bench::cpu_ticks(pid)? - before) as f64 / ticks_per_second;
        let histogram_after = histogram(self.address)?;
        let bound = |share| quantile_bound(&histogram_before, &histogram_after, share);
        let (p999_us, max_us) = scale_line(&report)?;
        let phase = Phase {
            name: name.to_owned(),
            sessions,
            cpu_us: cpu_seconds * 1e6 / wrk.requests.max(1) as f64,
            rss_mib: rss_kib(pid)? as f64 / 1024.0,
            wrk,
            p999_us,
            max_us,
            server_us: [bound(0.99), bound(0.999), bound(1.0)],
        };
        eprintln!(
            "bench-scale: {:>24} at {:>9} sessions: {:>8.0} req/s, {:.2} µs CPU, p99 {:.0} µs, \
             p99.9 {:.0} µs, max {:.0} µs, non-200 {}, RSS {:.1} MiB; in the server p99 ≤ {} \
             µs, p99.9 ≤ {} µs, max ≤ {} µs",
            phase.name,
            phase.sessions,
            phase.wrk.requests_per_sec,
            phase.cpu_us,
            phase.wrk.p99_us,
            phase.p999_us,
            phase.max_us,
            phase.wrk.lua.non200,
            phase.rss_mib,
            phase.server_us[0],
            phase.server_us[1],
            phase.server_us[2]
        );
        Ok(phase)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `p999_us` and `max_us` of the `scale.lua:` line.
fn scale_line(report: &str) -> Result<(f64, f64), String> {
    let line = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("scale.lua:"))
        .ok_or("no `scale.lua:` line in wrk's report")?;
    let field = |name: &str| -> Result<f64, String> {
        line.split_whitespace()
            .find_map(|field| field.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("no {name} in {line:?}"))
    };
    Ok((field("p999_us=")?, field("max_us=")?))
}

/// The cumulative buckets of the server's refresh latency histogram: (upper bound µs, count).
fn histogram(address: SocketAddr) -> Result<Vec<(f64, u64)>, String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("metrics: {e}"))?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("metrics: {e}"))?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| format!("metrics: {e}"))?;
    let buckets: Vec<(f64, u64)> = text
        .lines()
        .filter_map(|line| line.strip_prefix("ccstore_refresh_duration_seconds_bucket{le=\""))
        .filter_map(|rest| {
            let (bound, count) = rest.split_once("\"} ")?;
            let bound = if bound == "+Inf" {
                f64::INFINITY
            } else {
                bound.parse::<f64>().ok()? * 1e6
            };
            Some((bound, count.trim().parse().ok()?))
        })
        .collect();
    if buckets.is_empty() {
        return Err("no ccstore_refresh_duration_seconds buckets in /metrics".to_owned());
    }
    Ok(buckets)
}

/// The smallest bucket bound under which `share` of the refreshes between two readings of the
/// histogram fell, µs.
fn quantile_bound(before: &[(f64, u64)], after: &[(f64, u64)], share: f64) -> f64 {
    let counts: Vec<(f64, u64)> = after
        .iter()
        .zip(before)
        .map(|(&(bound, after), &(_, before))| (bound, after.saturating_sub(before)))
        .collect();
    let total = counts.last().map_or(0, |&(_, count)| count);
    counts
        .iter()
        .find(|&&(_, count)| count as f64 >= share * total as f64)
        .map_or(f64::INFINITY, |&(bound, _)| bound)
}

/// `VmRSS` of a process, KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
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
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err("a filler panicked".into()))
            })
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
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut successors = Vec::with_capacity(tokens.len());
    for batch in tokens.chunks(FILL_PIPELINE) {
        let mut requests = String::new();
        for token in batch {
            write!(
                requests,
                "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
            )
            .map_err(|e| e.to_string())?;
        }
        writer
            .write_all(requests.as_bytes())
            .map_err(|e| format!("send: {e}"))?;
        for _ in batch {
            let (status, body) = read_answer(&mut reader)?;
            if status != 200 {
                return Err(format!("filling: {status} {body}"));
            }
            let token = body
                .split("\"access_token\":\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .ok_or_else(|| format!("no access_token in {body}"))?;
            successors.push(token.to_owned());
        }
    }
    Ok(successors)
}

/// Status and body of one answer with a `Content-Length`.
fn read_answer(reader: &mut BufReader<TcpStream>) -> Result<(u16, String), String> {
    let mut status = 0;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".to_owned());
        }
        if status == 0 {
            status = line
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
        } else if line == "\r\n" {
            break;
        } else if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The report: every phase, then each ratio to the baseline with its target.
fn report(phases: &[Phase], options: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Scale benchmark: the embedded store from 1,000 to 1,000,000 sessions\n\n\
         Written by `cargo xtask bench-scale --sessions {}` (see `xtask/src/bench_scale.rs`). \
         One server worker pinned to CPU 0, wrk pinned to CPU 1 with {} keep-alive connections, \
         {} s per existing-sessions phase and {NEW_SECONDS} s per new-session phase, token TTL \
         {} s. Each level is a fresh server whose store (capacity {}) is first filled with \
         that many sessions by refreshing as many distinct tokens; \"existing\" then refreshes \
         those sessions' tokens in a chain (each request presents a token an earlier answer \
         returned, cycling through every session), \"new\" presents tokens never seen (each \
         creates a session). At the largest level, \"after expiry\" is measured once the \
         sessions the new-session phase created (never refreshed again) have expired, so the \
         store drops them during the run. \"store full\" is a server whose capacity is the \
         largest level, filled to it: new sessions must be refused (503).\n\n\
         The machine is shared with other work: only ratios within this run mean anything. CPU \
         is the server's user+system time per request (/proc, clock ticks); RSS is the server's \
         `VmRSS` after the phase. Latencies are wrk's, from request to answer, unless marked \
         \"in the server\": those are the server's own histogram of refresh time \
         (`ccstore_refresh_duration_seconds`, read from `/metrics` before and after the phase), \
         as the bucket bounds under which 99 %, 99.9 % and all refreshes fell; wrk's include \
         its own pauses (its Lua queue holds every session's token).\n",
        options
            .levels
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
        options.connections,
        options.duration,
        options.ttl,
        options.levels.iter().max().unwrap_or(&0) + NEW_TOKENS,
    );
    let _ = writeln!(
        out,
        "| phase | sessions | requests/s | CPU µs/request | p50 | p99 | p99.9 | max | non-200 | RSS MiB | in the server: p99 ≤ | p99.9 ≤ | max ≤ |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for phase in phases {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.2} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0} µs | {} | {:.1} | {} µs | {} µs | {} µs |",
            phase.name,
            phase.sessions,
            phase.wrk.requests_per_sec,
            phase.cpu_us,
            phase.wrk.p50_us,
            phase.wrk.p99_us,
            phase.p999_us,
            phase.max_us,
            phase.wrk.lua.non200,
            phase.rss_mib,
            phase.server_us[0],
            phase.server_us[1],
            phase.server_us[2]
        );
    }
    let baseline = |name: &str| phases.iter().find(|phase| phase.name == name);
    let _ = writeln!(
        out,
        "\n## Ratios to the {}-session figures of this run\n\n\
         | phase | sessions | CPU (≤ 1.2) | p99 (≤ 1.5) | p99.9 (≤ 2) | requests/s |\n\
         |---|---:|---:|---:|---:|---:|",
        phases.first().map_or(0, |phase| phase.sessions)
    );
    for phase in phases {
        let kind = if phase.name.starts_with("new") {
            "new"
        } else {
            "existing"
        };
        let Some(base) = baseline(kind) else { continue };
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            phase.name,
            phase.sessions,
            phase.cpu_us / base.cpu_us,
            phase.wrk.p99_us / base.wrk.p99_us,
            phase.p999_us / base.p999_us,
            phase.wrk.requests_per_sec / base.wrk.requests_per_sec,
        );
    }
    if let (Some(small), Some(full)) = (baseline("existing"), baseline("existing, store full")) {
        let sessions = full.sessions.saturating_sub(small.sessions).max(1);
        let _ = writeln!(
            out,
            "\nMemory: {:.0} bytes of RSS per session: (RSS with the store full at {} sessions − \
             RSS at {} sessions) / {} sessions. At capacity, existing sessions kept {:.2}× their \
             requests/s at {} sessions (target ≥ 0.8).",
            (full.rss_mib - small.rss_mib) * 1024.0 * 1024.0 / sessions as f64,
            full.sessions,
            small.sessions,
            sessions,
            full.wrk.requests_per_sec / small.wrk.requests_per_sec,
            small.sessions
        );
    }
    out
}
