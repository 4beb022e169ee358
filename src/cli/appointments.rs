//! `salonbox appointment` and `waitlist`: bookings and the slot wait list.

use super::*;

#[derive(Debug, Subcommand)]
pub enum WaitlistCmd {
    /// 加入候补 / put a customer on the wait list
    Add {
        /// 顾客手机号、会员号或编号 / customer phone, member code or id
        #[arg(long)]
        customer: String,
        /// 服务名称或编号 / service name or id
        #[arg(long)]
        service: String,
        /// 指定美容师（不填则任一位）/ beautician (any if omitted)
        #[arg(long)]
        staff: Option<String>,
        /// 最早开始 / earliest start, shop time: "2026-11-24 10:00"
        #[arg(long)]
        from: String,
        /// 最晚开始 / latest start: "2026-11-24 18:00"
        #[arg(long)]
        to: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 候补名单 / the wait list (waiting and offered; `--all` for every entry)
    List {
        #[arg(long)]
        all: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 顾客接受空位：预约 / the customer takes the slot offered: book it
    Accept {
        /// 候补编号 / wait-list entry id
        id: String,
    },
    /// 取消候补 / take a customer off the wait list
    Cancel {
        /// 候补编号 / wait-list entry id
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppointmentCmd {
    /// 预约 / book
    Book {
        /// 顾客手机号、会员号或编号 / customer phone, member code or id
        #[arg(long)]
        customer: String,
        /// 服务名称或编号；可多次给出，按顺序连续安排 / service name or id; give it several
        /// times to book services back to back
        #[arg(long, required = true)]
        service: Vec<String>,
        /// 美容师姓名或编号（不填则任一位；多项服务时可逐项给出）/ beautician name or id (any if
        /// omitted; with several services, one per service or one for all)
        #[arg(long)]
        staff: Vec<String>,
        /// 房间/设备（不填则自动安排）/ room or device (picked automatically if omitted)
        #[arg(long)]
        resource: Option<String>,
        /// 开始时间（店铺时区）/ start, shop time: "2026-11-23 14:30"
        #[arg(long)]
        at: String,
        /// 备注 / note
        #[arg(long, default_value = "")]
        note: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 某日预约 / appointments of a day
    List {
        /// 日期（默认今天）/ date (default today), 2026-11-23
        #[arg(long)]
        date: Option<String>,
        /// 美容师姓名或编号 / beautician name or id
        #[arg(long)]
        staff: Option<String>,
        /// 包括已取消 / include cancelled
        #[arg(long)]
        all: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 改约：换时间或美容师 / move to another time or beautician
    Move {
        /// 预约编号 / appointment id
        id: String,
        /// 新的开始时间（店铺时区）/ new start, shop time: "2026-11-23 15:00"
        #[arg(long)]
        at: String,
        /// 换成这位美容师 / to this beautician
        #[arg(long)]
        staff: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 标记未到店 / mark a no-show
    NoShow {
        /// 预约编号 / appointment id
        id: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 取消预约 / cancel
    Cancel {
        /// 预约编号 / appointment id
        id: String,
        /// 取消原因 / reason
        #[arg(long)]
        reason: Option<String>,
        /// 连同同一预约的其他服务一起取消 / cancel the other services of the same booking too
        #[arg(long)]
        whole: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn print_appointments(app: &App, list: &[crate::domain::model::Appointment]) -> Result<(), CliError> {
    let tz = app.tz();
    let rows: Vec<[String; 6]> = list
        .iter()
        .map(|a| {
            [
                local_span(a.starts_at, a.ends_at, tz),
                a.customer_name.clone(),
                a.service_name.clone(),
                a.staff_name.clone().unwrap_or_default(),
                a.status.label_zh().to_string(),
                a.id.clone(),
            ]
        })
        .collect();
    say(table::render(msg::headers_appointments(), &rows).trim_end())
}

pub(super) fn waitlist(app: &mut App, w: WaitlistCmd) -> Result<Outcome, CliError> {
    let tz = app.tz();
    match w {
        WaitlistCmd::Add { customer, service, staff, from, to, json } => {
            let e = app.waitlist_add(&customer, &service, staff.as_deref(), &from, &to, "cli")?;
            if json {
                print_json(&e)?;
            } else {
                say(&msg::waitlisted(
                    &e.id,
                    &e.customer_name,
                    &e.service_name,
                    &local_span(e.window_start_at, e.window_end_at, tz),
                ))?;
            }
        }
        WaitlistCmd::List { all, json } => {
            let list = app.waitlist(all)?;
            print_rows(
                json,
                &list,
                ["编号 id", "顾客 customer", "服务 service", "时间段 window", "状态 status", "空位 offered"],
                |e| {
                    [
                        e.id.clone(),
                        e.customer_name.clone(),
                        e.service_name.clone(),
                        local_span(e.window_start_at, e.window_end_at, tz),
                        e.status.clone(),
                        match (e.offered_start_at, e.hold_until) {
                            (Some(s), Some(h)) => {
                                format!("{}（保留至 / held until {}）", local_dt(s, tz), local_hm(h, tz))
                            }
                            _ => String::new(),
                        },
                    ]
                },
            )?;
        }
        WaitlistCmd::Accept { id } => {
            let a = app.waitlist_accept(&id, "cli")?;
            say(&msg::booked(&a.id, &local_dt(a.starts_at, tz), &a.service_name, a.staff_name.as_deref()))?;
        }
        WaitlistCmd::Cancel { id } => {
            app.waitlist_cancel(&id, "cli")?;
            say(&msg::waitlist_cancelled(&id))?;
        }
    }
    Ok(Outcome::Ok)
}

pub(super) fn appointment(app: &mut App, a: AppointmentCmd) -> Result<Outcome, CliError> {
    match a {
        AppointmentCmd::Book { customer, service, staff, resource, at, note, json } => {
            if staff.len() > 1 && staff.len() != service.len() {
                return Err(CliError::Usage(
                    "--staff 应给一次（全部）或每项服务一次 / give --staff once (for all) or once per service".into(),
                ));
            }
            let items: Vec<BookingItem> = service
                .iter()
                .enumerate()
                .map(|(i, s)| BookingItem {
                    service: s.clone(),
                    staff: staff.get(i).or(staff.first()).cloned(),
                    resource: if service.len() == 1 { resource.clone() } else { None },
                })
                .collect();
            let booked = app.book_many(&MultiBooking { customer, items, start: at, note, source: "cli".into() })?;
            if json {
                if let [one] = booked.as_slice() { print_json(one)? } else { print_json(&booked)? }
            } else {
                let tz = app.tz();
                for appt in &booked {
                    say(&msg::booked(
                        &appt.id,
                        &local_dt(appt.starts_at, tz),
                        &appt.service_name,
                        appt.staff_name.as_deref(),
                    ))?;
                }
            }
        }
        AppointmentCmd::Move { id, at, staff, json } => {
            let appt = app.move_appointment(&id, &at, staff.as_deref(), None, "cli")?;
            if json {
                print_json(&appt)?
            } else {
                say(&msg::booked(
                    &appt.id,
                    &local_dt(appt.starts_at, app.tz()),
                    &appt.service_name,
                    appt.staff_name.as_deref(),
                ))?
            }
        }
        AppointmentCmd::NoShow { id, json } => {
            let appt = app.mark_no_show(&id, "cli")?;
            if json { print_json(&appt)? } else { say(&format!("{}：{}", appt.id, appt.status.label_zh()))? }
        }
        AppointmentCmd::List { date, staff, all, json } => {
            let date = parse_date(date.as_deref())?;
            let list = app.appointments_on(date, staff.as_deref(), all)?;
            if json { print_json(&list)? } else { print_appointments(app, &list)? }
        }
        AppointmentCmd::Cancel { id, reason, whole: false, json } => {
            let a = app.cancel_appointment(&id, reason.as_deref(), "cli")?;
            if json { print_json(&a)? } else { say(&msg::cancelled(&a.id))? }
        }
        AppointmentCmd::Cancel { id, reason, whole: true, json } => {
            let all = app.cancel_booking(&id, reason.as_deref(), "cli")?;
            if json {
                print_json(&all)?
            } else {
                for a in &all {
                    say(&msg::cancelled(&a.id))?
                }
            }
        }
    }
    Ok(Outcome::Ok)
}
