//! `POST /ccstore/v1/logout`: end the presented token's whole session, on every instance.

use actix_web::web;
use ccstore_model::{LogoutRequest, LogoutResponse};

use crate::AppState;
use crate::api::bearer::BearerToken;
use crate::api::responses::NoStoreJson;
use crate::error::ApiError;
use crate::error::ErrorResponses;
use crate::family::FamilyOf;
use crate::http::body::IgnoredBody;
use crate::routes::{LOGOUT_OPERATION, LOGOUT_PATH};
use crate::telemetry::metrics::Revocation;

/// Logout
///
/// End the session of the presented access token: every token descended from the same login is
/// refused from then on, on every instance.
#[utoipa::path(
    post,
    path = LOGOUT_PATH,
    operation_id = LOGOUT_OPERATION,
    tag = "Store",
    // Its media types, description and optionality: `docs::request_bodies`, for all three.
    request_body = Option<LogoutRequest>,
    responses(
        (status = 200, description = "The session has ended.", body = LogoutResponse,
         example = json!({"result": true})),
        ErrorResponses,
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    family: FamilyOf,
    token: BearerToken,
    _body: IgnoredBody,
) -> Result<NoStoreJson<LogoutResponse>, ApiError> {
    family
        .sessions
        .logout(&token.0)
        .await
        .map_err(|error| family.refused(error))?;
    state.metrics.count_revocation(Revocation::Logout);
    Ok(NoStoreJson(LogoutResponse { result: true }))
}
