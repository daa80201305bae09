//! Turns a panic in a handler into a 500 `errorModel` instead of a dropped connection.
//!
//! The panic becomes an error result, which actix answers with [`ApiError::Panic`]'s response. A
//! hand-written middleware rather than `from_fn`: it sits on every request, and this one costs a
//! poll, not an allocation.

use std::future::{Ready, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::Either;
use pin_project_lite::pin_project;

use crate::error::ApiError;

/// Middleware answering 500 when the rest of the chain panics.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CatchPanic;

impl<S, B> Transform<S, ServiceRequest> for CatchPanic
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = CatchPanicService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CatchPanicService { service }))
    }
}

/// [`CatchPanic`] around one service.
#[derive(Debug)]
pub(crate) struct CatchPanicService<S> {
    service: S,
}

type Answer<B> = Result<ServiceResponse<B>, Error>;

impl<S, B> Service<ServiceRequest> for CatchPanicService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Either<Guarded<S::Future>, Ready<Answer<B>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        match catch_unwind(AssertUnwindSafe(|| self.service.call(request))) {
            Ok(inner) => Either::Left(Guarded { inner }),
            Err(_) => Either::Right(ready(Err(panicked()))),
        }
    }
}

pin_project! {
    /// The rest of the chain's future, polled so that a panic becomes an error.
    pub(crate) struct Guarded<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future<Output = Answer<B>>, B> Future for Guarded<F> {
    type Output = Answer<B>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
            .unwrap_or_else(|_| Poll::Ready(Err(panicked())))
    }
}

fn panicked() -> Error {
    log::error!("a request handler panicked; answered 500");
    ApiError::Panic.into()
}
