//! The OpenAPI pipeline: render the spec from the code, derive the 3.0.3 variant and, from it, the
//! AWS API Gateway variant, keep the committed files current, and hold the spec to the documented
//! schema.

use serde_json::Value;

use crate::files::{ensure_contents, read};
use crate::{openapi_aws, openapi30, spec_diff};

/// The OpenAPI 3.1 document rendered from the code, committed and served as `/openapi.json`.
pub(crate) const SPEC_31: &str = "openapi/openapi.json";
/// Its OpenAPI 3.0.3 variant, served as `/openapi-3.0.json`.
pub(crate) const SPEC_30: &str = "openapi/openapi-3.0.json";
/// The 3.0.3 variant AWS API Gateway imports, served as `/openapi-aws.json`.
pub(crate) const SPEC_AWS: &str = "openapi/openapi-aws.json";
/// The hand transcription of the vendor's reference page.
pub(crate) const DOCUMENTED: &str = "openapi/documented.json";
/// Extensions over the documented schema that ccstore is allowed, each with its reason.
pub(crate) const ALLOWED_EXTENSIONS: &str = "openapi/extensions.json";

const FIX: &str = "cargo xtask openapi";

/// The documents as rendered from the current code.
pub(crate) struct Rendered {
    /// OpenAPI 3.1, from utoipa.
    pub(crate) openapi_31: String,
    /// Its 3.0.3 variant.
    pub(crate) openapi_30: String,
    /// The AWS API Gateway variant of the 3.0.3 one.
    pub(crate) aws: String,
}

/// Every document as rendered from the current code.
pub(crate) fn render() -> Rendered {
    let spec_31 = ccstore_server::rendered_openapi();
    let parsed: Value = serde_json::from_str(&spec_31).expect("utoipa renders valid JSON");
    let parsed_30 = openapi30::to_openapi30(&parsed);
    Rendered {
        openapi_30: pretty(&parsed_30),
        aws: pretty(&openapi_aws::to_aws(&parsed_30)),
        openapi_31: spec_31,
    }
}

/// Pretty-printed JSON with a trailing newline, as every committed document is.
fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// Writes every document, or with `check` verifies that the committed ones are current.
pub(crate) fn regenerate(check: bool) -> bool {
    let rendered = render();
    // Every file is checked so that one run reports every stale one.
    [
        (SPEC_31, &rendered.openapi_31),
        (SPEC_30, &rendered.openapi_30),
        (SPEC_AWS, &rendered.aws),
    ]
    .map(|(path, contents)| ensure_contents(path, contents, check, FIX))
    .iter()
    .all(|fresh| *fresh)
}

/// The structural comparison of the spec rendered from the code with the documented schema.
pub(crate) fn documented_diff() -> spec_diff::Report {
    let generated: Value =
        serde_json::from_str(&render().openapi_31).expect("utoipa renders valid JSON");
    let documented: Value =
        serde_json::from_str(&read(DOCUMENTED)).expect("documented.json is JSON");
    let allow = spec_diff::AllowList::from_json(&read(ALLOWED_EXTENSIONS))
        .unwrap_or_else(|e| panic!("{ALLOWED_EXTENSIONS}: {e}"));
    spec_diff::diff(&generated, &documented, &allow)
}

/// Prints the comparison; `true` when it passes.
pub(crate) fn diff_against_documented() -> bool {
    let report = documented_diff();
    println!("{report}");
    report.passes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_openapi_documents_are_current() {
        assert!(
            regenerate(true),
            "a committed OpenAPI document is stale: run `{FIX}`"
        );
    }

    #[test]
    fn generated_spec_matches_the_documented_schema() {
        let report = documented_diff();
        assert!(
            report.passes(),
            "the spec departs from openapi/documented.json:\n{report}"
        );
    }

    #[test]
    fn the_30_variant_is_openapi_303_without_31_constructs() {
        let spec_30 = render().openapi_30;
        let parsed: Value = serde_json::from_str(&spec_30).unwrap();
        assert_eq!(parsed["openapi"], "3.0.3");
        assert!(!spec_30.contains("\"null\""), "a 3.1 null type survived");
        assert!(parsed["info"]["license"]["url"].is_string());
    }

    /// Every `$ref` string in `value`.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(obj) => {
                if let Some(Value::String(r)) = obj.get("$ref") {
                    out.push(r.clone());
                }
                obj.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_aws_variant_names_every_model_alphanumerically_and_every_ref_resolves() {
        let aws: Value = serde_json::from_str(&render().aws).unwrap();
        assert_eq!(aws["openapi"], "3.0.3");
        let components = aws["components"].as_object().unwrap();
        for (kind, names) in components {
            for name in names.as_object().unwrap().keys() {
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "components.{kind}.{name}"
                );
            }
        }
        let schemas = aws["components"]["schemas"].as_object().unwrap();
        for name in [
            "refreshRequest",
            "refreshResponse",
            "errorModel",
            "healthStatus",
        ] {
            assert!(schemas.contains_key(name), "{name}");
        }
        let mut found = Vec::new();
        refs(&aws, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(aws.pointer(pointer).is_some(), "{r} does not resolve");
        }
        let scheme = &aws["components"]["securitySchemes"]["bearerAuth"];
        assert_eq!(scheme["type"], "apiKey");
        assert_eq!(scheme["name"], "Authorization");
    }

    #[test]
    fn the_aws_variant_keeps_every_path_and_method_of_the_31_document() {
        let rendered = render();
        let operations = |text: &str| {
            let doc: Value = serde_json::from_str(text).unwrap();
            let mut out = Vec::new();
            for (path, item) in doc["paths"].as_object().unwrap() {
                for method in item.as_object().unwrap().keys() {
                    out.push(format!("{method} {path}"));
                }
            }
            out
        };
        assert_eq!(operations(&rendered.aws), operations(&rendered.openapi_31));
        assert!(operations(&rendered.openapi_31).contains(&"post /ccstore/v1/refresh".to_owned()));
    }
}
