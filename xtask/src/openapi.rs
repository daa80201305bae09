//! The OpenAPI pipeline: render the spec from the code, derive the 3.0.3 variant for gateways,
//! keep both committed files current, and hold the spec to the documented schema.

use serde_json::Value;

use crate::files::{ensure_contents, read};
use crate::{openapi30, spec_diff};

/// The OpenAPI 3.1 document rendered from the code, committed and served as `/openapi.json`.
pub(crate) const SPEC_31: &str = "openapi/openapi.json";
/// Its OpenAPI 3.0.3 variant, served as `/openapi-3.0.json`.
pub(crate) const SPEC_30: &str = "openapi/openapi-3.0.json";
/// The hand transcription of the vendor's reference page.
pub(crate) const DOCUMENTED: &str = "openapi/documented.json";
/// Extensions over the documented schema that ccstore is allowed, each with its reason.
pub(crate) const ALLOWED_EXTENSIONS: &str = "openapi/extensions.json";

const FIX: &str = "cargo xtask openapi";

/// Both documents as rendered from the current code: (3.1, 3.0.3).
pub(crate) fn render() -> (String, String) {
    let spec_31 = ccstore_server::docs::rendered_openapi();
    let parsed: Value = serde_json::from_str(&spec_31).expect("utoipa renders valid JSON");
    let mut spec_30 = serde_json::to_string_pretty(&openapi30::to_openapi30(&parsed))
        .expect("a JSON value serializes");
    spec_30.push('\n');
    (spec_31, spec_30)
}

/// Writes both documents, or with `check` verifies that the committed ones are current.
pub(crate) fn regenerate(check: bool) -> bool {
    let (spec_31, spec_30) = render();
    // Both are checked so that one run reports every stale file.
    let fresh_31 = ensure_contents(SPEC_31, &spec_31, check, FIX);
    let fresh_30 = ensure_contents(SPEC_30, &spec_30, check, FIX);
    fresh_31 && fresh_30
}

/// The structural comparison of the spec rendered from the code with the documented schema.
pub(crate) fn documented_diff() -> spec_diff::Report {
    let (spec_31, _) = render();
    let generated: Value = serde_json::from_str(&spec_31).expect("utoipa renders valid JSON");
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
        let (_, spec_30) = render();
        let parsed: Value = serde_json::from_str(&spec_30).unwrap();
        assert_eq!(parsed["openapi"], "3.0.3");
        assert!(!spec_30.contains("\"null\""), "a 3.1 null type survived");
        assert!(parsed["info"]["license"]["url"].is_string());
    }
}
