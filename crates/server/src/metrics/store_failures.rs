//! Counters of session-store failures, `ccstore_store_errors_total{kind}`: held by the Redis store,
//! which alone knows whether a call failed or ran out of time, and registered with the rest of
//! the metrics when the application state is built.

use prometheus::{IntCounter, IntCounterVec, Opts};

use super::valid;

/// Failures of the session store, by kind.
#[derive(Debug, Clone)]
pub struct StoreFailures {
    family: IntCounterVec,
    errors: IntCounter,
    timeouts: IntCounter,
}

impl Default for StoreFailures {
    fn default() -> Self {
        let family = valid(IntCounterVec::new(
            Opts::new(
                "ccstore_store_errors_total",
                "Session store calls that failed (kind=error) or ran out of time (kind=timeout); each is answered 503.",
            ),
            &["kind"],
        ));
        Self {
            errors: family.with_label_values(&["error"]),
            timeouts: family.with_label_values(&["timeout"]),
            family,
        }
    }
}

impl StoreFailures {
    /// A call failed (refused connection, Redis error).
    pub fn count_error(&self) {
        self.errors.inc();
    }

    /// A call did not answer within the store timeout.
    pub fn count_timeout(&self) {
        self.timeouts.inc();
    }

    /// The counter family, to register.
    pub(crate) fn family(&self) -> IntCounterVec {
        self.family.clone()
    }
}
