//! The kiosk's behaviour: what each touch, card and timer does. It calls the same library
//! functions as the command line (`App::identify`, `App::check_in`, `station::printing`)
//! and fills the pages' adapters.

mod checkin;
mod checkout;
mod rating;
mod register;
mod staff;
mod welcome;

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, Timer, TimerMode, VecModel};

use super::text::{self, Lang};
use super::{
    AppointmentRow, BillExtra, BillRow, CheckoutAdapter, Concern, CustomerAdapter, DeviceRow, IdentifyAdapter,
    KioskAdapter, KioskWindow, Page, RatingAdapter, RegisterAdapter, StaffAdapter, StaffMember, Theme, TicketAdapter,
    WelcomeAdapter, models,
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
    /// 推荐人: the phone of who recommended her, as typed.
    referrer: String,
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
    /// Her prepaid courses and packages' items to use, by id, with the service each is of
    /// (`None`: a package's product): one for the service in the queue pays for it.
    prepaid: Vec<(String, Option<String>)>,
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
        r.on_referrer_edited(with1(&weak, |k: &mut Kiosk, t: slint::SharedString| k.referrer_edited(&t)));
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
        co.on_choose_prepaid(with1(&weak, |k: &mut Kiosk, id: slint::SharedString| {
            k.notice("", false);
            let service = k
                .app
                .membership(k.bill.as_ref().map_or("", |b| b.customer_id.as_str()))
                .ok()
                .and_then(|m| m.courses.into_iter().find(|c| c.id == id.as_str()))
                .map(|c| c.service_id);
            k.edit_bill(|b| match b.prepaid.iter().position(|(c, _)| c.as_str() == id.as_str()) {
                Some(i) => {
                    b.prepaid.remove(i);
                }
                None => {
                    if let Some(service) = service {
                        b.prepaid.push((id.to_string(), service));
                    }
                }
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

    pub(super) fn ui(&self) -> Option<KioskWindow> {
        self.ui.upgrade()
    }

    pub(super) fn show_clock(&mut self) {
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
    pub(super) fn clock_ready(&mut self) -> Result<(), String> {
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
    pub(super) fn ready_for_business(&mut self) -> bool {
        match self.clock_ready() {
            Ok(()) => true,
            Err(why) => {
                self.notice(&why, true);
                false
            }
        }
    }

    /// Any customer action: the idle timer starts again.
    pub(super) fn touch(&mut self) {
        self.idle.restart();
    }

    pub(super) fn notice(&self, message: &str, error: bool) {
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            a.set_notice(message.into());
            a.set_notice_is_error(error);
        }
    }

    pub(super) fn go(&self, page: Page) {
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
        // the owner may have renamed the shop in the back office meanwhile
        if let Err(e) = self.app.refresh_profile() {
            tracing::warn!(error = %e, "shop profile not read again");
        }
        let Some(ui) = self.ui() else { return };
        ui.global::<KioskAdapter>().set_shop_name(self.app.config.shop.name.clone().into());
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
        co.set_prepaid(ModelRc::new(VecModel::default()));
        co.set_nothing_due(false);
        co.set_cash_offers(ModelRc::new(VecModel::default()));
        self.notice("", false);
        self.go(Page::Welcome);
    }

    pub(super) fn failed(&self, e: &dyn std::fmt::Display) {
        tracing::warn!(error = %e, "kiosk action failed");
        self.notice(&text::try_again(self.lang), true);
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
