//! The welcome page: the phone keypad, cards on the readers (and their simulators), the language.

use super::*;

impl Kiosk {
    pub(super) fn start(&mut self) {
        self.touch();
        if !self.ready_for_business() {
            return;
        }
        self.notice("", false);
        self.go(Page::Identify);
    }

    pub(super) fn back(&mut self) {
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

    pub(super) fn switch_language(&mut self) {
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

    pub(super) fn show_digits(&self) {
        if let Some(ui) = self.ui() {
            let i = ui.global::<IdentifyAdapter>();
            i.set_shown(models::phone_echo(&self.visit.digits).into());
            i.set_can_submit(Phone::parse(&self.visit.digits).is_ok());
        }
    }

    pub(super) fn key(&mut self, v: &str) {
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

    pub(super) fn submit(&mut self) {
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
    pub(super) fn identified(&mut self, identity: Identity, unknown: String) -> bool {
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
    pub(super) fn unknown_card(&mut self, card: IdCardRead) {
        self.visit.card = Some(card);
        self.visit.digits.clear();
        self.show_digits();
        self.notice(&text::phone_to_register(self.lang), false);
        self.go(Page::Identify);
    }

    /// Card reader events, drained on the UI thread. The first reader is the ID-card
    /// reader, the second the member-card reader (`kiosk::devices` builds them so).
    pub(super) fn drain_readers(&mut self) {
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

    pub(super) fn reader_event_from(&mut self, device: &str, e: ReaderEvent) {
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

    pub(super) fn device_state(&mut self, device: &str, ok: bool, detail: &str) {
        if let Err(e) = self.app.record_device_status(device, ok, detail) {
            tracing::warn!(error = %e, "device status not recorded");
        }
    }

    /// The demo's ID-card swipe: 陈静's card, as the reader would hand it over.
    pub(super) fn simulate_id_card(&mut self) {
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
    pub(super) fn simulate_member_code(&mut self) {
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
