//! The staff pages behind a PIN: the queue to call and move, the devices and messages to look at.

use super::*;

impl Kiosk {
    pub(super) fn open_staff(&mut self) {
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

    pub(super) fn choose_member(&mut self, id: &str) {
        self.touch();
        self.chosen = Some(id.to_string());
        self.pin.clear();
        if let Some(ui) = self.ui() {
            let st = ui.global::<StaffAdapter>();
            st.set_chosen(id.into());
            st.set_pin_shown("".into());
        }
    }

    pub(super) fn pin_key(&mut self, v: &str) {
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

    pub(super) fn pin_submit(&mut self) {
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

    pub(super) fn set_tab(&mut self, tab: i32) {
        self.touch();
        if let Some(ui) = self.ui() {
            ui.global::<StaffAdapter>().set_tab(tab);
        }
        self.refresh_staff();
    }

    /// The staff page's three lists, read afresh.
    pub(super) fn refresh_staff(&mut self) {
        if self.session.is_none() {
            return;
        }
        let (tz, l) = (self.app.tz(), self.lang);
        let lines = match self.app.queue(false) {
            Ok(q) => q,
            Err(e) => return self.failed(&e),
        };
        let mut rows = Vec::new();
        for line in &lines {
            let customer = self.app.customer_by_key(&line.entry.customer_id).ok();
            rows.push(models::queue_row(l, line, customer.as_ref()));
        }
        let appointments: Vec<AppointmentRow> = match self.app.appointments_on(None, None, false) {
            Ok(list) => list.iter().map(|a| models::appointment_row(a, tz)).collect(),
            Err(e) => return self.failed(&e),
        };
        let since = self.app.now() - chrono::Duration::hours(24);
        let devices = self.app.devices_overview(since);
        let devices: Vec<DeviceRow> = match devices {
            Ok(o) => models::device_rows(l, tz, o),
            Err(e) => return self.failed(&e),
        };
        let mut devices = devices;
        // Backups: only when they are missing or old (the daemon makes one every night).
        match self.app.backup_state() {
            Ok(state) if !state.is_ok() => devices.push(models::backup_row(l, tz, &state)),
            Ok(_) => {}
            Err(e) => return self.failed(&e),
        }
        // Cloud sync: the kiosk only reads what the daemon recorded.
        if self.app.config.cloud.enabled {
            match self.app.sync_state() {
                Ok(s) => {
                    let offline = self.app.offline_since(&s);
                    devices.push(models::cloud_row(l, tz, &s, offline, self.app.now()));
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
    pub(super) fn call_next(&mut self) {
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

    pub(super) fn print_slip(
        &mut self,
        e: &crate::domain::model::QueueEntry,
    ) -> Result<(), crate::station::StationError> {
        let c = self.app.customer_by_key(&e.customer_id)?;
        printing::queue_slip(&mut self.app, e, &c)?;
        if let Some(w) = &self.devices.print_worker {
            w.wake();
        }
        Ok(())
    }

    pub(super) fn move_entry(&mut self, ticket: &str, to: &str) {
        self.touch();
        self.notice("", false);
        let Some(actor) = self.session.as_ref().map(|s| s.id.clone()) else { return };
        let Some(to) = QueueStatus::from_db(to) else { return };
        if let Err(e) = self.app.queue_move(Some(ticket), to, None, &actor) {
            self.notice(&e.to_string(), true);
        }
        self.refresh_staff();
    }
}
