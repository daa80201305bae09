//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does.

// A developer tool: failing loudly on bad input is the right behaviour here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// "OpenAPI" is a name, not code; clap shows these doc comments as `--help` text.
#![allow(clippy::doc_markdown)]

mod openapi30;
mod spec_diff;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use serde_json::Value;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Compare a generated OpenAPI document with the documented one; exit 1 on any difference
    /// or on an extension the allow-list does not name.
    Diff {
        /// The generated OpenAPI 3.1 document (JSON).
        #[arg(long)]
        generated: PathBuf,
        /// The documented OpenAPI document (JSON) [default: openapi/documented.json].
        #[arg(long)]
        documented: Option<PathBuf>,
        /// The allow-list of extensions [default: openapi/extensions.json].
        #[arg(long)]
        allow: Option<PathBuf>,
    },
    /// Convert an OpenAPI 3.1 document (JSON) to OpenAPI 3.0.3 for API gateways.
    To30 {
        /// The OpenAPI 3.1 input.
        input: PathBuf,
        /// Where to write the OpenAPI 3.0.3 output.
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    match Task::parse() {
        Task::Diff {
            generated,
            documented,
            allow,
        } => {
            let documented = documented.unwrap_or_else(|| repo_file("openapi/documented.json"));
            let allow = allow.unwrap_or_else(|| repo_file("openapi/extensions.json"));
            let allow_text = read(&allow);
            let allow_list = spec_diff::AllowList::from_json(&allow_text)
                .unwrap_or_else(|e| panic!("{}: {e}", allow.display()));
            let report =
                spec_diff::diff(&read_json(&generated), &read_json(&documented), &allow_list);
            print!("{report}");
            if report.passes() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Task::To30 { input, output } => {
            let converted = openapi30::to_openapi30(&read_json(&input));
            let mut text = serde_json::to_string_pretty(&converted).expect("serialize");
            text.push('\n');
            std::fs::write(&output, text)
                .unwrap_or_else(|e| panic!("writing {}: {e}", output.display()));
            ExitCode::SUCCESS
        }
    }
}

/// A path in the repository, wherever `cargo xtask` was started from.
fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
