//! Registering, finding and editing customers.

use chrono::NaiveDate;

use super::{App, AppError, Result};
use crate::domain::customer::{Gender, check_birthday, check_length, limits};
use crate::domain::idcard::IdNumber;
use crate::domain::model::Customer;
use crate::domain::phone::Phone;
use crate::store::{CustomerPatch, NewCustomer, StoreError, Tx};

/// A registration as typed at the kiosk or on the command line (unvalidated text).
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub name: String,
    pub phone: String,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    /// Typed; validated, hashed and masked here, never stored.
    pub id_number: Option<String>,
    /// Read by the identity-card reader, which hands out only the keyed hash and masked
    /// form (used when `id_number` is absent).
    pub id_card_key: Option<crate::domain::idcard::IdCardKey>,
    pub skin_type: Option<String>,
    pub skin_concerns: Vec<String>,
    pub allergies: String,
    pub contraindications: String,
    pub notes: String,
    pub tier: Option<String>,
    /// The privacy notice version the customer accepted (required at the kiosk).
    pub privacy_notice: Option<String>,
    pub marketing_consent: bool,
    pub source: String,
    /// Who recommended her (推荐人): a member's phone or member code, asked at registration.
    pub referred_by: Option<String>,
}

/// Parses a birthday as salons write it: 1990-05-02, 1990/5/2, 19900502, 1990年5月2日, 1990.5.2.
pub fn parse_birthday(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let t = t.trim_end_matches('-');
    let parsed = if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        NaiveDate::parse_from_str(t, "%Y%m%d")
    } else {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
    };
    match parsed {
        Ok(d) if d.year_ok() => Ok(d),
        _ => Err(format!(
            "无法识别的日期 \"{}\"（例如 1990-05-02）/ unrecognised date \"{}\" (e.g. 1990-05-02)",
            s.trim(),
            s.trim()
        )),
    }
}

trait YearOk {
    fn year_ok(&self) -> bool;
}
impl YearOk for NaiveDate {
    fn year_ok(&self) -> bool {
        use chrono::Datelike;
        (1900..=2100).contains(&self.year())
    }
}

/// The length limits of a customer's text fields (`domain::customer::limits`), each refusal
/// naming its field.
fn check_text_fields(
    name: &str,
    skin_type: Option<&str>,
    allergies: &str,
    contraindications: &str,
    notes: &str,
    concerns: &[String],
) -> Result<()> {
    let checks = [
        ("姓名 name", name, limits::NAME),
        ("肤质 skin type", skin_type.unwrap_or(""), limits::SKIN_TYPE),
        ("过敏 allergies", allergies, limits::ALLERGIES),
        ("禁忌 contraindications", contraindications, limits::CONTRAINDICATIONS),
        ("备注 notes", notes, limits::NOTES),
    ];
    for (field, text, max) in
        checks.into_iter().chain(concerns.iter().map(|c| ("皮肤问题 concern", c.as_str(), limits::TAG)))
    {
        check_length(field, text, max).map_err(|m| AppError::input(field, m))?;
    }
    Ok(())
}

pub fn parse_gender(s: &str) -> Result<Gender, String> {
    Gender::parse(s)
        .ok_or_else(|| format!("无法识别的性别 \"{s}\"（女/男）/ unrecognised gender \"{s}\" (female/male)"))
}

impl App {
    /// Validates and stores a new customer. An identity-card number is checked, then kept
    /// only as keyed hash + masked form; its birth date and sex fill empty fields.
    pub fn register(&mut self, r: &Registration) -> Result<Customer> {
        let name = r.name.trim();
        if name.is_empty() {
            return Err(AppError::input("姓名 name", "不能为空 / must not be empty"));
        }
        check_text_fields(
            &r.name,
            r.skin_type.as_deref(),
            &r.allergies,
            &r.contraindications,
            &r.notes,
            &r.skin_concerns,
        )?;
        let phone = Phone::parse(&r.phone).map_err(|e| AppError::input("手机号 phone", e.to_string()))?;
        let mut gender = match &r.gender {
            Some(g) => parse_gender(g).map_err(|m| AppError::input("性别 gender", m))?,
            None => Gender::Unknown,
        };
        let mut birthday = match &r.birthday {
            Some(b) if !b.trim().is_empty() => {
                Some(parse_birthday(b).map_err(|m| AppError::input("生日 birthday", m))?)
            }
            _ => None,
        };
        if let Some(b) = birthday {
            check_birthday(b, self.today()).map_err(|m| AppError::input("生日 birthday", m))?;
        }
        let id_card = match &r.id_number {
            Some(n) if !n.trim().is_empty() => {
                let id = IdNumber::parse(n).map_err(|e| AppError::input("身份证 id card", e.to_string()))?;
                if gender == Gender::Unknown {
                    gender = id.gender();
                }
                if birthday.is_none() {
                    birthday = id.birth_date();
                }
                Some(id.key(self.device_key()))
            }
            _ => r.id_card_key.clone(),
        };
        let now = self.now();
        let new = NewCustomer {
            name: name.to_string(),
            phone: Some(phone),
            gender,
            birthday,
            id_card,
            tier: r.tier.clone(),
            skin_type: r.skin_type.clone(),
            skin_concerns: r.skin_concerns.clone(),
            allergies: r.allergies.trim().to_string(),
            contraindications: r.contraindications.trim().to_string(),
            tags: Vec::new(),
            notes: r.notes.trim().to_string(),
            source: r.source.clone(),
            privacy_notice: r.privacy_notice.clone(),
            marketing_consent: r.marketing_consent,
        };
        let actor = r.source.clone();
        let referred_by = r.referred_by.as_deref().map(str::trim).filter(|k| !k.is_empty());
        self.store.write(|tx| {
            let referrer = match referred_by {
                Some(k) => Some(lookup_customer(tx, k).map_err(|_| {
                    AppError::input("推荐人 referred by", format!("找不到会员「{k}」/ no member \"{k}\""))
                })?),
                None => None,
            };
            let c = tx.insert_customer(&new, now)?;
            if let Some(r) = &referrer {
                tx.set_referrer(&c.id, &r.id)?;
            }
            tx.audit(
                now,
                &actor,
                "customer.add",
                "customer",
                &c.id,
                &serde_json::json!({ "source": actor, "referred_by": referrer.as_ref().map(|r| &r.id) }),
            )?;
            Ok::<_, AppError>(c)
        })
    }

    /// Records who recommended a customer after registration (asked later at the desk).
    /// Refused once her first visit has earned the referral points, and for herself.
    pub fn set_referrer(&mut self, key: &str, referrer_key: &str, actor: &str) -> Result<Customer> {
        let now = self.now();
        let field = "推荐人 referred by";
        let rk = referrer_key.trim();
        self.store.write(|tx| {
            let c = lookup_customer(tx, key)?;
            let r = lookup_customer(tx, rk)
                .map_err(|_| AppError::input(field, format!("找不到会员「{rk}」/ no member \"{rk}\"")))?;
            if r.id == c.id {
                return Err(AppError::input(field, "不能推荐自己 / a customer cannot refer herself".to_string()));
            }
            if tx.referral_award(&c.id)?.is_some() {
                return Err(AppError::input(
                    field,
                    "推荐奖励已发放，不能再改推荐人 / the referral was already rewarded; the referrer cannot change"
                        .to_string(),
                ));
            }
            tx.set_referrer(&c.id, &r.id)?;
            tx.audit(now, actor, "customer.referrer", "customer", &c.id, &serde_json::json!({ "referred_by": r.id }))?;
            Ok::<_, AppError>(c)
        })
    }

    /// A customer by phone number, member code (M100001) or id.
    pub fn customer_by_key(&mut self, key: &str) -> Result<Customer> {
        self.store.read(|tx| lookup_customer(tx, key))
    }

    /// Deletes a customer's personal data at their request (see `Tx::delete_customer`).
    /// Refused while the shop still owes them something (stored value, course sessions):
    /// refund it first. Returns the customer as they were and how many future bookings
    /// were cancelled.
    pub fn delete_customer(&mut self, key: &str, actor: &str) -> Result<(Customer, usize)> {
        let now = self.now();
        // One transaction: what the shop owes her is checked where the deletion happens, so
        // a top-up at the desk in between cannot be lost with her.
        self.store.write(|tx| {
            let c = lookup_customer(tx, key)?;
            // The principal is the customer's money; a bonus is the shop's gift and lapses.
            let (sv, _) = tx.stored_value_balance(&c.id, now)?;
            let held = sv.principal;
            if held > rust_decimal::Decimal::ZERO {
                return Err(AppError::input(
                    "删除 delete",
                    format!(
                        "{} 还有储值 ¥{held}：请先退还（salonbox stored-value refund）/ {} still holds ¥{held} of stored value: refund it first",
                        c.name, c.name
                    ),
                ));
            }
            if let Some(course) = tx.courses(&c.id)?.into_iter().find(|k| k.sessions_left > 0) {
                return Err(AppError::input(
                    "删除 delete",
                    format!(
                        "{} 的次卡「{}」还剩 {} 次：请先处理 / {}'s course \"{}\" has {} sessions left: settle it first",
                        c.name,
                        course.service_name,
                        course.sessions_left,
                        c.name,
                        course.service_name,
                        course.sessions_left
                    ),
                ));
            }
            let cancelled = tx.delete_customer(&c.id, actor, now)?;
            Ok((c, cancelled.len()))
        })
        .inspect(|_| {
            // what the deletion overwrote must not linger in the WAL
            if let Err(e) = self.store.checkpoint_truncate() {
                tracing::warn!(error = %e, "checkpoint after a deletion failed");
            }
        })
    }

    pub fn edit_customer(&mut self, key: &str, patch: CustomerPatch, actor: &str) -> Result<Customer> {
        self.edit_customer_seen(key, patch, None, actor)
    }

    /// Changes a customer as [`App::edit_customer`] does; `seen`: when she was last changed
    /// as the editor's page showed it (`updated_at`, milliseconds). If someone changed her
    /// since, nothing is written and the refusal says so.
    pub fn edit_customer_seen(
        &mut self,
        key: &str,
        patch: CustomerPatch,
        seen: Option<i64>,
        actor: &str,
    ) -> Result<Customer> {
        if patch.is_empty() {
            return Err(AppError::input("edit", "没有要修改的字段 / nothing to change"));
        }
        if let Some(n) = &patch.name
            && n.trim().is_empty()
        {
            return Err(AppError::input("姓名 name", "不能为空 / must not be empty"));
        }
        check_text_fields(
            patch.name.as_deref().unwrap_or(""),
            patch.skin_type.as_deref(),
            patch.allergies.as_deref().unwrap_or(""),
            patch.contraindications.as_deref().unwrap_or(""),
            patch.notes.as_deref().unwrap_or(""),
            patch.skin_concerns.as_deref().unwrap_or(&[]),
        )?;
        for t in patch.tags.iter().flatten() {
            check_length("标签 tag", t, limits::TAG).map_err(|m| AppError::input("标签 tag", m))?;
        }
        if let Some(b) = patch.birthday {
            check_birthday(b, self.today()).map_err(|m| AppError::input("生日 birthday", m))?;
        }
        let id = self.customer_by_key(key)?.id;
        let now = self.now();
        self.store.write(|tx| {
            if let Some(seen) = seen {
                let current = tx.customer(&id)?;
                if current.updated_at.timestamp_millis() != seen {
                    return Err(AppError::Stale(format!(
                        "{} 的资料已被他人修改，请查看最新内容后再改 / {}'s profile was changed meanwhile: look at it again before changing it",
                        current.name, current.name
                    )));
                }
            }
            Ok::<_, AppError>(tx.update_customer(&id, &patch, actor, now)?)
        })
    }

    /// Links a member card (its number as the reader sends it) to a customer, or with
    /// `remove` unlinks it.
    pub fn member_card(&mut self, key: &str, card_no: &str, remove: bool, actor: &str) -> Result<Customer> {
        let card = card_no.trim();
        if card.is_empty() || !card.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::input(
                "会员卡 card",
                format!("卡号「{card_no}」无效 / invalid card number \"{card_no}\""),
            ));
        }
        let c = self.customer_by_key(key)?;
        let now = self.now();
        self.store.write(|tx| {
            if remove {
                if !tx.unlink_member_card(card)? {
                    return Err(AppError::input(
                        "会员卡 card",
                        format!("卡号 {card} 未绑定 / card {card} is not linked"),
                    ));
                }
            } else {
                tx.link_member_card(card, &c.id, now)?;
            }
            let action = if remove { "member_card.unlink" } else { "member_card.link" };
            tx.audit(now, actor, action, "customer", &c.id, &serde_json::json!({ "card": card }))?;
            Ok::<_, AppError>(())
        })?;
        Ok(c)
    }

    /// Sets a customer's identity card (validated; stored only as hash + masked form).
    pub fn id_card_key(&self, number: &str) -> Result<crate::domain::idcard::IdCardKey> {
        let id = IdNumber::parse(number).map_err(|e| AppError::input("身份证 id card", e.to_string()))?;
        Ok(id.key(self.device_key()))
    }

    pub fn list_customers(&mut self, limit: u32, offset: u32) -> Result<Vec<Customer>> {
        self.store.read(|tx| Ok(tx.list_customers(limit, offset)?))
    }

    /// By phone number when the query is one, else by name / phone / member code fragment.
    pub fn find_customers(&mut self, query: &str, limit: u32) -> Result<Vec<Customer>> {
        match Phone::parse(query) {
            Ok(p) => self.store.read(|tx| Ok(tx.customer_by_phone(&p)?.into_iter().collect())),
            Err(_) => self.store.read(|tx| Ok(tx.find_customers(query, limit)?)),
        }
    }

    /// The current privacy notice: `(version, text)`.
    pub fn privacy_notice(&mut self) -> Result<(String, String)> {
        self.store.read(|tx| Ok(tx.privacy_notice()?))
    }

    /// Visits, total spend, last visit and points balance of a customer.
    pub fn customer_summary(&mut self, id: &str) -> Result<CustomerSummary> {
        self.store.read(|tx| {
            let (visits, spent, last) = tx.visit_summary(id)?;
            Ok(CustomerSummary {
                visits,
                total_spent: crate::domain::money::from_fen(spent),
                last_visit_at: last,
                recent: tx
                    .recent_visits(id, 5)?
                    .into_iter()
                    .map(|(at, total, items)| RecentVisit { at, total: crate::domain::money::from_fen(total), items })
                    .collect(),
            })
        })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CustomerSummary {
    pub visits: i64,
    pub total_spent: rust_decimal::Decimal,
    pub last_visit_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last five checkouts, newest first.
    pub recent: Vec<RecentVisit>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RecentVisit {
    pub at: chrono::DateTime<chrono::Utc>,
    pub total: rust_decimal::Decimal,
    pub items: String,
}

/// A customer by phone number, member code (M100001) or id, inside a transaction.
pub(crate) fn lookup_customer(tx: &Tx<'_>, key: &str) -> Result<Customer> {
    let key = key.trim();
    if let Ok(p) = Phone::parse(key)
        && let Some(c) = tx.customer_by_phone(&p)?
    {
        return Ok(c);
    }
    if let Some(c) = tx.customer_by_member_code(key)? {
        return Ok(c);
    }
    match tx.customer(key) {
        Err(StoreError::NotFound { .. }) => {
            Err(StoreError::NotFound { what: "顾客", what_en: "customer", key: key.to_string() }.into())
        }
        other => Ok(other?),
    }
}
