//! The committed OpenAPI documents, served byte for byte as `cargo xtask openapi` wrote them.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

/// `openapi/openapi.json`: OpenAPI 3.1, rendered from the code.
pub(crate) const OPENAPI_31: &str = include_str!("../../../../openapi/openapi.json");
/// `openapi/openapi-3.0.json`: the same API as OpenAPI 3.0.3, for gateways that reject 3.1.
pub(crate) const OPENAPI_30: &str = include_str!("../../../../openapi/openapi-3.0.json");

/// `GET /openapi.json`.
pub(crate) async fn openapi_31() -> HttpResponse {
    json_document(OPENAPI_31)
}

/// `GET /openapi-3.0.json`.
pub(crate) async fn openapi_30() -> HttpResponse {
    json_document(OPENAPI_30)
}

fn json_document(document: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document)
}
