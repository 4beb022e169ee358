//! Daily, weekly and monthly reports: revenue by category, money received by tender (apart
//! from what was paid with prepaid value), visits, new and returning customers, top
//! services, stored value and points as movements that add up to their closing balances,
//! what the shop owes its customers, commission per beautician, and customers gone quiet.
//! A voided visit and its reversal count nowhere.
//!
//! A report is data (`Report`) plus a neutral table form (`Report::sections`) that the
//! faces render as text, CSV or a spreadsheet.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{App, Result};
use crate::domain::money::from_fen;
use crate::domain::time::{Interval, day_bounds, local_dt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    /// The business days a report of this period covers, for a date inside it (weeks
    /// start on Monday).
    pub fn span(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Period::Daily => (date, date),
            Period::Weekly => {
                let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(6))
            }
            Period::Monthly => {
                let first = date.with_day(1).unwrap_or(date);
                let next = if first.month() == 12 {
                    NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
                };
                (first, next.map_or(first, |n| n - Duration::days(1)))
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Daily => "日报 daily",
            Period::Weekly => "周报 weekly",
            Period::Monthly => "月报 monthly",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub label: String,
    pub count: i64,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuietCustomer {
    pub name: String,
    pub phone: Option<String>,
    pub visits: i64,
    pub last_visit: String,
    pub rhythm_days: i64,
    pub days_since: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Services, products and course sales (not top-ups).
    pub revenue: Decimal,
    pub revenue_by_category: Vec<Line>,
    /// Money received, by tender (sales, top-ups, course sales); refunds paid out as their
    /// own negative lines.
    pub money_received: Vec<Line>,
    pub money_received_total: Decimal,
    /// Paid with prepaid value (stored value, points): not money received.
    pub paid_with_prepaid: Vec<Line>,
    pub visits: i64,
    pub customers: i64,
    pub new_customers: i64,
    pub returning_customers: i64,
    pub walk_in_sales: i64,
    pub top_services: Vec<Line>,
    pub stored_value_opening: Decimal,
    pub stored_value_sold: Decimal,
    pub stored_value_bonus_given: Decimal,
    pub stored_value_spent: Decimal,
    pub stored_value_refunded: Decimal,
    pub stored_value_forfeited: Decimal,
    pub stored_value_expired: Decimal,
    pub stored_value_other: Decimal,
    /// The closing balance of all cards: what the shop owes in stored value.
    pub stored_value_outstanding: Decimal,
    pub points_opening: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    pub points_other: i64,
    pub points_held: i64,
    /// The points held, at what a point is worth when redeemed.
    pub points_value_held: Decimal,
    pub course_sessions_left: i64,
    pub course_value_left: Decimal,
    /// What the shop owes its customers at the end: stored value, points, course sessions.
    pub liabilities: Decimal,
    pub commission_by_staff: Vec<Line>,
    pub gone_quiet: Vec<QuietCustomer>,
    /// Customers' ratings of the period's visits, per beautician and per service.
    pub ratings_by_staff: Vec<RatingLine>,
    pub ratings_by_service: Vec<RatingLine>,
}

/// How one beautician or service was rated.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RatingLine {
    pub label: String,
    pub ratings: i64,
    /// Stars, to one decimal place.
    pub average: Decimal,
}

fn rating_lines(rows: Vec<(String, i64, i64)>) -> Vec<RatingLine> {
    rows.into_iter()
        .map(|(label, n, sum)| {
            let mut average = (Decimal::from(sum) / Decimal::from(n.max(1)))
                .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            average.rescale(1);
            RatingLine { label, ratings: n, average }
        })
        .collect()
}

/// A cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(i64),
    Money(Decimal),
}

/// One table of a report: a title, headers and rows.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn lines(rows: Vec<(String, i64, i64)>, label: impl Fn(&str) -> String) -> Vec<Line> {
    rows.into_iter().map(|(l, count, fen)| Line { label: label(&l), count, amount: from_fen(fen) }).collect()
}

/// How a payment method is named in a report.
pub fn method_label(m: &str) -> String {
    match m {
        "cash" => "现金 cash",
        "wechat" => "微信支付 WeChat Pay",
        "alipay" => "支付宝 Alipay",
        "card" => "银行卡 card",
        "stored_value" => "储值 stored value",
        "points" => "积分 points",
        other => {
            return other
                .strip_prefix("refund:")
                .map_or_else(|| other.to_string(), |m| format!("退款 refund · {}", method_label(m)));
        }
    }
    .to_string()
}

impl App {
    pub fn report(&mut self, period: Period, date: NaiveDate) -> Result<Report> {
        let tz = self.tz();
        let (from, to) = period.span(date);
        let range = Interval::new(day_bounds(from, tz).start, day_bounds(to, tz).end);
        self.store.read(|tx| {
            let visits = tx.range_visits(range)?;
            report_from(tx, tz, period, from, to, range, &visits)
        })
    }

    /// The report and its charts' figures, the range's visits read once for both.
    pub fn report_with_trends(&mut self, period: Period, date: NaiveDate) -> Result<(Report, Trends)> {
        let tz = self.tz();
        let (from, to) = period.span(date);
        let range = Interval::new(day_bounds(from, tz).start, day_bounds(to, tz).end);
        // the heat map covers four weeks at least
        let heat_from = from.min(to - Duration::days(27));
        let heat_range = Interval::new(day_bounds(heat_from, tz).start, range.end);
        self.store.read(|tx| {
            let visits = tx.range_visits(range)?;
            let report = report_from(tx, tz, period, from, to, range, &visits)?;
            let heat = if heat_from == from { visits.quarters.clone() } else { tx.quarter_counts(heat_range)? };
            let trends = trends_from(tz, period, from, to, heat_from, &visits, &heat, &report);
            Ok((report, trends))
        })
    }
}

/// The report of `range` (the days `from`–`to`) from its visits read once.
fn report_from(
    tx: &crate::store::Tx<'_>,
    tz: chrono_tz::Tz,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    range: Interval,
    visits: &crate::store::RangeVisits,
) -> Result<Report> {
    {
        {
            let counts = visits.visit_counts();
            let ledgers = tx.ledger_sums(range)?;
            let point_value = tx.points_rules()?.point_value;
            let money_received = lines(visits.money_received(), method_label);
            let points_value_held =
                crate::domain::checkout::round_yuan(Decimal::from(ledgers.points_held) * point_value);
            let course_value_left = from_fen(ledgers.course_value_left);
            let revenue_by_category = lines(visits.revenue_by_category(), str::to_string);
            let (by_staff, by_service) = tx.ratings_by(range)?;
            Ok(Report {
                ratings_by_staff: rating_lines(by_staff),
                ratings_by_service: rating_lines(by_service),
                period,
                from,
                to,
                revenue: revenue_by_category.iter().map(|l| l.amount).sum(),
                revenue_by_category,
                money_received_total: money_received.iter().map(|l| l.amount).sum(),
                money_received,
                paid_with_prepaid: lines(visits.paid_with_prepaid(), method_label),
                visits: counts.visits,
                customers: counts.customers,
                new_customers: counts.new_customers,
                returning_customers: counts.customers - counts.new_customers,
                walk_in_sales: counts.walk_in_sales,
                top_services: lines(visits.top_services(10), str::to_string),
                stored_value_opening: from_fen(ledgers.stored_value_opening),
                stored_value_sold: from_fen(ledgers.stored_value_sold_principal),
                stored_value_bonus_given: from_fen(ledgers.stored_value_sold_bonus),
                stored_value_spent: from_fen(ledgers.stored_value_spent),
                stored_value_refunded: from_fen(ledgers.stored_value_refunded),
                stored_value_forfeited: from_fen(ledgers.stored_value_forfeited),
                stored_value_expired: from_fen(ledgers.stored_value_expired),
                stored_value_other: from_fen(ledgers.stored_value_other),
                stored_value_outstanding: from_fen(ledgers.stored_value_outstanding),
                points_opening: ledgers.points_opening,
                points_issued: ledgers.points_issued,
                points_redeemed: ledgers.points_redeemed,
                points_expired: ledgers.points_expired,
                points_other: ledgers.points_other,
                points_held: ledgers.points_held,
                points_value_held,
                course_sessions_left: ledgers.course_sessions_left,
                course_value_left,
                liabilities: from_fen(ledgers.stored_value_outstanding) + points_value_held + course_value_left,
                commission_by_staff: lines(tx.commission_by_staff(range)?, str::to_string),
                gone_quiet: tx
                    .gone_quiet(range.end, 3, 2.0, 30.0, 20)?
                    .into_iter()
                    .map(|q| QuietCustomer {
                        name: q.name,
                        phone: q.phone,
                        visits: q.visits,
                        last_visit: local_dt(q.last_visit_at, tz),
                        rhythm_days: q.rhythm_days.round() as i64,
                        days_since: q.days_since.floor() as i64,
                    })
                    .collect(),
            })
        }
    }
}

impl Report {
    /// The report as tables, in reading order.
    pub fn sections(&self) -> Vec<Section> {
        let money_rows = |ls: &[Line]| -> Vec<Vec<Cell>> {
            ls.iter().map(|l| vec![Cell::Text(l.label.clone()), Cell::Count(l.count), Cell::Money(l.amount)]).collect()
        };
        let kv = |k: &str, v: Cell| vec![Cell::Text(k.to_string()), v];
        vec![
            Section {
                title: "概览 Summary",
                headers: vec!["项目 Item", "数值 Value"],
                rows: vec![
                    kv("期间 Period", Cell::Text(format!("{} {} – {}", self.period.label(), self.from, self.to))),
                    kv("营业收入 Revenue", Cell::Money(self.revenue)),
                    kv("到店消费 Visits", Cell::Count(self.visits)),
                    kv("顾客 Customers", Cell::Count(self.customers)),
                    kv("新客 New", Cell::Count(self.new_customers)),
                    kv("老客 Returning", Cell::Count(self.returning_customers)),
                    kv("散客 Walk-in sales", Cell::Count(self.walk_in_sales)),
                ],
            },
            Section {
                title: "按类别收入 Revenue by category",
                headers: vec!["类别 Category", "数量 Qty", "金额 Amount"],
                rows: money_rows(&self.revenue_by_category),
            },
            Section {
                title: "收款（按支付方式）Money received, by tender",
                headers: vec!["方式 Tender", "笔数 Count", "金额 Amount"],
                rows: {
                    let mut rows = money_rows(&self.money_received);
                    rows.push(vec![
                        Cell::Text("合计 Total".into()),
                        Cell::Count(self.money_received.iter().map(|l| l.count).sum()),
                        Cell::Money(self.money_received_total),
                    ]);
                    rows
                },
            },
            Section {
                title: "储值和积分抵扣（不是收款）Paid with stored value and points (not money received)",
                headers: vec!["方式 Tender", "笔数 Count", "金额 Amount"],
                rows: money_rows(&self.paid_with_prepaid),
            },
            Section {
                title: "热门项目 Top services",
                headers: vec!["项目 Service", "次数 Times", "金额 Amount"],
                rows: money_rows(&self.top_services),
            },
            Section {
                title: "储值（负债，不计入收入）Stored value (a liability, not revenue)",
                headers: vec!["项目 Item", "金额 Amount"],
                rows: {
                    let mut rows = vec![
                        kv("期初余额 Opening balance", Cell::Money(self.stored_value_opening)),
                        kv("+ 充值本金 Sold (principal)", Cell::Money(self.stored_value_sold)),
                        kv("+ 赠送 Bonus given", Cell::Money(self.stored_value_bonus_given)),
                        kv("− 消费 Spent", Cell::Money(self.stored_value_spent)),
                        kv("− 退卡退款 Refunded", Cell::Money(self.stored_value_refunded)),
                        kv("− 退卡扣回赠送 Bonus forfeited at refunds", Cell::Money(self.stored_value_forfeited)),
                        kv("− 赠送过期 Bonus expired", Cell::Money(self.stored_value_expired)),
                    ];
                    if !self.stored_value_other.is_zero() {
                        rows.push(kv("± 导入和调整 Imported and adjusted", Cell::Money(self.stored_value_other)));
                    }
                    rows.push(kv("= 期末余额 Closing balance", Cell::Money(self.stored_value_outstanding)));
                    rows
                },
            },
            Section {
                title: "积分 Points",
                headers: vec!["项目 Item", "积分 Points"],
                rows: {
                    let mut rows = vec![
                        kv("期初 Opening", Cell::Count(self.points_opening)),
                        kv("+ 发放 Issued", Cell::Count(self.points_issued)),
                        kv("− 兑换 Redeemed", Cell::Count(self.points_redeemed)),
                        kv("− 过期 Expired", Cell::Count(self.points_expired)),
                    ];
                    if self.points_other != 0 {
                        rows.push(kv("± 导入和调整 Imported and adjusted", Cell::Count(self.points_other)));
                    }
                    rows.push(kv("= 期末 Held at the end", Cell::Count(self.points_held)));
                    rows
                },
            },
            Section {
                title: "期末欠顾客的 What the shop owes its customers at the end",
                headers: vec!["项目 Item", "金额 Amount"],
                rows: vec![
                    kv("储值余额 Stored value", Cell::Money(self.stored_value_outstanding)),
                    kv(&format!("积分 {} 分 Points held", self.points_held), Cell::Money(self.points_value_held)),
                    kv(
                        &format!("疗程卡剩余 {} 次 Course sessions not used", self.course_sessions_left),
                        Cell::Money(self.course_value_left),
                    ),
                    kv("合计 Total", Cell::Money(self.liabilities)),
                ],
            },
            Section {
                title: "美容师提成 Commission by staff",
                headers: vec!["员工 Staff", "项目数 Lines", "提成 Commission"],
                rows: money_rows(&self.commission_by_staff),
            },
            Section {
                title: "顾客评价 Ratings",
                headers: vec!["美容师或项目 Beautician or service", "评价数 Ratings", "平均星级 Average"],
                rows: self
                    .ratings_by_staff
                    .iter()
                    .map(|r| (format!("美容师 {}", r.label), r))
                    .chain(self.ratings_by_service.iter().map(|r| (format!("项目 {}", r.label), r)))
                    .map(|(label, r)| {
                        vec![Cell::Text(label), Cell::Count(r.ratings), Cell::Text(format!("{:.1}", r.average))]
                    })
                    .collect(),
            },
            Section {
                title: "久未到店 Gone quiet",
                headers: vec![
                    "姓名 Name",
                    "手机 Phone",
                    "到店次数 Visits",
                    "最近到店 Last visit",
                    "平均间隔天 Rhythm",
                    "已隔天 Days since",
                ],
                rows: self
                    .gone_quiet
                    .iter()
                    .map(|q| {
                        vec![
                            Cell::Text(q.name.clone()),
                            Cell::Text(q.phone.clone().unwrap_or_default()),
                            Cell::Count(q.visits),
                            Cell::Text(q.last_visit.clone()),
                            Cell::Count(q.rhythm_days),
                            Cell::Count(q.days_since),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}

/// One business day (or, in a daily report, one hour) of a report's range.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayLine {
    /// `12-03` for a day, `14时` for an hour.
    pub label: String,
    pub visits: i64,
    /// Customers' first visits ever.
    pub first_visits: i64,
    /// Registered customers who had been before.
    pub returning_visits: i64,
    pub walk_ins: i64,
    pub money: Decimal,
}

/// Customers of one age group: how many came, how often, what they spent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgeLine {
    pub label: &'static str,
    pub customers: i64,
    pub visits: i64,
    pub amount: Decimal,
    /// What one visit cost on average.
    pub average_ticket: Decimal,
}

/// What a report's tables do not show and its charts do: the range day by day, busy hours
/// by weekday, age groups and consumption habits.
#[derive(Debug, Clone, Serialize)]
pub struct Trends {
    /// Per day of the range (per hour for a daily report).
    pub days: Vec<DayLine>,
    /// Visits by weekday (Monday first) and hour of the day, shop time, over
    /// `heat_from..=heat_to`: the range, or the four weeks up to its end when it is shorter.
    pub heat: Vec<Vec<i64>>,
    pub heat_from: NaiveDate,
    pub heat_to: NaiveDate,
    pub ages: Vec<AgeLine>,
    /// Per beautician: services performed and their amount (`count`, `amount`), and the
    /// commission earned (from the report).
    pub performance: Vec<(Line, Decimal)>,
    /// Revenue per visit.
    pub average_ticket: Decimal,
    /// Visits per customer who came.
    pub visits_per_customer: Decimal,
    /// Share of visits by registered customers, in percent.
    pub member_share: Decimal,
}

/// The age groups a salon talks about, with the youngest age of each.
const AGE_GROUPS: [(&str, i32); 5] =
    [("25岁以下 under 25", 0), ("25–34岁", 25), ("35–44岁", 35), ("45–54岁", 45), ("55岁及以上 55+", 55)];
const AGE_UNKNOWN: &str = "未填生日 not given";

fn ratio(a: Decimal, b: i64, dp: u32) -> Decimal {
    if b == 0 {
        return Decimal::ZERO;
    }
    let mut r = (a / Decimal::from(b)).round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// The charts' figures for the report of `from`–`to`, from its visits read once and the
/// heat map's quarter hours since `heat_from`.
#[allow(clippy::too_many_arguments)]
fn trends_from(
    tz: chrono_tz::Tz,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    heat_from: NaiveDate,
    visits: &crate::store::RangeVisits,
    heat_buckets: &[crate::store::Bucket],
    report: &Report,
) -> Trends {
    {
        let buckets = visits.buckets();
        let years = visits.birth_years();
        let by_staff = lines(visits.revenue_by_staff(), str::to_string);
        let commission = |name: &str| {
            report.commission_by_staff.iter().find(|l| l.label == name).map_or(Decimal::ZERO, |l| l.amount)
        };
        let mut performance: Vec<(Line, Decimal)> = by_staff
            .into_iter()
            .map(|l| {
                let c = commission(&l.label);
                (l, c)
            })
            .collect();
        // who earned commission on sales alone (products, course sales) is listed too
        for l in &report.commission_by_staff {
            if !performance.iter().any(|(p, _)| p.label == l.label) {
                performance.push((Line { label: l.label.clone(), count: 0, amount: Decimal::ZERO }, l.amount));
            }
        }
        let local = |quarter: i64| {
            chrono::DateTime::from_timestamp_millis(quarter * 900_000).unwrap_or_default().with_timezone(&tz)
        };
        // the range's days (or hours), each present even when empty
        let mut days: Vec<DayLine> = match period {
            Period::Daily => (0..24).map(|h| format!("{h}时")).collect::<Vec<_>>(),
            _ => {
                let mut d = from;
                let mut v = Vec::new();
                while d <= to {
                    v.push(d.format("%m-%d").to_string());
                    d += Duration::days(1);
                }
                v
            }
        }
        .into_iter()
        .map(|label| DayLine {
            label,
            visits: 0,
            first_visits: 0,
            returning_visits: 0,
            walk_ins: 0,
            money: Decimal::ZERO,
        })
        .collect();
        let (mut visits, mut walk_ins) = (0i64, 0i64);
        for b in &buckets {
            let t = local(b.quarter);
            let i = match period {
                Period::Daily => chrono::Timelike::hour(&t) as usize,
                _ => (t.date_naive() - from).num_days().max(0) as usize,
            };
            if let Some(d) = days.get_mut(i) {
                d.visits += b.visits;
                d.first_visits += b.first_visits;
                d.walk_ins += b.walk_ins;
                d.returning_visits += b.visits - b.first_visits - b.walk_ins;
                d.money += from_fen(b.money_fen);
            }
            visits += b.visits;
            walk_ins += b.walk_ins;
        }
        let mut heat = vec![vec![0i64; 24]; 7];
        for b in heat_buckets {
            let t = local(b.quarter);
            heat[t.weekday().num_days_from_monday() as usize][chrono::Timelike::hour(&t) as usize] += b.visits;
        }
        let mut ages: Vec<AgeLine> = AGE_GROUPS
            .iter()
            .map(|(l, _)| *l)
            .chain([AGE_UNKNOWN])
            .map(|label| AgeLine {
                label,
                customers: 0,
                visits: 0,
                amount: Decimal::ZERO,
                average_ticket: Decimal::ZERO,
            })
            .collect();
        for (year, customers, n, fen) in years {
            let i = match year.filter(|y| *y > 1900) {
                Some(y) => {
                    let age = to.year() - y;
                    AGE_GROUPS.iter().rposition(|(_, min)| age >= *min).unwrap_or(0)
                }
                None => AGE_GROUPS.len(),
            };
            ages[i].customers += customers;
            ages[i].visits += n;
            ages[i].amount += from_fen(fen);
        }
        for a in &mut ages {
            a.average_ticket = ratio(a.amount, a.visits, 2);
        }
        Trends {
            days,
            heat,
            heat_from,
            heat_to: to,
            ages,
            performance,
            average_ticket: ratio(report.revenue, report.visits, 2),
            visits_per_customer: ratio(Decimal::from(report.visits - report.walk_in_sales), report.customers, 1),
            member_share: ratio(Decimal::from((visits - walk_ins) * 100), visits, 0),
        }
    }
}

impl Trends {
    /// The charts' figures as tables (for the spreadsheet and CSV exports).
    pub fn sections(&self, period: Period) -> Vec<Section> {
        let day_header = if period == Period::Daily { "时段 Hour" } else { "日期 Day" };
        vec![
            Section {
                title: "消费习惯 Habits",
                headers: vec!["项目 Item", "数值 Value"],
                rows: vec![
                    vec![Cell::Text("客单价 Average ticket".into()), Cell::Money(self.average_ticket)],
                    vec![
                        Cell::Text("人均到店次数 Visits per customer".into()),
                        Cell::Text(self.visits_per_customer.to_string()),
                    ],
                    vec![
                        Cell::Text("会员消费占比 Visits by members".into()),
                        Cell::Text(format!("{}%", self.member_share)),
                    ],
                ],
            },
            Section {
                title: "每日走势 Day by day",
                headers: vec![
                    day_header,
                    "到店 Visits",
                    "新客 New",
                    "老客 Returning",
                    "散客 Walk-in",
                    "收款 Money received",
                ],
                rows: self
                    .days
                    .iter()
                    .map(|d| {
                        vec![
                            Cell::Text(d.label.clone()),
                            Cell::Count(d.visits),
                            Cell::Count(d.first_visits),
                            Cell::Count(d.returning_visits),
                            Cell::Count(d.walk_ins),
                            Cell::Money(d.money),
                        ]
                    })
                    .collect(),
            },
            Section {
                title: "美容师业绩 Beautician performance",
                headers: vec!["美容师 Beautician", "服务项数 Services", "业绩 Performed", "提成 Commission"],
                rows: self
                    .performance
                    .iter()
                    .map(|(l, c)| {
                        vec![Cell::Text(l.label.clone()), Cell::Count(l.count), Cell::Money(l.amount), Cell::Money(*c)]
                    })
                    .collect(),
            },
            Section {
                title: "年龄段 Age groups",
                headers: vec!["年龄段 Age", "顾客 Customers", "到店 Visits", "消费 Spent", "客单价 Average ticket"],
                rows: self
                    .ages
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::Text(a.label.to_string()),
                            Cell::Count(a.customers),
                            Cell::Count(a.visits),
                            Cell::Money(a.amount),
                            Cell::Money(a.average_ticket),
                        ]
                    })
                    .collect(),
            },
            Section {
                title: "忙闲时段 Busy hours",
                headers: std::iter::once("星期 Weekday").chain(HOUR_HEADERS.iter().copied()).collect(),
                rows: WEEKDAY_NAMES
                    .iter()
                    .zip(&self.heat)
                    .map(|(w, hours)| {
                        std::iter::once(Cell::Text(w.to_string()))
                            .chain(hours.iter().map(|n| Cell::Count(*n)))
                            .collect()
                    })
                    .collect(),
            },
        ]
    }
}

/// Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const HOUR_HEADERS: [&str; 24] = [
    "0时", "1时", "2时", "3时", "4时", "5时", "6时", "7时", "8时", "9时", "10时", "11时", "12时", "13时", "14时",
    "15时", "16时", "17时", "18时", "19时", "20时", "21时", "22时", "23时",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(Period::Daily.span(d), (d, d));
        let (mon, sun) = Period::Weekly.span(d);
        assert_eq!((mon.to_string(), sun.to_string()), ("2026-11-23".into(), "2026-11-29".into()));
        let (first, last) = Period::Monthly.span(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!((first.to_string(), last.to_string()), ("2026-12-01".into(), "2026-12-31".into()));
        let (_, feb) = Period::Monthly.span(NaiveDate::from_ymd_opt(2028, 2, 10).unwrap());
        assert_eq!(feb.to_string(), "2028-02-29");
    }
}
