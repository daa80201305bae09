//! Generated files go through one function that writes them, or in check mode compares them and
//! says how to fix a stale one.

use std::path::{Path, PathBuf};

use similar::TextDiff;

/// A path in the repository, wherever `cargo xtask` was started from.
pub(crate) fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Reads a repository file that must exist.
pub(crate) fn read(relative: &str) -> String {
    let path = repo_file(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Makes `relative` hold `contents`. With `check` nothing is written: a stale file is reported
/// with a unified diff and the command `fix` that regenerates it, and `false` is returned.
pub(crate) fn ensure_contents(relative: &str, contents: &str, check: bool, fix: &str) -> bool {
    let path = repo_file(relative);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == contents {
        return true;
    }
    if check {
        let [old, new] = ["committed", "from the code"].map(|side| format!("{relative} ({side})"));
        let diff = TextDiff::from_lines(&current, contents);
        let diff = diff.unified_diff().header(&old, &new).to_string();
        eprintln!("{relative} is stale:\n{diff}\nRun `{fix}` and commit the result.");
        return false;
    }
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("updated {relative}");
    true
}
