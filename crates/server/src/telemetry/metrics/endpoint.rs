//! `GET /metrics`: every metric in the Prometheus text format, for a scraper. Served on the main
//! listener, or only on `CCSTORE_METRICS_BIND` when that is set.

use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::telemetry::metrics::{CONTENT_TYPE, Metrics};

/// `GET /metrics`.
pub(crate) async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().map_err(|error| {
        log::error!("metrics could not be rendered: {error}");
        ApiError::Panic
    })?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}
