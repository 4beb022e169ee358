//! The registration page for a new phone number: name, birthday, gender, concerns, consent.

use super::*;

impl Kiosk {
    pub(super) fn start_registration(&mut self, phone: Phone) {
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
        r.set_referrer("".into());
        self.show_draft();
        self.notice("", false);
        self.go(Page::Register);
    }

    pub(super) fn show_draft(&self) {
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
        let referrer_ok = d.referrer.trim().is_empty() || Phone::parse(&d.referrer).is_ok();
        r.set_details_ok(!d.name.trim().is_empty() && birthday_ok && referrer_ok);
        r.set_consent(d.consent);
        r.set_marketing(d.marketing);
    }

    pub(super) fn name_edited(&mut self, t: &str) {
        self.touch();
        self.visit.draft.name = t.to_string();
        self.show_draft();
    }

    pub(super) fn birthday_edited(&mut self, t: &str) {
        self.touch();
        self.visit.draft.birthday = t.to_string();
        let bad = !t.trim().is_empty() && t.trim().len() >= 8 && parse_birthday(t).is_err();
        self.notice(if bad { text::bad_birthday(self.lang) } else { String::new() }.as_str(), bad);
        self.show_draft();
    }

    /// 推荐人: a full number that is nobody's is said at once; the registration checks it again.
    pub(super) fn referrer_edited(&mut self, t: &str) {
        self.touch();
        self.visit.draft.referrer = t.to_string();
        let unknown = match Phone::parse(t) {
            Ok(p) => matches!(
                self.app.customer_by_key(p.as_str()),
                Err(crate::app::AppError::Store(crate::store::StoreError::NotFound { .. }))
            ),
            Err(_) => t.trim().len() >= 11,
        };
        self.notice(if unknown { text::unknown_referrer(self.lang) } else { String::new() }.as_str(), unknown);
        self.show_draft();
    }

    pub(super) fn choose_gender(&mut self, g: i32) {
        self.touch();
        self.visit.draft.gender = match g {
            1 => Gender::Female,
            2 => Gender::Male,
            _ => Gender::Unknown,
        };
        self.show_draft();
    }

    pub(super) fn toggle_concern(&mut self, i: i32) {
        self.touch();
        if let Some(c) = usize::try_from(i).ok().and_then(|i| self.visit.draft.concerns.get_mut(i)) {
            *c = !*c;
        }
        self.show_draft();
    }

    pub(super) fn show_consent(&mut self) {
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

    pub(super) fn toggle_consent(&mut self) {
        self.touch();
        self.visit.draft.consent = !self.visit.draft.consent;
        self.notice("", false);
        self.show_draft();
    }

    pub(super) fn toggle_marketing(&mut self) {
        self.touch();
        self.visit.draft.marketing = !self.visit.draft.marketing;
        self.show_draft();
    }

    /// Registers the new customer (never without the privacy consent) and carries on to
    /// the service choice.
    pub(super) fn register(&mut self) {
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
            referred_by: Some(d.referrer.trim().to_string()).filter(|r| !r.is_empty()),
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
}
