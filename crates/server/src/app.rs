//! The application: routes, documentation, limits and the middleware that keeps every answer in
//! the contract. Built the same way by the binary and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{App, Error, FromRequest, Handler, Resource, Responder, web};
use utoipa_swagger_ui::{Config, Url};

use std::sync::Arc;

use crate::AppState;
use crate::api::{documents as docs, health, login, logout, refresh, verify};
use crate::http::catch_panic::CatchPanic;
use crate::http::cors;
use crate::http::cors::CorsRefusals;
use crate::http::fallback;
use crate::http::header_limit::HeaderLimit;
use crate::telemetry::metrics::endpoint as metrics;
use crate::telemetry::observe::Observe;

use crate::routes::{
    GET_ALLOW, HEALTH_LIVE_PATH, HEALTH_READY_PATH, METRICS_PATH, OPENAPI_30_PATH, OPENAPI_31_PATH,
    OPENAPI_AWS_PATH, Operation, POST_ALLOW, SWAGGER_UI_PATTERN, SWAGGER_UI_PREFIX,
    SWAGGER_UI_REDIRECT, operations,
};

/// How the application is put together beyond its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppOptions {
    /// Whether `/metrics` is served here; `false` when a separate metrics listener serves it.
    pub metrics_route: bool,
    /// The exact origins browsers may call from (checked by [`crate::http::cors::check_origins`]);
    /// none turns CORS off.
    pub cors_origins: Arc<[String]>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            metrics_route: true,
            cors_origins: Arc::new([]),
        }
    }
}

/// The application around `state`, with the default options.
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
    build_app_with(state, &AppOptions::default())
}

/// The application around `state`, put together as `options` say.
pub fn build_app_with(
    state: AppState,
    options: &AppOptions,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = Error,
        InitError = (),
    > + use<>,
> {
    let metrics = state.metrics.clone();
    let header_limit = HeaderLimit {
        max_bytes: state.limits.max_header_bytes,
    };
    let families = state.families.clone();
    let mut app = App::new()
        .app_data(web::Data::from(metrics.clone()))
        .app_data(web::Data::new(state))
        .service(get_resource(OPENAPI_31_PATH, docs::openapi_31))
        .service(get_resource(OPENAPI_30_PATH, docs::openapi_30))
        .service(get_resource(OPENAPI_AWS_PATH, docs::openapi_aws))
        .service(get_resource(HEALTH_LIVE_PATH, health::live))
        .service(get_resource(HEALTH_READY_PATH, health::ready))
        .service(web::redirect(SWAGGER_UI_REDIRECT, SWAGGER_UI_PREFIX))
        .service(
            get_resource(SWAGGER_UI_PATTERN, docs::swagger_ui)
                .app_data(web::Data::new(swagger_ui_config())),
        );
    // Every family's operations, each resource carrying its family (see `family.rs`).
    for served in operations() {
        let Some(family) = families
            .iter()
            .find(|family| family.family.id() == served.family.id)
        else {
            continue;
        };
        let resource = match served.operation {
            Operation::Login => post_resource(served.path, login::login),
            Operation::Refresh => post_resource(served.path, refresh::refresh),
            Operation::Verify => post_resource(served.path, verify::verify),
            Operation::Logout => post_resource(served.path, logout::logout),
        };
        app = app.service(resource.app_data(family.clone()));
    }
    if options.metrics_route {
        app = app.service(get_resource(METRICS_PATH, metrics::metrics));
    }
    app.default_service(web::to(fallback::not_found))
        .wrap(header_limit)
        .wrap(CatchPanic)
        .wrap(cors::middleware(&options.cors_origins))
        .wrap(CorsRefusals)
        .wrap(Observe::counting(metrics))
}

/// The application of a separate operations listener (`CCSTORE_METRICS_BIND`): `/metrics` and
/// the two health probes, which keep being answered there when the main listener is at its
/// connection cap. Its requests get ids and access lines, but are not counted in the metrics they
/// read.
pub(crate) fn metrics_app(
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
        .app_data(web::Data::from(state.metrics.clone()))
        .app_data(web::Data::new(state))
        .service(get_resource(METRICS_PATH, metrics::metrics))
        .service(get_resource(HEALTH_LIVE_PATH, health::live))
        .service(get_resource(HEALTH_READY_PATH, health::ready))
        .default_service(web::to(fallback::not_found))
        .wrap(CatchPanic)
        .wrap(Observe::not_counting())
}

/// `path` answering POST with `handler`, OPTIONS with its `Allow`, every other method with 405.
fn post_resource<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(fallback::method_route(&[Method::POST]).to(handler))
        .route(fallback::options(POST_ALLOW))
        .default_service(fallback::method_not_allowed(POST_ALLOW))
}

/// `path` answering GET and HEAD with `handler` (actix sends a HEAD answer's headers without its
/// body), OPTIONS with its `Allow`, every other method with 405.
fn get_resource<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(fallback::method_route(&[Method::GET, Method::HEAD]).to(handler))
        .route(fallback::options(GET_ALLOW))
        .default_service(fallback::method_not_allowed(GET_ALLOW))
}

/// Swagger UI offers both committed documents and keeps the token across page reloads.
fn swagger_ui_config() -> Config<'static> {
    Config::new([
        Url::new("ccstore (OpenAPI 3.1)", OPENAPI_31_PATH),
        Url::new("ccstore (OpenAPI 3.0.3)", OPENAPI_30_PATH),
    ])
    .persist_authorization(true)
}
