//! The kiosk without a display: Slint's testing backend with the software renderer and a
//! mock clock, used by the demo's walk-through (`salonbox demo --headless`) and the tests.
//! Frames are saved as PNG.

use std::path::Path;
use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;

use super::{KioskError, KioskWindow};

/// Makes this thread render headlessly. Call once per thread, before any window exists.
pub fn init() -> Result<(), KioskError> {
    let backend = TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    });
    slint::platform::set_platform(Box::new(backend))
        .map_err(|e| KioskError::Platform(slint::PlatformError::Other(e.to_string())))
}

/// Opens the kiosk headlessly on `app` at 800×480 and saves its first frame (for the
/// start-up benchmark: process start to first frame).
pub fn first_frame(app: crate::app::App, png: &Path) -> Result<(), KioskError> {
    init()?;
    let ui = KioskWindow::new()?;
    set_size(&ui, 800, 480);
    let _kiosk = super::Kiosk::attach(&ui, app, super::Devices::default());
    ui.show()?;
    snapshot(&ui, png)
}

/// Lets `by` pass on Slint's clock: timers fire, animations finish.
pub fn advance(by: Duration) {
    i_slint_backend_testing::mock_elapsed_time(by);
}

pub fn set_size(ui: &KioskWindow, width: u32, height: u32) {
    ui.window().set_size(slint::PhysicalSize::new(width, height));
}

/// Saves the window's current frame as a PNG.
pub fn snapshot(ui: &KioskWindow, path: &Path) -> Result<(), KioskError> {
    let fail = |message: String| KioskError::Snapshot { path: path.to_path_buf(), message };
    let frame = ui.window().take_snapshot().map_err(|e| fail(e.to_string()))?;
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut png = png::Encoder::new(std::io::BufWriter::new(file), frame.width(), frame.height());
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    let mut w = png.write_header().map_err(|e| fail(e.to_string()))?;
    w.write_image_data(frame.as_bytes()).map_err(|e| fail(e.to_string()))?;
    w.finish().map_err(|e| fail(e.to_string()))
}

/// The element with this id (`Component::id`, e.g. `IdentifyPage::ok-button`), if shown.
pub fn element(ui: &KioskWindow, id: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_element_id(ui, id).next()
}

/// Taps the element (its accessible default action, as a screen reader would).
pub fn tap(ui: &KioskWindow, id: &str) -> bool {
    match element(ui, id) {
        Some(e) => {
            e.invoke_accessible_default_action();
            true
        }
        None => false,
    }
}

/// Taps the element with this accessible label (a keypad key, a service, a choice).
pub fn key(ui: &KioskWindow, label: &str) -> bool {
    match by_label(ui, label) {
        Some(e) => {
            e.invoke_accessible_default_action();
            true
        }
        None => false,
    }
}

/// The first element with this accessible label (a field, a choice).
pub fn by_label(ui: &KioskWindow, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui, label).next()
}
