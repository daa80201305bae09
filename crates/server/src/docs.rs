//! The OpenAPI description of the service, derived from the handlers and wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use ccstore_model::{ErrorModel, RefreshRequest, RefreshResponse};

/// The service's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(crate::handlers::refresh::refresh),
    components(schemas(RefreshRequest, RefreshResponse, ErrorModel)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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

/// The OpenAPI document as pretty-printed JSON with a trailing newline.
pub fn rendered_openapi() -> String {
    let mut rendered = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    rendered.push('\n');
    rendered
}
