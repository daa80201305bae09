//! Labels every answer with its request id (see [`super`]) in `X-Request-Id`, errors
//! and caught panics included; [`crate::telemetry::observe`] does it when the answer is ready.
//!
//! An error the chain returns (a caught panic) cannot take a header, and the request it belonged
//! to is gone by then, so it is wrapped in [`Identified`]: the same `errorModel` answer from the
//! one mapping in `error/mod.rs`, plus the header. Successful answers, and the errors handlers return
//! (already answers by then), just get the header.

use std::fmt;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{Error, HttpResponse, ResponseError};

use super::{HEADER, RequestId};

/// `outcome`, the answer to the request `id`, with the id in its `X-Request-Id`.
pub(crate) fn label<B>(
    outcome: Result<ServiceResponse<B>, Error>,
    id: &RequestId,
) -> Result<ServiceResponse<B>, Error> {
    let request_id = id.header_value();
    match outcome {
        Ok(mut response) => {
            response.headers_mut().insert(HEADER, request_id);
            Ok(response)
        }
        Err(error) => Err(Identified { error, request_id }.into()),
    }
}

/// An error the chain returned, answered as it would be, with the request id.
#[derive(Debug)]
struct Identified {
    error: Error,
    request_id: HeaderValue,
}

impl fmt::Display for Identified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Identified {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        response
            .headers_mut()
            .insert(HEADER, self.request_id.clone());
        response
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::BoxBody;
    use actix_web::test::TestRequest;

    use super::*;
    use crate::error::ApiError;

    #[test]
    fn an_answer_gets_the_header_and_an_error_is_answered_as_before_with_it() {
        let id = RequestId::Generated(42);
        let response = ServiceResponse::<BoxBody>::new(
            TestRequest::default().to_http_request(),
            HttpResponse::NoContent().finish(),
        );
        let Ok(response) = label(Ok(response), &id) else {
            panic!("an answer stays an answer");
        };
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers().get(HEADER), Some(&id.header_value()));

        let error: Error = ApiError::Panic.into();
        let unlabelled = error.error_response();
        let Err(labelled) = label::<BoxBody>(Err(error), &id) else {
            panic!("an error stays an error");
        };
        assert_eq!(
            labelled.as_response_error().status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let answer = labelled.error_response();
        assert_eq!(answer.status(), unlabelled.status());
        assert_eq!(answer.headers().get(HEADER), Some(&id.header_value()));
        for (name, value) in unlabelled.headers() {
            assert_eq!(answer.headers().get(name), Some(value), "{name}");
        }
    }
}
