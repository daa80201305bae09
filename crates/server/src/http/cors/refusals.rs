//! Keeps the error contract for CORS: actix-cors answers a refused preflight (an origin, method
//! or header not allowed) with a plain-text 400; this turns it into the `errorModel` every other
//! error is. Costs one status comparison on every other answer.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_cors::CorsError;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::{Error, ResponseError};
use pin_project_lite::pin_project;

use crate::error::ApiError;

/// Middleware rewriting CORS refusals as `errorModel` bodies.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CorsRefusals;

impl<S, B> Transform<S, ServiceRequest> for CorsRefusals
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CorsRefusalsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CorsRefusalsService { service }))
    }
}

/// [`CorsRefusals`] around one service.
#[derive(Debug)]
pub(crate) struct CorsRefusalsService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for CorsRefusalsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Rewritten<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        Rewritten {
            inner: self.service.call(request),
        }
    }
}

pin_project! {
    /// The rest of the chain's future; rewrites a CORS refusal when it completes.
    pub(crate) struct Rewritten<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future<Output = Result<ServiceResponse<B>, Error>>, B> Future for Rewritten<F> {
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = std::task::ready!(self.project().inner.poll(cx))?;
        let refusal = (response.status() == StatusCode::BAD_REQUEST)
            .then(|| response.response().error()?.as_error::<CorsError>())
            .flatten()
            .map(|refusal| ApiError::CorsRefused(refusal.to_string()));
        Poll::Ready(Ok(match refusal {
            None => response.map_into_left_body(),
            Some(error) => {
                let (request, _) = response.into_parts();
                ServiceResponse::new(request, error.error_response()).map_into_right_body()
            }
        }))
    }
}
