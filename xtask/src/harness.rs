//! What both benchmark tasks measure with: the release build, tokens minted under the bench key,
//! servers pinned to CPU 0 (the load generator keeps CPU 1), a process's CPU time and memory
//! from /proc, a measured phase, and the reports' tables, target checks and chart.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and ticks far below 2^52 shown as rates"
)]

use std::collections::VecDeque;
use std::fmt::Display;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccstore_core::{HmacKey, KeySet, SystemClock, TokenEncoding, TokenPolicy, TokenService};

use crate::files::repo_file;
use crate::load::{self, Load, Outcome};

/// The HS256 key of every bench run. Not a secret: it signs only tokens minted for the run.
const BENCH_KEY: &str = "ccstore-bench-key-signs-only-benchmark-tokens";
/// The load a million OCC sessions put on an instance, each refreshing every 30 s: latencies are
/// measured at this rate, open loop.
pub(crate) const MILLION_SESSIONS_RATE: f64 = 1e6 / 30.0;
/// Keep-alive connections of every measured run.
pub(crate) const CONNECTIONS: usize = 64;
/// Windows a paced run is cut into; the one with the median p99 is kept, so that a stall of the
/// machine (seen here: the load generator's own loop paused up to 10 ms, dozens of times in 5 s)
/// that hits one window does not decide the figure.
const WINDOWS: u32 = 5;
/// Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every architecture Linux runs
/// this on (x86, arm64, riscv).
const TICKS_PER_SECOND: f64 = 100.0;
/// The columns of [`Phase::row`].
pub(crate) const PHASE_HEADER: &str = "phase | sessions | requests/s | CPU µs/request | p50 µs | p99 µs | p99.9 µs | max µs | refused | latency not counted | peak RSS MiB";

/// An error's text after what was being done: `.map_err(ctx("reading x"))`.
pub(crate) fn ctx<E: Display>(what: impl Display) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Pins this process (the load generator) to CPU 1 and builds the server and the floor in
/// release; returns the release directory.
pub(crate) fn prepare() -> Result<PathBuf, String> {
    let me = std::process::id().to_string();
    run(Command::new("taskset").args(["-cp", "1", &me]), "taskset")?;
    let build = "build --release -p ccstore-server --bin ccstore-server --example floor";
    run(cargo().args(build.split(' ')), "the release build")?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(repo_file("target"), PathBuf::from);
    Ok(target.join("release"))
}

/// The cargo that runs this task (`CARGO`), or the one on the path.
pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command` (its stderr shown), its stdout if it succeeds.
pub(crate) fn run(command: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let output = command.current_dir(repo_file("")).stderr(Stdio::inherit());
    let output = output.output().map_err(ctx(what))?;
    if !output.status.success() {
        return Err(format!("{what} failed ({})", output.status));
    }
    Ok(output.stdout)
}

/// Mints tokens as the server verifies them (its default policy, the bench key), each with its
/// own `sub`.
pub(crate) struct Minter(TokenService, usize);

impl Minter {
    pub(crate) fn new(ttl: u64) -> Self {
        let key = KeySet::single(HmacKey::new(BENCH_KEY.as_bytes()).expect("a 45-byte key"));
        let policy = TokenPolicy {
            issuer: "storefrontUI".into(),
            ttl,
            leeway: 0,
            session_max: Some(43_200),
            encoding: TokenEncoding::Occ,
        };
        Self(TokenService::new(key, policy, Arc::new(SystemClock)), 0)
    }

    pub(crate) fn mint(&mut self, count: usize) -> VecDeque<String> {
        let mut one = |_| {
            self.1 += 1;
            let minted = self
                .0
                .mint(&format!("bench-{:08}", self.1), serde_json::Map::new());
            minted.expect("minting with a valid key").token
        };
        (0..count).map(&mut one).collect()
    }
}

/// A process under test, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: SocketAddr,
    started: Instant,
    log: PathBuf,
}

impl Server {
    /// Starts `binary` pinned to CPU 0 with one worker, the bench key and `env`, and nothing
    /// of the caller's `CCSTORE_*` or `RUST_LOG`; its stderr goes to `log`.
    pub(crate) fn start(
        binary: &Path,
        env: &[(&str, String)],
        log: PathBuf,
    ) -> Result<Self, String> {
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut command = Command::new("taskset");
        command.args(["-c", "0"]).arg(binary).env_remove("RUST_LOG");
        let inherited =
            std::env::vars_os().filter(|(n, _)| n.to_string_lossy().starts_with("CCSTORE_"));
        for (name, _) in inherited {
            command.env_remove(name);
        }
        command
            .env("CCSTORE_JWT_SECRET", BENCH_KEY)
            .env("CCSTORE_WORKERS", "1");
        command.env("CCSTORE_BIND", address.to_string());
        Self::spawn(command.envs(env.iter().map(|(k, v)| (k, v))), address, log)
    }

    /// Starts `command`, its stderr to `log`, and waits until `address` accepts connections.
    pub(crate) fn spawn(
        command: &mut Command,
        address: SocketAddr,
        log: PathBuf,
    ) -> Result<Self, String> {
        let stderr = std::fs::File::create(&log).map_err(ctx(log.display()))?;
        let command = command.stdout(Stdio::null()).stderr(stderr);
        let child = command
            .spawn()
            .map_err(ctx(format!("cannot start {command:?}")))?;
        let started = Instant::now();
        let mut server = Self {
            child,
            address,
            started,
            log,
        };
        while TcpStream::connect(address).is_err() {
            server.alive()?;
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("{address}: not listening within 10 s"));
            }
            std::thread::sleep(Duration::from_micros(250));
        }
        Ok(server)
    }

    /// Refreshes `token` once; the time from the start to that answer (ms), which must be a 200.
    pub(crate) fn first_refresh(&self, mut token: VecDeque<String>) -> Result<f64, String> {
        load::drive(self.address, &mut token, &Load::count(1, 1))?.all_ok("the first refresh")?;
        Ok(self.started.elapsed().as_secs_f64() * 1e3)
    }

    /// Fails, with the end of its log, when the process has exited.
    pub(crate) fn alive(&mut self) -> Result<(), String> {
        let Some(status) = self
            .child
            .try_wait()
            .map_err(ctx("cannot check on the server"))?
        else {
            return Ok(());
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "exited ({status}); its log, {}:\n{}",
            self.log.display(),
            tail.join("\n")
        ))
    }

    /// Drives `rate` requests/s (or flat out) for `seconds`; paced, in [`WINDOWS`] windows, of
    /// which the one with the median p99 is kept. `check` judges each window's answers.
    pub(crate) fn run(
        &mut self,
        (name, sessions): (&str, usize),
        queue: &mut VecDeque<String>,
        (rate, seconds): (Option<f64>, u32),
        check: fn(Phase) -> Result<Phase, String>,
    ) -> Result<Phase, String> {
        let windows = if rate.is_some() {
            WINDOWS.min(seconds).max(1)
        } else {
            1
        };
        let load = Load::timed(CONNECTIONS, rate, seconds / windows);
        let run = |_| check(self.phase(name, sessions, queue, &load)?);
        let mut runs = (0..windows).map(run).collect::<Result<Vec<_>, _>>()?;
        runs.sort_by(|a, b| a.p(0.99).total_cmp(&b.p(0.99)));
        Ok(runs.swap_remove(runs.len() / 2))
    }

    /// Drives `load` with `queue`: a phase named `name`, with `sessions` in the store.
    pub(crate) fn phase(
        &mut self,
        name: &str,
        sessions: usize,
        queue: &mut VecDeque<String>,
        load: &Load,
    ) -> Result<Phase, String> {
        let pid = self.child.id();
        let before = cpu_seconds(pid)?;
        let outcome = load::drive(self.address, queue, load).map_err(ctx(name))?;
        let cpu = (cpu_seconds(pid)? - before) * 1e6 / outcome.answered().max(1) as f64;
        self.alive().map_err(ctx(name))?;
        let (name, rss) = (name.to_owned(), memory_mib(pid)?);
        Ok(Phase {
            name,
            sessions,
            outcome,
            cpu,
            rss,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured run against one server: what was counted, the server's CPU µs per answer and its
/// peak RSS (MiB) after it.
pub(crate) struct Phase {
    pub(crate) name: String,
    pub(crate) sessions: usize,
    pub(crate) outcome: Outcome,
    pub(crate) cpu: f64,
    pub(crate) rss: f64,
}

impl Phase {
    /// Fails unless every answer was a 200 with a token.
    pub(crate) fn checked(mut self) -> Result<Self, String> {
        self.outcome = self.outcome.all_ok(&self.name)?;
        Ok(self)
    }

    pub(crate) fn p(&self, q: f64) -> f64 {
        self.outcome.quantile(q)
    }

    pub(crate) fn row(&self) -> String {
        let Self {
            name,
            sessions,
            outcome,
            cpu,
            rss,
        } = self;
        let [p50, p99, p999, max] = [0.5, 0.99, 0.999, 1.0].map(|q| self.p(q));
        let (rate, refused, excused) = (outcome.rate(), outcome.refused, outcome.excused);
        format!(
            "{name} | {sessions} | {rate:.0} | {cpu:.2} | {p50:.0} | {p99:.0} | {p999:.0} | {max:.0} | {refused} | {excused} | {rss:.1}"
        )
    }
}

/// A loopback port no one listens on right now.
pub(crate) fn free_port() -> Result<u16, String> {
    let address = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
    Ok(address.map_err(ctx("no free port"))?.port())
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: u32) -> Result<f64, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(ctx(&path))?;
    let ticks = stat_ticks(&stat).ok_or(format!("malformed {path}"))?;
    Ok(ticks as f64 / TICKS_PER_SECOND)
}

/// utime + stime, fields 14 and 15 of a stat line counted from 1 as in proc(5), after the
/// command name (field 2), which is in parentheses and may hold spaces.
fn stat_ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(field(14)? + field(15)?)
}

/// A process's peak RSS (`VmHWM` of `/proc/PID/status`) in MiB.
fn memory_mib(pid: u32) -> Result<f64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(ctx(&path))?;
    let kib = status.lines().find_map(|line| line.strip_prefix("VmHWM:"));
    let kib = kib.and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    Ok(kib.ok_or(format!("no VmHWM in {path}"))? as f64 / 1024.0)
}

/// A Markdown table (also readable on a terminal) of `|`-separated cells.
pub(crate) fn table(header: &str, rows: impl IntoIterator<Item = String>) -> String {
    let rule = "---|".repeat(header.matches('|').count() + 1);
    let head = format!("| {header} |\n|{rule}\n");
    rows.into_iter()
        .fold(head, |out, row| out + "| " + &row + " |\n")
}

/// One target, evaluated: what, the measured value and the bound as shown, and the verdict.
pub(crate) struct Check(pub(crate) String, String, String, pub(crate) bool);

impl Check {
    /// At most `limit`, shown with `unit` (`×` for a ratio).
    pub(crate) fn at_most(what: impl Display, value: f64, limit: f64, unit: &str) -> Self {
        let [shown, bound] = [value, limit].map(|v| format!("{v:.2}{unit}"));
        Self(
            what.to_string(),
            shown,
            format!("≤ {bound}"),
            value <= limit,
        )
    }

    /// At least `limit`, a ratio.
    pub(crate) fn at_least(what: impl Display, ratio: f64, limit: f64) -> Self {
        let [shown, bound] = [ratio, limit].map(|v| format!("{v:.2}×"));
        Self(
            what.to_string(),
            shown,
            format!("≥ {bound}"),
            ratio >= limit,
        )
    }
}

/// The targets as a table with a verdict each, and whether all were met.
pub(crate) fn checks_table(checks: &[Check]) -> (String, bool) {
    let verdict = |pass| if pass { "pass" } else { "**FAIL**" };
    let row = |Check(what, value, limit, pass): &Check| {
        format!("{what} | {value} | {limit} | {}", verdict(*pass))
    };
    let table = table("target | measured | required | ", checks.iter().map(row));
    (table, checks.iter().all(|c| c.3))
}

/// A bar chart in Mermaid (`xychart-beta`, rendered by GitHub and most Markdown viewers).
pub(crate) fn chart(title: &str, axis: &str, bars: &[(String, f64)]) -> String {
    let labels: Vec<String> = bars
        .iter()
        .map(|(label, _)| format!("\"{label}\""))
        .collect();
    let values: Vec<String> = bars
        .iter()
        .map(|(_, value)| format!("{value:.1}"))
        .collect();
    let (labels, values) = (labels.join(", "), values.join(", "));
    format!(
        "```mermaid\nxychart-beta\n    title \"{title}\"\n    x-axis [{labels}]\n    y-axis \"{axis}\"\n    bar [{values}]\n```\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "42 (wrk (1) x) S 4 5 6 7 8 9 10 11 12 13 140 150 160 170 18 19\n";
        assert_eq!(stat_ticks(stat), Some(290));
        assert_eq!(stat_ticks("42 (x) S 1 2"), None);
        assert!(cpu_seconds(std::process::id()).is_ok_and(|s| s >= 0.0));
        assert!(
            cpu_seconds(u32::MAX)
                .unwrap_err()
                .contains("/proc/4294967295/stat")
        );
    }

    #[test]
    fn checks_are_judged_at_their_bounds_and_charts_list_every_bar() {
        let cases = [
            (
                Check::at_most("cpu", 1.5, 1.5, "×"),
                "| cpu | 1.50× | ≤ 1.50× | pass |",
            ),
            (
                Check::at_most("rss", 16.01, 16.0, " MiB"),
                "| rss | 16.01 MiB | ≤ 16.00 MiB | **FAIL** |",
            ),
            (
                Check::at_least("rate", 0.849, 0.85),
                "| rate | 0.85× | ≥ 0.85× | **FAIL** |",
            ),
            (
                Check::at_least("kept", 0.85, 0.85),
                "| kept | 0.85× | ≥ 0.85× | pass |",
            ),
        ];
        for (check, row) in &cases {
            assert!(
                checks_table(std::slice::from_ref(check)).0.contains(row),
                "{row}"
            );
        }
        let checks: Vec<Check> = cases.into_iter().map(|(check, _)| check).collect();
        assert!(!checks_table(&checks).1);
        assert!(checks_table(&checks[..1]).1);
        let chart = chart("p99", "µs", &[("1k".into(), 50.0), ("1M".into(), 100.04)]);
        let bars = "x-axis [\"1k\", \"1M\"]\n    y-axis \"µs\"\n    bar [50.0, 100.0]\n```";
        assert!(chart.contains(bars), "{chart}");
    }
}
