//! Descriptor headroom: the connections a server holds are capped below the process's limit on
//! open files, so that reaching the cap never makes `accept` fail (`EMFILE`) and the server keeps
//! descriptors for everything else it needs: the listeners and workers, the operations listener
//! (`CCSTORE_METRICS_BIND`, where probes keep being answered), Redis, the keys file on `SIGHUP`.
//! Connections past the cap wait in the listen backlog, which costs the process no descriptor.

/// Descriptors kept aside from client connections: stdio, listeners, each worker's event loop,
/// the operations listener's own connections, Redis, files. Plus [`PER_WORKER_RESERVE`] for each
/// worker.
pub(crate) const RESERVED: u64 = 64;
/// Descriptors kept aside for each worker (its event loop and wakers).
pub(crate) const PER_WORKER_RESERVE: u64 = 8;
/// Connections the operations listener (`CCSTORE_METRICS_BIND`) holds at most: it serves
/// scrapes and probes, a handful at a time.
pub(crate) const OPERATIONS_CONNECTIONS: usize = 16;

/// The soft limit on open files of this process, from `/proc/self/limits` (Linux); `None` when
/// it cannot be read or is unlimited.
pub(crate) fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&limits)
}

/// The soft "Max open files" of a `/proc/<pid>/limits` text.
fn parse_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Connections per worker: the configured `max_per_worker`, lowered so that `workers` workers
/// together stay [`RESERVED`] and [`PER_WORKER_RESERVE`] each below the descriptor `limit`.
/// At least 1.
pub(crate) fn connections_per_worker(max_per_worker: u64, workers: u64, limit: Option<u64>) -> u64 {
    let Some(limit) = limit else {
        return max_per_worker;
    };
    let workers = workers.max(1);
    let reserve = RESERVED.saturating_add(PER_WORKER_RESERVE.saturating_mul(workers));
    let room = limit.saturating_sub(reserve) / workers;
    max_per_worker.min(room).max(1)
}

/// The connections each of `workers` workers may hold: `max_per_worker` (the setting), lowered
/// below this process's descriptor limit; logged, at `warn` when lowered.
pub(crate) fn cap_connections(max_per_worker: u64, workers: usize) -> usize {
    let limit = open_files_limit();
    let workers = u64::try_from(workers).unwrap_or(u64::MAX);
    let per_worker = connections_per_worker(max_per_worker, workers, limit);
    match limit {
        Some(limit) if per_worker < max_per_worker => log::warn!(
            "connections capped at {per_worker} per worker, below CCSTORE_MAX_CONNECTIONS=\
             {max_per_worker}: the descriptor limit is {limit} (raise it with LimitNOFILE= or \
             ulimit -n)"
        ),
        Some(limit) => {
            log::info!("connections: at most {per_worker} per worker; descriptor limit {limit}");
        }
        None => log::info!("connections: at most {per_worker} per worker; no descriptor limit"),
    }
    usize::try_from(per_worker).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             127451               127451               processes \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_files_limit(text), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files_limit(unlimited), None);
        assert_eq!(parse_open_files_limit(""), None);
        assert!(open_files_limit().is_some_and(|limit| limit > 0));
    }

    #[test]
    fn connections_stay_below_the_limit_with_room_for_everything_else() {
        assert_eq!(connections_per_worker(25_000, 2, Some(65_536)), 25_000);
        assert_eq!(
            connections_per_worker(25_000, 2, Some(4_096)),
            (4_096 - 80) / 2
        );
        assert_eq!(connections_per_worker(25_000, 1, Some(128)), 56);
        assert_eq!(connections_per_worker(25_000, 4, Some(50)), 1);
        assert_eq!(connections_per_worker(100, 2, None), 100);
    }
}
