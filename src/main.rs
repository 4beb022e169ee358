//! The `salonbox` binary: parse the command line, set up logging, run, report.

use std::process::ExitCode;

use clap::Parser;
use salonbox::cli::{Cli, messages, run};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon logs what it does (journald keeps it); other commands only warnings
    // (`SALONBOX_LOG=salonbox::messages=info` shows what the demo's log channel "sends").
    let default = if cli.is_daemon() { "info" } else { "warn" };
    // Under systemd, journald stamps and colours lines itself.
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("SALONBOX_LOG").unwrap_or_else(|_| EnvFilter::new(default)))
        .with_writer(std::io::stderr)
        .with_ansi(!journald);
    if journald {
        fmt.without_time().init();
    } else {
        fmt.init();
    }
    match run(cli).map_err(anyhow::Error::from) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("{}: {e:#}", messages::ERROR_PREFIX);
            ExitCode::from(1)
        }
    }
}
