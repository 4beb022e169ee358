//! The configuration file (`config/salonbox.example.toml` documents every key).
//!
//! Unknown keys are errors; a bad value is refused with the file, line, column and key.
//! Secrets may be given inline or as `*_file = "path"`; they are read here and held in
//! [`Secret`], whose `Debug` never shows them.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::Duration;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};
use thiserror::Error;

use crate::devices::buzzer::QuietHours;
use crate::devices::paper::Paper;
use crate::devices::printer::PrinterSpec;
use crate::devices::reader::LineProtocol;
use crate::domain::checkin::CheckinWindow;
use crate::domain::jobs::Job;
use crate::domain::time::{DailySpan, OpeningHours};

/// Where the configuration file is looked for when neither `--config` nor
/// `SALONBOX_CONFIG` names one (it may be absent: then defaults serve).
pub const SYSTEM_CONFIG: &str = "/etc/salonbox/config.toml";
/// Data directory when neither the file nor `--data-dir` names one.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/salonbox";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}：{source} / cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "配置文件 {path} 第 {line} 行第 {column} 列（{key}）：{message} / configuration file {path}, line {line}, column {column} ({key}): {message}"
    )]
    Invalid { path: PathBuf, line: usize, column: usize, key: String, message: String },
    #[error(
        "配置文件 {path}：{key} 与 {key}_file 只能给出其一 / configuration file {path}: give {key} or {key}_file, not both"
    )]
    SecretTwice { path: PathBuf, key: String },
    #[error(
        "配置文件 {path}：{key}_file 指向的 {file} 无法读取：{source} / configuration file {path}: {key}_file {file} cannot be read: {source}"
    )]
    SecretFile { path: PathBuf, key: String, file: PathBuf, source: std::io::Error },
    #[error("配置文件 {path}：{key}_file 指向的 {file} 为空 / configuration file {path}: {key}_file {file} is empty")]
    SecretEmpty { path: PathBuf, key: String, file: PathBuf },
}

/// A secret read from the configuration: shown as `***` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Message kinds a route may be given for (besides template names).
pub const ROUTE_KINDS: &[&str] = &["transactional", "marketing", "staff"];
/// Channel names a route may list (`sms` is whichever SMS provider is set up).
pub const CHANNEL_NAMES: &[&str] = &["sms", "aliyun_sms", "tencent_sms", "relay", "wechat", "wecom", "dingtalk", "log"];

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    pub shop: Shop,
    pub checkin: Checkin,
    pub hardware: Hardware,
    pub channels: Channels,
    pub messages: Messages,
    pub jobs: Jobs,
    pub cloud: Cloud,
    pub feedback: Feedback,
    pub web: Web,
}

/// The back office (`salonbox web`).
#[derive(Debug, Clone)]
pub struct Web {
    /// Where it listens (default `0.0.0.0:8080`: the shop's network).
    pub listen: std::net::SocketAddr,
    /// Client addresses answered besides loopback, private and link-local ones (CIDR).
    pub allow: Vec<Cidr>,
    /// A session ends after this long without a request…
    pub session_idle: chrono::Duration,
    /// …and this long after its login, whatever happens.
    pub session_max: chrono::Duration,
}

/// An address range, `100.64.0.0/10` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub net: std::net::IpAddr,
    pub bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, bits) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let net: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("「{s}」不是地址段 / \"{s}\" is not an address range (e.g. 100.64.0.0/10)"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = if bits.is_empty() {
            max
        } else {
            bits.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                format!("「{s}」的前缀长度须在 0 到 {max} 之间 / the prefix length of \"{s}\" must be from 0 to {max}")
            })?
        };
        Ok(Cidr { net, bits })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.bits == 0 { 0 } else { u32::MAX << (32 - u32::from(self.bits)) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.bits == 0 { 0 } else { u128::MAX << (128 - u32::from(self.bits)) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Ratings by a link in a thank-you message (the page is the cloud's; ratings come back
/// through pull as `feedback.submitted`).
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// The rating page's address, e.g. `https://cloud.example.com/rate`; `None`: no
    /// thank-you message with a link.
    pub thanks_link: Option<String>,
    /// How long after checkout the thank-you message goes.
    pub thanks_delay: chrono::Duration,
}

/// The daemon's scheduled jobs.
#[derive(Debug, Clone)]
pub struct Jobs {
    /// Job name → cron schedule (seconds first, shop time); every job of
    /// `domain::jobs::Job` has one.
    pub schedules: std::collections::BTreeMap<crate::domain::jobs::Job, cron::Schedule>,
    pub birthday_lead_days: u32,
    /// The coupon template a birthday brings.
    pub birthday_coupon: String,
    pub queue_near_places: u32,
    pub queue_near_minutes: u32,
    /// How long a freed slot is held for the wait-list customer it was offered to.
    pub waitlist_hold_minutes: u32,
    /// Win-back: overdue when the time since the last visit exceeds this many times the
    /// customer's own average interval, and at least `winback_floor_days`.
    pub winback_factor: f64,
    pub winback_floor_days: u32,
    /// At most one win-back message per customer in this many days.
    pub winback_every_days: u32,
    /// At most this many win-back messages a run.
    pub winback_batch: u32,
    /// The coupon template a win-back message brings, if any.
    pub winback_coupon: Option<String>,
    /// The share of win-back customers left out (a standing hold-out group), so that
    /// `campaign report 老客回访` can say what the messages changed.
    pub winback_holdout_percent: u8,
    /// Courses and stored-value bonuses ending within this many days get a reminder.
    pub expiry_notice_days: u32,
    /// Product batches expiring within this many days are reported to staff (库存效期).
    pub stock_expiry_days: u32,
    /// Retention: printed tickets and receipts (their bytes) are kept this many days,
    /// settled messages (with their parameters) this many, synced events this many.
    pub retention_print_days: u32,
    pub retention_message_days: u32,
    pub retention_sync_days: u32,
    pub backup_keep: usize,
    /// Time-based jobs wait until this file exists (systemd-timesyncd's "synchronised"
    /// flag); `None`: do not wait.
    pub clock_sync_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Shop {
    pub name: String,
    /// Printed under the name on receipts; empty: not printed.
    pub address: String,
    pub phone: String,
    pub time_zone: Tz,
    pub data_dir: PathBuf,
    pub opening_hours: OpeningHours,
}

#[derive(Debug, Clone)]
pub struct Checkin {
    pub window: CheckinWindow,
    pub kiosk_idle_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HardwareMode {
    Sim,
    Real,
}

#[derive(Debug, Clone)]
pub struct Hardware {
    pub mode: HardwareMode,
    pub id_reader_port: String,
    pub id_reader_baud: u32,
    pub id_reader_poll: std::time::Duration,
    pub card_reader_port: Option<String>,
    pub card_reader_baud: u32,
    pub card_reader_protocol: LineProtocol,
    pub printer: PrinterSpec,
    pub paper: Paper,
    pub printer_timeout: std::time::Duration,
    /// How long an unprinted queue ticket is kept for a printer that is off.
    pub ticket_expiry: Duration,
    pub buzzer_gpio: Option<u8>,
    pub buzzer_active_low: bool,
    /// 0: an active buzzer; otherwise a passive one driven at this frequency.
    pub buzzer_pwm_hz: u32,
    pub buzzer_quiet_hours: Option<QuietHours>,
}

#[derive(Debug, Clone, Default)]
pub struct Channels {
    pub sms_provider: SmsProvider,
    pub aliyun: Option<Aliyun>,
    pub tencent: Option<Tencent>,
    pub wecom_webhook: Option<Secret>,
    pub dingtalk_webhook: Option<Secret>,
    pub dingtalk_secret: Option<Secret>,
    pub wechat: Option<Wechat>,
    /// The log channel (the demo's): messages are written to the log instead of sent.
    pub log: bool,
    /// How long one request to a provider may take.
    pub timeout: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct Wechat {
    pub app_id: String,
    pub app_secret: Secret,
    pub endpoint: String,
}

/// The rules every message follows, its routes and its templates.
#[derive(Debug, Clone)]
pub struct Messages {
    /// Marketing only in these hours (shop time); always within 08:00-20:00.
    pub marketing_hours: DailySpan,
    /// Messages to customers that are not marketing (reminders, queue, wait list).
    pub transactional_hours: DailySpan,
    /// At most this many messages to one number per shop day (staff alerts aside).
    pub daily_cap_per_number: u32,
    /// All channels together: at most this many sends a minute.
    pub rate_per_minute: u32,
    pub retry_first: std::time::Duration,
    pub retry_max: std::time::Duration,
    pub max_attempts: u32,
    /// The owner's mobile number: the daily summary goes there (by SMS) instead of to the
    /// staff group.
    pub owner_phone: Option<String>,
    /// Ordered channel names per message kind (`transactional`, `marketing`, `staff`) or per
    /// template name, which takes precedence.
    pub routes: std::collections::BTreeMap<String, Vec<String>>,
    /// Per template: its text and the providers' template ids.
    pub templates: std::collections::BTreeMap<String, TemplateConf>,
}

impl Messages {
    /// The channels to try for a message, in order.
    pub fn route(&self, template: &str, kind: &str) -> &[String] {
        self.routes.get(template).or_else(|| self.routes.get(kind)).map_or(&[], Vec::as_slice)
    }
}

/// A message template as configured: the text (with `{name}` placeholders) and what each
/// provider calls it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateConf {
    pub text: Option<String>,
    pub providers: ProviderTemplates,
}

impl<'de> Deserialize<'de> for TemplateConf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            text: Option<String>,
            aliyun: Option<String>,
            tencent: Option<String>,
            #[serde(default)]
            tencent_params: Vec<String>,
            wechat: Option<String>,
        }
        let r = Raw::deserialize(d)?;
        Ok(TemplateConf {
            text: r.text,
            providers: ProviderTemplates {
                aliyun: r.aliyun,
                tencent: r.tencent,
                tencent_params: r.tencent_params,
                wechat: r.wechat,
            },
        })
    }
}

/// A template's ids at the providers (approved there beforehand).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderTemplates {
    /// Aliyun `TemplateCode`, e.g. `SMS_123456789`.
    pub aliyun: Option<String>,
    /// Tencent Cloud `TemplateId`.
    pub tencent: Option<String>,
    /// The parameter names in the order the Tencent template numbers them ({1}, {2}, ...).
    pub tencent_params: Vec<String>,
    /// The WeChat official-account template id; parameters go by name.
    pub wechat: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    #[default]
    None,
    Aliyun,
    Tencent,
    Relay,
}

#[derive(Debug, Clone)]
pub struct Aliyun {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub sign_name: String,
    pub endpoint: String,
}

#[derive(Debug, Clone)]
pub struct Tencent {
    pub secret_id: String,
    pub secret_key: Secret,
    pub sdk_app_id: String,
    pub sign_name: String,
    pub region: String,
    pub endpoint: String,
}

#[derive(Debug, Clone)]
pub struct Cloud {
    pub enabled: bool,
    pub base_url: String,
    pub store_id: String,
    pub device_token: Option<Secret>,
    pub push_interval_seconds: u32,
    pub pull_interval_seconds: u32,
    pub timeout_seconds: u32,
    /// The kiosk's staff screen warns when the shop has been out of touch this long.
    pub offline_alert_minutes: u32,
    /// The longest wait between failed attempts (the spec's 5 minutes by default).
    pub retry_max: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        // An empty file is a valid configuration: every key has a default.
        match raw_defaults() {
            Ok(c) => c,
            Err(e) => unreachable!("defaults are valid: {e}"),
        }
    }
}

fn raw_defaults() -> Result<Config, ConfigError> {
    Config::from_toml("", Path::new("<defaults>"))
}

impl Config {
    /// Loads a file; `None` means "no file": the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut c = Config::from_toml(&text, path)?;
        c.source = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses configuration text; `path` is used in messages and to resolve relative
    /// `*_file` paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let r: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, column, key) = locate(text, e.span());
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                key,
                message: e.message().trim().to_string(),
            }
        })?;
        let src = Source { text, path, base: path.parent().map(Path::to_path_buf).unwrap_or_default() };
        Ok(Config {
            source: None,
            shop: r.shop.check(&src)?,
            checkin: r.checkin.check(&src)?,
            hardware: r.hardware.check(&src)?,
            channels: r.channels.check(&src)?,
            messages: r.messages.check(&src)?,
            jobs: r.jobs.check(&src)?,
            cloud: r.cloud.check(&src)?,
            feedback: r.feedback.check(&src)?,
            web: r.web.check(&src)?,
        })
    }
}

/// The text a configuration was read from: every problem found after parsing points at
/// the line that sets the key (or its section), and `*_file` secrets are read relative to
/// the file.
struct Source<'a> {
    text: &'a str,
    path: &'a Path,
    base: PathBuf,
}

impl Source<'_> {
    /// A secret given inline or in a file (`key` or `key_file`, not both).
    fn secret(&self, key: &str, inline: Option<String>, file: Option<PathBuf>) -> Result<Option<Secret>, ConfigError> {
        let path = self.path;
        match (inline, file) {
            (Some(_), Some(_)) => Err(ConfigError::SecretTwice { path: path.to_path_buf(), key: key.to_string() }),
            (Some(v), None) => Ok(Some(Secret(v))),
            (None, Some(f)) => {
                let f = if f.is_relative() { self.base.join(f) } else { f };
                let v = std::fs::read_to_string(&f).map_err(|source| ConfigError::SecretFile {
                    path: path.to_path_buf(),
                    key: key.to_string(),
                    file: f.clone(),
                    source,
                })?;
                let v = v.trim().to_string();
                if v.is_empty() {
                    return Err(ConfigError::SecretEmpty { path: path.to_path_buf(), key: key.to_string(), file: f });
                }
                Ok(Some(Secret(v)))
            }
            (None, None) => Ok(None),
        }
    }

    /// A secret its section cannot do without.
    fn required_secret(&self, key: &str, inline: Option<String>, file: Option<PathBuf>) -> Result<Secret, ConfigError> {
        self.secret(key, inline, file)?.ok_or_else(|| self.missing(key))
    }

    /// A required key that is absent: points at the section that lacks it
    /// (`[channels.aliyun]` for `channels.aliyun.x`).
    fn missing(&self, key: &str) -> ConfigError {
        let section = key.rsplit_once('.').map_or("", |(s, _)| s);
        let line = self
            .text
            .lines()
            .position(|l| l.trim().trim_matches(|c| c == '[' || c == ']').trim() == section)
            .map_or(0, |i| i + 1);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column: 1,
            key: key.to_string(),
            message: format!("缺少 {key} 或 {key}_file / {key} or {key}_file is missing"),
        }
    }

    /// A value that parses but is refused: points at the line that sets the key, or its
    /// section.
    fn invalid(&self, key: &str, message: String) -> ConfigError {
        let (section, leaf) = key.rsplit_once('.').unwrap_or(("", key));
        let mut current = String::new();
        let mut found = None;
        for (i, l) in self.text.lines().enumerate() {
            let t = l.trim();
            if t.starts_with('[') {
                current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
                if current == key && found.is_none() {
                    found = Some(i + 1);
                }
            } else if current == section && t.split('=').next().map(str::trim) == Some(leaf) {
                found = Some(i + 1);
            }
        }
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: found.unwrap_or(0),
            column: 1,
            key: key.to_string(),
            message,
        }
    }

    /// Values that parse but make no sense (a zero speed) are refused with their line,
    /// never clamped behind the owner's back.
    fn range(&self, key: &str, v: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
        if (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(self.invalid(key, format!("须在 {lo} 到 {hi} 之间，而不是 {v} / must be from {lo} to {hi}, not {v}")))
        }
    }

    fn text_len(&self, key: &str, v: &str, max: usize, required: bool) -> Result<(), ConfigError> {
        if required && v.trim().is_empty() {
            return Err(self.invalid(key, "不能为空 / must not be empty".into()));
        }
        let n = v.trim().chars().count();
        if n > max {
            return Err(
                self.invalid(key, format!("最多 {max} 个字，这里有 {n} 个 / at most {max} characters, not {n}"))
            );
        }
        Ok(())
    }
}

impl RawShop {
    fn check(self, src: &Source<'_>) -> Result<Shop, ConfigError> {
        src.text_len("shop.name", &self.name, 40, true)?;
        src.text_len("shop.address", &self.address, 80, false)?;
        src.text_len("shop.phone", &self.phone, 30, false)?;
        let oh = self.opening_hours;
        Ok(Shop {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            phone: self.phone.trim().to_string(),
            time_zone: self.time_zone.0,
            data_dir: self.data_dir,
            opening_hours: OpeningHours {
                days: [oh.mon.0, oh.tue.0, oh.wed.0, oh.thu.0, oh.fri.0, oh.sat.0, oh.sun.0],
            },
        })
    }
}

impl RawCheckin {
    fn check(self, src: &Source<'_>) -> Result<Checkin, ConfigError> {
        src.range("checkin.kiosk_idle_seconds", self.kiosk_idle_seconds.into(), 5, 3600)?;
        Ok(Checkin {
            window: CheckinWindow {
                early: Duration::minutes(self.early_minutes.into()),
                late: Duration::minutes(self.late_minutes.into()),
            },
            kiosk_idle_seconds: self.kiosk_idle_seconds,
        })
    }
}

impl RawHardware {
    fn check(self, src: &Source<'_>) -> Result<Hardware, ConfigError> {
        src.range("hardware.id_reader_baud", self.id_reader_baud.into(), 1200, 921_600)?;
        src.range("hardware.id_reader_poll_ms", self.id_reader_poll_ms.into(), 50, 5000)?;
        src.range("hardware.card_reader_baud", self.card_reader_baud.into(), 1200, 921_600)?;
        src.range("hardware.printer_timeout_seconds", self.printer_timeout_seconds.into(), 1, 120)?;
        src.range("hardware.ticket_expiry_minutes", self.ticket_expiry_minutes.into(), 1, 24 * 60)?;
        if self.buzzer_pwm_hz != 0 {
            src.range("hardware.buzzer_pwm_hz", self.buzzer_pwm_hz.into(), 20, 20_000)?;
        }
        Ok(Hardware {
            mode: self.mode,
            id_reader_port: self.id_reader_port,
            id_reader_baud: self.id_reader_baud,
            id_reader_poll: std::time::Duration::from_millis(self.id_reader_poll_ms.into()),
            card_reader_port: self.card_reader_port,
            card_reader_baud: self.card_reader_baud,
            card_reader_protocol: self.card_reader_protocol,
            printer: self.printer.0,
            paper: self.paper_width_mm.0,
            printer_timeout: std::time::Duration::from_secs(self.printer_timeout_seconds.into()),
            ticket_expiry: Duration::minutes(self.ticket_expiry_minutes.into()),
            buzzer_gpio: self.buzzer_gpio.0,
            buzzer_active_low: self.buzzer_active_low,
            buzzer_pwm_hz: self.buzzer_pwm_hz,
            buzzer_quiet_hours: self.buzzer_quiet_hours.map(|q| q.0),
        })
    }
}

impl RawChannels {
    fn check(self, src: &Source<'_>) -> Result<Channels, ConfigError> {
        if let Some(t) = self.timeout_seconds {
            src.range("channels.timeout_seconds", t.into(), 1, 120)?;
        }
        let aliyun = match self.aliyun {
            Some(a) => Some(Aliyun {
                access_key_secret: src.required_secret(
                    "channels.aliyun.access_key_secret",
                    a.access_key_secret,
                    a.access_key_secret_file,
                )?,
                access_key_id: a.access_key_id,
                sign_name: a.sign_name,
                endpoint: a.endpoint,
            }),
            None => None,
        };
        let tencent = match self.tencent {
            Some(t) => Some(Tencent {
                secret_key: src.required_secret("channels.tencent.secret_key", t.secret_key, t.secret_key_file)?,
                secret_id: t.secret_id,
                sdk_app_id: t.sdk_app_id,
                sign_name: t.sign_name,
                region: t.region,
                endpoint: t.endpoint,
            }),
            None => None,
        };
        let wechat = match self.wechat {
            Some(w) => Some(Wechat {
                app_secret: src.required_secret("channels.wechat.app_secret", w.app_secret, w.app_secret_file)?,
                app_id: w.app_id,
                endpoint: w.endpoint,
            }),
            None => None,
        };
        Ok(Channels {
            sms_provider: self.sms_provider,
            aliyun,
            tencent,
            wecom_webhook: src.secret("channels.wecom_webhook", self.wecom_webhook, self.wecom_webhook_file)?,
            dingtalk_webhook: src.secret(
                "channels.dingtalk_webhook",
                self.dingtalk_webhook,
                self.dingtalk_webhook_file,
            )?,
            dingtalk_secret: src.secret("channels.dingtalk_secret", self.dingtalk_secret, self.dingtalk_secret_file)?,
            wechat,
            log: self.log,
            timeout: std::time::Duration::from_secs(self.timeout_seconds.unwrap_or(15).into()),
        })
    }
}

impl RawMessages {
    fn check(self, src: &Source<'_>) -> Result<Messages, ConfigError> {
        let m = self;
        src.range("messages.rate_per_minute", m.rate_per_minute.into(), 1, 100_000)?;
        src.range("messages.retry_first_seconds", m.retry_first_seconds.into(), 1, 86_400)?;
        src.range("messages.retry_max_seconds", m.retry_max_seconds.into(), m.retry_first_seconds.into(), 7 * 86_400)?;
        src.range("messages.max_attempts", m.max_attempts.into(), 1, 100)?;
        let hard_limit = DailySpan::parse("08:00-20:00").unwrap_or_else(|| unreachable!("valid span"));
        if !m.marketing_hours.0.within(&hard_limit) {
            return Err(src.invalid(
                "messages.marketing_hours",
                format!(
                    "营销消息只能在 08:00-20:00 之内发送，「{}」超出了 / marketing may only be sent within 08:00-20:00, \"{}\" is not",
                    m.marketing_hours.0, m.marketing_hours.0
                ),
            ));
        }
        for (name, channels) in &m.routes {
            let key = format!("messages.routes.{name}");
            if !ROUTE_KINDS.contains(&name.as_str()) && !crate::domain::messages::is_template(name) {
                return Err(src.invalid(
                    &key,
                    format!("没有叫 {name} 的消息类别或模板 / no message kind or template is called {name}"),
                ));
            }
            if let Some(bad) = channels.iter().find(|c| !CHANNEL_NAMES.contains(&c.as_str())) {
                return Err(src.invalid(
                    &key,
                    format!(
                        "没有叫 {bad} 的渠道（可用：{0}）/ no channel is called {bad} (known: {0})",
                        CHANNEL_NAMES.join(", ")
                    ),
                ));
            }
        }
        if let Some(name) = m.templates.keys().find(|n| !crate::domain::messages::is_template(n)) {
            return Err(src.invalid(
                &format!("messages.templates.{name}"),
                format!("没有叫 {name} 的模板 / no template is called {name}"),
            ));
        }
        let mut routes = RawMessages::default().routes;
        routes.extend(m.routes);
        let owner_phone = match m.owner_phone.trim() {
            "" => None,
            p => Some(
                crate::domain::phone::Phone::parse(p)
                    .map_err(|e| src.invalid("messages.owner_phone", e.to_string()))?
                    .to_string(),
            ),
        };
        Ok(Messages {
            owner_phone,
            marketing_hours: m.marketing_hours.0,
            transactional_hours: m.transactional_hours.0,
            daily_cap_per_number: m.daily_cap_per_number,
            rate_per_minute: m.rate_per_minute,
            retry_first: std::time::Duration::from_secs(m.retry_first_seconds.into()),
            retry_max: std::time::Duration::from_secs(m.retry_max_seconds.into()),
            max_attempts: m.max_attempts,
            routes,
            templates: m.templates,
        })
    }
}

impl RawJobs {
    fn check(self, src: &Source<'_>) -> Result<Jobs, ConfigError> {
        let j = self;
        src.range("jobs.waitlist_hold_minutes", j.waitlist_hold_minutes.into(), 1, 24 * 60)?;
        if !(j.winback_factor.is_finite() && (1.0..=100.0).contains(&j.winback_factor)) {
            return Err(src.invalid(
                "jobs.winback_factor",
                format!(
                    "须在 1 到 100 之间，而不是 {} / must be from 1 to 100, not {}",
                    j.winback_factor, j.winback_factor
                ),
            ));
        }
        src.range("jobs.winback_every_days", j.winback_every_days.into(), 1, 3650)?;
        src.range("jobs.winback_holdout_percent", j.winback_holdout_percent.into(), 0, 50)?;
        src.range("jobs.expiry_notice_days", j.expiry_notice_days.into(), 1, 365)?;
        src.range("jobs.retention_print_days", j.retention_print_days.into(), 1, 3650)?;
        src.range("jobs.retention_message_days", j.retention_message_days.into(), 1, 3650)?;
        src.range("jobs.retention_sync_days", j.retention_sync_days.into(), 1, 3650)?;
        src.range("jobs.backup_keep", j.backup_keep as u64, 1, 365)?;
        // An unknown job is an error with its line; every known one gets its schedule.
        if let Some(name) = j.schedules.keys().find(|n| Job::parse(n).is_none()) {
            return Err(src.invalid(
                &format!("jobs.schedules.{name}"),
                format!("没有叫 {name} 的任务（可用：{0}）/ no job is called {name} (known: {0})", Job::names()),
            ));
        }
        let mut schedules = std::collections::BTreeMap::new();
        for job in Job::ALL {
            let name = job.name();
            let expr = j.schedules.get(name).map_or(job.default_schedule(), String::as_str);
            let schedule = expr.parse::<cron::Schedule>().map_err(|e| {
                src.invalid(
                    &format!("jobs.schedules.{name}"),
                    format!(
                        "「{expr}」不是有效的 cron 表达式（秒 分 时 日 月 周）：{e} / \"{expr}\" is not a cron expression (sec min hour day month weekday): {e}"
                    ),
                )
            })?;
            schedules.insert(job, schedule);
        }
        Ok(Jobs {
            schedules,
            birthday_lead_days: j.birthday_lead_days,
            birthday_coupon: j.birthday_coupon,
            queue_near_places: j.queue_near_places,
            queue_near_minutes: j.queue_near_minutes,
            waitlist_hold_minutes: j.waitlist_hold_minutes,
            winback_factor: j.winback_factor,
            winback_floor_days: j.winback_floor_days,
            winback_every_days: j.winback_every_days,
            winback_batch: j.winback_batch,
            winback_coupon: (!j.winback_coupon.trim().is_empty()).then(|| j.winback_coupon.trim().to_string()),
            winback_holdout_percent: j.winback_holdout_percent,
            expiry_notice_days: j.expiry_notice_days,
            stock_expiry_days: j.stock_expiry_days,
            retention_print_days: j.retention_print_days,
            retention_message_days: j.retention_message_days,
            retention_sync_days: j.retention_sync_days,
            backup_keep: j.backup_keep,
            clock_sync_file: (!j.clock_sync_file.trim().is_empty()).then(|| PathBuf::from(j.clock_sync_file.trim())),
        })
    }
}

impl RawCloud {
    fn check(self, src: &Source<'_>) -> Result<Cloud, ConfigError> {
        let c = self;
        src.range("cloud.push_interval_seconds", c.push_interval_seconds.into(), 1, 86_400)?;
        src.range("cloud.pull_interval_seconds", c.pull_interval_seconds.into(), 1, 86_400)?;
        src.range("cloud.timeout_seconds", c.timeout_seconds.into(), 1, 120)?;
        src.range("cloud.offline_alert_minutes", c.offline_alert_minutes.into(), 1, 7 * 24 * 60)?;
        src.range("cloud.retry_max_seconds", c.retry_max_seconds.into(), 1, 300)?;
        let device_token = src.secret("cloud.device_token", c.device_token, c.device_token_file)?;
        if c.enabled {
            use crate::domain::sync::{base_url_allowed, store_id_valid};
            if !base_url_allowed(&c.base_url) {
                return Err(src.invalid(
                    "cloud.base_url",
                    format!(
                        "「{}」须以 https:// 开头（http 只允许本机回环地址）/ \"{}\" must start with https:// (plain http only to a loopback address)",
                        c.base_url, c.base_url
                    ),
                ));
            }
            if !store_id_valid(&c.store_id) {
                return Err(src.invalid(
                    "cloud.store_id",
                    format!(
                        "「{}」须为 1–64 个 A-Z a-z 0-9 _ - 字符 / \"{}\" must be 1-64 of A-Z a-z 0-9 _ -",
                        c.store_id, c.store_id
                    ),
                ));
            }
            if device_token.as_ref().is_none_or(|t| t.expose().is_empty()) {
                return Err(src.invalid(
                    "cloud.device_token",
                    "启用云同步需要设备令牌（device_token 或 device_token_file）/ cloud sync needs a device token (device_token or device_token_file)".into(),
                ));
            }
        }
        Ok(Cloud {
            device_token,
            enabled: c.enabled,
            base_url: c.base_url,
            store_id: c.store_id,
            push_interval_seconds: c.push_interval_seconds,
            pull_interval_seconds: c.pull_interval_seconds,
            timeout_seconds: c.timeout_seconds,
            offline_alert_minutes: c.offline_alert_minutes,
            retry_max: std::time::Duration::from_secs(c.retry_max_seconds.into()),
        })
    }
}

impl RawWeb {
    fn check(self, src: &Source<'_>) -> Result<Web, ConfigError> {
        let listen = self.listen.trim().parse().map_err(|_| {
            src.invalid(
                "web.listen",
                format!(
                    "「{}」不是 地址:端口 / \"{}\" is not address:port (e.g. 0.0.0.0:8080)",
                    self.listen, self.listen
                ),
            )
        })?;
        let allow = self
            .allow
            .iter()
            .map(|a| Cidr::parse(a).map_err(|m| src.invalid("web.allow", m)))
            .collect::<Result<_, _>>()?;
        src.range("web.session_idle_minutes", self.session_idle_minutes.into(), 1, 24 * 60)?;
        src.range("web.session_max_hours", self.session_max_hours.into(), 1, 7 * 24)?;
        Ok(Web {
            listen,
            allow,
            session_idle: chrono::Duration::minutes(self.session_idle_minutes.into()),
            session_max: chrono::Duration::hours(self.session_max_hours.into()),
        })
    }
}

impl RawFeedback {
    fn check(self, src: &Source<'_>) -> Result<Feedback, ConfigError> {
        src.range("feedback.thanks_delay_minutes", self.thanks_delay_minutes.into(), 0, 24 * 60)?;
        let thanks_link = match self.thanks_link.trim() {
            "" => None,
            link if link.starts_with("https://") => Some(link.to_string()),
            link => {
                return Err(src.invalid(
                    "feedback.thanks_link",
                    format!("「{link}」须以 https:// 开头 / \"{link}\" must start with https://"),
                ));
            }
        };
        Ok(Feedback { thanks_link, thanks_delay: chrono::Duration::minutes(self.thanks_delay_minutes.into()) })
    }
}

/// Line and column (1-based) of a byte offset, and the dotted key written there.
fn locate(text: &str, span: Option<std::ops::Range<usize>>) -> (usize, usize, String) {
    let Some(span) = span else {
        return (0, 0, String::from("-"));
    };
    let offset = span.start.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let mut section = String::new();
    for l in text[..line_start].lines() {
        let t = l.trim();
        if t.starts_with('[') && !t.starts_with("[[") {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
    }
    let this_line = text[line_start..].lines().next().unwrap_or("");
    let t = this_line.trim();
    let key = if t.starts_with('[') {
        t.trim_matches(|c| c == '[' || c == ']').trim().to_string()
    } else {
        let k = t.split('=').next().unwrap_or("").trim().trim_matches('"');
        match (section.is_empty(), k.is_empty()) {
            (_, true) => section.clone(),
            (true, false) => k.to_string(),
            (false, false) => format!("{section}.{k}"),
        }
    };
    (line, column, if key.is_empty() { "-".into() } else { key })
}

// ---- the file as written ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    shop: RawShop,
    checkin: RawCheckin,
    hardware: RawHardware,
    channels: RawChannels,
    messages: RawMessages,
    jobs: RawJobs,
    cloud: RawCloud,
    feedback: RawFeedback,
    web: RawWeb,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawWeb {
    listen: String,
    allow: Vec<String>,
    session_idle_minutes: u32,
    session_max_hours: u32,
}

impl Default for RawWeb {
    fn default() -> Self {
        RawWeb { listen: "0.0.0.0:8080".into(), allow: Vec::new(), session_idle_minutes: 30, session_max_hours: 12 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawFeedback {
    thanks_link: String,
    thanks_delay_minutes: u32,
}

impl Default for RawFeedback {
    fn default() -> Self {
        RawFeedback { thanks_link: String::new(), thanks_delay_minutes: 60 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawShop {
    name: String,
    address: String,
    phone: String,
    time_zone: TzValue,
    data_dir: PathBuf,
    opening_hours: RawOpeningHours,
}

impl Default for RawShop {
    fn default() -> Self {
        RawShop {
            name: "salonbox 美容院".into(),
            address: String::new(),
            phone: String::new(),
            time_zone: TzValue(chrono_tz::Asia::Shanghai),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            opening_hours: RawOpeningHours::default(),
        }
    }
}

struct TzValue(Tz);

impl Default for TzValue {
    fn default() -> Self {
        TzValue(chrono_tz::Asia::Shanghai)
    }
}

impl<'de> Deserialize<'de> for TzValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Tz>().map(TzValue).map_err(|_| {
            serde::de::Error::custom(format!(
                "未知时区 \"{s}\"（例如 Asia/Shanghai）/ unknown time zone \"{s}\" (e.g. Asia/Shanghai)"
            ))
        })
    }
}

struct DayHours(Option<(chrono::NaiveTime, chrono::NaiveTime)>);

impl Default for DayHours {
    fn default() -> Self {
        DayHours(OpeningHours::default().days[0])
    }
}

impl<'de> Deserialize<'de> for DayHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OpeningHours::parse_day(&s).map(DayHours).map_err(serde::de::Error::custom)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawOpeningHours {
    mon: DayHours,
    tue: DayHours,
    wed: DayHours,
    thu: DayHours,
    fri: DayHours,
    sat: DayHours,
    sun: DayHours,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCheckin {
    early_minutes: u16,
    late_minutes: u16,
    kiosk_idle_seconds: u32,
}

impl Default for RawCheckin {
    fn default() -> Self {
        RawCheckin { early_minutes: 60, late_minutes: 30, kiosk_idle_seconds: 30 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawHardware {
    mode: HardwareMode,
    id_reader_port: String,
    id_reader_baud: u32,
    id_reader_poll_ms: u32,
    card_reader_port: Option<String>,
    card_reader_baud: u32,
    card_reader_protocol: LineProtocol,
    printer: Parsed<PrinterSpec>,
    paper_width_mm: PaperWidth,
    printer_timeout_seconds: u32,
    ticket_expiry_minutes: u32,
    buzzer_gpio: BuzzerPin,
    buzzer_active_low: bool,
    buzzer_pwm_hz: u32,
    buzzer_quiet_hours: Option<Parsed<QuietHours>>,
}

impl Default for RawHardware {
    fn default() -> Self {
        RawHardware {
            mode: HardwareMode::Sim,
            id_reader_port: "/dev/ttyUSB0".into(),
            id_reader_baud: 115_200,
            id_reader_poll_ms: 300,
            card_reader_port: None,
            card_reader_baud: 9600,
            card_reader_protocol: LineProtocol::Line,
            printer: Parsed(PrinterSpec::File(PathBuf::from("/dev/usb/lp0"))),
            paper_width_mm: PaperWidth(Paper::Mm58),
            printer_timeout_seconds: 5,
            ticket_expiry_minutes: 120,
            buzzer_gpio: BuzzerPin(Some(18)),
            buzzer_active_low: false,
            buzzer_pwm_hz: 0,
            buzzer_quiet_hours: None,
        }
    }
}

/// A value read from a string through its `FromStr` (whose error is the message).
struct Parsed<T>(T);

impl<'de, T> Deserialize<'de> for Parsed<T>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<T>().map(Parsed).map_err(serde::de::Error::custom)
    }
}

/// `buzzer_gpio`: a BCM pin number, or `"none"` (also `"off"`, `""`, `false`) for a kiosk
/// without a buzzer.
struct BuzzerPin(Option<u8>);

impl<'de> Deserialize<'de> for BuzzerPin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Pin(i64),
            Word(String),
            Flag(bool),
        }
        let refuse = |what: String| {
            serde::de::Error::custom(format!(
                "蜂鸣器引脚须为 GPIO 编号 0–27，或 \"none\"（没有蜂鸣器），而不是 {what} / the buzzer pin must be a GPIO number 0-27, or \"none\" (no buzzer), not {what}"
            ))
        };
        match Raw::deserialize(d).map_err(|_| refuse("这个值 / this value".into()))? {
            Raw::Pin(n) => u8::try_from(n)
                .ok()
                .filter(|n| *n <= 27)
                .map(|n| BuzzerPin(Some(n)))
                .ok_or_else(|| refuse(n.to_string())),
            Raw::Flag(false) => Ok(BuzzerPin(None)),
            Raw::Flag(true) => Err(refuse("true".into())),
            Raw::Word(w) => match w.trim().to_ascii_lowercase().as_str() {
                "" | "none" | "off" | "no" | "无" => Ok(BuzzerPin(None)),
                t => t
                    .parse::<u8>()
                    .ok()
                    .filter(|n| *n <= 27)
                    .map(|n| BuzzerPin(Some(n)))
                    .ok_or_else(|| refuse(format!("\"{w}\""))),
            },
        }
    }
}

struct PaperWidth(Paper);

impl<'de> Deserialize<'de> for PaperWidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mm = u32::deserialize(d)?;
        Paper::from_mm(mm).map(PaperWidth).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "纸宽只能是 58 或 80（毫米），而不是 {mm} / paper width must be 58 or 80 (mm), not {mm}"
            ))
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawChannels {
    sms_provider: SmsProvider,
    aliyun: Option<RawAliyun>,
    tencent: Option<RawTencent>,
    wecom_webhook: Option<String>,
    wecom_webhook_file: Option<PathBuf>,
    dingtalk_webhook: Option<String>,
    dingtalk_webhook_file: Option<PathBuf>,
    dingtalk_secret: Option<String>,
    dingtalk_secret_file: Option<PathBuf>,
    wechat: Option<RawWechat>,
    log: bool,
    timeout_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWechat {
    app_id: String,
    app_secret: Option<String>,
    app_secret_file: Option<PathBuf>,
    #[serde(default = "wechat_endpoint")]
    endpoint: String,
}

fn wechat_endpoint() -> String {
    "https://api.weixin.qq.com".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawJobs {
    schedules: std::collections::BTreeMap<String, String>,
    birthday_lead_days: u32,
    birthday_coupon: String,
    queue_near_places: u32,
    queue_near_minutes: u32,
    waitlist_hold_minutes: u32,
    winback_factor: f64,
    winback_floor_days: u32,
    winback_every_days: u32,
    winback_batch: u32,
    winback_coupon: String,
    winback_holdout_percent: u8,
    expiry_notice_days: u32,
    stock_expiry_days: u32,
    retention_print_days: u32,
    retention_message_days: u32,
    retention_sync_days: u32,
    backup_keep: usize,
    clock_sync_file: String,
}

impl Default for RawJobs {
    fn default() -> Self {
        RawJobs {
            schedules: Default::default(),
            birthday_lead_days: 3,
            birthday_coupon: "生日券".into(),
            queue_near_places: 2,
            queue_near_minutes: 15,
            waitlist_hold_minutes: 30,
            winback_factor: 2.0,
            winback_floor_days: 45,
            winback_every_days: 90,
            winback_batch: 200,
            winback_coupon: String::new(),
            winback_holdout_percent: 10,
            expiry_notice_days: 14,
            stock_expiry_days: 30,
            retention_print_days: 7,
            retention_message_days: 180,
            retention_sync_days: 30,
            backup_keep: 14,
            clock_sync_file: "/run/systemd/timesync/synchronized".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawMessages {
    marketing_hours: Parsed<DailySpan>,
    transactional_hours: Parsed<DailySpan>,
    daily_cap_per_number: u32,
    rate_per_minute: u32,
    retry_first_seconds: u32,
    retry_max_seconds: u32,
    max_attempts: u32,
    owner_phone: String,
    routes: std::collections::BTreeMap<String, Vec<String>>,
    templates: std::collections::BTreeMap<String, TemplateConf>,
}

impl Default for RawMessages {
    fn default() -> Self {
        let span = |s: &str| Parsed(DailySpan::parse(s).unwrap_or_else(|| unreachable!("valid default span {s}")));
        let route = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        RawMessages {
            marketing_hours: span("10:00-20:00"),
            transactional_hours: span("08:00-21:30"),
            daily_cap_per_number: 3,
            rate_per_minute: 60,
            retry_first_seconds: 30,
            retry_max_seconds: 3600,
            max_attempts: 8,
            owner_phone: String::new(),
            routes: [
                ("transactional".to_string(), route(&["wechat", "sms"])),
                ("marketing".to_string(), route(&["wechat", "sms"])),
                ("staff".to_string(), route(&["wecom", "dingtalk", "log"])),
                // The owner's summary: the group, or the owner's phone when one is set.
                ("daily_summary".to_string(), route(&["wecom", "dingtalk", "sms", "log"])),
                // A low rating: to the owner's own phone first (it names a customer), else
                // the group.
                ("low_rating".to_string(), route(&["sms", "wecom", "dingtalk", "log"])),
            ]
            .into_iter()
            .collect(),
            templates: Default::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliyun {
    access_key_id: String,
    access_key_secret: Option<String>,
    access_key_secret_file: Option<PathBuf>,
    sign_name: String,
    #[serde(default = "aliyun_endpoint")]
    endpoint: String,
}

fn aliyun_endpoint() -> String {
    "https://dysmsapi.aliyuncs.com".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTencent {
    secret_id: String,
    secret_key: Option<String>,
    secret_key_file: Option<PathBuf>,
    sdk_app_id: String,
    sign_name: String,
    #[serde(default = "tencent_region")]
    region: String,
    #[serde(default = "tencent_endpoint")]
    endpoint: String,
}

fn tencent_region() -> String {
    "ap-guangzhou".into()
}
fn tencent_endpoint() -> String {
    "https://sms.tencentcloudapi.com".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCloud {
    enabled: bool,
    base_url: String,
    store_id: String,
    device_token: Option<String>,
    device_token_file: Option<PathBuf>,
    push_interval_seconds: u32,
    pull_interval_seconds: u32,
    timeout_seconds: u32,
    offline_alert_minutes: u32,
    retry_max_seconds: u32,
}

impl Default for RawCloud {
    fn default() -> Self {
        RawCloud {
            enabled: false,
            base_url: String::new(),
            store_id: String::new(),
            device_token: None,
            device_token_file: None,
            push_interval_seconds: 60,
            pull_interval_seconds: 60,
            timeout_seconds: 15,
            offline_alert_minutes: 60,
            retry_max_seconds: 300,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/etc/salonbox/config.toml"))
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.shop.time_zone, chrono_tz::Asia::Shanghai);
        assert_eq!(c.hardware.mode, HardwareMode::Sim);
        assert_eq!(c.channels.sms_provider, SmsProvider::None);
        assert_eq!(c.checkin.window, CheckinWindow::default());
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[shop]\nname = \"悦颜\"\ncolour = \"red\"\n").unwrap_err();
        match e {
            ConfigError::Invalid { line, key, message, .. } => {
                assert_eq!(line, 3);
                assert_eq!(key, "shop.colour");
                assert!(message.contains("colour"), "{message}");
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let e = parse("[shop]\ntime_zone = \"Asia/Shangai\"\n").unwrap_err().to_string();
        assert!(e.contains("第 2 行") && e.contains("shop.time_zone") && e.contains("Asia/Shangai"), "{e}");
        let e = parse("[shop.opening_hours]\nmon = \"closed\"\ntue = \"21:00-10:00\"\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("shop.opening_hours.tue"), "{e}");
        let e = parse("[checkin]\nearly_minutes = -5\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("checkin.early_minutes"), "{e}");
    }

    #[test]
    fn a_missing_secret_names_its_section() {
        let e = parse("[shop]\nname = \"x\"\n\n[channels.aliyun]\naccess_key_id = \"id\"\nsign_name = \"s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 4") && e.contains("channels.aliyun.access_key_secret_file"), "{e}");
    }

    #[test]
    fn secrets_from_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "s3cret\n").unwrap();
        let cfg = dir.path().join("salonbox.toml");
        let c = Config::from_toml("[cloud]\ndevice_token_file = \"token\"\n", &cfg).unwrap();
        assert_eq!(c.cloud.device_token.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        let e = Config::from_toml("[cloud]\ndevice_token = \"a\"\ndevice_token_file = \"token\"\n", &cfg).unwrap_err();
        assert!(matches!(e, ConfigError::SecretTwice { .. }));
        let e = Config::from_toml("[cloud]\ndevice_token_file = \"missing\"\n", &cfg).unwrap_err().to_string();
        assert!(e.contains("missing") && e.contains("cloud.device_token_file"), "{e}");
    }

    #[test]
    fn example_file_is_valid_as_installed() {
        // The package installs it as /etc/salonbox/config.toml: it must load there as it is,
        // with no secret files beside it.
        let text = include_str!("../config/salonbox.example.toml");
        let dir = tempfile::tempdir().unwrap();
        let c = Config::from_toml(text, &dir.path().join("config.toml")).unwrap();
        assert_eq!(c.shop.name, "悦颜美容 Yueyan Beauty");
        assert_eq!(c.shop.data_dir, Path::new("/var/lib/salonbox"));
    }

    #[test]
    fn hardware_values_are_parsed_and_bad_ones_named() {
        let p = Path::new("/etc/salonbox/config.toml");
        let c = Config::from_toml(
            "[hardware]\nprinter = \"tcp:192.168.1.50\"\npaper_width_mm = 80\ncard_reader_protocol = \"rdm6300\"\nbuzzer_quiet_hours = \"21:00-09:00\"\n",
            p,
        )
        .unwrap();
        assert_eq!(c.hardware.printer, PrinterSpec::Tcp { host: "192.168.1.50".into(), port: 9100 });
        assert_eq!(c.hardware.paper, Paper::Mm80);
        assert_eq!(c.hardware.card_reader_protocol, LineProtocol::Rdm6300);
        assert!(c.hardware.buzzer_quiet_hours.is_some());
        let d = Config::default();
        assert_eq!(d.hardware.printer, PrinterSpec::File("/dev/usb/lp0".into()));
        assert_eq!(d.hardware.paper, Paper::Mm58);
        for (text, line, key, says) in [
            ("[hardware]\nmode = \"sim\"\npaper_width_mm = 76\n", 3, "hardware.paper_width_mm", "58 or 80"),
            ("[hardware]\nprinter = \"lpt1\"\n", 2, "hardware.printer", "unknown printer \"lpt1\""),
            ("[hardware]\nprinter = \"usb:04b8\"\n", 2, "hardware.printer", "usb:VID:PID"),
            ("[hardware]\n\nbuzzer_quiet_hours = \"late\"\n", 3, "hardware.buzzer_quiet_hours", "21:00-09:00"),
            ("[hardware]\ncard_reader_protocol = \"wiegand\"\n", 2, "hardware.card_reader_protocol", "wiegand"),
        ] {
            let e = Config::from_toml(text, p).unwrap_err().to_string();
            assert!(e.contains(&format!("line {line}")) && e.contains(key) && e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn zero_empty_and_out_of_range_values_are_refused_with_their_line() {
        let p = Path::new("/etc/salonbox/config.toml");
        for (text, line, key) in [
            ("[hardware]\nmode = \"real\"\nid_reader_baud = 0\n", 3, "hardware.id_reader_baud"),
            ("[hardware]\nid_reader_poll_ms = 0\n", 2, "hardware.id_reader_poll_ms"),
            ("[hardware]\ncard_reader_baud = 0\n", 2, "hardware.card_reader_baud"),
            ("[hardware]\nprinter_timeout_seconds = 0\n", 2, "hardware.printer_timeout_seconds"),
            ("[checkin]\nkiosk_idle_seconds = 0\n", 2, "checkin.kiosk_idle_seconds"),
            ("[messages]\n\nrate_per_minute = 0\n", 3, "messages.rate_per_minute"),
            ("[messages]\nretry_first_seconds = 600\nretry_max_seconds = 60\n", 3, "messages.retry_max_seconds"),
            ("[jobs]\nbackup_keep = 0\n", 2, "jobs.backup_keep"),
            ("[jobs]\nwinback_holdout_percent = 90\n", 2, "jobs.winback_holdout_percent"),
            ("[cloud]\ntimeout_seconds = 0\n", 2, "cloud.timeout_seconds"),
            ("[cloud]\nretry_max_seconds = 3600\n", 2, "cloud.retry_max_seconds"),
            ("[feedback]\nthanks_delay_minutes = 99999\n", 2, "feedback.thanks_delay_minutes"),
        ] {
            let e = Config::from_toml(text, p).unwrap_err().to_string();
            assert!(
                e.contains(&format!("line {line}")) && e.contains(key) && e.contains("must be from"),
                "{text}: {e}"
            );
        }
        for name in ["\"\"", "\"   \""] {
            let text = format!("[shop]\nname = {name}\n");
            let e = Config::from_toml(&text, p).unwrap_err().to_string();
            assert!(e.contains("line 2") && e.contains("shop.name") && e.contains("must not be empty"), "{e}");
        }
        let c =
            Config::from_toml("[shop]\nname = \" 悦颜 \"\naddress = \"人民路 1 号\"\nphone = \"0571-88886666\"\n", p)
                .unwrap();
        assert_eq!(
            (c.shop.name.as_str(), c.shop.address.as_str(), c.shop.phone.as_str()),
            ("悦颜", "人民路 1 号", "0571-88886666")
        );
    }

    #[test]
    fn a_kiosk_may_have_no_buzzer() {
        let p = Path::new("/etc/salonbox/config.toml");
        for off in ["\"none\"", "\"off\"", "\"\"", "false", "\"None\""] {
            let c = Config::from_toml(&format!("[hardware]\nbuzzer_gpio = {off}\n"), p).unwrap();
            assert_eq!(c.hardware.buzzer_gpio, None, "{off}");
        }
        assert_eq!(Config::from_toml("[hardware]\nbuzzer_gpio = 12\n", p).unwrap().hardware.buzzer_gpio, Some(12));
        assert_eq!(Config::default().hardware.buzzer_gpio, Some(18));
        for bad in ["-1", "40", "\"pin7\"", "true"] {
            let e = Config::from_toml(&format!("[hardware]\nbuzzer_gpio = {bad}\n"), p).unwrap_err().to_string();
            assert!(e.contains("line 2") && e.contains("hardware.buzzer_gpio") && e.contains("\"none\""), "{bad}: {e}");
        }
    }

    #[test]
    fn printer_specs_round_trip() {
        for s in ["none", "usb:0416:5011", "serial:/dev/ttyS0@19200", "tcp:printer.local:9101", "file:/tmp/out.bin"] {
            let p: PrinterSpec = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
        assert_eq!(
            "serial:/dev/ttyS0".parse::<PrinterSpec>().unwrap(),
            PrinterSpec::Serial { path: "/dev/ttyS0".into(), baud: 9600 }
        );
        assert!("tcp:".parse::<PrinterSpec>().is_err());
        assert!("serial:/dev/ttyS0@fast".parse::<PrinterSpec>().is_err());
    }

    #[test]
    fn message_rules_routes_and_schedules_are_checked() {
        let e =
            parse("[shop]\nname = \"x\"\n\n[messages]\nmarketing_hours = \"09:00-21:00\"\n").unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("messages.marketing_hours") && e.contains("08:00-20:00"), "{e}");
        let e = parse("[messages.routes]\nstaff = [\"wecom\", \"pager\"]\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("pager") && e.contains("dingtalk"), "{e}");
        let e = parse("[messages.routes]\nnewsletter = [\"sms\"]\n").unwrap_err().to_string();
        assert!(e.contains("newsletter"), "{e}");
        let e = parse("[jobs.schedules]\nbirthday = \"every morning\"\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("jobs.schedules.birthday") && e.contains("cron"), "{e}");
        let e = parse("[jobs.schedules]\nlaundry = \"0 0 9 * * *\"\n").unwrap_err().to_string();
        assert!(e.contains("laundry"), "{e}");
        let e = parse("[messages.templates.winback]\ntext = \"hi\"\nsms = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        let c = parse("[messages.routes]\nreminder_2h = [\"sms\"]\n[jobs]\nclock_sync_file = \"\"\n").unwrap();
        assert_eq!(c.messages.route("reminder_2h", "transactional"), ["sms"]);
        assert_eq!(c.messages.route("reminder_day_before", "transactional"), ["wechat", "sms"]);
        assert_eq!(c.jobs.clock_sync_file, None);
        assert_eq!(c.jobs.schedules.len(), Job::ALL.len());
    }
}
