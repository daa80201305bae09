//! Prometheus metrics: requests by route and status, refresh latency, rejected tokens by reason,
//! revoked sessions, session-store failures, log lines dropped. Every counter a request touches
//! is resolved once and then costs one atomic add: no allocation and no lock per request.

pub(crate) mod endpoint;
mod log_drops;
pub(crate) mod requests;
mod store_failures;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::StatusCode;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::error::Rejection;
use crate::routes::Route;
use ccstore_core::Store;

/// `Content-Type` of the Prometheus text exposition format.
pub(crate) const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// The statuses ccstore answers with (its successes, actix's redirect and the one error
/// mapping's statuses): each has a counter slot per route, resolved at its first use. Any other
/// status is looked up in the family each time.
const ANSWERED: [StatusCode; 13] = [
    StatusCode::OK,
    StatusCode::NO_CONTENT,
    StatusCode::TEMPORARY_REDIRECT,
    StatusCode::PERMANENT_REDIRECT,
    StatusCode::BAD_REQUEST,
    StatusCode::UNAUTHORIZED,
    StatusCode::NOT_FOUND,
    StatusCode::METHOD_NOT_ALLOWED,
    StatusCode::REQUEST_TIMEOUT,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    StatusCode::INTERNAL_SERVER_ERROR,
    StatusCode::SERVICE_UNAVAILABLE,
];

/// Bucket bounds of the refresh latency histogram, in seconds: 100 µs (a refresh in process) to
/// the 500 ms store timeout and beyond.
const REFRESH_BUCKETS: [f64; 14] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Why a session was revoked: the `cause` label of `ccstore_sessions_revoked_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// `POST /ccstore/v1/logout`.
    Logout,
    /// A refreshed token replayed after the grace window.
    Replay,
}

impl Revocation {
    /// The `cause` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Replay => "replay",
        }
    }
}

/// The service's metrics, shared by every worker.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    /// `requests` for each (route, status), resolved at its first use.
    request_counters: Box<[OnceLock<IntCounter>]>,
    refresh_seconds: Histogram,
    rejections: Vec<IntCounter>,
    logouts: IntCounter,
    replays: IntCounter,
}

/// A metric built from constant, valid names and options cannot fail; if one ever did, every
/// test would fail at start-up.
#[allow(
    clippy::expect_used,
    reason = "constant metric definitions, checked by every test"
)]
fn valid<T>(metric: prometheus::Result<T>) -> T {
    metric.expect("a valid metric definition")
}

impl Metrics {
    /// Fresh metrics, with the failure counters of `store`.
    pub(crate) fn new(store: &Store) -> Self {
        let requests = valid(IntCounterVec::new(
            Opts::new(
                "ccstore_http_requests_total",
                "HTTP requests answered, by route pattern (unknown paths: unmatched) and status.",
            ),
            &["route", "status"],
        ));
        let refresh_seconds = valid(Histogram::with_opts(
            HistogramOpts::new(
                "ccstore_refresh_duration_seconds",
                "Time to answer a refresh (POST <prefix>/refresh of any family), whatever the answer.",
            )
            .buckets(REFRESH_BUCKETS.to_vec()),
        ));
        let rejected = valid(IntCounterVec::new(
            Opts::new(
                "ccstore_rejected_tokens_total",
                "Tokens not accepted (or not sent), by reason.",
            ),
            &["reason"],
        ));
        let revoked = valid(IntCounterVec::new(
            Opts::new(
                "ccstore_sessions_revoked_total",
                "Sessions ended, by cause: a logout, or a replayed token.",
            ),
            &["cause"],
        ));
        let failures = match store {
            Store::Redis(redis) => redis.failures(),
            Store::Memory(_) => Arc::default(),
        };
        let registry = Registry::new();
        for family in [requests.clone(), rejected.clone(), revoked.clone()] {
            valid(registry.register(Box::new(family)));
        }
        valid(registry.register(Box::new(refresh_seconds.clone())));
        valid(registry.register(Box::new(log_drops::LogDrops::default())));
        valid(registry.register(Box::new(store_failures::StoreFailureCounts::new(failures))));
        Self {
            registry,
            request_counters: (0..Route::count() * ANSWERED.len())
                .map(|_| OnceLock::new())
                .collect(),
            requests,
            refresh_seconds,
            rejections: Rejection::ALL
                .iter()
                .map(|reason| rejected.with_label_values(&[reason.label()]))
                .collect(),
            logouts: revoked.with_label_values(&[Revocation::Logout.label()]),
            replays: revoked.with_label_values(&[Revocation::Replay.label()]),
        }
    }

    /// One request to `route` answered with `status`.
    pub(crate) fn count_request(&self, route: Route, status: StatusCode) {
        let slot = ANSWERED
            .iter()
            .position(|answered| *answered == status)
            .map(|offset| route.index() * ANSWERED.len() + offset);
        match slot.and_then(|slot| self.request_counters.get(slot)) {
            Some(counter) => counter
                .get_or_init(|| self.requests_for(route, status))
                .inc(),
            None => self.requests_for(route, status).inc(),
        }
    }

    fn requests_for(&self, route: Route, status: StatusCode) -> IntCounter {
        self.requests
            .with_label_values(&[route.label(), status.as_str()])
    }

    /// A refresh answered after `elapsed`.
    pub(crate) fn observe_refresh(&self, elapsed: Duration) {
        self.refresh_seconds.observe(elapsed.as_secs_f64());
    }

    /// A token refused for `reason`; a replay also revokes its session.
    pub(crate) fn count_rejection(&self, reason: Rejection) {
        if let Some(counter) = self.rejections.get(reason.index()) {
            counter.inc();
        }
        if reason == Rejection::Replayed {
            self.count_revocation(Revocation::Replay);
        }
    }

    /// A session ended for `cause`.
    pub(crate) fn count_revocation(&self, cause: Revocation) {
        match cause {
            Revocation::Logout => self.logouts.inc(),
            Revocation::Replay => self.replays.inc(),
        }
    }

    /// Every metric in the Prometheus text format.
    pub(crate) fn render(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut text = Vec::with_capacity(8 * 1024);
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        Ok(text)
    }
}
