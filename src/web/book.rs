//! The appointment book (预约): a day in 15-minute rows with a column per beautician, a
//! week at a glance, booking (several services back to back), moving (a form, or dragging a
//! block), cancelling with a reason, no-shows. Every rule is the domain's, as for the CLI
//! and the kiosk; its refusal is shown beside the field it concerns.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::views::{self, Layout};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::app::access::WebUser;
use crate::app::booking::{BookingItem, MultiBooking};
use crate::app::today::BookDay;
use crate::domain::access::{Permission, may};
use crate::domain::model::{Appointment, AppointmentStatus};

type Page = Result<Response, WebError>;

/// Minutes a row of the book stands for.
const SLOT_MIN: i64 = 15;
/// Services one booking may hold (rows of the form).
const MAX_ITEMS: usize = 3;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/book", get(book))
        .route("/book/new", get(new_booking).post(create_booking))
        .route("/book/customers", get(customer_choices))
        .route("/appointments/{id}", get(appointment))
        .route("/appointments/{id}/move", post(move_appointment))
        .route("/appointments/{id}/cancel", post(cancel))
        .route("/appointments/{id}/no-show", post(no_show))
}

fn render(t: &impl Template) -> Page {
    Ok(axum::response::Html(t.render()?).into_response())
}

fn unprocessable(t: &impl Template) -> Page {
    let mut res = render(t)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A beautician books, moves and cancels for herself only.
fn own_only(user: &WebUser) -> bool {
    !may(user.staff.role, Permission::BookForOthers)
}

// ---- the day and the week ----

#[derive(Deserialize, Default)]
struct BookQuery {
    date: Option<String>,
    #[serde(default)]
    view: String,
    /// `room`: a column per room instead of per beautician.
    #[serde(default)]
    by: String,
}

/// A column of the day: a beautician with her shifts, or a room (open all day).
struct Lane {
    id: String,
    name: String,
    shifts: Option<Vec<crate::domain::time::Interval>>,
    staff: bool,
}

struct Column {
    name: String,
    initial: String,
    col: usize,
}

struct Cell {
    classes: String,
    href: Option<String>,
    title: String,
}

struct Block {
    id: String,
    classes: String,
    buffer_classes: Option<String>,
    time: String,
    who: String,
    what: String,
    marks: String,
    staff_id: String,
    seen: i64,
}

struct TimeLabel {
    classes: String,
    text: String,
}

struct WaitChip {
    classes: String,
    text: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    layout: Layout,
    date: String,
    date_iso: String,
    prev: String,
    next: String,
    today: String,
    closed: bool,
    grid_classes: String,
    columns: Vec<Column>,
    labels: Vec<TimeLabel>,
    cells: Vec<Cell>,
    blocks: Vec<Block>,
    waits: Vec<WaitChip>,
    now_line: Option<String>,
    cancelled: Vec<String>,
    waitlist: Vec<String>,
    /// Columns are rooms (`?by=room`); not offered to a beautician, who sees her own day.
    by_room: bool,
    rooms_offered: bool,
    no_rooms: bool,
    /// `&by=room` when the columns are rooms, so the day arrows keep the view.
    by_q: String,
}

struct WeekDay {
    label: String,
    href: String,
    rows: Vec<String>,
}

#[derive(Template)]
#[template(path = "book_week.html")]
struct WeekPage {
    layout: Layout,
    title: String,
    prev: String,
    next: String,
    day_href: String,
    days: Vec<WeekDay>,
}

fn parse_date(s: Option<&str>, today: NaiveDate) -> NaiveDate {
    s.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()).unwrap_or(today)
}

fn slot_of(t: DateTime<Utc>, open: DateTime<Utc>) -> i64 {
    (t - open).num_minutes().div_euclid(SLOT_MIN)
}

fn span_of(minutes: i64) -> i64 {
    ((minutes + SLOT_MIN - 1) / SLOT_MIN).max(1)
}

fn marks(a: &Appointment, health: &std::collections::HashSet<String>) -> String {
    let mut m = String::new();
    if health.contains(&a.customer_id) {
        m.push('敏');
    }
    if !a.note.trim().is_empty() {
        m.push_str(" ✎");
    }
    m
}

async fn book(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(q): Query<BookQuery>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let (today, now) = shop.run(|app| Ok((app.today(), app.now()))).await?;
    let date = parse_date(q.date.as_deref(), today);
    if q.view == "week" {
        return week(&shop, &user, date, now).await;
    }
    let (day, health) = shop
        .run(move |app| {
            let day = app.book_day(date)?;
            let mut health = std::collections::HashSet::new();
            for a in &day.appointments {
                let c = app.customer_by_key(&a.customer_id)?;
                if !c.allergies.trim().is_empty() || !c.contraindications.trim().is_empty() {
                    health.insert(c.id);
                }
            }
            Ok((day, health))
        })
        .await?;
    let page = day_page(&shop, &user, day, q.by == "room", &health, today, now);
    render(&page)
}

fn day_page(
    shop: &Shared,
    user: &WebUser,
    day: BookDay,
    by_room: bool,
    health: &std::collections::HashSet<String>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> BookPage {
    let tz = shop.config().shop.time_zone;
    let date = day.date;
    let mut page = BookPage {
        layout: Layout::new("预约 Appointments", "/book", user, &shop.config().shop.name, now, tz),
        date: views::day(date),
        date_iso: date.to_string(),
        prev: (date - Duration::days(1)).to_string(),
        next: (date + Duration::days(1)).to_string(),
        today: today.to_string(),
        closed: day.opening.is_none(),
        grid_classes: String::new(),
        columns: Vec::new(),
        labels: Vec::new(),
        cells: Vec::new(),
        blocks: Vec::new(),
        waits: Vec::new(),
        now_line: None,
        cancelled: Vec::new(),
        waitlist: Vec::new(),
        by_room: by_room && !own_only(user),
        rooms_offered: !own_only(user),
        no_rooms: by_room && !own_only(user) && day.rooms.is_empty(),
        by_q: if by_room && !own_only(user) { "&by=room".into() } else { String::new() },
    };
    for a in day.appointments.iter().filter(|a| a.status == AppointmentStatus::Cancelled) {
        if !own_only(user) || a.staff_id.as_deref() == Some(user.staff.id.as_str()) {
            page.cancelled.push(format!(
                "{} {} {}（{}）",
                views::hm(a.starts_at, tz),
                a.customer_name,
                a.service_name,
                a.staff_name.clone().unwrap_or_else(|| "未指定".into())
            ));
        }
    }
    for w in &day.waitlist {
        page.waitlist.push(format!(
            "{} {}–{} {}（{}）",
            w.customer_name,
            views::hm(w.window_start_at, tz),
            views::hm(w.window_end_at, tz),
            w.service_name,
            w.status
        ));
    }
    let Some(open) = day.opening else { return page };
    let rows = span_of((open.end - open.start).num_minutes());
    // Lanes: a column per beautician (a beautician: herself), or per room; then the
    // bookings that have none, if any. A room's lane is open all day; a beautician's, on shift.
    let by_room = page.by_room;
    let lanes: Vec<Lane> = if by_room {
        day.rooms
            .iter()
            .map(|(id, name)| Lane { id: id.clone(), name: name.clone(), shifts: None, staff: false })
            .collect()
    } else {
        let mut lanes: Vec<Lane> = day
            .staff
            .iter()
            .filter(|(s, _)| !own_only(user) || s.id == user.staff.id)
            .map(|(s, shifts)| Lane {
                id: s.id.clone(),
                name: s.name.clone(),
                shifts: Some(shifts.clone()),
                staff: true,
            })
            .collect();
        if own_only(user) && lanes.is_empty() {
            lanes.push(Lane {
                id: user.staff.id.clone(),
                name: user.staff.name.clone(),
                shifts: Some(Vec::new()),
                staff: true,
            });
        }
        lanes
    };
    let lane_of = |a: &Appointment| if by_room { a.resource_id.clone() } else { a.staff_id.clone() };
    let unassigned = !own_only(user)
        && day.appointments.iter().any(|a| a.status != AppointmentStatus::Cancelled && lane_of(a).is_none());
    let ncols = lanes.len() + usize::from(unassigned);
    page.grid_classes = format!("book-grid cols{}", ncols.max(1));
    for (i, l) in lanes.iter().enumerate() {
        page.columns.push(Column {
            name: l.name.clone(),
            initial: l.name.chars().next().map(String::from).unwrap_or_default(),
            col: i + 2,
        });
    }
    if unassigned {
        let name = if by_room { "无房间 no room" } else { "未指定 any" };
        page.columns.push(Column { name: name.into(), initial: "?".into(), col: ncols + 1 });
    }
    for slot in 0..rows {
        let t = open.start + Duration::minutes(slot * SLOT_MIN);
        let row = slot + 2;
        let hm = views::hm(t, tz);
        if slot % 2 == 0 {
            page.labels.push(TimeLabel { classes: format!("tlabel r{row} c1"), text: hm.clone() });
        }
        let past = t + Duration::minutes(SLOT_MIN) <= now;
        let slot_iv = crate::domain::time::Interval::new(t, t + Duration::minutes(SLOT_MIN));
        for (i, l) in lanes.iter().enumerate() {
            let on = l.shifts.as_ref().is_none_or(|shifts| shifts.iter().any(|x| x.contains(&slot_iv)));
            let hour = if slot % 4 == 0 { " hour" } else { "" };
            let classes = format!(
                "slot r{row} c{}{}{}{hour}",
                i + 2,
                if on { "" } else { " off" },
                if past { " past" } else { "" }
            );
            let href = (on && !past).then(|| {
                if l.staff {
                    format!("/book/new?staff={}&start={}T{}", views::url_encode(&l.id), date, hm)
                } else {
                    format!("/book/new?start={date}T{hm}")
                }
            });
            page.cells.push(Cell { classes, href, title: format!("{} {}", l.name, hm) });
        }
        if unassigned {
            page.cells.push(Cell { classes: format!("slot r{row} c{}", ncols + 1), href: None, title: hm.clone() });
        }
    }
    for a in day.appointments.iter().filter(|a| a.status != AppointmentStatus::Cancelled) {
        let col = match lane_of(a) {
            Some(id) => match lanes.iter().position(|l| l.id == id) {
                Some(i) => i + 2,
                None => continue,
            },
            None if unassigned => ncols + 1,
            None => continue,
        };
        let start = slot_of(a.starts_at, open.start).clamp(0, rows - 1);
        let span = span_of((a.ends_at - a.starts_at).num_minutes()).min(rows - start);
        let buffer = i64::from(a.buffer_min);
        let buffer_classes = (buffer > 0 && start + span < rows)
            .then(|| format!("buffer r{} s{} c{col}", start + span + 2, span_of(buffer).min(rows - start - span)));
        let what = match (by_room, &a.staff_name) {
            (true, Some(s)) => format!("{} · {s}", a.service_name),
            _ => a.service_name.clone(),
        };
        page.blocks.push(Block {
            id: a.id.clone(),
            classes: format!("appt status-{} r{} s{} c{col}", a.status.as_str(), start + 2, span),
            buffer_classes,
            time: format!("{}–{}", views::hm(a.starts_at, tz), views::hm(a.ends_at, tz)),
            who: a.customer_name.clone(),
            what,
            marks: marks(a, health),
            staff_id: a.staff_id.clone().unwrap_or_default(),
            seen: a.version(),
        });
    }
    for w in &day.waitlist {
        let col = w
            .staff_id
            .as_ref()
            .filter(|_| !by_room)
            .and_then(|id| lanes.iter().position(|l| &l.id == id))
            .map_or(2, |i| i + 2);
        let start = slot_of(w.window_start_at, open.start).clamp(0, rows - 1);
        page.waits.push(WaitChip {
            classes: format!("wait r{} c{col}", start + 2),
            text: format!("候补 {}", w.customer_name),
        });
    }
    if date == today && now >= open.start && now < open.end {
        page.now_line = Some(format!("nowline r{}", slot_of(now, open.start) + 2));
    }
    page
}

async fn week(shop: &Shared, user: &WebUser, date: NaiveDate, now: DateTime<Utc>) -> Page {
    use chrono::Datelike;
    let monday = date - Duration::days(date.weekday().num_days_from_monday().into());
    let days = shop
        .run(move |app| (0..7).map(|d| app.book_day(monday + Duration::days(d))).collect::<Result<Vec<_>, _>>())
        .await?;
    let tz = shop.config().shop.time_zone;
    let me = user.staff.id.clone();
    let week_days = days
        .into_iter()
        .map(|d| WeekDay {
            label: views::day(d.date),
            href: format!("/book?date={}", d.date),
            rows: if d.opening.is_none() {
                vec!["休息 closed".into()]
            } else {
                d.appointments
                    .iter()
                    .filter(|a| a.status != AppointmentStatus::Cancelled)
                    .filter(|a| !own_only(user) || a.staff_id.as_deref() == Some(me.as_str()))
                    .map(|a| {
                        format!(
                            "{} {} {} · {}",
                            views::hm(a.starts_at, tz),
                            a.customer_name,
                            a.service_name,
                            a.staff_name.clone().unwrap_or_else(|| "未指定".into())
                        )
                    })
                    .collect()
            },
        })
        .collect();
    render(&WeekPage {
        layout: Layout::new("预约 Appointments", "/book", user, &shop.config().shop.name, now, tz),
        title: format!("{} – {}", views::day(monday), views::day(monday + Duration::days(6))),
        prev: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        day_href: format!("/book?date={date}"),
        days: week_days,
    })
}

// ---- booking ----

#[derive(Deserialize, Default, Clone)]
struct NewQuery {
    #[serde(default)]
    staff: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    customer_q: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct ItemRow {
    n: usize,
    services: Vec<Choice>,
    staff: Vec<Choice>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "book_new.html")]
struct NewPage {
    layout: Layout,
    start: String,
    note: String,
    customer: Option<(String, String)>,
    customer_q: String,
    customer_error: Option<String>,
    start_error: Option<String>,
    items: Vec<ItemRow>,
    error: Option<String>,
    /// Customers matching `customer_q` (the search without JavaScript).
    rows: Vec<(String, String)>,
    q: String,
}

#[derive(Template)]
#[template(path = "book_customers.html")]
struct CustomerChoices {
    rows: Vec<(String, String)>,
    q: String,
}

#[derive(Deserialize, Default)]
struct BookForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    customer_q: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    service1: String,
    #[serde(default)]
    staff1: String,
    #[serde(default)]
    service2: String,
    #[serde(default)]
    staff2: String,
    #[serde(default)]
    service3: String,
    #[serde(default)]
    staff3: String,
}

impl BookForm {
    fn items(&self) -> [(&str, &str); MAX_ITEMS] {
        [(&self.service1, &self.staff1), (&self.service2, &self.staff2), (&self.service3, &self.staff3)]
            .map(|(a, b)| (a.as_str(), b.as_str()))
    }
}

async fn form_page(shop: &Shared, user: &WebUser, f: &BookForm, now: DateTime<Utc>) -> Result<NewPage, WebError> {
    let tz = shop.config().shop.time_zone;
    let customer_key = f.customer.clone();
    let (services, staff, customer) = shop
        .run(move |app| {
            let services = app.list_services(false)?;
            let staff: Vec<_> = app
                .list_staff()?
                .into_iter()
                .filter(|s| s.active && s.role == crate::domain::model::StaffRole::Beautician)
                .collect();
            let customer = if customer_key.is_empty() { None } else { app.customer_by_key(&customer_key).ok() };
            Ok((services, staff, customer))
        })
        .await?;
    let items = f
        .items()
        .iter()
        .enumerate()
        .map(|(i, (svc, st))| {
            let mut services: Vec<Choice> = services
                .iter()
                .map(|s| Choice {
                    value: s.id.clone(),
                    label: format!("{} · {} 分钟 · {}", s.name, s.duration_min, views::money(s.price)),
                    selected: *svc == s.id,
                })
                .collect();
            services.insert(0, Choice { value: String::new(), label: "—".into(), selected: svc.is_empty() });
            let mut staff_choices: Vec<Choice> = staff
                .iter()
                .filter(|s| !own_only(user) || s.id == user.staff.id)
                .map(|s| Choice { value: s.id.clone(), label: s.name.clone(), selected: *st == s.id })
                .collect();
            if !own_only(user) {
                staff_choices
                    .insert(0, Choice { value: String::new(), label: "不指定 any".into(), selected: st.is_empty() });
            }
            ItemRow { n: i + 1, services, staff: staff_choices, error: None }
        })
        .collect();
    Ok(NewPage {
        layout: Layout::new("新预约 New booking", "/book", user, &shop.config().shop.name, now, tz),
        start: f.start.clone(),
        note: f.note.clone(),
        customer: customer.map(|c| (c.id.clone(), format!("{} {}", c.name, views::phone_for(user, &c)))),
        customer_q: f.customer_q.clone(),
        customer_error: None,
        start_error: None,
        items,
        error: None,
        rows: Vec::new(),
        q: String::new(),
    })
}

async fn choices(shop: &Shared, user: &WebUser, q: &str) -> Result<Vec<(String, String)>, WebError> {
    let query = q.trim().to_string();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let found = shop.run(move |app| app.search_customers(&query, 8)).await?;
    Ok(found.iter().map(|c| views::customer_choice(user, c)).collect())
}

async fn new_booking(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(q): Query<NewQuery>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let now = shop.run(|app| Ok(app.now())).await?;
    let f = BookForm {
        staff1: q.staff.clone(),
        start: q.start.clone(),
        customer: q.customer.clone(),
        customer_q: q.customer_q.clone(),
        ..Default::default()
    };
    let mut page = form_page(&shop, &user, &f, now).await?;
    page.rows = choices(&shop, &user, &q.customer_q).await?;
    page.q = q.customer_q.clone();
    render(&page)
}

async fn customer_choices(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<NewQuery>,
) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    render(&CustomerChoices { rows: choices(&shop, &user, &q.customer_q).await?, q: q.customer_q })
}

async fn create_booking(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<BookForm>) -> Page {
    let user = ctx.require(&shop, Permission::SeeDay).await?.clone();
    let now = shop.run(|app| Ok(app.now())).await?;
    let mut page = form_page(&shop, &user, &f, now).await?;
    if f.customer.trim().is_empty() {
        page.customer_error = Some("请先选择顾客 / choose the customer first".into());
        return unprocessable(&page);
    }
    let items: Vec<BookingItem> = f
        .items()
        .iter()
        .filter(|(svc, _)| !svc.is_empty())
        .map(|(svc, st)| BookingItem {
            service: svc.to_string(),
            staff: if own_only(&user) { Some(user.staff.id.clone()) } else { (!st.is_empty()).then(|| st.to_string()) },
            resource: None,
        })
        .collect();
    if items.is_empty() {
        page.items[0].error = Some("请至少选择一项服务 / choose at least one service".into());
        return unprocessable(&page);
    }
    let booking = MultiBooking {
        customer: f.customer.clone(),
        items,
        start: f.start.clone(),
        note: f.note.clone(),
        source: format!("web:{}", user.staff.id),
    };
    match shop.run(move |app| app.book_many(&booking)).await {
        Ok(booked) => {
            let date = booked.first().map(|a| a.starts_at.with_timezone(&shop.config().shop.time_zone).date_naive());
            Ok(Redirect::to(&format!("/book?date={}", date.map(|d| d.to_string()).unwrap_or_default())).into_response())
        }
        Err(WebError::App(e)) => {
            place_error(&mut page, &e);
            unprocessable(&page)
        }
        Err(e) => Err(e),
    }
}

/// Puts a refusal beside the field it concerns.
fn place_error(page: &mut NewPage, e: &AppError) {
    let text = e.to_string();
    match e {
        AppError::Input { field, message } if field.starts_with("第 ") => {
            let n = field.chars().nth(2).and_then(|c| c.to_digit(10)).unwrap_or(1) as usize;
            if let Some(row) = page.items.get_mut(n.saturating_sub(1)) {
                row.error = Some(message.clone());
            }
        }
        AppError::Input { field, message } if field.contains("time") => page.start_error = Some(message.clone()),
        AppError::UnknownCustomer(_) | AppError::Store(crate::store::StoreError::NotFound { what: "顾客", .. }) => {
            page.customer_error = Some(text)
        }
        AppError::Booking(crate::domain::booking::BookingConflict::InThePast { .. })
        | AppError::Booking(crate::domain::booking::BookingConflict::ShopClosed)
        | AppError::Booking(crate::domain::booking::BookingConflict::OutsideOpeningHours { .. }) => {
            page.start_error = Some(text)
        }
        AppError::Booking(_) => page.items[0].error = Some(text),
        _ => page.error = Some(text),
    }
}

// ---- one appointment ----

#[derive(Template)]
#[template(path = "appointment.html")]
struct AppointmentPage {
    layout: Layout,
    a: Appointment,
    when: String,
    start: String,
    seen: i64,
    staff: Vec<Choice>,
    can_change: bool,
    can_no_show: bool,
    error: Option<String>,
    back: String,
    /// The other services of the same booking: (link, "14:00–15:00 眼部护理 · 李娜 · 已预约").
    with: Vec<(String, String)>,
    /// How many of them are still booked (cancelled with it when asked).
    with_booked: usize,
}

async fn appointment_for(shop: &Shared, ctx: &Ctx, id: &str) -> Result<(WebUser, Appointment), WebError> {
    let user = ctx.require(shop, Permission::SeeDay).await?.clone();
    let key = id.to_string();
    let a = shop.run(move |app| app.appointment(&key)).await?;
    if own_only(&user) && a.staff_id.as_deref() != Some(user.staff.id.as_str()) {
        ctx.require(shop, Permission::BookForOthers).await?;
    }
    Ok((user, a))
}

async fn appointment_page(shop: &Shared, user: &WebUser, a: Appointment, error: Option<String>) -> Page {
    let tz = shop.config().shop.time_zone;
    let now = shop.run(|app| Ok(app.now())).await?;
    let key = a.id.clone();
    let (staff, with) = shop.run(move |app| Ok((app.list_staff()?, app.booked_with(&key)?))).await?;
    let with_booked = with.iter().filter(|x| x.status == AppointmentStatus::Booked).count();
    let with = with
        .iter()
        .map(|x| {
            (
                format!("/appointments/{}", x.id),
                format!(
                    "{} {} · {} · {}",
                    crate::domain::time::local_span(x.starts_at, x.ends_at, tz),
                    x.service_name,
                    x.staff_name.as_deref().unwrap_or("未指定"),
                    x.status.label_zh()
                ),
            )
        })
        .collect();
    let choices = staff
        .into_iter()
        .filter(|s| s.active && s.role == crate::domain::model::StaffRole::Beautician)
        .filter(|s| !own_only(user) || s.id == user.staff.id)
        .map(|s| Choice { selected: a.staff_id.as_deref() == Some(s.id.as_str()), value: s.id, label: s.name })
        .collect();
    let page = AppointmentPage {
        layout: Layout::new("预约 Appointment", "/book", user, &shop.config().shop.name, now, tz),
        when: format!(
            "{} {}",
            views::day(a.starts_at.with_timezone(&tz).date_naive()),
            crate::domain::time::local_span(a.starts_at, a.ends_at, tz)
        ),
        start: a.starts_at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string(),
        seen: a.version(),
        staff: choices,
        can_change: a.status == AppointmentStatus::Booked,
        can_no_show: a.status == AppointmentStatus::Booked && a.starts_at <= now,
        error,
        back: format!("/book?date={}", a.starts_at.with_timezone(&tz).date_naive()),
        with,
        with_booked,
        a,
    };
    if page.error.is_some() { unprocessable(&page) } else { render(&page) }
}

async fn appointment(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let (user, a) = appointment_for(&shop, &ctx, &id).await?;
    appointment_page(&shop, &user, a, None).await
}

#[derive(Deserialize)]
struct MoveForm {
    start: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    seen: Option<i64>,
}

async fn move_appointment(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Page {
    let (user, a) = appointment_for(&shop, &ctx, &id).await?;
    let staff =
        if own_only(&user) { Some(user.staff.id.clone()) } else { (!f.staff.is_empty()).then_some(f.staff.clone()) };
    let seen = f.seen;
    let (key, actor, start) = (a.id.clone(), format!("web:{}", user.staff.id), f.start.clone());
    match shop.run(move |app| app.move_appointment(&key, &start, staff.as_deref(), seen, &actor)).await {
        Ok(moved) => {
            if ctx.hx {
                return Ok((StatusCode::OK, "moved").into_response());
            }
            let date = moved.starts_at.with_timezone(&shop.config().shop.time_zone).date_naive();
            Ok(Redirect::to(&format!("/book?date={date}")).into_response())
        }
        Err(WebError::App(e)) => {
            if ctx.hx {
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response());
            }
            let key = a.id.clone();
            let now_a = shop.run(move |app| app.appointment(&key)).await?;
            appointment_page(&shop, &user, now_a, Some(e.to_string())).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default)]
    reason: String,
    /// Present: the other services of the same booking are cancelled with it.
    #[serde(default)]
    whole: Option<String>,
}

async fn cancel(
    State(shop): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<CancelForm>,
) -> Page {
    let (user, a) = appointment_for(&shop, &ctx, &id).await?;
    if f.reason.trim().is_empty() {
        return appointment_page(&shop, &user, a, Some("请填写取消原因 / give the reason for cancelling".into())).await;
    }
    let (key, actor, reason) = (a.id.clone(), format!("web:{}", user.staff.id), f.reason.trim().to_string());
    let whole = f.whole.is_some();
    let cancelled = shop
        .run(move |app| {
            if whole {
                app.cancel_booking(&key, Some(&reason), &actor).map(|mut v| v.remove(0))
            } else {
                app.cancel_appointment(&key, Some(&reason), &actor)
            }
        })
        .await;
    match cancelled {
        Ok(c) => {
            let date = c.starts_at.with_timezone(&shop.config().shop.time_zone).date_naive();
            Ok(Redirect::to(&format!("/book?date={date}")).into_response())
        }
        Err(WebError::App(e)) => appointment_page(&shop, &user, a, Some(e.to_string())).await,
        Err(e) => Err(e),
    }
}

async fn no_show(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> Page {
    let (user, a) = appointment_for(&shop, &ctx, &id).await?;
    let (key, actor) = (a.id.clone(), format!("web:{}", user.staff.id));
    match shop.run(move |app| app.mark_no_show(&key, &actor)).await {
        Ok(c) => {
            let date = c.starts_at.with_timezone(&shop.config().shop.time_zone).date_naive();
            Ok(Redirect::to(&format!("/book?date={date}")).into_response())
        }
        Err(WebError::App(e)) => appointment_page(&shop, &user, a, Some(e.to_string())).await,
        Err(e) => Err(e),
    }
}
