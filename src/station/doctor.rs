//! `salonbox doctor`: one line per check of the configuration, the data directory, the
//! database and each configured device, with what to do when it fails.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::{BackupState, DEVICE_KEY_FILE};
use crate::config::{Config, HardwareMode};
use crate::devices::DeviceError;
use crate::devices::printer::{PrinterSpec, probe_file};
use crate::devices::reader::SamReader;
use crate::devices::sam::Status;
use crate::devices::serial::{SerialLink, SerialSettings};
use crate::domain::time::local_dt;
use crate::store::{DB_FILE, Store};

/// One check's result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// "数据库 database"
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// What to do about a failure.
    pub hint: Option<String>,
}

fn ok(name: &str, detail: impl Into<String>) -> Check {
    Check { name: name.to_string(), ok: true, detail: detail.into(), hint: None }
}

fn fail(name: &str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
    Check { name: name.to_string(), ok: false, detail: detail.into(), hint: Some(hint.into()) }
}

/// The user this process runs as, for hints.
fn user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "salonbox".into())
}

/// What to do about a device path that could not be opened.
fn path_hint(path: &str, e: &std::io::Error, what: &str) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "{path} 不存在：检查{what}是否接好，或改正配置 / {path} does not exist: check the {what} is plugged in, or fix the configuration"
        ),
        std::io::ErrorKind::PermissionDenied => {
            let u = user();
            let group = if path.contains("usb/lp") { "lp" } else { "dialout" };
            format!(
                "{path} 对用户 {u} 不可读写：把 {u} 加入 {group} 组（sudo usermod -aG {group} {u}）/ {path} is not readable by user {u}: add it to the {group} group"
            )
        }
        _ => format!("{path}: {e}"),
    }
}

fn serial_error_io(e: &DeviceError) -> Option<std::io::Error> {
    match e {
        DeviceError::Open { source, .. } => match source.kind() {
            serialport::ErrorKind::NoDevice => Some(std::io::ErrorKind::NotFound.into()),
            serialport::ErrorKind::Io(k) => Some(k.into()),
            _ => None,
        },
        _ => None,
    }
}

/// Runs every check. `data_dir` is the resolved data directory; `now` dates the backups.
pub fn run(config: &Config, data_dir: &Path, now: DateTime<Utc>) -> Vec<Check> {
    run_at(config, data_dir, now, Depth::Full)
}

/// How far `doctor` looks into the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `quick_check` reads every page of the file: seconds on a big shop.
    Full,
    /// The schema only (a page that must answer at once); the nightly backup verifies the
    /// file's pages every night.
    Page,
}

pub fn run_at(config: &Config, data_dir: &Path, now: DateTime<Utc>, depth: Depth) -> Vec<Check> {
    let mut out = Vec::new();
    out.push(match &config.source {
        Some(p) => ok("配置 config", p.display().to_string()),
        None => ok("配置 config", "无配置文件，使用默认值 / no file: defaults"),
    });
    out.extend(storage(config, data_dir, now, depth));
    out.push(back_office(config));
    match config.hardware.mode {
        HardwareMode::Sim => out.push(ok("硬件 hardware", "模拟 / simulated (mode = \"sim\")")),
        HardwareMode::Real => {
            out.push(id_reader(config));
            if let Some(port) = &config.hardware.card_reader_port {
                out.push(serial_port("会员卡阅读器 member-card reader", port, config.hardware.card_reader_baud));
            }
            out.push(printer(config));
            if let Some(c) = kiosk_sandbox(config) {
                out.push(c);
            }
            out.push(buzzer(config));
        }
    }
    out
}

/// What the back office answers at `/healthz` (no login needed, nothing about the shop).
pub const BACK_OFFICE_HEALTH: &str = "salonbox back office ok\n";

/// The back office (`salonbox web`, `[web] listen`): answering, not started (fine: it is
/// optional), or its port taken by some other program (a failure: it could not start).
fn back_office(config: &Config) -> Check {
    use std::io::{Read, Write};
    const NAME: &str = "后台网页 back office";
    let listen = config.web.listen;
    let ip = if listen.ip().is_unspecified() { std::net::Ipv4Addr::LOCALHOST.into() } else { listen.ip() };
    let at = std::net::SocketAddr::new(ip, listen.port());
    let url = format!(
        "http://{}:{}/",
        if listen.ip().is_unspecified() { "<本机 this machine>".to_string() } else { ip.to_string() },
        listen.port()
    );
    let timeout = std::time::Duration::from_secs(2);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&at, timeout) else {
        return ok(NAME, format!("未运行（{url}）：sudo systemctl enable --now salonbox-web / not running ({url})"));
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let mut answer = Vec::new();
    let asked = stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").is_ok();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status_ok = text.lines().next().is_some_and(|l| l.starts_with("HTTP/1.") && l.contains(" 200"));
    if asked && status_ok && text.contains(BACK_OFFICE_HEALTH.trim()) {
        ok(NAME, format!("正在服务 / answering on {url}"))
    } else {
        fail(
            NAME,
            format!("端口 {} 被其他程序占用 / port {} is taken by another program", listen.port(), listen.port()),
            "在配置 [web] listen 换一个端口 / choose another port in [web] listen",
        )
    }
}

fn storage(config: &Config, data_dir: &Path, now: DateTime<Utc>, depth: Depth) -> Vec<Check> {
    const DIR: &str = "数据目录 data directory";
    const DB: &str = "数据库 database";
    const LEDGERS: &str = "储值和积分流水 stored-value and points ledgers";
    let shown = data_dir.display().to_string();
    if !data_dir.join(DB_FILE).exists() || !data_dir.join(DEVICE_KEY_FILE).exists() {
        return vec![fail(
            DIR,
            format!("{shown} 未初始化 / not initialised"),
            format!("运行 salonbox --data-dir {shown} init / run salonbox --data-dir {shown} init"),
        )];
    }
    let mut out = Vec::new();
    let probe = data_dir.join(".doctor-probe");
    match std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe)) {
        Ok(()) => out.push(ok(DIR, shown.clone())),
        Err(e) => out.push(fail(DIR, format!("{shown}: {e}"), path_hint(&shown, &e, "数据目录 data directory"))),
    }
    match std::fs::metadata(data_dir.join(DEVICE_KEY_FILE)) {
        Ok(m) if m.len() == 32 => {}
        _ => out.push(fail(
            "设备密钥 device key",
            format!("{DEVICE_KEY_FILE} 应为 32 字节 / must be 32 bytes"),
            "从备份恢复设备密钥；没有它，已登记的身份证无法再识别 / restore the device key from a backup: without it, registered ID cards are no longer recognised",
        )),
    }
    // Before the store is opened (opening takes others' access away from the database).
    out.push(private_files(data_dir));
    match Store::open_in(data_dir, config.shop.time_zone) {
        Ok(mut store) => {
            let version = store.schema_version().unwrap_or(0);
            let checked = match depth {
                Depth::Full => store.quick_check(),
                Depth::Page => Ok("page".to_string()),
            };
            match checked {
                Ok(r) if r == "page" => out.push(ok(
                    DB,
                    format!(
                        "schema {version}/{}；逐页检查由每晚的备份校验完成 / every page is checked by the nightly backup's verification",
                        Store::known_schema_version()
                    ),
                )),
                Ok(r) if r == "ok" => out.push(ok(DB, format!("schema {version}/{}, quick_check ok", Store::known_schema_version()))),
                Ok(r) => out.push(fail(
                    DB,
                    format!("quick_check: {r}"),
                    "数据库已损坏：停止服务并从备份恢复（salonbox restore）/ the database is damaged: stop the services and restore a backup",
                )),
                Err(e) => out.push(fail(DB, e.to_string(), "检查磁盘 / check the disk")),
            }
            if depth == Depth::Full {
                // the ledgers' daily totals (kept by triggers) against the rows' own sums
                match store.read(|tx| tx.ledger_totals_mismatches()) {
                    Ok(0) => out.push(ok(LEDGERS, "储值、积分的每日合计与流水一致 / the daily totals match the rows")),
                    Ok(n) => out.push(fail(
                        LEDGERS,
                        format!("{n} 个每日合计与流水不符 / {n} daily totals differ from the rows"),
                        "数据库被 salonbox 之外的程序改过：从备份恢复（salonbox restore）/ the database was changed outside salonbox: restore a backup",
                    )),
                    Err(e) => out.push(fail(LEDGERS, e.to_string(), "检查磁盘 / check the disk")),
                }
            }
            let customers = store.read(|tx| tx.count(crate::store::Table::Customers)).unwrap_or(0);
            let tz = config.shop.time_zone;
            let state = BackupState::of(data_dir, customers, tz, now);
            out.push(backups(state, &crate::app::backups_dir(data_dir), tz, now));
            if let Ok((pending, statuses)) =
                store.read(|tx| Ok::<_, crate::store::StoreError>((tx.print_jobs(0)?, tx.device_statuses()?)))
            {
                if !pending.is_empty() {
                    let oldest = pending.first().map(|j| local_dt(j.created_at, tz)).unwrap_or_default();
                    out.push(fail(
                        "打印队列 print queue",
                        format!("{} 张未打印，最早 {oldest} / {} jobs waiting since {oldest}", pending.len(), pending.len()),
                        "检查打印机的纸和连接；恢复后会自动补打 / check the printer's paper and cable; waiting jobs print once it is back",
                    ));
                }
                for s in statuses.iter().filter(|s| !s.ok) {
                    out.push(fail(
                        &format!("上次状态 last state: {}", s.device),
                        format!("{}（{}）", s.detail, local_dt(s.since, tz)),
                        "见上方该设备的检查 / see the device's own check above",
                    ));
                }
            }
        }
        Err(e) => out.push(fail(
            DB,
            e.to_string(),
            "检查数据目录的权限和磁盘空间 / check the data directory's permissions and free space",
        )),
    }
    out
}

/// The database, its WAL, the device key and every backup must be owner-only: they hold
/// customers' personal data.
fn private_files(data_dir: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "文件权限 file permissions";
    let mut files: Vec<std::path::PathBuf> =
        [DB_FILE.to_string(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm"), DEVICE_KEY_FILE.to_string()]
            .iter()
            .map(|f| data_dir.join(f))
            .collect();
    if let Ok(dir) = std::fs::read_dir(crate::app::backups_dir(data_dir)) {
        files.extend(dir.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()));
    }
    let open: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let mode = std::fs::metadata(f).ok()?.permissions().mode();
            (mode & 0o077 != 0).then(|| format!("{} ({:o})", f.display(), mode & 0o777))
        })
        .collect();
    if open.is_empty() {
        return ok(NAME, "数据库、备份和密钥仅属主可读 / database, backups and key are owner-only");
    }
    fail(
        NAME,
        format!("其他用户可读 / readable by others: {}", open.join(", ")),
        format!(
            "chmod 600 这些文件（salonbox 打开数据库时也会自动收紧）/ chmod 600 them (salonbox also tightens them when it opens the database): {}",
            data_dir.display()
        ),
    )
}

/// The newest backup: from within the last 36 hours, or none yet in a shop with no
/// customers.
fn backups(state: BackupState, dir: &Path, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Check {
    const NAME: &str = "备份 backups";
    const HINT: &str = "守护进程每晚备份：检查它是否在运行（systemctl status salonbox-daemon），或现在备份（salonbox backup）/ the daemon backs up every night: check it runs (systemctl status salonbox-daemon), or back up now (salonbox backup)";
    let when = |at: DateTime<Utc>| {
        let hours = (now - at).num_hours();
        format!("{}（{hours} 小时前 / {hours} h ago）", at.with_timezone(&tz).format("%Y-%m-%d %H:%M"))
    };
    match state {
        BackupState::NotNeeded => ok(NAME, "尚无备份（店里还没有顾客）/ none yet (no customers yet)"),
        BackupState::Missing => {
            fail(NAME, format!("{} 中没有备份 / no backup in {}", dir.display(), dir.display()), HINT)
        }
        BackupState::Fresh(at) => ok(NAME, format!("最近一次 / newest {}", when(at))),
        BackupState::Stale(at) => {
            fail(NAME, format!("最近一次备份已过时 / the newest backup is old: {}", when(at)), HINT)
        }
    }
}

fn serial_port(name: &str, port: &str, baud: u32) -> Check {
    let mut link = SerialLink::new(SerialSettings { path: port.to_string(), baud });
    match link.ensure_open() {
        Ok(()) => ok(name, format!("{port} @ {baud}")),
        Err(e) => {
            let hint = serial_error_io(&e).map_or_else(|| e.to_string(), |io| path_hint(port, &io, name));
            fail(name, e.to_string(), hint)
        }
    }
}

fn id_reader(config: &Config) -> Check {
    const NAME: &str = "身份证阅读器 ID-card reader";
    let hw = &config.hardware;
    let opened = serial_port(NAME, &hw.id_reader_port, hw.id_reader_baud);
    if !opened.ok {
        return opened;
    }
    // the key is not needed to ask for the SAM's status
    let mut r = SamReader::new(SerialSettings { path: hw.id_reader_port.clone(), baud: hw.id_reader_baud }, &[]);
    match r.sam_status() {
        Ok(Status::Ok) => ok(NAME, format!("{} @ {}, SAM ok", hw.id_reader_port, hw.id_reader_baud)),
        Ok(s) => fail(
            NAME,
            format!("SAM: {s}"),
            "阅读器自检失败：断电重启阅读器，仍失败请联系供应商 / the reader's self-test failed: power-cycle it; if it persists, contact the supplier",
        ),
        Err(e) => fail(
            NAME,
            e.to_string(),
            format!(
                "串口能打开但阅读器不回答：检查波特率（id_reader_baud = {}）和是否接错口 / the port opens but nothing answers: check id_reader_baud and that this is the reader's port",
                hw.id_reader_baud
            ),
        ),
    }
}

fn printer(config: &Config) -> Check {
    const NAME: &str = "打印机 printer";
    let spec = &config.hardware.printer;
    let shown = spec.to_string();
    match spec {
        PrinterSpec::None => ok(NAME, "未配置 / none configured"),
        PrinterSpec::File(path) => match probe_file(path) {
            Ok(()) => ok(NAME, shown),
            Err(e) => fail(NAME, format!("{shown}: {e}"), path_hint(&path.display().to_string(), &e, "打印机 printer")),
        },
        PrinterSpec::Serial { path, baud } => serial_port(NAME, path, *baud),
        PrinterSpec::Tcp { host, port } => {
            use std::net::ToSocketAddrs;
            let addr = (host.as_str(), *port).to_socket_addrs().ok().and_then(|mut a| a.next());
            let timeout = config.hardware.printer_timeout.max(Duration::from_millis(200));
            match addr.map(|a| std::net::TcpStream::connect_timeout(&a, timeout)) {
                Some(Ok(_)) => ok(NAME, shown),
                Some(Err(e)) => fail(
                    NAME,
                    format!("{shown}: {e}"),
                    "检查打印机电源、网线和 IP 地址 / check the printer's power, network cable and IP address",
                ),
                None => fail(
                    NAME,
                    format!("{host}: 无法解析 / cannot resolve"),
                    "改用打印机的 IP 地址 / use the printer's IP address",
                ),
            }
        }
        PrinterSpec::Usb { .. } => {
            let p = crate::devices::printer::EscposPrinter::new(spec.clone(), config.hardware.printer_timeout);
            match p.connect() {
                Ok(()) => ok(NAME, shown),
                Err(e) => fail(
                    NAME,
                    e.to_string(),
                    "检查 USB 线和 udev 规则（见 docs/install-pi.md）/ check the USB cable and the udev rules",
                ),
            }
        }
    }
}

/// On a system run by systemd with the kiosk's unit installed: its sandbox admits the
/// configured network printer (and a printer by name, which no sandbox can admit, is named).
fn kiosk_sandbox(config: &Config) -> Option<Check> {
    use super::sandbox::{self, PrinterNetwork};
    const NAME: &str = "自助机网络 kiosk network";
    let named = matches!(sandbox::printer_network(&config.hardware), PrinterNetwork::Named(_));
    let systemd = Path::new("/run/systemd/system").is_dir()
        && ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"]
            .iter()
            .any(|d| Path::new(d).join(sandbox::KIOSK_UNIT).exists());
    if !named && !systemd {
        return None;
    }
    Some(match sandbox::check(&config.hardware, Path::new(sandbox::GENERATOR_DIR)) {
        Ok(detail) => ok(NAME, detail),
        Err(problem) => fail(
            NAME,
            problem,
            "见 docs/install-pi.md 的 A network printer 一节 / see docs/install-pi.md, A network printer",
        ),
    })
}

fn buzzer(config: &Config) -> Check {
    const NAME: &str = "蜂鸣器 buzzer";
    match super::buzzer(&config.hardware) {
        Ok(None) => ok(NAME, "未配置 / none configured"),
        Ok(Some(b)) => ok(NAME, b.inner.name()),
        Err(e) => fail(
            NAME,
            e.to_string(),
            format!(
                "需要树莓派的 /dev/gpiomem 且用户 {} 在 gpio 组；没有蜂鸣器就在配置里写 buzzer_gpio = \"none\"（自助机照常工作）/ needs a Raspberry Pi's /dev/gpiomem and user {} in the gpio group; without a buzzer set buzzer_gpio = \"none\" (the kiosk works either way)",
                user(),
                user()
            ),
        ),
    }
}
