//! Services, products and stock (项目与库存, owner and manager): the price list with
//! durations and clean-up times (a buffer changed by the owner), products with their level,
//! value and soonest expiry, a batch received with its expiry, a stock-take with its reason,
//! the movements of a period, and what is low or expiring. The ledger is append-only: every
//! change here is a movement with its reason and who made it.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::views::{Layout, money};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::domain::access::{Permission, may};

type Page = Result<Response, WebError>;

/// A batch expiring within this many days is listed as expiring.
const EXPIRING_DAYS: i64 = 60;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/stock", get(stock))
        .route("/stock/in", post(receive))
        .route("/stock/count", post(count))
        .route("/stock/buffer", post(buffer))
        .route("/stock/price", post(price))
        .route("/stock/service", post(new_service))
        .route("/stock/material", post(material))
}

pub struct ServiceLine {
    pub name: String,
    pub category: String,
    pub duration: u32,
    pub buffer: u32,
    pub price: String,
    /// `补水面膜 ×1` each, what a treatment takes from the stock.
    pub materials: String,
}

pub struct ProductLine {
    pub name: String,
    pub sku: String,
    pub level: i64,
    pub low_stock: i64,
    pub low: bool,
    pub expiry: String,
    pub expiring: bool,
    pub value: String,
}

pub struct MoveLine {
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "stock.html")]
struct StockPage {
    layout: Layout,
    services: Vec<ServiceLine>,
    products: Vec<ProductLine>,
    low: Vec<String>,
    expiring: Vec<String>,
    moves: Vec<MoveLine>,
    from: String,
    to: String,
    can_price: bool,
    done: Option<String>,
    error: Option<(&'static str, String)>,
    total_value: String,
    today: String,
}

impl StockPage {
    fn error_for(&self, form: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == form).map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
struct Ask {
    from: Option<String>,
    to: Option<String>,
    done: Option<String>,
    /// The day a price change waits for.
    on: Option<String>,
}

fn day(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
}

async fn page(shop: &Shared, ctx: &Ctx, ask: Ask, error: Option<(&'static str, String)>) -> Page {
    let user = ctx.require(shop, Permission::RunShop).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (from_ask, to_ask) = (day(ask.from.as_deref()), day(ask.to.as_deref()));
    let (services, levels, moves, today, now, from, to, materials) = shop
        .run(move |app| {
            let today = app.today();
            let from = from_ask.unwrap_or_else(|| today.with_day(1).unwrap_or(today));
            let to = to_ask.unwrap_or(today).max(from);
            let materials = app.service_materials()?;
            Ok((
                app.list_services(false)?,
                app.stock_list()?,
                app.stock_report(from, to)?,
                today,
                app.now(),
                from,
                to,
                materials,
            ))
        })
        .await?;
    let soon = today + Duration::days(EXPIRING_DAYS);
    let products: Vec<ProductLine> = levels
        .iter()
        .map(|r| ProductLine {
            name: r.name.clone(),
            sku: r.sku.clone(),
            level: r.level,
            low_stock: r.low_stock,
            low: r.low_stock > 0 && r.level <= r.low_stock,
            expiry: r.next_expiry.map_or("—".into(), |d| d.to_string()),
            expiring: r.next_expiry.is_some_and(|d| d <= soon),
            value: money(r.value),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = StockPage {
        layout: Layout::new("项目与库存 Services and stock", "/stock", &user, &shop.config().shop.name, now, tz),
        services: services
            .iter()
            .map(|s| ServiceLine {
                name: s.name.clone(),
                category: s.category.clone(),
                duration: s.duration_min,
                buffer: s.buffer_min,
                price: money(s.price),
                materials: materials
                    .iter()
                    .filter(|(id, ..)| *id == s.id)
                    .map(|(_, p, n)| format!("{p} ×{n}"))
                    .collect::<Vec<_>>()
                    .join("、"),
            })
            .collect(),
        low: products
            .iter()
            .filter(|p| p.low)
            .map(|p| format!("{}：剩 {} / {} left (提醒线 alert at {})", p.name, p.level, p.level, p.low_stock))
            .collect(),
        expiring: products
            .iter()
            .filter(|p| p.expiring)
            .map(|p| format!("{}：最早 {} 到期 / the first batch expires {}", p.name, p.expiry, p.expiry))
            .collect(),
        total_value: money(levels.iter().map(|r| r.value).sum::<Decimal>()),
        products,
        moves: moves
            .iter()
            .map(|m| MoveLine {
                cells: vec![
                    m.name.clone(),
                    m.opening.to_string(),
                    m.received.to_string(),
                    m.sold.to_string(),
                    m.used.to_string(),
                    m.returned.to_string(),
                    m.adjusted.to_string(),
                    money(m.adjusted_value),
                    m.closing.to_string(),
                    money(m.closing_value),
                ],
            })
            .collect(),
        from: from.to_string(),
        to: to.to_string(),
        can_price: may(user.staff.role, Permission::Setup),
        done: match (ask.done.as_deref(), day(ask.on.as_deref())) {
            (Some("in"), _) => Some("已入库 / received".into()),
            (Some("count"), _) => Some("盘点已记录 / stock-take recorded".into()),
            (Some("buffer"), _) => Some("整理时间已更新 / clean-up time changed".into()),
            (Some("price"), Some(on)) => Some(format!(
                "新价格 {on} 起生效，可在「会员」页撤回 / the new price applies from {on}; withdraw it on the members page"
            )),
            (Some("price"), None) => Some("价格已更新 / price changed".into()),
            (Some("service"), _) => Some("已添加项目 / service added".into()),
            (Some("material"), _) => {
                Some("耗材已更新，之后的护理按此出库 / materials changed: treatments from now on take them".into())
            }
            _ => None,
        },
        today: today.to_string(),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn stock(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<Ask>) -> Page {
    page(&shop, &ctx, ask, None).await
}

/// Runs a change; its refusal is shown beside the form it answers.
async fn change<F>(shop: Shared, ctx: Ctx, p: Permission, form: &'static str, f: F) -> Page
where
    F: FnOnce(&mut crate::app::App, &str) -> Result<Option<NaiveDate>, AppError> + Send + 'static,
{
    let user = ctx.require(&shop, p).await?.clone();
    let actor = user.staff.id.clone();
    match shop.run(move |app| f(app, &actor)).await {
        Ok(on) => {
            let on = on.map(|d| format!("&on={d}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/stock?done={form}{on}")).into_response())
        }
        Err(WebError::App(e @ (AppError::Input { .. } | AppError::Store(_)))) => {
            page(&shop, &ctx, Ask::default(), Some((form, e.to_string()))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct InForm {
    product: String,
    quantity: String,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    cost: String,
}

async fn receive(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<InForm>) -> Page {
    change(shop, ctx, Permission::RunShop, "in", move |app, actor| {
        let quantity: i64 = f.quantity.trim().parse().map_err(|_| {
            AppError::input("数量 quantity", format!("“{}”不是整数 / not a whole number", f.quantity.trim()))
        })?;
        let cost = match f.cost.trim() {
            "" => None,
            c => Some(
                c.parse::<Decimal>()
                    .map_err(|_| AppError::input("进价 cost", format!("“{c}”不是金额 / not an amount")))?,
            ),
        };
        let expires = Some(f.expires.trim()).filter(|e| !e.is_empty());
        app.stock_in(&f.product, quantity, f.batch.trim(), expires, cost, actor)?;
        Ok(None)
    })
    .await
}

#[derive(Deserialize)]
struct CountForm {
    product: String,
    count: String,
    #[serde(default)]
    reason: String,
}

async fn count(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<CountForm>) -> Page {
    change(shop, ctx, Permission::RunShop, "count", move |app, actor| {
        let n: i64 = f.count.trim().parse().map_err(|_| {
            AppError::input("盘点数 count", format!("“{}”不是整数 / not a whole number", f.count.trim()))
        })?;
        if f.reason.trim().is_empty() {
            return Err(AppError::input(
                "原因 reason",
                "请写明原因（如 月末盘点、破损、过期报废）/ give the reason (month-end count, damaged, expired)",
            ));
        }
        let reason = format!("盘点 stock-take: {}", f.reason.trim());
        app.stock_adjust(&f.product, Some(n), None, None, &reason, actor)?;
        Ok(None)
    })
    .await
}

#[derive(Deserialize)]
struct BufferForm {
    service: String,
    minutes: String,
}

async fn buffer(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<BufferForm>) -> Page {
    change(shop, ctx, Permission::Setup, "buffer", move |app, actor| {
        app.set_service_buffer(&f.service, minutes("整理时间 buffer", &f.minutes)?, actor)?;
        Ok(None)
    })
    .await
}

#[derive(Deserialize)]
struct MaterialForm {
    service: String,
    product: String,
    quantity: String,
}

/// What a treatment takes from the stock: units of a product per service (0 removes it).
async fn material(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<MaterialForm>) -> Page {
    change(shop, ctx, Permission::Setup, "material", move |app, actor| {
        let n = f.quantity.trim().parse::<i64>().ok().filter(|n| (0..=100).contains(n)).ok_or_else(|| {
            AppError::input(
                "用量 units",
                format!(
                    "“{}”应为 0–100 的整数，0 表示不再耗用 / a whole number 0 to 100, 0 removes it",
                    f.quantity.trim()
                ),
            )
        })?;
        app.set_service_material(&f.service, &f.product, n, actor)?;
        Ok(None)
    })
    .await
}

#[derive(Deserialize)]
struct PriceForm {
    service: String,
    price: String,
    minutes: String,
    #[serde(default)]
    effective: String,
}

fn minutes(field: &'static str, v: &str) -> Result<u32, AppError> {
    v.trim().parse().map_err(|_| AppError::input(field, format!("“{}”不是分钟数 / not minutes", v.trim())))
}

/// A new price and duration, now or from a later day (a rule change like the membership page's).
async fn price(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<PriceForm>) -> Page {
    change(shop, ctx, Permission::Setup, "price", move |app, actor| {
        let m = minutes("时长 duration", &f.minutes)?;
        let on = super::views::effective_date(&f.effective)?;
        let out = app.change_service_price(&f.service, &f.price, Some(m), on, actor)?;
        Ok(match out {
            crate::app::rules::ChangeOutcome::Scheduled { effective_on, .. } => Some(effective_on),
            crate::app::rules::ChangeOutcome::Applied(_) => None,
        })
    })
    .await
}

#[derive(Deserialize)]
struct ServiceForm {
    name: String,
    #[serde(default)]
    category: String,
    minutes: String,
    price: String,
}

async fn new_service(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<ServiceForm>) -> Page {
    change(shop, ctx, Permission::Setup, "service", move |app, actor| {
        let m = minutes("时长 duration", &f.minutes)?;
        let category = Some(f.category.trim()).filter(|c| !c.is_empty()).unwrap_or("其他");
        app.add_service(&f.name, category, m, &f.price, None, actor)?;
        Ok(None)
    })
    .await
}
