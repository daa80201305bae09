//! `POST /ccstore/v1/refresh`: the presented token in, its successor (same session) out.

use ccstore_model::{RefreshRequest, RefreshResponse};

use crate::api::bearer::BearerToken;
use crate::api::responses::NoStoreJson;
use crate::error::ApiError;
use crate::error::ErrorResponses;
use crate::family::FamilyOf;
use crate::http::body::IgnoredBody;
use crate::routes::{REFRESH_OPERATION, REFRESH_PATH};

/// Refresh
///
/// Refresh an oauth token.
#[utoipa::path(
    post,
    path = REFRESH_PATH,
    operation_id = REFRESH_OPERATION,
    tag = "Store",
    // Its media types, description and optionality: `docs::request_bodies`, for all three.
    request_body = Option<RefreshRequest>,
    responses(
        (status = 200, description = "Following model is returned when operation succeeds.", body = RefreshResponse,
         example = json!({
             "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE0MTQxNDk5NTYsInN1YiI6IjExMDU1OCIsImlzcyI6InN0b3JlZnJvbnRVSSIsImlhdCI6MTQxNDE0OTAyNn0=.B9qM0/VKpCNKvjCmOnUPv4RS7mkIDgKcP8RJPaVQGYU=",
             "token_type": "bearer",
             "expires_in": 930
         })),
        ErrorResponses,
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn refresh(
    family: FamilyOf,
    token: BearerToken,
    _body: IgnoredBody,
) -> Result<NoStoreJson<RefreshResponse>, ApiError> {
    let issued = family
        .sessions
        .refresh(&token.0)
        .await
        .map_err(|error| family.refused(error))?;
    Ok(NoStoreJson(RefreshResponse::bearer(
        issued.token,
        issued.expires_in,
    )))
}
