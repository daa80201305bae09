//! The application: routes, documentation, limits and the middleware that keeps every answer in
//! the contract. Built the same way by the binary and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, web};
use utoipa_swagger_ui::{Config, Url};

use crate::AppState;
use crate::handlers::{docs, fallback, logout, refresh, verify};
use crate::middleware::access_log::AccessLog;
use crate::middleware::catch_panic::CatchPanic;

/// Largest request body accepted; clients send `{}` or nothing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .service(
            web::resource(REFRESH_PATH)
                .route(web::post().to(refresh::refresh))
                .default_service(fallback::method_not_allowed("POST")),
        )
        .service(
            web::resource(VERIFY_PATH)
                .route(web::post().to(verify::verify))
                .default_service(fallback::method_not_allowed("POST")),
        )
        .service(
            web::resource(LOGOUT_PATH)
                .route(web::post().to(logout::logout))
                .default_service(fallback::method_not_allowed("POST")),
        )
        .service(
            web::resource(OPENAPI_31_PATH)
                .route(web::get().to(docs::openapi_31))
                .default_service(fallback::method_not_allowed("GET")),
        )
        .service(
            web::resource(OPENAPI_30_PATH)
                .route(web::get().to(docs::openapi_30))
                .default_service(fallback::method_not_allowed("GET")),
        )
        .service(web::redirect("/swagger-ui", "/swagger-ui/"))
        .service(
            web::resource("/swagger-ui/{file:.*}")
                .app_data(web::Data::new(swagger_ui_config()))
                .route(web::get().to(docs::swagger_ui))
                .default_service(fallback::method_not_allowed("GET")),
        )
        .default_service(web::to(fallback::not_found))
        .wrap(CatchPanic)
        .wrap(AccessLog)
}

/// Swagger UI offers both committed documents and keeps the token across page reloads.
fn swagger_ui_config() -> Config<'static> {
    Config::new([
        Url::new("ccstore (OpenAPI 3.1)", OPENAPI_31_PATH),
        Url::new("ccstore (OpenAPI 3.0.3)", OPENAPI_30_PATH),
    ])
    .persist_authorization(true)
}
