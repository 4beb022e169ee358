//! Customers and their consent records.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde_json::json;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::customer::Gender;
use crate::domain::idcard::IdCardKey;
use crate::domain::model::Customer;
use crate::domain::phone::Phone;
use crate::domain::search::{CustomerQuery, initials};

/// Migration 0010's Rust step: the pinyin initials of every customer already there.
pub(super) fn fill_initials(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let names: Vec<(String, String)> = conn
        .prepare("SELECT id, name FROM customers WHERE deleted_at IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = conn.prepare("UPDATE customers SET name_initials = ?2 WHERE id = ?1")?;
    for (id, name) in names {
        st.execute(params![id, initials(&name)])?;
    }
    Ok(())
}

/// A customer to create.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    pub phone: Option<Phone>,
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub id_card: Option<IdCardKey>,
    pub tier: Option<String>,
    pub skin_type: Option<String>,
    pub skin_concerns: Vec<String>,
    pub allergies: String,
    pub contraindications: String,
    pub tags: Vec<String>,
    pub notes: String,
    /// kiosk, cli, import, cloud, demo
    pub source: String,
    /// The privacy-notice version the customer accepted, if the channel records one.
    pub privacy_notice: Option<String>,
    pub marketing_consent: bool,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub gender: Option<Gender>,
    pub birthday: Option<NaiveDate>,
    pub id_card: Option<IdCardKey>,
    pub tier: Option<String>,
    pub skin_type: Option<String>,
    pub skin_concerns: Option<Vec<String>>,
    pub allergies: Option<String>,
    pub contraindications: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    pub marketing_consent: Option<bool>,
}

impl CustomerPatch {
    pub fn is_empty(&self) -> bool {
        changed_fields(self).is_empty()
    }
}

/// Free text as it may be stored: an identity-card number typed into it is masked, whichever
/// face it came from (import, command line, kiosk, sync).
fn mask(text: &str) -> std::borrow::Cow<'_, str> {
    crate::domain::idcard::mask_in_text(text)
}

const SELECT: &str = "SELECT c.id, c.member_code, c.name, c.phone, c.gender, c.birthday, c.id_card_masked, t.name,
    c.skin_type, c.skin_concerns, c.allergies, c.contraindications, c.tags, c.notes, c.source,
    c.marketing_consent = 1 AND c.marketing_opt_out_at IS NULL,
    c.created_at, c.updated_at, t.rank
    FROM customers c LEFT JOIN membership_tiers t ON t.id = c.tier_id";

fn row_to_customer(r: &Row<'_>) -> rusqlite::Result<Customer> {
    let phone: Option<String> = r.get(3)?;
    let birthday: Option<String> = r.get(5)?;
    let concerns: String = r.get(9)?;
    let tags: String = r.get(12)?;
    Ok(Customer {
        id: r.get(0)?,
        member_code: r.get(1)?,
        name: r.get(2)?,
        phone: phone.and_then(|p| Phone::parse(&p).ok()),
        gender: Gender::from_db(&r.get::<_, String>(4)?),
        birthday: birthday.and_then(|b| super::ymd(&b)),
        id_card_masked: r.get(6)?,
        tier: r.get(7)?,
        tier_rank: r.get(18)?,
        skin_type: r.get(8)?,
        skin_concerns: serde_json::from_str(&concerns).unwrap_or_default(),
        allergies: r.get(10)?,
        contraindications: r.get(11)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        notes: r.get(13)?,
        source: r.get(14)?,
        marketing_consent: r.get::<_, i64>(15)? == 1,
        created_at: from_ms(r.get(16)?),
        updated_at: from_ms(r.get(17)?),
    })
}

impl Tx<'_> {
    fn tier_id(&self, name: &str) -> Result<String> {
        self.row("SELECT id FROM membership_tiers WHERE name = ?1", [name], |r| r.get(0)).optional()?.ok_or_else(|| {
            StoreError::NotFound { what: "会员等级", what_en: "membership tier", key: name.to_string() }
        })
    }

    /// Names of the membership tiers, entry tier first.
    pub fn tier_names(&self) -> Result<Vec<String>> {
        let mut st = self.conn().prepare_cached("SELECT name FROM membership_tiers ORDER BY rank")?;
        let names = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(names)
    }

    /// Every tag some customer carries, sorted.
    pub fn customer_tags(&self) -> Result<Vec<String>> {
        let mut st = self.conn().prepare_cached(
            "SELECT DISTINCT j.value FROM customers c, json_each(c.tags) j
             WHERE c.deleted_at IS NULL AND j.type = 'text' ORDER BY j.value",
        )?;
        let tags = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(tags)
    }

    fn next_member_code(&self) -> Result<String> {
        let n: i64 = self.row(
            "INSERT INTO settings (key, value) VALUES ('member_seq', '100001')
             ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)",
            [],
            |r| r.get(0),
        )?;
        Ok(format!("M{n}"))
    }

    /// Creates a customer with its consent records and its `customer.upserted` event.
    pub fn insert_customer(&self, c: &NewCustomer, now: DateTime<Utc>) -> Result<Customer> {
        if let Some(p) = &c.phone
            && self.customer_by_phone(p)?.is_some()
        {
            return Err(StoreError::Duplicate { what: "手机号", what_en: "phone number", key: p.masked() });
        }
        if let Some(card) = &c.id_card
            && self.customer_by_id_card(&card.hash)?.is_some()
        {
            return Err(StoreError::Duplicate {
                what: "身份证", what_en: "identity card", key: card.masked.clone()
            });
        }
        let tier_id = match &c.tier {
            Some(t) => Some(self.tier_id(t)?),
            None => None,
        };
        let id = new_id();
        let code = self.next_member_code()?;
        self.exec(
            "INSERT INTO customers (id, member_code, name, phone, gender, birthday, id_card_hash, id_card_masked, tier_id,
                skin_type, skin_concerns, allergies, contraindications, tags, notes, source, created_at, updated_at, name_initials)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18)",
            params![
                id,
                code,
                mask(c.name.trim()),
                c.phone.as_ref().map(Phone::as_str),
                c.gender.as_str(),
                c.birthday.map(|d| d.to_string()),
                c.id_card.as_ref().map(|k| k.hash.as_str()),
                c.id_card.as_ref().map(|k| k.masked.as_str()),
                tier_id,
                c.skin_type.as_deref().map(mask),
                mask(&serde_json::to_string(&c.skin_concerns)?),
                mask(&c.allergies),
                mask(&c.contraindications),
                mask(&serde_json::to_string(&c.tags)?),
                mask(&c.notes),
                c.source,
                ms(now),
                initials(c.name.trim()),
            ],
        )?;
        if let Some(version) = &c.privacy_notice {
            self.add_consent(&id, "privacy", true, Some(version), &c.source, now)?;
        }
        if c.marketing_consent {
            self.add_consent(&id, "marketing", true, c.privacy_notice.as_deref(), &c.source, now)?;
        }
        let customer = self.customer(&id)?;
        self.emit_customer(&customer, now)?;
        Ok(customer)
    }

    fn add_consent(
        &self,
        customer_id: &str,
        kind: &str,
        granted: bool,
        version: Option<&str>,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO consents (id, customer_id, kind, granted, notice_version, channel, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![new_id(), customer_id, kind, granted as i64, version, channel, ms(now)],
        )?;
        if kind == "marketing" {
            // The customer row carries the current state; the consents table is the record.
            self.exec(
                "UPDATE customers SET marketing_consent = ?2 WHERE id = ?1",
                params![customer_id, granted as i64],
            )?;
        }
        Ok(())
    }

    /// The current privacy-notice version and its text.
    pub fn privacy_notice(&self) -> Result<(String, String)> {
        Ok(self.row(
            "SELECT version, text FROM privacy_notices ORDER BY published_at DESC, version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Changes a customer, writing the consent change (if any), an audit row and a
    /// `customer.upserted` event.
    pub fn update_customer(&self, id: &str, p: &CustomerPatch, actor: &str, now: DateTime<Utc>) -> Result<Customer> {
        self.patch_customer(id, p, actor, now, now, true)
    }

    /// A customer edit that came down from the cloud: applied with the cloud's
    /// `updated_at` (so a later edit in the shop still counts as later), audited, and not
    /// sent back up.
    pub fn apply_cloud_customer(
        &self,
        id: &str,
        p: &CustomerPatch,
        cloud_updated_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        self.patch_customer(id, p, "cloud", now, cloud_updated_at, false)
    }

    fn patch_customer(
        &self,
        id: &str,
        p: &CustomerPatch,
        actor: &str,
        now: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        emit: bool,
    ) -> Result<Customer> {
        let before = self.customer(id)?;
        if let Some(phone) = &p.phone
            && let Some(other) = self.customer_by_phone(phone)?
            && other.id != id
        {
            return Err(StoreError::Duplicate { what: "手机号", what_en: "phone number", key: phone.masked() });
        }
        let tier_id = match &p.tier {
            Some(t) => Some(self.tier_id(t)?),
            None => None,
        };
        self.exec(
            "UPDATE customers SET
                name = COALESCE(?2, name), phone = COALESCE(?3, phone), gender = COALESCE(?4, gender),
                birthday = COALESCE(?5, birthday), id_card_hash = COALESCE(?6, id_card_hash),
                id_card_masked = COALESCE(?7, id_card_masked), tier_id = COALESCE(?8, tier_id),
                skin_type = COALESCE(?9, skin_type), skin_concerns = COALESCE(?10, skin_concerns),
                allergies = COALESCE(?11, allergies), contraindications = COALESCE(?12, contraindications),
                tags = COALESCE(?13, tags), notes = COALESCE(?14, notes), updated_at = ?15,
                name_initials = COALESCE(?16, name_initials)
             WHERE id = ?1",
            params![
                id,
                p.name.as_deref().map(|n| mask(n.trim())),
                p.phone.as_ref().map(Phone::as_str),
                p.gender.map(Gender::as_str),
                p.birthday.map(|d| d.to_string()),
                p.id_card.as_ref().map(|k| k.hash.as_str()),
                p.id_card.as_ref().map(|k| k.masked.as_str()),
                tier_id,
                p.skin_type.as_deref().map(mask),
                p.skin_concerns.as_ref().map(serde_json::to_string).transpose()?.as_deref().map(mask),
                p.allergies.as_deref().map(mask),
                p.contraindications.as_deref().map(mask),
                p.tags.as_ref().map(serde_json::to_string).transpose()?.as_deref().map(mask),
                p.notes.as_deref().map(mask),
                ms(updated_at),
                p.name.as_deref().map(|n| initials(n.trim())),
            ],
        )?;
        if let Some(m) = p.marketing_consent
            && m != before.marketing_consent
        {
            self.add_consent(id, "marketing", m, None, actor, now)?;
            if m {
                self.exec("UPDATE customers SET marketing_opt_out_at = NULL WHERE id = ?1", [id])?;
            }
        }
        let after = self.customer(id)?;
        self.audit(now, actor, "customer.edit", "customer", id, &json!({ "fields": changed_fields(p) }))?;
        if emit {
            self.emit_customer(&after, now)?;
        }
        Ok(after)
    }

    /// Deletes a customer's personal data at their request (the privacy notice promises
    /// it): the row stays as an anonymous record for the shop's accounts (visits, ledgers),
    /// its name becomes 已删除顾客, and phone, birthday, identity-card digest, skin and
    /// health notes, tags, WeChat id, member cards and care records go. Messages still
    /// waiting are cancelled and future bookings cancelled; `customer.deleted` goes to the
    /// cloud. Returns the ids of the cancelled appointments.
    pub fn delete_customer(&self, id: &str, actor: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
        let c = self.customer(id)?;
        self.exec(
            "UPDATE customers SET name = '已删除顾客', phone = NULL, gender = 'unknown', birthday = NULL,
                 id_card_hash = NULL, id_card_masked = NULL, skin_type = NULL, skin_concerns = '[]',
                 allergies = '', contraindications = '', tags = '[]', notes = '', wechat_openid = NULL, name_initials = '',
                 preferred_staff_id = NULL, marketing_consent = 0, updated_at = ?2, deleted_at = ?2
             WHERE id = ?1",
            params![id, ms(now)],
        )?;
        // What she asked the shop to note on her bookings goes too.
        self.exec("UPDATE appointments SET note = '' WHERE customer_id = ?1", [id])?;
        self.exec("DELETE FROM member_cards WHERE customer_id = ?1", [id])?;
        self.exec("DELETE FROM care_records WHERE customer_id = ?1", [id])?;
        self.exec("DELETE FROM customer_interactions WHERE customer_id = ?1", [id])?;
        self.exec("UPDATE feedback SET comment = '' WHERE customer_id = ?1", [id])?;
        self.exec(
            "UPDATE notification_outbox SET status = 'cancelled', updated_at = ?2,
                 last_error = '顾客已删除资料 / the customer''s data was deleted'
             WHERE customer_id = ?1 AND status = 'pending'",
            params![id, ms(now)],
        )?;
        // What her messages said (her name in their parameters) and the number they went
        // to go too; the rows stay for the shop's counts.
        self.exec(
            "UPDATE notification_outbox SET params = '{}', recipient = NULL, check_after = NULL,
                 status = CASE WHEN status IN ('pending', 'unknown') THEN 'cancelled' ELSE status END
             WHERE customer_id = ?1",
            [id],
        )?;
        let future: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM appointments WHERE customer_id = ?1 AND status = 'booked' AND starts_at > ?2",
            )?
            .query_map(params![id, ms(now)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for a in &future {
            self.set_appointment_status(
                a,
                crate::domain::model::AppointmentStatus::Cancelled,
                Some("顾客已删除资料 / the customer's data was deleted"),
                now,
            )?;
        }
        self.audit(now, actor, "customer.delete", "customer", id, &json!({ "member_code": c.member_code }))?;
        self.emit_event(
            "customer.deleted",
            now,
            &json!({ "id": id, "member_code": c.member_code, "deleted_at": self.rfc3339(now) }),
        )?;
        // Her snapshots in the sync queue, sent or not, go: the cloud hears only that she was
        // deleted. (After the event above, so the queue's highest seq is never removed.)
        self.exec(
            "DELETE FROM sync_outbox WHERE type = 'customer.upserted' AND json_extract(payload, '$.id') = ?1",
            [id],
        )?;
        self.exec(
            "UPDATE sync_outbox SET payload = json_set(payload, '$.note', '')
             WHERE type IN ('appointment.upserted', 'appointment.cancelled')
               AND json_extract(payload, '$.customer_id') = ?1",
            [id],
        )?;
        Ok(future)
    }

    pub fn customer(&self, id: &str) -> Result<Customer> {
        self.row(&format!("{SELECT} WHERE c.id = ?1 AND c.deleted_at IS NULL"), [id], row_to_customer)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "顾客", what_en: "customer", key: id.to_string() })
    }

    pub fn customer_by_phone(&self, phone: &Phone) -> Result<Option<Customer>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE c.phone = ?1 AND c.deleted_at IS NULL"))?
            .query_row([phone.as_str()], row_to_customer)
            .optional()?)
    }

    pub fn customer_by_member_code(&self, code: &str) -> Result<Option<Customer>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE c.member_code = ?1 AND c.deleted_at IS NULL"))?
            .query_row([code.trim().to_uppercase()], row_to_customer)
            .optional()?)
    }

    /// A customer by a member card's number (as a card reader sends it).
    pub fn customer_by_member_card(&self, card_no: &str) -> Result<Option<Customer>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{SELECT} JOIN member_cards m ON m.customer_id = c.id WHERE m.card_no = ?1 AND c.deleted_at IS NULL"
            ))?
            .query_row([card_no.trim().to_uppercase()], row_to_customer)
            .optional()?)
    }

    /// Links a member card to a customer; a card already linked to someone else is refused.
    pub fn link_member_card(&self, card_no: &str, customer_id: &str, now: DateTime<Utc>) -> Result<()> {
        let card = card_no.trim().to_uppercase();
        let owner: Option<String> =
            self.row("SELECT customer_id FROM member_cards WHERE card_no = ?1", [&card], |r| r.get(0)).optional()?;
        match owner {
            Some(o) if o == customer_id => Ok(()),
            Some(_) => Err(StoreError::Duplicate { what: "会员卡", what_en: "member card", key: card }),
            None => {
                self.exec(
                    "INSERT INTO member_cards (card_no, customer_id, linked_at) VALUES (?1, ?2, ?3)",
                    params![card, customer_id, ms(now)],
                )?;
                Ok(())
            }
        }
    }

    /// Unlinks a card (lost or returned); returns whether it was linked.
    pub fn unlink_member_card(&self, card_no: &str) -> Result<bool> {
        Ok(self.exec("DELETE FROM member_cards WHERE card_no = ?1", [card_no.trim().to_uppercase()])? > 0)
    }

    pub fn customer_by_id_card(&self, hash: &str) -> Result<Option<Customer>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE c.id_card_hash = ?1 AND c.deleted_at IS NULL"))?
            .query_row([hash], row_to_customer)
            .optional()?)
    }

    /// Customers whose name, phone or member code contains `query`, newest first.
    pub fn find_customers(&self, query: &str, limit: u32) -> Result<Vec<Customer>> {
        let like = format!("%{}%", query.trim().replace('%', "\\%").replace('_', "\\_"));
        let mut st = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE c.deleted_at IS NULL AND (c.name LIKE ?1 ESCAPE '\\' OR c.phone LIKE ?1 ESCAPE '\\' OR c.member_code LIKE ?1 ESCAPE '\\')
             ORDER BY c.created_at DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![like, limit], row_to_customer)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The back office's search box: each kind of query by its own index (phone, phone
    /// tail, member code, initials, name prefix); a name fragment inside a name is looked
    /// for only when the prefix finds too few.
    pub fn search_customers(&self, q: &CustomerQuery, limit: u32) -> Result<Vec<Customer>> {
        let by = |sql: &str, arg: &str, limit: u32| -> Result<Vec<Customer>> {
            let mut st = self.conn().prepare_cached(&format!(
                "{SELECT} WHERE c.deleted_at IS NULL AND {sql} ORDER BY c.updated_at DESC, c.id LIMIT ?2"
            ))?;
            Ok(st.query_map(params![arg, limit], row_to_customer)?.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        let mut found = match q {
            CustomerQuery::Empty => return Ok(Vec::new()),
            CustomerQuery::Phone(p) => return Ok(self.customer_by_phone(p)?.into_iter().collect()),
            CustomerQuery::PhoneTail(t) => by("c.phone_tail = ?1", t, limit)?,
            CustomerQuery::MemberCode(m) => by("c.member_code >= ?1 AND c.member_code < ?1 || 'z'", m, limit)?,
            CustomerQuery::Initials(i) => by("c.name_initials >= ?1 AND c.name_initials < ?1 || '{'", i, limit)?,
            CustomerQuery::Text(t) if t.bytes().all(|b| b.is_ascii_digit()) => {
                by("c.phone >= ?1 AND c.phone < ?1 || ':'", t, limit)?
            }
            CustomerQuery::Text(t) => by("c.name >= ?1 AND c.name < ?1 || char(1114111)", t, limit)?,
        };
        let fragment = match q {
            CustomerQuery::Initials(t) | CustomerQuery::Text(t) => Some(t),
            _ => None,
        };
        if let Some(t) = fragment
            && found.len() < limit as usize
        {
            let like = format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            for c in by("c.name LIKE ?1 ESCAPE '\\'", &like, limit)? {
                if found.len() < limit as usize && !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
        }
        Ok(found)
    }

    pub fn list_customers(&self, limit: u32, offset: u32) -> Result<Vec<Customer>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = st.query_map(params![limit, offset], row_to_customer)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub(crate) fn emit_customer_by_id(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        let c = self.customer(id)?;
        self.emit_customer(&c, now)
    }

    fn emit_customer(&self, c: &Customer, now: DateTime<Utc>) -> Result<()> {
        let payload = json!({
            "id": c.id,
            "member_code": c.member_code,
            "name": c.name,
            "phone": c.phone,
            "gender": c.gender,
            "birthday": c.birthday,
            "id_card_masked": c.id_card_masked,
            "tier": c.tier,
            "skin_type": c.skin_type,
            "skin_concerns": c.skin_concerns,
            "allergies": c.allergies,
            "contraindications": c.contraindications,
            "tags": c.tags,
            "notes": c.notes,
            "marketing_consent": c.marketing_consent,
            "created_at": self.rfc3339(c.created_at),
            "updated_at": self.rfc3339(c.updated_at),
        });
        self.emit_event("customer.upserted", now, &payload)
    }
}

fn changed_fields(p: &CustomerPatch) -> Vec<&'static str> {
    let mut f = Vec::new();
    let checks: [(&'static str, bool); 13] = [
        ("name", p.name.is_some()),
        ("phone", p.phone.is_some()),
        ("gender", p.gender.is_some()),
        ("birthday", p.birthday.is_some()),
        ("id_card", p.id_card.is_some()),
        ("tier", p.tier.is_some()),
        ("skin_type", p.skin_type.is_some()),
        ("skin_concerns", p.skin_concerns.is_some()),
        ("allergies", p.allergies.is_some()),
        ("contraindications", p.contraindications.is_some()),
        ("tags", p.tags.is_some()),
        ("notes", p.notes.is_some()),
        ("marketing_consent", p.marketing_consent.is_some()),
    ];
    for (name, set) in checks {
        if set {
            f.push(name);
        }
    }
    f
}

impl Tx<'_> {
    /// Customers (not deleted) whose birthday falls on one of `month_days` (`MM-DD`):
    /// `(id, birthday)`. Reads the birthday index.
    pub fn birthdays_on(&self, month_days: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut st = self.conn().prepare_cached(
            "SELECT id, birthday FROM customers WHERE substr(birthday, 6) = ?1 AND deleted_at IS NULL ORDER BY id",
        )?;
        for md in month_days {
            out.extend(st.query_map([md], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        Ok(out)
    }
}
