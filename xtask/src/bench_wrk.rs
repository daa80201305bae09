//! Runs wrk with `bench/refresh.lua` and reads its report, so the bench task sees numbers, not
//! text: requests, rates, latency percentiles, errors and the script's own counts.

use std::path::Path;
use std::process::Command;

/// One wrk run's figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WrkResult {
    /// Responses completed in the run.
    pub(crate) requests: u64,
    /// Length of the run, seconds, as wrk measured it.
    pub(crate) seconds: f64,
    /// wrk's `Requests/sec`.
    pub(crate) requests_per_sec: f64,
    /// Median latency, microseconds.
    pub(crate) p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub(crate) p99_us: f64,
    /// wrk's `Non-2xx or 3xx responses` (0 when the line is absent).
    pub(crate) wrk_non_2xx: u64,
    /// Connect, read, write and timeout errors, summed (0 when the line is absent).
    pub(crate) socket_errors: u64,
    /// What `bench/refresh.lua` counted.
    pub(crate) lua: LuaCounts,
}

/// The counts `bench/refresh.lua` prints from `done()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct LuaCounts {
    /// Responses seen.
    pub(crate) responses: u64,
    /// 200 responses carrying an `access_token`.
    pub(crate) ok: u64,
    /// Responses with any status but 200.
    pub(crate) non200: u64,
    /// 200 responses without an `access_token`.
    pub(crate) missing_token: u64,
    /// Requests sent with no token left in the queue.
    pub(crate) starved: u64,
    /// Tokens still queued at the end, written out for the next run.
    pub(crate) tokens_left: u64,
}

/// What to run.
pub(crate) struct WrkRun<'a> {
    /// The `refresh.lua` script.
    pub(crate) script: &'a Path,
    /// Full URL of the refresh endpoint.
    pub(crate) url: &'a str,
    /// Keep-alive connections.
    pub(crate) connections: u32,
    /// Seconds to run.
    pub(crate) seconds: u32,
    /// Tokens seeding the queue, one per line.
    pub(crate) tokens_in: &'a Path,
    /// Where the unused tokens go.
    pub(crate) tokens_out: &'a Path,
}

/// Runs wrk pinned to CPU 1 with one thread, keep-alive, `--latency`, and parses its report.
pub(crate) fn run(run: &WrkRun<'_>) -> Result<WrkResult, String> {
    run_with_report(run).map(|(result, _)| result)
}

/// [`run`], with wrk's whole report too, for lines a script adds.
pub(crate) fn run_with_report(run: &WrkRun<'_>) -> Result<(WrkResult, String), String> {
    let output = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1"])
        .arg(format!("-c{}", run.connections))
        .arg(format!("-d{}s", run.seconds))
        .args(["--timeout", "5s", "--latency", "-s"])
        .arg(run.script)
        .arg(run.url)
        .env("CCSTORE_BENCH_TOKENS", run.tokens_in)
        .env("CCSTORE_BENCH_TOKENS_OUT", run.tokens_out)
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !stderr.trim().is_empty() {
        return Err(format!("wrk failed ({}):\n{stdout}{stderr}", output.status));
    }
    let result = parse(&stdout).map_err(|e| format!("{e} in wrk's report:\n{stdout}"))?;
    Ok((result, stdout.into_owned()))
}

/// Reads wrk's `--latency` report and the script's `refresh.lua:` line.
pub(crate) fn parse(report: &str) -> Result<WrkResult, String> {
    let mut requests = None;
    let mut requests_per_sec = None;
    let mut p50_us = None;
    let mut p99_us = None;
    let mut wrk_non_2xx = 0;
    let mut socket_errors = 0;
    let mut lua = None;
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [count, "requests", "in", time, ..] => {
                requests = Some((number(count)?, duration_us(time.trim_end_matches(','))?));
            }
            ["Requests/sec:", rate] => requests_per_sec = Some(float(rate)?),
            ["50%", time] => p50_us = Some(duration_us(time)?),
            ["99%", time] => p99_us = Some(duration_us(time)?),
            ["Non-2xx", "or", "3xx", "responses:", count] => wrk_non_2xx = number(count)?,
            ["Socket", "errors:", rest @ ..] => {
                for count in rest.iter().skip(1).step_by(2) {
                    socket_errors += number(count.trim_end_matches(','))?;
                }
            }
            ["refresh.lua:", fields @ ..] => lua = Some(lua_counts(fields)?),
            _ => {}
        }
    }
    let (requests, run_us) = requests.ok_or("no `N requests in T` line")?;
    Ok(WrkResult {
        requests,
        seconds: run_us / 1e6,
        requests_per_sec: requests_per_sec.ok_or("no Requests/sec line")?,
        p50_us: p50_us.ok_or("no 50% latency line (was --latency given?)")?,
        p99_us: p99_us.ok_or("no 99% latency line (was --latency given?)")?,
        wrk_non_2xx,
        socket_errors,
        lua: lua.ok_or("no `refresh.lua:` line (did the script's done() run?)")?,
    })
}

fn lua_counts(fields: &[&str]) -> Result<LuaCounts, String> {
    let mut counts = LuaCounts::default();
    for field in fields {
        let (name, value) = field
            .split_once('=')
            .ok_or_else(|| format!("bad refresh.lua field {field:?}"))?;
        let value = number(value)?;
        match name {
            "responses" => counts.responses = value,
            "ok" => counts.ok = value,
            "non200" => counts.non200 = value,
            "missing_token" => counts.missing_token = value,
            "starved" => counts.starved = value,
            "tokens_left" => counts.tokens_left = value,
            _ => return Err(format!("unknown refresh.lua field {name:?}")),
        }
    }
    Ok(counts)
}

fn number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|e| format!("bad number {text:?}: {e}"))
}

fn float(text: &str) -> Result<f64, String> {
    text.parse()
        .map_err(|e| format!("bad number {text:?}: {e}"))
}

/// A wrk time (`812.00us`, `1.23ms`, `10.00s`, `1.50m`) in microseconds.
fn duration_us(text: &str) -> Result<f64, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("time {text:?} has no unit"))?;
    let (value, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return Err(format!("unknown time unit in {text:?}")),
    };
    Ok(float(value)? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 10s test @ http://127.0.0.1:40000/ccstore/v1/refresh
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.01ms  301.21us   8.00ms   90.00%
    Req/Sec    32.00k     1.00k   34.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.10ms
     90%    2.30ms
     99%    3.00ms
  320000 requests in 10.00s, 100.00MB read
  Non-2xx or 3xx responses: 5
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  32000.50
Transfer/sec:     10.00MB
refresh.lua: responses=320000 ok=319995 non200=5 missing_token=0 starved=0 tokens_left=80
";

    #[test]
    fn parses_a_latency_report_with_the_script_line() {
        let result = parse(REPORT).unwrap();
        assert_eq!(result.requests, 320_000);
        assert!((result.seconds - 10.0).abs() < 1e-9);
        assert!((result.requests_per_sec - 32_000.5).abs() < 1e-9);
        assert!((result.p50_us - 812.0).abs() < 1e-9);
        assert!((result.p99_us - 3000.0).abs() < 1e-9);
        assert_eq!(result.wrk_non_2xx, 5);
        assert_eq!(result.socket_errors, 3);
        assert_eq!(
            result.lua,
            LuaCounts {
                responses: 320_000,
                ok: 319_995,
                non200: 5,
                missing_token: 0,
                starved: 0,
                tokens_left: 80,
            }
        );
    }

    #[test]
    fn a_report_without_latency_distribution_is_refused() {
        let report = REPORT.replace("     50%  812.00us\n", "");
        assert!(parse(&report).unwrap_err().contains("50%"));
    }
}
