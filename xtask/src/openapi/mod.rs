//! `cargo xtask openapi [--check]` and `cargo xtask diff`: render the 3.1 spec from the code,
//! derive the 3.0.3 and AWS variants from it, keep the committed files current, and hold the
//! spec to the documented schema.

mod aws;
mod diff;
mod v30;

use serde_json::Value;

use crate::files::{ensure_contents, read};

/// The committed documents: 3.1 from the code (served as `/openapi.json`), its 3.0.3 variant and
/// the 3.0.3 variant AWS API Gateway imports.
const SPECS: [&str; 3] = [
    "openapi/openapi.json",
    "openapi/openapi-3.0.json",
    "openapi/openapi-aws.json",
];
/// The hand transcription of the vendor's reference page, and the extensions allowed over it.
const DOCUMENTED: &str = "openapi/documented.json";
const ALLOWED_EXTENSIONS: &str = "openapi/extensions.json";

/// The three documents, in the order of [`SPECS`], as rendered from the current code.
fn render() -> [String; 3] {
    let spec_31 = ccstore_server::rendered_openapi();
    let parsed: Value = serde_json::from_str(&spec_31).expect("utoipa renders valid JSON");
    let spec_30 = v30::to_openapi30(&parsed);
    let pretty =
        |value: &Value| serde_json::to_string_pretty(value).expect("JSON serializes") + "\n";
    [spec_31, pretty(&spec_30), pretty(&aws::to_aws(&spec_30))]
}

/// Writes every document, or with `check` verifies that the committed ones are current; every
/// file is checked so that one run reports every stale one.
pub(crate) fn regenerate(check: bool) -> bool {
    let fresh = SPECS
        .into_iter()
        .zip(render())
        .map(|(path, text)| ensure_contents(path, &text, check, "cargo xtask openapi"));
    fresh.filter(|fresh| !fresh).count() == 0
}

/// The structural comparison of the rendered spec with the documented schema.
fn documented_diff() -> diff::Report {
    let [spec_31, ..] = render();
    let generated: Value = serde_json::from_str(&spec_31).expect("utoipa renders valid JSON");
    let documented: Value =
        serde_json::from_str(&read(DOCUMENTED)).expect("documented.json is JSON");
    let allow = diff::allow_list(&read(ALLOWED_EXTENSIONS))
        .unwrap_or_else(|e| panic!("{ALLOWED_EXTENSIONS}: {e}"));
    diff::diff(&generated, &documented, &allow)
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
    fn committed_documents_are_current_and_the_spec_matches_the_documented_schema() {
        assert!(
            regenerate(true),
            "a committed OpenAPI document is stale: run `cargo xtask openapi`"
        );
        let report = documented_diff();
        assert!(
            report.passes(),
            "the spec departs from {DOCUMENTED}:\n{report}"
        );
    }
}
