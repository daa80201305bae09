//! `GET /health/live` and `GET /health/ready`: the probes load balancers and orchestrators use to
//! decide whether to restart an instance and whether to send it traffic.

use actix_web::web;
use ccstore_model::HealthStatus;

use crate::AppState;
use crate::api::responses::NoStoreJson;
use crate::error::ApiError;
use crate::error::{NotReadyResponse, ProbeMethodNotAllowed};
use crate::routes::{HEALTH_LIVE_PATH, HEALTH_READY_PATH, LIVE_OPERATION, READY_OPERATION};

/// Liveness
///
/// The process is up and serving HTTP. It checks nothing else, so an orchestrator restarts the
/// instance only when it is truly stuck.
#[utoipa::path(
    get,
    path = HEALTH_LIVE_PATH,
    operation_id = LIVE_OPERATION,
    tag = "Operations",
    responses(
        (status = 200, description = "The process serves.", body = HealthStatus,
         example = json!({"status": "ok"})),
        ProbeMethodNotAllowed,
    ),
    security(()),
)]
pub(crate) async fn live() -> NoStoreJson<HealthStatus> {
    NoStoreJson(HealthStatus::ok())
}

/// Readiness
///
/// The instance can do its job: it is not shutting down, and the session store can serve requests
/// (Redis answers within the store timeout, in the mode its URL names, every primary of a cluster
/// reporting `cluster_state:ok`, with no evicting memory policy unless accepted; the in-process
/// store always can).
#[utoipa::path(
    get,
    path = HEALTH_READY_PATH,
    operation_id = READY_OPERATION,
    tag = "Operations",
    responses(
        (status = 200, description = "The instance takes traffic.", body = HealthStatus,
         example = json!({"status": "ok"})),
        ProbeMethodNotAllowed,
        NotReadyResponse,
    ),
    security(()),
)]
pub(crate) async fn ready(
    state: web::Data<AppState>,
) -> Result<NoStoreJson<HealthStatus>, ApiError> {
    state.readiness.check(&state.store).await?;
    Ok(NoStoreJson(HealthStatus::ok()))
}
