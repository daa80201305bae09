//! `cargo xtask`: the project's own tasks, in Rust so they run wherever cargo does.

use clap::Parser;

/// Project tasks for ccstore.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Print the OpenAPI document rendered from the code.
    Openapi,
}

fn main() {
    match Task::parse() {
        Task::Openapi => println!("{}", ccstore_server::docs::rendered_openapi()),
    }
}
