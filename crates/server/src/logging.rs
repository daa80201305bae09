//! Logging: `env_logger` (filter from `RUST_LOG`, default `info`) writing through a batching stderr
//! writer, so that the access log costs a memory copy per request rather than a system call. A
//! background thread writes the batch out at least every [`FLUSH_INTERVAL`]; [`flush`] writes it
//! at once (at shutdown).

use std::cell::RefCell;
use std::fmt;
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

    /// Wakes the flusher at once when `pending` has grown past [`EAGER_FLUSH_BYTES`].
    fn flush_early_if_large(&self, pending: &[u8]) {
        if pending.len() >= EAGER_FLUSH_BYTES {
            self.full.notify_one();
        }
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
        self.0.flush_early_if_large(&pending);
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
        .format(|line, record| write_line(line, record.level(), record.target(), record.args()))
        .init();
}

/// Writes an access-log line (`info`, target `target`) straight into the batch, without the
/// `log` machinery: it is written once per request. The caller checks that the level is enabled.
pub(crate) fn access(target: &str, message: fmt::Arguments<'_>) {
    let Some(batch) = BATCH.get() else {
        log::info!(target: target, "{message}");
        return;
    };
    let mut pending = batch.lock();
    let _ = write_line(&mut *pending, log::Level::Info, target, &message);
    batch.flush_early_if_large(&pending);
}

/// The one line layout: `[2026-11-25T21:25:30Z INFO  target] message`.
fn write_line(
    out: &mut impl Write,
    level: log::Level,
    target: &str,
    message: &fmt::Arguments<'_>,
) -> io::Result<()> {
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    TIMESTAMP.with_borrow_mut(|(formatted_second, text)| {
        if *formatted_second != second || text.is_empty() {
            *formatted_second = second;
            *text = rfc3339(second);
        }
        writeln!(out, "[{text} {level:<5} {target}] {message}")
    })
}

/// `seconds` since the epoch as an RFC 3339 UTC timestamp (the civil-from-days algorithm of
/// Howard Hinnant's `chrono`-compatible date library).
fn rfc3339(seconds: u64) -> String {
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Writes every pending log line to stderr now.
pub fn flush() {
    if let Some(batch) = BATCH.get() {
        batch.write_out();
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_are_rfc3339_utc_across_leap_days_and_centuries() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_641_930), "2026-11-25T21:25:30Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
