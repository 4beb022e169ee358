//! The `salonbox` command line: clap definitions, dispatch, tables and `--json`.
//!
//! Architecture Invariant: the command line calls `app` use cases only (the same ones the
//! kiosk calls) and prints; it holds no business rule and no SQL. Its messages live in
//! `messages.rs`.

mod campaign;
#[cfg(feature = "net")]
mod daemon;
mod device;
mod feedback;
pub mod messages;
mod money;
mod report;
mod soak;
mod stock;
#[cfg(feature = "net")]
mod sync;
mod table;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use thiserror::Error;

use crate::app::booking::BookingRequest;
use crate::app::checkin::{CheckinRequest, Identity};
use crate::app::customers::{CustomerSummary, Registration, parse_birthday, parse_gender};
use crate::app::demo::DemoSize;
use crate::app::import::ImportOptions;
use crate::app::staff::StaffInput;
use crate::app::{App, AppError};
use crate::clock::{Clock, FixedClock, SystemClock};
use crate::config::{Config, ConfigError, DEFAULT_DATA_DIR, SYSTEM_CONFIG};
use crate::domain::model::Customer;
use crate::domain::phone::Phone;
use crate::domain::queue::QueueStatus;
use crate::domain::time::{local_dt, local_hm, local_span};
use crate::store::CustomerPatch;
use messages as msg;

#[derive(Debug, Parser)]
#[command(
    name = "salonbox",
    version,
    about = "美容院门店一体机 / an in-store appliance for beauty salons",
    propagate_version = true
)]
pub struct Cli {
    /// 配置文件 / configuration file (default: /etc/salonbox/config.toml if present)
    #[arg(long, global = true, env = "SALONBOX_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// 数据目录，覆盖配置 / data directory, overrides the configuration
    #[arg(long, global = true, env = "SALONBOX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether this runs the long-lived daemon (which logs at info level by default).
    pub fn is_daemon(&self) -> bool {
        #[cfg(feature = "net")]
        if matches!(self.command, Command::Daemon) {
            return true;
        }
        false
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 初始化数据目录、设备密钥和数据库 / create the data directory, device key and database
    Init,
    /// 在临时目录中运行演示店铺 / run a demo shop in a temporary data directory
    Demo {
        /// 演示顾客数 / number of demo customers
        #[arg(long, default_value_t = 2000)]
        customers: usize,
        /// 不开窗口：播放脚本化的早晨并保存每个画面 / no window: play the scripted morning and save every screen
        #[arg(long)]
        headless: bool,
        /// 画面和小票的输出目录（默认：临时目录下的 salonbox-demo-screens，每次覆盖）/ where screens and tickets go (default: salonbox-demo-screens in the temporary directory, replaced each run)
        #[arg(long)]
        out: Option<PathBuf>,
        /// 结束后保留演示店铺的数据目录（默认删除）/ keep the demo shop's data directory afterwards (by default it is removed)
        #[arg(long)]
        keep: bool,
    },
    /// 自助签到机（触摸屏界面）/ the touchscreen check-in kiosk
    Kiosk {
        /// 不开窗口：渲染第一帧到 PNG 后退出（测速用）/ no window: render the first frame to a PNG and exit (for timing)
        #[arg(long, hide = true)]
        first_frame: Option<PathBuf>,
    },
    /// 生成演示数据（8 名员工、31 项服务、2000 位顾客、一年消费、优惠券、库存）/ seed a realistic demo shop
    DemoData {
        /// 演示顾客数 / number of demo customers
        #[arg(long, default_value_t = 2000)]
        customers: usize,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// 顾客 / customers
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// 导入 / import
    #[command(subcommand)]
    Import(ImportCmd),
    /// 服务项目 / services
    #[command(subcommand)]
    Service(ServiceCmd),
    /// 员工与排班 / staff and shifts
    #[command(subcommand)]
    Staff(StaffCmd),
    /// 房间与设备 / rooms and devices
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// 预约 / appointments
    #[command(subcommand)]
    Appointment(AppointmentCmd),
    /// 候补：等空位 / the slot wait list
    #[command(subcommand)]
    Waitlist(WaitlistCmd),
    /// 签到 / check a customer in
    Checkin(CheckinArgs),
    /// 排队 / the queue
    Queue {
        #[command(subcommand)]
        action: Option<QueueCmd>,
        /// 以 JSON 输出当前排队 / the live queue as JSON
        #[arg(long)]
        json: bool,
    },
    /// 结账 / check a visit out
    Checkout(money::CheckoutArgs),
    /// 消费记录 / visits
    #[command(subcommand)]
    Visit(money::VisitCmd),
    /// 储值卡 / stored value
    #[command(subcommand)]
    StoredValue(money::StoredValueCmd),
    /// 会员等级 / membership tiers
    #[command(subcommand)]
    Tier(money::TierCmd),
    /// 积分、提成、充值赠送、返点规则 / points, commission, top-up bonus and rebate rules
    #[command(subcommand)]
    Rules(money::RulesCmd),
    /// 优惠券 / coupons
    #[command(subcommand)]
    Coupon(money::CouponCmd),
    /// 商品 / products
    #[command(subcommand)]
    Product(money::ProductCmd),
    /// 营销活动：定义、预览、开始、效果 / campaigns: define, preview, start, report
    #[command(subcommand)]
    Campaign(campaign::CampaignCmd),
    /// 顾客评价 / customers' ratings of their visits
    #[command(subcommand)]
    Feedback(feedback::FeedbackCmd),
    /// 库存：入库、盘点、进出存、耗材 / inventory: receive, count, report, materials
    #[command(subcommand)]
    Stock(stock::StockCmd),
    /// 疗程卡/次卡 / prepaid courses
    #[command(subcommand)]
    Course(money::CourseCmd),
    /// 日报、周报、月报 / daily, weekly and monthly reports
    Report(report::ReportArgs),
    /// 断电耐久测试：不停签到并核对 / power-loss soak test: check in without end, then verify
    #[command(subcommand)]
    Soak(soak::SoakCmd),
    /// 检查配置、数据库和各设备 / check the configuration, the database and every device
    Doctor {
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// systemd 生成器：让自助机只能访问配置的网络打印机（由 systemd 调用）/ the systemd
    /// generator: lets the kiosk reach the configured network printer and nothing else (run by systemd)
    #[command(hide = true)]
    SystemdGenerator {
        /// systemd 的 normal 目录 / systemd's normal generator directory
        normal_dir: PathBuf,
        early_dir: Option<PathBuf>,
        late_dir: Option<PathBuf>,
    },
    /// 设备：读卡、打印测试、蜂鸣、打印队列 / devices: read a card, test print, beep, print queue
    #[command(subcommand)]
    Device(device::DeviceCmd),
    /// 后台服务：提醒、生日券、员工通知（systemd 运行）/ the daemon: reminders, coupons, staff alerts (run by systemd)
    #[cfg(feature = "net")]
    Daemon,
    /// 定时任务 / scheduled jobs
    #[cfg(feature = "net")]
    #[command(subcommand)]
    Jobs(daemon::JobsCmd),
    /// 消息队列 / the message outbox
    #[cfg(feature = "net")]
    #[command(subcommand)]
    Notifications(daemon::NotificationsCmd),
    /// 云同步 / cloud sync
    #[cfg(feature = "net")]
    #[command(subcommand)]
    Sync(sync::SyncCmd),
    /// 测试消息渠道 / try a message channel
    #[cfg(feature = "net")]
    #[command(subcommand)]
    Notify(daemon::NotifyCmd),
    /// 在线备份并校验 / verified online backup
    Backup {
        /// 备份目录 / target directory (default: <data dir>/backups)
        #[arg(long)]
        to: Option<PathBuf>,
        /// 保留最近几份备份 / how many backups to keep in that directory
        #[arg(long, default_value_t = 14)]
        keep: usize,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 从备份恢复；不给文件则列出备份 / restore from a backup; without a file, list the backups
    Restore {
        /// 备份文件（不给则列出可用的备份）/ the backup file (e.g. <data dir>/backups/salonbox-20261122-031500.sqlite3); without one, the backups there are listed
        backup: Option<PathBuf>,
        /// 备份的设备密钥与本机不同也恢复 / restore even if the backup was made with another device key
        #[arg(long)]
        ignore_key: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CustomerFields {
    /// 姓名 / name
    #[arg(long)]
    name: Option<String>,
    /// 手机号 / mobile number
    #[arg(long)]
    phone: Option<String>,
    /// 女/男 female/male
    #[arg(long)]
    gender: Option<String>,
    /// 1990-05-02
    #[arg(long)]
    birthday: Option<String>,
    /// 从标准输入读取身份证号（不要写在命令行上）/ read the ID card number from standard input
    #[arg(long)]
    id_card_stdin: bool,
    /// 会员等级（普通/银卡/金卡/钻石）/ membership tier
    #[arg(long)]
    tier: Option<String>,
    /// 肤质 / skin type
    #[arg(long)]
    skin_type: Option<String>,
    /// 皮肤问题，逗号分隔 / skin concerns, comma separated
    #[arg(long)]
    concerns: Option<String>,
    /// 过敏史 / allergies
    #[arg(long)]
    allergies: Option<String>,
    /// 禁忌症 / contraindications
    #[arg(long)]
    contraindications: Option<String>,
    /// 备注 / notes
    #[arg(long)]
    notes: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CustomerCmd {
    /// 绑定或解绑会员卡（读卡器读到的卡号）/ link or unlink a member card (the number its reader sends)
    Card {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 卡号 / card number
        card_no: String,
        /// 解绑 / unlink
        #[arg(long)]
        remove: bool,
    },
    /// 记一笔互动：投诉、备注、回访电话 / record a complaint, note or call against a customer
    Note {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 内容 / what happened
        text: String,
        /// complaint（投诉）、note（备注）、call（电话）
        #[arg(long, default_value = "note")]
        kind: String,
    },
    /// 顾客的互动记录（投诉、备注、电话、差评）/ a customer's record of complaints, notes, calls, low ratings
    Notes {
        key: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 应顾客要求删除其个人资料（保留匿名消费记录）/ delete a customer's personal data at their request (anonymous accounts stay)
    Delete {
        /// 手机号、会员号或编号 / phone, member code or id
        key: String,
        /// 确认删除（不可撤销）/ confirm: this cannot be undone
        #[arg(long)]
        yes: bool,
    },
    /// 登记顾客（须已告知隐私政策）/ register a customer (privacy notice given)
    Add {
        #[command(flatten)]
        fields: CustomerFields,
        /// 顾客同意接收营销信息 / the customer agrees to marketing messages
        #[arg(long)]
        marketing: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 列出顾客 / list customers
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 按姓名、手机号或会员号查找 / find by name, phone or member code
    Find {
        /// 姓名、手机号或会员号的一部分 / part of a name, phone number or member code
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 查看顾客（手机号、会员号或编号）/ show a customer (phone, member code or id)
    Show {
        /// 手机号、会员号或编号 / phone number, member code or id
        key: String,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
    /// 修改顾客 / edit a customer
    Edit {
        /// 手机号、会员号或编号 / phone number, member code or id
        key: String,
        #[command(flatten)]
        fields: CustomerFields,
        /// 营销同意：yes/no / marketing consent: yes/no
        #[arg(long)]
        marketing: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// 导入顾客表（.xlsx / .csv）/ import customers from .xlsx or .csv
    Customers {
        /// .xlsx 或 .csv 文件 / an .xlsx or .csv file
        file: PathBuf,
        /// 只检查，不写入 / check only, write nothing
        #[arg(long)]
        dry_run: bool,
        /// 有错误时仍导入正确的行 / import the good rows even if some are bad
        #[arg(long)]
        force_partial: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
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
        /// 从标准输入读取 4-8 位 PIN / read a 4-8 digit PIN from standard input
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
        /// 服务名称或编号 / service name or id
        #[arg(long)]
        service: String,
        /// 美容师姓名或编号（不填则任一位）/ beautician name or id (any if omitted)
        #[arg(long)]
        staff: Option<String>,
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
    /// 取消预约 / cancel
    Cancel {
        /// 预约编号 / appointment id
        id: String,
        /// 取消原因 / reason
        #[arg(long)]
        reason: Option<String>,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

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

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{0}")]
    Usage(String),
    #[error("输出失败：{0} / cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error("JSON 输出失败：{0} / cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Device(String),
    #[error(
        "SALONBOX_NOW 无效（应为 RFC 3339，如 2026-11-23T10:00:00+08:00）：{0} / SALONBOX_NOW is not RFC 3339: {0}"
    )]
    BadNow(String),
}

impl CliError {
    /// The reader of our output went away (`salonbox … | head`, `| grep -q`): it has what it
    /// wanted, so the command ends quietly and successfully, as `cat` or ripgrep do.
    pub fn is_broken_pipe(&self) -> bool {
        let kind = match self {
            CliError::Output(e) => Some(e.kind()),
            CliError::Json(e) => e.io_error_kind(),
            _ => None,
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    }

    /// The message for the user: each cause once. Most messages already name their cause
    /// (`…：{0}`); a cause the text so far does not contain is appended.
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let c_text = c.to_string();
            if !text.contains(&c_text) {
                text.push_str(": ");
                text.push_str(&c_text);
            }
            cause = c.source();
        }
        text
    }
}

/// A store error reached directly (a read the command makes itself) is an application error.
impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::App(e.into())
    }
}

/// How the command ended, for the exit code.
pub enum Outcome {
    Ok,
    /// The command ran but found problems the user must fix (e.g. bad import rows).
    Problems,
}

impl Outcome {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Problems => ExitCode::from(1),
        }
    }
}

fn clock() -> Result<Arc<dyn Clock>, CliError> {
    match std::env::var("SALONBOX_NOW") {
        Ok(v) if !v.trim().is_empty() => {
            let t = DateTime::parse_from_rfc3339(v.trim()).map_err(|_| CliError::BadNow(v.clone()))?;
            Ok(Arc::new(FixedClock::new(t.with_timezone(&Utc))))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// The configuration: `--config`/`SALONBOX_CONFIG`, else the system file if present (and
/// not turned off by `SALONBOX_CONFIG_NOSYSTEM`), else defaults; `--data-dir` overrides the data directory.
pub fn load_config(cli: &Cli) -> Result<(Config, PathBuf), CliError> {
    // `SALONBOX_CONFIG_NOSYSTEM=1` (as git's GIT_CONFIG_NOSYSTEM): not the installed shop's file
    // (tests, a second shop on the same machine).
    let no_system = std::env::var_os("SALONBOX_CONFIG_NOSYSTEM").is_some_and(|v| !v.is_empty() && v != "0");
    let system = (!no_system && Path::new(SYSTEM_CONFIG).exists()).then(|| PathBuf::from(SYSTEM_CONFIG));
    let path = cli.config.clone().or(system);
    let config = Config::load(path.as_deref())?;
    let dir = cli.data_dir.clone().unwrap_or_else(|| {
        if config.source.is_some() { config.shop.data_dir.clone() } else { PathBuf::from(DEFAULT_DATA_DIR) }
    });
    Ok((config, dir))
}

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

fn print_json<T: Serialize>(v: &T) -> Result<(), CliError> {
    let mut o = out();
    serde_json::to_writer_pretty(&mut o, v)?;
    writeln!(o)?;
    Ok(())
}

fn say(s: &str) -> Result<(), CliError> {
    writeln!(out(), "{s}")?;
    Ok(())
}

/// Items as a table, or as JSON with `--json`.
fn print_rows<T: Serialize, const N: usize>(
    json: bool,
    items: &[T],
    headers: [&str; N],
    row: impl Fn(&T) -> [String; N],
) -> Result<(), CliError> {
    if json {
        return print_json(&items);
    }
    let rows: Vec<[String; N]> = items.iter().map(row).collect();
    say(table::render(headers, &rows).trim_end())
}

fn read_secret_line(prompt: &str) -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// A money amount given on the command line (`--price 198`), the flag named if it is bad.
fn yuan(field: &str, s: &str) -> Result<rust_decimal::Decimal, CliError> {
    crate::domain::money::parse_yuan(s).map_err(|e| CliError::Usage(format!("{field}: {e}")))
}

/// A date given on the command line, the flag named if it is bad.
fn date(field: &str, s: &str) -> Result<NaiveDate, CliError> {
    parse_birthday(s).map_err(|_| CliError::Usage(msg::bad_date(field, s)))
}

fn parse_date(s: Option<&str>) -> Result<Option<NaiveDate>, CliError> {
    s.map(|d| parse_birthday(d).map_err(|m| CliError::Usage(format!("日期 date: {m}")))).transpose()
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    let (config, dir) = load_config(&cli)?;
    let clock = clock()?;
    match cli.command {
        Command::Init => {
            let r = crate::app::init(&config, &dir)?;
            say(&msg::initialised(&r.data_dir, r.created_key, r.schema_version))?;
            Ok(Outcome::Ok)
        }
        Command::Demo { customers, headless, out, keep } => {
            let clock = demo_clock(&config, clock);
            demo(config, clock, customers, headless, out, keep)
        }
        Command::DemoData { customers, days, seed } => {
            let mut app = App::open(config, &dir, clock)?;
            let r = app.seed_demo(DemoSize { customers, days_of_history: days }, seed)?;
            say(&msg::demo_seeded(r.staff, r.services, r.customers, r.visits, r.appointments))?;
            Ok(Outcome::Ok)
        }
        Command::Doctor { json } => device::doctor(&config, &dir, clock.now(), json),
        Command::SystemdGenerator { normal_dir, .. } => {
            let written = crate::station::sandbox::generate(&config.hardware, &normal_dir)
                .map_err(|source| crate::store::StoreError::Io { path: normal_dir.clone(), source })?;
            if let Some(path) = written {
                tracing::info!(path = %path.display(), "kiosk sandbox opened to the network printer");
            }
            Ok(Outcome::Ok)
        }
        // Before any App::open: a restore must work when the database does not open.
        Command::Restore { backup: None, json, .. } => {
            let list = crate::app::restore::list_backups(&dir, config.shop.time_zone)?;
            if json {
                print_json(&list)?
            } else {
                say(&msg::backups_listed(&list, config.shop.time_zone))?
            }
            Ok(Outcome::Ok)
        }
        Command::Restore { backup: Some(backup), ignore_key, json } => {
            let r = crate::app::restore::restore(&config, &dir, &backup, clock.now(), ignore_key)?;
            if json {
                print_json(&r)?
            } else {
                say(&msg::restored(&r))?
            }
            Ok(Outcome::Ok)
        }
        Command::Soak(cmd) => {
            if matches!(cmd, soak::SoakCmd::Write { .. }) {
                crate::app::init(&config, &dir)?;
            }
            soak::run(&mut App::open(config, &dir, clock)?, &dir, cmd)
        }
        // The services hold the service lock while they run: a restore waits for none of
        // them and refuses while any runs.
        Command::Kiosk { first_frame } => {
            let app = App::open(config, &dir, clock)?;
            let _running = crate::app::restore::ServiceLock::shared(&dir)?;
            kiosk(app, first_frame)
        }
        #[cfg(feature = "net")]
        Command::Daemon => {
            let app = App::open(config, &dir, clock)?;
            let _running = crate::app::restore::ServiceLock::shared(&dir)?;
            daemon::daemon(app)
        }
        #[cfg(feature = "net")]
        Command::Notify(cmd) => daemon::notify(App::open(config, &dir, clock)?, cmd),
        Command::Device(device::DeviceCmd::ReadCard { port, protocol, baud, timeout, json }) => {
            let key = std::fs::read(dir.join(crate::app::DEVICE_KEY_FILE)).ok().filter(|k| k.len() == 32);
            device::read_card(&config, key.as_deref(), port, protocol, baud, timeout, json)
        }
        command => {
            let mut app = App::open(config, &dir, clock)?;
            dispatch(&mut app, command)
        }
    }
}

/// The demo shows a shop at work: outside opening hours (and without `SALONBOX_NOW`) it
/// runs an hour after the next opening.
fn demo_clock(config: &Config, clock: Arc<dyn Clock>) -> Arc<dyn Clock> {
    // The same story at any hour: the shop's business morning (today's when it opens today,
    // else the next day it does), half an hour after opening; time runs on from there, or
    // stands still under SALONBOX_NOW.
    let (now, tz) = (clock.now(), config.shop.time_zone);
    let today = crate::domain::time::business_date(now, tz);
    for day in (0..8).map(|d| today + chrono::Duration::days(d)) {
        if let Some(open) = config.shop.opening_hours.on(day, tz) {
            let story = open.start + chrono::Duration::minutes(30);
            return if std::env::var_os("SALONBOX_NOW").is_some() {
                Arc::new(FixedClock::new(story))
            } else {
                Arc::new(crate::clock::OffsetClock::starting_at(story))
            };
        }
    }
    clock
}

/// The demo's data directory, removed when the demo ends unless it is to be kept. Demo
/// directories left by runs that were killed (their process is gone) are removed at start.
struct DemoDir {
    path: PathBuf,
    keep: bool,
}

impl DemoDir {
    fn new(keep: bool) -> DemoDir {
        let tmp = std::env::temp_dir();
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(pid) = name.strip_prefix("salonbox-demo-").and_then(|r| r.split('-').next()) else { continue };
                let alive = Path::new("/proc").join(pid).exists();
                let kept = e.path().join(DEMO_KEEP_MARK).exists();
                if !alive && !kept && pid.parse::<u32>().is_ok() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let path = tmp.join(format!("salonbox-demo-{}-{}", std::process::id(), Utc::now().timestamp()));
        DemoDir { path, keep }
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        if self.keep {
            let _ = std::fs::write(self.path.join(DEMO_KEEP_MARK), b"kept by salonbox demo --keep\n");
        } else if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(dir = %self.path.display(), error = %e, "demo directory not removed");
        }
    }
}

/// Marks a demo directory kept with `--keep` (never removed by a later demo).
const DEMO_KEEP_MARK: &str = ".kept";

#[cfg(feature = "kiosk")]
fn kiosk(app: App, first_frame: Option<PathBuf>) -> Result<Outcome, CliError> {
    if let Some(png) = first_frame {
        crate::kiosk::headless::first_frame(app, &png).map_err(|e| CliError::Device(e.to_string()))?;
        return Ok(Outcome::Ok);
    }
    if !crate::kiosk::has_display() {
        return Err(CliError::Usage(msg::no_display()));
    }
    crate::kiosk::run(app).map_err(|e| CliError::Device(e.to_string()))?;
    Ok(Outcome::Ok)
}

#[cfg(not(feature = "kiosk"))]
fn kiosk(_app: App, _first_frame: Option<PathBuf>) -> Result<Outcome, CliError> {
    Err(CliError::Usage(msg::no_kiosk_feature()))
}

fn demo(
    config: Config,
    clock: Arc<dyn Clock>,
    customers: usize,
    headless: bool,
    out: Option<PathBuf>,
    keep: bool,
) -> Result<Outcome, CliError> {
    let demo_dir = DemoDir::new(keep);
    let dir = demo_dir.path.clone();
    let config = demo_config(config);
    crate::app::init(&config, &dir)?;
    let mut app = App::open(config, &dir, clock)?;
    let r = app.seed_demo(DemoSize { customers, days_of_history: 365 }, 2026)?;
    app.seed_demo_arrival()?;
    say(&msg::demo_seeded(r.staff, r.services, r.customers, r.visits, r.appointments))?;
    say(&format!("\n{}", app.config.shop.name))?;
    #[cfg(feature = "kiosk")]
    {
        if !headless && crate::kiosk::has_display() {
            say(&msg::demo_window(&dir, keep))?;
            // The daemon's jobs run beside the window, in this process; messages are logged.
            let daemon = demo_daemon(&app.config, &dir, &app.clock)?;
            let result = crate::kiosk::run(app).map_err(|e| CliError::Device(e.to_string()));
            daemon.stop();
            result?;
            return Ok(Outcome::Ok);
        }
        if !headless {
            say(msg::demo_no_display())?;
        }
        // The screens outlive the demo shop: by default in one fixed folder that each run
        // replaces (never one more folder per run).
        let out = match out {
            Some(o) => o,
            None if keep => dir.join("screens"),
            None => {
                let o = std::env::temp_dir().join("salonbox-demo-screens");
                let _ = std::fs::remove_dir_all(&o);
                o
            }
        };
        let (config, clock) = (app.config.clone(), app.clock.clone());
        let played = crate::kiosk::walkthrough::play(app, &out).map_err(|e| CliError::Device(e.to_string()))?;
        for (who, ticket) in &played.tickets {
            say(&msg::demo_kiosk_ticket(who, ticket))?;
        }
        say(&msg::demo_screens(played.screens.len(), &out, &played.printed))?;
        // what the daemon sends after such a morning (logged, not sent, in the demo)
        demo_messages(&config, &dir, &clock)?;
        // the shop after the walk-through, as the command line sees it
        let mut app = App::open(config, &dir, clock)?;
        say("")?;
        let queue = app.queue(false)?;
        print_queue(&app, &queue)?;
    }
    #[cfg(not(feature = "kiosk"))]
    {
        let _ = (headless, out);
        demo_cli_arrivals(&mut app)?;
    }
    say(&format!("\n{}", if keep { msg::demo_dir(&dir) } else { msg::demo_dir_removed(&dir) }))?;
    Ok(Outcome::Ok)
}

/// The demo's configuration: the shop's own name, hours and paper, but a sandbox. The
/// devices are simulated (a Pi's reader and printer stay free for the shop), nothing syncs
/// with the shop's cloud (its 2,000 made-up customers must never reach it), every message
/// goes to the log channel (nothing leaves the machine), and scheduled jobs do not wait
/// for a synchronised clock.
fn demo_config(mut config: Config) -> Config {
    config.hardware.mode = crate::config::HardwareMode::Sim;
    config.cloud.enabled = false;
    #[cfg(feature = "net")]
    {
        config.channels.log = true;
        config.channels.sms_provider = crate::config::SmsProvider::None;
        config.channels.wechat = None;
        config.channels.wecom_webhook = None;
        config.channels.dingtalk_webhook = None;
        for kind in crate::config::ROUTE_KINDS {
            config.messages.routes.insert(kind.to_string(), vec!["log".to_string()]);
        }
        config.messages.routes.retain(|k, _| crate::config::ROUTE_KINDS.contains(&k.as_str()));
        config.jobs.clock_sync_file = None;
    }
    config
}

/// The daemon, running on its own thread beside the demo's window.
#[cfg(feature = "net")]
struct DemoDaemon {
    stop: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

#[cfg(feature = "net")]
impl DemoDaemon {
    fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }
}

#[cfg(all(feature = "net", feature = "kiosk"))]
fn demo_daemon(config: &Config, dir: &Path, clock: &Arc<dyn Clock>) -> Result<DemoDaemon, CliError> {
    let app = App::open(config.clone(), dir, clock.clone())?;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let thread = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!(error = %e, "demo daemon: no runtime"),
        };
        let result = rt.block_on(async move {
            let daemon = crate::daemon::Daemon::new(app)?;
            daemon.run(rx).await
        });
        if let Err(e) = result {
            tracing::error!(error = %e, "demo daemon stopped");
        }
    });
    Ok(DemoDaemon { stop, thread })
}

/// One pass of the daemon after the headless walk-through: due jobs, then every message
/// due, printed as the log channel "sent" them.
#[cfg(all(feature = "net", feature = "kiosk"))]
fn demo_messages(config: &Config, dir: &Path, clock: &Arc<dyn Clock>) -> Result<(), CliError> {
    let app = App::open(config.clone(), dir, clock.clone())?;
    let mut daemon = crate::daemon::Daemon::new(app).map_err(|e| CliError::Device(e.to_string()))?;
    let (_keep, rx) = tokio::sync::watch::channel(false);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Tomorrow's reminders as the 18:00 job would queue them, then everything due now.
    let now = daemon.app.now();
    daemon.app.run_job("reminder_day_before", now, false)?;
    rt.block_on(daemon.send_due(&rx)).map_err(|e| CliError::Device(e.to_string()))?;
    let sent = daemon.channels.log().map(crate::channels::LogChannel::sent).unwrap_or_default();
    say(&format!("\n{}", msg::demo_messages(sent.len())))?;
    for (to, text) in sent {
        say(&format!("  → {to}：{text}"))?;
    }
    Ok(())
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
fn demo_messages(_config: &Config, _dir: &Path, _clock: &Arc<dyn Clock>) -> Result<(), CliError> {
    Ok(())
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
struct DemoDaemon;

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
impl DemoDaemon {
    fn stop(self) {}
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
fn demo_daemon(_config: &Config, _dir: &Path, _clock: &Arc<dyn Clock>) -> Result<DemoDaemon, CliError> {
    Ok(DemoDaemon)
}

/// Without the kiosk: the arrivals checked in from the command line.
#[cfg(not(feature = "kiosk"))]
fn demo_cli_arrivals(app: &mut App) -> Result<(), CliError> {
    use crate::domain::model::AppointmentStatus;
    // Arrivals: whoever has an appointment about now, then a walk-in by a regular customer.
    let now = app.now();
    let window = app.config.checkin.window;
    let mut arrivals: Vec<(Phone, Option<String>)> = app
        .appointments_on(None, None, false)?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked && window.matches(a.starts_at, now))
        .take(2)
        .filter_map(|a| app.customer_by_key(&a.customer_id).ok()?.phone.map(|p| (p, None)))
        .collect();
    let walk_in_service = app.list_services(false)?.into_iter().find(|s| s.resource_kind.is_none()).map(|s| s.name);
    if let Some(c) = app.list_customers(1, 0)?.into_iter().next()
        && let Some(phone) = c.phone
    {
        arrivals.push((phone, walk_in_service));
    }
    for (phone, service) in arrivals {
        let o = app.check_in(&CheckinRequest { identity: Identity::Phone(phone), service, staff: None })?;
        say(&msg::checked_in(&o.greeting, &o.entry.ticket, o.already_checked_in))?;
        say(&msg::wait(o.ahead, o.wait_minutes))?;
    }
    say("")?;
    let appointments = app.appointments_on(None, None, false)?;
    print_appointments(app, &appointments)?;
    say("")?;
    let queue = app.queue(false)?;
    print_queue(app, &queue)?;
    Ok(())
}

fn registration(fields: &CustomerFields, source: &str) -> Result<Registration, CliError> {
    let id_number = if fields.id_card_stdin { Some(read_secret_line(msg::id_card_prompt())?) } else { None };
    Ok(Registration {
        name: fields.name.clone().unwrap_or_default(),
        phone: fields.phone.clone().unwrap_or_default(),
        gender: fields.gender.clone(),
        birthday: fields.birthday.clone(),
        id_number,
        id_card_key: None,
        skin_type: fields.skin_type.clone(),
        skin_concerns: split_list(fields.concerns.as_deref()),
        allergies: fields.allergies.clone().unwrap_or_default(),
        contraindications: fields.contraindications.clone().unwrap_or_default(),
        notes: fields.notes.clone().unwrap_or_default(),
        tier: fields.tier.clone(),
        privacy_notice: None,
        marketing_consent: false,
        source: source.into(),
    })
}

fn split_list(s: Option<&str>) -> Vec<String> {
    s.map(|s| s.split([',', '，', '、']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default()
}

fn patch(app: &App, f: &CustomerFields, marketing: Option<&str>) -> Result<CustomerPatch, CliError> {
    let field_err = |field: &str, m: String| CliError::App(AppError::input(field, m));
    Ok(CustomerPatch {
        name: f.name.clone(),
        phone: f
            .phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(|e| field_err("手机号 phone", e.to_string()))?,
        gender: f.gender.as_deref().map(parse_gender).transpose().map_err(|m| field_err("性别 gender", m))?,
        birthday: f.birthday.as_deref().map(parse_birthday).transpose().map_err(|m| field_err("生日 birthday", m))?,
        id_card: if f.id_card_stdin { Some(app.id_card_key(&read_secret_line(msg::id_card_prompt())?)?) } else { None },
        tier: f.tier.clone(),
        skin_type: f.skin_type.clone(),
        skin_concerns: f.concerns.as_deref().map(|c| split_list(Some(c))),
        allergies: f.allergies.clone(),
        contraindications: f.contraindications.clone(),
        tags: None,
        notes: f.notes.clone(),
        marketing_consent: match marketing.map(|m| m.trim().to_lowercase()) {
            None => None,
            Some(m) if ["yes", "y", "true", "1", "是", "同意"].contains(&m.as_str()) => Some(true),
            Some(m) if ["no", "n", "false", "0", "否", "不同意"].contains(&m.as_str()) => Some(false),
            Some(m) => {
                return Err(field_err(
                    "营销同意 marketing",
                    format!("应为 yes 或 no / expected yes or no, got \"{m}\""),
                ));
            }
        },
    })
}

fn print_customers(cs: &[Customer], json: bool) -> Result<(), CliError> {
    if cs.is_empty() && !json {
        return say(msg::no_customers());
    }
    print_rows(json, cs, msg::headers_customers(), |c| {
        [
            c.member_code.clone(),
            c.name.clone(),
            c.phone.as_ref().map(Phone::to_string).unwrap_or_default(),
            msg::gender_label(c.gender).to_string(),
            c.birthday.map(|b| b.to_string()).unwrap_or_default(),
            c.tier.clone().unwrap_or_default(),
            c.id.clone(),
        ]
    })
}

#[derive(Serialize)]
struct CustomerDetail<'a> {
    #[serde(flatten)]
    customer: &'a Customer,
    #[serde(flatten)]
    summary: &'a CustomerSummary,
    membership: &'a crate::app::membership::MembershipSummary,
}

fn show_customer(app: &mut App, c: &Customer, json: bool) -> Result<(), CliError> {
    let summary = app.customer_summary(&c.id)?;
    let m = app.membership(&c.id)?;
    if json {
        return print_json(&CustomerDetail { customer: c, summary: &summary, membership: &m });
    }
    let (visits, spent, last, points) =
        (summary.visits, summary.total_spent.to_string(), summary.last_visit_at, m.points);
    let tz = app.tz();
    let lines = [
        ("姓名 Name", c.name.clone()),
        ("会员号 Member code", c.member_code.clone()),
        ("手机 Phone", c.phone.as_ref().map(Phone::to_string).unwrap_or_default()),
        ("性别 Gender", msg::gender_label(c.gender).into()),
        ("生日 Birthday", c.birthday.map(|b| b.to_string()).unwrap_or_default()),
        ("身份证 ID card", c.id_card_masked.clone().unwrap_or_default()),
        ("等级 Tier", c.tier.clone().unwrap_or_default()),
        ("肤质 Skin type", c.skin_type.clone().unwrap_or_default()),
        ("皮肤问题 Concerns", c.skin_concerns.join("、")),
        ("过敏 Allergies", c.allergies.clone()),
        ("禁忌 Contraindications", c.contraindications.clone()),
        ("备注 Notes", c.notes.clone()),
        ("营销同意 Marketing", msg::yes_no(c.marketing_consent).into()),
        ("消费次数 Visits", visits.to_string()),
        ("累计消费 Spent", format!("¥{spent}")),
        ("最近到店 Last visit", last.map(|t| local_dt(t, tz)).unwrap_or_default()),
        ("积分 Points", points.to_string()),
        (
            "储值 Stored value",
            format!(
                "¥{}（本金 principal ¥{}，赠送 bonus ¥{}）",
                m.stored_value_principal + m.stored_value_bonus,
                m.stored_value_principal,
                m.stored_value_bonus
            ),
        ),
        (
            "疗程卡 Courses",
            m.courses
                .iter()
                .map(|k| {
                    let until = k.valid_until.map(|u| format!(" → {}", local_dt(u, tz))).unwrap_or_default();
                    format!("{} {}/{}{until}", k.service_name, k.sessions_left, k.sessions_total)
                })
                .collect::<Vec<_>>()
                .join("；"),
        ),
        (
            "优惠券 Coupons",
            m.coupons.iter().map(|k| format!("{} {}", k.coupon.code, k.coupon.name)).collect::<Vec<_>>().join("；"),
        ),
        ("编号 Id", c.id.clone()),
    ];
    let mut rows: Vec<[String; 2]> = lines.into_iter().map(|(k, v)| [k.to_string(), v]).collect();
    // one row per recent visit, under the last visit
    let at = rows.iter().position(|r| r[0] == "最近到店 Last visit").map_or(rows.len(), |i| i + 1);
    for (i, v) in summary.recent.iter().enumerate() {
        let label = if i == 0 { "最近消费 Recent" } else { "" };
        rows.insert(at + i, [label.to_string(), format!("{} {} {}", local_dt(v.at, tz), msg::yuan(v.total), v.items)]);
    }
    let t = table::render(["", ""], &rows);
    say(t.trim_start_matches('\n').trim_end())
}

fn print_appointments(app: &App, list: &[crate::domain::model::Appointment]) -> Result<(), CliError> {
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

fn print_queue(app: &App, lines: &[crate::app::queue::QueueLine]) -> Result<(), CliError> {
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

fn dispatch(app: &mut App, command: Command) -> Result<Outcome, CliError> {
    match command {
        Command::Init
        | Command::Demo { .. }
        | Command::DemoData { .. }
        | Command::Doctor { .. }
        | Command::SystemdGenerator { .. }
        | Command::Restore { .. }
        | Command::Soak(_)
        | Command::Kiosk { .. } => {
            unreachable!("handled in run")
        }
        #[cfg(feature = "net")]
        Command::Daemon | Command::Notify(_) => unreachable!("handled in run"),
        #[cfg(feature = "net")]
        Command::Jobs(cmd) => return daemon::jobs(app, cmd),
        #[cfg(feature = "net")]
        Command::Notifications(cmd) => return daemon::notifications(app, cmd),
        #[cfg(feature = "net")]
        Command::Sync(cmd) => return sync::sync(app, cmd),
        Command::Customer(c) => match c {
            CustomerCmd::Add { fields, marketing, json } => {
                let mut r = registration(&fields, "cli")?;
                r.marketing_consent = marketing;
                r.privacy_notice = Some(app.privacy_notice()?.0);
                let c = app.register(&r)?;
                if json { print_json(&c)? } else { say(&msg::customer_added(&c.name, &c.member_code))? }
            }
            CustomerCmd::List { limit, offset, json } => {
                let cs = app.list_customers(limit, offset)?;
                print_customers(&cs, json)?;
            }
            CustomerCmd::Find { query, limit, json } => {
                let cs = app.find_customers(&query, limit)?;
                print_customers(&cs, json)?;
            }
            CustomerCmd::Show { key, json } => {
                let c = app.customer_by_key(&key)?;
                show_customer(app, &c, json)?;
            }
            CustomerCmd::Card { key, card_no, remove } => {
                let c = app.member_card(&key, &card_no, remove, "cli")?;
                say(&msg::member_card(&c.name, &card_no, remove))?;
            }
            CustomerCmd::Note { key, text, kind } => {
                let name = app.add_interaction(&key, &kind, &text, "cli")?;
                say(&msg::note_recorded(&name))?;
            }
            CustomerCmd::Notes { key, json } => {
                let tz = app.tz();
                let list = app.interactions(&key, 100)?;
                print_rows(json, &list, msg::headers_interactions(), |i| {
                    [crate::domain::time::local_dt(i.at, tz), i.kind.clone(), i.text.clone(), i.actor.clone()]
                })?;
            }
            CustomerCmd::Delete { key, yes } => {
                if !yes {
                    let c = app.customer_by_key(&key)?;
                    say(&msg::customer_delete_confirm(&c.name, &c.member_code, &key))?;
                    return Ok(Outcome::Problems);
                }
                let (c, cancelled) = app.delete_customer(&key, "cli")?;
                say(&msg::customer_deleted(&c.name, &c.member_code, cancelled))?;
            }
            CustomerCmd::Edit { key, fields, marketing, json } => {
                let p = patch(app, &fields, marketing.as_deref())?;
                let c = app.edit_customer(&key, p, "cli")?;
                if json { print_json(&c)? } else { say(&msg::customer_updated(&c.name))? }
            }
        },
        Command::Import(ImportCmd::Customers { file, dry_run, force_partial, json }) => {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let show = !json && std::io::stderr().is_terminal();
            let mut progress = |done: usize, total: usize| {
                if show && total > 1000 {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
            };
            let r = app.import_customers(&file, ImportOptions { dry_run, force_partial }, &mut progress)?;
            bar.finish_and_clear();
            if json {
                print_json(&r)?;
            } else {
                if let Some(enc) = r.encoding {
                    say(&msg::import_encoding(enc))?;
                }
                if !r.ignored_columns.is_empty() {
                    say(&msg::import_ignored(&r.ignored_columns.join(", ")))?;
                }
                for b in &r.bad {
                    say(&msg::import_bad_row(b.row, &b.reason))?;
                }
                say(&msg::import_summary(r.rows, r.created, r.merged, r.bad.len(), r.imported, r.dry_run))?;
            }
            if !r.bad.is_empty() && !force_partial {
                return Ok(Outcome::Problems);
            }
        }
        Command::Service(s) => match s {
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
                    [
                        s.name.clone(),
                        s.category.clone(),
                        s.duration_min.to_string(),
                        format!("¥{}", s.price),
                        s.id.clone(),
                    ]
                })?;
            }
        },
        Command::Staff(s) => match s {
            StaffCmd::Add { name, role, phone, pin_stdin, service_commission, product_commission, json } => {
                let pin = if pin_stdin { Some(read_secret_line("PIN: ")?) } else { None };
                let st = app
                    .add_staff(&StaffInput { name, role, phone, pin, service_commission, product_commission }, "cli")?;
                if json { print_json(&st)? } else { say(&msg::staff_added(&st.name, st.role.label_zh()))? }
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
        },
        Command::Resource(ResourceCmd::Add { name, kind }) => {
            app.add_resource(&name, &kind)?;
            say(&msg::resource_added(&name))?;
        }
        Command::Waitlist(w) => {
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
        }
        Command::Appointment(a) => match a {
            AppointmentCmd::Book { customer, service, staff, resource, at, note, json } => {
                let appt = app.book(&BookingRequest {
                    customer,
                    service,
                    staff,
                    resource,
                    start: at,
                    note,
                    source: "cli".into(),
                })?;
                if json {
                    print_json(&appt)?;
                } else {
                    let tz = app.tz();
                    say(&msg::booked(
                        &appt.id,
                        &local_dt(appt.starts_at, tz),
                        &appt.service_name,
                        appt.staff_name.as_deref(),
                    ))?;
                }
            }
            AppointmentCmd::List { date, staff, all, json } => {
                let date = parse_date(date.as_deref())?;
                let list = app.appointments_on(date, staff.as_deref(), all)?;
                if json { print_json(&list)? } else { print_appointments(app, &list)? }
            }
            AppointmentCmd::Cancel { id, reason, json } => {
                let a = app.cancel_appointment(&id, reason.as_deref(), "cli")?;
                if json { print_json(&a)? } else { say(&msg::cancelled(&a.id))? }
            }
        },
        Command::Checkout(a) => return money::checkout(app, a),
        Command::Report(a) => return report::run(app, a),
        Command::Device(d) => return device::run(app, d),
        Command::Visit(c) => return money::visit(app, c),
        Command::StoredValue(c) => return money::stored_value(app, c),
        Command::Tier(c) => return money::tier(app, c),
        Command::Rules(c) => return money::rules(app, c),
        Command::Coupon(c) => return money::coupon(app, c),
        Command::Product(c) => return money::product(app, c),
        Command::Stock(c) => return stock::stock(app, c),
        Command::Feedback(c) => return feedback::feedback(app, c),
        Command::Campaign(c) => return campaign::campaign(app, c),
        Command::Course(c) => return money::course(app, c),
        Command::Checkin(c) => {
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
        }
        Command::Queue { action, json: list_json } => {
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
                Some(QueueCmd::Start { ticket, staff, json }) => {
                    (Some(ticket), Some(QueueStatus::InService), staff, json)
                }
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
        }
        Command::Backup { to, keep, json } => {
            let r = app.backup(to.as_deref(), keep)?;
            if json { print_json(&r)? } else { say(&msg::backup_done(&r.path, r.bytes, r.customers))? }
        }
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_its_cause_once() {
        let e = CliError::Output(std::io::Error::other("disk full"));
        assert_eq!(e.report(), "输出失败：disk full / cannot write output: disk full");
        assert!(!e.is_broken_pipe());
        // A store error whose message names the SQLite error does not repeat it.
        let sqlite = rusqlite::Error::InvalidQuery;
        let e = CliError::from(crate::store::StoreError::from(sqlite));
        assert_eq!(e.report(), e.to_string());
        assert!(CliError::Output(std::io::ErrorKind::BrokenPipe.into()).is_broken_pipe());
    }

    #[test]
    fn the_demo_is_a_sandbox_whatever_the_shop_configured() {
        let shop = Config::from_toml(
            "[shop]\nname = \"丽人坊\"\n[hardware]\nmode = \"real\"\n[cloud]\nenabled = true\n\
             base_url = \"https://cloud.example.com\"\nstore_id = \"s1\"\ndevice_token = \"t\"\n",
            Path::new("shop.toml"),
        )
        .expect("config");
        assert!(shop.cloud.enabled && shop.hardware.mode == crate::config::HardwareMode::Real);
        let demo = demo_config(shop);
        assert_eq!(demo.shop.name, "丽人坊");
        assert_eq!(demo.hardware.mode, crate::config::HardwareMode::Sim);
        assert!(!demo.cloud.enabled);
    }
}
