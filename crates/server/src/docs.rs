//! The OpenAPI description of the service, derived from the handlers and wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr, Required};
use utoipa::{IntoResponses, Modify, OpenApi};

use ccstore_model::{
    ErrorModel, HealthStatus, LogoutRequest, LogoutResponse, RefreshRequest, RefreshResponse,
    VerifyRequest, VerifyResponse,
};

/// The service's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "ccstore",
        description = "Oracle Commerce Cloud's Store API token refresh, served by ccstore: \
                       `POST /ccstore/v1/refresh` takes the shopper's current access token as a \
                       Bearer credential and returns its successor. Every error is an `errorModel` \
                       whose `status` is the HTTP status as a string.",
        contact(name = "ccstore maintainers"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "The ccstore instance serving this document")),
    tags(
        (name = "Authentication", description = "Keep a shopper's session alive with short-lived access tokens."),
        (name = "Operations", description = "Probes for load balancers and orchestrators; not part of OCC's API."),
    ),
    paths(
        crate::handlers::refresh::refresh,
        crate::handlers::verify::verify,
        crate::handlers::logout::logout,
        crate::handlers::health::live,
        crate::handlers::health::ready,
    ),
    components(schemas(
        RefreshRequest,
        RefreshResponse,
        ErrorModel,
        VerifyRequest,
        VerifyResponse,
        LogoutRequest,
        LogoutResponse,
        HealthStatus,
    )),
    modifiers(&BearerAuth, &BodiesAreOptional),
)]
pub struct ApiDoc;

/// The 405 of the probes, which answer GET, HEAD and OPTIONS.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum ProbeMethodNotAllowed {
    /// Another method.
    #[response(
        status = 405,
        description = "Another method than GET, HEAD or OPTIONS.",
        example = json!({
            "status": "405",
            "message": "This method is not allowed on this resource.",
            "type": "https://www.rfc-editor.org/rfc/rfc9110#status.405"
        })
    )]
    MethodNotAllowed(ErrorModel),
}

/// The error answers every token operation shares, all `errorModel`.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only read by the OpenAPI derive")]
pub(crate) enum ErrorResponses {
    /// The token was refused.
    #[response(
        status = 401,
        description = "The token is missing, malformed, forged, expired, from another issuer, or its session has ended.",
        example = json!({
            "status": "401",
            "errorCode": "00001000",
            "message": "The user is not authenticated.",
            "devMessage": "the token has expired",
            "type": "https://www.rfc-editor.org/rfc/rfc9110#status.401"
        })
    )]
    Unauthenticated(ErrorModel),
    /// The session store could not be reached.
    #[response(
        status = 503,
        description = "The session store is unreachable; retry after `Retry-After` seconds.",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying.")),
        example = json!({
            "status": "503",
            "message": "The service is temporarily unavailable; retry later.",
            "devMessage": "the session store is unavailable",
            "type": "https://www.rfc-editor.org/rfc/rfc9110#status.503"
        })
    )]
    StoreUnavailable(ErrorModel),
    /// Anything else.
    #[response(
        status = "default",
        description = "The error response",
        example = json!({
            "status": "405",
            "message": "This method is not allowed on this resource.",
            "type": "https://www.rfc-editor.org/rfc/rfc9110#status.405"
        })
    )]
    Other(ErrorModel),
}

/// Declares the `bearerAuth` scheme: an HTTP bearer JWT, as Swagger UI's Authorize button takes it.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The shopper's current access token."))
                    .build(),
            ),
        );
    }
}

/// OCC clients often send no body at all: every request body is optional, and its schema is the
/// documented one rather than utoipa's `oneOf` with `null` for an `Option`.
struct BodiesAreOptional;

impl Modify for BodiesAreOptional {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi
            .paths
            .paths
            .values_mut()
            .flat_map(|item| [&mut item.post, &mut item.put, &mut item.patch])
            .flatten();
        let bodies = operations.filter_map(|operation| match operation.request_body.as_mut() {
            Some(RefOr::T(body)) => Some(body),
            _ => None,
        });
        for body in bodies {
            body.required = Some(Required::False);
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content {
                    unwrap_nullable(content);
                }
            }
        }
    }
}

/// `oneOf: [$ref, {type: null}]` becomes the `$ref` alone.
fn unwrap_nullable(content: &mut Content) {
    let Some(RefOr::T(utoipa::openapi::schema::Schema::OneOf(one_of))) = &content.schema else {
        return;
    };
    let reference = one_of
        .items
        .iter()
        .find(|item| matches!(item, RefOr::Ref(_)))
        .cloned();
    if let Some(reference) = reference {
        content.schema = Some(reference);
    }
}

/// The OpenAPI document as pretty-printed JSON with a trailing newline.
pub fn rendered_openapi() -> String {
    let mut rendered = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    rendered.push('\n');
    rendered
}
