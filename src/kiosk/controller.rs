//! The kiosk's behaviour: what each touch, card and timer does. It calls the same library
//! functions as the command line (`App::identify`, `App::check_in`, `station::printing`)
//! and fills the pages' adapters.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, Timer, TimerMode, VecModel};

use super::text::{self, Lang};
use super::{CustomerAdapter, IdentifyAdapter, KioskAdapter, KioskWindow, Page, TicketAdapter, WelcomeAdapter, models};
use crate::app::App;
use crate::app::checkin::{CheckinOutcome, CheckinRequest, Identity};
use crate::app::queue::{Offer, StaffOffer};
use crate::devices::buzzer::Pattern;
use crate::devices::reader::{CardRead, Poller, ReaderEvent};
use crate::domain::customer::greeting_name;
use crate::domain::model::{Appointment, Customer};
use crate::domain::phone::Phone;
use crate::domain::time::local_hm;
use crate::station::StationBuzzer;
use crate::station::printing::{self, PRINTER, PrintWorker};

/// The devices the kiosk drives; all optional, so tests and the demo can leave any out.
#[derive(Default)]
pub struct Devices {
    /// Card readers polled on their own threads.
    pub readers: Vec<Poller>,
    pub print_worker: Option<PrintWorker>,
    pub buzzer: Option<Arc<Mutex<StationBuzzer>>>,
    /// Show the demo's card / QR simulator.
    pub simulator: bool,
}

/// One customer's visit to the screen; cleared on every return to the welcome page.
#[derive(Default)]
struct Visit {
    digits: String,
    identity: Option<Identity>,
    customer: Option<Customer>,
    appointment: Option<Appointment>,
    offers: Vec<Offer>,
    service: Option<String>,
    staff_offers: Vec<StaffOffer>,
    staff: Option<String>,
}

pub struct Kiosk {
    app: App,
    ui: slint::Weak<KioskWindow>,
    lang: Lang,
    visit: Visit,
    devices: Devices,
    idle: Timer,
    ticks: Vec<Timer>,
    /// Patterns asked of the buzzer, in order (what tests and the demo log check).
    pub beeps: Vec<Pattern>,
    /// Which demo customer the next simulated member QR belongs to.
    sim_next: usize,
}

impl Kiosk {
    /// Wires the kiosk to a window: callbacks, the idle timer (configured seconds), the
    /// clock and the card readers' events.
    pub fn attach(ui: &KioskWindow, app: App, devices: Devices) -> Rc<RefCell<Kiosk>> {
        let idle_after = Duration::from_secs(app.config.checkin.kiosk_idle_seconds.max(5).into());
        let kiosk = Rc::new(RefCell::new(Kiosk {
            app,
            ui: ui.as_weak(),
            lang: Lang::Zh,
            visit: Visit::default(),
            devices,
            idle: Timer::default(),
            ticks: Vec::new(),
            beeps: Vec::new(),
            sim_next: 0,
        }));
        let weak = Rc::downgrade(&kiosk);
        {
            let k = kiosk.borrow();
            // fires once after the last touch (a touch restarts it); on the welcome page a reset
            // changes nothing
            k.idle.start(TimerMode::SingleShot, idle_after, with(&weak, Kiosk::reset));
        }
        let clock = Timer::default();
        clock.start(TimerMode::Repeated, Duration::from_secs(10), with(&weak, Kiosk::show_clock));
        let readers = Timer::default();
        readers.start(TimerMode::Repeated, Duration::from_millis(100), with(&weak, Kiosk::drain_readers));
        kiosk.borrow_mut().ticks = vec![clock, readers];

        let a = ui.global::<KioskAdapter>();
        a.on_start(with(&weak, Kiosk::start));
        a.on_back(with(&weak, Kiosk::back));
        a.on_cancel(with(&weak, Kiosk::reset));
        a.on_activity(with(&weak, Kiosk::touch));
        a.on_switch_language(with(&weak, Kiosk::switch_language));
        a.on_simulate_id_card(with(&weak, Kiosk::simulate_id_card));
        a.on_simulate_member_code(with(&weak, Kiosk::simulate_member_code));
        let i = ui.global::<IdentifyAdapter>();
        i.on_key(with1(&weak, |k: &mut Kiosk, v: slint::SharedString| k.key(&v)));
        i.on_submit(with(&weak, Kiosk::submit));
        let c = ui.global::<CustomerAdapter>();
        c.on_confirm_appointment(with(&weak, Kiosk::confirm_appointment));
        c.on_choose_service(with1(&weak, |k: &mut Kiosk, id: slint::SharedString| k.choose_service(&id)));
        c.on_choose_staff(with1(&weak, |k: &mut Kiosk, id: slint::SharedString| k.choose_staff(&id)));
        c.on_join_queue(with(&weak, Kiosk::join_queue));
        ui.global::<TicketAdapter>().on_done(with(&weak, Kiosk::reset));

        {
            let mut k = kiosk.borrow_mut();
            a.set_shop_name(k.app.config.shop.name.clone().into());
            a.set_show_simulator(k.devices.simulator);
            k.show_clock();
            k.reset();
        }
        kiosk
    }

    pub fn app(&mut self) -> &mut App {
        &mut self.app
    }

    fn ui(&self) -> Option<KioskWindow> {
        self.ui.upgrade()
    }

    fn show_clock(&mut self) {
        let now = local_hm(self.app.now(), self.app.tz());
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_clock(now.into());
        }
    }

    /// Any customer action: the idle timer starts again.
    fn touch(&mut self) {
        self.idle.restart();
    }

    fn notice(&self, message: &str, error: bool) {
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            a.set_notice(message.into());
            a.set_notice_is_error(error);
        }
    }

    fn go(&self, page: Page) {
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_page(page);
        }
    }

    /// Back to the welcome page with nothing of the previous customer left on any page.
    pub fn reset(&mut self) {
        self.visit = Visit::default();
        let Some(ui) = self.ui() else { return };
        ui.global::<WelcomeAdapter>().set_hint(text::welcome_hint(self.lang).into());
        let i = ui.global::<IdentifyAdapter>();
        i.set_shown("".into());
        i.set_can_submit(false);
        let c = ui.global::<CustomerAdapter>();
        c.set_greeting("".into());
        c.set_tier("".into());
        c.set_vip(false);
        c.set_has_appointment(false);
        c.set_appointment("".into());
        c.set_services(ModelRc::new(VecModel::default()));
        c.set_staff(ModelRc::new(VecModel::default()));
        c.set_can_join(false);
        let t = ui.global::<TicketAdapter>();
        t.set_greeting("".into());
        t.set_ticket("".into());
        t.set_detail("".into());
        t.set_wait("".into());
        t.set_printing("".into());
        self.notice("", false);
        self.go(Page::Welcome);
    }

    fn start(&mut self) {
        self.touch();
        self.notice("", false);
        self.go(Page::Identify);
    }

    fn back(&mut self) {
        self.touch();
        let page = self.ui().map(|ui| ui.global::<KioskAdapter>().get_page());
        match page {
            Some(Page::Customer) => {
                let digits = std::mem::take(&mut self.visit.digits);
                self.visit = Visit { digits, ..Visit::default() };
                self.show_digits();
                self.go(Page::Identify);
            }
            _ => self.reset(),
        }
    }

    fn switch_language(&mut self) {
        self.touch();
        self.lang = match self.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        let code = if self.lang == Lang::En { "en" } else { "" };
        if let Err(e) = slint::select_bundled_translation(code) {
            tracing::warn!(error = %e, "cannot switch language");
        }
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_english(self.lang == Lang::En);
            ui.global::<WelcomeAdapter>().set_hint(text::welcome_hint(self.lang).into());
        }
        // what Rust wrote on the current page follows the language too
        if let (Some(c), appt) = (self.visit.customer.clone(), self.visit.appointment.clone()) {
            self.show_customer(c, appt);
        }
    }

    fn show_digits(&self) {
        if let Some(ui) = self.ui() {
            let i = ui.global::<IdentifyAdapter>();
            i.set_shown(models::phone_echo(&self.visit.digits).into());
            i.set_can_submit(Phone::parse(&self.visit.digits).is_ok());
        }
    }

    fn key(&mut self, v: &str) {
        self.touch();
        match v {
            "del" => {
                self.visit.digits.pop();
            }
            "clear" => self.visit.digits.clear(),
            d if d.len() == 1 && d.bytes().all(|b| b.is_ascii_digit()) && self.visit.digits.len() < 11 => {
                self.visit.digits.push_str(d)
            }
            _ => {}
        }
        self.notice("", false);
        self.show_digits();
    }

    fn submit(&mut self) {
        self.touch();
        match Phone::parse(&self.visit.digits) {
            Ok(p) => self.identified(Identity::Phone(p), text::unknown_phone(self.lang)),
            Err(_) => self.notice(&text::unknown_phone(self.lang), true),
        }
    }

    /// A customer identified themselves (keypad, card, QR): their page, or a notice.
    fn identified(&mut self, identity: Identity, unknown: String) {
        self.touch();
        match self.app.identify(&identity) {
            Ok(Some((c, appt))) => {
                self.visit.identity = Some(identity);
                self.show_customer(c, appt);
            }
            Ok(None) => self.notice(&unknown, true),
            Err(e) => self.failed(&e),
        }
    }

    fn failed(&self, e: &dyn std::fmt::Display) {
        tracing::warn!(error = %e, "kiosk action failed");
        self.notice(&text::try_again(self.lang), true);
    }

    fn show_customer(&mut self, c: Customer, appt: Option<Appointment>) {
        let tz = self.app.tz();
        let greeting = greeting_name(&c.name, c.gender);
        let offers = if appt.is_none() {
            match self.app.offers(&c) {
                Ok(o) => o,
                Err(e) => return self.failed(&e),
            }
        } else {
            Vec::new()
        };
        let Some(ui) = self.ui() else { return };
        let a = ui.global::<CustomerAdapter>();
        a.set_greeting(text::greeting_back(self.lang, &greeting).into());
        a.set_tier(c.tier.clone().unwrap_or_default().into());
        a.set_vip(c.tier_rank.is_some_and(|r| r >= 2));
        a.set_has_appointment(appt.is_some());
        if let Some(ap) = &appt {
            a.set_appointment(
                text::appointment_line(&local_hm(ap.starts_at, tz), &ap.service_name, ap.staff_name.as_deref()).into(),
            );
        }
        a.set_services(models::services(self.lang, &offers, self.visit.service.as_deref()));
        a.set_staff(models::staff(
            self.lang,
            &self.visit.staff_offers,
            self.visit.staff.as_deref(),
            self.app.now(),
            tz,
        ));
        a.set_can_join(self.visit.service.is_some());
        self.visit.offers = offers;
        self.visit.customer = Some(c);
        self.visit.appointment = appt;
        self.notice("", false);
        self.go(Page::Customer);
    }

    fn choose_service(&mut self, id: &str) {
        self.touch();
        self.visit.service = Some(id.to_string());
        self.visit.staff = None;
        self.visit.staff_offers = match self.app.staff_offers(id) {
            Ok(s) => s,
            Err(e) => return self.failed(&e),
        };
        if self.visit.staff_offers.iter().all(|s| s.starts_at.is_none()) {
            self.notice(&text::no_beautician_today(self.lang), true);
        }
        self.refresh_choices();
    }

    fn choose_staff(&mut self, id: &str) {
        self.touch();
        self.visit.staff = (!id.is_empty()).then(|| id.to_string());
        self.refresh_choices();
    }

    fn refresh_choices(&self) {
        let Some(ui) = self.ui() else { return };
        let a = ui.global::<CustomerAdapter>();
        a.set_services(models::services(self.lang, &self.visit.offers, self.visit.service.as_deref()));
        a.set_staff(models::staff(
            self.lang,
            &self.visit.staff_offers,
            self.visit.staff.as_deref(),
            self.app.now(),
            self.app.tz(),
        ));
        a.set_can_join(self.visit.service.is_some());
    }

    fn confirm_appointment(&mut self) {
        self.check_in(None, None);
    }

    fn join_queue(&mut self) {
        let (service, staff) = (self.visit.service.clone(), self.visit.staff.clone());
        if service.is_some() {
            self.check_in(service, staff);
        }
    }

    fn check_in(&mut self, service: Option<String>, staff: Option<String>) {
        self.touch();
        let Some(identity) = self.visit.identity.clone() else { return self.reset() };
        let outcome = match self.app.check_in(&CheckinRequest { identity, service, staff }) {
            Ok(o) => o,
            Err(e) => return self.failed(&e),
        };
        let printed = self.print_ticket(&outcome);
        self.beep(Pattern::parse(outcome.arrival).unwrap_or(Pattern::Walkin));
        self.show_ticket(&outcome, printed);
    }

    /// Queues the ticket and wakes the printer; `false` when the printer is known to be down.
    fn print_ticket(&mut self, o: &CheckinOutcome) -> bool {
        if let Err(e) = printing::queue_ticket(&mut self.app, o) {
            tracing::warn!(error = %e, "ticket not queued");
            return false;
        }
        if let Some(w) = &self.devices.print_worker {
            w.wake();
        }
        let status = self.app.store.read(|tx| tx.device_statuses());
        !status.is_ok_and(|s| s.iter().any(|d| d.device == PRINTER && !d.ok))
    }

    fn beep(&mut self, p: Pattern) {
        self.beeps.push(p);
        let Some(b) = self.devices.buzzer.clone() else { return };
        let local = self.app.now().with_timezone(&self.app.tz()).time();
        // a pattern lasts up to a second and a half: never on the UI thread
        std::thread::spawn(move || {
            if let Ok(mut b) = b.lock()
                && let Err(e) = b.play_at(p, local)
            {
                tracing::warn!(error = %e, "buzzer failed");
            }
        });
    }

    fn show_ticket(&mut self, o: &CheckinOutcome, printed: bool) {
        let Some(ui) = self.ui() else { return };
        let t = ui.global::<TicketAdapter>();
        t.set_greeting(text::greeting_ticket(self.lang, &o.greeting).into());
        t.set_ticket(o.entry.ticket.clone().into());
        t.set_detail(
            match &o.entry.staff_name {
                Some(s) => format!("{} · {s}", o.entry.service_name),
                None => o.entry.service_name.clone(),
            }
            .into(),
        );
        let wait = if o.already_checked_in {
            format!("{} · {}", text::already_in_queue(self.lang), text::wait(self.lang, o.ahead, o.wait_minutes))
        } else {
            text::wait(self.lang, o.ahead, o.wait_minutes)
        };
        t.set_wait(wait.into());
        t.set_printing(if printed { text::printing(self.lang) } else { text::printer_down(self.lang) }.into());
        self.notice("", false);
        self.go(Page::Ticket);
    }

    /// Card reader events, drained on the UI thread.
    fn drain_readers(&mut self) {
        let events: Vec<ReaderEvent> = self.devices.readers.iter().flat_map(|p| p.events.try_iter()).collect();
        for e in events {
            self.reader_event(e);
        }
    }

    pub fn reader_event(&mut self, e: ReaderEvent) {
        match e {
            ReaderEvent::Card(CardRead::IdCard(card)) => {
                self.identified(Identity::IdCard(card.key), text::unknown_card(self.lang));
            }
            ReaderEvent::Card(CardRead::Member(code)) => {
                self.identified(Identity::from_scanned(&code), text::unknown_card(self.lang));
            }
            ReaderEvent::ReadFailed(_) => self.notice(&text::card_read_failed(self.lang), true),
            ReaderEvent::Connected => self.device_state("id_reader", true, "正常 / ready"),
            ReaderEvent::Disconnected(why) => {
                self.device_state("id_reader", false, &why);
                self.notice(&text::reader_down(self.lang), true);
            }
        }
    }

    fn device_state(&mut self, device: &str, ok: bool, detail: &str) {
        let now = self.app.now();
        if let Err(e) = self.app.store.write(|tx| tx.set_device_status(device, ok, detail, now)) {
            tracing::warn!(error = %e, "device status not recorded");
        }
    }

    /// The demo's ID-card swipe: a card nobody has registered yet.
    fn simulate_id_card(&mut self) {
        match self.app.id_card_key("440306198501011238") {
            Ok(key) => self.identified(Identity::IdCard(key), text::unknown_card(self.lang)),
            Err(e) => self.failed(&e),
        }
    }

    /// The demo's member QR code: the next customer on file.
    fn simulate_member_code(&mut self) {
        let offset = u32::try_from(self.sim_next % 50).unwrap_or(0);
        self.sim_next += 7;
        match self.app.list_customers(1, offset) {
            Ok(cs) => match cs.into_iter().next() {
                Some(c) => self.identified(
                    Identity::from_scanned(&format!("{}{}", crate::app::checkin::MEMBER_QR_PREFIX, c.member_code)),
                    text::unknown_card(self.lang),
                ),
                None => self.notice(&text::unknown_card(self.lang), true),
            },
            Err(e) => self.failed(&e),
        }
    }
}

/// A callback that borrows the kiosk, if it still exists (the window may outlive it).
fn with(weak: &Weak<RefCell<Kiosk>>, f: fn(&mut Kiosk)) -> impl FnMut() + 'static {
    let weak = weak.clone();
    move || {
        if let Some(k) = weak.upgrade() {
            f(&mut k.borrow_mut());
        }
    }
}

fn with1<A: 'static>(weak: &Weak<RefCell<Kiosk>>, f: fn(&mut Kiosk, A)) -> impl Fn(A) + 'static {
    let weak = weak.clone();
    move |a| {
        if let Some(k) = weak.upgrade() {
            f(&mut k.borrow_mut(), a);
        }
    }
}
