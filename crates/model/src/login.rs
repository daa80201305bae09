//! The login operation's request and response bodies (`login_request`, `login_response`): an
//! OAuth 2.0 token request (RFC 6749 §4.3, §4.4), form-encoded, answered like a refresh.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::ErrorModel;
use utoipa::ToSchema;

use crate::TOKEN_TYPE_BEARER;

/// The login request, sent as `application/x-www-form-urlencoded`. A shopper, agent or internal
/// user sends `grant_type=password` with a username and password; an application sends
/// `grant_type=client_credentials` with its application key in the `Authorization: Bearer`
/// header. Every field is optional on the wire so that a missing one is answered with OAuth's
/// `invalid_request`, not a parse failure.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(as = login_request)]
pub struct LoginRequest {
    /// The grant type: `password` to log in with a user's login and password,
    /// `client_credentials` to log in with an application key.
    #[schema(example = "password")]
    pub grant_type: Option<String>,
    /// The user's login (for a shopper, the email address). Required with `password`.
    #[schema(example = "johndoe@example.com")]
    pub username: Option<String>,
    /// The user's password. Required with `password`.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// The passcode from the user's authenticator app, for multi-factor authentication (Admin
    /// API). Ignored with `client_credentials`.
    #[schema(example = "365214")]
    pub totp_code: Option<String>,
}

/// Shows every field but the password.
impl fmt::Debug for LoginRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("LoginRequest")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("totp_code", &self.totp_code.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// The access token of a new session. The server always sends all three fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = login_response)]
pub struct LoginResponse {
    /// OAuth token to supply in subsequent requests.
    pub access_token: String,
    /// OAuth token type.
    pub token_type: Cow<'static, str>,
    /// Time in seconds until token expires.
    pub expires_in: u64,
}

impl LoginResponse {
    /// A bearer token that expires in `expires_in` seconds.
    pub fn bearer(access_token: String, expires_in: u64) -> Self {
        Self {
            access_token,
            token_type: Cow::Borrowed(TOKEN_TYPE_BEARER),
            expires_in,
        }
    }
}

/// A refused login: an `errorModel` with the OAuth 2.0 `error` code (RFC 6749 §5.2), which
/// Storefront Classic and occ-tools read where OSF reads `errorCode` and `message`.
///
/// Its schema is errorModel's own object with `error` added (a hand-made [`ToSchema`]): one
/// object, not an `allOf`, which AWS API Gateway's models do not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginErrorModel {
    /// The OAuth 2.0 error code.
    pub error: String,
    /// The errorModel fields.
    #[serde(flatten)]
    pub model: ErrorModel,
}

/// What the schema says of `error`.
const ERROR_DESCRIPTION: &str = "The OAuth 2.0 error code (RFC 6749 §5.2): `invalid_request`, \
                                 `invalid_client`, `invalid_grant`, `unsupported_grant_type`, \
                                 `temporarily_unavailable` or `server_error`.";

impl PartialSchema for LoginErrorModel {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::Object(mut object)) = ErrorModel::schema() else {
            return ErrorModel::schema();
        };
        object.description =
            Some("A refused login: errorModel and the OAuth 2.0 error.".to_owned());
        object.properties.insert(
            "error".to_owned(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(ERROR_DESCRIPTION))
                    .examples(["invalid_grant"])
                    .build(),
            )),
        );
        object.required.push("error".to_owned());
        RefOr::T(Schema::Object(object))
    }
}

impl ToSchema for LoginErrorModel {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("loginErrorModel")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_serializes_with_documented_names_and_integer_expiry() {
        let body = serde_json::to_value(LoginResponse::bearer("t".into(), 300)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"access_token": "t", "token_type": "bearer", "expires_in": 300})
        );
    }

    #[test]
    fn request_reads_oauth_field_names_and_leaves_absent_ones_empty() {
        let request: LoginRequest = serde_json::from_value(serde_json::json!({
            "grant_type": "client_credentials", "totp_code": "123456", "extra": 1
        }))
        .unwrap();
        assert_eq!(request.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(request.totp_code.as_deref(), Some("123456"));
        assert_eq!((request.username, request.password), (None, None));
    }

    #[test]
    fn the_request_schema_marks_the_password_and_requires_no_field() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(LoginRequest::schema()).unwrap();
        assert_eq!(schema["properties"]["password"]["format"], "password");
        assert_eq!(
            schema["properties"]["grant_type"]["example"],
            serde_json::json!("password")
        );
        assert!(schema.get("required").is_none(), "{schema}");
        let response = serde_json::to_value(LoginResponse::schema()).unwrap();
        assert_eq!(
            response["required"],
            serde_json::json!(["access_token", "token_type", "expires_in"])
        );
    }

    #[test]
    fn debug_never_shows_the_password_or_passcode() {
        let request = LoginRequest {
            grant_type: Some("password".into()),
            username: Some("ann".into()),
            password: Some("hunter2-secret".into()),
            totp_code: Some("365214".into()),
        };
        let shown = format!("{request:?}");
        assert!(shown.contains("ann"), "{shown}");
        assert!(
            !shown.contains("hunter2-secret") && !shown.contains("365214"),
            "{shown}"
        );
    }
}
