//! The criterion micro-benchmarks of `ccstore-core` as part of `cargo xtask bench`, so that
//! `docs/benchmarks.md` shows issue 4's core target (verify + issue within 1.3× of bare
//! jsonwebtoken decode + encode) measured in the same run as the HTTP rounds.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::bench_report::Check;
use crate::files::repo_file;

/// Environment variable under which the criterion bench writes its mean times.
const MEANS_OUT: &str = "CCSTORE_BENCH_MICRO_OUT";

/// Most core refresh (verify, refresh-once check, issue) may take against the jsonwebtoken floor.
const REFRESH_TARGET: f64 = 1.3;

/// Mean time per iteration of each micro-benchmark, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Micro {
    /// `TokenService::verify`.
    pub(crate) verify: f64,
    /// `Sessions::refresh` on the in-memory store: verify, refresh-once check, issue.
    pub(crate) refresh: f64,
    /// `jsonwebtoken::decode` of the same token.
    pub(crate) floor_decode: f64,
    /// `jsonwebtoken::decode` then `encode` of the same claims.
    pub(crate) floor_refresh: f64,
}

impl Micro {
    /// Reads the `name mean_ns` lines the bench writes.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mean = |name: &str| -> Result<f64, String> {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|value| value.trim().parse().ok())
                .filter(|ns: &f64| ns.is_finite() && *ns > 0.0)
                .ok_or_else(|| format!("the micro-benchmarks gave no mean time for {name}"))
        };
        Ok(Self {
            verify: mean("verify")?,
            refresh: mean("refresh")?,
            floor_decode: mean("floor_decode")?,
            floor_refresh: mean("floor_refresh")?,
        })
    }

    /// Issue 4's core target.
    pub(crate) fn check(&self) -> Check {
        let ratio = self.refresh / self.floor_refresh;
        Check {
            what: "core verify + issue, refresh/floor_refresh",
            value: format!("{ratio:.2}×"),
            target: "≤ 1.30×",
            pass: ratio <= REFRESH_TARGET,
        }
    }

    /// The micro-benchmarks' table and target, as markdown.
    pub(crate) fn table(&self) -> String {
        let mut out = String::from(
            "| benchmark | ccstore | bare jsonwebtoken | ratio |\n|---|---:|---:|---:|\n",
        );
        for (what, ours, floor) in [
            ("verify (floor_decode)", self.verify, self.floor_decode),
            (
                "refresh: verify, refresh-once check, issue (floor_refresh: decode + encode)",
                self.refresh,
                self.floor_refresh,
            ),
        ] {
            let _ = writeln!(
                out,
                "| {what} | {:.2} µs | {:.2} µs | {:.2}× |",
                ours / 1e3,
                floor / 1e3,
                ours / floor
            );
        }
        out
    }
}

/// Runs `cargo bench -p ccstore-core --bench tokens` (briefly with `smoke`) and reads its means.
pub(crate) fn run(smoke: bool, work: &Path) -> Result<Micro, String> {
    let means = work.join("micro-means.txt");
    let _ = std::fs::remove_file(&means);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(repo_file(""))
        .args(["bench", "--package", "ccstore-core", "--bench", "tokens"])
        .env(MEANS_OUT, &means);
    if smoke {
        command.args(["--", "--warm-up-time", "0.1", "--measurement-time", "0.3"]);
    }
    eprintln!("bench: core micro-benchmarks ...");
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if !status.success() {
        return Err(format!("the core micro-benchmarks failed ({status})"));
    }
    let text =
        std::fs::read_to_string(&means).map_err(|e| format!("reading {}: {e}", means.display()))?;
    Micro::parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEANS: &str = "verify 812.5\nrefresh 1400\nfloor_decode 2160.25\nfloor_refresh 2800\n";

    #[test]
    fn the_means_file_is_read_by_name_whatever_the_order() {
        let reordered = MEANS.lines().rev().collect::<Vec<_>>().join("\n");
        let expected = Micro {
            verify: 812.5,
            refresh: 1400.0,
            floor_decode: 2160.25,
            floor_refresh: 2800.0,
        };
        assert_eq!(Micro::parse(MEANS), Ok(expected));
        assert_eq!(Micro::parse(&reordered), Ok(expected));
    }

    #[test]
    fn a_missing_or_unusable_mean_is_an_error() {
        assert!(Micro::parse(&MEANS.replace("floor_refresh 2800\n", "")).is_err());
        assert!(Micro::parse(&MEANS.replace("1400", "NaN")).is_err());
        assert!(Micro::parse(&MEANS.replace("1400", "0")).is_err());
        // `refresh` is not read from `refresh_other`.
        assert!(Micro::parse(&MEANS.replace("refresh 1400", "refresh_other 1400")).is_err());
    }

    #[test]
    fn the_core_target_is_refresh_within_1_3_times_the_floor() {
        let mut micro = Micro::parse(MEANS).unwrap();
        let check = micro.check();
        assert!(check.pass);
        assert_eq!(check.value, "0.50×");
        micro.refresh = 3640.0;
        assert!(micro.check().pass, "1.30× is within the target");
        micro.refresh = 3650.0;
        assert!(!micro.check().pass);
    }

    #[test]
    fn the_table_gives_both_times_and_the_ratio() {
        let table = Micro::parse(MEANS).unwrap().table();
        assert!(
            table.contains("| verify (floor_decode) | 0.81 µs | 2.16 µs | 0.38× |"),
            "{table}"
        );
        assert!(table.contains("| 1.40 µs | 2.80 µs | 0.50× |"), "{table}");
    }
}
