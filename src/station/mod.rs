//! The kiosk's hardware wired to the shop: builds the configured devices (real or
//! simulated), prints what `app` produced through the print queue (`printing`), and checks
//! everything (`doctor`). The kiosk, the command line and the daemon share it.
//!
//! Architecture Invariant: `station` is the only module that knows both `app` / `store`
//! and `devices`; `devices` never touches the database and `app` never touches a device.

pub mod doctor;
pub mod printing;
pub mod sandbox;

use std::path::Path;

use thiserror::Error;

use crate::app::AppError;
use crate::config::{Hardware, HardwareMode};
use crate::devices::DeviceError;
use crate::devices::buzzer::{Buzzer, Quiet, SimBuzzer};
use crate::devices::printer::{EscposPrinter, PrinterPort, SimPrinter};
use crate::devices::reader::{CardReader, LineReader, SamReader, SimReader};
use crate::devices::serial::SerialSettings;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum StationError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Device(#[from] DeviceError),
}

pub type Result<T, E = StationError> = std::result::Result<T, E>;

/// Where the simulated printer keeps a readable copy of what it printed.
pub const SIM_PRINTER_TRANSCRIPT: &str = "printer-sim.txt";

/// A registration prefilled from an identity card: name, sex and birth date, and the card
/// as its keyed hash and masked number. The customer adds a phone number and consents.
pub fn registration_from_card(card: &crate::devices::reader::IdCardRead) -> crate::app::customers::Registration {
    crate::app::customers::Registration {
        name: card.name.clone(),
        gender: Some(card.gender.as_str().to_string()),
        birthday: Some(card.birth.to_string()),
        id_card_key: Some(card.key.clone()),
        source: "kiosk".into(),
        ..Default::default()
    }
}

/// The identity-card reader the configuration names.
pub fn id_reader(hw: &Hardware, device_key: &[u8]) -> Box<dyn CardReader> {
    match hw.mode {
        HardwareMode::Sim => Box::new(SimReader::new()),
        HardwareMode::Real => Box::new(SamReader::new(
            SerialSettings { path: hw.id_reader_port.clone(), baud: hw.id_reader_baud },
            device_key,
        )),
    }
}

/// The member-card / QR reader, if one is configured.
pub fn member_reader(hw: &Hardware) -> Option<Box<dyn CardReader>> {
    match (&hw.mode, &hw.card_reader_port) {
        (HardwareMode::Real, Some(port)) => Some(Box::new(LineReader::new(
            SerialSettings { path: port.clone(), baud: hw.card_reader_baud },
            hw.card_reader_protocol,
        ))),
        _ => None,
    }
}

/// The receipt printer. Simulated, it appends what it prints to `printer-sim.txt` in the
/// data directory.
pub fn printer(hw: &Hardware, data_dir: &Path) -> Box<dyn PrinterPort> {
    match hw.mode {
        HardwareMode::Sim => Box::new(SimPrinter::new(Some(data_dir.join(SIM_PRINTER_TRANSCRIPT)))),
        HardwareMode::Real => Box::new(EscposPrinter::new(hw.printer.clone(), hw.printer_timeout)),
    }
}

/// A buzzer that sounds (or, simulated, records) patterns, quiet in the configured hours.
pub type StationBuzzer = Quiet<Box<dyn Buzzer>>;

impl Buzzer for Box<dyn Buzzer> {
    fn name(&self) -> String {
        self.as_ref().name()
    }

    fn play(&mut self, p: crate::devices::buzzer::Pattern) -> std::result::Result<(), DeviceError> {
        self.as_mut().play(p)
    }
}

/// The `device_status` name of the buzzer.
pub const BUZZER: &str = "buzzer";

/// The buzzer the configuration names (`None` when there is none).
pub fn buzzer(hw: &Hardware) -> Result<Option<StationBuzzer>> {
    let inner: Box<dyn Buzzer> = match (&hw.mode, hw.buzzer_gpio) {
        (_, None) => return Ok(None),
        (HardwareMode::Sim, Some(_)) => Box::new(SimBuzzer::new(false)),
        (HardwareMode::Real, Some(pin)) => real_buzzer(hw, pin)?,
    };
    Ok(Some(Quiet { inner, quiet: hw.buzzer_quiet_hours }))
}

#[cfg(target_os = "linux")]
fn real_buzzer(hw: &Hardware, pin: u8) -> Result<Box<dyn Buzzer>> {
    use crate::devices::buzzer::{GpioBuzzer, Wiring};
    Ok(Box::new(GpioBuzzer::open(Wiring { pin, active_low: hw.buzzer_active_low, pwm_hz: hw.buzzer_pwm_hz })?))
}

#[cfg(not(target_os = "linux"))]
fn real_buzzer(_hw: &Hardware, pin: u8) -> Result<Box<dyn Buzzer>> {
    Err(DeviceError::Buzzer(format!("GPIO{pin}: 仅支持 Linux / only on Linux")).into())
}
