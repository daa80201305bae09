//! One access-log line per request: method, path (no query string, no headers: nothing
//! token-bearing), status and latency, at `info` under the `ccstore::access` target.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// Logs the request once the rest of the chain has answered.
pub(crate) async fn access_log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if !log::log_enabled!(target: "ccstore::access", log::Level::Info) {
        return next.call(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let outcome = next.call(request).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    log::info!(
        target: "ccstore::access",
        "{method} {path} {} {:.3}ms",
        status.as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    outcome
}
