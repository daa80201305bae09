//! The error body of every failed call (`errorModel`), as OCC clients parse it: `status` is the HTTP
//! status as a string, and clients compare it with `"401"` to detect a lost session.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The error response
///
/// ccstore always sends `status`, `message` and `type`, so the schema requires them (OCC's
/// documentation marks no field required; every answer satisfies both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = errorModel)]
pub struct ErrorModel {
    /// An optional non-localized message containing technical information for developers
    #[serde(rename = "devMessage", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub dev_message: Option<String>,
    /// The numerical code identifying the error
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error_code: Option<String>,
    /// An optional list of errors if multiple errors were encountered
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, inline)]
    pub errors: Option<Vec<ErrorItem>>,
    /// The localized message describing the error
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = true)]
    pub message: Option<String>,
    /// An optional non-localized message with more information
    #[serde(rename = "moreInfo", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub more_info: Option<String>,
    /// An optional machine readable description of where the error occurred
    #[serde(rename = "o:errorPath", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error_path: Option<String>,
    /// The HTTP status code
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = true)]
    pub status: Option<String>,
    /// The URI to the HTTP state code definition
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = true)]
    pub type_uri: Option<String>,
}

/// One of several errors reported together in `errorModel.errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorItem {
    /// An optional non-localized message containing technical information for developers
    #[serde(rename = "devMessage", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub dev_message: Option<String>,
    /// The numerical code identifying the error
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error_code: Option<String>,
    /// The localized message describing the error
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message: Option<String>,
    /// An optional non-localized message with more information
    #[serde(rename = "moreInfo", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub more_info: Option<String>,
    /// An optional machine readable description of where the error occurred
    #[serde(rename = "o:errorPath", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error_path: Option<String>,
    /// The HTTP status code
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_fields_are_left_out_and_names_are_the_documented_ones() {
        let body = ErrorModel {
            status: Some("401".into()),
            error_code: Some("00001000".into()),
            error_path: Some("/ccstore/v1/refresh".into()),
            type_uri: Some("https://example.test/401".into()),
            ..ErrorModel::default()
        };
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            serde_json::json!({
                "status": "401",
                "errorCode": "00001000",
                "o:errorPath": "/ccstore/v1/refresh",
                "type": "https://example.test/401",
            })
        );
    }

    #[test]
    fn a_real_occ_error_body_with_nested_errors_parses() {
        let body: ErrorModel = serde_json::from_str(
            r#"{"message":"m","status":"400","errors":[{"message":"n","status":"400","errorCode":"20031"}]}"#,
        )
        .unwrap();
        let items = body.errors.unwrap();
        assert_eq!(items[0].error_code.as_deref(), Some("20031"));
    }
}
