//! The till (收银): the whole cart the library supports — services with beautician shares,
//! products, course sessions, a coupon, points, stored value, several tenders and cash
//! change — quoted before paying; the receipt through the print queue (shown here as the
//! printer will print it); voids (manager and up), top-ups and course sales.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::views::{self, Layout, money};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::app::access::WebUser;
use crate::app::checkout::{CheckoutRequest, ItemKey, ItemRequest, Receipt};
use crate::domain::access::{Permission, may};
use crate::domain::checkout::{Tender, Use};

type Page = Result<Response, WebError>;

/// Lines the till's form holds.
const LINES: usize = 5;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/checkout", get(till).post(submit))
        .route("/checkout/topup", get(topup_page).post(topup))
        .route("/checkout/course", get(course_page).post(sell_course))
        .route("/checkout/package", get(package_page).post(sell_package))
        .route("/visits/{id}", get(visit))
        .route("/visits/{id}/void", post(void))
}

fn render(t: &impl Template) -> Page {
    Ok(Html(t.render()?).into_response())
}

fn unprocessable(t: &impl Template) -> Page {
    let mut res = render(t)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(all: &[(String, String)], selected: &str, none: &str) -> Vec<Choice> {
    let mut v = vec![Choice { value: String::new(), label: none.to_string(), selected: selected.is_empty() }];
    v.extend(all.iter().map(|(value, label)| Choice {
        value: value.clone(),
        label: label.clone(),
        selected: value == selected,
    }));
    v
}

struct LineRow {
    n: usize,
    items: Vec<Choice>,
    qty: String,
    staff: Vec<Choice>,
    price: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct TillPage {
    layout: Layout,
    customer: Option<(String, String)>,
    customer_q: String,
    rows: Vec<(String, String)>,
    q: String,
    lines: Vec<LineRow>,
    coupons: Vec<Choice>,
    points: String,
    stored_value: String,
    cash: String,
    wechat: String,
    alipay: String,
    card: String,
    balances: Option<String>,
    quote: Option<Vec<(String, String)>>,
    quote_lines: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct TillForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    customer_q: String,
    #[serde(default)]
    item1: String,
    #[serde(default)]
    item2: String,
    #[serde(default)]
    item3: String,
    #[serde(default)]
    item4: String,
    #[serde(default)]
    item5: String,
    #[serde(default)]
    qty1: String,
    #[serde(default)]
    qty2: String,
    #[serde(default)]
    qty3: String,
    #[serde(default)]
    qty4: String,
    #[serde(default)]
    qty5: String,
    #[serde(default)]
    staff1: String,
    #[serde(default)]
    staff2: String,
    #[serde(default)]
    staff3: String,
    #[serde(default)]
    staff4: String,
    #[serde(default)]
    staff5: String,
    /// The unit prices the quote showed, checked again when paying.
    #[serde(default)]
    price1: String,
    #[serde(default)]
    price2: String,
    #[serde(default)]
    price3: String,
    #[serde(default)]
    price4: String,
    #[serde(default)]
    price5: String,
    #[serde(default)]
    coupon: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    stored_value: String,
    #[serde(default)]
    cash: String,
    #[serde(default)]
    wechat: String,
    #[serde(default)]
    alipay: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    action: String,
}

impl TillForm {
    fn line(&self, i: usize) -> (&str, &str, &str, &str) {
        match i {
            0 => (&self.item1, &self.qty1, &self.staff1, &self.price1),
            1 => (&self.item2, &self.qty2, &self.staff2, &self.price2),
            2 => (&self.item3, &self.qty3, &self.staff3, &self.price3),
            3 => (&self.item4, &self.qty4, &self.staff4, &self.price4),
            _ => (&self.item5, &self.qty5, &self.staff5, &self.price5),
        }
    }

    fn set_price(&mut self, i: usize, p: String) {
        match i {
            0 => self.price1 = p,
            1 => self.price2 = p,
            2 => self.price3 = p,
            3 => self.price4 = p,
            _ => self.price5 = p,
        }
    }

    /// The request the form stands for; a bad number names its field.
    fn request(&self, actor: &str, with_prices: bool) -> Result<CheckoutRequest, AppError> {
        let amount = |field: &str, s: &str| -> Result<Decimal, AppError> {
            if s.trim().is_empty() {
                return Ok(Decimal::ZERO);
            }
            crate::domain::money::parse_yuan(s).map_err(|e| AppError::input(field, e.to_string()))
        };
        let mut items = Vec::new();
        for i in 0..LINES {
            let (item, qty, staff, price) = self.line(i);
            if item.is_empty() {
                continue;
            }
            let quantity = if qty.trim().is_empty() {
                1
            } else {
                qty.trim().parse::<u32>().ok().filter(|q| (1..=99).contains(q)).ok_or_else(|| {
                    AppError::input(format!("第 {} 行数量 / line {} quantity", i + 1, i + 1), "应为 1–99 / 1 to 99")
                })?
            };
            let key = match item.split_once(':') {
                Some(("s", id)) => ItemKey::Service(id.into()),
                Some(("p", id)) => ItemKey::Product(id.into()),
                Some(("c", id)) => ItemKey::CourseSession(id.into()),
                _ => {
                    return Err(AppError::input(
                        format!("第 {} 行 / line {}", i + 1, i + 1),
                        "未知项目 / unknown item",
                    ));
                }
            };
            items.push(ItemRequest {
                item: key,
                quantity,
                staff: if staff.is_empty() { Vec::new() } else { vec![(staff.to_string(), None)] },
                expected_unit_price: if with_prices { price.parse().ok() } else { None },
            });
        }
        if items.is_empty() {
            return Err(AppError::input("第 1 行 / line 1", "请至少加一项 / add at least one item"));
        }
        let points = match self.points.trim() {
            "" => Use::Nothing,
            "max" => Use::Max,
            n => Use::Exactly(n.parse().map_err(|_| AppError::input("积分 points", "应为整数 / a whole number"))?),
        };
        let stored_value = match self.stored_value.trim() {
            "" => Use::Nothing,
            "max" => Use::Max,
            n => Use::Exactly(amount("储值 stored value", n)?),
        };
        let mut tenders = Vec::new();
        for (t, s, field) in [
            (Tender::Cash, &self.cash, "现金 cash"),
            (Tender::Wechat, &self.wechat, "微信 WeChat Pay"),
            (Tender::Alipay, &self.alipay, "支付宝 Alipay"),
            (Tender::Card, &self.card, "银行卡 card"),
        ] {
            let a = amount(field, s)?;
            if a > Decimal::ZERO {
                tenders.push((t, a));
            }
        }
        Ok(CheckoutRequest {
            customer: (!self.customer.is_empty()).then(|| self.customer.clone()),
            items,
            coupon: (!self.coupon.is_empty()).then(|| self.coupon.clone()),
            points,
            stored_value,
            tenders,
            actor: actor.to_string(),
        })
    }
}

async fn page(shop: &Shared, user: &WebUser, f: &TillForm) -> Result<TillPage, WebError> {
    let tz = shop.config().shop.time_zone;
    let (customer_key, query) = (f.customer.clone(), f.customer_q.trim().to_string());
    let (now, services, products, staff, customer, membership, found) = shop
        .run(move |app| {
            let customer = if customer_key.is_empty() { None } else { Some(app.customer_by_key(&customer_key)?) };
            let membership = customer.as_ref().map(|c| app.membership(&c.id)).transpose()?;
            let found = if query.is_empty() { Vec::new() } else { app.search_customers(&query, 8)? };
            Ok((app.now(), app.list_services(false)?, app.products()?, app.list_staff()?, customer, membership, found))
        })
        .await?;
    let mut items: Vec<(String, String)> =
        services.iter().map(|s| (format!("s:{}", s.id), format!("{} · {}", s.name, money(s.price)))).collect();
    items.extend(
        products
            .iter()
            .filter(|p| p.active)
            .map(|p| (format!("p:{}", p.id), format!("🛍 {} · {}", p.name, money(p.price)))),
    );
    if let Some(m) = &membership {
        // what she has paid for and may use today: a course's sessions, a package's items
        items.extend(m.courses.iter().filter(|c| c.usable(now)).map(|c| {
            let kind = if c.package.is_some() { "套餐 package" } else { "次卡 course" };
            (format!("c:{}", c.id), format!("{kind}: {}（剩 {} 次 left）", c.label(), c.sessions_left))
        }));
    }
    let beauticians: Vec<(String, String)> = staff
        .iter()
        .filter(|s| s.active && s.role != crate::domain::model::StaffRole::Owner)
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    let coupons: Vec<(String, String)> = membership
        .as_ref()
        .map(|m| m.coupons.iter().map(|c| (c.coupon.code.clone(), c.coupon.name.clone())).collect())
        .unwrap_or_default();
    Ok(TillPage {
        layout: Layout::new("收银 Checkout", "/checkout", user, &shop.config().shop.name, now, tz),
        customer: customer.as_ref().map(|c| views::customer_choice(user, c)),
        customer_q: f.customer_q.clone(),
        rows: found.iter().map(|c| views::customer_choice(user, c)).collect(),
        q: f.customer_q.clone(),
        lines: (0..LINES)
            .map(|i| {
                let (item, qty, staff, price) = f.line(i);
                LineRow {
                    n: i + 1,
                    items: choices(&items, item, "—"),
                    qty: qty.to_string(),
                    staff: choices(&beauticians, staff, "提成 commission: —"),
                    price: price.to_string(),
                }
            })
            .collect(),
        coupons: choices(&coupons, &f.coupon, "不用券 no coupon"),
        points: f.points.clone(),
        stored_value: f.stored_value.clone(),
        cash: f.cash.clone(),
        wechat: f.wechat.clone(),
        alipay: f.alipay.clone(),
        card: f.card.clone(),
        balances: membership.map(|m| {
            format!(
                "{} · 积分 points {} · 储值 stored value {}（赠 bonus {}）",
                m.tier.unwrap_or_else(|| "非会员 no tier".into()),
                m.points,
                money(m.stored_value_principal),
                money(m.stored_value_bonus)
            )
        }),
        quote: None,
        quote_lines: Vec::new(),
        error: None,
    })
}

async fn till(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(f): Query<TillForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    render(&page(&shop, &user, &f).await?)
}

/// Label and amount, as the quote shows them.
type Rows = Vec<(String, String)>;

/// The quote's lines, then its totals, payments and balances.
fn quote_rows(r: &Receipt) -> (Rows, Rows) {
    let lines = r
        .lines
        .iter()
        .map(|l| {
            (
                format!(
                    "{} × {}{}",
                    l.name,
                    l.quantity,
                    if l.staff.is_empty() { String::new() } else { format!("（{}）", l.staff.join("、")) }
                ),
                money(l.amount),
            )
        })
        .collect();
    let s = r.summary();
    (lines, s.totals.into_iter().chain(s.payments).chain(s.balances).collect())
}

async fn submit(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(mut f): Form<TillForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    let paying = f.action == "pay";
    let req = match f.request(&user.staff.id, paying) {
        Ok(r) => r,
        Err(e) => {
            let mut p = page(&shop, &user, &f).await?;
            p.error = Some(e.to_string());
            return unprocessable(&p);
        }
    };
    if !paying {
        let q = req.clone();
        return match shop.run(move |app| app.quote(&q)).await {
            Ok(r) => {
                // the prices quoted go back with the payment: a price changed meanwhile is refused
                for (i, line) in r.lines.iter().enumerate() {
                    f.set_price(i, line.unit_price.to_string());
                }
                let mut p = page(&shop, &user, &f).await?;
                let (lines, totals) = quote_rows(&r);
                p.quote_lines = lines;
                p.quote = Some(totals);
                render(&p)
            }
            Err(WebError::App(e)) => {
                let mut p = page(&shop, &user, &f).await?;
                p.error = Some(e.to_string());
                unprocessable(&p)
            }
            Err(e) => Err(e),
        };
    }
    match shop
        .run(move |app| {
            let r = app.checkout(&req)?;
            // The visit is recorded: a receipt that cannot be queued is said on its page.
            if let Err(e) = crate::station::printing::queue_receipt(app, &r) {
                tracing::warn!(visit = %r.visit_id, error = %e, "receipt not queued");
            }
            Ok(r)
        })
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/visits/{}", r.visit_id)).into_response()),
        Err(WebError::App(e)) => {
            let mut p = page(&shop, &user, &f).await?;
            p.error = Some(e.to_string());
            unprocessable(&p)
        }
        Err(e) => Err(e),
    }
}

// ---- a visit and its receipt ----

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    layout: Layout,
    id: String,
    title: String,
    receipt: Vec<String>,
    print_status: String,
    can_void: bool,
    voided: bool,
    error: Option<String>,
}

async fn visit_page(shop: &Shared, user: &WebUser, id: &str, error: Option<String>) -> Page {
    let tz = shop.config().shop.time_zone;
    let key = id.to_string();
    let (brief, jobs, now) =
        shop.run(move |app| Ok((app.visit_record(&key)?, app.print_jobs(200)?, app.now()))).await?;
    let job = jobs.iter().rev().find(|j| j.ref_id.as_deref() == Some(id) && (j.kind == "receipt" || j.kind == "topup"));
    let receipt = job
        .and_then(|j| crate::devices::escpos_read::decode(&j.body).ok())
        .map(|d| d.texts())
        .unwrap_or_else(|| vec!["（没有小票 / no receipt queued）".into()]);
    let print_status = job.map_or_else(String::new, |j| match j.status.as_str() {
        "pending" => "等待打印 / waiting for the printer".into(),
        "printed" => "已打印 / printed".into(),
        s => s.to_string(),
    });
    let voided = brief.voided;
    let page = VisitPage {
        layout: Layout::new("小票 Receipt", "/checkout", user, &shop.config().shop.name, now, tz),
        id: id.to_string(),
        title: format!(
            "{}{} · {}{}",
            match brief.kind.as_str() {
                "topup" => "充值 top-up · ",
                "course_sale" => "售卡 course sale · ",
                "refund" => "退款 refund · ",
                _ => "",
            },
            views::when(brief.at, tz),
            brief.customer_name.clone().unwrap_or_else(|| "散客 walk-in".into()),
            if voided { " · 已作废 voided" } else { "" }
        ),
        receipt,
        print_status,
        // a top-up or a card is undone by a refund, not a void
        can_void: may(user.staff.role, Permission::Void) && !voided && brief.kind == "checkout",
        voided,
        error,
    };
    if page.error.is_some() { unprocessable(&page) } else { render(&page) }
}

async fn visit(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    visit_page(&shop, &user, &id, None).await
}

#[derive(Deserialize)]
struct VoidForm {
    #[serde(default)]
    reason: String,
}

async fn void(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<VoidForm>,
) -> Page {
    let user = ctx.require(&shop, Permission::Void).await?.clone();
    if f.reason.trim().is_empty() {
        return visit_page(&shop, &user, &id, Some("请填写作废原因 / give the reason for the void".into())).await;
    }
    let (key, actor, address, reason) =
        (id.clone(), user.staff.id.clone(), ctx.address.clone(), f.reason.trim().to_string());
    let result = shop
        .run(move |app| {
            let reversal = app.void_visit(&key, &actor)?;
            app.audit_web(
                &actor,
                "visit.void_reason",
                "visit",
                &key,
                &address,
                serde_json::json!({ "reason": reason }),
            )?;
            Ok(reversal)
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/visits/{id}")).into_response()),
        Err(WebError::App(e)) => visit_page(&shop, &user, &id, Some(e.to_string())).await,
        Err(e) => Err(e),
    }
}

// ---- top-up, course sale and package sale ----

/// What the sale page sells.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sale {
    Topup,
    Course,
    Package,
}

#[derive(Template)]
#[template(path = "sale.html")]
struct SalePage {
    layout: Layout,
    heading: &'static str,
    action: &'static str,
    customer: Option<(String, String)>,
    customer_q: String,
    rows: Vec<(String, String)>,
    q: String,
    course: bool,
    package: bool,
    services: Vec<Choice>,
    packages: Vec<Choice>,
    amount: String,
    sessions: String,
    valid_days: String,
    tender: String,
    error: Option<String>,
    customer_error: Option<String>,
    service_error: Option<String>,
    amount_error: Option<String>,
    sessions_error: Option<String>,
    valid_days_error: Option<String>,
}

impl SalePage {
    /// A refusal goes beside the field it is about; anything else above the form.
    fn place(&mut self, e: &AppError) {
        let AppError::Input { field, message } = e else {
            self.error = Some(e.to_string());
            return;
        };
        let f = field.to_lowercase();
        let slot = if f.contains("customer") || f.contains("顾客") {
            &mut self.customer_error
        } else if f.contains("package") || f.contains("套餐") {
            &mut self.service_error
        } else if f.contains("valid") {
            &mut self.valid_days_error
        } else if f.contains("session") || f.contains("次数") {
            &mut self.sessions_error
        } else if f.contains("service") || f.contains("项目") {
            &mut self.service_error
        } else if f.contains("amount") || f.contains("price") || f.contains("金额") || f.contains("价格") {
            &mut self.amount_error
        } else {
            self.error = Some(e.to_string());
            return;
        };
        *slot = Some(message.clone());
    }
}

/// A sale needs its customer chosen before anything else is looked at.
fn sale_customer(f: &SaleForm) -> Result<(), AppError> {
    if f.customer.trim().is_empty() {
        return Err(AppError::input("顾客 customer", "请先查找并选择顾客 / find and choose the customer first"));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
struct SaleForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    customer_q: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    sessions: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    tender: String,
}

async fn sale_page(shop: &Shared, user: &WebUser, f: &SaleForm, kind: Sale) -> Result<SalePage, WebError> {
    let tz = shop.config().shop.time_zone;
    let (key, query) = (f.customer.clone(), f.customer_q.trim().to_string());
    let (now, customer, found, services, packages) = shop
        .run(move |app| {
            let customer = if key.is_empty() { None } else { Some(app.customer_by_key(&key)?) };
            let found = if query.is_empty() { Vec::new() } else { app.search_customers(&query, 8)? };
            let packages = if kind == Sale::Package { app.packages(false)? } else { Vec::new() };
            Ok((app.now(), customer, found, app.list_services(false)?, packages))
        })
        .await?;
    let services: Vec<(String, String)> =
        services.iter().map(|s| (s.id.clone(), format!("{} · {}", s.name, money(s.price)))).collect();
    let packages: Vec<(String, String)> = packages.iter().map(|p| (p.id.clone(), views::package_label(p))).collect();
    let (heading, action) = match kind {
        Sale::Topup => ("充值 / top up", "/checkout/topup"),
        Sale::Course => ("售卡 / sell a course", "/checkout/course"),
        Sale::Package => ("售套餐 / sell a package", "/checkout/package"),
    };
    Ok(SalePage {
        layout: Layout::new("收银 Checkout", "/checkout", user, &shop.config().shop.name, now, tz),
        heading,
        action,
        customer: customer.as_ref().map(|c| views::customer_choice(user, c)),
        customer_q: f.customer_q.clone(),
        rows: found.iter().map(|c| views::customer_choice(user, c)).collect(),
        q: f.customer_q.clone(),
        course: kind == Sale::Course,
        package: kind == Sale::Package,
        services: choices(&services, &f.service, "—"),
        packages: choices(&packages, &f.package, "—"),
        amount: f.amount.clone(),
        sessions: f.sessions.clone(),
        valid_days: f.valid_days.clone(),
        tender: if f.tender.is_empty() { "cash".into() } else { f.tender.clone() },
        error: None,
        customer_error: None,
        service_error: None,
        amount_error: None,
        sessions_error: None,
        valid_days_error: None,
    })
}

async fn topup_page(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(f): Query<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    render(&sale_page(&shop, &user, &f, Sale::Topup).await?)
}

async fn course_page(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(f): Query<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    render(&sale_page(&shop, &user, &f, Sale::Course).await?)
}

async fn package_page(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(f): Query<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    render(&sale_page(&shop, &user, &f, Sale::Package).await?)
}

async fn sell_package(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    let (key, package, tender, actor) = (f.customer.clone(), f.package.clone(), sale_tender(&f), user.staff.id.clone());
    let result = match sale_customer(&f).and_then(|()| {
        if package.trim().is_empty() {
            return Err(AppError::input("套餐 package", "请选择套餐 / choose the package"));
        }
        Ok(())
    }) {
        Ok(()) => {
            shop.run(move |app| {
                // paid in full with the one tender chosen: the package's own price
                let price = app.packages(false)?.into_iter().find(|p| p.id == package).map(|p| p.price);
                let price = price.ok_or_else(|| {
                    AppError::input(
                        "套餐 package",
                        "该套餐已下架，请重新选择 / the package is no longer sold: choose again",
                    )
                })?;
                let tenders = vec![(tender, price)];
                let req = crate::app::packages::PackageSaleRequest { customer: key.clone(), package, tenders };
                let sale = app.sell_package(&req, &actor)?;
                let c = app.customer_by_key(&key)?;
                if let Err(e) = crate::station::printing::queue_package_receipt(app, &c, &sale, &req.tenders) {
                    tracing::warn!(visit = %sale.visit_id, error = %e, "package receipt not queued");
                }
                Ok(sale)
            })
            .await
        }
        Err(e) => Err(WebError::App(e)),
    };
    match result {
        Ok(sale) => Ok(Redirect::to(&format!("/visits/{}", sale.visit_id)).into_response()),
        Err(WebError::App(e)) => {
            let mut p = sale_page(&shop, &user, &f, Sale::Package).await?;
            p.place(&e);
            unprocessable(&p)
        }
        Err(e) => Err(e),
    }
}

fn sale_tender(f: &SaleForm) -> Tender {
    Tender::parse(&f.tender).unwrap_or(Tender::Cash)
}

async fn topup(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    let amount = sale_customer(&f).and_then(|()| {
        crate::domain::money::parse_yuan(&f.amount).map_err(|e| AppError::input("金额 amount", e.to_string()))
    });
    let (key, tender, actor) = (f.customer.clone(), sale_tender(&f), user.staff.id.clone());
    let result = match amount {
        Ok(amount) => {
            shop.run(move |app| {
                let t = app.topup(&key, amount, &[(tender, amount)], &actor)?;
                let c = app.customer_by_key(&key)?;
                if let Err(e) = crate::station::printing::queue_topup_receipt(app, &c, &t, &[(tender, amount)]) {
                    tracing::warn!(visit = %t.visit_id, error = %e, "top-up receipt not queued");
                }
                Ok(t.visit_id)
            })
            .await
        }
        Err(e) => Err(WebError::App(e)),
    };
    match result {
        Ok(visit) => Ok(Redirect::to(&format!("/visits/{visit}")).into_response()),
        Err(WebError::App(e)) => {
            let mut p = sale_page(&shop, &user, &f, Sale::Topup).await?;
            p.place(&e);
            unprocessable(&p)
        }
        Err(e) => Err(e),
    }
}

async fn sell_course(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<SaleForm>) -> Page {
    let user = ctx.require(&shop, Permission::Checkout).await?.clone();
    let parsed = (|| -> Result<crate::app::membership::CourseSaleRequest, AppError> {
        sale_customer(&f)?;
        let price =
            crate::domain::money::parse_yuan(&f.amount).map_err(|e| AppError::input("价格 price", e.to_string()))?;
        let sessions = f
            .sessions
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| AppError::input("次数 sessions", "应为 1–200 / 1 to 200"))?;
        let valid_days = match f.valid_days.trim() {
            "" => None,
            d => Some(
                d.parse::<i64>().map_err(|_| AppError::input("有效天数 valid days", "应为整数 / a whole number"))?,
            ),
        };
        Ok(crate::app::membership::CourseSaleRequest {
            customer: f.customer.clone(),
            service: f.service.clone(),
            sessions,
            price,
            valid_days,
            tenders: vec![(sale_tender(&f), price)],
        })
    })();
    let actor = user.staff.id.clone();
    let result = match parsed {
        Ok(req) => shop.run(move |app| app.sell_course(&req, &actor).map(|s| s.visit_id)).await,
        Err(e) => Err(WebError::App(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{}", f.customer)).into_response()),
        Err(WebError::App(e)) => {
            let mut p = sale_page(&shop, &user, &f, Sale::Course).await?;
            p.place(&e);
            unprocessable(&p)
        }
        Err(e) => Err(e),
    }
}
