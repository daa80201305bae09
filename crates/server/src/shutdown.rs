//! Graceful shutdown, in the order load balancers need: on SIGTERM or SIGINT readiness turns
//! false at once; after `CCSTORE_SHUTDOWN_DELAY_MS` (time for the balancer to see it) every
//! listener stops accepting and the requests in flight are finished within
//! `CCSTORE_SHUTDOWN_TIMEOUT_SECS` (actix's graceful stop). A second signal stops at once.

use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::rt::signal::unix::{Signal, SignalKind, signal};
use futures_util::future::{Either, join_all, select};

use crate::readiness::Readiness;

/// The shutdown signals, listened to from start-up on (so none is missed).
#[derive(Debug)]
pub(crate) struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Takes over SIGTERM and SIGINT; must be called inside the runtime.
    pub(crate) fn install() -> io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the next signal received.
    async fn next(&mut self) -> &'static str {
        let terminate = pin!(self.terminate.recv());
        let interrupt = pin!(self.interrupt.recv());
        match select(terminate, interrupt).await {
            Either::Left(_) => "SIGTERM",
            Either::Right(_) => "SIGINT",
        }
    }
}

/// How the instance shuts down.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Between readiness turning false and the listeners closing.
    pub delay: Duration,
    /// Longest the requests in flight get to finish (set on the servers; here for the log).
    pub timeout: Duration,
}

/// Waits for a signal, then shuts `servers` down as `plan` says. Completes only when a second
/// signal demands an immediate stop; after a graceful stop the servers complete first.
pub(crate) async fn on_signal(
    mut signals: Signals,
    readiness: Arc<Readiness>,
    plan: Plan,
    servers: Vec<ServerHandle>,
) {
    let first = signals.next().await;
    readiness.begin_draining();
    log::info!(
        "{first} received: not ready from now on; the listeners close in {} ms, then requests in \
         flight get {} s to finish (a second signal stops at once)",
        plan.delay.as_millis(),
        plan.timeout.as_secs()
    );
    let graceful = async {
        actix_web::rt::time::sleep(plan.delay).await;
        log::info!("listeners closed; finishing the requests in flight");
        join_all(servers.iter().map(|server| server.stop(true))).await;
        // The servers are done and `serve` returns: nothing left but to wait.
        std::future::pending::<()>().await;
    };
    if let Either::Right((signal, _)) = select(pin!(graceful), pin!(signals.next())).await {
        log::warn!("{signal} received again: stopping now, without waiting for requests in flight");
    }
}
