//! The application: routes, documentation, limits and the middleware that keeps every answer in
//! the contract. Built the same way by the binary and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, FromRequest, Handler, Resource, Responder, Route, web};
use utoipa_swagger_ui::{Config, Url};

use crate::AppState;
use crate::handlers::{docs, fallback, logout, refresh, verify};
use crate::middleware::access_log::AccessLog;
use crate::middleware::catch_panic::CatchPanic;
use crate::middleware::header_limit::HeaderLimit;
use crate::middleware::request_id::AssignRequestId;

/// Path of the refresh operation.
pub const REFRESH_PATH: &str = "/ccstore/v1/refresh";
/// Path of the verify operation.
pub const VERIFY_PATH: &str = "/ccstore/v1/verify";
/// Path of the logout operation.
pub const LOGOUT_PATH: &str = "/ccstore/v1/logout";
/// Path of the committed OpenAPI 3.1 document.
pub const OPENAPI_31_PATH: &str = "/openapi.json";
/// Path of the committed OpenAPI 3.0.3 document.
pub const OPENAPI_30_PATH: &str = "/openapi-3.0.json";

/// The application around `state`.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let header_limit = HeaderLimit {
        max_bytes: state.limits.max_header_bytes,
    };
    App::new()
        .app_data(web::Data::new(state))
        .service(only(REFRESH_PATH, web::post(), "POST", refresh::refresh))
        .service(only(VERIFY_PATH, web::post(), "POST", verify::verify))
        .service(only(LOGOUT_PATH, web::post(), "POST", logout::logout))
        .service(only(OPENAPI_31_PATH, web::get(), "GET", docs::openapi_31))
        .service(only(OPENAPI_30_PATH, web::get(), "GET", docs::openapi_30))
        .service(web::redirect("/swagger-ui", "/swagger-ui/"))
        .service(
            web::resource("/swagger-ui/{file:.*}")
                .app_data(web::Data::new(swagger_ui_config()))
                .route(web::get().to(docs::swagger_ui))
                .default_service(fallback::method_not_allowed("GET")),
        )
        .default_service(web::to(fallback::not_found))
        .wrap(header_limit)
        .wrap(CatchPanic)
        .wrap(AccessLog)
        .wrap(AssignRequestId)
}

/// `path` answering `route` with `handler`, and every other method with 405 and `Allow: allow`.
fn only<F, Args>(path: &str, route: Route, allow: &'static str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(route.to(handler))
        .default_service(fallback::method_not_allowed(allow))
}

/// Swagger UI offers both committed documents and keeps the token across page reloads.
fn swagger_ui_config() -> Config<'static> {
    Config::new([
        Url::new("ccstore (OpenAPI 3.1)", OPENAPI_31_PATH),
        Url::new("ccstore (OpenAPI 3.0.3)", OPENAPI_30_PATH),
    ])
    .persist_authorization(true)
}
