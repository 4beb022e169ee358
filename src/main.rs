//! The `salonbox` binary: parse the command line, set up logging, run, report.

use std::process::ExitCode;

use clap::Parser;
use salonbox::cli::{Cli, messages, run};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("SALONBOX_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).map_err(anyhow::Error::from) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("{}: {e:#}", messages::ERROR_PREFIX);
            ExitCode::from(1)
        }
    }
}
