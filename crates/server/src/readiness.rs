//! Whether this instance can do its job, as `GET /health/ready` reports it: not while it shuts
//! down (so load balancers stop sending it traffic before it stops listening), and not while the
//! shared session store cannot serve requests as they need (unreachable, a cluster not `ok`, a
//! URL in the wrong mode, a policy that may evict sessions). The signing key needs no check: a
//! server without a usable key never starts listening.

use std::sync::atomic::{AtomicBool, Ordering};

use thiserror::Error;

use ccstore_core::{Store, StoreUnready};

/// Why the instance is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub(crate) enum NotReady {
    /// A shutdown signal arrived: the instance finishes what it has and stops.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The session store cannot serve requests as they need.
    #[error("{0}")]
    Store(StoreUnready),
}

/// The instance's readiness, shared by every worker.
#[derive(Debug, Default)]
pub(crate) struct Readiness {
    draining: AtomicBool,
}

impl Readiness {
    /// From now on the instance reports itself not ready.
    pub(crate) fn begin_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether a shutdown has begun.
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Ready, or why not: draining first (no store round trip), then a bounded store check.
    pub(crate) async fn check(&self, store: &Store) -> Result<(), NotReady> {
        if self.is_draining() {
            return Err(NotReady::ShuttingDown);
        }
        store.check().await.map_err(NotReady::Store)
    }
}
