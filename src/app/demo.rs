//! `demo-data`: a realistic seeded shop (8 staff, 31 services, 2,000 customers, a year of
//! visits, today's shifts and appointments, coupon templates, products in stock),
//! deterministic for a given seed.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::booking::{BookingContext, Proposed, check};
use crate::domain::checkout::CouponKind;
use crate::domain::customer::Gender;
use crate::domain::model::{AppointmentStatus, StaffRole};
use crate::domain::money::to_fen;
use crate::domain::phone::Phone;
use crate::domain::time::{Interval, business_date, day_bounds};
use crate::store::{
    NewAppointment, NewCommission, NewCustomer, NewPoints, NewService, NewStaff, NewVisit, NewVisitItem,
    ProductDetails, Table,
};

#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub customers: usize,
    pub days_of_history: i64,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize { customers: 2000, days_of_history: 365 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub staff: i64,
    pub services: i64,
    pub customers: i64,
    pub visits: i64,
    pub appointments: i64,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "欧阳", "萧", "田", "董",
];
const GIVEN_F: &[&str] = &[
    "丽", "娜", "静", "敏", "燕", "婷", "雪", "慧", "欣怡", "梓涵", "诗琪", "晓燕", "佳怡", "雨桐", "可馨", "思琪",
    "美琳", "紫薇", "梦瑶", "玉兰", "秀英", "桂芳", "海燕", "丹丹",
];
const GIVEN_M: &[&str] = &["伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "浩然", "子轩", "宇航", "俊杰"];

/// (name, category, minutes, price yuan, resource kind)
const SERVICES: &[(&str, &str, u32, i64, Option<&str>)] = &[
    ("面部深层清洁", "面部护理", 60, 198, Some("facial")),
    ("补水保湿护理", "面部护理", 60, 268, Some("facial")),
    ("美白嫩肤护理", "面部护理", 75, 368, Some("facial")),
    ("抗衰紧致护理", "面部护理", 90, 588, Some("facial")),
    ("祛痘修复护理", "面部护理", 60, 298, Some("facial")),
    ("敏感肌舒缓护理", "面部护理", 60, 328, Some("facial")),
    ("眼部护理", "面部护理", 45, 168, Some("facial")),
    ("小气泡清洁", "面部护理", 30, 128, Some("facial")),
    ("光子嫩肤", "仪器项目", 45, 880, Some("ipl")),
    ("热玛吉体验", "仪器项目", 90, 2980, Some("ipl")),
    ("水光针导入", "仪器项目", 60, 680, Some("ipl")),
    ("射频紧致", "仪器项目", 60, 780, Some("ipl")),
    ("肩颈舒缓按摩", "身体护理", 60, 198, Some("body")),
    ("全身精油SPA", "身体护理", 90, 398, Some("body")),
    ("背部排毒护理", "身体护理", 60, 268, Some("body")),
    ("足部护理", "身体护理", 45, 158, None),
    ("热石理疗", "身体护理", 75, 358, Some("body")),
    ("淋巴排毒", "身体护理", 60, 298, Some("body")),
    ("美甲-纯色", "美甲美睫", 45, 98, None),
    ("美甲-款式", "美甲美睫", 75, 198, None),
    ("卸甲护理", "美甲美睫", 20, 38, None),
    ("嫁接睫毛", "美甲美睫", 90, 268, None),
    ("睫毛补种", "美甲美睫", 45, 128, None),
    ("半永久眉", "美甲美睫", 120, 1280, None),
    ("修眉造型", "美甲美睫", 20, 48, None),
    ("头皮护理", "头部护理", 60, 238, None),
    ("头疗放松", "头部护理", 45, 168, None),
    ("产后修复", "身体护理", 90, 498, Some("body")),
    ("皮肤检测", "咨询", 20, 0, None),
    ("新客体验套餐", "面部护理", 90, 99, Some("facial")),
];

const STAFF: &[(&str, StaffRole, &str)] = &[
    ("李娜", StaffRole::Beautician, "15"),
    ("王芳", StaffRole::Beautician, "15"),
    ("张敏", StaffRole::Beautician, "12"),
    ("陈静", StaffRole::Beautician, "12"),
    ("刘婷", StaffRole::Beautician, "10"),
    ("赵雪", StaffRole::Beautician, "10"),
    ("周晓燕", StaffRole::FrontDesk, "0"),
    ("孙慧", StaffRole::Manager, "5"),
];

/// The demo's back-office logins (never a real shop's: `demo` only).
const DEMO_PINS: &[(&str, StaffRole, &str)] = &[
    ("孙慧", StaffRole::Manager, "3333"),
    ("周晓燕", StaffRole::FrontDesk, "2222"),
    ("李娜", StaffRole::Beautician, "1111"),
];
const DEMO_OWNER: (&str, &str) = ("林美华", "salonbox-demo");

/// Tags the front desk gives: every n-th customer carries the tag.
const TAGS: &[(usize, &str)] = &[(11, "老带新"), (17, "学生"), (23, "企业客户"), (29, "VIP")];

/// (name, kind, valid days): the birthday job's template (the example configuration's
/// `birthday_coupon`) and those the shipped campaign templates in `config/campaigns` use.
fn coupon_templates() -> Vec<(&'static str, CouponKind, i64)> {
    let yuan = Decimal::from;
    vec![
        ("生日券", CouponKind::PercentOff { percent: yuan(20), min_spend: yuan(0) }, 30),
        ("新客立减30", CouponKind::AmountOff { amount: yuan(30), min_spend: yuan(100) }, 30),
        ("节日满300减50", CouponKind::AmountOff { amount: yuan(50), min_spend: yuan(300) }, 30),
        ("老客回馈券", CouponKind::AmountOff { amount: yuan(80), min_spend: yuan(400) }, 30),
        ("新品体验券", CouponKind::FreeService { service_id: NEW_SERVICE.into() }, 30),
    ]
}

/// A new service with no history yet, the subject of the shipped 新品体验 campaign.
const NEW_SERVICE: &str = "玻尿酸补水导入";

/// A product on the demo's shelf.
struct DemoProduct {
    sku: &'static str,
    name: &'static str,
    brand: &'static str,
    spec: &'static str,
    category: &'static str,
    price: i64,
    cost: i64,
    low_stock: i64,
    /// (batch number, quantity, expires in days)
    batches: &'static [(&'static str, i64, i64)],
}

const fn product(
    sku: &'static str,
    name: &'static str,
    (brand, spec): (&'static str, &'static str),
    category: &'static str,
    (price, cost, low_stock): (i64, i64, i64),
    batches: &'static [(&'static str, i64, i64)],
) -> DemoProduct {
    DemoProduct { sku, name, brand, spec, category, price, cost, low_stock, batches }
}

/// One product runs low (防晒) and one batch nears its expiry (眼霜 EY2511).
const PRODUCTS: &[DemoProduct] = &[
    product("SKU-HY01", "玻尿酸补水精华", ("润颜", "30ml"), "产品", (268, 110, 5), &[("HY2601", 12, 400)]),
    product("SKU-CL02", "氨基酸洁面乳", ("润颜", "120g"), "产品", (128, 45, 5), &[("CL2603", 20, 500)]),
    product("SKU-SP03", "防晒隔离霜", ("素肌", "SPF50 40ml"), "产品", (198, 70, 5), &[("SP2602", 3, 300)]),
    product("SKU-EY04", "紧致眼霜", ("素肌", "15g"), "产品", (328, 130, 3), &[("EY2511", 2, 20), ("EY2604", 6, 420)]),
    product("MASK-01", "补水面膜", ("润颜", "片"), "耗材", (30, 8, 30), &[("MK2609", 120, 250)]),
    product("OIL-01", "SPA 按摩精油", ("植萃", "500ml"), "耗材", (160, 60, 2), &[("OL2605", 4, 330)]),
];

/// (service, product sku, units per treatment)
const MATERIALS: &[(&str, &str, i64)] = &[("补水保湿护理", "MASK-01", 1), (NEW_SERVICE, "MASK-01", 1)];

/// The demo's packages (套餐): (name, price, days valid, items).
const PACKAGES: &[(&str, i64, i64, &[&str])] = &[
    ("焕颜补水套餐", 1288, 180, &["补水保湿护理*5", "玻尿酸补水精华*1"]),
    ("肩颈调理十次卡", 1580, 365, &["肩颈舒缓按摩*10"]),
];

const CONCERNS: &[&str] = &["干燥", "出油", "痘痘", "色斑", "细纹", "敏感", "毛孔粗大", "暗沉"];
const ALLERGIES: &[&str] = &["", "", "", "", "", "", "", "", "", "果酸过敏", "酒精过敏", "对芦荟过敏", "花粉过敏"];

impl App {
    /// Seeds the shop. Refuses a database that already has customers.
    pub fn seed_demo(&mut self, size: DemoSize, seed: u64) -> Result<DemoReport> {
        let now = self.now();
        let tz = self.tz();
        let today = business_date(now, tz);
        let opening = self.config.shop.opening_hours.clone();
        let mut rng = StdRng::seed_from_u64(seed);
        self.store.write(|tx| {
            if tx.count(Table::Customers)? > 0 {
                return Err(AppError::input("demo-data", "数据库中已有顾客，演示数据只能写入空的店 / the database already has customers: demo data only goes into an empty shop"));
            }
            for (name, kind) in [("1号房", "facial"), ("2号房", "facial"), ("3号房", "facial"), ("光子仪", "ipl"), ("SPA房", "body"), ("SPA双人房", "body")] {
                tx.insert_resource(name, kind, now)?;
            }
            let mut staff = Vec::new();
            for (i, (name, role, pct)) in STAFF.iter().enumerate() {
                let phone = Phone::parse(&format!("1390000{:04}", i + 1)).ok();
                let s = tx.insert_staff(
                    &NewStaff {
                        name: (*name).into(),
                        role: *role,
                        phone,
                        pin_hash: None,
                        service_commission_pct: pct.parse().unwrap_or_default(),
                        product_commission_pct: Decimal::from(8),
                    },
                    now,
                )?;
                staff.push(s);
            }
            let beauticians: Vec<_> = staff.iter().filter(|s| s.role == StaffRole::Beautician).cloned().collect();
            let mut services = Vec::new();
            for (name, cat, min, price, res) in SERVICES {
                services.push(tx.insert_service(
                    &NewService { name: (*name).into(), category: (*cat).into(), duration_min: *min, price: Decimal::from(*price), resource_kind: res.map(Into::into) },
                    now,
                )?);
            }
            // Shifts: every beautician works six days of seven, from 7 days back to 14 ahead.
            for d in -7..=14 {
                let date = today + Duration::days(d);
                let Some(open) = opening.on(date, tz) else { continue };
                for (i, s) in staff.iter().enumerate() {
                    if (date.num_days_from_ce() as usize + i).is_multiple_of(7) {
                        continue;
                    }
                    let late = i % 2 == 1;
                    let start = if late { open.start + Duration::hours(2) } else { open.start };
                    let end = if late { open.end } else { open.end - Duration::hours(2) };
                    tx.insert_shift(&s.id, Interval::new(start, end), now)?;
                }
            }
            let mut phones = HashSet::new();
            let mut customers = Vec::with_capacity(size.customers);
            for i in 0..size.customers {
                let female = rng.random_bool(0.88);
                let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
                let given = if female { GIVEN_F[rng.random_range(0..GIVEN_F.len())] } else { GIVEN_M[rng.random_range(0..GIVEN_M.len())] };
                let phone = loop {
                    let p = format!("1{}{:09}", [3, 5, 7, 8, 9][rng.random_range(0..5)], rng.random_range(0..1_000_000_000u64));
                    if phones.insert(p.clone()) {
                        break Phone::parse(&p).map_err(AppError::from)?;
                    }
                };
                let birthday = NaiveDate::from_ymd_opt(rng.random_range(1965..2004), rng.random_range(1..=12), rng.random_range(1..=28));
                let concerns: Vec<String> = (0..rng.random_range(0..3)).map(|_| CONCERNS[rng.random_range(0..CONCERNS.len())].to_string()).collect::<HashSet<_>>().into_iter().collect();
                let tier = match rng.random_range(0..100) {
                    0..=59 => "普通",
                    60..=84 => "银卡",
                    85..=96 => "金卡",
                    _ => "钻石",
                };
                let c = tx.insert_customer(
                    &NewCustomer {
                        name: format!("{surname}{given}"),
                        phone: Some(phone),
                        gender: if female { Gender::Female } else { Gender::Male },
                        birthday,
                        tier: Some(tier.into()),
                        skin_type: Some(["干性", "油性", "混合性", "中性", "敏感性"][i % 5].into()),
                        skin_concerns: concerns,
                        allergies: ALLERGIES[rng.random_range(0..ALLERGIES.len())].into(),
                        source: "demo".into(),
                        privacy_notice: Some("2026-11".into()),
                        marketing_consent: rng.random_bool(0.6),
                        tags: TAGS.iter().filter(|(every, _)| i % every == every - 1).map(|(_, t)| (*t).to_string()).collect(),
                        ..NewCustomer::default()
                    },
                    now - Duration::days(rng.random_range(0..size.days_of_history.max(1) + 200)),
                )?;
                customers.push(c);
            }
            // The tiers' discounts, as an owner would set them (`salonbox tier set`).
            let mut tiers = tx.tiers()?;
            for t in &mut tiers {
                let off = match t.rank {
                    0 => 0,
                    1 => 5,
                    2 => 10,
                    _ => 15,
                };
                if off > 0 {
                    t.discounts.insert("*".into(), Decimal::from(off));
                    tx.upsert_tier(t, now)?;
                }
            }
            // A year of visits: each customer has a rhythm of 2 to 10 weeks. They are
            // written in time order, as a shop writes them.
            let mut plan: Vec<(DateTime<Utc>, usize)> = Vec::new();
            for (ci, _) in customers.iter().enumerate() {
                let rhythm = rng.random_range(14..70);
                let mut day = size.days_of_history - rng.random_range(0..rhythm);
                while day > 0 {
                    let date = today - Duration::days(day);
                    let Some(open) = opening.on(date, tz) else {
                        day -= 1;
                        continue;
                    };
                    let minute = rng.random_range(0..(open.end - open.start).num_minutes() - 120);
                    plan.push((open.start + Duration::minutes(minute + 90), ci));
                    day -= rhythm + rng.random_range(-3..=3);
                }
            }
            plan.sort_unstable();
            let mut rated = StdRng::seed_from_u64(seed ^ 0x5eed_f00d);
            for (at, ci) in plan {
                let c = &customers[ci];
                let s = &services[rng.random_range(0..services.len())];
                let b = &beauticians[rng.random_range(0..beauticians.len())];
                let list = to_fen(s.price)?;
                let off = tiers
                    .iter()
                    .find(|t| Some(&t.name) == c.tier.as_ref())
                    .and_then(|t| t.discounts.get("*").copied())
                    .unwrap_or_default();
                let amount = to_fen(crate::domain::checkout::round_yuan(s.price * (Decimal::ONE_HUNDRED - off) / Decimal::ONE_HUNDRED))?;
                let mut items = vec![NewVisitItem { kind: "service", service_id: Some(s.id.clone()), product_id: None, course_id: None, staff_id: Some(b.id.clone()), quantity: 1, list_price_fen: list, amount_fen: amount }];
                if rng.random_bool(0.1) {
                    let extra = &services[rng.random_range(0..services.len())];
                    let p = to_fen(extra.price)?;
                    items.push(NewVisitItem { kind: "service", service_id: Some(extra.id.clone()), product_id: None, course_id: None, staff_id: Some(b.id.clone()), quantity: 1, list_price_fen: p, amount_fen: p });
                }
                let total: i64 = items.iter().map(|i| i.amount_fen).sum();
                // her commission at her rate, as a checkout would count it
                let commissions = items
                    .iter()
                    .enumerate()
                    .map(|(item, i)| NewCommission {
                        item,
                        staff_id: b.id.clone(),
                        rate_pct: b.service_commission_pct,
                        amount_fen: (Decimal::from(i.amount_fen) * b.service_commission_pct / Decimal::ONE_HUNDRED)
                            .round()
                            .to_i64()
                            .unwrap_or(0),
                    })
                    .collect();
                let method = ["wechat", "wechat", "alipay", "cash", "card"][rng.random_range(0..5)];
                let visit = tx.insert_visit(&NewVisit {
                    customer_id: Some(c.id.clone()),
                    items,
                    payments: if total > 0 { vec![(method, total)] } else { vec![] },
                    points: vec![NewPoints { delta: total / 100, reason: "earned", rule: None, expires_at: Some(at + Duration::days(365)) }],
                    commissions,
                    at,
                    ..NewVisit::default()
                })?;
                // about a third of the customers rate their visit (a generator of its own,
                // so that the rest of the demo stays as it was)
                if rated.random_bool(0.35) {
                    let stars = [5, 5, 5, 5, 5, 5, 4, 4, 4, 3][rated.random_range(0..10)];
                    tx.insert_feedback(&tx.visit_brief(&visit)?, stars, "", "demo", at + Duration::hours(3))?;
                }
            }
            // Today and the next days: appointments that respect every booking rule.
            for d in 0..7 {
                let date = today + Duration::days(d);
                let Some(open) = opening.on(date, tz) else { continue };
                let shifts_day = tx.shifts(None, day_bounds(date, tz))?;
                for _ in 0..14 {
                    let c = &customers[rng.random_range(0..customers.len())];
                    let s = &services[rng.random_range(0..services.len())];
                    let b = &beauticians[rng.random_range(0..beauticians.len())];
                    let slot = rng.random_range(0..((open.end - open.start).num_minutes() / 30));
                    let start = open.start + Duration::minutes(slot * 30);
                    let when = Interval::new(start, start + Duration::minutes(s.duration_min.into()));
                    let shifts: Vec<Interval> = shifts_day.iter().filter(|x| x.staff_id == b.id).map(|x| Interval::new(x.starts_at, x.ends_at)).collect();
                    let existing = tx.booked_overlapping(when)?;
                    let resource = match &s.resource_kind {
                        Some(kind) => tx.resources_of_kind(kind)?.into_iter().find(|(id, _)| !existing.iter().any(|e| e.resource_id.as_deref() == Some(id))),
                        None => Some((String::new(), String::new())),
                    };
                    let Some((resource_id, resource_name)) = resource else { continue };
                    let resource_id = (!resource_id.is_empty()).then_some(resource_id);
                    let p = Proposed { customer_id: c.id.clone(), staff_id: Some(b.id.clone()), resource_id: resource_id.clone(), when, buffer_min: s.buffer_min };
                    let ctx = BookingContext { tz, opening: Some(open), staff_shifts: &shifts, staff_name: &b.name, resource_name: &resource_name, existing: &existing, ignore_id: None };
                    // Today's earlier appointments happened: seed them as done.
                    let booked_at = now.min(open.start);
                    if check(&p, booked_at, &ctx).is_ok() {
                        let a = tx.insert_appointment(
                            &NewAppointment {
                                customer_id: c.id.clone(),
                                service_id: s.id.clone(),
                                staff_id: p.staff_id,
                                resource_id,
                                when,
                                buffer_min: s.buffer_min,
                                group_id: None,
                                note: String::new(),
                                source: "demo".into(),
                                customer_name: c.name.clone(),
                                service_name: s.name.clone(),
                                staff_name: Some(b.name.clone()),
                                resource_name: (!resource_name.is_empty()).then_some(resource_name),
                            },
                            now,
                        )?;
                        if a.ends_at <= now {
                            tx.set_appointment_status(&a.id, AppointmentStatus::Completed, None, now)?;
                        }
                    }
                }
            }
            Ok(())
        })?;
        self.seed_demo_shelf()?;
        // the year's expiries recorded, as the daemon's daily job would have done
        self.store.write(|tx| super::jobs::record_expiries(tx, now).map(|_| ()))?;
        self.store.read(|tx| {
            Ok(DemoReport {
                staff: tx.count(Table::Staff)?,
                services: tx.count(Table::Services)?,
                customers: tx.count(Table::Customers)?,
                visits: tx.count(Table::Visits)?,
                appointments: tx.count(Table::Appointments)?,
            })
        })
    }

    /// What an owner sets up beside the history, through the same calls the command line
    /// makes: a new service, the coupon templates, products with stock (one running low,
    /// one batch near its expiry) and the materials treatments use.
    /// The demo's story needs someone arriving for an appointment, whatever the hour it is
    /// played: when nobody is due now, a demo customer's treatment is booked to start a
    /// quarter of an hour from now (through the ordinary booking rules). Returns it.
    /// The demo's back-office logins, one per role: PINs for a beautician, the front desk
    /// and the manager, and an owner with a password. Returns `(role, name, PIN or password)`.
    pub fn seed_demo_logins(&mut self) -> Result<Vec<(crate::domain::model::StaffRole, String, String)>> {
        use crate::domain::model::StaffRole;
        let now = self.now();
        let mut logins = Vec::new();
        for (name, role, pin) in DEMO_PINS {
            let staff = self.store.read(|tx| Ok::<_, AppError>(tx.find_staff(name)?))?;
            let hash = super::staff::hash_pin(pin)?;
            self.store.write(|tx| tx.set_staff_pin(&staff.id, &hash, now))?;
            logins.push((*role, (*name).to_string(), (*pin).to_string()));
        }
        let owner = self.add_staff(
            &super::staff::StaffInput { name: DEMO_OWNER.0.into(), role: "owner".into(), ..Default::default() },
            "demo",
        )?;
        self.set_password(&owner.id, DEMO_OWNER.1, "demo", "demo")?;
        // the demo shop is set up: its owner is not sent through the first-run wizard
        self.finish_setup("demo")?;
        logins.insert(0, (StaffRole::Owner, DEMO_OWNER.0.to_string(), DEMO_OWNER.1.to_string()));
        Ok(logins)
    }

    pub fn seed_demo_arrival(&mut self) -> Result<Option<crate::domain::model::Appointment>> {
        let now = self.now();
        let window = self.config.checkin.window;
        let today = self.appointments_on(None, None, false)?;
        if today
            .iter()
            .any(|a| a.status == crate::domain::model::AppointmentStatus::Booked && window.matches(a.starts_at, now))
        {
            return Ok(None);
        }
        let start = now + Duration::minutes(15);
        let start = start.with_timezone(&self.tz()).format("%Y-%m-%d %H:%M").to_string();
        let services: Vec<_> =
            self.list_services(false)?.into_iter().filter(|s| s.resource_kind.is_none()).take(5).collect();
        let busy: std::collections::HashSet<String> = today.iter().map(|a| a.customer_id.clone()).collect();
        let customers: Vec<_> = self
            .list_customers(40, 0)?
            .into_iter()
            .filter(|c| c.phone.is_some() && !busy.contains(&c.id))
            .take(5)
            .collect();
        for c in &customers {
            for s in &services {
                let request = crate::app::booking::BookingRequest {
                    customer: c.id.clone(),
                    service: s.id.clone(),
                    staff: None,
                    resource: None,
                    start: start.clone(),
                    note: String::new(),
                    source: "demo".into(),
                };
                if let Ok(a) = self.book(&request) {
                    return Ok(Some(a));
                }
            }
        }
        Ok(None)
    }

    fn seed_demo_shelf(&mut self) -> Result<()> {
        const BY: &str = "demo";
        self.add_service(NEW_SERVICE, "面部护理", 60, "368", Some("facial"), BY)?;
        for (name, kind, days) in coupon_templates() {
            self.add_coupon_template(name, &kind, days, 1, BY)?;
        }
        let today = self.today();
        for p in PRODUCTS {
            self.add_product(p.sku, p.name, p.category, Decimal::from(p.price), BY)?;
            let details = ProductDetails {
                brand: p.brand.into(),
                spec: p.spec.into(),
                supplier: "广州美源化妆品有限公司".into(),
                cost: Decimal::from(p.cost),
                low_stock: p.low_stock,
            };
            self.set_product_details(p.sku, &details, BY)?;
            for (batch, quantity, days) in p.batches {
                let expires = (today + Duration::days(*days)).to_string();
                self.stock_in(p.sku, *quantity, batch, Some(&expires), Some(Decimal::from(p.cost)), BY)?;
            }
        }
        for (service, sku, units) in MATERIALS {
            self.set_service_material(service, sku, *units, BY)?;
        }
        for (name, price, days, items) in PACKAGES {
            let draft = super::packages::PackageDraft {
                name: (*name).into(),
                price: Decimal::from(*price),
                valid_days: Some(*days),
                items: items.iter().map(|i| (*i).into()).collect(),
            };
            self.define_package(&draft, BY)?;
        }
        Ok(())
    }
}
