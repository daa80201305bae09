//! Logging: `env_logger` (filter from `RUST_LOG`, default `info`) writing lines laid out by
//! [`crate::telemetry::log_line`] (text or JSON) through a batching stderr writer, so that the access log
//! costs a memory copy per request rather than a system call. A background thread writes the
//! batch out at least every [`FLUSH_INTERVAL`]; [`flush`] writes it at once (at shutdown).
//!
//! The batch is bounded: when stderr stalls (a blocked journald, a container runtime that stops
//! reading), lines wait in at most [`MAX_PENDING_BYTES`]; past that, each new line is dropped and
//! counted ([`lines_dropped`], the metric `ccstore_log_lines_dropped_total`), so neither memory
//! nor any request ever waits on the sink. At exit, [`flush`] waits at most
//! [`EXIT_FLUSH_TIMEOUT`] for the last lines to be written.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::telemetry::log_line::{Access, LogFormat, write_line};
use crate::telemetry::request_id::{self, RequestId};

/// Longest a log line waits before it reaches stderr.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Most bytes of lines waiting for stderr: about 40,000 access lines, most of a second of a
/// worker's traffic at full speed. The buffer being written out, and its spare, hold as much again.
pub const MAX_PENDING_BYTES: usize = 4 * 1024 * 1024;
/// Longest the process waits at exit for its last lines to reach a stalled stderr.
pub const EXIT_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);
/// A batch this large is written out without waiting for the interval.
const EAGER_FLUSH_BYTES: usize = 64 * 1024;

/// Lines waiting to be written, and whether the flusher is writing some now.
#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    writing: bool,
}

#[derive(Debug)]
struct Batch {
    pending: Mutex<Pending>,
    /// Wakes the flusher early.
    full: Condvar,
    /// Signalled each time the flusher has written a batch.
    written: Condvar,
    max_pending: usize,
    dropped: AtomicU64,
}

static BATCH: OnceLock<Arc<Batch>> = OnceLock::new();
/// The layout chosen at [`init`].
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

impl Batch {
    fn new(max_pending: usize) -> Self {
        Self {
            pending: Mutex::default(),
            full: Condvar::new(),
            written: Condvar::new(),
            max_pending,
            dropped: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one line, written by `write` into the pending bytes, unless the batch would grow
    /// past its bound: then the line is dropped and counted. Never waits for the sink.
    fn append(&self, write: impl FnOnce(&mut Vec<u8>)) {
        let mut pending = self.lock();
        let before = pending.bytes.len();
        write(&mut pending.bytes);
        if pending.bytes.len() > self.max_pending {
            pending.bytes.truncate(before);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else if pending.bytes.len() >= EAGER_FLUSH_BYTES {
            self.full.notify_one();
        }
    }

    /// Writes what is pending to `sink`; logging must never fail a request, so errors are
    /// dropped. The pending buffer is swapped with `spare` (empty, its capacity kept from the
    /// batch before), so the next batch fills a buffer that has room already instead of regrowing
    /// (and copying) from nothing.
    fn write_out(&self, spare: &mut Vec<u8>, sink: &mut impl Write) {
        {
            let mut pending = self.lock();
            std::mem::swap(&mut pending.bytes, spare);
            pending.writing = true;
        }
        if !spare.is_empty() {
            let _ = sink.write_all(spare).and_then(|()| sink.flush());
        }
        spare.clear();
        // A buffer grown while the sink stalled is not kept at that size.
        spare.shrink_to(2 * EAGER_FLUSH_BYTES);
        self.lock().writing = false;
        self.written.notify_all();
    }

    /// The flusher's loop: a batch out at least every [`FLUSH_INTERVAL`], for ever.
    fn flush_forever(&self, mut sink: impl Write) {
        let mut spare = Vec::with_capacity(2 * EAGER_FLUSH_BYTES);
        loop {
            let pending = self.lock();
            let pending = self
                .full
                .wait_timeout(pending, FLUSH_INTERVAL)
                .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
            drop(pending);
            self.write_out(&mut spare, &mut sink);
        }
    }

    /// Wakes the flusher and waits until everything appended so far is written, for at most
    /// `timeout`; whether it was.
    fn drain_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut pending = self.lock();
        loop {
            if pending.bytes.is_empty() && !pending.writing {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.full.notify_one();
            pending = self
                .written
                .wait_timeout(pending, left.min(FLUSH_INTERVAL))
                .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
        }
    }
}

/// What `env_logger` writes to: the shared batch.
struct BatchWriter(Arc<Batch>);

impl Write for BatchWriter {
    /// `env_logger` writes each record in one call: one line.
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.append(|pending| pending.extend_from_slice(bytes));
        Ok(bytes.len())
    }

    /// `env_logger` flushes after every record; the batch is written by the background thread.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Starts logging, laid out as `format`. Call once, before anything logs.
pub fn init(format: LogFormat) {
    let format = *FORMAT.get_or_init(|| format);
    let batch = Arc::new(Batch::new(MAX_PENDING_BYTES));
    let flusher = batch.clone();
    let started = std::thread::Builder::new()
        .name("log-flush".to_owned())
        .spawn(move || flusher.flush_forever(io::stderr()));
    let target = match started {
        Ok(_) => {
            let _ = BATCH.set(batch.clone());
            env_logger::Target::Pipe(Box::new(BatchWriter(batch)))
        }
        Err(error) => {
            eprintln!("log flusher not started ({error}); logging to stderr line by line");
            env_logger::Target::Stderr
        }
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .target(target)
        // Written directly: the configurable formatter's indentation wrapper costs more than the
        // rest of an access-log line.
        .format(move |line, record| {
            write_line(
                line,
                format,
                record.level(),
                record.target(),
                record.args(),
                None,
                request_id::current().as_ref(),
            )
        })
        .init();
}

/// Writes the access-log line of the request `request_id` at `level` (target `target`). The
/// caller checks that the level is enabled, and has the id in hand: the request's scope has ended
/// by the time its answer is logged.
///
/// An `info` line goes straight into the batch, without the `log` machinery: it is written once
/// per request. Any other level (probes and scrapes, at `debug`), and every line before [`init`],
/// goes through `log` like any record, with the id made current for it.
pub(crate) fn access(level: log::Level, target: &str, access: &Access<'_>, request_id: &RequestId) {
    match BATCH.get() {
        Some(batch) if level == log::Level::Info => {
            let format = FORMAT.get().copied().unwrap_or_default();
            batch.append(|pending| {
                let _ = write_line(
                    pending,
                    format,
                    level,
                    target,
                    access,
                    Some(access),
                    Some(request_id),
                );
            });
        }
        _ => request_id::sync_scope(request_id.clone(), || {
            log::log!(target: target, level, "{access}");
        }),
    }
}

/// Log lines dropped so far because stderr did not keep up.
pub fn lines_dropped() -> u64 {
    BATCH
        .get()
        .map_or(0, |batch| batch.dropped.load(Ordering::Relaxed))
}

/// Writes every pending log line to stderr now, waiting at most [`EXIT_FLUSH_TIMEOUT`] for a
/// stalled stderr.
pub fn flush() {
    if let Some(batch) = BATCH.get() {
        batch.drain_within(EXIT_FLUSH_TIMEOUT);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// A sink that blocks every write until the test lets it through, reporting each write it
    /// starts and passing on what it was given.
    struct Gate {
        started: mpsc::Sender<()>,
        open: mpsc::Receiver<()>,
        out: mpsc::Sender<Vec<u8>>,
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _ = self.started.send(());
            self.open
                .recv()
                .map_err(|_| io::Error::other("the test has ended"))?;
            let _ = self.out.send(bytes.to_vec());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const LINE: &[u8] = b"[2026-12-01T18:00:00Z INFO  ccstore::access] POST /x 200 0.100ms\n";

    #[test]
    fn a_stalled_sink_bounds_the_batch_drops_and_counts_lines_and_never_blocks_a_writer() {
        let max = 10 * LINE.len();
        let batch = Arc::new(Batch::new(max));
        let (started, write_started) = mpsc::channel();
        let (open, gate) = mpsc::channel();
        let (out, written) = mpsc::channel();
        let sink = Gate {
            started,
            open: gate,
            out,
        };
        let flusher = batch.clone();
        std::thread::spawn(move || flusher.flush_forever(sink));

        batch.append(|pending| pending.extend_from_slice(LINE));
        // The flusher has taken that line and is stuck writing it.
        write_started.recv_timeout(Duration::from_secs(10)).unwrap();
        for _ in 0..1_000 {
            batch.append(|pending| pending.extend_from_slice(LINE));
        }
        assert_eq!(
            batch.lock().bytes.len(),
            max,
            "the batch stops at its bound"
        );
        assert_eq!(batch.dropped.load(Ordering::Relaxed), 1_000 - 10);
        assert!(
            !batch.drain_within(Duration::from_millis(1)),
            "nothing can be written while the sink is stalled"
        );

        // The sink recovers: what was kept arrives, in order, and nothing more.
        for _ in 0..2 {
            open.send(()).unwrap();
        }
        assert!(batch.drain_within(Duration::from_secs(10)));
        let mut received = Vec::new();
        while let Ok(bytes) = written.try_recv() {
            received.extend(bytes);
        }
        assert_eq!(received, LINE.repeat(11));
        assert_eq!(batch.dropped.load(Ordering::Relaxed), 990);
    }

    #[test]
    fn lines_are_dropped_whole() {
        let batch = Batch::new(LINE.len() + 10);
        batch.append(|pending| pending.extend_from_slice(LINE));
        batch.append(|pending| pending.extend_from_slice(LINE));
        assert_eq!(batch.lock().bytes, LINE);
        assert_eq!(batch.dropped.load(Ordering::Relaxed), 1);
    }
}
