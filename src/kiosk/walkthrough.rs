//! The demo's scripted morning, played on the real kiosk without a display: an arrival
//! with an appointment types her phone number, a regular walks in with her member QR code
//! and picks a service and a beautician, a stranger swipes an ID card nobody registered,
//! the screen switches to English, and the idle timer clears it. Every screen is saved as a
//! PNG and every printed ticket as text.

use std::path::{Path, PathBuf};
use std::time::Duration;

use slint::ComponentHandle;

use super::headless::{self, key, snapshot, tap};
use super::{CustomerAdapter, Devices, Kiosk, KioskAdapter, KioskError, KioskWindow, TicketAdapter};
use crate::app::App;
use crate::devices::escpos_read::decode;
use crate::devices::printer::SimPrinter;
use crate::domain::model::AppointmentStatus;
use crate::station::printing;

/// What the walk-through produced.
#[derive(Debug, Default)]
pub struct Played {
    pub screens: Vec<PathBuf>,
    /// `(who, ticket)` for each check-in made at the kiosk.
    pub tickets: Vec<(String, String)>,
    /// The printed tickets as text.
    pub printed: PathBuf,
}

/// Plays the morning on `app` (an open, seeded shop), writing into `out`.
pub fn play(mut app: App, out: &Path) -> Result<Played, KioskError> {
    std::fs::create_dir_all(out)
        .map_err(|e| KioskError::Snapshot { path: out.to_path_buf(), message: e.to_string() })?;
    headless::init()?;
    // who is due now, and a regular without an appointment
    let now = app.now();
    let window = app.config.checkin.window;
    let due_phone = app
        .appointments_on(None, None, false)
        .map_err(station)?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked && window.matches(a.starts_at, now))
        .find_map(|a| app.customer_by_key(&a.customer_id).ok()?.phone);

    let ui = KioskWindow::new()?;
    headless::set_size(&ui, 800, 480);
    let kiosk = Kiosk::attach(&ui, app, Devices { simulator: true, ..Devices::default() });
    ui.show()?;
    let mut played = Played::default();
    let mut n = 0;
    let mut shot = |ui: &KioskWindow, name: &str, played: &mut Played| -> Result<(), KioskError> {
        n += 1;
        headless::advance(Duration::from_millis(300));
        let path = out.join(format!("{n:02}-{name}.png"));
        snapshot(ui, &path)?;
        played.screens.push(path);
        Ok(())
    };
    let ticket = |ui: &KioskWindow, played: &mut Played| {
        let t = ui.global::<TicketAdapter>();
        played.tickets.push((t.get_greeting().to_string(), t.get_ticket().to_string()));
    };

    shot(&ui, "welcome", &mut played)?;
    if let Some(phone) = due_phone {
        tap(&ui, "WelcomePage::checkin-button");
        for d in phone.as_str().chars() {
            key(&ui, &d.to_string());
        }
        shot(&ui, "identify", &mut played)?;
        tap(&ui, "IdentifyPage::ok-button");
        shot(&ui, "appointment", &mut played)?;
        tap(&ui, "CustomerPage::confirm-button");
        ticket(&ui, &mut played);
        shot(&ui, "ticket-appointment", &mut played)?;
        tap(&ui, "TicketPage::done-button");
    }
    // a regular with her member QR code
    tap(&ui, "KioskWindow::sim-qr");
    let services = ui.global::<CustomerAdapter>().get_services();
    if let Some(s) = slint::Model::row_data(&services, 0) {
        key(&ui, &s.name);
        let staff = ui.global::<CustomerAdapter>().get_staff();
        if let Some(m) = slint::Model::row_data(&staff, 1) {
            key(&ui, &m.name);
        }
    }
    shot(&ui, "walk-in", &mut played)?;
    tap(&ui, "CustomerPage::join-button");
    ticket(&ui, &mut played);
    shot(&ui, "ticket-walk-in", &mut played)?;
    tap(&ui, "TicketPage::done-button");
    // a new customer swipes her ID card, gives her phone number and registers
    tap(&ui, "KioskWindow::sim-id");
    shot(&ui, "card-asks-for-phone", &mut played)?;
    for d in "13600000000".chars() {
        key(&ui, &d.to_string());
    }
    tap(&ui, "IdentifyPage::ok-button");
    key(&ui, "敏感泛红");
    shot(&ui, "register", &mut played)?;
    tap(&ui, "RegisterPage::next-button");
    tap(&ui, "ConsentPage::consent-tick");
    shot(&ui, "consent", &mut played)?;
    tap(&ui, "ConsentPage::register-button");
    let services = ui.global::<CustomerAdapter>().get_services();
    if let Some(s) = slint::Model::row_data(&services, 1) {
        key(&ui, &s.name);
    }
    tap(&ui, "CustomerPage::join-button");
    ticket(&ui, &mut played);
    shot(&ui, "ticket-new-customer", &mut played)?;
    tap(&ui, "TicketPage::done-button");
    // nobody touches the screen: it returns to the welcome page
    let idle = u64::from(kiosk.borrow_mut().app().config.checkin.kiosk_idle_seconds);
    headless::advance(Duration::from_secs(idle + 1));
    tap(&ui, "KioskWindow::language-button");
    shot(&ui, "welcome-english", &mut played)?;
    tap(&ui, "KioskWindow::language-button");
    headless::set_size(&ui, 720, 1280);
    shot(&ui, "welcome-portrait", &mut played)?;
    if ui.global::<KioskAdapter>().get_notice() != "" {
        tracing::debug!("a notice is still shown at the end of the walk-through");
    }

    // the tickets, as the (simulated) printer printed them
    played.printed = out.join("tickets.txt");
    let mut k = kiosk.borrow_mut();
    let sim = SimPrinter::new(None);
    let mut port = sim.clone();
    printing::print_pending(k.app(), &mut port)?;
    let text: String =
        sim.printed().iter().filter_map(|job| decode(job).ok()).map(|d| d.to_string()).collect::<Vec<_>>().join("\n");
    std::fs::write(&played.printed, text)
        .map_err(|e| KioskError::Snapshot { path: played.printed.clone(), message: e.to_string() })?;
    Ok(played)
}

fn station(e: crate::app::AppError) -> KioskError {
    KioskError::Station(e.into())
}
