//! The resources the service answers, named once: the label a request is counted under in the
//! metrics, found from its path by comparing it with the registered paths (no allocation, no
//! second routing pass). Unknown paths share one label, so a scanner cannot grow the metrics.

use crate::app::{
    HEALTH_LIVE_PATH, HEALTH_READY_PATH, LOGOUT_PATH, METRICS_PATH, OPENAPI_30_PATH,
    OPENAPI_31_PATH, REFRESH_PATH, VERIFY_PATH,
};

/// Where Swagger UI's files are served (`/swagger-ui/{file:.*}`).
const SWAGGER_UI_PREFIX: &str = "/swagger-ui/";
/// The address that redirects to Swagger UI.
const SWAGGER_UI_REDIRECT: &str = "/swagger-ui";

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
    pub const ALL: [Self; 11] = [
        Self::Refresh,
        Self::Verify,
        Self::Logout,
        Self::OpenApi31,
        Self::OpenApi30,
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
