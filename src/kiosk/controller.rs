//! The kiosk's behaviour: what each touch, card and timer does. It calls the same library
//! functions as the command line (`App::identify`, `App::check_in`, `station::printing`)
//! and fills the pages' adapters.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, Timer, TimerMode, VecModel};

use super::text::{self, Lang};
use super::{
    AppointmentRow, BillExtra, BillRow, CheckoutAdapter, Concern, CustomerAdapter, DeviceRow, IdentifyAdapter,
    KioskAdapter, KioskWindow, Page, QueueRow, RatingAdapter, RegisterAdapter, StaffAdapter, StaffMember, Theme,
    TicketAdapter, WelcomeAdapter, models,
};
use crate::app::checkin::{CheckinOutcome, CheckinRequest, Identity};
use crate::app::customers::{Registration, parse_birthday};
use crate::app::queue::{Offer, StaffOffer};
use crate::app::staff::PinCheck;
use crate::app::{App, ClockTrust};
use crate::devices::buzzer::Pattern;
use crate::devices::reader::IdCardRead;
use crate::devices::reader::{CardRead, Poller, ReaderEvent};
use crate::domain::checkout::{Tender, cash_offers};
use crate::domain::customer::Gender;
use crate::domain::customer::greeting_name;
use crate::domain::model::Staff;
use crate::domain::model::{Appointment, Customer};
use crate::domain::phone::Phone;
use crate::domain::queue::QueueStatus;
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
    /// How the devices that are not polled started, as (`device_status` name, ok, detail):
    /// recorded for the staff devices tab when the kiosk starts (so a buzzer fixed or
    /// configured away no longer shows its old failure).
    pub states: Vec<(&'static str, bool, String)>,
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
    /// An ID card read in this visit that matched nobody: it prefills the registration.
    card: Option<IdCardRead>,
    draft: Draft,
}

/// A registration being filled in.
#[derive(Default)]
struct Draft {
    name: String,
    phone: String,
    birthday: String,
    gender: Gender,
    concerns: [bool; text::CONCERNS.len()],
    notice_version: String,
    consent: bool,
    marketing: bool,
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
    /// Staff mode: who is logged in, who is logging in and the PIN typed so far.
    session: Option<Staff>,
    chosen: Option<String>,
    pin: String,
    idle_customer: Duration,
    bill: Option<BillDraft>,
    /// The customer rating the visit just paid for.
    rating: Option<RatingDraft>,
    /// Whether the clock has been found believable (`App::clock_trust`); until then no
    /// business starts and the welcome page says why.
    clock_trusted: bool,
    started: std::time::Instant,
}

/// A rating being given on the kiosk after checkout.
struct RatingDraft {
    visit_id: String,
    stars: i64,
    /// Quick words (zh, en), chosen or not: the comment.
    tags: Vec<(&'static str, &'static str, bool)>,
}

/// A checkout being prepared at the staff screen.
struct BillDraft {
    ticket: String,
    customer_id: String,
    service_id: String,
    staff_id: Option<String>,
    use_points: bool,
    use_stored_value: bool,
    tender: Option<Tender>,
    due: rust_decimal::Decimal,
    /// Cash handed over when it is more than what is due (one of the offers); `None`: the
    /// exact amount.
    cash_given: Option<rust_decimal::Decimal>,
    paid: bool,
    /// Retail products added at the desk: (product id, how many), in the order added.
    products: Vec<(String, u32)>,
    /// The customer's coupon applied, by code.
    coupon: Option<String>,
    /// The checkout, once paid.
    visit_id: Option<String>,
}

/// Staff mode stays open longer than a customer screen, then logs out by itself.
const STAFF_IDLE: Duration = Duration::from_secs(300);

impl Kiosk {
    /// Wires the kiosk to a window: callbacks, the idle timer (configured seconds), the
    /// clock and the card readers' events.
    pub fn attach(ui: &KioskWindow, app: App, devices: Devices) -> Rc<RefCell<Kiosk>> {
        let idle_after = Duration::from_secs(app.config.checkin.kiosk_idle_seconds.into());
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
            session: None,
            chosen: None,
            pin: String::new(),
            idle_customer: idle_after,
            bill: None,
            rating: None,
            clock_trusted: false,
            started: std::time::Instant::now(),
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
        let ra = ui.global::<RatingAdapter>();
        ra.on_rate(with1(&weak, |k: &mut Kiosk, n: i32| k.rate(n)));
        ra.on_toggle_tag(with1(&weak, |k: &mut Kiosk, i: i32| k.toggle_tag(i)));
        ra.on_submit(with(&weak, Kiosk::submit_rating));
        ra.on_skip(with(&weak, Kiosk::reset));
        let r = ui.global::<RegisterAdapter>();
        r.on_name_edited(with1(&weak, |k: &mut Kiosk, t: slint::SharedString| k.name_edited(&t)));
        r.on_birthday_edited(with1(&weak, |k: &mut Kiosk, t: slint::SharedString| k.birthday_edited(&t)));
        r.on_choose_gender(with1(&weak, Kiosk::choose_gender));
        r.on_toggle_concern(with1(&weak, Kiosk::toggle_concern));
        r.on_next(with(&weak, Kiosk::show_consent));
        r.on_toggle_consent(with(&weak, Kiosk::toggle_consent));
        r.on_toggle_marketing(with(&weak, Kiosk::toggle_marketing));
        r.on_submit(with(&weak, Kiosk::register));
        let st = ui.global::<StaffAdapter>();
        st.on_open(with(&weak, Kiosk::open_staff));
        st.on_choose(with1(&weak, |k: &mut Kiosk, id: slint::SharedString| k.choose_member(&id)));
        st.on_pin_key(with1(&weak, |k: &mut Kiosk, v: slint::SharedString| k.pin_key(&v)));
        st.on_pin_submit(with(&weak, Kiosk::pin_submit));
        st.on_set_tab(with1(&weak, Kiosk::set_tab));
        st.on_call_next(with(&weak, Kiosk::call_next));
        st.on_move(with2(&weak, |k: &mut Kiosk, t: slint::SharedString, to: slint::SharedString| {
            k.move_entry(&t, &to)
        }));
        st.on_leave(with(&weak, Kiosk::reset));
        st.on_checkout(with1(&weak, |k: &mut Kiosk, t: slint::SharedString| k.open_checkout(&t)));
        let co = ui.global::<CheckoutAdapter>();
        co.on_toggle_points(with(&weak, |k: &mut Kiosk| {
            k.edit_bill(|b| {
                b.use_points = !b.use_points;
            });
        }));
        co.on_toggle_stored_value(with(&weak, |k: &mut Kiosk| {
            k.edit_bill(|b| {
                b.use_stored_value = !b.use_stored_value;
            });
        }));
        co.on_choose_tender(with1(&weak, |k: &mut Kiosk, t: slint::SharedString| {
            k.edit_bill(|b| {
                b.tender = Tender::parse(&t);
                b.cash_given = None;
            });
        }));
        co.on_choose_cash(with1(&weak, |k: &mut Kiosk, amount: slint::SharedString| {
            k.edit_bill(|b| {
                let given = amount.parse().ok();
                // Tapping the chosen amount again goes back to the exact amount.
                b.cash_given = if b.cash_given == given { None } else { given };
            });
        }));
        co.on_add_product(with1(&weak, |k: &mut Kiosk, id: slint::SharedString| {
            k.edit_bill(|b| match b.products.iter_mut().find(|(p, _)| p.as_str() == id.as_str()) {
                Some((_, n)) => *n += 1,
                None => b.products.push((id.to_string(), 1)),
            });
        }));
        co.on_clear_products(with(&weak, |k: &mut Kiosk| {
            k.edit_bill(|b| {
                b.products.clear();
            });
        }));
        co.on_choose_coupon(with1(&weak, |k: &mut Kiosk, code: slint::SharedString| {
            k.notice("", false);
            k.edit_bill(|b| {
                b.coupon = if b.coupon.as_deref() == Some(code.as_str()) { None } else { Some(code.to_string()) };
            });
        }));
        co.on_pay(with(&weak, Kiosk::pay));
        co.on_ask_rating(with(&weak, Kiosk::ask_rating));

        {
            let mut k = kiosk.borrow_mut();
            a.set_shop_name(k.app.config.shop.name.clone().into());
            a.set_show_simulator(k.devices.simulator);
            for (device, ok, detail) in std::mem::take(&mut k.devices.states) {
                k.device_state(device, ok, &detail);
            }
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
        if !self.clock_trusted {
            let _ = self.clock_ready();
        }
    }

    /// Whether business may go on: the clock is believable (a check-in made on a clock
    /// that a power cut set back would land on a wrong day and ticket series). Until it is,
    /// the welcome page says what the kiosk is waiting for, and this returns that text.
    fn clock_ready(&mut self) -> Result<(), String> {
        if self.clock_trusted {
            return Ok(());
        }
        let message = match self.app.clock_trust(self.started.elapsed()) {
            Ok(ClockTrust::Trusted) => {
                self.clock_trusted = true;
                if let Some(ui) = self.ui() {
                    ui.global::<WelcomeAdapter>().set_hint(text::welcome_hint(self.lang).into());
                }
                return Ok(());
            }
            Ok(ClockTrust::Waiting) => text::clock_waiting(self.lang),
            Ok(ClockTrust::Behind(seen)) => {
                tracing::warn!(%seen, now = %self.app.now(), "the clock reads earlier than a time already recorded: no check-ins");
                text::clock_behind(self.lang)
            }
            // the database will say what is wrong when it is used
            Err(e) => {
                tracing::warn!(error = %e, "clock check failed");
                return Ok(());
            }
        };
        if let Some(ui) = self.ui() {
            ui.global::<WelcomeAdapter>().set_hint(message.clone().into());
        }
        Err(message)
    }

    /// `true` when business may start; otherwise says why on the notice line.
    fn ready_for_business(&mut self) -> bool {
        match self.clock_ready() {
            Ok(()) => true,
            Err(why) => {
                self.notice(&why, true);
                false
            }
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

    /// Back to the welcome page with nothing of the previous customer left on any page
    /// (staff mode logs out too).
    pub fn reset(&mut self) {
        self.visit = Visit::default();
        self.bill = None;
        self.rating = None;
        self.session = None;
        self.chosen = None;
        self.pin.clear();
        self.idle.set_interval(self.idle_customer);
        let Some(ui) = self.ui() else { return };
        ui.global::<Theme>().set_staff_mode(false);
        let st = ui.global::<StaffAdapter>();
        st.set_chosen("".into());
        st.set_pin_shown("".into());
        st.set_who("".into());
        st.set_tab(0);
        st.set_queue(ModelRc::new(VecModel::default()));
        st.set_appointments(ModelRc::new(VecModel::default()));
        st.set_devices(ModelRc::new(VecModel::default()));
        ui.global::<WelcomeAdapter>().set_hint(text::welcome_hint(self.lang).into());
        if !self.clock_trusted {
            let _ = self.clock_ready();
        }
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
        let r = ui.global::<RegisterAdapter>();
        r.set_name("".into());
        r.set_phone("".into());
        r.set_id_card("".into());
        r.set_birthday("".into());
        r.set_gender(0);
        r.set_concerns(ModelRc::new(VecModel::default()));
        r.set_details_ok(false);
        r.set_notice_text("".into());
        r.set_consent(false);
        r.set_marketing(false);
        let t = ui.global::<TicketAdapter>();
        t.set_greeting("".into());
        t.set_ticket("".into());
        t.set_detail("".into());
        t.set_wait("".into());
        t.set_printing("".into());
        let ra = ui.global::<RatingAdapter>();
        ra.set_greeting("".into());
        ra.set_detail("".into());
        ra.set_stars(0);
        ra.set_tags(ModelRc::new(VecModel::default()));
        ra.set_done(false);
        let co = ui.global::<CheckoutAdapter>();
        co.set_customer("".into());
        co.set_lines(ModelRc::new(VecModel::default()));
        co.set_totals(ModelRc::new(VecModel::default()));
        co.set_due("".into());
        co.set_balances("".into());
        co.set_use_points(false);
        co.set_use_stored_value(false);
        co.set_tender("".into());
        co.set_paid(false);
        co.set_result("".into());
        co.set_products(ModelRc::new(VecModel::default()));
        co.set_products_in_bill(false);
        co.set_coupons(ModelRc::new(VecModel::default()));
        co.set_cash_offers(ModelRc::new(VecModel::default()));
        self.notice("", false);
        self.go(Page::Welcome);
    }

    /// After payment staff hand the kiosk to the customer: staff mode ends, and the rating
    /// page shows the visit's services and beautician.
    fn ask_rating(&mut self) {
        let Some((visit_id, customer_id)) =
            self.bill.as_ref().and_then(|b| b.visit_id.clone().map(|v| (v, b.customer_id.clone())))
        else {
            return;
        };
        let brief = self.app.visit_brief(&visit_id);
        let customer = self.app.customer_by_key(&customer_id);
        let (brief, customer) = match (brief, customer) {
            (Ok(b), Ok(c)) => (b, c),
            (Err(e), _) => return self.failed(&e),
            (_, Err(e)) => return self.failed(&e),
        };
        self.bill = None;
        self.session = None;
        self.idle.set_interval(self.idle_customer);
        self.touch();
        let draft =
            RatingDraft { visit_id, stars: 0, tags: text::RATING_TAGS.iter().map(|(z, e)| (*z, *e, false)).collect() };
        if let Some(ui) = self.ui() {
            ui.global::<Theme>().set_staff_mode(false);
            let ra = ui.global::<RatingAdapter>();
            ra.set_greeting(text::rating_greeting(self.lang, &greeting_name(&customer.name, customer.gender)).into());
            let mut detail = brief.services.join("、");
            if !brief.staff.is_empty() {
                detail = format!("{detail} · {}", brief.staff.join("、"));
            }
            ra.set_detail(detail.into());
            ra.set_stars(0);
            ra.set_done(false);
        }
        self.rating = Some(draft);
        self.show_rating_tags();
        self.notice("", false);
        self.go(Page::Rating);
    }

    fn show_rating_tags(&self) {
        let (Some(ui), Some(r)) = (self.ui(), self.rating.as_ref()) else { return };
        let tags: Vec<Concern> = r
            .tags
            .iter()
            .map(|(zh, en, on)| Concern { name: text::rating_tag(self.lang, zh, en).into(), checked: *on })
            .collect();
        ui.global::<RatingAdapter>().set_tags(ModelRc::new(VecModel::from(tags)));
    }

    fn rate(&mut self, stars: i32) {
        self.touch();
        let Some(r) = self.rating.as_mut() else { return };
        r.stars = i64::from(stars.clamp(1, 5));
        let stars = r.stars;
        if let Some(ui) = self.ui() {
            ui.global::<RatingAdapter>().set_stars(stars as i32);
        }
    }

    fn toggle_tag(&mut self, i: i32) {
        self.touch();
        if let Some(t) = self.rating.as_mut().and_then(|r| usize::try_from(i).ok().and_then(|i| r.tags.get_mut(i))) {
            t.2 = !t.2;
        }
        self.show_rating_tags();
    }

    fn submit_rating(&mut self) {
        self.touch();
        let Some(r) = self.rating.as_ref() else { return };
        if r.stars == 0 {
            return;
        }
        // The comment is kept in Chinese whatever the screen's language: the shop reads it.
        let comment = r.tags.iter().filter(|t| t.2).map(|t| t.0).collect::<Vec<_>>().join("、");
        let rating = crate::app::feedback::Rating {
            visit: Some(r.visit_id.clone()),
            customer: None,
            stars: r.stars,
            comment,
            channel: "kiosk".into(),
        };
        match self.app.rate_visit(&rating, "kiosk") {
            Ok(_) => {
                self.rating = None;
                if let Some(ui) = self.ui() {
                    ui.global::<RatingAdapter>().set_done(true);
                }
            }
            Err(e) => self.notice(&e.to_string(), true),
        }
    }

    fn start(&mut self) {
        self.touch();
        if !self.ready_for_business() {
            return;
        }
        self.notice("", false);
        self.go(Page::Identify);
    }

    fn back(&mut self) {
        self.touch();
        let page = self.ui().map(|ui| ui.global::<KioskAdapter>().get_page());
        match page {
            Some(Page::Customer | Page::Register) => {
                let digits = std::mem::take(&mut self.visit.digits);
                let card = self.visit.card.take();
                self.visit = Visit { digits, card, ..Visit::default() };
                self.show_digits();
                self.go(Page::Identify);
            }
            Some(Page::Consent) => self.go(Page::Register),
            Some(Page::Checkout) => {
                self.bill = None;
                self.refresh_staff();
                self.go(Page::Staff);
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
        if !self.clock_trusted {
            let _ = self.clock_ready();
        }
        // what Rust wrote on the current page follows the language too
        let page = self.ui().map(|ui| ui.global::<KioskAdapter>().get_page());
        match page {
            Some(Page::Register | Page::Consent) => self.show_draft(),
            _ => {
                if let (Some(c), appt) = (self.visit.customer.clone(), self.visit.appointment.clone()) {
                    self.show_customer(c, appt);
                }
            }
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
            Ok(p) => {
                if !self.identified(Identity::Phone(p.clone()), text::unknown_phone(self.lang)) {
                    self.start_registration(p);
                }
            }
            Err(_) => self.notice(&text::unknown_phone(self.lang), true),
        }
    }

    /// A customer identified themselves (keypad, card, QR): their page and `true`, or the
    /// `unknown` notice and `false`.
    fn identified(&mut self, identity: Identity, unknown: String) -> bool {
        self.touch();
        match self.app.identify(&identity) {
            Ok(Some((c, appt))) => {
                self.visit.identity = Some(identity);
                self.show_customer(c, appt);
                true
            }
            Ok(None) => {
                self.notice(&unknown, true);
                false
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    /// An ID card that matched nobody: it waits for the phone number, then prefills the
    /// registration.
    fn unknown_card(&mut self, card: IdCardRead) {
        self.visit.card = Some(card);
        self.visit.digits.clear();
        self.show_digits();
        self.notice(&text::phone_to_register(self.lang), false);
        self.go(Page::Identify);
    }

    fn start_registration(&mut self, phone: Phone) {
        let card = self.visit.card.clone();
        self.visit.draft = Draft {
            name: card.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            phone: phone.as_str().to_string(),
            birthday: card.as_ref().map(|c| c.birth.to_string()).unwrap_or_default(),
            gender: card.as_ref().map_or(Gender::Unknown, |c| c.gender),
            ..Draft::default()
        };
        let Some(ui) = self.ui() else { return };
        let r = ui.global::<RegisterAdapter>();
        r.set_name(self.visit.draft.name.clone().into());
        r.set_phone(phone.masked().into());
        r.set_id_card(card.map(|c| c.key.masked).unwrap_or_default().into());
        r.set_birthday(self.visit.draft.birthday.clone().into());
        self.show_draft();
        self.notice("", false);
        self.go(Page::Register);
    }

    fn show_draft(&self) {
        let Some(ui) = self.ui() else { return };
        let d = &self.visit.draft;
        let r = ui.global::<RegisterAdapter>();
        r.set_gender(match d.gender {
            Gender::Female => 1,
            Gender::Male => 2,
            _ => 0,
        });
        let concerns: Vec<Concern> = d
            .concerns
            .iter()
            .enumerate()
            .map(|(i, checked)| Concern { name: text::concern(self.lang, i).into(), checked: *checked })
            .collect();
        r.set_concerns(ModelRc::new(VecModel::from(concerns)));
        let birthday_ok = d.birthday.trim().is_empty() || parse_birthday(&d.birthday).is_ok();
        r.set_details_ok(!d.name.trim().is_empty() && birthday_ok);
        r.set_consent(d.consent);
        r.set_marketing(d.marketing);
    }

    fn name_edited(&mut self, t: &str) {
        self.touch();
        self.visit.draft.name = t.to_string();
        self.show_draft();
    }

    fn birthday_edited(&mut self, t: &str) {
        self.touch();
        self.visit.draft.birthday = t.to_string();
        let bad = !t.trim().is_empty() && t.trim().len() >= 8 && parse_birthday(t).is_err();
        self.notice(if bad { text::bad_birthday(self.lang) } else { String::new() }.as_str(), bad);
        self.show_draft();
    }

    fn choose_gender(&mut self, g: i32) {
        self.touch();
        self.visit.draft.gender = match g {
            1 => Gender::Female,
            2 => Gender::Male,
            _ => Gender::Unknown,
        };
        self.show_draft();
    }

    fn toggle_concern(&mut self, i: i32) {
        self.touch();
        if let Some(c) = usize::try_from(i).ok().and_then(|i| self.visit.draft.concerns.get_mut(i)) {
            *c = !*c;
        }
        self.show_draft();
    }

    fn show_consent(&mut self) {
        self.touch();
        let (version, notice) = match self.app.privacy_notice() {
            Ok(n) => n,
            Err(e) => return self.failed(&e),
        };
        self.visit.draft.notice_version = version.clone();
        if let Some(ui) = self.ui() {
            let r = ui.global::<RegisterAdapter>();
            r.set_notice_version(version.into());
            r.set_notice_text(notice.into());
        }
        self.show_draft();
        self.go(Page::Consent);
    }

    fn toggle_consent(&mut self) {
        self.touch();
        self.visit.draft.consent = !self.visit.draft.consent;
        self.notice("", false);
        self.show_draft();
    }

    fn toggle_marketing(&mut self) {
        self.touch();
        self.visit.draft.marketing = !self.visit.draft.marketing;
        self.show_draft();
    }

    /// Registers the new customer (never without the privacy consent) and carries on to
    /// the service choice.
    fn register(&mut self) {
        self.touch();
        let d = &self.visit.draft;
        if !d.consent {
            return self.notice(&text::consent_needed(self.lang), true);
        }
        let registration = Registration {
            name: d.name.trim().to_string(),
            phone: d.phone.clone(),
            gender: match d.gender {
                Gender::Female => Some("女".into()),
                Gender::Male => Some("男".into()),
                _ => None,
            },
            birthday: (!d.birthday.trim().is_empty()).then(|| d.birthday.trim().to_string()),
            id_card_key: self.visit.card.as_ref().map(|c| c.key.clone()),
            skin_concerns: d
                .concerns
                .iter()
                .zip(text::CONCERNS)
                .filter(|(on, _)| **on)
                .map(|(_, (zh, _))| zh.to_string())
                .collect(),
            privacy_notice: Some(d.notice_version.clone()),
            marketing_consent: d.marketing,
            source: "kiosk".into(),
            ..Registration::default()
        };
        match self.app.register(&registration) {
            Ok(c) => {
                let phone = match Phone::parse(&registration.phone) {
                    Ok(p) => p,
                    Err(e) => return self.failed(&e),
                };
                self.visit.identity = Some(Identity::Phone(phone));
                self.show_customer(c, None);
                self.notice(&text::registered(self.lang), false);
            }
            Err(e) => {
                tracing::info!(error = %e, "registration refused");
                self.notice(&e.to_string(), true);
            }
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
        let status = self.app.device_statuses();
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

    /// Card reader events, drained on the UI thread. The first reader is the ID-card
    /// reader, the second the member-card reader (`kiosk::devices` builds them so).
    fn drain_readers(&mut self) {
        let events: Vec<(&'static str, ReaderEvent)> = self
            .devices
            .readers
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.events.try_iter().map(move |e| (if i == 0 { "id_reader" } else { "card_reader" }, e)))
            .collect();
        for (device, e) in events {
            self.reader_event_from(device, e);
        }
    }

    /// A card reader's event (for the simulator and tests: as from the ID-card reader).
    pub fn reader_event(&mut self, e: ReaderEvent) {
        self.reader_event_from("id_reader", e);
    }

    fn reader_event_from(&mut self, device: &str, e: ReaderEvent) {
        if matches!(e, ReaderEvent::Card(_)) && !self.ready_for_business() {
            return;
        }
        match e {
            ReaderEvent::Card(CardRead::IdCard(card)) => {
                if !self.identified(Identity::IdCard(card.key.clone()), text::unknown_card(self.lang)) {
                    self.unknown_card(card);
                }
            }
            ReaderEvent::Card(CardRead::Member(code)) => {
                self.identified(Identity::from_scanned(&code), text::unknown_card(self.lang));
            }
            ReaderEvent::ReadFailed(_) => self.notice(&text::card_read_failed(self.lang), true),
            ReaderEvent::Connected => {
                self.device_state(device, true, "正常 / ready");
                // the reader is back: its warning goes, whatever else is on screen stays
                if let Some(ui) = self.ui() {
                    let shown = ui.global::<KioskAdapter>().get_notice();
                    if [Lang::Zh, Lang::En].into_iter().any(|l| shown.as_str() == text::reader_down(l)) {
                        self.notice("", false);
                    }
                }
            }
            ReaderEvent::Disconnected(why) => {
                self.device_state(device, false, &why);
                self.notice(&text::reader_down(self.lang), true);
            }
        }
    }

    fn device_state(&mut self, device: &str, ok: bool, detail: &str) {
        if let Err(e) = self.app.record_device_status(device, ok, detail) {
            tracing::warn!(error = %e, "device status not recorded");
        }
    }

    fn open_staff(&mut self) {
        self.touch();
        if !self.ready_for_business() {
            return;
        }
        let members: Vec<StaffMember> = match self.app.list_staff() {
            Ok(list) => list
                .into_iter()
                .filter(|s| s.active && s.has_pin)
                .map(|s| StaffMember { id: s.id.into(), name: s.name.into() })
                .collect(),
            Err(e) => return self.failed(&e),
        };
        if let Some(ui) = self.ui() {
            ui.global::<StaffAdapter>().set_members(ModelRc::new(VecModel::from(members)));
        }
        self.notice("", false);
        self.go(Page::StaffPin);
    }

    fn choose_member(&mut self, id: &str) {
        self.touch();
        self.chosen = Some(id.to_string());
        self.pin.clear();
        if let Some(ui) = self.ui() {
            let st = ui.global::<StaffAdapter>();
            st.set_chosen(id.into());
            st.set_pin_shown("".into());
        }
    }

    fn pin_key(&mut self, v: &str) {
        self.touch();
        match v {
            "del" => {
                self.pin.pop();
            }
            "clear" => self.pin.clear(),
            d if d.len() == 1 && d.bytes().all(|b| b.is_ascii_digit()) && self.pin.len() < 8 => self.pin.push_str(d),
            _ => {}
        }
        if let Some(ui) = self.ui() {
            ui.global::<StaffAdapter>().set_pin_shown("●".repeat(self.pin.len()).into());
        }
    }

    fn pin_submit(&mut self) {
        self.touch();
        let Some(id) = self.chosen.clone() else { return };
        let pin = std::mem::take(&mut self.pin);
        if let Some(ui) = self.ui() {
            ui.global::<StaffAdapter>().set_pin_shown("".into());
        }
        match self.app.staff_login(&id, &pin) {
            Ok(PinCheck::Ok(s)) => {
                self.idle.set_interval(STAFF_IDLE);
                self.idle.restart();
                if let Some(ui) = self.ui() {
                    ui.global::<Theme>().set_staff_mode(true);
                    ui.global::<StaffAdapter>().set_who(s.name.clone().into());
                }
                self.session = Some(s);
                self.notice("", false);
                self.refresh_staff();
                self.go(Page::Staff);
            }
            Ok(PinCheck::Wrong { left }) => self.notice(&text::pin_wrong(self.lang, left), true),
            Ok(PinCheck::Locked { until }) => {
                self.notice(&text::pin_locked(self.lang, &local_hm(until, self.app.tz())), true)
            }
            Ok(PinCheck::NoPin) => self.notice(&text::no_pin(self.lang), true),
            Err(e) => self.failed(&e),
        }
    }

    fn set_tab(&mut self, tab: i32) {
        self.touch();
        if let Some(ui) = self.ui() {
            ui.global::<StaffAdapter>().set_tab(tab);
        }
        self.refresh_staff();
    }

    /// The staff page's three lists, read afresh.
    fn refresh_staff(&mut self) {
        if self.session.is_none() {
            return;
        }
        let (tz, l) = (self.app.tz(), self.lang);
        let lines = match self.app.queue(false) {
            Ok(q) => q,
            Err(e) => return self.failed(&e),
        };
        let mut rows = Vec::new();
        for line in lines {
            let e = &line.entry;
            let (warning, tier, vip) = match self.app.customer_by_key(&e.customer_id) {
                Ok(c) => (
                    [c.allergies.trim(), c.contraindications.trim()]
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .collect::<Vec<_>>()
                        .join("；"),
                    c.tier.clone().unwrap_or_default(),
                    c.tier_rank.is_some_and(|r| r >= 2),
                ),
                Err(_) => (String::new(), String::new(), false),
            };
            rows.push(QueueRow {
                ticket: e.ticket.clone().into(),
                name: greeting_name(&e.customer_name, e.customer_gender).into(),
                service: e.service_name.clone().into(),
                staff: e.staff_name.clone().unwrap_or_default().into(),
                status: e.status.as_str().into(),
                status_label: text::queue_status(l, e.status).into(),
                wait: if e.status == QueueStatus::Waiting {
                    text::wait_short(l, line.wait_minutes)
                } else {
                    String::new()
                }
                .into(),
                warning: warning.into(),
                tier: tier.into(),
                vip,
            });
        }
        let appointments: Vec<AppointmentRow> = match self.app.appointments_on(None, None, false) {
            Ok(list) => list
                .into_iter()
                .map(|a| AppointmentRow {
                    time: format!("{}–{}", local_hm(a.starts_at, tz), local_hm(a.ends_at, tz)).into(),
                    name: a.customer_name.clone().into(),
                    service: a.service_name.clone().into(),
                    staff: a.staff_name.clone().unwrap_or_default().into(),
                    status: a.status.label_zh().into(),
                })
                .collect(),
            Err(e) => return self.failed(&e),
        };
        let since = self.app.now() - chrono::Duration::hours(24);
        let devices = self.app.devices_overview(since);
        let devices: Vec<DeviceRow> = match devices {
            Ok(crate::app::devices::DevicesOverview {
                devices: statuses,
                print_jobs: pending,
                messages: (unknown, failed),
            }) => {
                let mut rows: Vec<DeviceRow> = statuses
                    .into_iter()
                    .map(|d| DeviceRow {
                        name: text::device_name(l, &d.device).into(),
                        ok: d.ok,
                        detail: format!("{} · {}", d.detail, local_hm(d.updated_at, tz)).into(),
                    })
                    .collect();
                if !pending.is_empty() {
                    rows.push(DeviceRow {
                        name: text::device_name(l, "printer").into(),
                        ok: false,
                        detail: text::jobs_waiting(l, pending.len()).into(),
                    });
                }
                // Messages the daemon could not settle: staff decide whether to send again.
                if unknown + failed > 0 {
                    rows.push(DeviceRow {
                        name: text::device_name(l, "messages").into(),
                        ok: false,
                        detail: text::message_problems(l, unknown, failed).into(),
                    });
                }
                rows
            }
            Err(e) => return self.failed(&e),
        };
        let mut devices = devices;
        // Backups: only when they are missing or old (the daemon makes one every night).
        match self.app.backup_state() {
            Ok(state) if !state.is_ok() => {
                let last = match state {
                    crate::app::BackupState::Stale(at) => Some(crate::domain::time::local_dt(at, tz)),
                    _ => None,
                };
                devices.push(DeviceRow {
                    name: text::device_name(l, "backups").into(),
                    ok: false,
                    detail: text::backups_old(l, last.as_deref()).into(),
                });
            }
            Ok(_) => {}
            Err(e) => return self.failed(&e),
        }
        // Cloud sync: the kiosk only reads what the daemon recorded.
        if self.app.config.cloud.enabled {
            match self.app.sync_state() {
                Ok(s) => {
                    let offline = self.app.offline_since(&s);
                    let hours = offline.map_or(0, |t| (self.app.now() - t).num_hours());
                    let fmt = |t: chrono::DateTime<chrono::Utc>| crate::domain::time::local_dt(t, tz);
                    devices.push(DeviceRow {
                        name: text::device_name(l, "cloud").into(),
                        ok: offline.is_none(),
                        detail: text::cloud_sync(
                            l,
                            offline.map(fmt).as_deref(),
                            hours,
                            s.last_success_at.map(fmt).as_deref(),
                            s.queued,
                        )
                        .into(),
                    });
                }
                Err(e) => return self.failed(&e),
            }
        }
        if let Some(ui) = self.ui() {
            let st = ui.global::<StaffAdapter>();
            st.set_queue(ModelRc::new(VecModel::from(rows)));
            st.set_appointments(ModelRc::new(VecModel::from(appointments)));
            st.set_devices(ModelRc::new(VecModel::from(devices)));
        }
    }

    /// Calls the first waiting customer: the buzzer sounds and the beautician's service
    /// slip (with any allergy on file) prints.
    fn call_next(&mut self) {
        self.touch();
        let Some(actor) = self.session.as_ref().map(|s| s.id.clone()) else { return };
        match self.app.queue_move(None, QueueStatus::Called, None, &actor) {
            Ok(e) => {
                self.beep(Pattern::Walkin);
                if let Err(err) = self.print_slip(&e) {
                    tracing::warn!(error = %err, "service slip not printed");
                }
                let name = greeting_name(&e.customer_name, e.customer_gender);
                self.notice(&text::called(self.lang, &e.ticket, &name), false);
            }
            Err(crate::app::AppError::Input { .. }) => self.notice(&text::nobody_waiting(self.lang), true),
            Err(e) => self.failed(&e),
        }
        self.refresh_staff();
    }

    fn print_slip(&mut self, e: &crate::domain::model::QueueEntry) -> Result<(), crate::station::StationError> {
        let c = self.app.customer_by_key(&e.customer_id)?;
        printing::queue_slip(&mut self.app, e, &c)?;
        if let Some(w) = &self.devices.print_worker {
            w.wake();
        }
        Ok(())
    }

    fn open_checkout(&mut self, ticket: &str) {
        self.touch();
        let Some(staff) = self.session.as_ref().map(|s| s.id.clone()) else { return };
        let entry = match self.app.queue(false) {
            Ok(lines) => lines.into_iter().map(|l| l.entry).find(|e| e.ticket == ticket),
            Err(e) => return self.failed(&e),
        };
        let Some(e) = entry else { return };
        self.bill = Some(BillDraft {
            ticket: e.ticket.clone(),
            customer_id: e.customer_id.clone(),
            service_id: e.service_id.clone(),
            staff_id: e.staff_id.clone().or(Some(staff)),
            use_points: false,
            use_stored_value: false,
            tender: None,
            due: rust_decimal::Decimal::ZERO,
            cash_given: None,
            paid: false,
            products: Vec::new(),
            coupon: None,
            visit_id: None,
        });
        if let Some(ui) = self.ui() {
            let c = ui.global::<CheckoutAdapter>();
            c.set_customer(format!("{} · {}", e.ticket, greeting_name(&e.customer_name, e.customer_gender)).into());
            c.set_result("".into());
        }
        self.notice("", false);
        self.show_bill();
        self.go(Page::Checkout);
    }

    fn checkout_request(&self, b: &BillDraft, pay: bool) -> crate::app::checkout::CheckoutRequest {
        use crate::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
        use crate::domain::checkout::Use;
        CheckoutRequest {
            customer: Some(b.customer_id.clone()),
            items: std::iter::once(ItemRequest {
                item: ItemKey::Service(b.service_id.clone()),
                quantity: 1,
                staff: b.staff_id.iter().map(|s| (s.clone(), None)).collect(),
                expected_unit_price: None,
            })
            .chain(b.products.iter().map(|(id, n)| ItemRequest {
                item: ItemKey::Product(id.clone()),
                quantity: *n,
                staff: b.staff_id.iter().map(|s| (s.clone(), None)).collect(),
                expected_unit_price: None,
            }))
            .collect(),
            coupon: b.coupon.clone(),
            points: if b.use_points { Use::Max } else { Use::Nothing },
            stored_value: if b.use_stored_value { Use::Max } else { Use::Nothing },
            tenders: match (pay, b.tender) {
                (true, Some(t)) if !b.due.is_zero() => {
                    vec![(t, b.cash_given.filter(|_| t == Tender::Cash).unwrap_or(b.due))]
                }
                _ => Vec::new(),
            },
            actor: self.session.as_ref().map_or_else(|| "kiosk".to_string(), |s| s.id.clone()),
        }
    }

    /// Changes the bill being prepared and shows it priced again.
    fn edit_bill(&mut self, f: impl FnOnce(&mut BillDraft)) {
        if let Some(b) = &mut self.bill {
            f(b);
        }
        self.show_bill();
    }

    /// The bill as the library prices it now (a quote: nothing is recorded).
    fn show_bill(&mut self) {
        self.touch();
        let Some(b) = self.bill.as_ref() else { return };
        if b.paid {
            return;
        }
        let req = self.checkout_request(b, false);
        let customer_id = b.customer_id.clone();
        let (tender, use_points, use_sv) = (b.tender, b.use_points, b.use_stored_value);
        let (in_bill, coupon) = (b.products.clone(), b.coupon.clone());
        let quote = match self.app.quote(&req) {
            Ok(q) => q,
            Err(e) => {
                // A coupon that does not apply (minimum spend, another service): take it off
                // again and say why.
                if let Some(b) = self.bill.as_mut().filter(|b| b.coupon.is_some()) {
                    b.coupon = None;
                    self.show_bill();
                }
                return self.notice(&e.to_string(), true);
            }
        };
        let membership = self.app.membership(&customer_id).ok();
        let products = self.app.products().unwrap_or_default();
        let due = quote.bill.due_by_tenders;
        let offers = cash_offers(due);
        let mut cash_given = None;
        if let Some(b) = &mut self.bill {
            b.due = due;
            // A new total (a product, a coupon, points) makes an earlier amount handed over
            // too little or no longer one of the offers.
            b.cash_given = b.cash_given.filter(|g| offers.contains(g));
            cash_given = b.cash_given;
        }
        let s = quote.summary();
        let Some(ui) = self.ui() else { return };
        let c = ui.global::<CheckoutAdapter>();
        let lines: Vec<BillRow> = quote
            .lines
            .iter()
            .map(|l| BillRow {
                label: if l.staff.is_empty() {
                    l.name.clone()
                } else {
                    format!("{} · {}", l.name, l.staff.join("、"))
                }
                .into(),
                value: crate::domain::money::show_yuan(l.amount).into(),
            })
            .collect();
        let totals: Vec<BillRow> =
            s.totals.into_iter().map(|(k, v)| BillRow { label: k.into(), value: v.into() }).collect();
        c.set_lines(ModelRc::new(VecModel::from(lines)));
        c.set_totals(ModelRc::new(VecModel::from(totals)));
        c.set_due(crate::domain::money::show_yuan(due).into());
        if let Some(m) = &membership {
            let sv = crate::domain::money::show_yuan(m.stored_value_principal + m.stored_value_bonus);
            c.set_balances(text::balances(self.lang, m.points, &sv).into());
        }
        let extras: Vec<BillExtra> = products
            .iter()
            .filter(|p| p.active)
            .take(12)
            .map(|p| BillExtra {
                id: p.id.clone().into(),
                label: p.name.clone().into(),
                detail: crate::domain::money::show_yuan(p.price).into(),
                count: in_bill.iter().find(|(id, _)| id == &p.id).map_or(0, |(_, n)| i32::try_from(*n).unwrap_or(0)),
            })
            .collect();
        c.set_products_in_bill(!in_bill.is_empty());
        c.set_products(ModelRc::new(VecModel::from(extras)));
        let tz = self.app.tz();
        let coupons: Vec<BillExtra> = membership
            .as_ref()
            .map(|m| {
                m.coupons
                    .iter()
                    .filter(|k| !k.redeemed)
                    .map(|k| BillExtra {
                        id: k.coupon.code.clone().into(),
                        label: k.coupon.name.clone().into(),
                        detail: text::valid_until(
                            self.lang,
                            &k.coupon.valid_until.with_timezone(&tz).format("%m-%d").to_string(),
                        )
                        .into(),
                        count: i32::from(coupon.as_deref() == Some(k.coupon.code.as_str())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        c.set_coupons(ModelRc::new(VecModel::from(coupons)));
        c.set_use_points(use_points);
        c.set_use_stored_value(use_sv);
        c.set_tender(tender.map(|t| t.as_str()).unwrap_or_default().into());
        let offers: Vec<BillExtra> = offers
            .into_iter()
            .map(|given| BillExtra {
                id: given.to_string().into(),
                // Offers are whole notes: ¥200, not ¥200.00, so the chip stays narrow.
                label: text::cash_given(self.lang, &format!("¥{}", given.normalize())).into(),
                detail: text::cash_change(self.lang, &crate::domain::money::show_yuan(given - due)).into(),
                count: i32::from(cash_given == Some(given)),
            })
            .collect();
        c.set_cash_offers(ModelRc::new(VecModel::from(offers)));
        c.set_paid(false);
    }

    /// Records the visit through the library's checkout, prints the receipt and closes the
    /// queue entry.
    fn pay(&mut self) {
        self.touch();
        let Some(b) = self.bill.as_ref() else { return };
        if b.paid || (b.tender.is_none() && !b.due.is_zero()) {
            return;
        }
        let (req, ticket) = (self.checkout_request(b, true), b.ticket.clone());
        let receipt = match self.app.checkout(&req) {
            Ok(r) => r,
            Err(e) => return self.notice(&e.to_string(), true),
        };
        if let Err(e) = printing::queue_receipt(&mut self.app, &receipt) {
            tracing::warn!(error = %e, "receipt not queued");
        }
        if let Some(w) = &self.devices.print_worker {
            w.wake();
        }
        let actor = req.actor.clone();
        if let Err(e) = self.app.queue_move(Some(&ticket), QueueStatus::Done, None, &actor) {
            tracing::info!(error = %e, "queue entry not closed after checkout");
        }
        if let Some(b) = &mut self.bill {
            b.paid = true;
            b.visit_id = Some(receipt.visit_id.clone());
        }
        if let Some(ui) = self.ui() {
            let c = ui.global::<CheckoutAdapter>();
            c.set_paid(true);
            let change = (!receipt.bill.change.is_zero()).then(|| crate::domain::money::show_yuan(receipt.bill.change));
            let total = crate::domain::money::show_yuan(receipt.bill.total);
            c.set_result(text::paid(self.lang, &total, change.as_deref()).into());
        }
    }

    fn move_entry(&mut self, ticket: &str, to: &str) {
        self.touch();
        self.notice("", false);
        let Some(actor) = self.session.as_ref().map(|s| s.id.clone()) else { return };
        let Some(to) = QueueStatus::from_db(to) else { return };
        if let Err(e) = self.app.queue_move(Some(ticket), to, None, &actor) {
            self.notice(&e.to_string(), true);
        }
        self.refresh_staff();
    }

    /// The demo's ID-card swipe: 陈静's card, as the reader would hand it over.
    fn simulate_id_card(&mut self) {
        match self.app.id_card_key("440306198501011238") {
            Ok(key) => self.reader_event(ReaderEvent::Card(CardRead::IdCard(IdCardRead {
                key,
                name: "陈静".into(),
                gender: Gender::Female,
                birth: chrono::NaiveDate::from_ymd_opt(1985, 1, 1).unwrap_or_default(),
                valid_to: None,
            }))),
            Err(e) => self.failed(&e),
        }
    }

    /// The demo's member QR code: the next customer on file.
    fn simulate_member_code(&mut self) {
        let offset = u32::try_from(self.sim_next % 50).unwrap_or(0);
        self.sim_next += 7;
        match self.app.list_customers(1, offset) {
            Ok(cs) => match cs.into_iter().next() {
                Some(c) => {
                    self.identified(
                        Identity::from_scanned(&format!("{}{}", crate::app::checkin::MEMBER_QR_PREFIX, c.member_code)),
                        text::unknown_card(self.lang),
                    );
                }
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

fn with2<A: 'static, B: 'static>(weak: &Weak<RefCell<Kiosk>>, f: fn(&mut Kiosk, A, B)) -> impl Fn(A, B) + 'static {
    let weak = weak.clone();
    move |a, b| {
        if let Some(k) = weak.upgrade() {
            f(&mut k.borrow_mut(), a, b);
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
