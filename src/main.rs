//! The `salonbox` binary: parse the command line, set up logging, run, report.

use std::process::ExitCode;

use clap::Parser;
use salonbox::cli::{Cli, messages, run};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own text is English: a Chinese line first.
            if let Some(zh) = messages::usage_error_zh(&e) {
                eprintln!("{zh}");
            }
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // The daemon logs what it does (journald keeps it); other commands only warnings
    // (`SALONBOX_LOG=salonbox::messages=info` shows what the demo's log channel "sends").
    // `SALONBOX_LOG` takes a level or `target=level` pairs (`warn,salonbox::sync=debug`); one
    // it cannot read leaves the default.
    let default = if cli.is_daemon() { LevelFilter::INFO } else { LevelFilter::WARN };
    let filter = std::env::var("SALONBOX_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default));
    // Under systemd, journald stamps and colours lines itself.
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(!journald);
    if journald {
        tracing_subscriber::registry().with(fmt.without_time()).with(filter).init();
    } else {
        tracing_subscriber::registry().with(fmt).with(filter).init();
    }
    match run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {}", messages::ERROR_PREFIX, e.report());
            ExitCode::from(1)
        }
    }
}
