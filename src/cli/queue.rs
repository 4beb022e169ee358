//! `salonbox checkin` and `queue`: the day's walk-ins and arrivals, in turn.

use super::*;

#[derive(Debug, Args)]
#[group(id = "who", required = true, multiple = false)]
pub struct CheckinWho {
    /// 手机号 / mobile number
    #[arg(long, group = "who")]
    phone: Option<String>,
    /// 会员号（如 M100001）/ member code (e.g. M100001)
    #[arg(long, group = "who")]
    member_code: Option<String>,
    /// 从标准输入读取身份证号 / read the ID card number from standard input
    #[arg(long, group = "who")]
    id_card_stdin: bool,
}

#[derive(Debug, Args)]
pub struct CheckinArgs {
    #[command(flatten)]
    who: CheckinWho,
    /// 无预约时的服务项目 / service for a walk-in
    #[arg(long)]
    service: Option<String>,
    /// 指定美容师 / beautician asked for
    #[arg(long)]
    staff: Option<String>,
    /// 打印排队小票 / print the queue ticket
    #[arg(long)]
    print: bool,
    /// 以 JSON 输出 / output JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueueCmd {
    /// 当前排队 / the live queue
    List {
        /// 包括已完成和离开 / include done and left
        #[arg(long)]
        all: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 叫号（不给号码则叫下一位）/ call a ticket (the next one if none given)
    Call {
        /// 排队号，如 W003 / ticket, e.g. W003
        ticket: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 开始服务 / start service
    Start {
        /// 排队号，如 W003 / ticket, e.g. W003
        ticket: String,
        /// 服务的美容师 / beautician serving
        #[arg(long)]
        staff: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 服务完成 / done
    Done {
        /// 排队号，如 W003 / ticket, e.g. W003
        ticket: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 顾客离开 / the customer left
    Left {
        /// 排队号，如 W003 / ticket, e.g. W003
        ticket: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn print_queue(app: &App, lines: &[crate::app::queue::QueueLine]) -> Result<(), CliError> {
    if lines.is_empty() {
        return say(msg::queue_empty());
    }
    let tz = app.tz();
    let rows: Vec<[String; 7]> = lines
        .iter()
        .map(|l| {
            let e = &l.entry;
            [
                e.ticket.clone(),
                crate::domain::customer::greeting_name(&e.customer_name, e.customer_gender),
                e.service_name.clone(),
                e.staff_name.clone().unwrap_or_default(),
                e.status.label_zh().to_string(),
                if e.status == QueueStatus::Waiting { l.ahead.to_string() } else { String::new() },
                l.estimated_start_at
                    .filter(|_| e.status == QueueStatus::Waiting)
                    .map(|t| local_hm(t, tz))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    say(table::render(msg::headers_queue(), &rows).trim_end())
}

pub(super) fn checkin(app: &mut App, c: CheckinArgs) -> Result<Outcome, CliError> {
    let identity = if let Some(p) = &c.who.phone {
        Identity::Phone(Phone::parse(p).map_err(AppError::from)?)
    } else if let Some(m) = &c.who.member_code {
        Identity::MemberCode(m.clone())
    } else {
        Identity::IdCard(app.id_card_key(&read_secret_line(msg::id_card_prompt())?)?)
    };
    let o = app.check_in(&CheckinRequest { identity, service: c.service, staff: c.staff })?;
    if c.json {
        print_json(&o)?;
    } else {
        say(&msg::checked_in(&o.greeting, &o.entry.ticket, o.already_checked_in))?;
        say(&msg::wait(o.ahead, o.wait_minutes))?;
    }
    if c.print {
        crate::station::printing::queue_ticket(app, &o)?;
        return device::print_now(app, c.json);
    }
    Ok(Outcome::Ok)
}

pub(super) fn queue(app: &mut App, action: Option<QueueCmd>, list_json: bool) -> Result<Outcome, CliError> {
    let (ticket, to, staff, json) = match action {
        None => (None, None, None, list_json),
        Some(QueueCmd::List { all, json }) => {
            let lines = app.queue(all)?;
            if json {
                print_json(&lines)?
            } else {
                print_queue(app, &lines)?
            }
            return Ok(Outcome::Ok);
        }
        Some(QueueCmd::Call { ticket, json }) => (ticket, Some(QueueStatus::Called), None, json),
        Some(QueueCmd::Start { ticket, staff, json }) => (Some(ticket), Some(QueueStatus::InService), staff, json),
        Some(QueueCmd::Done { ticket, json }) => (Some(ticket), Some(QueueStatus::Done), None, json),
        Some(QueueCmd::Left { ticket, json }) => (Some(ticket), Some(QueueStatus::Left), None, json),
    };
    match to {
        None => {
            let lines = app.queue(false)?;
            if json { print_json(&lines)? } else { print_queue(app, &lines)? }
        }
        Some(to) => {
            let e = app.queue_move(ticket.as_deref(), to, staff.as_deref(), "cli")?;
            if json {
                print_json(&e)?
            } else {
                say(&msg::queue_moved(&e.ticket, e.status.label_zh(), e.status.as_str()))?
            }
        }
    }
    Ok(Outcome::Ok)
}
