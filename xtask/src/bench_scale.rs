//! `cargo xtask bench-scale`: the session stores at the sizes they are sold for (issues 17, 18).
//! At each `--sessions` level a fresh release server (one worker on CPU 0) is filled with that
//! many sessions by refreshing as many distinct tokens; then its existing sessions are refreshed
//! in a chain at a million sessions' load (33,333 requests/s, open loop), then flat out, then new
//! sessions are created at that load. At the largest level the existing sessions are measured
//! again once the new ones (never refreshed again) have expired, across their removal; then a
//! server whose capacity is the largest level is filled to it: existing sessions must keep their
//! pace, new ones be refused. Last, the first and largest levels again with the sessions in one
//! Redis node and in a three-primary cluster (Redis on CPU 1, its CPU not counted), flat out.
//! Every figure is judged as a ratio, in `docs/benchmarks-scale.md` with its chart.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "counts far below 2^52, shown as rates"
)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::files::repo_file;
use crate::harness::{self, CONNECTIONS, Check, MILLION_SESSIONS_RATE, Minter, PHASE_HEADER};
use crate::harness::{Phase, Server, chart, checks_table, ctx, table};
use crate::load::Load;

/// Seconds of a new-session phase.
const NEW_SECONDS: u32 = 3;
/// Connections the store is filled over, flat out.
const FILL_CONNECTIONS: usize = 16;
/// Issue 18's targets, as ratios to the first level's phase of the same kind: CPU per request,
/// p99, p99.9, and existing sessions' requests/s flat out with the store full; issue 17's: most
/// CPU per refresh with sessions in Redis against in-process, and of the cluster against one node.
const CPU_TARGET: f64 = 1.2;
const P99_TARGET: f64 = 1.5;
const P999_TARGET: f64 = 2.0;
const CAPACITY_TARGET: f64 = 0.8;
const REDIS_TARGET: f64 = 1.6;
const CLUSTER_TARGET: f64 = 1.1;
const FLAT: &str = "existing flat out";
const FULL: &str = ", store full";
const EXPIRED: &str = ", after expiry";
const PACED: Option<f64> = Some(MILLION_SESSIONS_RATE);

#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Sessions at each level, comma-separated, the baseline first.
    #[arg(long = "sessions", value_delimiter = ',', default_values_t = [1_000, 100_000, 1_000_000])]
    levels: Vec<usize>,
    /// Measured seconds of each existing-sessions phase.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// CI: tokens live 15 s, nothing written; fails only when the benchmark does not work.
    #[arg(long)]
    smoke: bool,
}

/// Runs the benchmark; `Ok(false)` when a target was missed.
pub(crate) fn run(options: &Options) -> Result<bool, String> {
    let (report, met) = report(&measure(options)?, options);
    println!("{report}");
    if options.smoke {
        return Ok(true);
    }
    let path = "docs/benchmarks-scale.md";
    std::fs::write(repo_file(path), report).map_err(ctx(path))?;
    Ok(met)
}

fn measure(options: &Options) -> Result<Vec<Phase>, String> {
    let levels = &options.levels;
    let largest = levels
        .iter()
        .copied()
        .max()
        .filter(|_| !levels.contains(&0));
    let largest = largest.ok_or("--sessions needs levels above 0")?;
    let release = harness::prepare()?;
    let ttl = if options.smoke { 15 } else { 120 };
    let mut scale = Scale {
        binary: release.join("ccstore-server"),
        dir: release.join("bench-scale"),
        minter: Minter::new(ttl),
        ttl,
        duration: options.duration,
        phases: Vec::new(),
    };
    std::fs::create_dir_all(&scale.dir).map_err(ctx(scale.dir.display()))?;
    let new = (MILLION_SESSIONS_RATE * f64::from(NEW_SECONDS) * 1.2) as usize;
    for &level in levels {
        eprintln!("bench-scale: {level} sessions");
        let mut server = scale.start(largest + new, None)?;
        let (mut chain, created) = scale.fill_and_measure(&mut server, level, "", new)?;
        if level == largest {
            // Keep the sessions refreshed until the new ones have expired; measure across that.
            let expiry = Duration::from_secs(ttl + 2);
            while let Some(left) = expiry.checked_sub(created.elapsed()) {
                let seconds = left.as_secs().clamp(1, 20) as u32;
                let what = ("keeping sessions alive", level);
                server.run(what, &mut chain, (PACED, seconds), Phase::checked)?;
            }
            let name = format!("existing{EXPIRED}");
            scale.phase(&mut server, &name, level, &mut chain, PACED)?;
        }
    }
    eprintln!("bench-scale: at capacity ({largest} sessions)");
    let mut server = scale.start(largest, None)?;
    scale.fill_and_measure(&mut server, largest, FULL, new)?;
    for (store, nodes) in [("Redis node", 1), ("Redis cluster", 3)] {
        for level in [levels[0], largest] {
            let redis = redis(&scale.dir.join("redis"), nodes)?;
            let scheme = if nodes == 1 { "redis" } else { "redis+cluster" };
            let url = format!("{scheme}://{}/", redis[0].address);
            let mut server = scale.start(largest, Some(url))?;
            let mut chain = scale.fill(&mut server, level)?;
            let name = format!("{FLAT}, {store}");
            scale.phase(&mut server, &name, level, &mut chain, None)?;
        }
    }
    Ok(scale.phases)
}

struct Scale {
    binary: PathBuf,
    dir: PathBuf,
    minter: Minter,
    ttl: u64,
    /// Seconds of an existing-sessions phase.
    duration: u32,
    phases: Vec<Phase>,
}

impl Scale {
    /// A server whose in-process store holds at most `capacity` sessions, or with its sessions
    /// in Redis at `redis`.
    fn start(&self, capacity: usize, redis: Option<String>) -> Result<Server, String> {
        let capacity = ("CCSTORE_MEMORY_STORE_CAPACITY", capacity.to_string());
        let mut env = vec![("CCSTORE_TOKEN_TTL", self.ttl.to_string()), capacity];
        env.extend(redis.map(|url| ("CCSTORE_REDIS_URL", url)));
        Server::start(&self.binary, &env, self.dir.join("server.log"))
    }

    /// Fills the store with `level` sessions; their tokens.
    fn fill(&mut self, server: &mut Server, level: usize) -> Result<VecDeque<String>, String> {
        let (mut chain, started) = (self.minter.mint(level), Instant::now());
        let fill = Load::count(FILL_CONNECTIONS, level);
        server
            .phase("filling", level, &mut chain, &fill)?
            .checked()?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("bench-scale: filled {level} sessions in {seconds:.1} s");
        Ok(chain)
    }

    /// Fills the store with `level` sessions, then measures refreshes of them at a million
    /// sessions' load and flat out, then the creation of `new` new sessions; each name followed
    /// by `suffix`. Returns the existing sessions' tokens and when the new sessions were created.
    fn fill_and_measure(
        &mut self,
        server: &mut Server,
        level: usize,
        suffix: &str,
        new: usize,
    ) -> Result<(VecDeque<String>, Instant), String> {
        let mut chain = self.fill(server, level)?;
        let name = format!("existing{suffix}");
        self.phase(server, &name, level, &mut chain, PACED)?;
        self.phase(server, &format!("{FLAT}{suffix}"), level, &mut chain, None)?;
        let (mut fresh, created) = (self.minter.mint(new), Instant::now());
        self.phase(server, &format!("new{suffix}"), level, &mut fresh, PACED)?;
        Ok((chain, created))
    }

    /// One measured phase. Every answer must be a 200 with a token, except that a full store
    /// must refuse every new session.
    fn phase(
        &mut self,
        server: &mut Server,
        name: &str,
        sessions: usize,
        tokens: &mut VecDeque<String>,
        rate: Option<f64>,
    ) -> Result<(), String> {
        let seconds = if name.starts_with("new") {
            NEW_SECONDS
        } else {
            self.duration
        };
        let check = if name == format!("new{FULL}") {
            refused
        } else {
            Phase::checked
        };
        let phase = server.run((name, sessions), tokens, (rate, seconds), check)?;
        eprintln!("bench-scale: {}", phase.row());
        self.phases.push(phase);
        Ok(())
    }
}

/// A full store's check: every new session refused.
fn refused(phase: Phase) -> Result<Phase, String> {
    if phase.outcome.ok == 0 && phase.outcome.refused > 0 {
        return Ok(phase);
    }
    Err(format!("{}: the full store took new sessions", phase.name))
}

/// `nodes` fresh `redis-server`s without persistence on free ports, pinned to CPU 1; three or
/// more are made a cluster.
fn redis(dir: &Path, nodes: usize) -> Result<Vec<Server>, String> {
    let _ = std::fs::remove_dir_all(dir);
    let start = |i: usize| {
        let (port, dir) = (harness::free_port()?, dir.join(i.to_string()));
        std::fs::create_dir_all(&dir).map_err(ctx(dir.display()))?;
        let mut command = Command::new("taskset");
        let args =
            format!("-c 1 redis-server --port {port} --bind 127.0.0.1 --appendonly no --save");
        command.args(args.split(' ')).arg("").arg("--dir").arg(&dir);
        command.args(["--cluster-enabled", if nodes > 1 { "yes" } else { "no" }]);
        Server::spawn(
            &mut command,
            SocketAddr::from(([127, 0, 0, 1], port)),
            dir.join("log"),
        )
    };
    let servers = (0..nodes).map(start).collect::<Result<Vec<_>, _>>()?;
    if nodes > 1 {
        let addresses: Vec<String> = servers.iter().map(|s| s.address.to_string()).collect();
        let create = format!("--cluster create {} --cluster-yes", addresses.join(" "));
        redis_cli(&create, "16384 slots covered")?;
        for server in &servers {
            redis_cli(
                &format!("-p {} CLUSTER INFO", server.address.port()),
                "cluster_state:ok",
            )?;
        }
    }
    Ok(servers)
}

/// Runs `redis-cli args` (split at spaces) until it prints `expected`, for up to 20 s.
fn redis_cli(args: &str, expected: &str) -> Result<(), String> {
    for _ in 0..400 {
        let output = Command::new("redis-cli").args(args.split(' ')).output();
        if String::from_utf8_lossy(&output.map_err(ctx("redis-cli"))?.stdout).contains(expected) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("redis-cli {args}: no {expected}"))
}

/// Every target: each phase at a million sessions' load against the first level's phase of its
/// kind (its name without a suffix) in CPU, p99 and p99.9; capacity with the store full; and at
/// each level Redis ran at, issue 17's.
fn checks(phases: &[Phase]) -> Vec<Check> {
    let first = phases.first().map_or(0, |p| p.sessions);
    let find = |name: &str, level| {
        phases
            .iter()
            .find(|p| p.name == name && p.sessions == level)
    };
    let mut checks = Vec::new();
    for phase in phases.iter().filter(|p| !p.name.starts_with(FLAT)) {
        let kind = phase.name.trim_end_matches(FULL).trim_end_matches(EXPIRED);
        let Some(base) = find(kind, first).filter(|base| !std::ptr::eq(*base, phase)) else {
            continue;
        };
        let what = |figure| {
            format!(
                "{}, {} sessions: {figure} / {first}",
                phase.name, phase.sessions
            )
        };
        checks.push(Check::at_most(
            what("CPU"),
            phase.cpu / base.cpu,
            CPU_TARGET,
            "×",
        ));
        let [p99, p999] = [0.99, 0.999].map(|q| phase.p(q) / base.p(q));
        checks.push(Check::at_most(what("p99"), p99, P99_TARGET, "×"));
        checks.push(Check::at_most(what("p99.9"), p999, P999_TARGET, "×"));
    }
    let full = phases.iter().find(|p| p.name == format!("{FLAT}{FULL}"));
    if let Some((small, full)) = find(FLAT, first).zip(full) {
        let what = "existing sessions' requests/s flat out, store full / first level";
        checks.push(Check::at_least(
            what,
            full.outcome.rate() / small.outcome.rate(),
            CAPACITY_TARGET,
        ));
    }
    for node in phases
        .iter()
        .filter(|p| p.name == format!("{FLAT}, Redis node"))
    {
        let level = node.sessions;
        if let Some(memory) = find(FLAT, level) {
            let what = format!("{level} sessions: Redis node, CPU / in-process");
            checks.push(Check::at_most(
                what,
                node.cpu / memory.cpu,
                REDIS_TARGET,
                "×",
            ));
        }
        if let Some(cluster) = find(&format!("{FLAT}, Redis cluster"), level) {
            let what = format!("{level} sessions: Redis cluster, CPU / node");
            checks.push(Check::at_most(
                what,
                cluster.cpu / node.cpu,
                CLUSTER_TARGET,
                "×",
            ));
        }
    }
    checks
}

/// The report, and whether every target was met: every phase, a chart of p99 against sessions,
/// the memory per session and the targets.
fn report(phases: &[Phase], options: &Options) -> (String, bool) {
    let all: Vec<String> = options.levels.iter().map(ToString::to_string).collect();
    let (first, all) = (all.first().cloned().unwrap_or_default(), all.join(","));
    let find = |name: &str| phases.iter().find(|p| p.name == name);
    let memory = find("existing").zip(find(&format!("existing{FULL}"))).map(|(small, full)| {
        let more = full.sessions.saturating_sub(small.sessions).max(1);
        let per_session = (full.rss - small.rss) * 1024.0 * 1024.0 / more as f64;
        let (full, small) = (full.sessions, small.sessions);
        format!(
            "Memory: {per_session:.0} bytes of RSS per session ((peak RSS full at {full} sessions − at \
             {small}) / {more}).\n\n"
        )
    });
    let paced = |p: &&Phase| p.name == "existing" || p.name == format!("existing{FULL}");
    let label = |p: &Phase| p.name.replace("existing", &p.sessions.to_string());
    let bars: Vec<_> = phases
        .iter()
        .filter(paced)
        .map(|p| (label(p), p.p(0.99)))
        .collect();
    let (checks, met) = checks_table(&checks(phases));
    let report = format!(
        "# Scale benchmark: the session stores at {all} sessions\n\n\
         Written by `cargo xtask bench-scale --sessions {all}` (`xtask/src/bench_scale.rs` says what each \
         phase does). One server worker pinned to CPU 0, the load generator (`xtask/src/load.rs`) pinned to \
         CPU 1 with {CONNECTIONS} keep-alive connections; \"existing\" refreshes the filled sessions' tokens \
         in a chain and \"new\" presents tokens never seen, both at 33,333 requests/s (a million sessions \
         refreshing every 30 s), open loop, latency counted from when each request was due, in windows of \
         which the one with the median p99 is shown; \"{FLAT}\" asks as fast as the server answers. \
         {duration} s per existing-sessions phase, {NEW_SECONDS} s per new-session phase, token TTL 120 s. \
         \"after expiry\" runs once the new-session phase's sessions have expired; \"store full\" is a server \
         filled to its capacity, which must refuse new sessions (503); \"Redis node\" and \"Redis cluster\" \
         keep the sessions in Redis (on CPU 1, its CPU not counted). Only ratios within this run mean \
         anything. CPU is the server's user+system time per request (/proc), RSS its peak (`VmHWM`).\n\n\
         {}\n{}\n## Targets, against the {first}-session figures of this run\n\n{}{checks}",
        table(PHASE_HEADER, phases.iter().map(Phase::row)),
        chart(
            "p99 latency of existing sessions against sessions in the store",
            "µs",
            &bars
        ),
        memory.unwrap_or_default(),
        duration = options.duration,
    );
    (report, met)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Outcome;

    /// `name sessions cpu p99 p99.9 requests/s`, a line each: 1,000 latencies, 988 of 10 µs, then
    /// 10 of p99 and two of p99.9; RSS one MiB per 10,000 sessions.
    const PHASES: &str = "existing 1000 10 1000 2000 33000
existing flat out 1000 8 1000 2000 40000
new 1000 20 1000 2000 33000
existing 1000000 12 1500 4000 33000
existing flat out 1000000 9 1000 2000 40000
new 1000000 24.1 1510 4001 33000
existing, after expiry 1000000 12.1 1000 2000 33000
existing, store full 1000000 10 1000 2000 33000
existing flat out, store full 1000000 10 1000 2000 31999
existing flat out, Redis node 1000 12.8 1 1 1
existing flat out, Redis cluster 1000 14.2 1 1 1
existing flat out, Redis node 1000000 14.5 1 1 1";

    fn phase(line: &str) -> Phase {
        let fields: Vec<&str> = line.rsplitn(6, ' ').collect();
        let [rate, p999, p99, cpu, sessions, name] = fields[..] else {
            panic!("{line}")
        };
        let [rate, p999, p99, cpu] = [rate, p999, p99, cpu].map(|v| v.parse::<f64>().unwrap());
        let mut latencies = vec![10.0; 988];
        latencies.extend([p99; 10].iter().chain(&[p999; 2]));
        let (name, outcome, sessions) = (
            name.to_owned(),
            Outcome::of(&latencies, rate),
            sessions.parse().unwrap(),
        );
        Phase {
            name,
            sessions,
            outcome,
            cpu,
            rss: sessions as f64 / 1e4,
        }
    }

    #[test]
    fn every_phase_is_judged_against_the_first_level_of_its_kind() {
        let phases: Vec<Phase> = PHASES.lines().map(phase).collect();
        let options = Options {
            levels: vec![1000, 1_000_000],
            duration: 10,
            smoke: false,
        };
        let (report, met) = report(&phases, &options);
        for line in [
            "| existing, 1000000 sessions: CPU / 1000 | 1.20× | ≤ 1.20× | pass |",
            "| existing, 1000000 sessions: p99 / 1000 | 1.50× | ≤ 1.50× | pass |",
            "| existing, 1000000 sessions: p99.9 / 1000 | 2.00× | ≤ 2.00× | pass |",
            "| new, 1000000 sessions: CPU / 1000 | 1.21× | ≤ 1.20× | **FAIL** |",
            "| new, 1000000 sessions: p99 / 1000 | 1.51× | ≤ 1.50× | **FAIL** |",
            "| existing, after expiry, 1000000 sessions: CPU / 1000 | 1.21× | ≤ 1.20× | **FAIL** |",
            "| existing, store full, 1000000 sessions: p99 / 1000 | 1.00× | ≤ 1.50× | pass |",
            "| existing sessions' requests/s flat out, store full / first level | 0.80× | ≥ 0.80× | **FAIL** |",
            "| 1000 sessions: Redis node, CPU / in-process | 1.60× | ≤ 1.60× | pass |",
            "| 1000 sessions: Redis cluster, CPU / node | 1.11× | ≤ 1.10× | **FAIL** |",
            "| 1000000 sessions: Redis node, CPU / in-process | 1.61× | ≤ 1.60× | **FAIL** |",
            "Memory: 105 bytes of RSS per session",
            "x-axis [\"1000\", \"1000000\", \"1000000, store full\"]\n    y-axis \"µs\"\n    bar [1000.0, 1500.0, 1000.0]",
        ] {
            assert!(report.contains(line), "{line} in {report}");
        }
        assert!(
            !report.contains("| existing, 1000 sessions"),
            "the baseline is not judged against itself"
        );
        assert!(!met);
        let passing: Vec<Phase> = PHASES.lines().take(5).map(phase).collect();
        assert!(super::report(&passing, &options).1);
    }
}
