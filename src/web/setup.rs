//! The first-run wizard (the owner): the shop (name, address and phone on receipts,
//! opening hours), services from a list of common 美容院 services (every field editable),
//! staff with roles and PINs, member tiers; then the day. Each step is a plain form that
//! works without JavaScript, saves through `app` (audited there) and may be visited again
//! later from the shop page; a refused step keeps what was typed and names the field.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use rust_decimal::Decimal;

use super::views::{Layout, Sent, money};
use super::{Ctx, Shared, WebError};
use crate::app::setup::{COMMON_SERVICES, ShopProfile, day_label, parse_hours};
use crate::app::{App, AppError};
use crate::domain::access::Permission;
use crate::domain::model::StaffRole;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/setup/shop", get(shop_step).post(save_shop))
        .route("/setup/services", get(services_step).post(save_services))
        .route("/setup/staff", get(staff_step).post(save_staff))
        .route("/setup/tiers", get(tiers_step).post(save_tiers))
}

/// The wizard's steps, in order: (path, zh, en).
const STEPS: [(&str, &str, &str); 4] = [
    ("/setup/shop", "店铺", "Shop"),
    ("/setup/services", "项目", "Services"),
    ("/setup/staff", "员工", "Staff"),
    ("/setup/tiers", "会员等级", "Tiers"),
];

/// How many blank lines a step offers for entries of one's own.
const BLANK_SERVICES: usize = 3;
const BLANK_STAFF: usize = 4;

pub struct Day {
    pub label: &'static str,
    pub open: bool,
    pub from: String,
    pub to: String,
}

pub struct ServiceLine {
    pub pick: bool,
    pub name: String,
    pub category: String,
    pub minutes: String,
    pub price: String,
}

pub struct TierLine {
    pub name: String,
    pub min_spend: String,
    pub discount: String,
}

#[derive(Template)]
#[template(path = "wizard.html")]
struct WizardPage {
    layout: Layout,
    /// 0-based step.
    step: usize,
    steps: Vec<(&'static str, &'static str, &'static str, bool)>,
    error: Option<String>,
    // shop
    name: String,
    address: String,
    phone: String,
    days: Vec<Day>,
    // services: those on the price list already, then the list to start from
    existing: Vec<String>,
    services: Vec<ServiceLine>,
    // staff
    staff: Vec<String>,
    blank_staff: Vec<usize>,
    // tiers
    tiers: Vec<TierLine>,
    sent: Sent,
}

impl WizardPage {
    /// What a refused form held in the `n`th `field`, or `default`.
    fn back<'a>(&'a self, field: &str, n: &usize, default: &'a str) -> &'a str {
        if self.error.is_some() { self.sent.nth(field, *n) } else { default }
    }
}

async fn page(shop: &Shared, ctx: &Ctx, step: usize, error: Option<String>, sent: Sent) -> Page {
    let user = ctx.require(shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (profile, services, staff, tiers, now) = shop
        .run(|app| Ok((app.shop_profile(), app.list_services(false)?, app.list_staff()?, app.tiers()?, app.now())))
        .await?;
    let config = shop.config();
    let refused = error.is_some();
    let days = (0..7)
        .map(|i| {
            let (open, from, to) = match profile.hours.days[i] {
                Some((a, b)) => (true, a.format("%H:%M").to_string(), b.format("%H:%M").to_string()),
                None => (false, "10:00".into(), "21:00".into()),
            };
            if refused {
                let key = format!("open{i}");
                Day {
                    label: day_label(i),
                    open: sent.has(&key),
                    from: sent.get(&format!("from{i}")).to_string(),
                    to: sent.get(&format!("to{i}")).to_string(),
                }
            } else {
                Day { label: day_label(i), open, from, to }
            }
        })
        .collect();
    let have: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    // a fresh shop starts with a short list ticked: a facial, a massage, brows
    let lines: Vec<ServiceLine> = COMMON_SERVICES
        .iter()
        .filter(|(n, ..)| !have.contains(n))
        .map(|(n, cat, min, price)| ServiceLine {
            pick: services.is_empty() && ["面部深层清洁", "补水保湿护理", "肩颈舒缓按摩", "修眉造型"].contains(n),
            name: (*n).into(),
            category: (*cat).into(),
            minutes: min.to_string(),
            price: price.to_string(),
        })
        .chain((0..BLANK_SERVICES).map(|_| ServiceLine {
            pick: false,
            name: String::new(),
            category: String::new(),
            minutes: "60".into(),
            price: String::new(),
        }))
        .enumerate()
        .map(|(i, l)| {
            if refused {
                ServiceLine {
                    pick: sent.all("pick").any(|v| v == i.to_string()),
                    name: sent.nth("name", i).to_string(),
                    category: sent.nth("category", i).to_string(),
                    minutes: sent.nth("minutes", i).to_string(),
                    price: sent.nth("price", i).to_string(),
                }
            } else {
                l
            }
        })
        .collect();
    let page = WizardPage {
        layout: Layout::new("开店设置 Setup", "/shop", &user, &config.shop.name, now, tz),
        step,
        steps: STEPS.iter().enumerate().map(|(i, (p, zh, en))| (*p, *zh, *en, i == step)).collect(),
        error,
        name: if refused { sent.get("shop_name").to_string() } else { profile.name.clone() },
        address: if refused { sent.get("address").to_string() } else { profile.address.clone() },
        phone: if refused { sent.get("phone").to_string() } else { profile.phone.clone() },
        days,
        existing: services
            .iter()
            .map(|s| format!("{} · {} 分钟 min · {}", s.name, s.duration_min, money(s.price)))
            .collect(),
        services: lines,
        staff: staff.iter().filter(|s| s.active).map(|s| format!("{} · {}", s.name, s.role.label_zh())).collect(),
        blank_staff: (0..BLANK_STAFF).collect(),
        tiers: tiers
            .iter()
            .enumerate()
            .map(|(i, t)| TierLine {
                name: if refused { sent.nth("tier", i).to_string() } else { t.name.clone() },
                min_spend: if refused {
                    sent.nth("min_spend", i).to_string()
                } else {
                    t.min_spend.normalize().to_string()
                },
                discount: if refused {
                    sent.nth("discount", i).to_string()
                } else {
                    t.discounts.get("*").copied().unwrap_or_default().normalize().to_string()
                },
            })
            .collect(),
        sent,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

/// Saves a step; on to the next, or the same step again with the refusal.
async fn save<F>(shop: Shared, ctx: Ctx, step: usize, sent: Sent, f: F) -> Page
where
    F: FnOnce(&mut App, &Sent, &str) -> Result<(), AppError> + Send + 'static,
{
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let actor = format!("web:{}", user.staff.id);
    let input = sent.clone();
    let last = step + 1 == STEPS.len();
    match shop
        .run(move |app| {
            f(app, &input, &actor)?;
            if last {
                app.finish_setup(&actor)?;
            }
            Ok(app.config.clone())
        })
        .await
    {
        Ok(config) => {
            if step == 0 {
                // the profile changed: every page and receipt from now on
                shop.profile_changed(config);
            }
            let next = if last { "/today?welcome=1" } else { STEPS[step + 1].0 };
            Ok(Redirect::to(next).into_response())
        }
        Err(WebError::App(e @ (AppError::Input { .. } | AppError::Store(_) | AppError::Money(_)))) => {
            page(&shop, &ctx, step, Some(e.to_string()), sent).await
        }
        Err(e) => Err(e),
    }
}

async fn shop_step(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    page(&shop, &ctx, 0, None, Sent::default()).await
}

async fn save_shop(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    save(shop, ctx, 0, s, |app, s, actor| {
        let days: Vec<(bool, String, String)> = (0..7)
            .map(|i| {
                let key = format!("open{i}");
                (s.has(&key), s.get(&format!("from{i}")).to_string(), s.get(&format!("to{i}")).to_string())
            })
            .collect();
        let profile = ShopProfile {
            name: s.get("shop_name").to_string(),
            address: s.get("address").to_string(),
            phone: s.get("phone").to_string(),
            hours: parse_hours(&days)?,
        };
        app.set_shop_profile(&profile, actor)
    })
    .await
}

async fn services_step(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    page(&shop, &ctx, 1, None, Sent::default()).await
}

async fn save_services(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    save(shop, ctx, 1, s, |app, s, actor| {
        let picked: Vec<usize> = s.all("pick").filter_map(|v| v.parse().ok()).collect();
        // every line is checked before one is saved: all or nothing
        let mut lines = Vec::new();
        for i in picked {
            let name = s.nth("name", i);
            let line = format!("第 {} 行 / line {}", i + 1, i + 1);
            if name.is_empty() {
                return Err(AppError::input(format!("项目名称 service name ({line})"), "请填写名称 / enter a name"));
            }
            let minutes = s.nth("minutes", i).parse::<u32>().map_err(|_| {
                AppError::input(format!("时长 minutes（{name}）"), "应为分钟数，如 60 / minutes, such as 60")
            })?;
            crate::app::staff::check_duration(minutes)
                .map_err(|e| AppError::input(format!("时长 minutes（{name}）"), e.to_string()))?;
            let price = crate::domain::money::parse_yuan(s.nth("price", i))
                .map_err(|e| AppError::input(format!("价格 price（{name}）"), e.to_string()))?;
            if price < Decimal::ZERO {
                return Err(AppError::input(format!("价格 price（{name}）"), "不能为负 / must not be negative"));
            }
            let category = match s.nth("category", i) {
                "" => "其他",
                c => c,
            };
            lines.push((name.to_string(), category.to_string(), minutes, price));
        }
        app.add_services(&lines, actor)
    })
    .await
}

async fn staff_step(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    page(&shop, &ctx, 2, None, Sent::default()).await
}

async fn save_staff(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    save(shop, ctx, 2, s, |app, s, actor| {
        let mut people = Vec::new();
        for i in 0..BLANK_STAFF {
            let name = s.nth("staff_name", i);
            if name.is_empty() {
                continue;
            }
            // a PIN is needed to log in at the kiosk and in the back office
            people.push(crate::app::staff::StaffInput {
                name: name.to_string(),
                role: s.nth("role", i).to_string(),
                pin: Some(s.nth("pin", i).to_string()),
                ..Default::default()
            });
        }
        app.add_staff_all(&people, actor)
    })
    .await
}

async fn tiers_step(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    page(&shop, &ctx, 3, None, Sent::default()).await
}

async fn save_tiers(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(s): Form<Sent>) -> Page {
    save(shop, ctx, 3, s, |app, s, actor| {
        let tiers = app.tiers()?;
        let mut changed = Vec::new();
        for (i, old) in tiers.iter().enumerate() {
            let name = s.nth("tier", i);
            if name.is_empty() {
                return Err(AppError::input(
                    format!("等级名称 tier name（{}）", old.name),
                    "不能为空 / must not be empty",
                ));
            }
            let number = |field: &str, label: &str| -> Result<Decimal, AppError> {
                let v = s.nth(field, i);
                v.parse::<Decimal>()
                    .map_err(|_| AppError::input(format!("{label}（{name}）"), format!("“{v}”不是数字 / not a number")))
            };
            let min_spend = number("min_spend", "消费门槛 min spend")?;
            let discount = number("discount", "折扣 discount %")?;
            let mut discounts = old.discounts.clone();
            if discount != old.discounts.get("*").copied().unwrap_or_default() {
                discounts.insert("*".into(), discount);
            }
            let t = crate::store::Tier { name: name.to_string(), min_spend, discounts, ..old.clone() };
            if t != *old {
                changed.push((old.name.clone(), t));
            }
        }
        app.set_tiers(&changed, actor)
    })
    .await
}

/// Staff roles a wizard line may take (the owner is the one setting up).
pub fn roles() -> [(StaffRole, &'static str); 3] {
    [
        (StaffRole::Beautician, "美容师 beautician"),
        (StaffRole::FrontDesk, "前台 front desk"),
        (StaffRole::Manager, "店长 manager"),
    ]
}
