//! The `ccstore-server` binary: parse the configuration, start logging, then serve, mint, or
//! make a credential-file line.

use std::process::ExitCode;

use std::io::{self, IsTerminal};

use ccstore_server::config::{Cli, Command};
use ccstore_server::{credentials_cli, logging, startup};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.settings.log_format);
    let outcome = match cli.command {
        Some(Command::Token {
            sub,
            family,
            claims,
        }) => startup::mint(&cli.settings, &family, &sub, claims)
            .map(|token| println!("{token}"))
            .map_err(|error| error.to_string()),
        Some(Command::User(command)) => {
            let stdin = io::stdin();
            let terminal = stdin.is_terminal();
            credentials_cli::add_user(
                &cli.settings,
                &command,
                &mut stdin.lock(),
                terminal,
                &mut io::stdout(),
                &mut io::stderr(),
            )
            .map_err(|error| error.to_string())
        }
        Some(Command::AppKey(command)) => credentials_cli::new_app_key(
            &cli.settings,
            &command,
            &mut io::stdout(),
            &mut io::stderr(),
        )
        .map_err(|error| error.to_string()),
        Some(Command::Serve) | None => actix_web::rt::System::new()
            .block_on(startup::serve(cli.settings))
            .map_err(|error| error.to_string()),
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
