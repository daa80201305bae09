//! What every handler shares: the token service, built once at start-up.

use ccstore_core::TokenService;

/// Shared, read-only application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Verifies and issues tokens.
    pub tokens: TokenService,
}
