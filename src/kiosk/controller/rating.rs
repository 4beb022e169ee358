//! The rating page after checkout: stars, tags, a comment, once per visit.

use super::*;

impl Kiosk {
    /// After payment staff hand the kiosk to the customer: staff mode ends, and the rating
    /// page shows the visit's services and beautician.
    pub(super) fn ask_rating(&mut self) {
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

    pub(super) fn show_rating_tags(&self) {
        let (Some(ui), Some(r)) = (self.ui(), self.rating.as_ref()) else { return };
        let tags: Vec<Concern> = r
            .tags
            .iter()
            .map(|(zh, en, on)| Concern { name: text::rating_tag(self.lang, zh, en).into(), checked: *on })
            .collect();
        ui.global::<RatingAdapter>().set_tags(ModelRc::new(VecModel::from(tags)));
    }

    pub(super) fn rate(&mut self, stars: i32) {
        self.touch();
        let Some(r) = self.rating.as_mut() else { return };
        r.stars = i64::from(stars.clamp(1, 5));
        let stars = r.stars;
        if let Some(ui) = self.ui() {
            ui.global::<RatingAdapter>().set_stars(stars as i32);
        }
    }

    pub(super) fn toggle_tag(&mut self, i: i32) {
        self.touch();
        if let Some(t) = self.rating.as_mut().and_then(|r| usize::try_from(i).ok().and_then(|i| r.tags.get_mut(i))) {
            t.2 = !t.2;
        }
        self.show_rating_tags();
    }

    pub(super) fn submit_rating(&mut self) {
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
}
