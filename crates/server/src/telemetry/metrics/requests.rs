//! What one answered request adds to [`Metrics`]: its count by route and status, a refresh's
//! latency, and a refused token's reason, read from the `ApiError` actix keeps on an error
//! response. [`crate::telemetry::observe`] calls it when the answer is ready; it costs a few comparisons and
//! atomic adds, no allocation.

use std::time::Duration;

use actix_web::Error;
use actix_web::http::StatusCode;

use crate::error::ApiError;
use crate::routes::{Operation, Route};
use crate::telemetry::metrics::Metrics;

/// Whether requests to `route` are timed for [`Metrics`]: refreshes (of every family) are.
pub(crate) fn is_timed(route: Route) -> bool {
    route
        .operation()
        .is_some_and(|served| served.operation == Operation::Refresh)
}

/// Counts a request to `route` answered with `status` and, for an error, `error`. `elapsed` is
/// its latency when it was timed, which it always is when [`is_timed`] says so.
pub(crate) fn record(
    metrics: &Metrics,
    route: Route,
    status: StatusCode,
    error: Option<&Error>,
    elapsed: Option<Duration>,
) {
    metrics.count_request(route, status);
    if is_timed(route)
        && let Some(elapsed) = elapsed
    {
        metrics.observe_refresh(elapsed);
    }
    if let Some(reason) = error
        .and_then(Error::as_error::<ApiError>)
        .and_then(ApiError::rejection)
    {
        metrics.count_rejection(reason);
    }
}
