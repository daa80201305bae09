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
use crate::harness::{
    self, CONNECTIONS, Check, MILLION_SESSIONS_RATE, Minter, PHASE_HEADER, Phase, Server,
};
use crate::harness::{chart, checks_table, ctx, table};
use crate::load::Load;

/// Seconds of a new-session phase.
const NEW_SECONDS: u32 = 3;
/// Connections the store is filled over, flat out.
const FILL_CONNECTIONS: usize = 16;
/// Issue 18's targets, as ratios to the first level's figures: CPU per request, p99, p99.9, and
/// existing sessions' requests/s flat out with the store full; issue 17's: most CPU per refresh
/// with sessions in Redis against in-process, and of the cluster against one node.
const CPU_TARGET: f64 = 1.2;
const P99_TARGET: f64 = 1.5;
const P999_TARGET: f64 = 2.0;
const CAPACITY_TARGET: f64 = 0.8;
const REDIS_TARGET: f64 = 1.6;
const CLUSTER_TARGET: f64 = 1.1;
const FLAT: &str = "existing flat out";
const FULL: &str = ", store full";
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

/// Runs the benchmark; `false` when it could not be run.
pub(crate) fn run(options: &Options) -> bool {
    let report = measure(options).and_then(|phases| {
        let report = report(&phases, options);
        println!("{report}");
        let path = "docs/benchmarks-scale.md";
        let write = || std::fs::write(repo_file(path), report).map_err(ctx(path));
        if options.smoke { Ok(()) } else { write() }
    });
    report.map_err(|e| eprintln!("bench-scale: {e}")).is_ok()
}

fn measure(options: &Options) -> Result<Vec<Phase>, String> {
    let levels = &options.levels;
    let largest = levels
        .iter()
        .copied()
        .max()
        .filter(|_| !levels.contains(&0));
    let largest = largest.ok_or("--sessions needs levels above 0")?;
    let release = harness::prepare(&[
        ("redis-server", "redis-server"),
        ("redis-cli", "redis-tools"),
    ])?;
    let dir = release.join("../bench-scale");
    std::fs::create_dir_all(&dir).map_err(ctx(dir.display()))?;
    let ttl = if options.smoke { 15 } else { 120 };
    let mut scale = Scale {
        binary: release.join("ccstore-server"),
        minter: Minter::new(ttl),
        ttl,
        dir,
        duration: options.duration,
        phases: Vec::new(),
    };
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
            scale.phase(
                &mut server,
                "existing, after expiry",
                level,
                &mut chain,
                PACED,
            )?;
        }
    }
    eprintln!("bench-scale: at capacity ({largest} sessions)");
    let mut server = scale.start(largest, None)?;
    scale.fill_and_measure(&mut server, largest, FULL, new)?;
    for (store, nodes) in [("Redis node", 1), ("Redis cluster", 3)] {
        for level in [levels[0], largest] {
            let redis = redis(&scale.dir.join("redis"), nodes)?;
            let url = match nodes {
                1 => format!("redis://{}/", redis[0].address),
                _ => format!("redis+cluster://{}/", redis[0].address),
            };
            let mut server = scale.start(largest, Some(url))?;
            let mut chain = scale.fill(&mut server, level)?;
            scale.phase(
                &mut server,
                &format!("{FLAT}, {store}"),
                level,
                &mut chain,
                None,
            )?;
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
        self.phase(
            server,
            &format!("existing{suffix}"),
            level,
            &mut chain,
            PACED,
        )?;
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
            command,
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
            let info = format!("-p {} CLUSTER INFO", server.address.port());
            redis_cli(&info, "cluster_state:ok")?;
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

/// Each phase at a million sessions' load against the first level's phase of its kind (the name
/// without its suffix): CPU, p99, p99.9, judged; flat-out phases show their requests/s ratio.
fn ratio_rows(phases: &[Phase]) -> Vec<String> {
    let row = |phase: &Phase| {
        let kind = phase
            .name
            .trim_end_matches(FULL)
            .trim_end_matches(", after expiry");
        let base = phases.iter().find(|p| p.name == kind)?;
        let ratio = |f: &dyn Fn(&Phase) -> f64| f(phase) / f(base);
        let (Phase { name, sessions, .. }, rate) = (phase, ratio(&|p| p.outcome.rate()));
        if name.starts_with(FLAT) {
            return Some(format!(
                "{name} | {sessions} | | | | {rate:.2} | capacity, below"
            ));
        }
        let ratios = [
            (ratio(&|p| p.cpu), CPU_TARGET, "CPU"),
            (ratio(&|p| p.p(0.99)), P99_TARGET, "p99"),
            (ratio(&|p| p.p(0.999)), P999_TARGET, "p99.9"),
        ];
        let missed: Vec<&str> = ratios.iter().filter(|r| r.0 > r.1).map(|r| r.2).collect();
        let verdict = match missed.as_slice() {
            [] => "met".to_owned(),
            missed => format!("**NOT met**: {}", missed.join(", ")),
        };
        let [cpu, p99, p999] = ratios.map(|r| r.0);
        Some(format!(
            "{name} | {sessions} | {cpu:.2} | {p99:.2} | {p999:.2} | {rate:.2} | {verdict}"
        ))
    };
    phases.iter().filter_map(row).collect()
}

/// The capacity target and, at each level Redis ran at, issue 17's.
fn checks(phases: &[Phase]) -> Vec<Check> {
    let find = |name: &str, level: usize| {
        phases
            .iter()
            .find(|p| p.name == name && p.sessions == level)
    };
    let (first, mut checks) = (phases.first().map_or(0, |p| p.sessions), Vec::new());
    let full = phases.iter().find(|p| p.name == format!("{FLAT}{FULL}"));
    if let Some((small, full)) = find(FLAT, first).zip(full) {
        let kept = full.outcome.rate() / small.outcome.rate();
        let what = "existing sessions' requests/s flat out, store full / first level";
        checks.push(Check::at_least(what, kept, CAPACITY_TARGET));
    }
    for p in phases
        .iter()
        .filter(|p| p.name == format!("{FLAT}, Redis node"))
    {
        let (level, cluster) = (
            p.sessions,
            find(&format!("{FLAT}, Redis cluster"), p.sessions),
        );
        if let Some(memory) = find(FLAT, level) {
            let what = format!("{level} sessions: Redis node, CPU / in-process");
            checks.push(Check::at_most(what, p.cpu / memory.cpu, REDIS_TARGET, "×"));
        }
        if let Some(cluster) = cluster {
            let what = format!("{level} sessions: Redis cluster, CPU / node");
            checks.push(Check::at_most(
                what,
                cluster.cpu / p.cpu,
                CLUSTER_TARGET,
                "×",
            ));
        }
    }
    checks
}

/// The report: every phase, a chart of p99 against sessions, each phase's ratios to the baseline
/// of its kind, the memory per session and the targets between phases.
fn report(phases: &[Phase], options: &Options) -> String {
    let all: Vec<String> = options.levels.iter().map(ToString::to_string).collect();
    let (first, all) = (all.first().cloned().unwrap_or_default(), all.join(","));
    let ratios =
        "phase | sessions | CPU (≤ 1.2) | p99 (≤ 1.5) | p99.9 (≤ 2) | requests/s | targets";
    let find = |name: &str| phases.iter().find(|p| p.name == name);
    let memory = find("existing").zip(find(&format!("existing{FULL}"))).map(|(small, full)| {
        let more = full.sessions.saturating_sub(small.sessions).max(1);
        let per_session = (full.rss - small.rss) * 1024.0 * 1024.0 / more as f64;
        let (full, small) = (full.sessions, small.sessions);
        format!(
            "\nMemory: {per_session:.0} bytes of RSS per session ((peak RSS full at {full} sessions − at \
             {small}) / {more}).\n"
        )
    });
    let paced = |p: &&Phase| p.name == "existing" || p.name == format!("existing{FULL}");
    let label = |p: &Phase| p.name.replace("existing", &p.sessions.to_string());
    let bars: Vec<_> = phases
        .iter()
        .filter(paced)
        .map(|p| (label(p), p.p(0.99)))
        .collect();
    format!(
        "# Scale benchmark: the session stores at {all} sessions\n\n\
         Written by `cargo xtask bench-scale --sessions {all}` (`xtask/src/bench_scale.rs` says what each \
         phase does). One server worker pinned to CPU 0, the load generator (`xtask/src/load.rs`) pinned to \
         CPU 1 with {CONNECTIONS} keep-alive connections; \"existing\" refreshes the filled sessions' tokens \
         in a chain and \"new\" presents tokens never seen, both at 33,333 requests/s (a million sessions \
         refreshing every 30 s), open loop, latency counted from when each request was due, in 2-s windows (1 s for \"new\") of \
         which the one with the median p99 is shown (this machine pauses for milliseconds now and then); \"{FLAT}\" \
         asks as fast as the server answers. {duration} s per existing-sessions phase, {NEW_SECONDS} s per \
         new-session phase, token TTL 120 s. \"after expiry\" runs once the new-session phase's sessions \
         have expired; \"store full\" is a server filled to its capacity, which must refuse new sessions \
         (503); \"Redis node\" and \"Redis cluster\" keep the sessions in Redis (on CPU 1, its CPU not \
         counted). The machine is shared with other work: only ratios within this run mean anything. CPU is \
         the server's user+system time per request (/proc), RSS its peak (`VmHWM`) after the phase.\n\n\
         {}\n{}\n## Ratios to the {first}-session figures of this run\n\n{}{}\n{}",
        table(
            PHASE_HEADER,
            &phases.iter().map(Phase::row).collect::<Vec<_>>()
        ),
        chart(
            "p99 latency of existing sessions against sessions in the store",
            "µs",
            &bars
        ),
        table(ratios, &ratio_rows(phases)),
        memory.unwrap_or_default(),
        checks_table(&checks(phases)).0,
        duration = options.duration,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Outcome;

    fn phase(name: &str, sessions: usize, cpu: f64, [p99, p999]: [f64; 2], rate: f64) -> Phase {
        // 1,000 latencies: 988 of 10 µs, then 10 of p99 and two of p99.9.
        let mut latencies = vec![10.0; 988];
        latencies.extend([p99; 10].iter().chain(&[p999; 2]));
        let (name, outcome) = (name.to_owned(), Outcome::of(&latencies, rate));
        let rss = sessions as f64 / 1e4;
        Phase {
            name,
            sessions,
            outcome,
            cpu,
            rss,
        }
    }

    #[test]
    fn every_phase_is_judged_against_the_first_level_of_its_kind() {
        let (node, cluster) = (
            format!("{FLAT}, Redis node"),
            format!("{FLAT}, Redis cluster"),
        );
        let phases = [
            phase("existing", 1000, 10.0, [1000.0, 2000.0], 33_000.0),
            phase(FLAT, 1000, 8.0, [1000.0, 2000.0], 40_000.0),
            phase("new", 1000, 20.0, [1000.0, 2000.0], 33_000.0),
            phase("existing", 1_000_000, 12.0, [1500.0, 4000.0], 33_000.0),
            phase(FLAT, 1_000_000, 9.0, [1000.0, 2000.0], 40_000.0),
            phase("new", 1_000_000, 24.1, [1510.0, 4001.0], 33_000.0),
            phase(
                "existing, after expiry",
                1_000_000,
                12.1,
                [1000.0, 2000.0],
                33_000.0,
            ),
            phase(
                "existing, store full",
                1_000_000,
                10.0,
                [1000.0, 2000.0],
                33_000.0,
            ),
            phase(
                "existing flat out, store full",
                1_000_000,
                10.0,
                [1000.0, 2000.0],
                31_999.0,
            ),
            phase(&node, 1000, 12.8, [1.0, 1.0], 1.0),
            phase(&cluster, 1000, 14.2, [1.0, 1.0], 1.0),
            phase(&node, 1_000_000, 14.5, [1.0, 1.0], 1.0),
        ];
        let report = report(
            &phases,
            &Options {
                levels: vec![1000, 1_000_000],
                duration: 10,
                smoke: false,
            },
        );
        for line in [
            "| existing | 1000000 | 1.20 | 1.50 | 2.00 | 1.00 | met |",
            "| new | 1000000 | 1.21 | 1.51 | 2.00 | 1.00 | **NOT met**: CPU, p99, p99.9 |",
            "| existing, after expiry | 1000000 | 1.21 | 1.00 | 1.00 | 1.00 | **NOT met**: CPU |",
            "| existing flat out, store full | 1000000 | | | | 0.80 | capacity, below |",
            "| existing sessions' requests/s flat out, store full / first level | 0.80× | ≥ 0.80× | **FAIL** |",
            "| 1000 sessions: Redis node, CPU / in-process | 1.60× | ≤ 1.60× | pass |",
            "| 1000 sessions: Redis cluster, CPU / node | 1.11× | ≤ 1.10× | **FAIL** |",
            "| 1000000 sessions: Redis node, CPU / in-process | 1.61× | ≤ 1.60× | **FAIL** |",
            "Memory: 105 bytes of RSS per session",
            "x-axis [\"1000\", \"1000000\", \"1000000, store full\"]\n    y-axis \"µs\"\n    bar [1000.0, 1500.0, 1000.0]",
        ] {
            assert!(report.contains(line), "{line} in {report}");
        }
    }
}
