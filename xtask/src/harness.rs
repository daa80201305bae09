//! What both benchmark tasks measure with: the release build, tokens minted under the bench key,
//! a server pinned to CPU 0, wrk pinned to CPU 1 with its report read into numbers, a process's
//! CPU time and memory from /proc, and the Markdown tables and target checks of the reports.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccstore_core::{HmacKey, KeySet, SystemClock, TokenEncoding, TokenPolicy, TokenService};

use crate::files::repo_file;

/// The HS256 key of every bench run. Not a secret: it signs only tokens minted for the run.
const BENCH_KEY: &str = "ccstore-bench-key-signs-only-benchmark-tokens";

/// Fails unless every `(tool, Debian package)` is on PATH, saying what to install.
pub(crate) fn require(tools: &[(&str, &str)]) -> Result<(), String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = |tool: &str| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file());
    let missing: Vec<&str> = tools.iter().filter(|(t, _)| !found(t)).map(|(_, p)| *p).collect();
    match missing.as_slice() {
        [] => Ok(()),
        _ => Err(format!("missing tools: `apt-get install -y {}`", missing.join(" "))),
    }
}

/// `cargo build --release` of the server and the floor; returns the release directory.
pub(crate) fn build() -> Result<PathBuf, String> {
    let cargo = || {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command.current_dir(repo_file(""));
        command
    };
    let args = [
        "build",
        "--release",
        "-p",
        "ccstore-server",
        "--bin",
        "ccstore-server",
        "--example",
        "floor",
    ];
    let status = cargo().args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the release build failed ({status})"));
    }
    let metadata = cargo().args(["metadata", "--format-version", "1", "--no-deps"]).output();
    let metadata = metadata.map_err(|e| format!("cannot run cargo metadata: {e}"))?.stdout;
    let metadata: serde_json::Value =
        serde_json::from_slice(&metadata).map_err(|e| e.to_string())?;
    let target =
        metadata["target_directory"].as_str().ok_or("cargo metadata: no target_directory")?;
    Ok(Path::new(target).join("release"))
}

/// Mints tokens as the server verifies them (its default policy, the bench key), each with its
/// own `sub`.
pub(crate) struct Minter(TokenService, usize);

impl Minter {
    pub(crate) fn new(ttl: u64) -> Self {
        let policy = TokenPolicy {
            issuer: "storefrontUI".to_owned(),
            ttl,
            leeway: 0,
            session_max: Some(43_200),
            encoding: TokenEncoding::Occ,
        };
        let key = KeySet::single(HmacKey::new(BENCH_KEY.as_bytes()).expect("a 45-byte key"));
        Self(TokenService::new(key, policy, Arc::new(SystemClock)), 0)
    }

    pub(crate) fn mint(&mut self, count: usize) -> Vec<String> {
        let mut one = || {
            self.1 += 1;
            let minted = self.0.mint(&format!("bench-{:08}", self.1), serde_json::Map::new());
            minted.expect("minting with a valid key").token
        };
        (0..count).map(|_| one()).collect()
    }
}

/// A loopback port no one listens on right now.
pub(crate) fn free_port() -> Result<u16, String> {
    let address = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
    Ok(address.map_err(|e| format!("no free port: {e}"))?.port())
}

/// A server under test, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: SocketAddr,
    started: Instant,
    log: PathBuf,
}

impl Server {
    /// Starts `binary args` pinned to CPU 0 with one worker, the bench key and `env`, and
    /// nothing of the caller's `CCSTORE_*` or `RUST_LOG`; its stderr goes to `log`.
    pub(crate) fn start(
        binary: &Path,
        args: &[&str],
        env: &[(&str, String)],
        log: PathBuf,
    ) -> Result<Self, String> {
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut command = Command::new("taskset");
        command.args(["-c", "0"]).arg(binary).args(args).env_remove("RUST_LOG");
        for (name, _) in
            std::env::vars_os().filter(|(n, _)| n.to_string_lossy().starts_with("CCSTORE_"))
        {
            command.env_remove(name);
        }
        command.env("CCSTORE_JWT_SECRET", BENCH_KEY).env("CCSTORE_BIND", address.to_string());
        command.env("CCSTORE_WORKERS", "1").envs(env.iter().map(|(k, v)| (k, v)));
        let stderr = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let started = Instant::now();
        let child = command.stdout(Stdio::null()).stderr(stderr).spawn();
        let child = child.map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Self { child, address, started, log })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails, with the end of its log, when the server has exited.
    pub(crate) fn alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> =
                    log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
                Err(format!(
                    "the server exited ({status}); its log, {}:\n{}",
                    self.log.display(),
                    tail.join("\n")
                ))
            }
            Err(e) => Err(format!("cannot check on the server: {e}")),
        }
    }

    /// Refreshes with `token` over fresh keep-alive connections until the server answers:
    /// the time since it was started, the status, the lower-cased head and the body.
    pub(crate) fn first_answer(
        &mut self,
        token: &str,
    ) -> Result<(Duration, u16, String, String), String> {
        loop {
            self.alive()?;
            let answer =
                TcpStream::connect(self.address).map_err(|e| e.to_string()).and_then(|stream| {
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .map_err(|e| e.to_string())?;
                    (&stream)
                        .write_all(refresh_request(token).as_bytes())
                        .map_err(|e| e.to_string())?;
                    read_answer(&mut BufReader::new(stream))
                });
            match answer {
                Ok((status, head, body)) => {
                    return Ok((self.started.elapsed(), status, head, body));
                }
                Err(_) if self.started.elapsed() < Duration::from_secs(10) => {
                    std::thread::sleep(Duration::from_micros(250));
                }
                Err(e) => return Err(format!("no answer within 10 s: {e}")),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive `POST /ccstore/v1/refresh` with `token`.
pub(crate) fn refresh_request(token: &str) -> String {
    format!(
        "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
    )
}

/// Reads one answer with a `Content-Length`: status, lower-cased head, body.
pub(crate) fn read_answer(
    reader: &mut BufReader<TcpStream>,
) -> Result<(u16, String, String), String> {
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        if reader.read_line(&mut head).map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".to_owned());
        }
    }
    let head = head.to_ascii_lowercase();
    let status =
        head.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or("not an HTTP answer")?;
    let length =
        head.split("\r\ncontent-length:").nth(1).and_then(|rest| rest.split("\r\n").next());
    let mut body = vec![0; length.and_then(|l| l.trim().parse().ok()).unwrap_or(0)];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
}

/// The token of a refresh answer's body.
pub(crate) fn access_token(body: &str) -> Option<&str> {
    body.split("\"access_token\":\"").nth(1)?.split('"').next()
}

/// One wrk run's figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wrk {
    pub(crate) requests: u64,
    pub(crate) rate: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    /// wrk's `Non-2xx or 3xx responses`.
    pub(crate) non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub(crate) socket_errors: u64,
    /// The `name=number` fields of the script's `….lua:` lines (`non200`, `p999_us`, ...).
    pub(crate) script: BTreeMap<String, f64>,
}

impl Wrk {
    /// A count the script reported (0 when it did not).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // counts are whole
    pub(crate) fn count(&self, name: &str) -> u64 {
        self.script.get(name).copied().unwrap_or_default() as u64
    }
}

/// Runs wrk (CPU 1, one thread, keep-alive, `--latency`) with `bench/NAME.lua` for `seconds`
/// on the tokens queued in `tokens`, which it rewrites with those still queued at the end.
pub(crate) fn wrk(
    script: &str,
    url: &str,
    connections: u32,
    seconds: u32,
    tokens: &Path,
) -> Result<Wrk, String> {
    let left = tokens.with_extension("left");
    let output = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--timeout", "5s", "--latency", "-s"])
        .arg(repo_file(&format!("bench/{script}.lua")))
        .arg(url)
        .env("CCSTORE_BENCH_TOKENS", tokens)
        .env("CCSTORE_BENCH_TOKENS_OUT", &left)
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let (stdout, stderr) =
        (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() || !stderr.trim().is_empty() {
        return Err(format!("wrk failed ({}):\n{stdout}{stderr}", output.status));
    }
    std::fs::rename(&left, tokens).map_err(|e| format!("keeping the queue: {e}"))?;
    parse_wrk(&stdout).map_err(|e| format!("{e} in wrk's report:\n{stdout}"))
}

/// Reads wrk's `--latency` report and the script's lines.
pub(crate) fn parse_wrk(report: &str) -> Result<Wrk, String> {
    let number = |text: &str| {
        text.trim_end_matches(',').parse::<f64>().map_err(|e| format!("bad number {text:?}: {e}"))
    };
    let micros = |text: &str| {
        let unit =
            text.find(|c: char| c.is_ascii_alphabetic()).ok_or(format!("no unit in {text:?}"))?;
        let scale = match &text[unit..] {
            "us" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            "m" => 60e6,
            _ => return Err(format!("unknown unit in {text:?}")),
        };
        Ok(number(&text[..unit])? * scale)
    };
    let (mut requests, mut rate, mut p50, mut p99) = (None, None, None, None);
    let mut wrk = Wrk {
        requests: 0,
        rate: 0.0,
        p50_us: 0.0,
        p99_us: 0.0,
        non_2xx: 0,
        socket_errors: 0,
        script: BTreeMap::new(),
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // counts are whole
    for words in report.lines().map(|line| line.split_whitespace().collect::<Vec<_>>()) {
        match words.as_slice() {
            [count, "requests", "in", ..] => requests = Some(number(count)? as u64),
            ["Requests/sec:", value] => rate = Some(number(value)?),
            ["50%", time] => p50 = Some(micros(time)?),
            ["99%", time] => p99 = Some(micros(time)?),
            ["Non-2xx", "or", "3xx", "responses:", count] => wrk.non_2xx = number(count)? as u64,
            ["Socket", "errors:", rest @ ..] => {
                wrk.socket_errors =
                    rest.iter().skip(1).step_by(2).map(|c| number(c)).sum::<Result<f64, _>>()?
                        as u64;
            }
            [script, fields @ ..] if script.ends_with(".lua:") => {
                for field in fields {
                    let (name, value) =
                        field.split_once('=').ok_or(format!("bad field {field:?}"))?;
                    wrk.script.insert(name.to_owned(), number(value)?);
                }
            }
            _ => {}
        }
    }
    wrk.requests = requests.ok_or("no `N requests in T` line")?;
    wrk.rate = rate.ok_or("no Requests/sec line")?;
    (wrk.p50_us, wrk.p99_us) = (p50.ok_or("no 50% line")?, p99.ok_or("no 99% line")?);
    Ok(wrk)
}

/// Two consecutive fields of a `/proc/.../stat` file, summed, counted from 1 as in proc(5):
/// 14 for a process's utime+stime, 16 for its waited-for children's.
pub(crate) fn stat_ticks(path: &str, first: usize) -> Result<u64, String> {
    let stat = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    // The fields after the command name (field 2), which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').ok_or(format!("malformed {path}"))?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field =
        |n: usize| n.checked_sub(3).and_then(|i| fields.get(i)).and_then(|v| v.parse::<u64>().ok());
    field(first)
        .zip(field(first + 1))
        .map(|(a, b)| a + b)
        .ok_or(format!("no field {first} in {path}"))
}

/// A process's CPU seconds (user + system) so far.
#[allow(clippy::cast_precision_loss)] // ticks stay far below 2^52
pub(crate) fn cpu_seconds(pid: u32) -> Result<f64, String> {
    Ok(stat_ticks(&format!("/proc/{pid}/stat"), 14)? as f64 / ticks_per_second()?)
}

/// CPU seconds of this process's waited-for children (wrk) so far.
#[allow(clippy::cast_precision_loss)] // ticks stay far below 2^52
pub(crate) fn children_cpu_seconds() -> Result<f64, String> {
    Ok(stat_ticks("/proc/self/stat", 16)? as f64 / ticks_per_second()?)
}

fn ticks_per_second() -> Result<f64, String> {
    let output =
        Command::new("getconf").arg("CLK_TCK").output().map_err(|e| format!("getconf: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("getconf CLK_TCK: {e}"))
}

/// A `/proc/PID/status` memory field (`VmHWM`, `VmRSS`) in MiB.
#[allow(clippy::cast_precision_loss)] // KiB counts stay far below 2^52
pub(crate) fn memory_mib(pid: u32, field: &str) -> Result<f64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let kib = status.lines().find_map(|line| line.strip_prefix(field)?.strip_prefix(':'));
    let kib = kib.and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    Ok(kib.ok_or(format!("no {field} in /proc/{pid}/status"))? as f64 / 1024.0)
}

/// A Markdown table (also readable on a terminal) of `|`-separated cells.
pub(crate) fn table(header: &str, rows: &[String]) -> String {
    let rule = "---|".repeat(header.matches('|').count() + 1);
    rows.iter().fold(format!("| {header} |\n|{rule}\n"), |out, row| out + "| " + row + " |\n")
}

/// One target, evaluated.
pub(crate) struct Check {
    pub(crate) what: &'static str,
    pub(crate) value: String,
    pub(crate) target: &'static str,
    pub(crate) pass: bool,
}

impl Check {
    /// A target on a ratio, shown as `1.23×`.
    pub(crate) fn new(what: &'static str, ratio: f64, target: &'static str, pass: bool) -> Self {
        Self { what, value: format!("{ratio:.2}×"), target, pass }
    }
}

/// The targets as a table with a verdict each.
pub(crate) fn checks_table(checks: &[Check]) -> String {
    let row = |c: &Check| {
        format!(
            "{} | {} | {} | {}",
            c.what,
            c.value,
            c.target,
            if c.pass { "pass" } else { "**FAIL**" }
        )
    };
    table("target | measured | required | ", &checks.iter().map(row).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:40000/ccstore/v1/refresh
  Latency Distribution
     50%  812.00us
     99%    3.00ms
  320000 requests in 10.00s, 100.00MB read
  Non-2xx or 3xx responses: 5
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  32000.50
refresh.lua: responses=320000 ok=319995 non200=5 missing_token=0 starved=0 tokens_left=80
scale.lua: p999_us=4100 max_us=9000
";

    #[test]
    fn wrk_reports_are_read_into_numbers() {
        let wrk = parse_wrk(REPORT).unwrap();
        assert_eq!((wrk.requests, wrk.non_2xx, wrk.socket_errors), (320_000, 5, 3));
        assert_eq!((wrk.rate, wrk.p50_us, wrk.p99_us), (32_000.5, 812.0, 3000.0));
        assert_eq!(
            (wrk.count("ok"), wrk.count("non200"), wrk.count("tokens_left")),
            (319_995, 5, 80)
        );
        assert_eq!((wrk.script["p999_us"], wrk.script["max_us"]), (4100.0, 9000.0));
        for (from, to, error) in [
            ("50%  812.00us", "", "no 50% line"),
            ("Requests/sec:", "", "no Requests/sec"),
            ("3.00ms", "3.00xs", "unknown unit"),
        ] {
            assert!(parse_wrk(&REPORT.replace(from, to)).unwrap_err().contains(error), "{error}");
        }
    }

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let path = std::env::temp_dir().join(format!("xtask-stat-{}", std::process::id()));
        // Fields 3 to 17: state, then 4..=13, utime 140, stime 150, cutime 160, cstime 170.
        std::fs::write(&path, "42 (wrk (1) x) S 4 5 6 7 8 9 10 11 12 13 140 150 160 170 18 19\n")
            .unwrap();
        let path = path.to_str().unwrap();
        assert_eq!((stat_ticks(path, 14), stat_ticks(path, 16)), (Ok(290), Ok(330)));
        assert!(stat_ticks(path, 19).unwrap_err().contains("no field 19"));
        std::fs::write(path, "42 wrk S 1 2").unwrap();
        assert!(stat_ticks(path, 14).unwrap_err().contains("malformed"));
        std::fs::remove_file(path).unwrap();
        assert!(stat_ticks(path, 14).unwrap_err().starts_with("reading"));
    }

    #[test]
    fn a_waited_for_child_s_cpu_time_is_counted_as_the_children_s() {
        let (children, own) =
            (children_cpu_seconds().unwrap(), cpu_seconds(std::process::id()).unwrap());
        let busy = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";
        assert!(Command::new("sh").args(["-c", busy]).status().unwrap().success());
        let children = children_cpu_seconds().unwrap() - children;
        let own = cpu_seconds(std::process::id()).unwrap() - own;
        assert!(children >= 0.05 && own < children, "own {own} s, the child's {children} s");
    }
}
