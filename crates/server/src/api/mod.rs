//! The OpenAPI description of the service, derived from the handlers and wire types.

pub(crate) mod bearer;
pub(crate) mod documents;
pub(crate) mod health;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod refresh;
mod request_bodies;
pub(crate) mod responses;
pub(crate) mod verify;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorExamples;
use request_bodies::RequestBodies;

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
        crate::api::refresh::refresh,
        crate::api::verify::verify,
        crate::api::logout::logout,
        crate::api::health::live,
        crate::api::health::ready,
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
    modifiers(&BearerAuth, &RequestBodies, &ErrorExamples),
)]
pub(crate) struct ApiDoc;

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

/// Every operation of the document, whatever its method.
pub(crate) fn operations_mut(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut Operation> {
    openapi
        .paths
        .paths
        .values_mut()
        .flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
        })
        .flatten()
}

/// The OpenAPI document as pretty-printed JSON with a trailing newline.
pub fn rendered_openapi() -> String {
    let mut rendered = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    rendered.push('\n');
    rendered
}
