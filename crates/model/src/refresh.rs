//! The refresh operation's request and response bodies (`refresh_request`, `refresh_response`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The only token type this API issues, spelled as OCC spells it.
pub const TOKEN_TYPE_BEARER: &str = "bearer";

/// The refresh request carries no fields: the current access token, sent as a Bearer credential,
/// is the whole request. Clients send `{}`, nothing, or fields of their own; all are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = refresh_request)]
pub struct RefreshRequest {}

/// The refreshed token. The server always sends all three fields, so the schema requires them
/// (OCC's documentation lists none as required; every answer satisfies both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = refresh_response)]
pub struct RefreshResponse {
    /// Refreshable OAuth token.
    pub access_token: String,
    /// OAuth token type.
    pub token_type: Cow<'static, str>,
    /// Time in seconds until token expires.
    pub expires_in: u64,
}

impl RefreshResponse {
    /// A bearer token that expires in `expires_in` seconds.
    pub fn bearer(access_token: String, expires_in: u64) -> Self {
        Self {
            access_token,
            token_type: Cow::Borrowed(TOKEN_TYPE_BEARER),
            expires_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_serializes_with_documented_names_and_integer_expiry() {
        let body = serde_json::to_value(RefreshResponse::bearer("t".into(), 930)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"access_token": "t", "token_type": "bearer", "expires_in": 930})
        );
    }

    #[test]
    fn request_accepts_an_empty_object_and_unknown_fields() {
        let empty: RefreshRequest = serde_json::from_str("{}").unwrap();
        let extra: RefreshRequest = serde_json::from_str(r#"{"refresh_token":"x"}"#).unwrap();
        assert_eq!(empty, extra);
    }
}
