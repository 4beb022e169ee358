//! `salonbox doctor`, `salonbox device …` and the `--print` of tickets, receipts and
//! reports: the command line's way to the hardware.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use super::{CliError, Outcome, msg, print_json, say};
use crate::app::App;
use crate::config::{Config, HardwareMode};
use crate::devices::buzzer::{Buzzer, Pattern, SimBuzzer};
use crate::devices::reader::{CardRead, CardReader, LineProtocol, LineReader, SamReader};
use crate::devices::serial::SerialSettings;
use crate::station::printing::{self, Drained};
use crate::station::{self, StationError, doctor};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProtocolArg {
    /// 二代身份证 SAM 模块 / identity-card SAM module
    Sam,
    /// 每张卡一行 / one line per card or QR code
    Line,
    /// RDM6300 125 kHz
    Rdm6300,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// 读一张卡并显示（身份证号打码）/ read one card and show it (the id number masked)
    ReadCard {
        /// 串口，默认取配置 / serial port (default: from the configuration)
        #[arg(long)]
        port: Option<String>,
        #[arg(long, value_enum, default_value = "sam")]
        protocol: ProtocolArg,
        /// 波特率 / speed (default: the configuration's, 115200 for sam)
        #[arg(long)]
        baud: Option<u32>,
        /// 最多等待秒数 / give up after this many seconds
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 打印测试页 / print a test page
    PrintTest,
    /// 蜂鸣器响一次（appointment、walkin、vip、error）/ sound a buzzer pattern
    Beep {
        /// appointment, walkin, vip or error
        pattern: String,
    },
    /// 打印队列 / the print queue
    PrintQueue {
        /// 另外显示最近几条已完成的 / also show this many finished jobs
        #[arg(long, default_value_t = 10)]
        recent: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

impl From<StationError> for CliError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::App(a) => CliError::App(a),
            other => CliError::Device(other.to_string()),
        }
    }
}

/// `salonbox doctor`: works on an uninitialised data directory too (and says so).
pub fn doctor(
    config: &Config,
    data_dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
    json: bool,
) -> Result<Outcome, CliError> {
    let checks = doctor::run(config, data_dir, now);
    if json {
        print_json(&checks)?;
    } else {
        for c in &checks {
            say(&msg::doctor_line(c.ok, &c.name, &c.detail, c.hint.as_deref()))?;
        }
    }
    Ok(if checks.iter().all(|c| c.ok) { Outcome::Ok } else { Outcome::Problems })
}

/// What `read-card --json` prints. The id number appears only masked and as the keyed hash.
#[derive(Serialize)]
struct CardShown {
    kind: &'static str,
    id_masked: Option<String>,
    id_hash: Option<String>,
    name: Option<String>,
    gender: Option<String>,
    birth: Option<String>,
    valid_to: Option<String>,
    code: Option<String>,
}

/// `salonbox device read-card`; `device_key` is the shop's when the data directory is
/// initialised (then the keyed hash is shown), otherwise a throwaway key.
pub fn read_card(
    config: &Config,
    device_key: Option<&[u8]>,
    port: Option<String>,
    protocol: ProtocolArg,
    baud: Option<u32>,
    timeout: u64,
    json: bool,
) -> Result<Outcome, CliError> {
    let hw = &config.hardware;
    let (port, default_baud) = match protocol {
        ProtocolArg::Sam => (port.unwrap_or_else(|| hw.id_reader_port.clone()), hw.id_reader_baud),
        _ => (
            port.or_else(|| hw.card_reader_port.clone()).ok_or_else(|| CliError::Usage(msg::card_port_needed()))?,
            hw.card_reader_baud,
        ),
    };
    let settings = SerialSettings { path: port, baud: baud.unwrap_or(default_baud) };
    let throwaway: [u8; 32] = rand::random();
    let mut reader: Box<dyn CardReader> = match protocol {
        ProtocolArg::Sam => Box::new(SamReader::new(settings, device_key.unwrap_or(&throwaway))),
        ProtocolArg::Line => Box::new(LineReader::new(settings, LineProtocol::Line)),
        ProtocolArg::Rdm6300 => Box::new(LineReader::new(settings, LineProtocol::Rdm6300)),
    };
    if !json {
        say(&msg::place_card(&reader.name()))?;
    }
    let deadline = Instant::now() + Duration::from_secs(timeout);
    // What went wrong last while asking again (a silent or garbled answer), for the message
    // at the end: a corrupt answer is not silence.
    let mut last_problem: Option<String> = None;
    let read = loop {
        match reader.poll() {
            Ok(Some(r)) => break r,
            Ok(None) => last_problem = None,
            // a card problem, or a reader that answered badly this time: say so (once per
            // change) and keep asking while time is left
            Err(e) if e.is_card_problem() || e.is_transient() => {
                let m = e.to_string();
                if !json && last_problem.as_deref() != Some(&m) {
                    say(&m)?;
                }
                tracing::info!(error = %e, "read-card: asking again");
                last_problem = e.is_transient().then_some(m);
            }
            Err(e) => return Err(CliError::Device(e.to_string())),
        }
        if Instant::now() >= deadline {
            return Err(CliError::Device(match last_problem {
                Some(why) => msg::no_card_read_because(timeout, &why),
                None => msg::no_card_read(timeout),
            }));
        }
        std::thread::sleep(hw.id_reader_poll.min(Duration::from_millis(300)));
    };
    let shown = match read {
        CardRead::IdCard(c) => CardShown {
            kind: "id_card",
            id_masked: Some(c.key.masked.clone()),
            id_hash: device_key.map(|_| c.key.hash.clone()),
            name: Some(c.name.clone()),
            gender: Some(c.gender.as_str().to_string()),
            birth: Some(c.birth.to_string()),
            valid_to: Some(c.valid_to.clone().unwrap_or_else(|| "长期".into())),
            code: None,
        },
        CardRead::Member(code) => CardShown {
            kind: "member_code",
            id_masked: None,
            id_hash: None,
            name: None,
            gender: None,
            birth: None,
            valid_to: None,
            code: Some(code),
        },
    };
    if json {
        print_json(&shown)?;
    } else {
        for (k, v) in [
            ("身份证 ID", &shown.id_masked),
            ("姓名 name", &shown.name),
            ("性别 sex", &shown.gender),
            ("出生 birth", &shown.birth),
            ("有效期至 valid to", &shown.valid_to),
            ("卡号/二维码 code", &shown.code),
        ] {
            if let Some(v) = v {
                say(&format!("{k}: {v}"))?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// Sends what is queued to the configured printer once, and says how it went (unless the
/// output is JSON or CSV: then only the exit code and the log tell).
pub fn print_now(app: &mut App, quiet: bool) -> Result<Outcome, CliError> {
    let mut printer = station::printer(&app.config.hardware, app.data_dir());
    let r = printing::print_pending(app, printer.as_mut())?;
    let transcript =
        (app.config.hardware.mode == HardwareMode::Sim).then(|| app.data_dir().join(station::SIM_PRINTER_TRANSCRIPT));
    let (printed, failed) = match r {
        Drained::Empty { printed } | Drained::Waiting { printed, .. } => (printed, None),
        Drained::Failed { printed, error } => (printed, Some(error)),
    };
    if !quiet {
        say(&msg::printed(printed, transcript.as_deref()))?;
    }
    match failed {
        None => Ok(Outcome::Ok),
        Some(error) => {
            tracing::warn!(error = %error, "print failed");
            if quiet {
                eprintln!("{}", msg::print_failed(&error));
            } else {
                say(&msg::print_failed(&error))?;
            }
            Ok(Outcome::Problems)
        }
    }
}

pub fn run(app: &mut App, cmd: DeviceCmd) -> Result<Outcome, CliError> {
    match cmd {
        DeviceCmd::ReadCard { .. } => unreachable!("handled before the app opens"),
        DeviceCmd::PrintTest => {
            printing::queue_test_page(app)?;
            print_now(app, false)
        }
        DeviceCmd::Beep { pattern } => {
            let p = Pattern::parse(&pattern).ok_or_else(|| CliError::Usage(msg::unknown_pattern(&pattern)))?;
            // a test from the desk sounds even in quiet hours
            match app.config.hardware.mode {
                HardwareMode::Sim => {
                    let mut b = SimBuzzer::new(false);
                    b.play(p)?;
                    say(&msg::sim_beep(p.as_str(), p.steps()))?;
                }
                HardwareMode::Real => match station::buzzer(&app.config.hardware)? {
                    Some(mut b) => b.inner.play(p)?,
                    None => return Err(CliError::Usage(msg::no_buzzer())),
                },
            }
            Ok(Outcome::Ok)
        }
        DeviceCmd::PrintQueue { recent, json } => {
            let jobs = app.print_jobs(recent)?;
            if json {
                print_json(&jobs)?;
            } else {
                let tz = app.tz();
                let rows: Vec<[String; 5]> = jobs
                    .iter()
                    .map(|j| {
                        [
                            j.id.to_string(),
                            j.kind.clone(),
                            msg::print_status(&j.status),
                            crate::domain::time::local_dt(j.created_at, tz),
                            j.last_error.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                say(super::table::render(msg::headers_print_jobs(), &rows).trim_end())?;
            }
            Ok(Outcome::Ok)
        }
    }
}

impl From<crate::devices::DeviceError> for CliError {
    fn from(e: crate::devices::DeviceError) -> Self {
        CliError::Device(e.to_string())
    }
}
