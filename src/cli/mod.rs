//! The `salonbox` command line: clap definitions, dispatch, tables and `--json`.
//!
//! Architecture Invariant: the command line calls `app` use cases only (the same ones the
//! kiosk calls) and prints; it holds no business rule and no SQL. Its messages live in
//! `messages.rs`.

mod appointments;
mod campaign;
mod customers;
#[cfg(feature = "net")]
mod daemon;
mod demo;
mod device;
mod feedback;
mod import;
pub mod messages;
mod money;
mod queue;
mod report;
mod shop;
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

use crate::app::booking::{BookingItem, MultiBooking};
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
pub use appointments::{AppointmentCmd, WaitlistCmd};
pub use customers::{CustomerCmd, CustomerFields};
use demo::*;
pub use import::ImportCmd;
use messages as msg;
pub use queue::{CheckinArgs, CheckinWho, QueueCmd};
pub use shop::{ResourceCmd, ServiceCmd, StaffCmd};

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
    Init {
        /// 同时设置店主及其后台密码（从标准输入读取）/ also set up the owner and her back-office password (read from standard input)
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
    },
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
    /// 店铺信息：店名、地址、电话、营业时间（不带参数即显示）/ the shop's name, address, phone and hours (no option: show them)
    Profile(shop::ProfileArgs),
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
    /// 套餐：新建、列表、下架、售卖 / packages: add, list, retire, sell
    #[command(subcommand)]
    Package(money::PackageCmd),
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
    /// 后台网页（店内网络的浏览器）/ the back office in a browser on the shop's network
    #[cfg(feature = "web")]
    Web {
        /// 监听地址（默认取配置 [web] listen）/ address to listen on (default: [web] listen)
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
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
    #[cfg(feature = "web")]
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
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
        Command::Init { owner } => {
            let r = crate::app::init(&config, &dir)?;
            say(&msg::initialised(&r.data_dir, r.created_key, r.schema_version))?;
            let mut app = App::open(config, &dir, clock)?;
            match owner {
                Some(name) => {
                    let password = read_secret_line("店主后台密码 owner's back-office password: ")?;
                    let staff = app.create_owner(&name, &password, "cli")?;
                    say(&msg::owner_created(&staff.name))?;
                }
                None if app.needs_owner()? => say(msg::owner_on_first_visit())?,
                None => {}
            }
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
        #[cfg(feature = "web")]
        Command::Web { listen } => {
            let mut config = config;
            if let Some(l) = listen {
                config.web.listen = l;
            }
            let _running = crate::app::restore::ServiceLock::shared(&dir)?;
            crate::web::serve(config, &dir, clock, |addr| {
                let _ = say(&msg::web_listening(addr));
            })?;
            Ok(Outcome::Ok)
        }
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

fn dispatch(app: &mut App, command: Command) -> Result<Outcome, CliError> {
    match command {
        Command::Init { .. }
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
        #[cfg(feature = "web")]
        Command::Web { .. } => unreachable!("handled in run"),
        #[cfg(feature = "net")]
        Command::Jobs(cmd) => return daemon::jobs(app, cmd),
        #[cfg(feature = "net")]
        Command::Notifications(cmd) => return daemon::notifications(app, cmd),
        #[cfg(feature = "net")]
        Command::Sync(cmd) => return sync::sync(app, cmd),
        Command::Customer(c) => return customers::customer(app, c),
        Command::Import(c) => return import::import(app, c),
        Command::Profile(a) => return shop::profile(app, a),
        Command::Service(c) => return shop::service(app, c),
        Command::Staff(c) => return shop::staff(app, c),
        Command::Resource(c) => return shop::resource(app, c),
        Command::Waitlist(c) => return appointments::waitlist(app, c),
        Command::Appointment(c) => return appointments::appointment(app, c),
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
        Command::Package(c) => return money::package(app, c),
        Command::Checkin(c) => return queue::checkin(app, c),
        Command::Queue { action, json } => return queue::queue(app, action, json),
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
