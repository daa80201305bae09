//! `POST /ccstore/v1/verify`: is this token valid and its session alive? Issues nothing, consumes
//! nothing.

use ccstore_model::{VerifyRequest, VerifyResponse};

use crate::api::bearer::BearerToken;
use crate::api::responses::NoStoreJson;
use crate::error::ApiError;
use crate::error::ErrorResponses;
use crate::family::FamilyOf;
use crate::http::body::IgnoredBody;
use crate::routes::{VERIFY_OPERATION, VERIFY_PATH};

/// Verify
///
/// Tell whether the presented access token is valid and its session alive, without issuing or
/// consuming anything.
#[utoipa::path(
    post,
    path = VERIFY_PATH,
    operation_id = VERIFY_OPERATION,
    tag = "Store",
    // Its media types, description and optionality: `docs::request_bodies`, for all three.
    request_body = Option<VerifyRequest>,
    responses(
        (status = 200, description = "The token is valid and its session alive.", body = VerifyResponse,
         example = json!({"success": true})),
        ErrorResponses,
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn verify(
    family: FamilyOf,
    token: BearerToken,
    _body: IgnoredBody,
) -> Result<NoStoreJson<VerifyResponse>, ApiError> {
    family
        .sessions
        .verify(&token.0)
        .await
        .map_err(|error| family.refused(error))?;
    Ok(NoStoreJson(VerifyResponse { success: true }))
}
