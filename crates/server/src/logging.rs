//! Logging: `env_logger` (filter from `RUST_LOG`, default `info`) writing lines laid out by
//! [`crate::log_line`] (text or JSON) through a batching stderr writer, so that the access log
//! costs a memory copy per request rather than a system call. A background thread writes the
//! batch out at least every [`FLUSH_INTERVAL`]; [`flush`] writes it at once (at shutdown).

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::log_line::{Access, LogFormat, write_line};
use crate::request_id::{self, RequestId};

/// Longest a log line waits before it reaches stderr.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// A batch this large is written out without waiting for the interval.
const EAGER_FLUSH_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Batch {
    pending: Mutex<Vec<u8>>,
    full: Condvar,
}

static BATCH: OnceLock<Arc<Batch>> = OnceLock::new();
/// The layout chosen at [`init`].
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

impl Batch {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the flusher at once when `pending` has grown past [`EAGER_FLUSH_BYTES`].
    fn flush_early_if_large(&self, pending: &[u8]) {
        if pending.len() >= EAGER_FLUSH_BYTES {
            self.full.notify_one();
        }
    }

    /// Writes what is pending to stderr; logging must never fail a request, so errors are dropped.
    /// The pending buffer is swapped with `spare` (empty, its capacity kept from the batch before),
    /// so the next batch fills a buffer that has room already instead of regrowing (and copying)
    /// from nothing.
    fn write_out(&self, spare: &mut Vec<u8>) {
        std::mem::swap(&mut *self.lock(), spare);
        if !spare.is_empty() {
            let _ = io::stderr().lock().write_all(spare);
        }
        spare.clear();
    }
}

/// What `env_logger` writes to: the shared batch.
struct BatchWriter(Arc<Batch>);

impl Write for BatchWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = self.0.lock();
        pending.extend_from_slice(bytes);
        self.0.flush_early_if_large(&pending);
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
    let batch = BATCH.get_or_init(Arc::default).clone();
    let flusher = batch.clone();
    std::thread::Builder::new()
        .name("log-flush".to_owned())
        .spawn(move || {
            let mut spare = Vec::with_capacity(2 * EAGER_FLUSH_BYTES);
            loop {
                let pending = flusher.lock();
                let pending = flusher
                    .full
                    .wait_timeout(pending, FLUSH_INTERVAL)
                    .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
                drop(pending);
                flusher.write_out(&mut spare);
            }
        })
        .map_err(|error| eprintln!("log flusher not started ({error}); logs are written at exit"))
        .ok();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .target(env_logger::Target::Pipe(Box::new(BatchWriter(batch))))
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
            let mut pending = batch.lock();
            let _ = write_line(
                &mut *pending,
                format,
                level,
                target,
                access,
                Some(access),
                Some(request_id),
            );
            batch.flush_early_if_large(&pending);
        }
        _ => request_id::sync_scope(request_id.clone(), || {
            log::log!(target: target, level, "{access}");
        }),
    }
}

/// Writes every pending log line to stderr now.
pub fn flush() {
    if let Some(batch) = BATCH.get() {
        batch.write_out(&mut Vec::new());
    }
}
