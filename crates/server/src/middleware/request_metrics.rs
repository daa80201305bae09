//! Counts every request by route and status, times refreshes, and counts refused tokens by
//! reason, reading the `ApiError` actix keeps on an error response. Hand-written rather than
//! `from_fn`: it sits on every request, and costs a few comparisons and atomic adds, no
//! allocation.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use pin_project_lite::pin_project;

use crate::errors::ApiError;
use crate::metrics::Metrics;
use crate::route::Route;

/// Middleware feeding [`Metrics`].
#[derive(Debug, Clone)]
pub(crate) struct RequestMetrics(pub(crate) Arc<Metrics>);

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsService {
            service,
            // Per worker: each request then clones an `Rc`, not the shared `Arc`.
            metrics: Rc::new(self.0.clone()),
        }))
    }
}

/// [`RequestMetrics`] around one service.
#[derive(Debug)]
pub(crate) struct RequestMetricsService<S> {
    service: S,
    #[allow(
        clippy::redundant_allocation,
        reason = "one Rc per worker: a request clones a count no other thread touches, not the \
                  Arc every worker shares"
    )]
    metrics: Rc<Arc<Metrics>>,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Counted<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let route = Route::of(request.match_info().as_str());
        Counted {
            started: (route == Route::Refresh).then(Instant::now),
            route,
            metrics: self.metrics.clone(),
            inner: self.service.call(request),
        }
    }
}

pin_project! {
    /// The rest of the chain's future; counts its outcome when it completes.
    pub(crate) struct Counted<F> {
        #[pin]
        inner: F,
        route: Route,
        started: Option<Instant>,
        metrics: Rc<Arc<Metrics>>,
    }
}

impl<F: Future<Output = Result<ServiceResponse<B>, Error>>, B> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = std::task::ready!(this.inner.poll(cx));
        let (status, error) = match &outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        this.metrics.count_request(*this.route, status);
        if let Some(started) = this.started {
            this.metrics.observe_refresh(started.elapsed());
        }
        if let Some(reason) = error
            .and_then(Error::as_error::<ApiError>)
            .and_then(ApiError::rejection)
        {
            this.metrics.count_rejection(reason);
        }
        Poll::Ready(outcome)
    }
}
