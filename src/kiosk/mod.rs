//! The touchscreen kiosk (Slint, under its GPLv3 option). `ui/` holds the pages, widgets,
//! theme and one `export global …Adapter` per page; this module is the only Rust that
//! talks to them: `controller` answers the pages and calls the same library functions as
//! the command line, `models` turns domain values into page models, `text` holds every
//! line Rust composes in both languages, `headless` renders without a display.
//!
//! Architecture Invariant: only `src/kiosk/` uses Slint; it reaches the database through
//! `app` and the devices through `station`.

mod controller;
pub mod headless;
mod models;
mod text;
pub mod walkthrough;

slint::include_modules!();

use std::sync::{Arc, Mutex};

pub use controller::{Devices, Kiosk};

use crate::app::App;
use crate::config::HardwareMode;
use crate::devices::reader::{PollSettings, Poller};
use crate::station::{self, printing::PrintWorker};

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("无法打开窗口：{0} / cannot open the window: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error(transparent)]
    Station(#[from] station::StationError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("截图失败 {path}：{message} / screenshot failed {path}: {message}")]
    Snapshot { path: std::path::PathBuf, message: String },
}

/// The configured devices, started: readers polling on their threads, the print worker,
/// the buzzer. In simulated mode the demo's card and QR panel is shown instead of readers.
pub fn devices(app: &App) -> Result<Devices, KioskError> {
    let hw = &app.config.hardware;
    let mut readers = Vec::new();
    if hw.mode == HardwareMode::Real {
        let settings = PollSettings { interval: hw.id_reader_poll, ..PollSettings::default() };
        let spawn = |r| {
            Poller::spawn(r, settings)
                .map_err(|e| crate::store::StoreError::Io { path: app.data_dir().to_path_buf(), source: e })
        };
        readers.push(spawn(station::id_reader(hw, app.device_key()))?);
        if let Some(r) = station::member_reader(hw) {
            readers.push(spawn(r)?);
        }
    }
    let print_worker = Some(PrintWorker::spawn(
        app.data_dir().to_path_buf(),
        app.tz(),
        station::printer(hw, app.data_dir()),
        app.clock.clone(),
    )?);
    // A device that cannot be opened is a warning on the staff devices tab (and in
    // `doctor`), never a reason not to check customers in.
    let mut states = Vec::new();
    let buzzer = match station::buzzer(hw) {
        Ok(Some(b)) => {
            states.push((station::BUZZER, true, "正常 / ready".to_string()));
            Some(Arc::new(Mutex::new(b)))
        }
        Ok(None) => {
            states.push((station::BUZZER, true, "未配置 / none configured".to_string()));
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "buzzer unavailable: the kiosk runs without it");
            states.push((station::BUZZER, false, e.to_string()));
            None
        }
    };
    Ok(Devices { readers, print_worker, buzzer, simulator: hw.mode == HardwareMode::Sim, states })
}

/// Runs the kiosk in a window until it is closed.
pub fn run(app: App) -> Result<(), KioskError> {
    let devices = devices(&app)?;
    let ui = KioskWindow::new()?;
    let _kiosk = Kiosk::attach(&ui, app, devices);
    ui.run()?;
    Ok(())
}

/// Whether a window can be opened here (a display for winit, or a console for linuxkms).
pub fn has_display() -> bool {
    let backend = std::env::var("SLINT_BACKEND").unwrap_or_default();
    backend.starts_with("linuxkms")
        || std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}
