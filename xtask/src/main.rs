//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does.

use clap::Parser;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {}

fn main() {
    match Task::parse() {}
}
