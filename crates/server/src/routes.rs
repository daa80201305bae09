//! The resources the service answers, named once: every family's operation paths (built from
//! the family table, `ccstore_core::FAMILIES`), the documents, probes and metrics; the label a
//! request is counted under in the metrics, found from its path by comparing it with the
//! registered paths (no allocation, no second routing pass); and `Allow`. Unknown paths share one
//! label, so a scanner cannot grow the metrics.

use std::collections::HashMap;
use std::sync::LazyLock;

use ccstore_core::{FAMILIES, FamilyRow};

/// Path of the store family's refresh operation, the one Oracle's reference page documents (its
/// `#[utoipa::path]` needs a constant; [`operations`] makes the same path from the table, and a
/// test holds them equal).
pub(crate) const REFRESH_PATH: &str = "/ccstore/v1/refresh";
/// Path of the store family's verify operation.
pub(crate) const VERIFY_PATH: &str = "/ccstore/v1/verify";
/// Path of the store family's logout operation.
pub(crate) const LOGOUT_PATH: &str = "/ccstore/v1/logout";
/// Path of the store family's login operation.
pub(crate) const LOGIN_PATH: &str = "/ccstore/v1/login";
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

/// Operation id of login.
pub(crate) const LOGIN_OPERATION: &str = "login";
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

/// The four operations every family serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `POST <prefix>/login`: credentials in, a new session's token out.
    Login,
    /// `POST <prefix>/refresh`.
    Refresh,
    /// `POST <prefix>/verify`.
    Verify,
    /// `POST <prefix>/logout`.
    Logout,
}

impl Operation {
    /// Every operation, in the order the paths are listed.
    pub(crate) const ALL: [Self; 4] = [Self::Login, Self::Refresh, Self::Verify, Self::Logout];

    /// The last segment of its path (`<prefix>/<segment>`), which is also its operation id in
    /// the store family.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Self::Login => LOGIN_OPERATION,
            Self::Refresh => REFRESH_OPERATION,
            Self::Verify => VERIFY_OPERATION,
            Self::Logout => LOGOUT_OPERATION,
        }
    }
}

/// One path an operation of a family is served at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OperationPath {
    /// The path, e.g. `/ccadminui/v1/refresh`.
    pub(crate) path: &'static str,
    /// Its family's row of the table.
    pub(crate) family: &'static FamilyRow,
    /// What it does.
    pub(crate) operation: Operation,
}

/// Every operation path of every family, made once from the family table: `<prefix>/<operation>`
/// for each prefix (REST and UI twins) and operation, each extra login path (`mfalogin`), and
/// every login path also with a trailing slash (Storefront Classic logs in at
/// `/ccstoreui/v1/login/`).
pub(crate) fn operations() -> &'static [OperationPath] {
    static OPERATIONS: LazyLock<Vec<OperationPath>> = LazyLock::new(|| {
        let mut paths = Vec::new();
        for family in FAMILIES {
            let mut add = |path: String, operation| {
                let path: &'static str = Box::leak(path.into_boxed_str());
                paths.push(OperationPath {
                    path,
                    family,
                    operation,
                });
            };
            for prefix in family.prefixes {
                for operation in Operation::ALL {
                    add(format!("{prefix}/{}", operation.segment()), operation);
                    if operation == Operation::Login {
                        add(format!("{prefix}/{}/", operation.segment()), operation);
                    }
                }
            }
            for path in family.extra_login_paths {
                add((*path).to_owned(), Operation::Login);
                add(format!("{path}/"), Operation::Login);
            }
        }
        paths
    });
    &OPERATIONS
}

/// A resource of the service, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// An operation of a family: its position in [`operations`].
    Operation(usize),
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

/// The routes besides the operations, each at its position after them in [`Route::index`].
const FIXED: [Route; 9] = [
    Route::OpenApi31,
    Route::OpenApi30,
    Route::OpenApiAws,
    Route::SwaggerUiRedirect,
    Route::SwaggerUi,
    Route::HealthLive,
    Route::HealthReady,
    Route::Metrics,
    Route::Unmatched,
];

impl Route {
    /// How many routes there are: the positions [`index`](Self::index) gives.
    pub(crate) fn count() -> usize {
        operations().len() + FIXED.len()
    }

    /// Every route, each at its [`index`](Self::index).
    #[cfg(test)]
    pub(crate) fn all() -> impl Iterator<Item = Self> {
        (0..operations().len()).map(Self::Operation).chain(FIXED)
    }

    /// The route serving `path`, as the router matches it (exactly, no trailing-slash folding).
    pub(crate) fn of(path: &str) -> Self {
        static BY_PATH: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
            operations()
                .iter()
                .enumerate()
                .map(|(index, operation)| (operation.path, index))
                .collect()
        });
        match path {
            OPENAPI_31_PATH => Self::OpenApi31,
            OPENAPI_30_PATH => Self::OpenApi30,
            OPENAPI_AWS_PATH => Self::OpenApiAws,
            HEALTH_LIVE_PATH => Self::HealthLive,
            HEALTH_READY_PATH => Self::HealthReady,
            METRICS_PATH => Self::Metrics,
            SWAGGER_UI_REDIRECT => Self::SwaggerUiRedirect,
            _ if path.starts_with(SWAGGER_UI_PREFIX) => Self::SwaggerUi,
            _ => BY_PATH
                .get(path)
                .map_or(Self::Unmatched, |index| Self::Operation(*index)),
        }
    }

    /// Position in [`all`](Self::all).
    pub(crate) fn index(self) -> usize {
        match self {
            Self::Operation(index) => index,
            fixed => {
                operations().len() + FIXED.iter().position(|route| *route == fixed).unwrap_or(0)
            }
        }
    }

    /// The operation the route serves, if it is one.
    pub(crate) fn operation(self) -> Option<&'static OperationPath> {
        match self {
            Self::Operation(index) => operations().get(index),
            _ => None,
        }
    }

    /// The `route` label: the route's pattern, never a raw path.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Operation(index) => operations().get(index).map_or("unmatched", |op| op.path),
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
    pub(crate) fn is_probe(self) -> bool {
        matches!(self, Self::HealthLive | Self::HealthReady | Self::Metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_found_from_its_label_and_sits_at_its_index() {
        for (index, route) in Route::all().enumerate() {
            assert_eq!(route.index(), index);
            if route != Route::SwaggerUi {
                assert_eq!(Route::of(route.label()), route, "{route:?}");
            }
        }
        assert_eq!(Route::all().count(), Route::count());
        assert_eq!(Route::of("/swagger-ui/index.html"), Route::SwaggerUi);
    }

    #[test]
    fn every_family_serves_every_operation_at_each_prefix_and_the_constants_are_the_store_s() {
        for row in FAMILIES {
            let family = row.id;
            for prefix in row.prefixes {
                for operation in Operation::ALL {
                    let path = format!("{prefix}/{}", operation.segment());
                    let found = Route::of(&path)
                        .operation()
                        .unwrap_or_else(|| panic!("{path}"));
                    assert_eq!(
                        (found.family.id, found.operation),
                        (family, operation),
                        "{path}"
                    );
                }
            }
        }
        for (constant, operation) in [
            (LOGIN_PATH, Operation::Login),
            (REFRESH_PATH, Operation::Refresh),
            (VERIFY_PATH, Operation::Verify),
            (LOGOUT_PATH, Operation::Logout),
        ] {
            let found = Route::of(constant).operation().unwrap();
            assert_eq!(found.family.id, "store");
            assert_eq!(found.operation, operation);
        }
        let classic = Route::of("/ccstoreui/v1/login/").operation().unwrap();
        assert_eq!(
            (classic.family.id, classic.operation),
            ("store", Operation::Login)
        );
        let mfa = Route::of("/ccadmin/v1/mfalogin").operation().unwrap();
        assert_eq!((mfa.family.id, mfa.operation), ("admin", Operation::Login));
    }

    #[test]
    fn near_misses_are_unmatched() {
        for path in [
            "/",
            "/ccstore/v1/refresh/",
            "/ccstore/v1/refresh2",
            "/CCSTORE/v1/refresh",
            "/ccstore/v2/refresh",
            "/ccstore/v1",
            "/metrics/x",
            "/health",
        ] {
            assert_eq!(Route::of(path), Route::Unmatched, "{path}");
        }
    }
}
