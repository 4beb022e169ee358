//! The till: the bill of a visit, its lines and tenders, the payment.

use super::*;

impl Kiosk {
    pub(super) fn open_checkout(&mut self, ticket: &str) {
        self.touch();
        let Some(staff) = self.session.as_ref().map(|s| s.id.clone()) else { return };
        let entry = match self.app.queue(false) {
            Ok(lines) => lines.into_iter().map(|l| l.entry).find(|e| e.ticket == ticket),
            Err(e) => return self.failed(&e),
        };
        let Some(e) = entry else { return };
        // A course or package she holds for this very service pays for it unless the desk
        // takes it off: the one ending first.
        let now = self.app.now();
        let prepaid: Vec<(String, Option<String>)> = self
            .app
            .membership(&e.customer_id)
            .map(|m| m.courses)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.usable(now) && c.service_id.as_deref() == Some(e.service_id.as_str()))
            .min_by_key(|c| c.valid_until.unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC))
            .map(|c| (c.id, c.service_id))
            .into_iter()
            .collect();
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
            prepaid,
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

    pub(super) fn checkout_request(&self, b: &BillDraft, pay: bool) -> crate::app::checkout::CheckoutRequest {
        use crate::app::checkout::{CheckoutRequest, ItemKey, ItemRequest};
        use crate::domain::checkout::Use;
        let staff: Vec<(String, Option<rust_decimal::Decimal>)> =
            b.staff_id.iter().map(|s| (s.clone(), None)).collect();
        let line = |item: ItemKey, quantity: u32| ItemRequest {
            item,
            quantity,
            staff: staff.clone(),
            expected_unit_price: None,
        };
        // the first prepaid item of the queued service pays for it; the others are lines of their own
        let main = b.prepaid.iter().position(|(_, s)| s.as_deref() == Some(b.service_id.as_str()));
        let service = match main {
            Some(i) => ItemKey::CourseSession(b.prepaid[i].0.clone()),
            None => ItemKey::Service(b.service_id.clone()),
        };
        CheckoutRequest {
            customer: Some(b.customer_id.clone()),
            items: std::iter::once(line(service, 1))
                .chain(
                    b.prepaid
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| Some(*i) != main)
                        .map(|(_, (id, _))| line(ItemKey::CourseSession(id.clone()), 1)),
                )
                .chain(b.products.iter().map(|(id, n)| line(ItemKey::Product(id.clone()), *n)))
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
    pub(super) fn edit_bill(&mut self, f: impl FnOnce(&mut BillDraft)) {
        if let Some(b) = &mut self.bill {
            f(b);
        }
        self.show_bill();
    }

    /// The bill as the library prices it now (a quote: nothing is recorded).
    pub(super) fn show_bill(&mut self) {
        self.touch();
        let Some(b) = self.bill.as_ref() else { return };
        if b.paid {
            return;
        }
        let req = self.checkout_request(b, false);
        let customer_id = b.customer_id.clone();
        let (tender, use_points, use_sv) = (b.tender, b.use_points, b.use_stored_value);
        let (in_bill, coupon, chosen) = (b.products.clone(), b.coupon.clone(), b.prepaid.clone());
        let quote = match self.app.quote(&req) {
            Ok(q) => q,
            Err(e) => {
                // A coupon that does not apply (minimum spend, another service): take it off
                // again and say why.
                if let Some(b) = self.bill.as_mut().filter(|b| b.coupon.is_some()) {
                    b.coupon = None;
                    self.show_bill();
                } else if let Some(b) = self.bill.as_mut().filter(|b| !b.prepaid.is_empty()) {
                    // a prepaid item that cannot be used (used up meanwhile): off again
                    b.prepaid.pop();
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
        let lines: Vec<BillRow> = quote.lines.iter().map(models::bill_line).collect();
        let totals: Vec<BillRow> =
            s.totals.into_iter().map(|(k, v)| BillRow { label: k.into(), value: v.into() }).collect();
        c.set_lines(ModelRc::new(VecModel::from(lines)));
        c.set_totals(ModelRc::new(VecModel::from(totals)));
        c.set_due(crate::domain::money::show_yuan(due).into());
        c.set_nothing_due(due.is_zero());
        if let Some(m) = &membership {
            let sv = crate::domain::money::show_yuan(m.stored_value_principal + m.stored_value_bonus);
            c.set_balances(text::balances(self.lang, m.points, &sv).into());
        }
        let extras: Vec<BillExtra> =
            products.iter().filter(|p| p.active).take(12).map(|p| models::product_extra(p, &in_bill)).collect();
        c.set_products_in_bill(!in_bill.is_empty());
        c.set_products(ModelRc::new(VecModel::from(extras)));
        let tz = self.app.tz();
        let coupons: Vec<BillExtra> = membership
            .as_ref()
            .map(|m| {
                m.coupons
                    .iter()
                    .filter(|k| !k.redeemed)
                    .map(|k| models::coupon_extra(self.lang, tz, k, coupon.as_deref()))
                    .collect()
            })
            .unwrap_or_default();
        c.set_coupons(ModelRc::new(VecModel::from(coupons)));
        let now = self.app.now();
        let prepaid: Vec<BillExtra> = membership
            .as_ref()
            .map(|m| {
                m.courses
                    .iter()
                    .filter(|k| k.usable(now))
                    .map(|k| models::prepaid_extra(self.lang, tz, k, chosen.iter().any(|(id, _)| id == &k.id)))
                    .collect()
            })
            .unwrap_or_default();
        c.set_prepaid(ModelRc::new(VecModel::from(prepaid)));
        c.set_use_points(use_points);
        c.set_use_stored_value(use_sv);
        c.set_tender(tender.map(|t| t.as_str()).unwrap_or_default().into());
        let offers: Vec<BillExtra> =
            offers.into_iter().map(|given| models::cash_offer(self.lang, given, due, cash_given)).collect();
        c.set_cash_offers(ModelRc::new(VecModel::from(offers)));
        c.set_paid(false);
    }

    /// Records the visit through the library's checkout, prints the receipt and closes the
    /// queue entry.
    pub(super) fn pay(&mut self) {
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
}
