//! Real `redis-server` processes of the tests' own, on free loopback ports: a single node
//! (optionally with persistence, TLS or a memory policy), stopped and continued with
//! SIGSTOP/SIGCONT, killed and restarted on its data; and a three-primary cluster made with
//! `redis-cli --cluster create`. On a fresh machine without `redis-server` the suite installs
//! Debian's package itself (as root, with apt-get) so the README's test command passes; where
//! that is not possible it fails and says how to install it. It never skips.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// Makes sure `redis-server` and `redis-cli` can be run, installing Debian's package once if
/// they are missing.
fn ensure_redis_server() {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = AVAILABLE.get_or_init(|| {
        let present = || runs("redis-server", &["--version"]) && runs("redis-cli", &["--version"]);
        if present() {
            return Ok(());
        }
        eprintln!("redis-server is missing: installing Debian's redis-server with apt-get");
        let installed = runs("apt-get", &["update", "-qq"])
            && Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "-qq",
                    "redis-server",
                    "redis-tools",
                    "openssl",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
        if installed && present() {
            Ok(())
        } else {
            Err(
                "redis-server is not installed and could not be installed here; the Redis tests \
                 need a real server: apt-get install redis-server redis-tools openssl"
                    .to_owned(),
            )
        }
    });
    if let Err(message) = outcome {
        panic!("{message}");
    }
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A free loopback port that no other test of this process is handed, with its cluster bus port
/// (+10,000) free too. Ports come from a counter in a range of this process's own (by pid), so
/// two tests never race for one port the way "bind port 0, close, pass the number on" does;
/// a port some other program holds is skipped.
pub(crate) fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::process::id() % 300 * 100;
    loop {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(20_000 + (base + offset) % 30_000).unwrap();
        let free = |port: u16| TcpListener::bind(("127.0.0.1", port)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
}

/// A fresh directory of the test's own under the system's temporary directory.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ccstore-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asks `attempt` again, at a client's pace (every 50 ms, not in a hot loop), until it answers
/// `Some`, failing with `what` after `limit`: for what comes back by itself after a fault (a
/// reconnection, a cluster's failure detection), which no event announces.
pub(crate) async fn eventually<T, F>(
    limit: Duration,
    what: &str,
    mut attempt: impl FnMut() -> F,
) -> T
where
    F: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(answer) = attempt().await {
            return answer;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `condition` holds, failing with `what` after `limit`.
pub(crate) fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `redis-server` of the test's own, on a free loopback port, without persistence unless
/// started with it.
pub(crate) struct RedisServer {
    port: u16,
    args: Vec<String>,
    dir: PathBuf,
    process: Option<Child>,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        Self::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// A server with `args` added to its port, address and data directory.
    pub(crate) fn start_with(args: &[&str]) -> Self {
        ensure_redis_server();
        let mut server = Self {
            port: free_port(),
            args: args.iter().map(|&arg| arg.to_owned()).collect(),
            dir: scratch_dir("redis"),
            process: None,
        };
        server.restart();
        server
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the process on the same port and data directory and waits until it says it
    /// accepts connections (read from its log, not polled); its log is drained from then on.
    pub(crate) fn restart(&mut self) {
        let mut process = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start redis-server ({error}); the Redis tests need a real server: \
                     apt-get install redis-server"
                )
            });
        let output = BufReader::new(process.stdout.take().unwrap());
        let (ready, started) = mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut lines = output.lines().map_while(Result::ok);
            for line in lines.by_ref() {
                let is_ready = line.contains("Ready to accept connections");
                seen.push(line);
                if is_ready {
                    let _ = ready.send(Ok(()));
                    break;
                }
            }
            let _ = ready.send(Err(seen));
            lines.for_each(drop);
        });
        self.process = Some(process);
        match started.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            Ok(Err(log)) => panic!("redis-server exited before it was ready: {log:#?}"),
            Err(error) => panic!("redis-server did not say it was ready within 30 s ({error})"),
        }
    }

    pub(crate) fn answers_ping(&self) -> bool {
        answers_ping(self.port)
    }

    /// Kills the process (SIGKILL: nothing is flushed beyond what its persistence wrote).
    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().unwrap();
            process.wait().unwrap();
        }
        assert!(!self.answers_ping());
    }

    /// Sends `signal` (`STOP`, `CONT`) to the process.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.process.as_ref().unwrap().id().to_string();
        assert!(
            runs("kill", &[&format!("-{signal}"), &pid]),
            "kill -{signal}"
        );
    }

    /// Runs `redis-cli` against this server with `args`; its output.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        cli(self.port, args)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            // A stopped process must be continued to die promptly.
            let _ = runs("kill", &["-CONT", &process.id().to_string()]);
            let _ = process.kill();
            let _ = process.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0_u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// `redis-cli -p port args...`, its standard output.
pub(crate) fn cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Three primaries, no replicas, every slot assigned, `cluster_state:ok` on each.
pub(crate) struct RedisCluster {
    pub(crate) nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub(crate) fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "2000",
                ])
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "redis-cli --cluster create failed");
        for node in &nodes {
            wait_until(Duration::from_secs(20), "the cluster is ok", || {
                node.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok")
            });
        }
        Self { nodes }
    }

    /// The cluster URL, through the first node.
    pub(crate) fn url(&self) -> String {
        format!("redis+cluster://127.0.0.1:{}/", self.nodes[0].port)
    }
}
