//! Integration tests of ccstore-core's token rules, with tokens signed independently of the crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod handmade;
mod mint;
mod refresh;
mod verify;

use std::sync::Arc;

use ccstore_core::{HmacKey, ManualClock, TokenPolicy, TokenService};

pub(crate) const KEY: &[u8] = b"test-key-0123456789-0123456789-0123456789";
pub(crate) const ISSUER: &str = "storefrontUI";
pub(crate) const NOW: u64 = 1_700_000_000;
pub(crate) const TTL: u64 = 930;

/// A service with the test key, issuer and TTL, on a clock the test holds.
pub(crate) fn service_with_leeway(leeway: u64) -> (TokenService, ManualClock) {
    let clock = ManualClock::at(NOW);
    let policy = TokenPolicy {
        issuer: ISSUER.to_owned(),
        ttl: TTL,
        leeway,
    };
    let service = TokenService::new(HmacKey::new(KEY).unwrap(), policy, Arc::new(clock.clone()));
    (service, clock)
}

pub(crate) fn service() -> (TokenService, ManualClock) {
    service_with_leeway(0)
}
