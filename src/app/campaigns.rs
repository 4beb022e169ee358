//! Campaigns (营销活动): define, preview, start (coupons and messages through the outbox,
//! with a hold-out group left out at random), and report the effect against the hold-out.
//! The birthday and win-back jobs record their customers as campaigns of their own.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::report::{Cell, Section};
use super::{App, AppError, Result};
use crate::domain::campaign::{CampaignDef, DefError, GroupFigures, held_out, uplift};
use crate::domain::customer::{Gender, greeting_name};
use crate::domain::messages::{Kind, fill};
use crate::domain::money::to_fen;
use crate::domain::phone::Phone;
use crate::domain::time::{business_date, day_bounds, local_to_utc};
use crate::store::{AudienceQuery, CampaignRow, NewNotification, Reachable, StoreError, Tx};

impl From<DefError> for AppError {
    fn from(e: DefError) -> Self {
        AppError::input(e.field, e.message)
    }
}

/// What a start would do, without doing it.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub name: String,
    /// Customers matching the audience (with marketing consent).
    pub audience: usize,
    pub target: usize,
    pub holdout: usize,
    /// (masked phone, the message as it would read).
    pub samples: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub name: String,
    pub target: usize,
    pub holdout: usize,
    pub messages: usize,
    pub coupons: usize,
    /// Left out because they already hold as many of the offer's coupons as allowed.
    pub skipped: usize,
}

/// What a campaign's audience and offer can name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignChoices {
    pub tiers: Vec<String>,
    pub coupons: Vec<String>,
    pub services: Vec<String>,
    pub tags: Vec<String>,
}

/// The campaigns shipped in `config/campaigns/`: `(file name, TOML)`, to start from.
pub const SHIPPED: [(&str, &str); 3] = [
    ("老客回馈", include_str!("../../config/campaigns/老客回馈.toml")),
    ("新品体验", include_str!("../../config/campaigns/新品体验.toml")),
    ("节日促销", include_str!("../../config/campaigns/节日促销.toml")),
];

/// The effect of a campaign against its hold-out group.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignReport {
    pub name: String,
    pub status: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub target: GroupFigures,
    pub holdout: GroupFigures,
    /// Extra visit rate of the campaign group, in percentage points.
    pub visit_uplift_points: Decimal,
    /// Extra revenue: (revenue per member − the hold-out's) × campaign members.
    pub extra_revenue: Decimal,
}

impl CampaignReport {
    pub fn sections(&self) -> Vec<Section> {
        let row = |label: &str, t: Cell, h: Cell| vec![Cell::Text(label.to_string()), t, h];
        let (t, h) = (&self.target, &self.holdout);
        let pct = |f: &GroupFigures| Cell::Text(crate::domain::campaign::percent(f.visit_rate()));
        vec![
            Section {
                title: "营销活动 Campaign",
                headers: vec!["项目 Item", "数值 Value"],
                rows: vec![
                    vec![Cell::Text("活动 Campaign".into()), Cell::Text(self.name.clone())],
                    vec![Cell::Text("状态 Status".into()), Cell::Text(self.status.clone())],
                ],
            },
            Section {
                title: "效果对比 Effect against the hold-out",
                headers: vec!["指标 Figure", "活动组 Campaign group", "对照组 Hold-out"],
                rows: vec![
                    row("人数 Members", Cell::Count(t.members), Cell::Count(h.members)),
                    row("已送达 Reached", Cell::Count(t.reached), Cell::Count(h.reached)),
                    row("用券 Redeemed", Cell::Count(t.redeemed), Cell::Count(h.redeemed)),
                    row("到店人数 Visited", Cell::Count(t.visited), Cell::Count(h.visited)),
                    row("到店率 Visit rate", pct(t), pct(h)),
                    row("消费 Revenue", Cell::Money(t.revenue), Cell::Money(h.revenue)),
                    row(
                        "人均消费 Revenue per member",
                        Cell::Money(t.revenue_per_member().round_dp(2)),
                        Cell::Money(h.revenue_per_member().round_dp(2)),
                    ),
                    row(
                        "用券顾客消费 Revenue from redeemers",
                        Cell::Money(t.revenue_redeemers),
                        Cell::Money(h.revenue_redeemers),
                    ),
                ],
            },
            Section {
                title: "活动带来的变化 What the campaign changed",
                headers: vec!["指标 Figure", "数值 Value"],
                rows: vec![
                    vec![
                        Cell::Text("到店率提升（百分点）Visit rate uplift (points)".into()),
                        Cell::Text(format!("{:+}", self.visit_uplift_points)),
                    ],
                    vec![Cell::Text("增量消费 Extra revenue".into()), Cell::Money(self.extra_revenue)],
                ],
            },
        ]
    }
}

fn definition(row: &CampaignRow) -> Result<CampaignDef> {
    serde_json::from_str(&row.definition).map_err(|e| {
        AppError::Store(StoreError::Corrupt { table: "campaigns", column: "definition", value: e.to_string() })
    })
}

/// A tier, tag or service the audience names must exist: a misspelt one would quietly
/// reach nobody.
fn check_audience_names(tx: &Tx<'_>, a: &crate::domain::campaign::Audience) -> Result<()> {
    let unknown = |field: &str, zh: &str, en: &str, name: &str, known: &[String]| {
        let known = if known.is_empty() { "—".to_string() } else { known.join("、") };
        AppError::input(field, format!("没有{zh}“{name}”（现有：{known}）/ no {en} “{name}” (there are: {known})"))
    };
    let tiers = tx.tier_names()?;
    if let Some(t) = a.tiers.iter().find(|t| !tiers.contains(t)) {
        return Err(unknown("audience.tiers", "会员等级", "membership tier", t, &tiers));
    }
    let tags = tx.customer_tags()?;
    if let Some(t) = a.tags.iter().find(|t| !tags.contains(t)) {
        return Err(unknown("audience.tags", "顾客带标签", "customer with the tag", t, &tags));
    }
    for s in &a.services_used {
        if tx.service_by_name(s)?.is_none() {
            let names: Vec<String> = tx.list_services(true)?.into_iter().map(|s| s.name).collect();
            return Err(unknown("audience.services_used", "服务项目", "service", s, &names));
        }
    }
    Ok(())
}

/// The audience of a definition, in the store's terms.
fn audience(tx: &Tx<'_>, def: &CampaignDef) -> Result<Vec<Reachable>> {
    let tz = tx.tz();
    let a = &def.audience;
    let midnight = |d: NaiveDate| local_to_utc(d, chrono::NaiveTime::MIN, tz);
    let min_spend_fen = a
        .min_lifetime_spend
        .map(|d| to_fen(d).map_err(|e| AppError::input("audience.min_lifetime_spend", e.to_string())))
        .transpose()?;
    Ok(tx.campaign_audience(&AudienceQuery {
        tiers: &a.tiers,
        tags: &a.tags,
        last_visit_before: a.last_visit_before.map(midnight),
        last_visit_after: a.last_visit_after.map(midnight),
        min_spend_fen,
        birthday_month: a.birthday_month,
        services: &a.services_used,
    })?)
}

/// The message for one customer: the text filled in, and the provider ids as parameters
/// the sender reads and strips (`_campaign`, `_aliyun`, `_tencent`, `_wechat`).
fn message_params(
    def: &CampaignDef,
    campaign_id: &str,
    c: &Reachable,
    shop: &str,
    coupon: Option<(&str, NaiveDate)>,
) -> serde_json::Value {
    let mut params = vec![
        ("name".to_string(), greeting_name(&c.name, Gender::from_db(&c.gender))),
        ("shop".to_string(), shop.to_string()),
    ];
    if let Some((coupon, valid_to)) = coupon {
        params.push(("coupon".into(), coupon.to_string()));
        params.push(("valid_to".into(), valid_to.format("%-m月%-d日").to_string()));
    }
    let mut v = serde_json::json!({ "text": fill(&def.message.text, &params), "_campaign": campaign_id });
    for (k, id) in
        [("_aliyun", &def.message.aliyun), ("_tencent", &def.message.tencent), ("_wechat", &def.message.wechat)]
    {
        if let Some(id) = id {
            v[k] = id.as_str().into();
        }
    }
    for (k, val) in params.into_iter().filter(|(k, _)| k != "shop") {
        v[k] = val.into();
    }
    v
}

/// How a member shows in a preview: the masked number, or that WeChat reaches them.
fn shown(phone: Option<&str>) -> String {
    match phone.map(Phone::parse) {
        Some(Ok(p)) => p.masked(),
        _ => "微信 WeChat".into(),
    }
}

fn preview(tx: &Tx<'_>, def: &CampaignDef, id: &str, shop: &str, today: NaiveDate, samples: usize) -> Result<Preview> {
    let people = audience(tx, def)?;
    let holdout = people.iter().filter(|c| held_out(id, &c.id, def.holdout_percent)).count();
    let coupon = match def.offer.coupon.as_deref() {
        Some(c) => {
            let (_, name, days, _) = tx.coupon_template(c)?;
            Some((name, today + Duration::days(days)))
        }
        None => None,
    };
    let coupon = coupon.as_ref().map(|(n, d)| (n.as_str(), *d));
    let samples = people
        .iter()
        .filter(|c| !held_out(id, &c.id, def.holdout_percent))
        .take(samples)
        .map(|c| {
            let p = message_params(def, id, c, shop, coupon);
            let text = crate::domain::messages::render(
                "campaign",
                None,
                Kind::Marketing,
                &crate::domain::messages::params_from_json(&p),
            );
            (shown(c.phone.as_deref()), text)
        })
        .collect();
    Ok(Preview { name: def.name.clone(), audience: people.len(), target: people.len() - holdout, holdout, samples })
}

impl App {
    /// Stores a campaign's definition (a draft until started).
    pub fn campaign_create(&mut self, def: &CampaignDef, actor: &str) -> Result<CampaignRow> {
        def.check(self.today())?;
        let now = self.now();
        let tz = self.tz();
        let json = serde_json::to_string(def).map_err(StoreError::from)?;
        self.store.write(|tx| {
            if let Some(c) = &def.offer.coupon {
                tx.coupon_template(c).map_err(|e| AppError::input("offer.coupon", e.to_string()))?;
            }
            check_audience_names(tx, &def.audience)?;
            let row = tx.insert_campaign(&def.name, "campaign", &json, Some(day_bounds(def.end, tz).end), now)?;
            tx.audit(now, actor, "campaign.create", "campaign", &row.id, &serde_json::json!({ "name": def.name }))?;
            Ok(row)
        })
    }

    /// What a campaign form offers: the tiers, the coupon templates and the services (by
    /// name), and the customer tags.
    pub fn campaign_choices(&mut self) -> Result<CampaignChoices> {
        Ok(self.store.read(|tx| {
            Ok::<_, StoreError>(CampaignChoices {
                tiers: tx.tier_names()?,
                coupons: tx.coupon_template_names()?,
                services: tx.list_services(false)?.into_iter().map(|s| s.name).collect(),
                tags: tx.customer_tags()?,
            })
        })?)
    }

    pub fn campaigns(&mut self) -> Result<Vec<CampaignRow>> {
        Ok(self.store.read(|tx| tx.campaigns())?)
    }

    pub fn campaign_preview(&mut self, name: &str, samples: usize) -> Result<Preview> {
        let shop = self.config.shop.name.clone();
        let today = self.today();
        self.store.read(|tx| {
            let row = tx.campaign(name)?;
            preview(tx, &definition(&row)?, &row.id, &shop, today, samples)
        })
    }

    /// What a definition not yet saved would reach (the back office's live preview): the
    /// audience's size exactly, the hold-out as its share would draw it, sample messages.
    /// Refused as `campaign_create` would refuse it.
    pub fn campaign_draft_preview(&mut self, def: &CampaignDef, samples: usize) -> Result<Preview> {
        let shop = self.config.shop.name.clone();
        let today = self.today();
        def.check(today)?;
        self.store.read(|tx| {
            if let Some(c) = &def.offer.coupon {
                tx.coupon_template(c).map_err(|e| AppError::input("offer.coupon", e.to_string()))?;
            }
            check_audience_names(tx, &def.audience)?;
            preview(tx, def, "draft", &shop, today, samples)
        })
    }

    /// Starts a campaign: the audience is fixed now, the hold-out left out, and every other
    /// member gets the offer's coupon and a marketing message through the outbox (so
    /// consent, opt-outs, sending hours and the daily cap apply as for every message).
    pub fn campaign_start(&mut self, name: &str, actor: &str) -> Result<Started> {
        let now = self.now();
        let tz = self.tz();
        let shop = self.config.shop.name.clone();
        self.store.write(|tx| {
            let row = tx.campaign(name)?;
            if row.status != "draft" {
                return Err(AppError::input(
                    "campaign",
                    format!("「{}」已经开始 / \"{}\" has already started", row.name, row.name),
                ));
            }
            let def = definition(&row)?;
            let people = audience(tx, &def)?;
            let send_from = def.send_from.map_or(now, |d| local_to_utc(d, chrono::NaiveTime::MIN, tz).max(now));
            let send_until = day_bounds(def.send_until.unwrap_or(def.end), tz).end;
            let mut s = Started { name: row.name.clone(), target: 0, holdout: 0, messages: 0, coupons: 0, skipped: 0 };
            for c in &people {
                if held_out(&row.id, &c.id, def.holdout_percent) {
                    tx.add_campaign_member(&row.id, &c.id, true, None, None, now)?;
                    s.holdout += 1;
                    continue;
                }
                let key = format!("campaign:{}:{}", row.id, c.id);
                let coupon = match &def.offer.coupon {
                    Some(template) => match tx.issue_coupon(template, &c.id, "campaign", Some(&key), now) {
                        Ok(Some(coupon)) => {
                            s.coupons += 1;
                            Some(coupon)
                        }
                        Ok(None) => None,
                        Err(StoreError::Duplicate { .. }) => {
                            s.skipped += 1;
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    },
                    None => None,
                };
                let offer = coupon.as_ref().map(|k| (k.template.as_str(), business_date(k.valid_until, tz)));
                let params = message_params(&def, &row.id, c, &shop, offer);
                if tx.enqueue_notification(
                    &NewNotification {
                        dedupe_key: key.clone(),
                        kind: Kind::Marketing.as_str(),
                        audience: "customer",
                        customer_id: Some(c.id.clone()),
                        recipient: None,
                        template: "campaign",
                        params: params.to_string(),
                        not_before: send_from,
                        not_after: Some(send_until),
                    },
                    now,
                )? {
                    s.messages += 1;
                }
                tx.add_campaign_member(&row.id, &c.id, false, coupon.as_ref().map(|k| k.id.as_str()), Some(&key), now)?;
                s.target += 1;
            }
            tx.set_campaign_started(&row.id, now)?;
            tx.audit(
                now,
                actor,
                "campaign.start",
                "campaign",
                &row.id,
                &serde_json::json!({ "target": s.target, "holdout": s.holdout }),
            )?;
            Ok(s)
        })
    }

    /// The campaign's figures from its start to its end (so far, while it runs).
    pub fn campaign_report(&mut self, name: &str) -> Result<CampaignReport> {
        let now = self.now();
        self.store.read(|tx| {
            let row = tx.campaign(name)?;
            let effect = definition(&row)?.effect_days.map(|d| i64::from(d) * 86_400_000);
            let (target, holdout, from, to) = match row.started_at {
                Some(from) => {
                    // Up to the campaign's end; nothing is recorded after now anyway.
                    let to = row.ends_at.unwrap_or(now + Duration::milliseconds(1)).max(from);
                    (
                        tx.campaign_figures(&row.id, false, from, to, effect)?,
                        tx.campaign_figures(&row.id, true, from, to, effect)?,
                        Some(from),
                        Some(to),
                    )
                }
                None => (GroupFigures::default(), GroupFigures::default(), None, None),
            };
            let (visit_uplift_points, extra_revenue) = uplift(&target, &holdout);
            let status = if row.status == "running" && row.ends_at.is_some_and(|e| e <= now) {
                "ended".into()
            } else {
                row.status.clone()
            };
            Ok(CampaignReport { name: row.name, status, from, to, target, holdout, visit_uplift_points, extra_revenue })
        })
    }
}

/// The campaign a job records its customers in (created on first use): `生日关怀` for the
/// birthday coupons, `老客回访` for win-back. Returns its id.
pub(crate) fn job_campaign(tx: &Tx<'_>, name: &str, holdout_percent: u8, now: DateTime<Utc>) -> Result<String> {
    if let Ok(row) = tx.campaign(name) {
        return Ok(row.id);
    }
    let def = CampaignDef {
        name: name.to_string(),
        end: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
        holdout_percent,
        // A message's effect: the visits in the 30 days after it.
        effect_days: Some(30),
        message: crate::domain::campaign::Message {
            text: format!("（{name}，由定时任务发送）"), ..Default::default()
        },
        ..Default::default()
    };
    let json = serde_json::to_string(&def).map_err(StoreError::from)?;
    let row = tx.insert_campaign(name, "job", &json, None, now)?;
    tx.set_campaign_started(&row.id, now)?;
    Ok(row.id)
}
