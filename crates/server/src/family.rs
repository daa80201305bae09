//! The families as this server serves them: for each row of the family table, its configured
//! values and its session rules over the one shared store. Every operation resource carries its
//! family (actix resource data), so one handler per operation serves every family, and a
//! refusal carries the family's own 401 `errorCode`.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use ccstore_core::{Family, Sessions, Store, TokenError};

use crate::error::ApiError;

/// One family: its configuration and its session rules.
#[derive(Debug)]
pub(crate) struct ServedFamily {
    /// The family as configured (issuer, lifetimes, grants, 401 code).
    pub(crate) family: Family,
    /// Verifies, refreshes and ends its sessions: its own token service (its issuer only), the
    /// shared store.
    pub(crate) sessions: Sessions<Arc<Store>>,
}

impl ServedFamily {
    /// `error`, answered as this family answers a refused token.
    pub(crate) fn refused(&self, error: TokenError) -> ApiError {
        ApiError::Token {
            error,
            code: self.family.row().unauthenticated_code,
        }
    }

    /// The family of the resource `request` was routed to, if it is a family's operation.
    pub(crate) fn of(request: &HttpRequest) -> Option<&Data<Self>> {
        request.app_data::<Data<Self>>()
    }
}

/// The family of the operation a request was routed to, as an extractor.
#[derive(Debug, Clone)]
pub(crate) struct FamilyOf(pub(crate) Data<ServedFamily>);

impl FromRequest for FamilyOf {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Registered with every operation resource (`app.rs`): absent only on a route that is
        // not an operation, which no handler taking this is registered on.
        std::future::ready(
            ServedFamily::of(request)
                .cloned()
                .map(Self)
                .ok_or(ApiError::NotFound),
        )
    }
}

impl std::ops::Deref for FamilyOf {
    type Target = ServedFamily;

    fn deref(&self) -> &ServedFamily {
        &self.0
    }
}

/// The store family's row, the first of the table: the one Oracle's reference page documents,
/// whose answers the OpenAPI examples show.
#[allow(
    clippy::indexing_slicing,
    reason = "a constant, non-empty table; a test checks the first row is the store family"
)]
pub(crate) const STORE: &ccstore_core::FamilyRow = &ccstore_core::FAMILIES[0];

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_row_is_the_store_family_at_oracle_s_documented_paths() {
        assert_eq!(super::STORE.id, "store");
        assert_eq!(super::STORE.prefixes.first(), Some(&"/ccstore/v1"));
        assert_eq!(super::STORE.unauthenticated_code, "00001000");
    }
}
