//! Reports (消费数据分析): the daily, weekly and monthly report as charts drawn on the
//! server, each with its numbers in a table under it; a print view; the report and its
//! charts' figures as a spreadsheet or CSV (owner and manager, audited).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use super::charts::{self, Bar, GOLD, ROSE, SAGE, SLATE, Series};
use super::views::{Layout, money};
use super::{Ctx, Shared, WebError};
use crate::app::report::{Cell, Line, Period, Report, Section, Trends, WEEKDAY_NAMES};
use crate::app::tables;
use crate::domain::access::Permission;

type Page = Result<Response, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new().route("/reports", get(reports)).route("/reports/export", get(export))
}

#[derive(Deserialize, Default)]
struct Ask {
    period: Option<String>,
    date: Option<String>,
    print: Option<String>,
    format: Option<String>,
}

impl Ask {
    fn period(&self) -> Period {
        match self.period.as_deref() {
            Some("daily") => Period::Daily,
            Some("weekly") => Period::Weekly,
            _ => Period::Monthly,
        }
    }

    /// The date asked for, or today; a date that cannot be read is said beside the field.
    fn date(&self, today: NaiveDate) -> (NaiveDate, Option<String>) {
        match self.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => (today, None),
            Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => (d, None),
                Err(_) => (
                    today,
                    Some(format!("日期“{d}”看不懂，应为 2026-12-03 / cannot read the date “{d}”: use 2026-12-03")),
                ),
            },
        }
    }
}

fn period_key(p: Period) -> &'static str {
    match p {
        Period::Daily => "daily",
        Period::Weekly => "weekly",
        Period::Monthly => "monthly",
    }
}

/// A table under a chart, as text.
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Which columns are figures (right-aligned).
    pub numeric: Vec<bool>,
}

impl Table {
    fn of(s: &Section) -> Table {
        let numeric = (0..s.headers.len())
            .map(|c| s.rows.iter().any(|r| matches!(r.get(c), Some(Cell::Count(_) | Cell::Money(_)))))
            .collect();
        let rows = s
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Cell::Money(d) => money(*d),
                        other => tables::cell_text(other),
                    })
                    .collect()
            })
            .collect();
        Table { headers: s.headers.clone(), rows, numeric }
    }

    pub fn cells(&self, row: &[String]) -> Vec<(String, bool)> {
        row.iter().cloned().zip(self.numeric.iter().copied()).collect()
    }
}

/// One chart with its numbers.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub note: String,
    pub svg: String,
    pub table: Table,
}

pub struct Tile {
    pub label: &'static str,
    pub value: String,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    print: bool,
    tabs: Vec<Tab>,
    period: &'static str,
    date: String,
    date_error: Option<String>,
    range: String,
    prev: String,
    next: String,
    print_href: String,
    csv_href: String,
    xlsx_href: String,
    tiles: Vec<Tile>,
    charts: Vec<Chart>,
    tables: Vec<(&'static str, Table)>,
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn money_bars(lines: &[Line]) -> Vec<Bar> {
    lines.iter().map(|l| Bar { label: l.label.clone(), value: f(l.amount), text: charts_money(l.amount) }).collect()
}

/// Money on a chart: whole yuan, grouped (`¥12,800`).
fn charts_money(d: Decimal) -> String {
    let s = money(d.round());
    s.strip_suffix(".00").map_or(s.clone(), str::to_string)
}

fn section<'a>(sections: &'a [Section], title_start: &str) -> Option<&'a Section> {
    sections.iter().find(|s| s.title.starts_with(title_start))
}

fn table_of(sections: &[Section], title_start: &str) -> Table {
    section(sections, title_start).map(Table::of).unwrap_or(Table {
        headers: Vec::new(),
        rows: Vec::new(),
        numeric: Vec::new(),
    })
}

/// The report's charts, in reading order.
fn charts(r: &Report, t: &Trends) -> Vec<Chart> {
    let rs = r.sections();
    let ts = t.sections(r.period);
    let by = if r.period == Period::Daily { "按小时 by hour" } else { "按天 by day" };
    let labels: Vec<String> = t.days.iter().map(|d| d.label.trim_start_matches('0').to_string()).collect();
    let heat_hours = {
        let used: Vec<usize> =
            (0..24).filter(|h| t.heat.iter().any(|row| row.get(*h).copied().unwrap_or(0) > 0)).collect();
        let first = used.first().copied().unwrap_or(9).min(9) as u32;
        let last = used.last().copied().unwrap_or(20).max(20) as u32;
        first..last + 1
    };
    let liabilities = [
        ("储值 stored value", r.stored_value_outstanding),
        ("积分 points", r.points_value_held),
        ("疗程卡 courses", r.course_value_left),
    ];
    let rating_bars: Vec<Bar> = r
        .ratings_by_staff
        .iter()
        .map(|l| Bar {
            label: l.label.clone(),
            value: f(l.average),
            text: format!("{:.1}★ · {}条", l.average, l.ratings),
        })
        .collect();
    vec![
        Chart {
            id: "money-by-day",
            title: "收款 Money received",
            note: format!("{by}，含充值和售卡 / sales, top-ups and course sales"),
            svg: charts::vbars(
                "收款 Money received",
                &labels,
                &[Series { name: "收款", color: ROSE, values: t.days.iter().map(|d| f(d.money)).collect() }],
            ),
            table: table_of(&ts, "每日走势"),
        },
        Chart {
            id: "visits-by-day",
            title: "到店：新客与老客 Visits: new and returning",
            note: format!("{by} / 新客 = 第一次消费 a customer's first visit"),
            svg: charts::vbars(
                "到店 Visits",
                &labels,
                &[
                    Series {
                        name: "新客 new",
                        color: ROSE,
                        values: t.days.iter().map(|d| d.first_visits as f64).collect(),
                    },
                    Series {
                        name: "老客 returning",
                        color: SLATE,
                        values: t.days.iter().map(|d| d.returning_visits as f64).collect(),
                    },
                    Series {
                        name: "散客 walk-in",
                        color: GOLD,
                        values: t.days.iter().map(|d| d.walk_ins as f64).collect(),
                    },
                ],
            ),
            table: table_of(&ts, "每日走势"),
        },
        Chart {
            id: "by-category",
            title: "按类别收入 Revenue by category",
            note: "服务、产品和售卡 / services, products, course sales".into(),
            svg: charts::hbars("按类别收入 Revenue by category", &money_bars(&r.revenue_by_category), ROSE),
            table: table_of(&rs, "按类别收入"),
        },
        Chart {
            id: "by-tender",
            title: "收款方式 Money received, by tender",
            note: "储值和积分抵扣不是收款，见下表 / stored value and points are not money: see the table".into(),
            svg: charts::hbars("收款方式 Money received, by tender", &money_bars(&r.money_received), SLATE),
            table: Table {
                headers: vec!["方式 Tender", "笔数 Count", "金额 Amount"],
                rows: r
                    .money_received
                    .iter()
                    .chain(&r.paid_with_prepaid)
                    .map(|l| vec![l.label.clone(), l.count.to_string(), money(l.amount)])
                    .collect(),
                numeric: vec![false, true, true],
            },
        },
        Chart {
            id: "top-services",
            title: "热门项目 Top services",
            note: "按次数 by times done".into(),
            svg: charts::hbars(
                "热门项目 Top services",
                &r.top_services
                    .iter()
                    .map(|l| Bar {
                        label: l.label.clone(),
                        value: l.count as f64,
                        text: format!("{}次 · {}", l.count, charts_money(l.amount)),
                    })
                    .collect::<Vec<_>>(),
                SAGE,
            ),
            table: table_of(&rs, "热门项目"),
        },
        Chart {
            id: "performance",
            title: "美容师业绩与提成 Beautician performance and commission",
            note: "业绩 = 所做项目的金额 / performed: what her services were sold for".into(),
            svg: charts::hbars(
                "美容师业绩 Beautician performance",
                &t.performance
                    .iter()
                    .map(|(l, c)| Bar {
                        label: l.label.clone(),
                        value: f(l.amount),
                        text: format!("{} · 提成{}", charts_money(l.amount), charts_money(*c)),
                    })
                    .collect::<Vec<_>>(),
                SLATE,
            ),
            table: table_of(&ts, "美容师业绩"),
        },
        Chart {
            id: "busy-hours",
            title: "忙闲时段 Busy hours",
            note: format!("到店次数，按星期和小时 / visits by weekday and hour, {} – {}", t.heat_from, t.heat_to),
            svg: charts::heatmap("忙闲时段 Busy hours", &WEEKDAY_NAMES, heat_hours, &t.heat),
            table: table_of(&ts, "忙闲时段"),
        },
        Chart {
            id: "ages",
            title: "年龄段与消费 Age groups and spending",
            note: "本期来过的会员 / members who came in this period".into(),
            svg: charts::hbars(
                "年龄段 Age groups",
                &t.ages
                    .iter()
                    .map(|a| Bar {
                        label: a.label.to_string(),
                        value: f(a.amount),
                        text: format!("{}人 · 客单{}", a.customers, charts_money(a.average_ticket)),
                    })
                    .collect::<Vec<_>>(),
                GOLD,
            ),
            table: table_of(&ts, "年龄段"),
        },
        Chart {
            id: "ratings",
            title: "顾客评价 Ratings",
            note: "每位美容师的平均星级 / average stars per beautician".into(),
            svg: charts::hbars("顾客评价 Ratings", &rating_bars, GOLD),
            table: table_of(&rs, "顾客评价"),
        },
        Chart {
            id: "liabilities",
            title: "欠顾客的 What the shop owes",
            note: format!("期末 at {}: 储值、积分、疗程卡都是负债，不是收入 / a liability, not revenue", r.to),
            svg: charts::hbars(
                "欠顾客的 What the shop owes",
                &liabilities
                    .iter()
                    .map(|(l, d)| Bar { label: l.to_string(), value: f(*d), text: charts_money(*d) })
                    .collect::<Vec<_>>(),
                ROSE,
            ),
            table: {
                let mut t = table_of(&rs, "储值（负债");
                let points = table_of(&rs, "积分 Points");
                let owed = table_of(&rs, "期末欠顾客的");
                t.rows.extend(points.rows);
                t.rows.extend(owed.rows);
                t
            },
        },
    ]
}

fn link(period: Period, date: NaiveDate, extra: &str) -> String {
    format!("/reports?period={}&date={date}{extra}", period_key(period))
}

async fn reports(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<Ask>) -> Page {
    let user = ctx.require(&shop, Permission::ExportAndReports).await?.clone();
    let period = ask.period();
    let (report, trends, today, now) = {
        let ask_date = ask.date.clone();
        shop.run(move |app| {
            let today = app.today();
            let (date, _) = Ask { date: ask_date, ..Ask::default() }.date(today);
            let (r, t) = app.report_with_trends(period, date)?;
            Ok((r, t, today, app.now()))
        })
        .await?
    };
    let (date, date_error) = ask.date(today);
    let (from, to) = (report.from, report.to);
    let (prev, next) = (from - Duration::days(1), to + Duration::days(1));
    let tz = shop.config().shop.time_zone;
    let tiles = vec![
        Tile { label: "营业收入 revenue", value: money(report.revenue) },
        Tile { label: "收款 money received", value: money(report.money_received_total) },
        Tile { label: "到店 visits", value: report.visits.to_string() },
        Tile { label: "新客 new customers", value: report.new_customers.to_string() },
        Tile { label: "客单价 average ticket", value: money(trends.average_ticket) },
        Tile { label: "人均到店 visits per customer", value: trends.visits_per_customer.to_string() },
        Tile { label: "会员消费占比 by members", value: format!("{}%", trends.member_share) },
        Tile { label: "欠顾客的 owed to customers", value: money(report.liabilities) },
    ];
    let quiet = table_of(&report.sections(), "久未到店");
    let page = ReportsPage {
        layout: Layout::new("报表 Reports", "/reports", &user, &shop.config().shop.name, now, tz),
        print: ask.print.is_some(),
        tabs: [Period::Daily, Period::Weekly, Period::Monthly]
            .into_iter()
            .map(|p| Tab { href: link(p, date, ""), label: p.label(), current: p == period })
            .collect(),
        period: period_key(period),
        date: date.to_string(),
        date_error,
        range: if from == to { format!("{from}") } else { format!("{from} – {to}") },
        prev: link(period, prev, ""),
        next: link(period, next, ""),
        print_href: link(period, date, "&print=1"),
        csv_href: format!("/reports/export?period={}&date={date}&format=csv", period_key(period)),
        xlsx_href: format!("/reports/export?period={}&date={date}&format=xlsx", period_key(period)),
        tiles,
        charts: charts(&report, &trends),
        tables: vec![("久未到店 Gone quiet", quiet)],
    };
    Ok(Html(page.render()?).into_response())
}

/// The report with its charts' figures as a spreadsheet (`format=xlsx`, the default) or
/// CSV (UTF-8 with a BOM, as Excel on a Chinese Windows opens it); audited.
async fn export(State(shop): State<Shared>, Extension(ctx): Extension<Ctx>, Query(ask): Query<Ask>) -> Page {
    let user = ctx.require(&shop, Permission::ExportAndReports).await?.clone();
    let period = ask.period();
    let csv = ask.format.as_deref() == Some("csv");
    let (actor, address, ask_date) = (user.staff.id.clone(), ctx.address.clone(), ask.date.clone());
    let (bytes, name) = shop
        .run(move |app| {
            let (date, _) = Ask { date: ask_date, ..Ask::default() }.date(app.today());
            let (r, t) = app.report_with_trends(period, date)?;
            let mut sections = r.sections();
            sections.extend(t.sections(period));
            let name = format!("salonbox-{}-{}.{}", period_key(period), r.from, if csv { "csv" } else { "xlsx" });
            let bytes = if csv {
                let mut out = "\u{feff}".as_bytes().to_vec();
                tables::write_csv(&sections, &mut out).map_err(|e| export_failed(e.to_string()))?;
                out
            } else {
                tables::workbook(&sections)
                    .and_then(|mut wb| wb.save_to_buffer())
                    .map_err(|e| export_failed(e.to_string()))?
            };
            app.audit_web(
                &actor,
                "report.export",
                "report",
                &name,
                &address,
                serde_json::json!({ "period": period_key(period), "from": r.from, "to": r.to, "format": if csv { "csv" } else { "xlsx" } }),
            )?;
            Ok((bytes, name))
        })
        .await?;
    let kind = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(|_| WebError::Internal)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(kind)), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

fn export_failed(message: String) -> crate::app::AppError {
    crate::app::AppError::Input { field: "导出 export".into(), message }
}
