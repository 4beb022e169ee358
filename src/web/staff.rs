//! Staff and shifts (员工与排班, owner only): the week's roster as a grid, a shift added, a
//! day off (refused while she has bookings), the week copied to the next (a button, or
//! the week dragged onto the next), a PIN reset, a new staff member with her role.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use super::views::{self, Layout, role_label};
use super::{Ctx, Shared, WebError};
use crate::app::AppError;
use crate::app::staff::StaffInput;
use crate::domain::access::Permission;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/staff", get(roster))
        .route("/staff/shift", post(add_shift))
        .route("/staff/leave", post(leave))
        .route("/staff/copy-week", post(copy_week))
        .route("/staff/pin", post(reset_pin))
        .route("/staff/new", post(add_staff))
}

pub struct Cell {
    pub text: String,
    pub off: bool,
}

pub struct Line {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct RosterPage {
    layout: Layout,
    monday: String,
    days: Vec<String>,
    prev: String,
    next: String,
    lines: Vec<Line>,
    staff: Vec<(String, String)>,
    done: Option<String>,
    /// `(form, message)`: a refusal shown beside the form it answers.
    error: Option<(&'static str, String)>,
    today: String,
}

impl RosterPage {
    fn error_for(&self, form: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == form).map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
struct Ask {
    week: Option<String>,
    done: Option<String>,
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

async fn page(
    shop: &Shared,
    ctx: &Ctx,
    week: Option<NaiveDate>,
    done: Option<String>,
    error: Option<(&'static str, String)>,
) -> Page {
    let user = ctx.require(shop, Permission::Setup).await?.clone();
    let tz = shop.config().shop.time_zone;
    let (staff, days, today, now) = shop
        .run(move |app| {
            let today = app.today();
            let monday = monday_of(week.unwrap_or(today));
            let days = (0..7)
                .map(|i| {
                    let d = monday + Duration::days(i);
                    Ok((d, app.shifts_on(d)?))
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok((app.list_staff()?, days, today, app.now()))
        })
        .await?;
    let monday = days.first().map_or(today, |(d, _)| *d);
    let lines = staff
        .iter()
        .filter(|s| s.active)
        .map(|s| Line {
            id: s.id.clone(),
            name: s.name.clone(),
            role: role_label(s.role),
            cells: days
                .iter()
                .map(|(_, shifts)| {
                    let hers: Vec<String> = shifts
                        .iter()
                        .filter(|(st, _)| st.id == s.id)
                        .map(|(_, sh)| format!("{}–{}", views::hm(sh.starts_at, tz), views::hm(sh.ends_at, tz)))
                        .collect();
                    Cell { off: hers.is_empty(), text: if hers.is_empty() { "休 off".into() } else { hers.join(" ") } }
                })
                .collect(),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = RosterPage {
        layout: Layout::new("员工与排班 Staff", "/staff", &user, &shop.config().shop.name, now, tz),
        monday: monday.to_string(),
        days: days.iter().map(|(d, _)| views::day(*d)).collect(),
        prev: format!("/staff?week={}", monday - Duration::days(7)),
        next: format!("/staff?week={}", monday + Duration::days(7)),
        lines,
        staff: staff.iter().filter(|s| s.active).map(|s| (s.id.clone(), s.name.clone())).collect(),
        done,
        error,
        today: today.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

async fn roster(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<Ask>) -> Page {
    let done = ask.done.as_deref().map(|d| match d {
        "shift" => "班次已添加 / shift added".to_string(),
        "leave" => "已安排休假 / day off recorded".to_string(),
        "pin" => "PIN 已重设 / PIN reset".to_string(),
        "staff" => "员工已添加 / staff member added".to_string(),
        d if d.starts_with("copy:") => {
            let (copied, kept) = d[5..].split_once(',').unwrap_or(("0", "0"));
            format!("已复制 {copied} 个班次到下周，{kept} 天已有班次保持不变 / {copied} shifts copied to next week, {kept} days that had one kept")
        }
        _ => String::new(),
    });
    page(&shop, &ctx, ask.week.as_deref().and_then(parse_date), done.filter(|d| !d.is_empty()), None).await
}

/// Runs a change; a refusal comes back beside its form, on the week it was made from.
async fn change<F>(shop: Shared, ctx: Ctx, form: &'static str, week: Option<NaiveDate>, f: F) -> Page
where
    F: FnOnce(&mut crate::app::App, &str) -> Result<String, AppError> + Send + 'static,
{
    let user = ctx.require(&shop, Permission::Setup).await?.clone();
    let actor = user.staff.id.clone();
    match shop.run(move |app| f(app, &actor)).await {
        Ok(done) => {
            let week = week.map(|w| format!("&week={w}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/staff?done={}{week}", views::url_encode(&done))).into_response())
        }
        Err(WebError::App(e @ (AppError::Input { .. } | AppError::Store(_)))) => {
            page(&shop, &ctx, week, None, Some((form, e.to_string()))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ShiftForm {
    staff: String,
    date: String,
    hours: String,
}

async fn add_shift(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<ShiftForm>) -> Page {
    let date = parse_date(&f.date);
    change(shop, ctx, "shift", date, move |app, actor| {
        let date = date.ok_or_else(|| AppError::input("日期 date", "应为 2026-12-03 / use 2026-12-03"))?;
        app.add_shift(&f.staff, date, f.hours.trim(), actor)?;
        Ok("shift".into())
    })
    .await
}

#[derive(Deserialize)]
struct LeaveForm {
    staff: String,
    date: String,
}

async fn leave(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<LeaveForm>) -> Page {
    let date = parse_date(&f.date);
    change(shop, ctx, "leave", date, move |app, actor| {
        let date = date.ok_or_else(|| AppError::input("日期 date", "应为 2026-12-03 / use 2026-12-03"))?;
        app.take_leave(&f.staff, date, actor)?;
        Ok("leave".into())
    })
    .await
}

#[derive(Deserialize)]
struct WeekForm {
    week: String,
}

async fn copy_week(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<WeekForm>) -> Page {
    let week = parse_date(&f.week).map(monday_of);
    change(shop, ctx, "copy", week, move |app, actor| {
        let monday = week.ok_or_else(|| AppError::input("周 week", "应为 2026-11-30 / use 2026-11-30"))?;
        let (copied, kept) = app.copy_week(monday, actor)?;
        Ok(format!("copy:{copied},{kept}"))
    })
    .await
}

#[derive(Deserialize)]
struct PinForm {
    staff: String,
    pin: String,
}

async fn reset_pin(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<PinForm>) -> Page {
    change(shop, ctx, "pin", None, move |app, actor| {
        app.reset_pin(&f.staff, &f.pin, actor)?;
        Ok("pin".into())
    })
    .await
}

#[derive(Deserialize)]
struct StaffForm {
    name: String,
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    pin: String,
}

async fn add_staff(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Form(f): Form<StaffForm>) -> Page {
    change(shop, ctx, "staff", None, move |app, actor| {
        let pin = Some(f.pin.trim().to_string()).filter(|p| !p.is_empty());
        let input = StaffInput {
            name: f.name,
            role: f.role,
            phone: Some(f.phone.trim().to_string()).filter(|p| !p.is_empty()),
            pin,
            ..StaffInput::default()
        };
        app.add_staff(&input, actor)?;
        Ok("staff".into())
    })
    .await
}
