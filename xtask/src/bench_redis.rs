//! The Redis round of `cargo xtask bench` (issue 17): ccstore's own CPU time per refresh with
//! session state in Redis, one node and a three-primary cluster, against the in-process store
//! in the same run, on the same settings as the other rounds. Redis runs pinned to core 1 with
//! wrk, so its CPU is not counted as ccstore's. Targets: Redis ≤ 1.6× the in-process store's
//! CPU per request, the cluster ≤ 1.1× the single node's.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::{Bench, Options};
use crate::bench_report::Measurement;

/// Redis's CPU per refresh over the in-process store's, at most.
const REDIS_TARGET: f64 = 1.6;
/// The cluster's over the single node's, at most.
const CLUSTER_TARGET: f64 = 1.1;

/// The three measurements of the round.
pub(crate) struct RedisRound {
    memory: Measurement,
    node: Measurement,
    cluster: Measurement,
}

/// `redis-server` processes of the round, killed when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the round: the in-process store, one Redis node, a three-primary cluster.
pub(crate) fn run(options: &Options, bench: &mut Bench) -> Result<RedisRound, String> {
    for tool in ["redis-server", "redis-cli"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!(
                "{tool} is missing; install it with `apt-get install -y redis-server redis-tools`"
            ));
        }
    }
    let dir = bench.work.join("redis");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let memory = bench.measure_server(&bench.refresh_named("refresh in-process", None), options)?;

    let (node_port, node) = start_redis(&dir.join("node"), false)?;
    let node_url = format!("redis://127.0.0.1:{node_port}/");
    let single = bench.measure_server(
        &bench.refresh_named("refresh Redis node", Some(node_url)),
        options,
    )?;
    drop(node);

    let mut ports = Vec::new();
    let mut cluster = Processes(Vec::new());
    for index in 0..3 {
        let (port, mut processes) = start_redis(&dir.join(format!("cluster-{index}")), true)?;
        ports.push(port);
        cluster.0.append(&mut processes.0);
    }
    create_cluster(&ports)?;
    let cluster_url = format!("redis+cluster://127.0.0.1:{}/", ports[0]);
    let clustered = bench.measure_server(
        &bench.refresh_named("refresh Redis cluster", Some(cluster_url)),
        options,
    )?;
    drop(cluster);
    Ok(RedisRound {
        memory,
        node: single,
        cluster: clustered,
    })
}

impl RedisRound {
    /// Redis node over in-process, cluster over in-process, cluster over node (CPU per request).
    fn ratios(&self) -> (f64, f64, f64) {
        let cpu = |m: &Measurement| m.cpu_us_per_request;
        (
            cpu(&self.node) / cpu(&self.memory),
            cpu(&self.cluster) / cpu(&self.memory),
            cpu(&self.cluster) / cpu(&self.node),
        )
    }

    /// The round as a Markdown table with the targets, judged unless `smoke`.
    pub(crate) fn table(&self, smoke: bool) -> String {
        let mut text = String::from(
            "| store | requests/s | p50 µs | p99 µs | non-2xx | ccstore CPU µs/request | × in-process |\n|---|---|---|---|---|---|---|\n",
        );
        for m in [&self.memory, &self.node, &self.cluster] {
            let _ = writeln!(
                text,
                "| {} | {:.0} | {:.0} | {:.0} | {} | {:.2} | {:.2} |",
                m.name,
                m.requests_per_sec,
                m.p50_us,
                m.p99_us,
                m.non_2xx,
                m.cpu_us_per_request,
                m.cpu_us_per_request / self.memory.cpu_us_per_request
            );
        }
        let (node, cluster, over_node) = self.ratios();
        let verdict = |pass: bool| {
            if smoke {
                "not judged (smoke)"
            } else if pass {
                "met"
            } else {
                "NOT met"
            }
        };
        let _ = writeln!(
            text,
            "\nRedis node: {node:.2}× the in-process store's CPU per refresh (target ≤ {REDIS_TARGET}×): {}",
            verdict(node <= REDIS_TARGET)
        );
        let _ = writeln!(
            text,
            "Redis cluster: {cluster:.2}× the in-process store's, {over_node:.2}× the node's (target ≤ {CLUSTER_TARGET}×): {}",
            verdict(over_node <= CLUSTER_TARGET)
        );
        text
    }

    /// Fails when a run answered anything but 200s (smoke mode's check).
    pub(crate) fn check(&self) -> Result<(), String> {
        for m in [&self.memory, &self.node, &self.cluster] {
            if m.non_2xx > 0 || m.requests == 0 {
                return Err(format!(
                    "{}: {} non-2xx of {}",
                    m.name, m.non_2xx, m.requests
                ));
            }
        }
        Ok(())
    }
}

/// A `redis-server` on a free port in `dir`, pinned to core 1 (wrk's), without persistence.
fn start_redis(dir: &Path, cluster: bool) -> Result<(u16, Processes), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let port = crate::bench::free_address()?.port();
    let mut command = Command::new("taskset");
    command
        .args(["-c", "1", "redis-server", "--port", &port.to_string()])
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir);
    if cluster {
        command.args(["--cluster-enabled", "yes"]);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e}"))?;
    let processes = Processes(vec![child]);
    let started = Instant::now();
    while !answers_ping(port) {
        if started.elapsed() > Duration::from_secs(10) {
            return Err("redis-server did not start".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((port, processes))
}

fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut reply = [0_u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// `redis-cli --cluster create` over `ports`, then waits for `cluster_state:ok` on each.
fn create_cluster(ports: &[u16]) -> Result<(), String> {
    let status = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(ports.iter().map(|port| format!("127.0.0.1:{port}")))
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run redis-cli: {e}"))?;
    if !status.success() {
        return Err("redis-cli --cluster create failed".to_owned());
    }
    for port in ports {
        let started = Instant::now();
        loop {
            let output = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "CLUSTER", "INFO"])
                .output()
                .map_err(|e| format!("cannot run redis-cli: {e}"))?;
            if String::from_utf8_lossy(&output.stdout).contains("cluster_state:ok") {
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err(format!("the cluster node on {port} is not ok"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Where the round's report goes when not in smoke mode.
pub(crate) fn report_path() -> PathBuf {
    PathBuf::from("docs/benchmarks-redis.md")
}
