//! The `gridhub` binary: parses the command line and runs it.

use std::process::ExitCode;

use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    match gridhub::cli::run(gridhub::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gridhub: {message}");
            ExitCode::FAILURE
        }
    }
}
