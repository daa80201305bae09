//! The hashing pool: where password checks run, off the request workers, so a burst of logins
//! never stalls refreshes.
//!
//! # Why tokio's blocking threads behind two semaphores
//!
//! A password check is tens of milliseconds of CPU and 19 MiB of memory. Run on a request worker
//! (actix runs each on one thread), it would hold up every refresh queued behind it. tokio's
//! `spawn_blocking` moves it to tokio's blocking threads, which the server's runtime already has;
//! two semaphores bound it:
//!
//! - **`running`** (`workers` permits) is how many checks compute at once: CPU and memory stay
//!   bounded (workers × 19 MiB), and waiting checks wait as futures, not threads.
//! - **`admitted`** (`workers + queue` permits) is how many may be running or waiting. It is
//!   taken with `try_acquire` when the check is submitted: when it is exhausted the login is
//!   answered at once with [`PoolError::Busy`] (the server's 503 with `Retry-After`), so the
//!   queue, and the wait in it, stay bounded.
//!
//! Permits travel with the job into the blocking thread, so a client that disconnects while its
//! check runs frees nothing early: the bound counts real work. A dedicated thread pool of our own
//! would do the same with more code; rayon has no bounded queue.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;
use tokio::sync::Semaphore;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PoolError {
    /// Every worker is busy and the queue is full: try again shortly.
    #[error("the password-hashing queue is full")]
    Busy,
    /// The job could not run or did not finish (no runtime, or it panicked).
    #[error("the password-hashing job failed")]
    Failed,
}

/// A bounded pool for blocking jobs; clones share the pool.
#[derive(Debug, Clone)]
pub struct HashPool {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    completed: Arc<AtomicU64>,
}

impl HashPool {
    /// A pool running at most `workers` jobs at once (at least one), with at most `queue` more
    /// waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.clamp(1, Semaphore::MAX_PERMITS / 2);
        let queue = queue.min(Semaphore::MAX_PERMITS / 2);
        Self {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
            completed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Admits `job`, or refuses it at once with [`PoolError::Busy`]; the future runs it on
    /// tokio's blocking threads once a worker is free (and fails with [`PoolError::Failed`]
    /// outside a tokio runtime).
    pub fn submit<T, F>(
        &self,
        job: F,
    ) -> Result<impl Future<Output = Result<T, PoolError>> + 'static, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| PoolError::Busy)?;
        let running = Arc::clone(&self.running);
        let completed = Arc::clone(&self.completed);
        Ok(async move {
            let worker = running
                .acquire_owned()
                .await
                .map_err(|_| PoolError::Failed)?;
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| PoolError::Failed)?;
            runtime
                .spawn_blocking(move || {
                    let output = job();
                    completed.fetch_add(1, Ordering::Relaxed);
                    drop((worker, admitted));
                    output
                })
                .await
                .map_err(|_| PoolError::Failed)
        })
    }

    /// Jobs run to completion so far.
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Relaxed)
    }
}
