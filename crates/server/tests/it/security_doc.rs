//! `docs/security.md` names, for each claim, the test that proves it. This keeps those names
//! true: every `file::test` it cites (after `core` or `server`) is a test function in that file,
//! so a renamed or deleted test cannot leave the document pointing at nothing.

use std::path::{Path, PathBuf};

const DOC: &str = include_str!("../../../../docs/security.md");

/// The file and function a citation names: `verify::x` is an integration test
/// (`tests/it/verify.rs`), `token::codec::tests::x` a unit test (`src/token/codec.rs`, or
/// `src/token/codec/mod.rs`), `properties::` a whole file.
fn cited(crate_dir: &Path, citation: &str) -> (PathBuf, Option<String>) {
    let parts: Vec<&str> = citation.split("::").collect();
    match parts.as_slice() {
        [file, name] if crate_dir.join(format!("tests/it/{file}.rs")).exists() => (
            crate_dir.join(format!("tests/it/{file}.rs")),
            (!name.is_empty()).then(|| (*name).to_owned()),
        ),
        [module @ .., "tests", name] if !module.is_empty() => {
            let module = module.join("/");
            let file = crate_dir.join(format!("src/{module}.rs"));
            let path = if file.exists() {
                file
            } else {
                crate_dir.join(format!("src/{module}/mod.rs"))
            };
            (path, Some((*name).to_owned()))
        }
        _ => panic!("cannot read the citation `{citation}`"),
    }
}

#[test]
fn every_test_security_md_cites_exists() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    for row in DOC.lines().filter(|line| line.starts_with('|')) {
        let proof = row.rsplit(" | ").next().unwrap_or_default();
        let mut crate_dir = None;
        for (index, piece) in proof.split('`').enumerate() {
            if index % 2 == 0 {
                // Outside backticks: the last crate named applies to the citations after it.
                for word in piece.split(|c: char| !c.is_alphanumeric()) {
                    if word == "core" || word == "server" {
                        crate_dir = Some(crates.join(word));
                    }
                }
            } else if piece.contains("::")
                && let Some(dir) = &crate_dir
            {
                let (path, name) = cited(dir, piece);
                let source = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("`{piece}`: {}: {error}", path.display()));
                if let Some(name) = name {
                    assert!(
                        source.contains(&format!("fn {name}(")),
                        "docs/security.md cites `{piece}`, but {} has no fn {name}",
                        path.display()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} citations found: is the table's layout the same?"
    );
}
