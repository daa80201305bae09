//! The service documents itself: `/openapi.json` and Swagger UI, served from the binary.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::Value;

use crate::support::{app, header};

#[actix_rt::test]
async fn openapi_json_describes_refresh_its_schemas_and_bearer_auth() {
    let (app, _) = app().await;
    let spec: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get().uri("/openapi.json").to_request(),
    )
    .await;
    let operation = &spec["paths"]["/ccstore/v1/refresh"]["post"];
    assert_eq!(operation["operationId"], "refresh");
    assert_eq!(
        operation["security"][0]["bearerAuth"],
        serde_json::json!([])
    );
    for schema in ["refresh_request", "refresh_response", "errorModel"] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    let status = &spec["components"]["schemas"]["errorModel"]["properties"]["status"];
    assert_eq!(status["type"], "string");
    let scheme = &spec["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
}

/// A committed file of `openapi/`, read from disk.
fn committed(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../openapi/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[actix_rt::test]
async fn every_spec_variant_is_served_byte_identical_to_the_committed_files() {
    let (app, _) = app().await;
    for (path, file) in [
        ("/openapi.json", "openapi.json"),
        ("/openapi-3.0.json", "openapi-3.0.json"),
        ("/openapi-aws.json", "openapi-aws.json"),
    ] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "content-type"), "application/json");
        let served = test::read_body(response).await;
        assert!(
            served.as_ref() == committed(file).as_slice(),
            "{path} differs from openapi/{file}"
        );
    }
}

#[actix_rt::test]
async fn the_30_variant_is_openapi_303() {
    let (app, _) = app().await;
    let spec: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri("/openapi-3.0.json")
            .to_request(),
    )
    .await;
    assert_eq!(spec["openapi"], "3.0.3");
    assert_eq!(
        spec["paths"]["/ccstore/v1/refresh"]["post"]["operationId"],
        "refresh"
    );
}

#[actix_rt::test]
async fn posting_to_a_spec_is_405_with_allow_get_head_options() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        test::TestRequest::post().uri("/openapi.json").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), "GET, HEAD, OPTIONS");
    let body: Value = test::read_body_json(response).await;
    crate::support::assert_error_model(&body, 405);
}

#[actix_rt::test]
async fn swagger_ui_is_served_from_the_binary_and_points_at_the_spec() {
    let (app, _) = app().await;
    let page = test::call_service(
        &app,
        test::TestRequest::get().uri("/swagger-ui/").to_request(),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
    assert!(html.contains("swagger-ui"), "{html}");

    let initializer = test::call_and_read_body(
        &app,
        test::TestRequest::get()
            .uri("/swagger-ui/swagger-initializer.js")
            .to_request(),
    )
    .await;
    let initializer = String::from_utf8_lossy(&initializer);
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert!(initializer.contains("/openapi-3.0.json"), "{initializer}");
    assert!(
        initializer.contains("persistAuthorization"),
        "{initializer}"
    );

    let bundle = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/swagger-ui/swagger-ui-bundle.js")
            .to_request(),
    )
    .await;
    assert_eq!(bundle.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn swagger_ui_without_the_slash_redirects() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        test::TestRequest::get().uri("/swagger-ui").to_request(),
    )
    .await;
    assert!(response.status().is_redirection());
    assert_eq!(header(&response, "location"), "/swagger-ui/");
}

#[actix_rt::test]
async fn an_unknown_swagger_ui_file_is_a_404_error_model() {
    let (app, _) = app().await;
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/swagger-ui/no-such-file.js")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = test::read_body_json(response).await;
    crate::support::assert_error_model(&body, 404);
}
