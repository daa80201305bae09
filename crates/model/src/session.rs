//! Bodies of the refresh endpoint's siblings, `verify` and `logout`, as OCC clients read them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The verify request carries no fields: the Bearer token is the whole request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = verify_request)]
pub struct VerifyRequest {}

/// Whether the presented token is valid and its session alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = verify_response)]
pub struct VerifyResponse {
    /// Always `true`: an invalid token or ended session is answered with 401 instead.
    pub success: bool,
}

/// The logout request carries no fields: the Bearer token is the whole request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = logout_request)]
pub struct LogoutRequest {}

/// The session of the presented token has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = logout_response)]
pub struct LogoutResponse {
    /// Always `true`; OCC clients check it (the field is `result`, not `success`).
    pub result: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_use_the_field_names_occ_clients_read() {
        assert_eq!(
            serde_json::to_value(VerifyResponse { success: true }).unwrap(),
            serde_json::json!({"success": true})
        );
        assert_eq!(
            serde_json::to_value(LogoutResponse { result: true }).unwrap(),
            serde_json::json!({"result": true})
        );
    }
}
