//! `cargo xtask bench`: issue 4's side-by-side HTTP benchmark. It builds the release server and
//! the floor (`crates/server/examples/floor.rs`); then, in each of `--rounds` rounds, drives the
//! fixed floor, the floor and refresh with wrk under the same settings and reads each server's
//! CPU time and peak RSS, and wrk's CPU time, from /proc. It prints every round's ratios
//! refresh/floor, reports the median round by CPU ratio against the targets and, unless in smoke
//! mode, writes `docs/benchmarks.md` and `docs/benchmarks.svg`.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_micro::{self, Micro};
use crate::bench_redis;
use crate::bench_report::{self, Measurement, Round, RunInfo, Shown};
use crate::bench_wrk::{self, WrkResult, WrkRun};
use crate::files::repo_file;

/// The HS256 key of every bench run. Not a secret: it signs only tokens minted for the run.
pub(crate) const BENCH_KEY: &str = "ccstore-bench-key-signs-only-benchmark-tokens";
/// How long a server may take to answer its first refresh before the run fails.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between two start-up probes.
const PROBE_INTERVAL: Duration = Duration::from_micros(250);

/// Rounds when `--rounds` is not given: on a shared machine single rounds vary by tens of
/// percent, and five make the median round steadier than three.
pub(crate) const DEFAULT_ROUNDS: u32 = 5;

/// The task's settings.
pub(crate) struct Options {
    /// Rounds, each the floor then refresh; the median round by CPU ratio is reported.
    pub(crate) rounds: u32,
    /// Measured seconds per server and round.
    pub(crate) duration: u32,
    /// Unmeasured warm-up seconds per server and round (0: none).
    pub(crate) warmup: u32,
    /// Keep-alive connections.
    pub(crate) connections: u32,
    /// CI mode: nothing written, failure only when the benchmark itself does not work.
    pub(crate) smoke: bool,
}

/// Runs the benchmark; `false` when it could not be run (or, in smoke mode, went wrong).
pub(crate) fn run(options: &Options) -> bool {
    match run_rounds(options) {
        Ok(()) => true,
        Err(message) => {
            eprintln!("bench: {message}");
            false
        }
    }
}

fn run_rounds(options: &Options) -> Result<(), String> {
    check_tools()?;
    if options.rounds == 0 || options.connections == 0 || options.duration == 0 {
        return Err("--rounds, --connections and --duration must be at least 1".to_owned());
    }
    build()?;
    let mut bench = Bench::new()?;
    let rounds = (0..options.rounds)
        .map(|index| bench.round(options, index))
        .collect::<Result<Vec<Round>, String>>()?;
    let shown = bench_report::median_round(&rounds).ok_or("no round was measured")?;
    print_result(&rounds, shown);
    let redis = bench_redis::run(options, &mut bench)?;
    let redis_table = redis.table(options.smoke);
    println!(
        "Redis round (ccstore's own CPU per refresh against the in-process store, same run):\n{redis_table}"
    );
    let micro = bench_micro::run(options.smoke, &bench.work)?;
    println!("core micro-benchmarks (criterion):\n{}", micro.table());
    if options.smoke {
        redis.check()?;
        return smoke_verdict(&rounds);
    }
    write_doc(
        &bench_redis::report_path().to_string_lossy(),
        &format!(
            "# Redis round of `cargo xtask bench`\n\nWritten by `{}`: ccstore's own CPU time per \
             refresh with session state in one Redis node and in a three-primary Redis Cluster \
             (Redis pinned to core 1 with wrk, so its CPU is not counted), against the in-process \
             store in the same run. The machine was shared with other work while it ran: absolute \
             figures vary by tens of percent between runs.\n\n{redis_table}",
            command_text(options)
        ),
    )?;
    write_result(options, &rounds, shown, &micro)
}

/// Everything the rounds share: the three servers, the token minter, the work directory and the
/// clock tick rate.
pub(crate) struct Bench {
    fixed_floor: Server,
    floor: Server,
    refresh: Server,
    minter: Minter,
    pub(crate) work: PathBuf,
    clock_ticks: f64,
}

impl Bench {
    /// Finds the release binaries and prepares the work directory under the target directory.
    fn new() -> Result<Self, String> {
        let target = target_dir()?;
        let work = target.join("bench");
        std::fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
        let refresh_binary = target.join("release/ccstore-server");
        let floor_binary = target.join("release/examples/floor");
        Ok(Self {
            fixed_floor: Server {
                name: "fixed floor",
                binary: floor_binary.clone(),
                args: &["--fixed-body"],
                redis_url: None,
            },
            floor: Server {
                name: "floor",
                binary: floor_binary,
                args: &[],
                redis_url: None,
            },
            refresh: Server {
                name: "refresh",
                binary: refresh_binary.clone(),
                args: &[],
                redis_url: None,
            },
            minter: Minter {
                binary: refresh_binary,
                next: 0,
            },
            work,
            clock_ticks: clock_ticks_per_second()?,
        })
    }

    /// One round (`index` from 0): the fixed floor, the floor, then refresh, each a fresh
    /// process; on stderr, a line as each server starts and one with the round's figures and
    /// ratios.
    fn round(&mut self, options: &Options, index: u32) -> Result<Round, String> {
        let label = format!("round {}/{}", index + 1, options.rounds);
        let mut measure_one = |server: &Server| -> Result<Measurement, String> {
            eprintln!("bench: {label}: {} ...", server.name);
            measure(
                server,
                options,
                &self.work,
                &mut self.minter,
                self.clock_ticks,
            )
        };
        let fixed_floor = measure_one(&self.fixed_floor)?;
        let floor = measure_one(&self.floor)?;
        let refresh = measure_one(&self.refresh)?;
        let round = Round {
            fixed_floor,
            floor,
            refresh,
        };
        eprintln!(
            "bench: {}",
            bench_report::round_line(index as usize, options.rounds as usize, &round)
        );
        Ok(round)
    }
}

impl Bench {
    /// The refresh server under another `name`, with session state at `redis_url` if given.
    pub(crate) fn refresh_named(&self, name: &'static str, redis_url: Option<String>) -> Server {
        Server {
            name,
            binary: self.refresh.binary.clone(),
            args: self.refresh.args,
            redis_url,
        }
    }

    /// Measures `server` as the rounds measure theirs.
    pub(crate) fn measure_server(
        &mut self,
        server: &Server,
        options: &Options,
    ) -> Result<Measurement, String> {
        eprintln!("bench: Redis round: {} ...", server.name);
        measure(
            server,
            options,
            &self.work,
            &mut self.minter,
            self.clock_ticks,
        )
    }
}

/// Prints every round's ratios, then the shown round's table and target checks.
fn print_result(rounds: &[Round], shown: Shown<'_>) {
    println!("{}", bench_report::rounds_table(rounds, shown.index));
    println!(
        "shown: round {} of {}, the median by CPU ratio refresh/floor\n",
        shown.index + 1,
        rounds.len()
    );
    let Round {
        fixed_floor,
        floor,
        refresh,
    } = shown.round;
    println!("{}", bench_report::table(&[fixed_floor, floor, refresh]));
    println!(
        "{}",
        bench_report::checks_table(&bench_report::checks(floor, refresh))
    );
    for floor in [fixed_floor, floor] {
        if floor.body_bytes.abs_diff(refresh.body_bytes) > refresh.body_bytes / 20 {
            eprintln!(
                "bench: warning: the {}'s body ({} bytes) differs from refresh's ({} bytes) by \
                 more than 5%",
                floor.name, floor.body_bytes, refresh.body_bytes
            );
        }
    }
}

/// Smoke mode's verdict: every server of every round completed requests, all of them 200s.
/// Ratios are not judged here: CI machines are noisy. That it ran cleanly is the check.
fn smoke_verdict(rounds: &[Round]) -> Result<(), String> {
    for (index, round) in rounds.iter().enumerate() {
        for m in [&round.fixed_floor, &round.floor, &round.refresh] {
            if m.requests == 0 || m.non_2xx > 0 {
                return Err(format!(
                    "round {}: {}: {} requests, {} non-2xx",
                    index + 1,
                    m.name,
                    m.requests,
                    m.non_2xx
                ));
            }
        }
    }
    println!(
        "bench --smoke: every server ran in every round, every response a 200 (ratios not judged)"
    );
    Ok(())
}

/// Writes `docs/benchmarks.md` and `docs/benchmarks.svg` for the shown round and counts the
/// targets it meets.
fn write_result(
    options: &Options,
    rounds: &[Round],
    shown: Shown<'_>,
    micro: &Micro,
) -> Result<(), String> {
    let info = RunInfo {
        date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        machine: machine(),
        command: command_text(options),
        duration: options.duration,
        warmup: options.warmup,
        connections: options.connections,
    };
    let Round { floor, refresh, .. } = shown.round;
    write_doc(
        "docs/benchmarks.md",
        &bench_report::markdown(&info, rounds, shown, micro),
    )?;
    write_doc("docs/benchmarks.svg", &bench_report::svg(floor, refresh))?;
    let mut checks = bench_report::checks(floor, refresh);
    checks.push(micro.check());
    let met = checks.iter().filter(|c| c.pass).count();
    println!("targets met: {met} of {}", checks.len());
    Ok(())
}

/// A server under test.
pub(crate) struct Server {
    name: &'static str,
    binary: PathBuf,
    /// Its command-line arguments.
    args: &'static [&'static str],
    /// `CCSTORE_REDIS_URL`, if its sessions live in Redis.
    redis_url: Option<String>,
}

impl Server {
    /// Its name as the start of its files' names: `fixed-floor`, not `fixed floor`.
    fn file_stem(&self) -> String {
        self.name.replace(' ', "-")
    }
}

/// One server: start it, time its first refresh, warm it up, measure, read /proc, stop it.
fn measure(
    server: &Server,
    options: &Options,
    work: &Path,
    minter: &mut Minter,
    clock_ticks: f64,
) -> Result<Measurement, String> {
    let seed = options.connections as usize * 2 + 16;
    let probe_token = minter.mint(1)?;
    let mut tokens = minter.mint(seed)?;
    let address = free_address()?;
    let log_path = work.join(format!("{}.stderr.log", server.file_stem()));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let started = Instant::now();
    let child = server_command(server, address)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", server.binary.display()))?;
    let mut process = Running {
        child,
        name: server.name,
        log: log_path,
    };
    let (first_refresh, body) = first_refresh(&mut process, started, address, &probe_token[0])?;
    let first_refresh_ms = first_refresh.as_secs_f64() * 1e3;
    let body_bytes = body.len();
    keeps_connections_alive(server.name, address, &body)?;
    let pid = process.child.id();
    let url = format!("http://{address}/ccstore/v1/refresh");
    let script = repo_file("bench/refresh.lua");
    let load = |seconds: u32, tokens: &[String], phase: &str| -> Result<WrkResult, String> {
        let tokens_in = work.join(format!("{}.{phase}.tokens", server.file_stem()));
        let tokens_out = work.join(format!("{}.{phase}.left.tokens", server.file_stem()));
        std::fs::write(&tokens_in, tokens.join("\n") + "\n")
            .map_err(|e| format!("writing {}: {e}", tokens_in.display()))?;
        let result = bench_wrk::run(&WrkRun {
            script: &script,
            url: &url,
            connections: options.connections,
            seconds,
            tokens_in: &tokens_in,
            tokens_out: &tokens_out,
        })
        .map_err(|e| format!("{} {phase}: {e}", server.name))?;
        check_run(server.name, phase, &result)?;
        Ok(result)
    };
    if options.warmup > 0 {
        load(options.warmup, &tokens, "warmup")?;
        // Chain: the measured run starts from the tokens the warm-up left, topped up to `seed`.
        let left = work.join(format!("{}.warmup.left.tokens", server.file_stem()));
        tokens = std::fs::read_to_string(&left)
            .map_err(|e| format!("reading {}: {e}", left.display()))?
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        let missing = seed.saturating_sub(tokens.len());
        tokens.extend(minter.mint(missing)?);
    }
    let before = cpu_ticks(pid)?;
    let client_before = children_cpu_ticks()?;
    let result = load(options.duration, &tokens, "measured")?;
    let client_after = children_cpu_ticks()?;
    let after = cpu_ticks(pid)?;
    let peak_rss_kib = peak_rss_kib(pid)?;
    process.ensure_alive()?;
    #[allow(clippy::cast_precision_loss)] // tick and request counts stay far below 2^52
    let per_request = |ticks: u64| {
        if result.requests == 0 {
            f64::NAN
        } else {
            ticks as f64 / clock_ticks * 1e6 / result.requests as f64
        }
    };
    Ok(Measurement {
        name: server.name,
        requests: result.requests,
        requests_per_sec: result.requests_per_sec,
        p50_us: result.p50_us,
        p99_us: result.p99_us,
        non_2xx: result.lua.non200,
        socket_errors: result.socket_errors,
        cpu_us_per_request: per_request(after - before),
        client_cpu_us_per_request: per_request(client_after - client_before),
        peak_rss_kib,
        first_refresh_ms,
        body_bytes,
    })
}

/// Fails a run whose responses were not all 200s carrying a token, or whose queue ran dry.
fn check_run(name: &str, phase: &str, result: &WrkResult) -> Result<(), String> {
    let lua = result.lua;
    let mut problems = Vec::new();
    if result.requests == 0 {
        problems.push("no request completed".to_owned());
    }
    if lua.non200 > 0 || result.wrk_non_2xx > 0 {
        problems.push(format!(
            "{} responses other than 200 (wrk counted {} non-2xx/3xx)",
            lua.non200, result.wrk_non_2xx
        ));
    }
    if lua.missing_token > 0 {
        problems.push(format!(
            "{} 200 responses without an access_token",
            lua.missing_token
        ));
    }
    if lua.starved > 0 {
        problems.push(format!(
            "{} requests found no token queued (seed more tokens)",
            lua.starved
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name} {phase}: {}", problems.join("; ")))
    }
}

/// The server process, killed on every way out of [`measure`].
struct Running {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Running {
    fn ensure_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); its log, {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log)
            )),
            Err(e) => Err(format!("cannot check on {}: {e}", self.name)),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Every server starts the same way: pinned to CPU 0, one worker, the bench key, default logging.
fn server_command(server: &Server, address: SocketAddr) -> Command {
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0"])
        .arg(&server.binary)
        .args(server.args);
    clean_env(&mut command)
        .env("CCSTORE_BIND", address.to_string())
        .env("CCSTORE_WORKERS", "1");
    if let Some(url) = &server.redis_url {
        command.env("CCSTORE_REDIS_URL", url);
    }
    command
}

/// The bench key, and nothing from the caller's environment that would change the server.
pub(crate) fn clean_env(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CCSTORE_") {
            command.env_remove(name);
        }
    }
    command
        .env_remove("RUST_LOG")
        .env("CCSTORE_JWT_SECRET", BENCH_KEY)
}

/// A loopback address no one listens on right now.
pub(crate) fn free_address() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Polls with fresh connections until a refresh answers 200: the time from spawn, and the body.
/// Any other answer, or the process dying, fails the run.
fn first_refresh(
    process: &mut Running,
    started: Instant,
    address: SocketAddr,
    token: &str,
) -> Result<(Duration, String), String> {
    loop {
        process.ensure_alive()?;
        match refresh_once(address, token) {
            Ok((200, body)) => return Ok((started.elapsed(), body)),
            Ok((status, body)) => {
                return Err(format!(
                    "{}: first refresh answered {status}: {body}",
                    process.name
                ));
            }
            Err(_) if started.elapsed() < START_TIMEOUT => std::thread::sleep(PROBE_INTERVAL),
            Err(e) => {
                return Err(format!(
                    "{} did not answer within {START_TIMEOUT:?} ({e}); its log, {}:\n{}",
                    process.name,
                    process.log.display(),
                    log_tail(&process.log)
                ));
            }
        }
    }
}

/// Refreshes once more, with the token of the first response, on a connection that asks to be
/// kept alive, and fails if the server closes it anyway: wrk would then pay a TCP handshake per
/// request and measure something else than keep-alive traffic.
fn keeps_connections_alive(
    name: &str,
    address: SocketAddr,
    first_body: &str,
) -> Result<(), String> {
    let token = first_body
        .split_once(r#""access_token":""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(token, _)| token)
        .ok_or_else(|| format!("{name}: no access_token in {first_body:?}"))?;
    let check = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(address)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer \
             {token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
        )?;
        let mut head = Vec::new();
        let mut byte = [0_u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte)?;
            head.push(byte[0]);
        }
        Ok(String::from_utf8_lossy(&head).to_ascii_lowercase())
    };
    let head = check().map_err(|e| format!("{name}: keep-alive check: {e}"))?;
    if !head.starts_with("http/1.1 200") {
        return Err(format!("{name}: keep-alive check answered {head}"));
    }
    if head.contains("\r\nconnection: close") {
        return Err(format!(
            "{name} closes keep-alive connections after a refresh (does its handler read the \
             request body?)"
        ));
    }
    Ok(())
}

/// One `POST /ccstore/v1/refresh` over a new connection: status and body.
fn refresh_once(address: SocketAddr, token: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}

/// Mints tokens with `ccstore-server token`, as an operator would, each with its own `sub`.
struct Minter {
    binary: PathBuf,
    next: usize,
}

impl Minter {
    fn mint(&mut self, count: usize) -> Result<Vec<String>, String> {
        (0..count)
            .map(|_| {
                self.next += 1;
                let sub = format!("bench-{:06}", self.next);
                let mut command = Command::new(&self.binary);
                clean_env(&mut command).env("RUST_LOG", "warn");
                let output = command
                    .args(["token", "--sub", &sub])
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
                let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
                if !output.status.success() || token.is_empty() {
                    return Err(format!(
                        "minting a token failed: {}",
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
                Ok(token)
            })
            .collect()
    }
}

/// utime+stime of a process, in clock ticks.
pub(crate) fn cpu_ticks(pid: u32) -> Result<u64, String> {
    stat_ticks(&format!("/proc/{pid}/stat"), 14, 15)
}

/// cutime+cstime of this process, in clock ticks: the CPU time of the children it has waited
/// for.
fn children_cpu_ticks() -> Result<u64, String> {
    stat_ticks("/proc/self/stat", 16, 17)
}

/// The sum of two fields of a `/proc/.../stat` file, numbered from 1 as in proc(5).
fn stat_ticks(path: &str, first: usize, second: usize) -> Result<u64, String> {
    let stat = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    // Fields after the command name (field 2), which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("malformed {path}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |number: usize| -> Result<u64, String> {
        number
            .checked_sub(3)
            .and_then(|index| fields.get(index))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("no field {number} in {path}"))
    };
    Ok(field(first)? + field(second)?)
}

/// `VmHWM` of a process, KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| format!("no VmHWM in /proc/{pid}/status"))
}

pub(crate) fn clock_ticks_per_second() -> Result<f64, String> {
    command_line("getconf", &["CLK_TCK"])
        .parse()
        .map_err(|e| format!("getconf CLK_TCK: {e}"))
}

/// wrk, taskset and getconf must be on PATH; say how to get a missing one.
pub(crate) fn check_tools() -> Result<(), String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = |tool: &str| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file());
    let missing: Vec<&str> = [
        ("wrk", "wrk"),
        ("taskset", "util-linux"),
        ("getconf", "libc-bin"),
    ]
    .into_iter()
    .filter(|(tool, _)| !found(tool))
    .map(|(_, package)| package)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing tools; install them with `apt-get install -y {}` (Debian)",
            missing.join(" ")
        ))
    }
}

/// `cargo build --release` of the server and the floor, with the workspace's release profile.
pub(crate) fn build() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(repo_file(""))
        .args([
            "build",
            "--release",
            "--package",
            "ccstore-server",
            "--bin",
            "ccstore-server",
            "--example",
            "floor",
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the release build failed ({status})"))
    }
}

/// Cargo's target directory, wherever `CARGO_TARGET_DIR` or a config puts it.
pub(crate) fn target_dir() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(repo_file(""))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata gave no target_directory".to_owned())
}

/// The first line a command prints, or `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .map(|line| line.trim().to_owned())
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// What the reader needs to weigh the numbers: CPU, cores, kernel, toolchain, load generator.
fn machine() -> Vec<(String, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let wrk_version = Command::new("wrk")
        .arg("-v")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .next()
                .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let mut memory = String::new();
    if let Ok(info) = std::fs::read_to_string("/proc/meminfo")
        && let Some(kib) = info
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    {
        let _ = write!(memory, "{} GiB", kib / (1024 * 1024));
    }
    vec![
        ("CPU".to_owned(), cpu),
        ("cores".to_owned(), command_line("nproc", &[])),
        ("memory".to_owned(), memory),
        ("kernel".to_owned(), command_line("uname", &["-sr"])),
        ("rustc".to_owned(), command_line("rustc", &["--version"])),
        ("load generator".to_owned(), wrk_version),
        (
            "note".to_owned(),
            "shared machine: another engineer's builds may run at the same time".to_owned(),
        ),
    ]
}

fn command_text(options: &Options) -> String {
    let mut text = "cargo xtask bench".to_owned();
    if options.rounds != DEFAULT_ROUNDS {
        let _ = write!(text, " --rounds {}", options.rounds);
    }
    if options.duration != 10 {
        let _ = write!(text, " --duration {}", options.duration);
    }
    if options.warmup != 2 {
        let _ = write!(text, " --warmup {}", options.warmup);
    }
    if options.connections != 64 {
        let _ = write!(text, " --connections {}", options.connections);
    }
    text
}

fn write_doc(relative: &str, contents: &str) -> Result<(), String> {
    let path = repo_file(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("bench: wrote {relative}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let path = std::env::temp_dir().join(format!("xtask-stat-{}", std::process::id()));
        // Fields 3 to 17: state, then 4..=13 as 4..=13, utime 140, stime 150, cutime 160,
        // cstime 170, then more.
        std::fs::write(
            &path,
            "42 (wrk (1) x) S 4 5 6 7 8 9 10 11 12 13 140 150 160 170 18 19\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(stat_ticks(path, 14, 15), Ok(290));
        assert_eq!(stat_ticks(path, 16, 17), Ok(330));
        assert!(
            stat_ticks(path, 16, 40)
                .unwrap_err()
                .contains("no field 40")
        );
        assert!(stat_ticks(path, 2, 14).unwrap_err().contains("no field 2"));
        std::fs::write(path, "42 wrk S 1 2").unwrap();
        assert!(stat_ticks(path, 14, 15).unwrap_err().contains("malformed"));
        std::fs::remove_file(path).unwrap();
        assert!(stat_ticks(path, 14, 15).unwrap_err().starts_with("reading"));
    }

    #[test]
    fn this_process_s_children_ticks_grow_by_what_a_waited_child_spent() {
        let own = || stat_ticks("/proc/self/stat", 14, 15).unwrap();
        let (children_before, own_before) = (children_cpu_ticks().unwrap(), own());
        // A child that burns a few tenths of a second of CPU while this process waits for it.
        let status = Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let children = children_cpu_ticks().unwrap() - children_before;
        let own = own() - own_before;
        assert!(children >= 5, "the child's ticks: {children}");
        assert!(own < children, "own {own} ticks, the child's {children}");
    }
}
