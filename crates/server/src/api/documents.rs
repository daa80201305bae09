//! The documentation: the committed OpenAPI documents, served byte for byte as
//! `cargo xtask openapi` wrote them, and Swagger UI, embedded in the binary.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

/// `openapi/openapi.json`: OpenAPI 3.1, rendered from the code.
pub(crate) const OPENAPI_31: &str = include_str!("../../../../openapi/openapi.json");
/// `openapi/openapi-3.0.json`: the same API as OpenAPI 3.0.3, for gateways that reject 3.1.
pub(crate) const OPENAPI_30: &str = include_str!("../../../../openapi/openapi-3.0.json");
/// `openapi/openapi-aws.json`: the 3.0.3 variant that AWS API Gateway imports (alphanumeric model
/// names, an `apiKey` scheme, no examples).
pub(crate) const OPENAPI_AWS: &str = include_str!("../../../../openapi/openapi-aws.json");

/// `GET /openapi.json`.
pub(crate) async fn openapi_31() -> HttpResponse {
    json_document(OPENAPI_31)
}

/// `GET /openapi-3.0.json`.
pub(crate) async fn openapi_30() -> HttpResponse {
    json_document(OPENAPI_30)
}

/// `GET /openapi-aws.json`.
pub(crate) async fn openapi_aws() -> HttpResponse {
    json_document(OPENAPI_AWS)
}

fn json_document(document: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document)
}

/// `GET /swagger-ui/{file}`: a Swagger UI file, its initializer pointing at both documents.
pub(crate) async fn swagger_ui(
    file: web::Path<String>,
    config: web::Data<Config<'static>>,
) -> Result<HttpResponse, ApiError> {
    match utoipa_swagger_ui::serve(&file, config.into_inner()) {
        Ok(Some(file)) => {
            let mut response = HttpResponse::Ok();
            if file.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            Ok(response
                .content_type(file.content_type)
                .body(file.bytes.into_owned()))
        }
        Ok(None) => Err(ApiError::NotFound),
        Err(error) => {
            log::error!("Swagger UI could not serve {file}: {error}");
            Err(ApiError::Panic)
        }
    }
}
