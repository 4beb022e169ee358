//! The back office's pages: login, first visit, password, Today, customers.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::views::{self, Layout, money};
use super::{Ctx, PRE_COOKIE, SESSION_COOKIE, Shared, WebError, cookie};
use crate::app::access::{WebLogin, WebUser};
use crate::app::today::{Alert, TodayBoard};
use crate::app::{AppError, BackupState};
use crate::domain::access::{Permission, may};
use crate::domain::model::Customer;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/today") }))
        // what `doctor` asks to tell the back office from another program on the port
        .route("/healthz", get(|| async { crate::station::doctor::BACK_OFFICE_HEALTH }))
        .route("/login", get(login_page).post(login))
        .route("/setup", get(setup_page).post(setup))
        .route("/password", get(password_page).post(password))
        .route("/logout", post(logout))
        .route("/today", get(today))
        .route("/today/events", get(today_events))
        .route("/today/queue", get(today_queue))
        .route("/customers", get(customers))
        .route("/customers/new", get(new_customer).post(create_customer))
        .route("/customers/{id}", get(customer))
        .route("/customers/{id}/edit", get(edit_customer).post(save_customer))
        .route("/customers/{id}/note", post(add_note))
        .route("/customers/{id}/delete", post(delete_customer))
        .route("/customers/{id}/export", get(customer_export))
        .route("/export/customers.csv", get(export_customers))
}

fn render(t: &impl Template) -> Page {
    Ok(Html(t.render()?).into_response())
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn cookie_header(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `next` that stays on this site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && next != "/login" {
        next.to_string()
    } else {
        "/today".into()
    }
}

// ---- login ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shop: String,
    pre: String,
    next: String,
    name: String,
    message: Option<String>,
    first_visit: bool,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(shop: &Shared, next: String, name: String, message: Option<String>) -> Page {
    let first_visit = shop.run(|app| app.needs_owner()).await?;
    let pre = random_hex();
    let page = LoginPage { shop: shop.config().shop.name.clone(), pre: pre.clone(), next, name, message, first_visit };
    let mut res = render(&page)?;
    res.headers_mut().append(header::SET_COOKIE, cookie_header(PRE_COOKIE, &pre, 3600));
    Ok(res)
}

/// A new session: its cookie, and on to `to`.
fn logged_in(shop: &Shared, token: &str, to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    let max_age = shop.config().web.session_max.num_seconds();
    res.headers_mut().append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, token, max_age));
    res
}

async fn login_page(State(shop): State<Shared>, Query(q): Query<NextQuery>) -> Page {
    // a fresh install: nobody can log in yet, so the first visit sets up the owner
    if shop.run(|app| app.needs_owner()).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    login_form(&shop, q.next, String::new(), None).await
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    secret: String,
    #[serde(default)]
    pre: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Page {
    if f.pre.is_empty() || cookie(&headers, PRE_COOKIE).as_deref() != Some(f.pre.as_str()) {
        let m = "登录页已过期，请再试一次 / the login page expired: try again".to_string();
        return login_form(&shop, f.next, f.name, Some(m)).await;
    }
    let (name, secret, address) = (f.name.clone(), f.secret, ctx.address.clone());
    let outcome = shop.run(move |app| app.web_login(&name, &secret, &address)).await?;
    let tz = shop.config().shop.time_zone;
    let message = match outcome {
        WebLogin::Ok { token, user } => {
            let to = if user.must_set_password { "/password".to_string() } else { safe_next(&f.next) };
            let mut res = logged_in(&shop, &token, &to);
            res.headers_mut().append(header::SET_COOKIE, cookie_header(PRE_COOKIE, "", 0));
            return Ok(res);
        }
        WebLogin::Wrong { left } => {
            format!("PIN 或密码不对，还可再试 {left} 次 / wrong PIN or password: {left} tries left")
        }
        WebLogin::Locked { until } => format!(
            "错误次数过多，已锁定至 {}（签到机的员工模式同样锁定）/ too many wrong tries: locked until {} (the kiosk's staff mode too)",
            views::hm(until, tz),
            views::hm(until, tz)
        ),
        WebLogin::Unknown => "没有这位员工，或未设置 PIN / no such staff member, or no PIN set".to_string(),
    };
    let mut res = login_form(&shop, f.next, f.name, Some(message)).await?;
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(res)
}

async fn logout(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    if let (Some(token), Ok(user)) = (ctx.token.clone(), ctx.user()) {
        let (id, address) = (user.staff.id.clone(), ctx.address.clone());
        shop.run(move |app| app.web_logout(&token, &id, &address)).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0));
    Ok(res)
}

// ---- the first visit and passwords ----

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    shop: String,
    heading: &'static str,
    explain: &'static str,
    action: &'static str,
    token_name: &'static str,
    token: String,
    ask_name: bool,
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
}

impl SetupPage {
    fn first_visit(shop: &Shared, token: String) -> SetupPage {
        SetupPage {
            shop: shop.config().shop.name.clone(),
            heading: "设置店主 / set up the owner",
            explain: "首次使用：设置店主的姓名和后台密码。/ First visit: the owner's name and back-office password.",
            action: "/setup",
            token_name: "pre",
            token,
            ask_name: true,
            name: String::new(),
            name_error: None,
            password_error: None,
        }
    }

    fn password(shop: &Shared, user: &WebUser) -> SetupPage {
        SetupPage {
            shop: shop.config().shop.name.clone(),
            heading: "设置后台密码 / set your password",
            explain: "店主用密码登录后台（至少 8 个字符）。/ The owner logs in to the back office with a password (8 characters or more).",
            action: "/password",
            token_name: "csrf",
            token: user.csrf.clone(),
            ask_name: false,
            name: user.staff.name.clone(),
            name_error: None,
            password_error: None,
        }
    }
}

/// An input error of the app, placed beside its field.
fn field_error(e: &AppError) -> Option<(String, String)> {
    match e {
        AppError::Input { field, message } => Some((field.clone(), message.clone())),
        _ => None,
    }
}

async fn setup_page(State(shop): State<Shared>) -> Page {
    if !shop.run(|app| app.needs_owner()).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let pre = random_hex();
    let mut res = render(&SetupPage::first_visit(&shop, pre.clone()))?;
    res.headers_mut().append(header::SET_COOKIE, cookie_header(PRE_COOKIE, &pre, 3600));
    Ok(res)
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    name: String,
    password: String,
    again: String,
    #[serde(default)]
    pre: String,
}

async fn setup(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: axum::http::HeaderMap,
    Form(f): Form<SetupForm>,
) -> Page {
    if f.pre.is_empty() || cookie(&headers, PRE_COOKIE).as_deref() != Some(f.pre.as_str()) {
        return Ok(Redirect::to("/setup").into_response());
    }
    let mut page = SetupPage::first_visit(&shop, f.pre.clone());
    page.name = f.name.clone();
    if f.name.trim().is_empty() {
        page.name_error = Some("请填写姓名 / enter a name".into());
    } else if f.password != f.again {
        page.password_error = Some("两次输入的密码不一致 / the two passwords differ".into());
    }
    if page.name_error.is_some() || page.password_error.is_some() {
        let mut res = render(&page)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let (name, password, address) = (f.name.clone(), f.password.clone(), ctx.address.clone());
    let created = shop
        .run(move |app| {
            app.create_owner(&name, &password, &address)?;
            app.web_login(&name, &password, &address)
        })
        .await;
    match created {
        // she is logged in at once: straight to her shop's day
        Ok(WebLogin::Ok { token, .. }) => return Ok(logged_in(&shop, &token, "/setup/shop")),
        Ok(_) => {}
        Err(WebError::App(e)) if field_error(&e).is_some() => {
            let (field, message) = field_error(&e).unwrap_or_default();
            if field.contains("password") {
                page.password_error = Some(message);
            } else {
                page.name_error = Some(format!("{field}：{message}"));
            }
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(e) => return Err(e),
    }
    Ok(Redirect::to("/login?next=/today").into_response())
}

async fn password_page(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?;
    render(&SetupPage::password(&shop, user))
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
    again: String,
}

async fn password(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<PasswordForm>) -> Page {
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let mut page = SetupPage::password(&shop, &user);
    if f.password != f.again {
        page.password_error = Some("两次输入的密码不一致 / the two passwords differ".into());
        let mut res = render(&page)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let (id, name, pw, address) =
        (user.staff.id.clone(), user.staff.name.clone(), f.password.clone(), ctx.address.clone());
    let set = shop
        .run(move |app| {
            app.set_password(&id, &pw, &id, &address)?;
            app.web_login(&name, &pw, &address)
        })
        .await;
    match set {
        Ok(WebLogin::Ok { token, .. }) => Ok(logged_in(&shop, &token, "/today")),
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(WebError::App(e)) if field_error(&e).is_some() => {
            page.password_error = field_error(&e).map(|(_, m)| m);
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

// ---- Today ----

struct QueueRow {
    ticket: String,
    customer: String,
    service: String,
    staff: String,
    status: &'static str,
    wait: String,
}

struct AppointmentRow {
    time: String,
    customer: String,
    service: String,
    status: &'static str,
    status_class: &'static str,
    allergy: bool,
}

struct StaffColumn {
    staff: String,
    rows: Vec<AppointmentRow>,
}

struct AlertRow {
    kind: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    layout: Layout,
    date: String,
    takings: String,
    visits: String,
    waiting: usize,
    appointment_count: usize,
    alerts: Vec<AlertRow>,
    queue: Vec<QueueRow>,
    columns: Vec<StaffColumn>,
    /// The owner has not finished the first-run wizard.
    setup_pending: bool,
}

#[derive(Template)]
#[template(path = "today_queue.html")]
struct QueuePart {
    queue: Vec<QueueRow>,
}

/// A beautician sees her own part of the day; everyone else all of it.
fn hers(user: &WebUser, staff_id: Option<&str>) -> bool {
    may(user.staff.role, Permission::BookForOthers) || staff_id.is_none_or(|s| s == user.staff.id)
}

fn queue_rows(user: &WebUser, board: &TodayBoard) -> Vec<QueueRow> {
    board
        .queue
        .iter()
        .filter(|q| hers(user, q.entry.staff_id.as_deref()))
        .map(|q| QueueRow {
            ticket: q.entry.ticket.clone(),
            customer: crate::domain::customer::greeting_name(&q.entry.customer_name, q.entry.customer_gender),
            service: q.entry.service_name.clone(),
            staff: q.entry.staff_name.clone().unwrap_or_else(|| "不指定 any".into()),
            status: q.entry.status.label_zh(),
            wait: q.wait_minutes.map_or_else(|| "—".into(), |m| format!("{m} 分钟")),
        })
        .collect()
}

fn alert_row(a: &Alert, tz: chrono_tz::Tz) -> AlertRow {
    let (kind, text) = match a {
        Alert::Messages { unknown, failed } => (
            "warn",
            format!(
                "消息待处理：{unknown} 条结果未知，今天 {failed} 条发送失败 / messages: {unknown} unknown, {failed} failed today"
            ),
        ),
        Alert::LowStock { product, level, line } => (
            "warn",
            format!("库存不足：{product} 剩 {level}（警戒 {line}）/ low stock: {product} {level} left (line {line})"),
        ),
        Alert::Backup(BackupState::Missing) => ("warn", "还没有备份 / no backup yet".to_string()),
        Alert::Backup(BackupState::Stale(at)) => (
            "warn",
            format!(
                "最近的备份在 {}，已过期 / the newest backup is from {}",
                views::when(*at, tz),
                views::when(*at, tz)
            ),
        ),
        Alert::Backup(_) => ("info", "备份正常 / backups fine".to_string()),
        Alert::SyncOffline { since, error } => (
            "warn",
            format!(
                "云同步离线{} / cloud sync offline{}",
                since.map(|t| format!("（上次成功 {}）", views::when(t, tz))).unwrap_or_default(),
                error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
            ),
        ),
        Alert::Device { device, detail, since } => {
            ("warn", format!("设备 {device}：{detail}（自 {}）/ device {device}: {detail}", views::hm(*since, tz)))
        }
    };
    AlertRow { kind, text }
}

async fn today(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let (board, now, today, health, setup_pending) = shop
        .run(|app| {
            let board = app.today_board()?;
            // who carries allergies or contraindications, for the appointments' marks
            let mut health = std::collections::HashSet::new();
            for a in &board.appointments {
                let c = app.customer_by_key(&a.customer_id)?;
                if !c.allergies.trim().is_empty() || !c.contraindications.trim().is_empty() {
                    health.insert(c.id);
                }
            }
            let setup = app.setup_state()?;
            // a shop set up before the wizard existed has services and staff: nothing to ask
            let pending = !setup.done && (setup.services == 0 || setup.staff == 0);
            Ok((board, app.now(), app.today(), health, pending))
        })
        .await?;
    let setup_pending = setup_pending && crate::domain::access::may(user.staff.role, Permission::Setup);
    let tz = shop.config().shop.time_zone;
    let mut columns: Vec<StaffColumn> = Vec::new();
    for a in board.appointments.iter().filter(|a| hers(&user, a.staff_id.as_deref())) {
        let staff = a.staff_name.clone().unwrap_or_else(|| "未指定 unassigned".into());
        let row = AppointmentRow {
            time: format!("{}–{}", views::hm(a.starts_at, tz), views::hm(a.ends_at, tz)),
            customer: a.customer_name.clone(),
            service: a.service_name.clone(),
            status: a.status.label_zh(),
            status_class: a.status.as_str(),
            allergy: health.contains(&a.customer_id),
        };
        match columns.iter_mut().find(|c| c.staff == staff) {
            Some(c) => c.rows.push(row),
            None => columns.push(StaffColumn { staff, rows: vec![row] }),
        }
    }
    let sees_money = may(user.staff.role, Permission::Checkout);
    let queue = queue_rows(&user, &board);
    let page = TodayPage {
        layout: Layout::new("今天 Today", "/today", &user, &shop.config().shop.name, now, tz),
        date: views::day(today),
        takings: if sees_money { money(board.takings) } else { "—".into() },
        visits: board.visits.to_string(),
        waiting: queue.len(),
        appointment_count: columns.iter().map(|c| c.rows.len()).sum(),
        alerts: if sees_money { board.alerts.iter().map(|a| alert_row(a, tz)).collect() } else { Vec::new() },
        queue,
        columns,
        setup_pending,
    };
    render(&page)
}

/// The queue, live: a server-sent event with the queue's new HTML whenever it changes;
/// `expired` when the session has ended (the page then reloads to the login).
/// The queue part alone: what a browser without server-sent events asks for now and then.
async fn today_queue(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let board = shop.run(|app| app.today_board()).await?;
    render(&QueuePart { queue: queue_rows(&user, &board) })
}

async fn today_events(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Result<Response, WebError> {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let token = ctx.token.clone().unwrap_or_default();
    let state = (shop, user, token, String::new(), false);
    let stream = futures_util::stream::unfold(state, |(shop, user, token, last, done)| async move {
        if done {
            return None;
        }
        let mut last = last;
        loop {
            let t = token.clone();
            let live = shop.run(move |app| app.web_session(&t, false)).await.ok().flatten().is_some();
            if !live {
                let ev = Event::default().event("expired").data("login");
                return Some((Ok::<_, std::convert::Infallible>(ev), (shop, user, token, last, true)));
            }
            let html = match shop.run(|app| app.today_board()).await {
                Ok(board) => QueuePart { queue: queue_rows(&user, &board) }.render().unwrap_or_default(),
                Err(_) => last.clone(),
            };
            if html != last {
                last = html.clone();
                let ev = Event::default().event("update").data(html);
                return Some((Ok(ev), (shop, user, token, last, false)));
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

// ---- customers ----

struct CustomerRow {
    id: String,
    name: String,
    phone: String,
    member_code: String,
    tier: Option<String>,
    allergy: bool,
    updated: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    layout: Layout,
    q: String,
    rows: Vec<CustomerRow>,
    empty: String,
    can_export: bool,
    can_register: bool,
}

#[derive(Template)]
#[template(path = "customer_rows.html")]
struct CustomerRows {
    rows: Vec<CustomerRow>,
    empty: String,
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

fn customer_row(user: &WebUser, c: &Customer, tz: chrono_tz::Tz) -> CustomerRow {
    CustomerRow {
        id: c.id.clone(),
        name: c.name.clone(),
        phone: views::phone_for(user, c),
        member_code: c.member_code.clone(),
        tier: c.tier.clone(),
        allergy: !c.allergies.trim().is_empty() || !c.contraindications.trim().is_empty(),
        updated: views::when(c.updated_at, tz),
    }
}

/// How many rows a search shows.
const SEARCH_LIMIT: u32 = 50;

async fn customers(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(q): Query<SearchQuery>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let query = q.q.trim().to_string();
    let (me, all) = (user.staff.id.clone(), may(user.staff.role, Permission::BookForOthers));
    let (found, now) = shop
        .run(move |app| {
            let found = if query.is_empty() {
                if all { app.list_customers(SEARCH_LIMIT, 0)? } else { Vec::new() }
            } else {
                app.search_customers(&query, SEARCH_LIMIT)?
            };
            // A beautician finds her own customers only.
            let mut mine = Vec::new();
            for c in found {
                if all || app.is_customer_of(&c.id, &me)? {
                    mine.push(c);
                }
            }
            Ok((mine, app.now()))
        })
        .await?;
    let tz = shop.config().shop.time_zone;
    let rows: Vec<CustomerRow> = found.iter().map(|c| customer_row(&user, c, tz)).collect();
    let empty = if q.q.trim().is_empty() {
        "输入手机号、尾号、姓名或拼音首字母查找 / type a phone, its last 4 digits, a name or initials".to_string()
    } else {
        format!("没有找到「{}」/ nobody found for \"{}\"", q.q.trim(), q.q.trim())
    };
    if ctx.hx {
        return render(&CustomerRows { rows, empty });
    }
    render(&CustomersPage {
        layout: Layout::new("顾客 Customers", "/customers", &user, &shop.config().shop.name, now, tz),
        q: q.q,
        rows,
        empty,
        can_export: may(user.staff.role, Permission::ExportAndReports),
        can_register: may(user.staff.role, Permission::EditCustomers),
    })
}

struct CustomerView {
    id: String,
    name: String,
    tier: Option<String>,
    health: String,
    phone: String,
    member_code: String,
    gender: &'static str,
    birthday: String,
    skin: String,
    tags: String,
    marketing: &'static str,
    notes: String,
    consent: String,
    /// 推荐人: who recommended her (name, link).
    referrer: Option<(String, String)>,
    /// Whom she recommended: (name, link, what it brought).
    referred: Vec<(String, String, String)>,
}

struct MembershipView {
    points: i64,
    principal: String,
    bonus: String,
    visits: i64,
    spent: String,
    courses: Vec<String>,
    coupons: Vec<String>,
    recent: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    layout: Layout,
    c: CustomerView,
    m: MembershipView,
    can_export: bool,
    can_edit: bool,
    can_delete: bool,
    interactions: Vec<String>,
}

/// The customer if this person may see her page (a beautician: her own customers).
async fn customer_for(shop: &Shared, ctx: &Ctx, id: &str) -> Result<(WebUser, Customer), WebError> {
    let user = ctx.require(shop, Permission::SeeDay).await?.clone();
    let (key, me) = (id.to_string(), user.staff.id.clone());
    let (c, hers) = shop
        .run(move |app| {
            let c = app.customer_by_key(&key)?;
            let hers = app.is_customer_of(&c.id, &me)?;
            Ok((c, hers))
        })
        .await?;
    if !hers && !may(user.staff.role, Permission::BookForOthers) {
        // audited like any refusal
        ctx.require(shop, Permission::BookForOthers).await?;
    }
    Ok((user, c))
}

async fn customer(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let (user, c) = customer_for(&shop, &ctx, &id).await?;
    let cid = c.id.clone();
    let (membership, summary, now, interactions, consents, referrals) = shop
        .run(move |app| {
            Ok((
                app.membership(&cid)?,
                app.customer_summary(&cid)?,
                app.now(),
                app.interactions(&cid, 20)?,
                app.consents(&cid)?,
                app.referrals(&cid)?,
            ))
        })
        .await?;
    let tz = shop.config().shop.time_zone;
    let health = [("过敏 allergies", &c.allergies), ("禁忌 contraindications", &c.contraindications)]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}：{v}"))
        .collect::<Vec<_>>()
        .join("；");
    let view = CustomerView {
        id: c.id.clone(),
        name: c.name.clone(),
        tier: c.tier.clone(),
        health,
        phone: views::phone_for(&user, &c),
        member_code: c.member_code.clone(),
        gender: c.gender.label_zh(),
        birthday: c.birthday.map_or_else(|| "—".into(), |d| d.to_string()),
        skin: [c.skin_type.clone().unwrap_or_default(), c.skin_concerns.join("、")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        tags: c.tags.join("、"),
        marketing: if c.marketing_consent { "同意 yes" } else { "未同意 no" },
        notes: c.notes.clone(),
        consent: consents
            .iter()
            .map(|(kind, granted, version, channel, at)| {
                format!(
                    "{} {}{}（{}，{}）",
                    if kind == "privacy" { "隐私说明 privacy" } else { "营销消息 marketing" },
                    if *granted { "同意 granted" } else { "撤回 withdrawn" },
                    version.as_ref().map(|v| format!(" {v} 版")).unwrap_or_default(),
                    channel,
                    views::when(*at, tz)
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
        referrer: referrals.referrer.map(|(id, name)| (name, format!("/customers/{id}"))),
        referred: referrals
            .referred
            .into_iter()
            .map(|(id, name, points)| {
                let got = match points {
                    Some(p) => format!("+{p} 积分 points"),
                    None => "待首次消费 no paid visit yet".into(),
                };
                (name, format!("/customers/{id}"), got)
            })
            .collect(),
    };
    let m = MembershipView {
        points: membership.points,
        principal: money(membership.stored_value_principal),
        bonus: money(membership.stored_value_bonus),
        visits: summary.visits,
        spent: money(summary.total_spent),
        courses: membership
            .courses
            .iter()
            .map(|x| {
                let until = match x.valid_until {
                    Some(u) if u <= now => " · 已过期 expired".to_string(),
                    Some(u) => format!(" · 至 {} until", views::day(u.with_timezone(&tz).date_naive())),
                    None => String::new(),
                };
                format!(
                    "{}：剩 {}/{} 次 / {} of {} left{until}",
                    x.label(),
                    x.sessions_left,
                    x.sessions_total,
                    x.sessions_left,
                    x.sessions_total
                )
            })
            .collect(),
        coupons: membership
            .coupons
            .iter()
            .map(|x| {
                format!(
                    "{}（至 {}）/ coupon until {}",
                    x.coupon.name,
                    views::day(x.coupon.valid_until.with_timezone(&tz).date_naive()),
                    x.coupon.valid_until.with_timezone(&tz).date_naive()
                )
            })
            .collect(),
        recent: summary.recent.iter().map(|v| (views::when(v.at, tz), v.items.clone(), money(v.total))).collect(),
    };
    render(&CustomerPage {
        layout: Layout::new(&c.name, "/customers", &user, &shop.config().shop.name, now, tz),
        c: view,
        m,
        can_export: may(user.staff.role, Permission::DeleteCustomer),
        can_edit: may(user.staff.role, Permission::EditCustomers),
        can_delete: may(user.staff.role, Permission::DeleteCustomer),
        interactions: interactions
            .iter()
            .map(|i| format!("{} · {} · {}", views::when(i.at, tz), i.kind, i.text))
            .collect(),
    })
}

// ---- registering, editing, notes, deleting ----

struct Field {
    name: &'static str,
    label: &'static str,
    value: String,
    required: bool,
    multiline: bool,
    /// A choice of these `(value, label)` instead of free text.
    options: &'static [(&'static str, &'static str)],
    error: Option<String>,
}

const GENDERS: &[(&str, &str)] = &[("", "— 未填 / not given"), ("女", "女 / female"), ("男", "男 / male")];

#[derive(Template)]
#[template(path = "customer_form.html")]
struct CustomerForm {
    layout: Layout,
    heading: String,
    action: String,
    back: Option<String>,
    seen: i64,
    fields: Vec<Field>,
    marketing: bool,
    /// The privacy notice to accept (registration only): `(version, text)`.
    notice: Option<(String, String)>,
    privacy_error: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct CustomerFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    skin_type: String,
    #[serde(default)]
    allergies: String,
    #[serde(default)]
    contraindications: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    notes: String,
    /// Who recommended her (registration only): a member's phone or member code.
    #[serde(default)]
    referred_by: String,
    #[serde(default)]
    marketing: Option<String>,
    #[serde(default)]
    privacy: Option<String>,
    #[serde(default)]
    seen: i64,
}

impl CustomerFields {
    fn of(c: &Customer) -> CustomerFields {
        CustomerFields {
            name: c.name.clone(),
            phone: c.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            gender: match c.gender {
                crate::domain::customer::Gender::Unknown => String::new(),
                g => g.label_zh().to_string(),
            },
            birthday: c.birthday.map(|d| d.to_string()).unwrap_or_default(),
            skin_type: c.skin_type.clone().unwrap_or_default(),
            allergies: c.allergies.clone(),
            contraindications: c.contraindications.clone(),
            tags: c.tags.join("，"),
            notes: c.notes.clone(),
            referred_by: String::new(),
            marketing: c.marketing_consent.then(|| "1".into()),
            privacy: None,
            seen: c.updated_at.timestamp_millis(),
        }
    }

    fn fields(&self) -> Vec<Field> {
        let f = |name, label, value: &str, required, multiline| Field {
            name,
            label,
            value: value.to_string(),
            required,
            multiline,
            options: &[],
            error: None,
        };
        vec![
            f("name", "姓名 / name", &self.name, true, false),
            f("phone", "手机号 / mobile", &self.phone, true, false),
            Field { options: GENDERS, ..f("gender", "性别 / gender", &self.gender, false, false) },
            f("birthday", "生日 / birthday (1990-05-02)", &self.birthday, false, false),
            f("allergies", "过敏 / allergies", &self.allergies, false, true),
            f("contraindications", "禁忌 / contraindications", &self.contraindications, false, true),
            f("skin_type", "肤质 / skin type", &self.skin_type, false, false),
            f("tags", "标签（逗号分隔）/ tags (comma separated)", &self.tags, false, false),
            f("notes", "备注 / notes", &self.notes, false, true),
        ]
    }
}

impl CustomerForm {
    /// Registering at the desk: the notice in force to accept, `f` as typed so far.
    fn register(
        shop: &Shared,
        user: &WebUser,
        now: chrono::DateTime<chrono::Utc>,
        notice: (String, String),
        f: &CustomerFields,
    ) -> Self {
        let tz = shop.config().shop.time_zone;
        CustomerForm {
            layout: Layout::new("登记顾客 Register", "/customers", user, &shop.config().shop.name, now, tz),
            heading: "登记新顾客 / register a customer".into(),
            action: "/customers/new".into(),
            back: Some("/customers".into()),
            seen: 0,
            fields: {
                let mut fields = f.fields();
                fields.push(Field {
                    name: "referred_by",
                    label: "推荐人（会员手机号或会员号，可空）/ recommended by (a member's phone or code, optional)",
                    value: f.referred_by.clone(),
                    required: false,
                    multiline: false,
                    options: &[],
                    error: None,
                });
                fields
            },
            marketing: f.marketing.is_some(),
            notice: Some(notice),
            privacy_error: None,
            error: None,
        }
    }

    /// Editing `c`: `f` is her as stored (a first view) or as the form sent it.
    fn edit(
        shop: &Shared,
        user: &WebUser,
        now: chrono::DateTime<chrono::Utc>,
        c: &Customer,
        f: &CustomerFields,
    ) -> Self {
        let tz = shop.config().shop.time_zone;
        CustomerForm {
            layout: Layout::new(&c.name, "/customers", user, &shop.config().shop.name, now, tz),
            heading: format!("修改 {} / edit", c.name),
            action: format!("/customers/{}/edit", c.id),
            back: Some(format!("/customers/{}", c.id)),
            seen: f.seen,
            fields: f.fields(),
            marketing: f.marketing.is_some(),
            notice: None,
            privacy_error: None,
            error: None,
        }
    }
}

/// Which form field an app error belongs to (its field name, as the app gives it).
fn field_of(e: &AppError) -> Option<&'static str> {
    let f = match e {
        AppError::Input { field, .. } => field.as_str(),
        AppError::Phone(_) => return Some("phone"),
        AppError::Store(crate::store::StoreError::Duplicate { what, .. }) if what.contains("手机") => {
            return Some("phone");
        }
        _ => return None,
    };
    [
        ("name", "name"),
        ("phone", "phone"),
        ("gender", "gender"),
        ("birthday", "birthday"),
        ("allerg", "allergies"),
        ("contraindication", "contraindications"),
        ("skin", "skin_type"),
        ("tag", "tags"),
        ("note", "notes"),
        ("referred", "referred_by"),
    ]
    .into_iter()
    .find(|(k, _)| f.contains(k))
    .map(|(_, v)| v)
}

fn with_error(mut form: CustomerForm, e: &AppError) -> Page {
    let message = match e {
        AppError::Input { message, .. } => message.clone(),
        e => e.to_string(),
    };
    match field_of(e).and_then(|name| form.fields.iter_mut().find(|f| f.name == name)) {
        Some(f) => f.error = Some(message),
        None => form.error = Some(e.to_string()),
    }
    let mut res = render(&form)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

fn split_tags(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

async fn new_customer(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::EditCustomers).await?.clone();
    let (notice, now) = shop.run(|app| Ok((app.privacy_notice()?, app.now()))).await?;
    render(&CustomerForm::register(&shop, &user, now, notice, &CustomerFields::default()))
}

async fn create_customer(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<CustomerFields>,
) -> Page {
    let user = ctx.require(&shop, Permission::EditCustomers).await?.clone();
    let (notice, now) = shop.run(|app| Ok((app.privacy_notice()?, app.now()))).await?;
    let mut form = CustomerForm::register(&shop, &user, now, notice.clone(), &f);
    // The notice accepted must be the one in force (a page left open over a new version is stale).
    if f.privacy.as_deref() != Some(notice.0.as_str()) {
        form.privacy_error = Some(format!(
            "请请顾客阅读并同意 {} 版隐私说明 / the customer must accept privacy notice {}",
            notice.0, notice.0
        ));
        let mut res = render(&form)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    // Consent given at the desk, and by whom: the consent record's channel.
    let reg = crate::app::customers::Registration {
        name: f.name.clone(),
        phone: f.phone.clone(),
        gender: (!f.gender.trim().is_empty()).then(|| f.gender.clone()),
        birthday: (!f.birthday.trim().is_empty()).then(|| f.birthday.clone()),
        skin_type: (!f.skin_type.trim().is_empty()).then(|| f.skin_type.clone()),
        allergies: f.allergies.clone(),
        contraindications: f.contraindications.clone(),
        notes: f.notes.clone(),
        privacy_notice: Some(notice.0.clone()),
        marketing_consent: f.marketing.is_some(),
        source: format!("desk:{}", user.staff.name),
        referred_by: Some(f.referred_by.clone()),
        ..Default::default()
    };
    let tags = split_tags(&f.tags);
    let actor = format!("web:{}", user.staff.id);
    let result = shop
        .run(move |app| {
            let c = app.register(&reg)?;
            if !tags.is_empty() {
                let patch = crate::store::CustomerPatch { tags: Some(tags), ..Default::default() };
                return app.edit_customer(&c.id, patch, &actor);
            }
            Ok(c)
        })
        .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/customers/{}", c.id)).into_response()),
        Err(WebError::App(e)) => with_error(form, &e),
        Err(e) => Err(e),
    }
}

async fn edit_customer(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    ctx.require(&shop, Permission::EditCustomers).await?;
    let (user, c) = customer_for(&shop, &ctx, &id).await?;
    let now = shop.run(|app| Ok(app.now())).await?;
    render(&CustomerForm::edit(&shop, &user, now, &c, &CustomerFields::of(&c)))
}

async fn save_customer(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<CustomerFields>,
) -> Page {
    ctx.require(&shop, Permission::EditCustomers).await?;
    let (user, c) = customer_for(&shop, &ctx, &id).await?;
    let now = shop.run(|app| Ok(app.now())).await?;
    let form = CustomerForm::edit(&shop, &user, now, &c, &f);
    // Only what the form changed goes into the patch.
    let was = CustomerFields::of(&c);
    let changed = |a: &str, b: &str| (a.trim() != b.trim()).then(|| a.trim().to_string());
    let parse = || -> Result<crate::store::CustomerPatch, AppError> {
        Ok(crate::store::CustomerPatch {
            name: changed(&f.name, &was.name),
            phone: changed(&f.phone, &was.phone).map(|p| crate::domain::phone::Phone::parse(&p)).transpose()?,
            gender: changed(&f.gender, &was.gender)
                .map(|g| crate::app::customers::parse_gender(&g).map_err(|m| AppError::input("性别 gender", m)))
                .transpose()?,
            birthday: changed(&f.birthday, &was.birthday)
                .filter(|b| !b.is_empty())
                .map(|b| crate::app::customers::parse_birthday(&b).map_err(|m| AppError::input("生日 birthday", m)))
                .transpose()?,
            skin_type: changed(&f.skin_type, &was.skin_type),
            allergies: changed(&f.allergies, &was.allergies),
            contraindications: changed(&f.contraindications, &was.contraindications),
            tags: changed(&f.tags, &was.tags).map(|t| split_tags(&t)),
            notes: changed(&f.notes, &was.notes),
            marketing_consent: (f.marketing.is_some() != c.marketing_consent).then_some(f.marketing.is_some()),
            ..Default::default()
        })
    };
    let patch = match parse() {
        Ok(p) => p,
        Err(e) => return with_error(form, &e),
    };
    if patch.is_empty() {
        return Ok(Redirect::to(&format!("/customers/{}", c.id)).into_response());
    }
    let (key, seen, actor) = (c.id.clone(), f.seen, format!("web:{}", user.staff.id));
    match shop.run(move |app| app.edit_customer_seen(&key, patch, Some(seen), &actor)).await {
        Ok(c) => Ok(Redirect::to(&format!("/customers/{}", c.id)).into_response()),
        Err(WebError::App(e)) => with_error(form, &e),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    kind: String,
}

async fn add_note(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Page {
    let (user, c) = customer_for(&shop, &ctx, &id).await?;
    let (key, actor) = (c.id.clone(), user.staff.name.clone());
    let kind = if f.kind.is_empty() { "note".to_string() } else { f.kind };
    match shop.run(move |app| app.add_interaction(&key, &kind, &f.text, &actor)).await {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{}", c.id)).into_response()),
        Err(WebError::App(e)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(views::plain_page("未记录 / not recorded", &e.to_string())))
                .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn delete_customer(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::DeleteCustomer).await?.clone();
    let (key, actor, address) = (id.clone(), format!("web:{}", user.staff.id), ctx.address.clone());
    let result = shop
        .run(move |app| {
            let (c, cancelled) = app.delete_customer(&key, &actor)?;
            app.audit_web(
                &actor,
                "web.customer_delete",
                "customer",
                &c.id,
                &address,
                serde_json::json!({ "cancelled": cancelled }),
            )?;
            Ok(cancelled)
        })
        .await;
    match result {
        Ok(cancelled) => Ok(Html(views::plain_page(
            "已删除 / deleted",
            &format!(
                "顾客资料已删除，取消了 {cancelled} 个预约。/ Her data is deleted; {cancelled} bookings were cancelled."
            ),
        ))
        .into_response()),
        Err(WebError::App(e)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(views::plain_page("未删除 / not deleted", &e.to_string())))
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// One customer's data as JSON (her request to see what the shop holds): owner only, audited.
async fn customer_export(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let user = ctx.require(&shop, Permission::DeleteCustomer).await?.clone();
    let (key, actor, address) = (id, user.staff.id.clone(), ctx.address.clone());
    let body = shop
        .run(move |app| {
            let c = app.customer_by_key(&key)?;
            let membership = app.membership(&c.id)?;
            let summary = app.customer_summary(&c.id)?;
            app.audit_web(&actor, "customer.export", "customer", &c.id, &address, serde_json::json!({}))?;
            Ok(serde_json::json!({
                "customer": c,
                "points": membership.points,
                "stored_value_principal": membership.stored_value_principal,
                "stored_value_bonus": membership.stored_value_bonus,
                "visits": summary,
            }))
        })
        .await?;
    let text = serde_json::to_string_pretty(&body).map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"customer.json\"")),
        ],
        text,
    )
        .into_response())
}

/// The customer list as CSV (UTF-8 with BOM, as Excel on Chinese Windows opens it):
/// owner and manager, audited.
async fn export_customers(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>) -> Page {
    let user = ctx.require(&shop, Permission::ExportAndReports).await?.clone();
    let (actor, address) = (user.staff.id.clone(), ctx.address.clone());
    let tz = shop.config().shop.time_zone;
    let csv = shop
        .run(move |app| {
            let mut out = String::from("\u{feff}会员号 member_code,姓名 name,手机 phone,等级 tier,登记 registered\n");
            let mut n = 0u32;
            loop {
                let page = app.list_customers(1000, n)?;
                if page.is_empty() {
                    break;
                }
                n += page.len() as u32;
                for c in page {
                    let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                    out.push_str(&format!(
                        "{},{},{},{},{}\n",
                        field(&c.member_code),
                        field(&c.name),
                        field(c.phone.as_ref().map_or("", |p| p.as_str())),
                        field(c.tier.as_deref().unwrap_or("")),
                        c.created_at.with_timezone(&tz).date_naive()
                    ));
                }
            }
            app.audit_web(&actor, "customers.export", "customer", "*", &address, serde_json::json!({ "rows": n }))?;
            Ok(out)
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"customers.csv\"")),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/customers?q=1"), "/customers?q=1");
        assert_eq!(safe_next("//evil.example"), "/today");
        assert_eq!(safe_next("https://evil.example"), "/today");
        assert_eq!(safe_next(""), "/today");
    }
}
