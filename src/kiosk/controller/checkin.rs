//! The customer page and the ticket: an appointment confirmed or a service and beautician chosen, the queue joined, the ticket printed.

use super::*;

impl Kiosk {
    pub(super) fn show_customer(&mut self, c: Customer, appt: Option<Appointment>) {
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

    pub(super) fn choose_service(&mut self, id: &str) {
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

    pub(super) fn choose_staff(&mut self, id: &str) {
        self.touch();
        self.visit.staff = (!id.is_empty()).then(|| id.to_string());
        self.refresh_choices();
    }

    pub(super) fn refresh_choices(&self) {
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

    pub(super) fn confirm_appointment(&mut self) {
        self.check_in(None, None);
    }

    pub(super) fn join_queue(&mut self) {
        let (service, staff) = (self.visit.service.clone(), self.visit.staff.clone());
        if service.is_some() {
            self.check_in(service, staff);
        }
    }

    pub(super) fn check_in(&mut self, service: Option<String>, staff: Option<String>) {
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
    pub(super) fn print_ticket(&mut self, o: &CheckinOutcome) -> bool {
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

    pub(super) fn beep(&mut self, p: Pattern) {
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

    pub(super) fn show_ticket(&mut self, o: &CheckinOutcome, printed: bool) {
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
        let wait = match o.checkin_points {
            0 => wait,
            n => format!("{wait} · {}", text::checkin_points(self.lang, n)),
        };
        t.set_wait(wait.into());
        t.set_printing(if printed { text::printing(self.lang) } else { text::printer_down(self.lang) }.into());
        self.notice("", false);
        self.go(Page::Ticket);
    }
}
