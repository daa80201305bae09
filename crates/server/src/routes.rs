//! The resources the service answers, named once: the label a request is counted under in the
//! metrics, found from its path by comparing it with the registered paths (no allocation, no
//! second routing pass). Unknown paths share one label, so a scanner cannot grow the metrics.

/// Path of the refresh operation.
pub(crate) const REFRESH_PATH: &str = "/ccstore/v1/refresh";
/// Path of the verify operation.
pub(crate) const VERIFY_PATH: &str = "/ccstore/v1/verify";
/// Path of the logout operation.
pub(crate) const LOGOUT_PATH: &str = "/ccstore/v1/logout";
/// Path of the committed OpenAPI 3.1 document.
pub(crate) const OPENAPI_31_PATH: &str = "/openapi.json";
/// Path of the committed OpenAPI 3.0.3 document.
pub(crate) const OPENAPI_30_PATH: &str = "/openapi-3.0.json";
/// Path of the committed OpenAPI 3.0.3 variant that AWS API Gateway imports.
pub(crate) const OPENAPI_AWS_PATH: &str = "/openapi-aws.json";

/// Path of the liveness probe.
pub(crate) const HEALTH_LIVE_PATH: &str = "/health/live";
/// Path of the readiness probe.
pub(crate) const HEALTH_READY_PATH: &str = "/health/ready";

/// Path of the Prometheus metrics.
pub(crate) const METRICS_PATH: &str = "/metrics";

/// Where Swagger UI's files are served.
pub(crate) const SWAGGER_UI_PREFIX: &str = "/swagger-ui/";
/// The pattern actix routes Swagger UI's files by.
pub(crate) const SWAGGER_UI_PATTERN: &str = "/swagger-ui/{file:.*}";
/// The address that redirects to Swagger UI.
pub(crate) const SWAGGER_UI_REDIRECT: &str = "/swagger-ui";

/// Operation id of refresh in the OpenAPI document (the documented one).
pub(crate) const REFRESH_OPERATION: &str = "refresh";
/// Operation id of verify.
pub(crate) const VERIFY_OPERATION: &str = "verify";
/// Operation id of logout.
pub(crate) const LOGOUT_OPERATION: &str = "logout";
/// Operation id of the liveness probe.
pub(crate) const LIVE_OPERATION: &str = "live";
/// Operation id of the readiness probe.
pub(crate) const READY_OPERATION: &str = "ready";

/// What a resource of a POST operation answers, for `Allow` (RFC 9110 §10.2.1).
pub(crate) const POST_ALLOW: &str = "POST, OPTIONS";
/// What a resource of a GET operation answers, for `Allow`: HEAD goes with GET (RFC 9110 §9.3.2).
pub(crate) const GET_ALLOW: &str = "GET, HEAD, OPTIONS";

/// A resource of the service, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /ccstore/v1/refresh`.
    Refresh,
    /// `POST /ccstore/v1/verify`.
    Verify,
    /// `POST /ccstore/v1/logout`.
    Logout,
    /// `/openapi.json`.
    OpenApi31,
    /// `/openapi-3.0.json`.
    OpenApi30,
    /// `/openapi-aws.json`.
    OpenApiAws,
    /// `/swagger-ui`, the redirect.
    SwaggerUiRedirect,
    /// `/swagger-ui/{file}`.
    SwaggerUi,
    /// `/health/live`.
    HealthLive,
    /// `/health/ready`.
    HealthReady,
    /// `/metrics`.
    Metrics,
    /// Any other path.
    Unmatched,
}

impl Route {
    /// Every route, each at its [`index`](Self::index).
    pub const ALL: [Self; 12] = [
        Self::Refresh,
        Self::Verify,
        Self::Logout,
        Self::OpenApi31,
        Self::OpenApi30,
        Self::OpenApiAws,
        Self::SwaggerUiRedirect,
        Self::SwaggerUi,
        Self::HealthLive,
        Self::HealthReady,
        Self::Metrics,
        Self::Unmatched,
    ];

    /// The route serving `path`, as the router matches it (exactly, no trailing-slash folding).
    pub fn of(path: &str) -> Self {
        match path {
            REFRESH_PATH => Self::Refresh,
            VERIFY_PATH => Self::Verify,
            LOGOUT_PATH => Self::Logout,
            OPENAPI_31_PATH => Self::OpenApi31,
            OPENAPI_30_PATH => Self::OpenApi30,
            OPENAPI_AWS_PATH => Self::OpenApiAws,
            HEALTH_LIVE_PATH => Self::HealthLive,
            HEALTH_READY_PATH => Self::HealthReady,
            METRICS_PATH => Self::Metrics,
            SWAGGER_UI_REDIRECT => Self::SwaggerUiRedirect,
            _ if path.starts_with(SWAGGER_UI_PREFIX) => Self::SwaggerUi,
            _ => Self::Unmatched,
        }
    }

    /// Position in [`ALL`](Self::ALL).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The `route` label: the route's pattern, never a raw path.
    pub fn label(self) -> &'static str {
        match self {
            Self::Refresh => REFRESH_PATH,
            Self::Verify => VERIFY_PATH,
            Self::Logout => LOGOUT_PATH,
            Self::OpenApi31 => OPENAPI_31_PATH,
            Self::OpenApi30 => OPENAPI_30_PATH,
            Self::OpenApiAws => OPENAPI_AWS_PATH,
            Self::SwaggerUiRedirect => SWAGGER_UI_REDIRECT,
            Self::SwaggerUi => "/swagger-ui/{file}",
            Self::HealthLive => HEALTH_LIVE_PATH,
            Self::HealthReady => HEALTH_READY_PATH,
            Self::Metrics => METRICS_PATH,
            Self::Unmatched => "unmatched",
        }
    }

    /// Whether the route is asked every few seconds by machines (probes, scrapes): the access log
    /// writes those at `debug`.
    pub fn is_probe(self) -> bool {
        matches!(self, Self::HealthLive | Self::HealthReady | Self::Metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn every_route_is_found_from_its_label_and_sits_at_its_index() {
        for (index, route) in Route::ALL.into_iter().enumerate() {
            assert_eq!(route.index(), index);
            if route != Route::SwaggerUi {
                assert_eq!(Route::of(route.label()), route, "{route:?}");
            }
        }
        assert_eq!(Route::of("/swagger-ui/index.html"), Route::SwaggerUi);
    }

    #[test]
    fn near_misses_are_unmatched() {
        for path in [
            "/",
            "/ccstore/v1/refresh/",
            "/ccstore/v1/refresh2",
            "/CCSTORE/v1/refresh",
            "/metrics/x",
            "/health",
        ] {
            assert_eq!(Route::of(path), Route::Unmatched, "{path}");
        }
    }
}
