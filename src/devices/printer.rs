//! Sending ESC/POS jobs to the receipt printer through the `escpos` crate's drivers: USB
//! (the kernel's `/dev/usb/lp0`, or by vendor and product id), serial, network (TCP 9100)
//! and a file or device node. Before a job the printer is asked for its paper sensor
//! (`DLE EOT 4`) where the transport can answer, so a job is not lost into an empty printer.

use std::fmt;
use std::io::Write;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use escpos::driver::{Driver, FileDriver, NativeUsbDriver, NetworkDriver};

use super::DeviceError;
use super::serial::{SerialLink, SerialSettings};

/// Where the printer is, from the configuration's `printer` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterSpec {
    None,
    /// A device node or file (`usb` means the kernel's `/dev/usb/lp0`).
    File(PathBuf),
    Usb {
        vendor: u16,
        product: u16,
    },
    Serial {
        path: String,
        baud: u32,
    },
    Tcp {
        host: String,
        port: u16,
    },
}

impl std::str::FromStr for PrinterSpec {
    type Err = String;

    /// `none`, `usb`, `usb:VID:PID` (hex), `serial:/dev/ttyS0[@BAUD]`, `tcp:HOST[:PORT]`,
    /// `file:/path`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "打印机「{s}」无法识别，可用 none、usb、usb:VID:PID、serial:/dev/ttyS0@9600、tcp:192.168.1.50:9100、file:/dev/usb/lp0 / \
                 unknown printer \"{s}\": use none, usb, usb:VID:PID, serial:/dev/ttyS0@9600, tcp:192.168.1.50:9100 or file:/dev/usb/lp0"
            )
        };
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "none" if rest.is_empty() => Ok(PrinterSpec::None),
            "usb" if rest.is_empty() => Ok(PrinterSpec::File(PathBuf::from("/dev/usb/lp0"))),
            "usb" => {
                let (v, p) = rest.split_once(':').ok_or_else(bad)?;
                let hex = |x: &str| u16::from_str_radix(x.trim_start_matches("0x"), 16).map_err(|_| bad());
                Ok(PrinterSpec::Usb { vendor: hex(v)?, product: hex(p)? })
            }
            "serial" if !rest.is_empty() => {
                let (path, baud) = match rest.rsplit_once('@') {
                    Some((p, b)) => (p, b.parse().map_err(|_| bad())?),
                    None => (rest, 9600),
                };
                Ok(PrinterSpec::Serial { path: path.to_string(), baud })
            }
            "tcp" if !rest.is_empty() => {
                let (host, port) = match rest.rsplit_once(':') {
                    Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
                    None => (rest, 9100),
                };
                Ok(PrinterSpec::Tcp { host: host.to_string(), port })
            }
            "file" if !rest.is_empty() => Ok(PrinterSpec::File(PathBuf::from(rest))),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for PrinterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterSpec::None => write!(f, "none"),
            PrinterSpec::File(p) => write!(f, "file:{}", p.display()),
            PrinterSpec::Usb { vendor, product } => write!(f, "usb:{vendor:04x}:{product:04x}"),
            PrinterSpec::Serial { path, baud } => write!(f, "serial:{path}@{baud}"),
            PrinterSpec::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
        }
    }
}

/// A printer's state as the staff screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterState {
    Ready,
    /// Paper is low: print, but tell the staff.
    PaperLow,
}

/// A receipt printer.
pub trait PrinterPort: Send {
    fn name(&self) -> String;
    /// Sends one whole job. An error means it was not printed (or not known to be).
    fn print(&mut self, job: &[u8]) -> Result<PrinterState, DeviceError>;
}

/// `DLE EOT 4`: transmit the paper roll sensor status.
const PAPER_STATUS: [u8; 3] = [0x10, 0x04, 0x04];
/// `DLE EOT 2`: transmit the off-line cause (bit 2: cover open).
const OFFLINE_STATUS: [u8; 3] = [0x10, 0x04, 0x02];
/// `GS r 1`: transmit the paper sensor status. Unlike `DLE EOT` (answered the moment it
/// arrives) it waits its turn in the printer's buffer, so its answer comes after the job
/// before it was printed (bits 2 and 3: the paper ran out).
const PAPER_AFTER_JOB: [u8; 3] = [0x1D, 0x72, 0x01];

/// The real printer, through the escpos crate's drivers.
pub struct EscposPrinter {
    spec: PrinterSpec,
    timeout: Duration,
}

impl EscposPrinter {
    pub fn new(spec: PrinterSpec, timeout: Duration) -> EscposPrinter {
        EscposPrinter { spec, timeout }
    }

    /// Opens the transport without printing (for `doctor`).
    pub fn connect(&self) -> Result<(), DeviceError> {
        self.driver().map(drop)
    }

    fn err(&self, e: impl fmt::Display) -> DeviceError {
        let m = e.to_string();
        DeviceError::Printer {
            printer: self.spec.to_string(), message: format!("无法连接或写入：{m}"), message_en: m
        }
    }

    fn driver(&self) -> Result<(Box<dyn Driver>, bool), DeviceError> {
        Ok(match &self.spec {
            PrinterSpec::None => {
                return Err(DeviceError::Printer {
                    printer: "none".into(),
                    message: "未配置打印机".into(),
                    message_en: "no printer is configured".into(),
                });
            }
            PrinterSpec::File(path) => {
                // A device node must exist (an unplugged printer's node is gone: do not
                // create a plain file in its place); any other path is a file to append to.
                let mut o = std::fs::OpenOptions::new();
                o.append(true).create(!path.starts_with("/dev"));
                (Box::new(FileDriver::open_with_options(path, &o).map_err(|e| self.err(e))?), false)
            }
            PrinterSpec::Usb { vendor, product } => {
                (Box::new(NativeUsbDriver::open(*vendor, *product).map_err(|e| self.err(e))?), true)
            }
            PrinterSpec::Serial { path, baud } => {
                let mut link = SerialLink::new(SerialSettings { path: path.clone(), baud: *baud });
                link.ensure_open()?;
                (Box::new(SerialDriver { link: Arc::new(Mutex::new(link)), timeout: self.timeout }), true)
            }
            PrinterSpec::Tcp { host, port } => {
                let addr = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| self.err(e))?
                    .next()
                    .ok_or_else(|| self.err(format!("{host} has no address")))?;
                let d = NetworkDriver::open(&addr.ip().to_string(), addr.port(), Some(self.timeout))
                    .map_err(|e| self.err(e))?;
                (Box::new(d), true)
            }
        })
    }

    /// Asks one status byte; `None` when the printer does not answer (not all do).
    fn status(&self, d: &dyn Driver, request: &[u8]) -> Option<u8> {
        d.write(request).ok()?;
        d.flush().ok()?;
        let mut b = [0u8; 1];
        match d.read(&mut b) {
            Ok(1) => Some(b[0]),
            _ => None,
        }
    }
}

impl PrinterPort for EscposPrinter {
    fn name(&self) -> String {
        format!("打印机 printer {}", self.spec)
    }

    fn print(&mut self, job: &[u8]) -> Result<PrinterState, DeviceError> {
        let (d, answers) = self.driver()?;
        let mut state = PrinterState::Ready;
        // Whether this printer answers status requests at all (not every one does).
        let mut talks = false;
        if answers {
            if let Some(s) = self.status(d.as_ref(), &PAPER_STATUS) {
                talks = true;
                // bits 5 and 6: paper roll end; bits 2 and 3: near end
                if s & 0x60 != 0 {
                    return Err(DeviceError::PaperOut { printer: self.spec.to_string() });
                }
                if s & 0x0C != 0 {
                    state = PrinterState::PaperLow;
                }
            }
            if let Some(s) = self.status(d.as_ref(), &OFFLINE_STATUS)
                && s & 0x04 != 0
            {
                return Err(DeviceError::CoverOpen { printer: self.spec.to_string() });
            }
        }
        d.write(job).map_err(|e| self.err(e))?;
        d.flush().map_err(|e| self.err(e))?;
        // Bytes written are not a receipt printed: a printer that answers is asked how the
        // job went, and a job it cannot vouch for stays queued for a reprint.
        if talks {
            match self.status(d.as_ref(), &PAPER_AFTER_JOB) {
                Some(s) if s & 0x0C != 0 => return Err(DeviceError::PaperOut { printer: self.spec.to_string() }),
                Some(_) => {}
                None => {
                    return Err(DeviceError::Printer {
                        printer: self.spec.to_string(),
                        message: "打印后没有回应，是否打完未知，稍后重打".into(),
                        message_en: "no answer after the job: it may not have printed, it will print again".into(),
                    });
                }
            }
        }
        Ok(state)
    }
}

/// An escpos driver over salonbox's serial link (escpos's own pulls in libudev).
struct SerialDriver {
    link: Arc<Mutex<SerialLink>>,
    timeout: Duration,
}

fn io_err(e: impl fmt::Display) -> escpos::errors::PrinterError {
    escpos::errors::PrinterError::Io(e.to_string())
}

impl Driver for SerialDriver {
    fn name(&self) -> String {
        "serial".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.link.lock().map_err(io_err)?.write_all(data).map_err(io_err)
    }

    fn read(&self, buf: &mut [u8]) -> escpos::errors::Result<usize> {
        let mut link = self.link.lock().map_err(io_err)?;
        if link.buffered().is_empty() {
            link.fill(std::time::Instant::now() + self.timeout).map_err(io_err)?;
        }
        let n = link.buffered().len().min(buf.len());
        buf[..n].copy_from_slice(&link.buffered()[..n]);
        link.consume(n);
        Ok(n)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// What the simulated printer does with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimFault {
    #[default]
    None,
    PaperOut,
    Offline,
}

/// A simulated printer: keeps every job (and appends a readable copy to a file, if given)
/// and can be told to be out of paper or off.
#[derive(Clone, Default)]
pub struct SimPrinter {
    pub jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    pub fault: Arc<Mutex<SimFault>>,
    pub transcript: Option<PathBuf>,
}

impl SimPrinter {
    pub fn new(transcript: Option<PathBuf>) -> SimPrinter {
        SimPrinter { transcript, ..SimPrinter::default() }
    }

    pub fn set_fault(&self, f: SimFault) {
        if let Ok(mut g) = self.fault.lock() {
            *g = f;
        }
    }

    pub fn printed(&self) -> Vec<Vec<u8>> {
        self.jobs.lock().map(|j| j.clone()).unwrap_or_default()
    }
}

impl PrinterPort for SimPrinter {
    fn name(&self) -> String {
        "模拟打印机 simulated printer".into()
    }

    fn print(&mut self, job: &[u8]) -> Result<PrinterState, DeviceError> {
        let fault = self.fault.lock().map(|f| *f).unwrap_or_default();
        match fault {
            SimFault::PaperOut => return Err(DeviceError::PaperOut { printer: "sim".into() }),
            SimFault::Offline => {
                return Err(DeviceError::Printer {
                    printer: "sim".into(),
                    message: "无法连接".into(),
                    message_en: "not connected".into(),
                });
            }
            SimFault::None => {}
        }
        if let Some(path) = &self.transcript {
            let text = match super::escpos_read::decode(job) {
                Ok(d) => d.to_string(),
                Err(e) => format!("[{e}]\n"),
            };
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| DeviceError::Document(format!("{}: {e}", path.display())))?;
            f.write_all(text.as_bytes()).map_err(|e| DeviceError::Document(format!("{}: {e}", path.display())))?;
        }
        self.jobs.lock().map_err(|e| DeviceError::Document(e.to_string()))?.push(job.to_vec());
        Ok(PrinterState::Ready)
    }
}

/// Opens a device node for writing, as a print would (for `doctor`: may this user?).
pub fn probe_file(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new().append(true).open(path).map(drop)
}
