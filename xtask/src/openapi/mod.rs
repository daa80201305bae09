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
const EXTENSIONS: &str = "openapi/extensions.json";

/// Keys whose values are maps of names (paths, statuses, media types, properties, components...):
/// a property called `type` or `example` is a name there, not a keyword.
const NAME_MAPS: &str = "paths responses content headers callbacks examples links encoding \
    parameters requestBodies securitySchemes variables schemas properties mapping";

fn is_name_map(key: &str) -> bool {
    NAME_MAPS.split_whitespace().any(|map| map == key)
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// The documented contract, parsed.
fn documented() -> Value {
    parse(&read(DOCUMENTED))
}

/// Writes every document, or with `check` verifies that the committed ones are current; every
/// file is checked so that one run reports every stale one.
pub(crate) fn regenerate(check: bool) -> bool {
    let spec_31 = ccstore_server::rendered_openapi();
    let spec_30 = v30::to_openapi30(&parse(&spec_31));
    let pretty = |value| serde_json::to_string_pretty(value).expect("serializes") + "\n";
    let specs = [spec_31, pretty(&spec_30), pretty(&aws::to_aws(&spec_30))];
    let mut fresh = true;
    for (path, spec) in SPECS.into_iter().zip(specs) {
        fresh &= ensure_contents(path, &spec, check, "cargo xtask openapi");
    }
    fresh
}

/// Prints the comparison of the spec with the documented one; `true` when it passes.
pub(crate) fn diff_against_documented() -> bool {
    let allow = diff::allow_list(&read(EXTENSIONS));
    let allow = allow.unwrap_or_else(|e| panic!("{EXTENSIONS}: {e}"));
    let generated = parse(&ccstore_server::rendered_openapi());
    let report = diff::diff(&generated, &documented(), &allow);
    println!("{report}");
    report.passes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_documents_are_current_and_the_spec_matches_the_documented_schema() {
        let stale = "a committed OpenAPI document is stale: run `cargo xtask openapi`";
        assert!(super::regenerate(true), "{stale}");
        let departs = "the spec departs from the documented one (report above)";
        assert!(super::diff_against_documented(), "{departs}");
    }
}
