//! One token service per family, sharing the keys and the clock: each verifies only its own
//! family's issuer, so a token of one family is refused by every other (`WrongIssuer`), and
//! issues with its family's issuer and lifetime.

use std::sync::Arc;

use crate::family::{Families, Family};
use crate::{Clock, KeyRing, TokenPolicy, TokenService};

/// Every configured family with its token service.
#[derive(Debug, Clone)]
pub struct FamilyTokens(Vec<(Family, TokenService)>);

impl FamilyTokens {
    /// A service per family of `families`: `base` with the family's issuer and user-token
    /// lifetime ([`Family::token_policy`]), all signing with `keys` (shared, so a key rotation
    /// reaches every family) and telling time by `clock`.
    pub fn new(
        families: &Families,
        keys: &KeyRing,
        base: &TokenPolicy,
        clock: &Arc<dyn Clock>,
    ) -> Self {
        Self(
            families
                .iter()
                .map(|family| {
                    let service = TokenService::new(
                        keys.clone(),
                        family.token_policy(base),
                        Arc::clone(clock),
                    );
                    (family.clone(), service)
                })
                .collect(),
        )
    }

    /// The family named `id` and its service.
    pub fn get(&self, id: &str) -> Option<(&Family, &TokenService)> {
        self.0
            .iter()
            .find(|(family, _)| family.id() == id)
            .map(|(family, service)| (family, service))
    }

    /// The family serving `path` ([`Families::for_path`]) and its service.
    pub fn for_path(&self, path: &str) -> Option<(&Family, &TokenService)> {
        self.0
            .iter()
            .find(|(family, _)| family.serves(path))
            .map(|(family, service)| (family, service))
    }

    /// Every family and its service, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&Family, &TokenService)> {
        self.0.iter().map(|(family, service)| (family, service))
    }
}
