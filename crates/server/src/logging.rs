//! Logging: `env_logger` (filter from `RUST_LOG`, default `info`) writing through a batching stderr
//! writer, so that the access log costs a memory copy per request rather than a system call. A
//! background thread writes the batch out at least every [`FLUSH_INTERVAL`]; [`flush`] writes it
//! at once (at shutdown).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

thread_local! {
    /// The RFC 3339 timestamp of the current second, formatted once per second per thread.
    static TIMESTAMP: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

impl Batch {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes what is pending to stderr; logging must never fail a request, so errors are dropped.
    fn write_out(&self) {
        let pending = std::mem::take(&mut *self.lock());
        if !pending.is_empty() {
            let _ = io::stderr().lock().write_all(&pending);
        }
    }
}

/// What `env_logger` writes to: the shared batch.
struct BatchWriter(Arc<Batch>);

impl Write for BatchWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = self.0.lock();
        pending.extend_from_slice(bytes);
        if pending.len() >= EAGER_FLUSH_BYTES {
            self.0.full.notify_one();
        }
        Ok(bytes.len())
    }

    /// `env_logger` flushes after every record; the batch is written by the background thread.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Starts logging. Call once, before anything logs.
pub fn init() {
    let batch = BATCH.get_or_init(Arc::default).clone();
    let flusher = batch.clone();
    std::thread::Builder::new()
        .name("log-flush".to_owned())
        .spawn(move || {
            loop {
                let pending = flusher.lock();
                let pending = flusher
                    .full
                    .wait_timeout(pending, FLUSH_INTERVAL)
                    .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
                drop(pending);
                flusher.write_out();
            }
        })
        .map_err(|error| eprintln!("log flusher not started ({error}); logs are written at exit"))
        .ok();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .target(env_logger::Target::Pipe(Box::new(BatchWriter(batch))))
        // The default layout, written directly: the configurable formatter's indentation
        // wrapper costs more than the rest of an access-log line.
        .format(|line, record| {
            let second = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            TIMESTAMP.with_borrow_mut(|(formatted_second, text)| {
                if *formatted_second != second || text.is_empty() {
                    *formatted_second = second;
                    text.clear();
                    let _ = write!(text, "{}", line.timestamp());
                }
                writeln!(
                    line,
                    "[{text} {:<5} {}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                )
            })
        })
        .init();
}

/// Writes every pending log line to stderr now.
pub fn flush() {
    if let Some(batch) = BATCH.get() {
        batch.write_out();
    }
}
