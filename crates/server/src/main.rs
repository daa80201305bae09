//! The `ccstore-server` binary: parse the configuration, start logging, then serve or mint.

use std::process::ExitCode;

use ccstore_server::config::{Cli, Command};
use ccstore_server::{logging, startup};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.settings.log_format);
    let outcome = match cli.command {
        Some(Command::Token {
            sub,
            family,
            claims,
        }) => startup::mint(&cli.settings, &family, &sub, claims).map(|token| {
            println!("{token}");
        }),
        Some(Command::Serve) | None => {
            actix_web::rt::System::new().block_on(startup::serve(cli.settings))
        }
    };
    let code = match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error}");
            ExitCode::FAILURE
        }
    };
    logging::flush();
    code
}
