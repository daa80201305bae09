//! What every request leaves behind for operators: its request id (see [`crate::telemetry::request_id`]),
//! current while the rest of the chain runs, so every log line of the request names it, and sent
//! back in `X-Request-Id` on every answer; its count in the [`Metrics`]; its access-log line.
//!
//! One layer rather than three: each layer wraps the rest of the chain's future and moves every
//! answer through its own; and this way the route is classified once, and the clock read once
//! when the request arrives and once when it is answered. The three jobs stay in their own
//! modules ([`super::request_id`], [`super::metrics::requests`], [`super::access_log`]); this one
//! only runs them at the right moments. Outermost, so that the id is current for every other
//! layer, and the count, the line and the id cover every answer, errors and caught panics
//! included. Hand-written rather than `from_fn`: it sits on every request.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;

use super::access_log::AccessLine;
use super::metrics::requests as request_metrics;
use super::request_id::label;
use crate::routes::Route;
use crate::telemetry::metrics::Metrics;
use crate::telemetry::request_id::{self, RequestId};

/// Middleware giving every request its id, its count in the metrics and its access line.
#[derive(Debug, Clone)]
pub(crate) struct Observe {
    metrics: Option<Arc<Metrics>>,
}

impl Observe {
    /// Requests counted in `metrics`.
    pub(crate) fn counting(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
        }
    }

    /// Requests not counted: the metrics listener's own scrapes.
    pub(crate) fn not_counting() -> Self {
        Self { metrics: None }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Observe
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ObserveService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ObserveService {
            service,
            // Per worker: each request then clones an `Rc`, not the shared `Arc`.
            metrics: self.metrics.clone().map(Rc::new),
        }))
    }
}

/// [`Observe`] around one service.
#[derive(Debug)]
pub(crate) struct ObserveService<S> {
    service: S,
    #[allow(
        clippy::redundant_allocation,
        reason = "one Rc per worker: a request clones a count no other thread touches, not the \
                  Arc every worker shares"
    )]
    metrics: Option<Rc<Arc<Metrics>>>,
}

impl<S, B> Service<ServiceRequest> for ObserveService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Observed<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let id = RequestId::for_request(request.headers());
        let route = Route::of(request.match_info().as_str());
        let line = AccessLine::for_request(&request, route);
        let counted = self.metrics.is_some();
        let timed = line.is_some() || (counted && request_metrics::is_timed(route));
        let started = timed.then(Instant::now);
        // The id is current while the rest of the chain builds its future, and whenever that
        // future is polled.
        let inner = request_id::sync_scope(id.clone(), || self.service.call(request));
        Observed {
            inner: request_id::scope(id, inner),
            route,
            started,
            line,
            metrics: self.metrics.clone(),
        }
    }
}

pin_project! {
    /// The rest of the chain's future, polled with the request id current; when it completes,
    /// counts, logs and labels its answer.
    pub(crate) struct Observed<F> {
        #[pin]
        inner: TaskLocalFuture<RequestId, F>,
        route: Route,
        started: Option<Instant>,
        line: Option<AccessLine>,
        metrics: Option<Rc<Arc<Metrics>>>,
    }
}

impl<F: Future<Output = Result<ServiceResponse<B>, Error>>, B> Future for Observed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut inner = this.inner;
        let outcome = std::task::ready!(inner.as_mut().poll(cx));
        let (status, error) = match &outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        let elapsed = this.started.map(|started| started.elapsed());
        if let Some(metrics) = this.metrics {
            request_metrics::record(metrics, *this.route, status, error, elapsed);
        }
        // Only a future polled again after it completed has no id left.
        let Some(id) = inner.take_value() else {
            return Poll::Ready(outcome);
        };
        if let Some(line) = this.line.take() {
            // Timed whenever there is a line.
            line.write(status, elapsed.unwrap_or_default(), &id);
        }
        Poll::Ready(label(outcome, &id))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, Once};

    use actix_web::dev::Service as _;
    use actix_web::http::StatusCode;
    use actix_web::{App, HttpResponse, test, web};
    use ccstore_core::{MemoryStore, TokenError};

    use super::*;
    use crate::error::ApiError;
    use crate::http::catch_panic::CatchPanic;
    use crate::routes::{HEALTH_LIVE_PATH, METRICS_PATH, REFRESH_PATH};
    use crate::telemetry::request_id::HEADER;
    use ccstore_core::Store;

    /// A record logged in this test binary, with the request id current when it was.
    #[derive(Debug, Clone)]
    struct Record {
        level: log::Level,
        target: String,
        message: String,
        id: Option<String>,
    }

    /// Every record logged in this test binary.
    static LOGGED: Mutex<Vec<Record>> = Mutex::new(Vec::new());

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            LOGGED.lock().unwrap().push(Record {
                level: record.level(),
                target: record.target().to_owned(),
                message: record.args().to_string(),
                id: request_id::current().map(|id| id.to_string()),
            });
        }

        fn flush(&self) {}
    }

    /// Captures every record, of every level, in [`LOGGED`]. Tests run in parallel: each finds
    /// its own records by the request ids it sent.
    fn capture_logs() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            log::set_logger(&Capture).unwrap();
            log::set_max_level(log::LevelFilter::Trace);
        });
    }

    /// The records logged with request id `id`.
    fn logged_with(id: &str) -> Vec<Record> {
        LOGGED
            .lock()
            .unwrap()
            .iter()
            .filter(|record| record.id.as_deref() == Some(id))
            .cloned()
            .collect()
    }

    /// The access line of the request `id`.
    fn access_line(id: &str) -> Record {
        let logged = logged_with(id);
        let mut lines = logged
            .iter()
            .filter(|record| record.target == "ccstore::access");
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("no access line for {id}: {logged:?}"))
            .clone();
        assert!(lines.next().is_none(), "two access lines for {id}");
        line
    }

    async fn panics() -> HttpResponse {
        panic!("deliberate panic in a test handler")
    }

    async fn refused() -> Result<HttpResponse, ApiError> {
        Err(ApiError::Token {
            error: TokenError::Missing,
            code: "00001000",
        })
    }

    fn metrics() -> Arc<Metrics> {
        Arc::new(Metrics::new(&Store::Memory(MemoryStore::new(10))))
    }

    fn get(path: &str, id: &str) -> actix_http::Request {
        test::TestRequest::get()
            .uri(path)
            .insert_header((HEADER, id))
            .to_request()
    }

    #[actix_rt::test]
    async fn a_caught_panic_is_answered_and_logged_with_the_request_id() {
        capture_logs();
        let app = test::init_service(
            App::new()
                .route("/panic", web::get().to(panics))
                .wrap(CatchPanic)
                .wrap(Observe::not_counting()),
        )
        .await;
        let Err(error) = app.call(get("/panic", "panic-7")).await else {
            panic!("a caught panic is an error result");
        };
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers().get(HEADER).unwrap(), "panic-7");
        let logged = logged_with("panic-7");
        assert!(
            logged
                .iter()
                .any(|record| record.message.contains("panicked")),
            "the panic was not logged with its request id: {logged:?}"
        );
        assert!(
            access_line("panic-7")
                .message
                .starts_with("GET /panic 500 "),
            "{logged:?}"
        );
    }

    #[actix_rt::test]
    async fn answers_and_handler_errors_carry_the_request_id() {
        let app = test::init_service(
            App::new()
                .route("/ok", web::get().to(HttpResponse::Ok))
                .route("/refused", web::get().to(refused))
                .wrap(Observe::counting(metrics())),
        )
        .await;
        let response = app.call(get("/ok", "ok-1")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers().get(HEADER).unwrap(), "ok-1");
        let response = app.call(get("/refused", "refused-1")).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers().get(HEADER).unwrap(), "refused-1");
        let request = test::TestRequest::get().uri("/ok").to_request();
        let response = app.call(request).await.unwrap();
        let generated = response.headers().get(HEADER).unwrap().as_bytes();
        assert!(request_id::is_acceptable(generated), "{generated:?}");
        assert_ne!(generated, b"ok-1");
    }

    #[actix_rt::test]
    async fn requests_are_counted_once_refreshes_timed_and_rejections_counted_by_reason() {
        let metrics = metrics();
        let app = test::init_service(
            App::new()
                .route(REFRESH_PATH, web::get().to(refused))
                .route(HEALTH_LIVE_PATH, web::get().to(HttpResponse::Ok))
                .wrap(Observe::counting(metrics.clone())),
        )
        .await;
        app.call(get(REFRESH_PATH, "count-1")).await.unwrap();
        app.call(get(HEALTH_LIVE_PATH, "count-2")).await.unwrap();
        let text = String::from_utf8(metrics.render().unwrap()).unwrap();
        for sample in [
            r#"ccstore_http_requests_total{route="/ccstore/v1/refresh",status="401"} 1"#,
            r#"ccstore_http_requests_total{route="/health/live",status="200"} 1"#,
            r#"ccstore_rejected_tokens_total{reason="missing"} 1"#,
            "ccstore_refresh_duration_seconds_count 1",
        ] {
            assert!(text.lines().any(|line| line == sample), "{sample}\n{text}");
        }
    }

    #[actix_rt::test]
    async fn the_operations_listener_serves_metrics_and_probes_and_does_not_count_them() {
        let settings = <crate::config::Cli as clap::Parser>::try_parse_from(["ccstore-server"])
            .unwrap()
            .settings;
        let keys = ccstore_core::KeyRing::from(ccstore_core::HmacKey::new(&[7; 32]).unwrap());
        let families = crate::startup::families(&settings).unwrap();
        let tokens = crate::startup::family_tokens(&settings, &families, &keys);
        let files = crate::login_files::LoginFiles::default();
        let state = crate::startup::app_state(&settings, &families, &tokens, &files).unwrap();
        let metrics = state.metrics.clone();
        let app = test::init_service(crate::app::metrics_app(state)).await;
        for (path, id) in [
            (METRICS_PATH, "scrape-1"),
            (METRICS_PATH, "scrape-2"),
            (HEALTH_LIVE_PATH, "probe-1"),
            (crate::routes::HEALTH_READY_PATH, "probe-2"),
        ] {
            let response = app.call(get(path, id)).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers().get(HEADER).unwrap(), id);
        }
        let response = app.call(get(REFRESH_PATH, "scrape-3")).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers().get(HEADER).unwrap(), "scrape-3");
        let text = String::from_utf8(metrics.render().unwrap()).unwrap();
        assert!(!text.contains("ccstore_http_requests_total{"), "{text}");
    }

    #[actix_rt::test]
    async fn probes_are_logged_at_debug_and_other_requests_at_info() {
        capture_logs();
        let app = test::init_service(
            App::new()
                .route(REFRESH_PATH, web::get().to(refused))
                .route(HEALTH_LIVE_PATH, web::get().to(HttpResponse::Ok))
                .wrap(Observe::counting(metrics())),
        )
        .await;
        app.call(get(HEALTH_LIVE_PATH, "probe-1")).await.unwrap();
        app.call(get(&format!("{REFRESH_PATH}?q=secret"), "info-1"))
            .await
            .unwrap();
        let probe = access_line("probe-1");
        assert_eq!(probe.level, log::Level::Debug);
        assert!(
            probe.message.starts_with("GET /health/live 200 "),
            "{probe:?}"
        );
        let refresh = access_line("info-1");
        assert_eq!(refresh.level, log::Level::Info);
        assert!(
            refresh.message.starts_with("GET /ccstore/v1/refresh 401 ")
                && refresh.message.ends_with("ms"),
            "{refresh:?}"
        );
    }

    #[actix_rt::test]
    async fn a_path_the_router_decoded_is_logged_as_sent() {
        capture_logs();
        let metrics = metrics();
        let app = test::init_service(
            App::new()
                .route(REFRESH_PATH, web::get().to(refused))
                .wrap(Observe::counting(metrics.clone())),
        )
        .await;
        let response = app
            .call(get("/ccstore/v1/%72efresh", "decoded-1"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let line = access_line("decoded-1");
        assert!(
            line.message.starts_with("GET /ccstore/v1/%72efresh 401 "),
            "{line:?}"
        );
        let text = String::from_utf8(metrics.render().unwrap()).unwrap();
        assert!(
            text.contains(
                r#"ccstore_http_requests_total{route="/ccstore/v1/refresh",status="401"} 1"#
            ),
            "{text}"
        );
    }
}
