//! `salonbox service`, `staff` and `resource`: what the shop offers, who works when, its rooms.

use super::*;

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// 店名（印在小票上）/ the name (on receipts)
    #[arg(long)]
    name: Option<String>,
    /// 地址 / address
    #[arg(long)]
    address: Option<String>,
    /// 电话 / phone
    #[arg(long)]
    phone: Option<String>,
    /// 营业时间，周一到周日，逗号分隔，如 "closed,10:00-21:00,…" / hours Monday to Sunday, comma-separated
    #[arg(long)]
    hours: Option<String>,
}

/// `salonbox profile`: shows or changes the shop's profile (kept in the database, as the
/// back office's wizard does).
pub fn profile(app: &mut App, a: ProfileArgs) -> Result<Outcome, CliError> {
    let mut p = app.shop_profile();
    let changing = a.name.is_some() || a.address.is_some() || a.phone.is_some() || a.hours.is_some();
    if let Some(v) = a.name {
        p.name = v;
    }
    if let Some(v) = a.address {
        p.address = v;
    }
    if let Some(v) = a.phone {
        p.phone = v;
    }
    if let Some(h) = a.hours {
        let days: Vec<&str> = h.split([',', '，']).collect();
        if days.len() != 7 {
            return Err(CliError::Usage(format!(
                "--hours 需要 7 天（周一到周日），给了 {} 天 / --hours needs 7 days (Monday to Sunday), got {}",
                days.len(),
                days.len()
            )));
        }
        for (i, d) in days.iter().enumerate() {
            p.hours.days[i] = crate::domain::time::OpeningHours::parse_day(d)
                .map_err(|m| CliError::Usage(format!("--hours {}：{m}", crate::app::setup::day_label(i))))?;
        }
    }
    if changing {
        app.set_shop_profile(&p, "cli")?;
    }
    let hours: Vec<String> = p
        .hours
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let span = d.map_or_else(
                || "休息 closed".to_string(),
                |(a, b)| format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")),
            );
            format!("{} {span}", crate::app::setup::day_label(i))
        })
        .collect();
    say(&format!(
        "店名 name: {}\n地址 address: {}\n电话 phone: {}\n营业时间 hours: {}",
        p.name,
        p.address,
        p.phone,
        hours.join("；")
    ))?;
    Ok(Outcome::Ok)
}

#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// 添加服务 / add a service
    Add {
        /// 名称 / name
        #[arg(long)]
        name: String,
        /// 类别 / category
        #[arg(long, default_value = "其他")]
        category: String,
        /// 时长（分钟）/ duration in minutes
        #[arg(long)]
        minutes: u32,
        /// 价格（元）/ price in yuan
        #[arg(long)]
        price: String,
        /// 需要的房间/设备类型 / kind of room or device it needs
        #[arg(long)]
        resource_kind: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 设置整理时间（服务后美容师和房间需空出的分钟数）/ set the clean-up time after a service
    /// (minutes its beautician and room stay taken)
    Buffer {
        /// 服务名称或编号 / service name or id
        name: String,
        /// 分钟 / minutes (0-240)
        minutes: u32,
    },
    /// 改价格和时长，可指定生效日期（已结账的消费不变）/ change a price and duration, from a
    /// later day if given (visits keep what they were sold at)
    Price {
        /// 服务名称或编号 / service name or id
        name: String,
        /// 新价格（元）/ the new price in yuan
        price: String,
        /// 新时长（分钟，默认不变）/ the new duration in minutes (default: unchanged)
        #[arg(long)]
        minutes: Option<u32>,
        /// 生效日期 YYYY-MM-DD（默认今天）/ from this day (default today)
        #[arg(long)]
        from: Option<String>,
    },
    /// 服务价目表 / the price list
    List {
        /// 包括已停用 / include inactive
        #[arg(long)]
        all: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCmd {
    /// 添加员工 / add a staff member
    Add {
        /// 名称 / name
        #[arg(long)]
        name: String,
        /// beautician / front_desk / manager / owner（美容师/前台/店长/店主）
        #[arg(long, default_value = "beautician")]
        role: String,
        /// 手机号 / mobile number
        #[arg(long)]
        phone: Option<String>,
        /// 从标准输入读取 4-6 位 PIN / read a 4-6 digit PIN from standard input
        #[arg(long)]
        pin_stdin: bool,
        /// 服务提成 % / service commission %
        #[arg(long)]
        service_commission: Option<String>,
        /// 产品提成 % / product commission %
        #[arg(long)]
        product_commission: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 设置后台密码（店主用密码登录后台；从标准输入读取）/ set a back-office password (the
    /// owner logs in to the back office with it; read from standard input)
    Password {
        /// 员工姓名 / the staff member's name
        name: String,
    },
    /// 员工列表 / list staff
    List {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 排班 / add a shift
    Shift {
        /// 员工姓名或编号 / staff name or id
        staff: String,
        /// 日期 / date (default today)
        #[arg(long)]
        date: Option<String>,
        /// 10:00-18:00
        #[arg(long)]
        hours: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 某日排班 / shifts of a day
    Shifts {
        /// 日期（默认今天）/ date (default today), 2026-11-23
        #[arg(long)]
        date: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCmd {
    /// 添加房间或设备 / add a room or device
    Add {
        /// 名称 / name
        name: String,
        /// 类型，如 facial、ipl、body / kind, e.g. facial, ipl, body
        #[arg(long)]
        kind: String,
    },
}

pub(super) fn service(app: &mut App, s: ServiceCmd) -> Result<Outcome, CliError> {
    match s {
        ServiceCmd::Buffer { name, minutes } => {
            let s = app.set_service_buffer(&name, minutes, "cli")?;
            say(&format!(
                "{}：服务后整理 {} 分钟 / {}: {} minutes of clean-up after it",
                s.name, s.buffer_min, s.name, s.buffer_min
            ))?;
        }
        ServiceCmd::Price { name, price, minutes, from } => {
            let from = super::parse_date(from.as_deref())?;
            let out = app.change_service_price(&name, &price, minutes, from, "cli")?;
            say(&super::messages::rule_change_outcome(&name, &out))?;
        }
        ServiceCmd::Add { name, category, minutes, price, resource_kind, json } => {
            let s = app.add_service(&name, &category, minutes, &price, resource_kind.as_deref(), "cli")?;
            if json {
                print_json(&s)?
            } else {
                say(&msg::service_added(&s.name, &s.price.to_string(), s.duration_min))?
            }
        }
        ServiceCmd::List { all, json } => {
            let list = app.list_services(all)?;
            print_rows(json, &list, msg::headers_services(), |s| {
                [s.name.clone(), s.category.clone(), s.duration_min.to_string(), format!("¥{}", s.price), s.id.clone()]
            })?;
        }
    }
    Ok(Outcome::Ok)
}

pub(super) fn staff(app: &mut App, s: StaffCmd) -> Result<Outcome, CliError> {
    match s {
        StaffCmd::Add { name, role, phone, pin_stdin, service_commission, product_commission, json } => {
            let pin = if pin_stdin { Some(read_secret_line("PIN: ")?) } else { None };
            let st =
                app.add_staff(&StaffInput { name, role, phone, pin, service_commission, product_commission }, "cli")?;
            if json { print_json(&st)? } else { say(&msg::staff_added(&st.name, st.role.label_zh()))? }
        }
        StaffCmd::Password { name } => {
            let password = read_secret_line("密码 password: ")?;
            let staff = app.list_staff()?.into_iter().find(|s| s.name == name.trim() || s.id == name.trim());
            let Some(staff) = staff else {
                return Err(CliError::Usage(format!("没有这位员工：{name} / no such staff member: {name}")));
            };
            app.set_password(&staff.id, &password, "cli", "cli")?;
            say(&format!("已为 {} 设置后台密码 / back-office password set for {}", staff.name, staff.name))?;
        }
        StaffCmd::List { json } => {
            let list = app.list_staff()?;
            print_rows(json, &list, msg::headers_staff(), |s| {
                [
                    s.name.clone(),
                    s.role.label_zh().into(),
                    s.phone.as_ref().map(Phone::to_string).unwrap_or_default(),
                    msg::yes_no(s.active).into(),
                    s.id.clone(),
                ]
            })?;
        }
        StaffCmd::Shift { staff, date, hours, json } => {
            let date = parse_date(date.as_deref())?.unwrap_or_else(|| app.today());
            let shift = app.add_shift(&staff, date, &hours, "cli")?;
            if json {
                print_json(&shift)?;
            } else {
                let tz = app.tz();
                say(&msg::shift_added(&staff, &local_span(shift.starts_at, shift.ends_at, tz)))?;
            }
        }
        StaffCmd::Shifts { date, json } => {
            let date = parse_date(date.as_deref())?.unwrap_or_else(|| app.today());
            let list = app.shifts_on(date)?;
            if json {
                print_json(
                    &list
                        .iter()
                        .map(|(s, sh)| serde_json::json!({ "staff": s.name, "staff_id": s.id, "shift": sh }))
                        .collect::<Vec<_>>(),
                )?;
            } else {
                let tz = app.tz();
                let rows: Vec<[String; 3]> = list
                    .iter()
                    .map(|(s, sh)| [s.name.clone(), local_span(sh.starts_at, sh.ends_at, tz), sh.id.clone()])
                    .collect();
                say(table::render(msg::headers_shifts(), &rows).trim_end())?;
            }
        }
    }
    Ok(Outcome::Ok)
}

pub(super) fn resource(app: &mut App, cmd: ResourceCmd) -> Result<Outcome, CliError> {
    let ResourceCmd::Add { name, kind } = cmd;
    app.add_resource(&name, &kind)?;
    say(&msg::resource_added(&name))?;
    Ok(Outcome::Ok)
}
