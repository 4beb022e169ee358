//! `salonbox soak write|check`: the power-loss soak test. `write` checks made-up customers in
//! without end and prints one acknowledgement line after each commit; whatever stops it
//! (`kill -9`, a pulled plug), `check` then finds every acknowledged check-in in the database
//! and `PRAGMA integrity_check` ok. Run it on a data directory of its own (docs/install-pi.md
//! shows how to test a Pi's SD card with it); the test suite runs it 200 times under SIGKILL.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CliError, Outcome, msg, out, say};
use crate::app::checkin::{CheckinRequest, Identity};
use crate::app::customers::Registration;
use crate::app::{App, AppError};
use crate::domain::phone::Phone;

/// Marks a data directory as the soak test's own, so `write` never adds its customers to a shop.
const MARKER: &str = "soak-test";
/// The service the soak customers come for.
const SERVICE: &str = "耐久测试";

#[derive(Debug, Subcommand)]
pub enum SoakCmd {
    /// 不停签到，每次提交后打印一行确认（用空数据目录）/ check made-up customers in, one acknowledgement line after each commit (use an empty data directory)
    Write {
        /// 签到次数（默认不停）/ how many check-ins (default: until stopped)
        #[arg(long)]
        count: Option<u64>,
    },
    /// 核对确认行：每个已确认的签到都在，数据库完好 / check that every acknowledged check-in is stored and the database is sound
    Check {
        /// `write` 打印的确认行 / the acknowledgement lines `write` printed
        #[arg(long, value_name = "FILE")]
        acks: PathBuf,
    },
}

/// One acknowledgement: `ack <seq> <phone> <ticket> <queue entry id>`.
struct Ack {
    line: usize,
    phone: String,
    ticket: String,
    entry: String,
}

pub fn run(app: &mut App, dir: &Path, cmd: SoakCmd) -> Result<Outcome, CliError> {
    match cmd {
        SoakCmd::Write { count } => write(app, dir, count),
        SoakCmd::Check { acks } => check(app, &acks),
    }
}

fn write(app: &mut App, dir: &Path, count: Option<u64>) -> Result<Outcome, CliError> {
    let marker = dir.join(MARKER);
    if !marker.exists() {
        if !app.list_customers(1, 0)?.is_empty() {
            return Err(CliError::Usage(msg::soak_needs_empty_dir(dir)));
        }
        let io = |source| AppError::Io { path: marker.clone(), source };
        std::fs::File::create(&marker).and_then(|f| f.sync_all()).map_err(io)?;
    }
    if app.service_by_name(SERVICE)?.is_none() {
        app.add_service(SERVICE, "测试", 30, "0", None, "soak")?;
    }
    let mut o = out();
    let mut seq = 0u64;
    while count.is_none_or(|n| seq < n) {
        let phone = loop {
            let p =
                Phone::parse(&format!("199{:08}", rand::random_range(0..100_000_000u32))).map_err(AppError::from)?;
            if app.customer_by_phone(&p)?.is_none() {
                break p;
            }
        };
        app.register(&Registration {
            name: format!("耐久{seq}"),
            phone: phone.to_string(),
            privacy_notice: Some("soak".into()),
            source: "soak".into(),
            ..Default::default()
        })?;
        let done = app.check_in(&CheckinRequest {
            identity: Identity::Phone(phone.clone()),
            service: Some(SERVICE.into()),
            staff: None,
        })?;
        // Committed: only now is it acknowledged.
        writeln!(o, "ack {seq} {phone} {} {}", done.entry.ticket, done.entry.id)?;
        o.flush()?;
        seq += 1;
    }
    Ok(Outcome::Ok)
}

fn check(app: &mut App, path: &Path) -> Result<Outcome, CliError> {
    let io = |source| AppError::Io { path: path.to_path_buf(), source };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let acks = parse_acks(&text).map_err(|(line, what)| CliError::Usage(msg::soak_bad_ack(path, line, &what)))?;
    let mut missing = Vec::new();
    for a in &acks {
        // Stored means: the queue entry, with its ticket, for the customer of that phone.
        let entry = app.queue_entry(&a.entry).ok();
        let customer = Phone::parse(&a.phone).ok().and_then(|p| app.customer_by_phone(&p).ok().flatten());
        let stored = matches!((entry, customer), (Some(e), Some(c)) if e.ticket == a.ticket && e.customer_id == c.id);
        if !stored {
            missing.push(a.line);
        }
    }
    let integrity = app.integrity_check()?;
    say(&msg::soak_checked(acks.len(), &missing, &integrity))?;
    Ok(if missing.is_empty() && integrity == "ok" { Outcome::Ok } else { Outcome::Problems })
}

/// The acknowledgement lines; a last line cut short by the kill (no newline) is not one.
fn parse_acks(text: &str) -> Result<Vec<Ack>, (usize, String)> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut acks = Vec::new();
    for (i, line) in complete.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["ack", seq, phone, ticket, entry] if seq.parse::<u64>().is_ok() => acks.push(Ack {
                line: i + 1,
                phone: phone.to_string(),
                ticket: ticket.to_string(),
                entry: entry.to_string(),
            }),
            _ => return Err((i + 1, line.chars().take(60).collect())),
        }
    }
    Ok(acks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_no_ack_and_a_bad_line_is_named() {
        let a = parse_acks("ack 0 19900000001 A001 e1\nack 1 19900000002 A002 e2\nack 2 1990").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[1].line, a[1].ticket.as_str(), a[1].entry.as_str()), (2, "A002", "e2"));
        assert!(parse_acks("").unwrap().is_empty());
        let (line, what) = parse_acks("ack 0 1 A001 e1\nhello there\n").err().unwrap();
        assert_eq!((line, what.as_str()), (2, "hello there"));
    }
}
