//! The body of the health probes (`health_status`): what load balancers and orchestrators read to
//! decide whether to send traffic to an instance.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The word every healthy answer carries.
pub const HEALTH_OK: &str = "ok";

/// The instance is healthy. An instance that is not ready answers 503 with an `errorModel`
/// instead, whose `devMessage` says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = health_status)]
pub struct HealthStatus {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

impl HealthStatus {
    /// The healthy answer.
    pub fn ok() -> Self {
        Self {
            status: HEALTH_OK.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_answer_is_status_ok() {
        assert_eq!(
            serde_json::to_value(HealthStatus::ok()).unwrap(),
            serde_json::json!({"status": "ok"})
        );
    }
}
