//! The OpenAPI description of the service, derived from the handlers and wire types.

pub(crate) mod bearer;
pub(crate) mod documents;
mod families;
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
use families::FamilyPaths;
use request_bodies::RequestBodies;

use ccstore_model::{
    ErrorModel, HealthStatus, LoginErrorModel, LoginRequest, LoginResponse, LogoutRequest,
    LogoutResponse, RefreshRequest, RefreshResponse, VerifyRequest, VerifyResponse,
};

/// The service's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "ccstore",
        description = "Oracle Commerce Cloud's authentication endpoints, served by ccstore: \
                       `POST /ccstore/v1/refresh` takes the shopper's current access token as a \
                       Bearer credential and returns its successor; every family (store, admin, \
                       agent, server-side extensions, and their UI twins) serves login, refresh, \
                       verify and logout the same way, each with its own issuer. Every error is \
                       an `errorModel` whose `status` is the HTTP status as a string.",
        contact(name = "ccstore maintainers"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "The ccstore instance serving this document")),
    tags(
        (name = "Operations", description = "Probes for load balancers and orchestrators; not part of OCC's API."),
    ),
    paths(
        crate::api::login::login,
        crate::api::refresh::refresh,
        crate::api::verify::verify,
        crate::api::logout::logout,
        crate::api::health::live,
        crate::api::health::ready,
    ),
    components(schemas(
        LoginRequest,
        LoginResponse,
        LoginErrorModel,
        RefreshRequest,
        RefreshResponse,
        ErrorModel,
        VerifyRequest,
        VerifyResponse,
        LogoutRequest,
        LogoutResponse,
        HealthStatus,
    )),
    modifiers(&BearerAuth, &RequestBodies, &FamilyPaths, &ErrorExamples),
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
    operations_by_path_mut(openapi).map(|(_, operation)| operation)
}

/// Every operation of the document with its path.
pub(crate) fn operations_by_path_mut(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        let path = path.as_str();
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
        .into_iter()
        .flatten()
        .map(move |operation| (path, operation))
    })
}

/// The OpenAPI document as pretty-printed JSON with a trailing newline.
pub fn rendered_openapi() -> String {
    let mut rendered = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    rendered.push('\n');
    rendered
}
