//! Campaigns (营销活动, owner only): start from a shipped template or a blank form, pick the
//! audience with its live size and sample messages, save, start, and read the effect
//! against the hold-out as a chart. The domain checks every field; a refusal is said
//! beside the field it names.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use super::charts::{self, Bar};
use super::views::{self, Layout, money};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::app::campaigns::{CampaignChoices, Preview, SHIPPED};
use crate::domain::access::Permission;
use crate::domain::campaign::{Audience, CampaignDef, Message, Offer, percent};

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/campaigns", get(list).post(create))
        .route("/campaigns/new", get(new_form))
        .route("/campaigns/preview", post(preview))
        .route("/campaigns/{name}", get(campaign))
        .route("/campaigns/{name}/start", post(start))
}

/// The form as typed (every field text, so that a refusal shows it back unchanged).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub name: String,
    pub end: String,
    pub text: String,
    pub coupon: String,
    pub tiers: Vec<String>,
    pub services: Vec<String>,
    pub min_spend: String,
    pub last_visit_after: String,
    pub last_visit_before: String,
    pub birthday_month: String,
    pub holdout: String,
}

impl Draft {
    fn from_pairs(pairs: Vec<(String, String)>) -> Draft {
        let mut d = Draft::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => d.name = v,
                "end" => d.end = v,
                "text" => d.text = v,
                "coupon" => d.coupon = v,
                "tiers" => d.tiers.push(v),
                "services" => d.services.push(v),
                "min_spend" => d.min_spend = v,
                "last_visit_after" => d.last_visit_after = v,
                "last_visit_before" => d.last_visit_before = v,
                "birthday_month" => d.birthday_month = v,
                "holdout" => d.holdout = v,
                _ => {}
            }
        }
        d
    }

    fn from_def(def: &CampaignDef) -> Draft {
        let opt = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        Draft {
            name: def.name.clone(),
            end: def.end.to_string(),
            text: def.message.text.clone(),
            coupon: def.offer.coupon.clone().unwrap_or_default(),
            tiers: def.audience.tiers.clone(),
            services: def.audience.services_used.clone(),
            min_spend: def.audience.min_lifetime_spend.map(|d| d.to_string()).unwrap_or_default(),
            last_visit_after: opt(def.audience.last_visit_after),
            last_visit_before: opt(def.audience.last_visit_before),
            birthday_month: def.audience.birthday_month.map(|m| m.to_string()).unwrap_or_default(),
            holdout: def.holdout_percent.to_string(),
        }
    }

    /// The definition, or the field that cannot be read and why.
    fn def(&self) -> Result<CampaignDef, (&'static str, String)> {
        let date = |field: &'static str, v: &str| -> Result<Option<NaiveDate>, (&'static str, String)> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| (field, format!("“{v}”不是日期，应为 2026-12-31 / not a date: use 2026-12-31")))
        };
        let end = date("end", &self.end)?.ok_or(("end", "请填写结束日 / the last day is needed".to_string()))?;
        let holdout = match self.holdout.trim() {
            "" => 10,
            h => h
                .parse::<u8>()
                .map_err(|_| ("holdout_percent", format!("“{h}”不是 0–50 的整数 / not a whole number 0-50")))?,
        };
        let min_lifetime_spend = match self.min_spend.trim() {
            "" => None,
            m => Some(
                m.parse::<Decimal>()
                    .map_err(|_| ("audience.min_lifetime_spend", format!("“{m}”不是金额 / not an amount")))?,
            ),
        };
        let birthday_month = match self.birthday_month.trim() {
            "" => None,
            m => Some(
                m.parse::<u32>().map_err(|_| ("audience.birthday_month", format!("“{m}”不是月份 / not a month")))?,
            ),
        };
        Ok(CampaignDef {
            name: self.name.trim().to_string(),
            end,
            send_from: None,
            send_until: None,
            holdout_percent: holdout,
            effect_days: None,
            audience: Audience {
                tiers: self.tiers.clone(),
                tags: Vec::new(),
                last_visit_before: date("audience.last_visit_before", &self.last_visit_before)?,
                last_visit_after: date("audience.last_visit_after", &self.last_visit_after)?,
                min_lifetime_spend,
                birthday_month,
                services_used: self.services.clone(),
            },
            offer: Offer { coupon: Some(self.coupon.trim().to_string()).filter(|c| !c.is_empty()) },
            message: Message { text: self.text.clone(), aliyun: None, tencent: None, wechat: None },
        })
    }
}

/// A refusal placed beside its field: the domain's field names, as the form's ids.
fn field_id(field: &str) -> &'static str {
    match field {
        "name" => "name",
        "end" => "end",
        "holdout_percent" => "holdout",
        "message.text" => "text",
        "offer.coupon" => "coupon",
        "audience.tiers" => "tiers",
        "audience.services_used" => "services",
        "audience.min_lifetime_spend" => "min_spend",
        "audience.last_visit_after" => "last_visit_after",
        "audience.last_visit_before" => "last_visit_before",
        "audience.birthday_month" => "birthday_month",
        _ => "form",
    }
}

pub struct Choice {
    pub value: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage {
    layout: Layout,
    draft: Draft,
    tiers: Vec<Choice>,
    services: Vec<Choice>,
    coupons: Vec<Choice>,
    months: Vec<Choice>,
    error: Option<(&'static str, String)>,
    preview: Option<PreviewView>,
    templates: Vec<&'static str>,
}

impl FormPage {
    fn error_for(&self, id: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == id).map(|(_, m)| m.as_str())
    }
}

pub struct PreviewView {
    pub audience: usize,
    pub target: usize,
    pub holdout: usize,
    pub samples: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "campaign_preview.html")]
struct PreviewFragment {
    preview: Option<PreviewView>,
    error: Option<(&'static str, String)>,
}

fn view(p: Preview) -> PreviewView {
    PreviewView { audience: p.audience, target: p.target, holdout: p.holdout, samples: p.samples }
}

fn choices(all: &[String], chosen: &[String]) -> Vec<Choice> {
    all.iter().map(|v| Choice { value: v.clone(), checked: chosen.contains(v) }).collect()
}

async fn form_page(
    shop: &Shared,
    ctx: &Ctx,
    draft: Draft,
    error: Option<(&'static str, String)>,
    preview: Option<PreviewView>,
) -> Page {
    let user = ctx.require(shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (c, now): (CampaignChoices, _) = shop.run(|app| Ok((app.campaign_choices()?, app.now()))).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FormPage {
        layout: Layout::new("新建活动 New campaign", "/campaigns", &user, &shop.config().shop.name, now, tz),
        tiers: choices(&c.tiers, &draft.tiers),
        services: choices(&c.services, &draft.services),
        coupons: choices(&c.coupons, std::slice::from_ref(&draft.coupon)),
        months: (1..=12)
            .map(|m| Choice { value: m.to_string(), checked: draft.birthday_month.trim() == m.to_string() })
            .collect(),
        draft,
        error,
        preview,
        templates: SHIPPED.iter().map(|(n, _)| *n).collect(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
struct NewAsk {
    template: Option<String>,
}

async fn new_form(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<NewAsk>) -> Page {
    ctx.require(&shop, Permission::Setup).await?;
    let today = shop.run(|app| Ok(app.today())).await?;
    let mut draft = match ask.template.as_deref().and_then(|t| SHIPPED.iter().find(|(n, _)| *n == t)) {
        Some((_, text)) => match toml::from_str::<CampaignDef>(text) {
            Ok(def) => Draft::from_def(&def),
            Err(e) => {
                tracing::error!(error = %e, "a shipped campaign template does not parse");
                Draft::default()
            }
        },
        None => Draft { holdout: "10".into(), ..Draft::default() },
    };
    // a template's dates are examples: the end a month ahead when it has passed
    if NaiveDate::parse_from_str(&draft.end, "%Y-%m-%d").map_or(true, |d| d < today) {
        draft.end = (today + Duration::days(30)).to_string();
    }
    form_page(&shop, &ctx, draft, None, None).await
}

/// The live preview (htmx: a fragment) or, without JavaScript, the form with it.
async fn preview(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    ctx.require(&shop, Permission::Setup).await?;
    let draft = Draft::from_pairs(pairs);
    let result = match draft.def() {
        Err((f, m)) => Err((field_id(f), m)),
        Ok(def) => match shop.run(move |app| app.campaign_draft_preview(&def, 3)).await {
            Ok(p) => Ok(view(p)),
            Err(WebError::App(AppError::Input { field, message })) => Err((field_id(&field), message)),
            Err(e) => return Err(e),
        },
    };
    let (preview, error) = match result {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    if ctx.hx {
        return Ok(Html(PreviewFragment { preview, error }.render()?).into_response());
    }
    form_page(&shop, &ctx, draft, error, preview).await
}

async fn create(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let draft = Draft::from_pairs(pairs);
    let def = match draft.def() {
        Ok(d) => d,
        Err((f, m)) => return form_page(&shop, &ctx, draft, Some((field_id(f), m)), None).await,
    };
    let actor = user.staff.id.clone();
    let d2 = def.clone();
    match shop.run(move |app| app.campaign_create(&d2, &actor)).await {
        Ok(row) => Ok(Redirect::to(&format!("/campaigns/{}", views::url_encode(&row.name))).into_response()),
        Err(WebError::App(AppError::Input { field, message })) => {
            form_page(&shop, &ctx, draft, Some((field_id(&field), message)), None).await
        }
        Err(WebError::App(e @ AppError::Store(crate::store::StoreError::Duplicate { .. }))) => {
            form_page(&shop, &ctx, draft, Some(("name", e.to_string())), None).await
        }
        Err(e) => Err(e),
    }
}

pub struct Row {
    pub name: String,
    pub href: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub ends: String,
    pub started: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    templates: Vec<&'static str>,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "draft" => "草稿 draft",
        "started" | "running" => "进行中 started",
        "ended" | "finished" => "已结束 ended",
        _ => "其他 other",
    }
}

async fn list(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (rows, now) = shop.run(|app| Ok((app.campaigns()?, app.now()))).await?;
    let page = ListPage {
        layout: Layout::new("营销活动 Campaigns", "/campaigns", &user, &shop.config().shop.name, now, tz),
        rows: rows
            .into_iter()
            .map(|r| Row {
                href: format!("/campaigns/{}", views::url_encode(&r.name)),
                kind: if r.kind == "campaign" { "活动 campaign" } else { "自动 automatic" },
                status: status_label(&r.status),
                ends: r.ends_at.map_or("—".into(), |t| views::when(t, tz)),
                started: r.started_at.map_or("—".into(), |t| views::when(t, tz)),
                name: r.name,
            })
            .collect(),
        templates: SHIPPED.iter().map(|(n, _)| *n).collect(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    layout: Layout,
    name: String,
    href: String,
    status: &'static str,
    draft: bool,
    done: Option<String>,
    preview: Option<PreviewView>,
    /// (the preview's fragment reads it; a saved campaign has none)
    error: Option<(&'static str, String)>,
    chart: Option<String>,
    revenue_chart: Option<String>,
    table: Vec<(String, String, String)>,
    changed: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct CampaignAsk {
    started: Option<String>,
}

async fn campaign(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(name): Path<String>,
    Query(ask): Query<CampaignAsk>,
) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let key = name.clone();
    let (row, report, preview, now) = shop
        .run(move |app| {
            let row = app.campaigns()?.into_iter().find(|r| r.name == key).ok_or_else(|| {
                AppError::Store(crate::store::StoreError::NotFound {
                    what: "营销活动",
                    what_en: "campaign",
                    key: key.clone(),
                })
            })?;
            let draft = row.started_at.is_none();
            let preview = if draft { Some(app.campaign_preview(&row.name, 3)?) } else { None };
            let report = if draft { None } else { Some(app.campaign_report(&row.name)?) };
            Ok((row, report, preview, app.now()))
        })
        .await?;
    let rate = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let (chart, revenue_chart, table, changed) = match &report {
        None => (None, None, Vec::new(), Vec::new()),
        Some(r) => {
            let (t, h) = (&r.target, &r.holdout);
            let chart = charts::versus(
                "到店率 Visit rate",
                Bar { label: "活动组 campaign".into(), value: rate(t.visit_rate()), text: percent(t.visit_rate()) },
                Bar { label: "对照组 hold-out".into(), value: rate(h.visit_rate()), text: percent(h.visit_rate()) },
                &format!("相差 {:+} 个百分点 / {:+} points", r.visit_uplift_points, r.visit_uplift_points),
            );
            let revenue = charts::versus(
                "人均消费 Revenue per member",
                Bar {
                    label: "活动组 campaign".into(),
                    value: rate(t.revenue_per_member()),
                    text: money(t.revenue_per_member().round_dp(2)),
                },
                Bar {
                    label: "对照组 hold-out".into(),
                    value: rate(h.revenue_per_member()),
                    text: money(h.revenue_per_member().round_dp(2)),
                },
                &format!("增量消费 extra revenue {}", money(r.extra_revenue)),
            );
            let sections = r.sections();
            let table = sections
                .iter()
                .find(|s| s.title.starts_with("效果对比"))
                .map(|s| {
                    s.rows
                        .iter()
                        .map(|row| {
                            let text = |c: &crate::app::report::Cell| match c {
                                crate::app::report::Cell::Money(d) => money(*d),
                                other => crate::app::tables::cell_text(other),
                            };
                            (text(&row[0]), text(&row[1]), text(&row[2]))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let changed = vec![
                ("到店率提升 visit-rate uplift".to_string(), format!("{:+} 个百分点 points", r.visit_uplift_points)),
                ("增量消费 extra revenue".to_string(), money(r.extra_revenue)),
            ];
            (Some(chart), Some(revenue), table, changed)
        }
    };
    let page = CampaignPage {
        layout: Layout::new("营销活动 Campaign", "/campaigns", &user, &shop.config().shop.name, now, tz),
        href: format!("/campaigns/{}", views::url_encode(&row.name)),
        status: status_label(&row.status),
        draft: row.started_at.is_none(),
        done: ask.started.map(|n| format!("已开始：{n} 条消息已排队 / started: {n} messages queued")),
        preview: preview.map(view),
        error: None,
        chart,
        revenue_chart,
        table,
        changed,
        name: row.name,
    };
    Ok(Html(page.render()?).into_response())
}

async fn start(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(name): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let (actor, key) = (user.staff.id.clone(), name.clone());
    match shop.run(move |app| app.campaign_start(&key, &actor)).await {
        Ok(s) => {
            Ok(Redirect::to(&format!("/campaigns/{}?started={}", views::url_encode(&name), s.messages)).into_response())
        }
        Err(WebError::App(e @ AppError::Input { .. })) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(views::plain_page("未开始 / not started", &e.to_string())))
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_fill_the_form_and_read_back() {
        for (name, text) in SHIPPED {
            let def: CampaignDef = toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = Draft::from_def(&def).def().unwrap();
            assert_eq!(back.name, def.name);
            assert_eq!(back.audience, def.audience, "{name}");
            assert_eq!(back.offer, def.offer);
        }
    }

    #[test]
    fn a_field_that_cannot_be_read_is_named() {
        let d = Draft { name: "x".into(), end: "2026-13-01".into(), text: "t".into(), ..Draft::default() };
        assert_eq!(d.def().unwrap_err().0, "end");
        let d = Draft { end: "2026-12-31".into(), holdout: "abc".into(), ..d };
        assert_eq!(field_id(d.def().unwrap_err().0), "holdout");
    }
}
