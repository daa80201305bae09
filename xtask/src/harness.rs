//! What both benchmark tasks measure with: the release build, tokens minted under the bench key,
//! a server pinned to CPU 0, wrk pinned to CPU 1 with its report read into numbers, a process's
//! CPU time and memory from /proc, and the Markdown tables and target checks of the reports.

use std::collections::BTreeMap;
use std::fmt::Display;
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

/// An error's text after what was being done: `.map_err(ctx("reading x"))`.
pub(crate) fn ctx<E: Display>(what: impl Display) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Fails unless every `(tool, Debian package)` is on PATH, saying what to install.
pub(crate) fn require(tools: &[(&str, &str)]) -> Result<(), String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = |tool: &str| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file());
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(t, _)| !found(t))
        .map(|(_, p)| *p)
        .collect();
    match missing.as_slice() {
        [] => Ok(()),
        _ => Err(format!(
            "missing tools: `apt-get install -y {}`",
            missing.join(" ")
        )),
    }
}

/// `cargo build --release` of the server and the floor; returns the release directory.
pub(crate) fn build() -> Result<PathBuf, String> {
    let cargo = |args: &[&str]| {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .current_dir(repo_file(""))
            .args(args)
            .stderr(Stdio::inherit());
        command.output().map_err(ctx("cannot run cargo"))
    };
    let build = [
        "build",
        "--release",
        "-p",
        "ccstore-server",
        "--bin",
        "ccstore-server",
        "--example",
        "floor",
    ];
    if !cargo(&build)?.status.success() {
        return Err("the release build failed".to_owned());
    }
    let metadata = cargo(&["metadata", "--format-version", "1", "--no-deps"])?.stdout;
    let metadata: serde_json::Value = serde_json::from_slice(&metadata).map_err(ctx("metadata"))?;
    let target = metadata["target_directory"]
        .as_str()
        .ok_or("no target_directory")?;
    Ok(Path::new(target).join("release"))
}

/// Mints tokens as the server verifies them (its default policy, the bench key), each with its
/// own `sub`.
pub(crate) struct Minter(TokenService, usize);

impl Minter {
    pub(crate) fn new(ttl: u64) -> Self {
        let issuer = "storefrontUI".to_owned();
        let (session_max, encoding) = (Some(43_200), TokenEncoding::Occ);
        let policy = TokenPolicy {
            issuer,
            ttl,
            leeway: 0,
            session_max,
            encoding,
        };
        let key = KeySet::single(HmacKey::new(BENCH_KEY.as_bytes()).expect("a 45-byte key"));
        Self(TokenService::new(key, policy, Arc::new(SystemClock)), 0)
    }

    pub(crate) fn mint(&mut self, count: usize) -> Vec<String> {
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

/// A loopback port no one listens on right now.
pub(crate) fn free_port() -> Result<u16, String> {
    let address = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
    Ok(address.map_err(ctx("no free port"))?.port())
}

/// A process under test, killed when dropped.
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
        command
            .args(["-c", "0"])
            .arg(binary)
            .args(args)
            .env_remove("RUST_LOG");
        for (name, _) in
            std::env::vars_os().filter(|(n, _)| n.to_string_lossy().starts_with("CCSTORE_"))
        {
            command.env_remove(name);
        }
        command
            .env("CCSTORE_JWT_SECRET", BENCH_KEY)
            .env("CCSTORE_BIND", address.to_string());
        command
            .env("CCSTORE_WORKERS", "1")
            .envs(env.iter().map(|(k, v)| (k, v)));
        Self::spawn(command, address, log)
    }

    /// Starts `command`, its stderr to `log`.
    pub(crate) fn spawn(
        mut command: Command,
        address: SocketAddr,
        log: PathBuf,
    ) -> Result<Self, String> {
        let stderr = std::fs::File::create(&log).map_err(ctx(log.display()))?;
        let (started, command) = (Instant::now(), command.stdout(Stdio::null()).stderr(stderr));
        let child = command
            .spawn()
            .map_err(ctx(format!("cannot start {command:?}")))?;
        Ok(Self {
            child,
            address,
            started,
            log,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
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
        let tail = log
            .lines()
            .skip(log.lines().count().saturating_sub(20))
            .collect::<Vec<_>>();
        Err(format!(
            "exited ({status}); its log, {}:\n{}",
            self.log.display(),
            tail.join("\n")
        ))
    }

    /// Refreshes with `token` over fresh keep-alive connections until the server answers:
    /// the time since it was started, the status, the lower-cased head and the body.
    pub(crate) fn first_answer(
        &mut self,
        token: &str,
    ) -> Result<(Duration, u16, String, String), String> {
        loop {
            self.alive()?;
            let answer = TcpStream::connect(self.address).and_then(|stream| {
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                (&stream).write_all(refresh_request(token).as_bytes())?;
                read_answer(&mut BufReader::new(stream))
            });
            match answer {
                Ok((status, head, body)) => {
                    return Ok((self.started.elapsed(), status, head, body));
                }
                Err(e) if self.started.elapsed() > Duration::from_secs(10) => {
                    return Err(format!("no answer within 10 s: {e}"));
                }
                Err(_) => std::thread::sleep(Duration::from_micros(250)),
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
) -> std::io::Result<(u16, String, String)> {
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        if reader.read_line(&mut head)? == 0 {
            return Err(std::io::Error::other("the server closed the connection"));
        }
    }
    let head = head.to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let length = head
        .split("\r\ncontent-length:")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next());
    let mut body = vec![0; length.and_then(|l| l.trim().parse().ok()).unwrap_or(0)];
    reader.read_exact(&mut body)?;
    Ok((status, head, String::from_utf8_lossy(&body).into_owned()))
}

/// The token of a refresh answer's body.
pub(crate) fn access_token(body: &str) -> Option<&str> {
    body.split("\"access_token\":\"").nth(1)?.split('"').next()
}

/// One wrk run's figures by name: `requests`, `rate`, `p50_us`, `p99_us`, `non_2xx` (wrk's
/// count), `socket_errors`, and the `name=number` fields of the script's `….lua:` lines
/// (`non200`, `p999_us`, ...).
pub(crate) type Wrk = BTreeMap<String, f64>;

/// A figure of a run, 0 when the script did not report it.
pub(crate) fn figure(wrk: &Wrk, name: &str) -> f64 {
    wrk.get(name).copied().unwrap_or_default()
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
    let mut command = Command::new("taskset");
    command.args([
        "-c",
        "1",
        "wrk",
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
    ]);
    command
        .args(["--timeout", "5s", "--latency", "-s"])
        .arg(repo_file(&format!("bench/{script}.lua")));
    command
        .arg(url)
        .env("CCSTORE_BENCH_TOKENS", tokens)
        .env("CCSTORE_BENCH_TOKENS_OUT", &left);
    let output = command.output().map_err(ctx("cannot run wrk"))?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    if !output.status.success() || !stderr.trim().is_empty() {
        return Err(format!("wrk failed ({}):\n{stdout}{stderr}", output.status));
    }
    std::fs::rename(&left, tokens).map_err(ctx("keeping the queue"))?;
    parse_wrk(&stdout).map_err(|e| format!("{e} in wrk's report:\n{stdout}"))
}

/// Reads wrk's `--latency` report and the script's lines.
pub(crate) fn parse_wrk(report: &str) -> Result<Wrk, String> {
    let number = |text: &str| {
        text.trim_end_matches(',')
            .parse::<f64>()
            .map_err(ctx(format!("{text:?}")))
    };
    let micros = |text: &str| {
        let (value, unit) = text.split_at(text.find(char::is_alphabetic).unwrap_or(text.len()));
        let scale = [("us", 1.0), ("ms", 1e3), ("s", 1e6), ("m", 60e6)]
            .into_iter()
            .find(|(u, _)| *u == unit);
        Ok::<_, String>(number(value)? * scale.ok_or(format!("unknown unit in {text:?}"))?.1)
    };
    let mut wrk = Wrk::new();
    for words in report
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
    {
        let (name, value) = match words.as_slice() {
            [count, "requests", "in", ..] => ("requests", number(count)?),
            ["Requests/sec:", value] => ("rate", number(value)?),
            ["50%", time] => ("p50_us", micros(time)?),
            ["99%", time] => ("p99_us", micros(time)?),
            ["Non-2xx", "or", "3xx", "responses:", count] => ("non_2xx", number(count)?),
            ["Socket", "errors:", rest @ ..] => (
                "socket_errors",
                rest.iter()
                    .skip(1)
                    .step_by(2)
                    .map(|c| number(c))
                    .sum::<Result<f64, _>>()?,
            ),
            [script, fields @ ..] if script.ends_with(".lua:") => {
                for field in fields {
                    let (name, value) = field
                        .split_once('=')
                        .ok_or(format!("bad field {field:?}"))?;
                    wrk.insert(name.to_owned(), number(value)?);
                }
                continue;
            }
            _ => continue,
        };
        wrk.insert(name.to_owned(), value);
    }
    let missing = ["requests", "rate", "p50_us", "p99_us"]
        .into_iter()
        .find(|name| !wrk.contains_key(*name));
    missing.map_or(Ok(wrk), |name| Err(format!("no {name} in the report")))
}

/// CPU seconds (user + system) of a process so far, or with `None` of the children this
/// process waited for (wrk).
#[allow(clippy::cast_precision_loss)] // ticks stay far below 2^52
pub(crate) fn cpu_seconds(pid: Option<u32>) -> Result<f64, String> {
    // Asked once: a `getconf` between two readings would count as the children's CPU time.
    static PER_SECOND: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |pid| format!("/proc/{pid}/stat"),
    );
    let stat = std::fs::read_to_string(&path).map_err(ctx(&path))?;
    let ticks = stat_ticks(&stat, if pid.is_some() { 14 } else { 16 })
        .ok_or(format!("malformed {path}"))?;
    let per_second = PER_SECOND.get_or_init(|| {
        let output = Command::new("getconf").arg("CLK_TCK").output().ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    });
    Ok(ticks as f64 / per_second.ok_or("getconf CLK_TCK failed")?)
}

/// Writes a queue of tokens for wrk's script, one a line.
pub(crate) fn write_tokens(path: &Path, tokens: &[String]) -> Result<(), String> {
    std::fs::write(path, tokens.join("\n") + "\n").map_err(ctx(path.display()))
}

/// Fields `first` and `first + 1` of a stat line, summed, counted from 1 as in proc(5), after
/// the command name (field 2), which is in parentheses and may hold spaces.
fn stat_ticks(stat: &str, first: usize) -> Option<u64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |n: usize| fields.get(n.checked_sub(3)?)?.parse::<u64>().ok();
    Some(field(first)? + field(first + 1)?)
}

/// A `/proc/PID/status` memory field (`VmHWM`, `VmRSS`) in MiB.
#[allow(clippy::cast_precision_loss)] // KiB counts stay far below 2^52
pub(crate) fn memory_mib(pid: u32, field: &str) -> Result<f64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(ctx(&path))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'));
    let kib = kib.and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    Ok(kib.ok_or(format!("no {field} in {path}"))? as f64 / 1024.0)
}

/// A Markdown table (also readable on a terminal) of `|`-separated cells.
pub(crate) fn table(header: &str, rows: &[String]) -> String {
    let rule = "---|".repeat(header.matches('|').count() + 1);
    rows.iter()
        .fold(format!("| {header} |\n|{rule}\n"), |out, row| {
            out + "| " + row + " |\n"
        })
}

/// One target, evaluated: what, the measured value and the bound as shown, and the verdict.
pub(crate) struct Check(
    pub(crate) &'static str,
    pub(crate) String,
    pub(crate) String,
    pub(crate) bool,
);

impl Check {
    /// At most `limit`, shown with `unit` (`×` for a ratio; none for a count).
    pub(crate) fn at_most(what: &'static str, value: f64, limit: f64, unit: &str) -> Self {
        let digits = if unit.is_empty() { 0 } else { 2 };
        let (value_text, limit_text) = (
            format!("{value:.digits$}{unit}"),
            format!("≤ {limit:.digits$}{unit}"),
        );
        Self(what, value_text, limit_text, value <= limit)
    }

    /// At least `limit`, a ratio.
    pub(crate) fn at_least(what: &'static str, ratio: f64, limit: f64) -> Self {
        Self(
            what,
            format!("{ratio:.2}×"),
            format!("≥ {limit:.2}×"),
            ratio >= limit,
        )
    }

    pub(crate) fn pass(&self) -> bool {
        self.3
    }
}

/// The targets as a table with a verdict each.
pub(crate) fn checks_table(checks: &[Check]) -> String {
    let verdict = |pass| if pass { "pass" } else { "**FAIL**" };
    let row = |Check(what, value, limit, pass): &Check| {
        format!("{what} | {value} | {limit} | {}", verdict(*pass))
    };
    table(
        "target | measured | required | ",
        &checks.iter().map(row).collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:40000/ccstore/v1/refresh
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
        let names = [
            "requests",
            "rate",
            "p50_us",
            "p99_us",
            "non_2xx",
            "socket_errors",
            "ok",
            "p999_us",
        ];
        let expected = [
            320_000.0, 32_000.5, 812.0, 3000.0, 5.0, 3.0, 319_995.0, 4100.0,
        ];
        assert_eq!(
            format!("{:?}", names.map(|name| figure(&wrk, name))),
            format!("{expected:?}")
        );
        for (from, to, error) in [
            ("50%", "5%", "no p50_us"),
            ("Requests/sec:", "", "no rate"),
            ("3.00ms", "3xs", "unit"),
        ] {
            assert!(
                parse_wrk(&REPORT.replace(from, to))
                    .unwrap_err()
                    .contains(error),
                "{error}"
            );
        }
    }

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        // Fields 3 to 17: state, then 4..=13, utime 140, stime 150, cutime 160, cstime 170.
        let stat = "42 (wrk (1) x) S 4 5 6 7 8 9 10 11 12 13 140 150 160 170 18 19\n";
        assert_eq!(
            (
                stat_ticks(stat, 14),
                stat_ticks(stat, 16),
                stat_ticks(stat, 19)
            ),
            (Some(290), Some(330), None)
        );
        assert_eq!(stat_ticks("42 wrk S 1 2", 14), None);
    }

    #[test]
    fn a_waited_for_child_s_cpu_time_is_counted_as_the_children_s() {
        let me = Some(std::process::id());
        let (children, own) = (cpu_seconds(None).unwrap(), cpu_seconds(me).unwrap());
        let busy = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";
        assert!(
            Command::new("sh")
                .args(["-c", busy])
                .status()
                .unwrap()
                .success()
        );
        let (children, own) = (
            cpu_seconds(None).unwrap() - children,
            cpu_seconds(me).unwrap() - own,
        );
        assert!(
            children >= 0.05 && own < children,
            "own {own} s, the child's {children} s"
        );
    }
}
