//! The hashing pool's bound: with every worker busy and the queue full, a job is refused at once,
//! and the login service answers `Busy`. Jobs are held by channels, never by sleeping.

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use ccstore_core::{HashPool, LoginError, PoolError, TokenEncoding};

use crate::login::fixture_with;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Polls `future` once: it must be waiting.
fn pending<F: Future>(future: std::pin::Pin<&mut F>) {
    assert!(
        future
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
}

/// A job that reports it started and then waits to be released; and the handles to do so.
fn held_job() -> (
    impl FnOnce() -> u32 + Send + 'static,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (started, on_start) = mpsc::channel();
    let (release, on_release) = mpsc::channel::<()>();
    let job = move || {
        started.send(()).unwrap();
        on_release.recv().unwrap();
        7
    };
    (job, on_start, release)
}

#[test]
fn a_full_pool_refuses_at_once_and_takes_jobs_again_when_one_ends() {
    let runtime = runtime();
    let _entered = runtime.enter();
    let pool = HashPool::new(1, 1);
    let (running_job, running_started, release_running) = held_job();
    let mut running = pin!(pool.submit(running_job).unwrap());
    pending(running.as_mut());
    running_started.recv().unwrap();
    // The second job is admitted and waits for the worker; the third finds no room.
    let (queued_job, queued_started, release_queued) = held_job();
    let mut queued = pin!(pool.submit(queued_job).unwrap());
    pending(queued.as_mut());
    assert!(matches!(pool.submit(|| 0), Err(PoolError::Busy)));
    release_running.send(()).unwrap();
    assert_eq!(runtime.block_on(running), Ok(7));
    // The queued job now gets the worker; while it runs, the freed slot admits one more.
    pending(queued.as_mut());
    queued_started.recv().unwrap();
    let waiting = pool.submit(|| 1).unwrap();
    assert!(matches!(pool.submit(|| 0), Err(PoolError::Busy)));
    release_queued.send(()).unwrap();
    assert_eq!(runtime.block_on(queued), Ok(7));
    assert_eq!(runtime.block_on(waiting), Ok(1));
    assert_eq!(pool.completed(), 3);
}

#[test]
fn outside_a_runtime_a_job_fails_instead_of_panicking() {
    let pool = HashPool::new(1, 0);
    let job = pool.submit(|| 1).unwrap();
    let outcome = match pin!(job).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => panic!("nothing to wait for"),
    };
    assert_eq!(outcome, Err(PoolError::Failed));
    assert!(
        pool.submit(|| 2).is_ok(),
        "the failed job gave its slot back"
    );
}

#[test]
fn a_login_finding_the_pool_full_is_answered_busy_without_counting_a_failure() {
    let pool = HashPool::new(1, 0);
    let fixture = fixture_with(TokenEncoding::Occ, pool.clone());
    let runtime = runtime();
    let _entered = runtime.enter();
    let (job, started, release) = held_job();
    let mut held = pin!(pool.submit(job).unwrap());
    pending(held.as_mut());
    started.recv().unwrap();
    let busy = fixture.shopper("ann@example.com", "shopper password");
    assert_eq!(busy, Err(LoginError::Busy));
    assert_eq!(busy.unwrap_err().status(), 503);
    release.send(()).unwrap();
    assert_eq!(runtime.block_on(held), Ok(7));
    assert!(
        fixture
            .shopper("ann@example.com", "shopper password")
            .is_ok()
    );
}
