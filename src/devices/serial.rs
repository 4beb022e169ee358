//! A serial port that opens itself again after the device went away (a USB reader pulled
//! out and plugged back: `/dev/ttyUSB0` disappears and returns). Readers own one each.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use super::DeviceError;

/// Where and how to open a port: 8 data bits, no parity, 1 stop bit, no flow control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    pub path: String,
    pub baud: u32,
}

/// One serial port, opened lazily and reopened after an error.
pub struct SerialLink {
    settings: SerialSettings,
    port: Option<Box<dyn SerialPort>>,
    /// Bytes read but not consumed yet.
    buf: Vec<u8>,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("settings", &self.settings)
            .field("open", &self.port.is_some())
            .field("buffered", &self.buf.len())
            .finish()
    }
}

/// The longest a single `read` call waits; reads loop on it until their deadline.
const READ_SLICE: Duration = Duration::from_millis(20);

impl SerialLink {
    pub fn new(settings: SerialSettings) -> SerialLink {
        SerialLink { settings, port: None, buf: Vec::new() }
    }

    pub fn path(&self) -> &str {
        &self.settings.path
    }

    pub fn is_open(&self) -> bool {
        self.port.is_some()
    }

    /// Opens the port if it is not open. An error leaves it closed, to be tried again.
    pub fn ensure_open(&mut self) -> Result<(), DeviceError> {
        if self.port.is_some() {
            return Ok(());
        }
        let port = open(&self.settings)?;
        tracing::info!(port = %self.settings.path, baud = self.settings.baud, "serial port opened");
        self.buf.clear();
        self.port = Some(port);
        Ok(())
    }

    /// Forgets the port (after an I/O error): the next call opens it again.
    pub fn close(&mut self) {
        if self.port.take().is_some() {
            tracing::warn!(port = %self.settings.path, "serial port closed after an error");
        }
        self.buf.clear();
    }

    /// Drops whatever was received and not consumed (a late answer to an earlier command).
    pub fn discard_input(&mut self) -> Result<(), DeviceError> {
        self.buf.clear();
        // Read what the OS already holds, without waiting.
        self.fill(Instant::now())?;
        self.buf.clear();
        Ok(())
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.ensure_open()?;
        let result = match self.port.as_mut() {
            Some(p) => p.write_all(bytes).and_then(|()| p.flush()),
            None => return Err(self.gone()),
        };
        result.map_err(|e| self.failed(e))
    }

    /// The buffered bytes.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Drops `n` bytes from the front of the buffer.
    pub fn consume(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
    }

    /// Reads whatever arrives until `deadline`, returning as soon as at least one byte came
    /// (or at the deadline with nothing new: `Ok(0)`).
    pub fn fill(&mut self, deadline: Instant) -> Result<usize, DeviceError> {
        self.ensure_open()?;
        let mut chunk = [0u8; 512];
        loop {
            let now = Instant::now();
            let wait = deadline.saturating_duration_since(now).min(READ_SLICE);
            let result = match self.port.as_mut() {
                Some(p) => p
                    .set_timeout(wait.max(Duration::from_millis(1)))
                    .map_err(std::io::Error::from)
                    .and_then(|()| p.read(&mut chunk)),
                None => return Err(self.gone()),
            };
            match result {
                Ok(0) => return Err(self.failed(std::io::Error::new(ErrorKind::UnexpectedEof, "end of file"))),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Ok(0);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failed(e)),
            }
        }
    }

    fn gone(&self) -> DeviceError {
        DeviceError::Disconnected { port: self.settings.path.clone() }
    }

    fn failed(&mut self, source: std::io::Error) -> DeviceError {
        let port = self.settings.path.clone();
        self.close();
        DeviceError::Io { port, source }
    }
}

fn open(s: &SerialSettings) -> Result<Box<dyn SerialPort>, DeviceError> {
    serialport::new(s.path.as_str(), s.baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_SLICE)
        .open()
        .map_err(|source| DeviceError::Open { port: s.path.clone(), source })
}
