//! What every handler shares: the session rules over the token service and the configured store,
//! and the request size limits, built once at start-up and shared by every worker.

use std::sync::Arc;

use ccstore_core::Sessions;

use crate::limits::Limits;
use crate::store::Store;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Verifies, refreshes and ends sessions.
    pub sessions: Arc<Sessions<Store>>,
    /// Request size limits.
    pub limits: Limits,
}
