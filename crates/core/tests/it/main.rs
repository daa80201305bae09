//! Integration tests of ccstore-core's token and session rules, with tokens signed independently
//! of the crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod handmade;
mod hash_pool;
mod interop;
mod login;
mod login_files;
mod login_throttle;
mod mint;
mod properties;
mod refresh;
mod retries;
mod rotation;
mod sessions;
mod spelling;
mod verify;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ccstore_core::{
    HmacKey, ManualClock, MemoryStore, ReuseDetection, Sessions, TokenEncoding, TokenPolicy,
    TokenService,
};

pub(crate) const KEY: &[u8] = b"test-key-0123456789-0123456789-0123456789";
pub(crate) const ISSUER: &str = "storefrontUI";
pub(crate) const NOW: u64 = 1_700_000_000;
pub(crate) const TTL: u64 = 930;
pub(crate) const SESSION_MAX: u64 = 43_200;
pub(crate) const GRACE: u64 = 30;

/// The test policy: the test issuer and TTL, no leeway, a 12 h session cap.
pub(crate) fn policy() -> TokenPolicy {
    TokenPolicy {
        issuer: ISSUER.to_owned(),
        ttl: TTL,
        leeway: 0,
        session_max: Some(SESSION_MAX),
        encoding: TokenEncoding::Occ,
    }
}

/// A token service under `policy`, on a clock the test holds.
pub(crate) fn service_with(policy: TokenPolicy) -> (TokenService, ManualClock) {
    let clock = ManualClock::at(NOW);
    let service = TokenService::new(HmacKey::new(KEY).unwrap(), policy, Arc::new(clock.clone()));
    (service, clock)
}

pub(crate) fn service() -> (TokenService, ManualClock) {
    service_with(policy())
}

/// Session rules under `policy` with an in-memory store of `capacity` sessions.
pub(crate) fn sessions_with(
    policy: TokenPolicy,
    reuse: ReuseDetection,
    capacity: usize,
) -> (Sessions<MemoryStore>, ManualClock) {
    let (tokens, clock) = service_with(policy);
    (
        Sessions::new(tokens, MemoryStore::new(capacity), reuse),
        clock,
    )
}

/// Session rules with replay detection on and the default grace window.
pub(crate) fn sessions() -> (Sessions<MemoryStore>, ManualClock) {
    sessions_with(policy(), ReuseDetection::On { grace: GRACE }, 1000)
}

/// The output of a future that completes without waiting, as the in-memory store's do.
pub(crate) fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an in-memory store operation waited"),
    }
}
