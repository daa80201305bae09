//! What every handler shares: the session rules over the token service and the configured store,
//! the request size limits, the instance's readiness and its metrics, built once at start-up and
//! shared by every worker.

use std::sync::Arc;

use ccstore_core::Sessions;

use crate::http::limits::Limits;
use crate::readiness::Readiness;
use crate::telemetry::metrics::Metrics;
use ccstore_core::Store;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Verifies, refreshes and ends sessions.
    pub sessions: Arc<Sessions<Store>>,
    /// Request size limits.
    pub limits: Limits,
    /// Whether the instance reports itself ready; turned off first at shutdown.
    pub readiness: Arc<Readiness>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// State around `sessions`, ready, with fresh metrics and the default limits.
    pub fn new(sessions: Sessions<Store>) -> Self {
        Self {
            metrics: Arc::new(Metrics::new(sessions.store())),
            sessions: Arc::new(sessions),
            readiness: Arc::default(),
            limits: Limits::default(),
        }
    }
}
