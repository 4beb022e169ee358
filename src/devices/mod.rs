//! The kiosk's devices, each behind a small synchronous trait with a real driver and a
//! simulated one: card readers (`reader`: the identity-card SAM module and line / RDM6300
//! member-card readers over `serial`, polled on their own thread), the receipt printer
//! (`paper` lays documents out as ESC/POS, `printer` sends them, `escpos_read` reads them
//! back) and the buzzer (`buzzer`). `sam` and `cardline` are the readers' pure codecs.
//!
//! Architecture Invariant: an identity-card number leaves this module only as a keyed hash
//! and masked form (`IdCardKey`), never as text, and is never logged.
//! Architecture Invariant: nothing here touches the database or knows domain rules; `app`
//! turns domain values into the plain documents `paper` prints and queues the jobs.

pub mod buzzer;
pub mod cardline;
pub mod escpos_read;
#[doc(hidden)]
pub mod fuzzing;
pub mod paper;
pub mod printer;
pub mod reader;
pub mod sam;
pub mod serial;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeviceError {
    #[error("无法打开串口 {port}：{source}{} / cannot open serial port {port}: {source}", open_hint(source))]
    Open { port: String, source: serialport::Error },
    #[error("串口 {port} 读写失败：{source} / serial port {port} failed: {source}")]
    Io { port: String, source: std::io::Error },
    #[error("串口 {port} 已断开 / serial port {port} is disconnected")]
    Disconnected { port: String },
    #[error("{port} 上的阅读器没有回应（{command}）/ the reader on {port} did not answer ({command})")]
    NoAnswer { port: String, command: &'static str },
    #[error(
        "{port} 上的阅读器回答已损坏（{count} 次校验错误，{command}），请检查连线或更换数据线 / the reader on {port} answered with corrupt data ({count} bad checksums, {command}): check the cable"
    )]
    Corrupt { port: String, command: &'static str, count: u32 },
    #[error("阅读器回答 {status}（{command}）/ the reader answered {status} ({command})")]
    Status { command: &'static str, status: sam::Status },
    #[error("身份证读取失败：{0}，请重新放置 / the ID card could not be read: {0}; place it again")]
    Card(#[from] sam::CardError),
    #[error("打印机 {printer}：{message} / printer {printer}: {message_en}")]
    Printer { printer: String, message: String, message_en: String },
    #[error("打印机缺纸 / the printer is out of paper ({printer})")]
    PaperOut { printer: String },
    #[error("打印机盖未合上 / the printer cover is open ({printer})")]
    CoverOpen { printer: String },
    #[error("打印内容无法生成：{0} / the document could not be built: {0}")]
    Document(String),
    #[error("蜂鸣器：{0} / buzzer: {0}")]
    Buzzer(String),
}

impl DeviceError {
    /// A problem of the card (moved too soon, unreadable, not a valid card), not of the
    /// reader: the reader stays connected and the customer is asked to try again.
    pub fn is_card_problem(&self) -> bool {
        match self {
            DeviceError::Card(_) => true,
            DeviceError::Status { status, .. } => !matches!(status, sam::Status::SamSelfTest),
            _ => false,
        }
    }
}

impl DeviceError {
    /// A reader that is there but did not give a good answer this time (silence, or a
    /// corrupt answer): worth asking again while time is left.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeviceError::NoAnswer { .. } | DeviceError::Corrupt { .. })
    }
}

fn open_hint(e: &serialport::Error) -> &'static str {
    match e.kind() {
        serialport::ErrorKind::NoDevice => "（设备不存在或已拔出 / no such device: is it plugged in?）",
        serialport::ErrorKind::Io(std::io::ErrorKind::NotFound) => {
            "（设备不存在或已拔出 / no such device: is it plugged in?）"
        }
        serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
            "（没有权限：把运行用户加入 dialout 组 / permission denied: add the user to the dialout group）"
        }
        _ => "",
    }
}
