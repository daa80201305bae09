//! `POST /ccstore/v1/refresh`: the presented token in, its successor out.

use actix_web::web;
use ccstore_model::{ErrorModel, RefreshRequest, RefreshResponse};

use crate::AppState;
use crate::errors::ApiError;
use crate::handlers::bearer::BearerToken;
use crate::handlers::responses::NoStoreJson;

/// Refresh
///
/// Refresh an oauth token.
#[utoipa::path(
    post,
    path = "/ccstore/v1/refresh",
    operation_id = "refresh",
    request_body(content = Option<RefreshRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "Following model is returned when operation succeeds.", body = RefreshResponse),
        (status = 401, description = "The token is missing, malformed, forged, expired or from another issuer.", body = ErrorModel),
        (status = "default", description = "The error response", body = ErrorModel),
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn refresh(
    state: web::Data<AppState>,
    token: BearerToken,
    // Read so that the body limit applies; what clients send here (`{}`, a form, nothing) is ignored.
    _body: web::Bytes,
) -> Result<NoStoreJson<RefreshResponse>, ApiError> {
    let issued = state.tokens.refresh(&token.0)?;
    Ok(NoStoreJson(RefreshResponse::bearer(
        issued.token,
        issued.expires_in,
    )))
}
