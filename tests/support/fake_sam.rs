//! A fake identity-card reader (SAM module) on a pseudo-terminal, shared by the device
//! tests and the command-line tests: it parses the commands the driver sends and answers
//! with real-format frames from a script.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use salonbox::devices::sam::{self, Command, Scan, sim};
use serialport::{SerialPort, TTYPort};

/// What the fake device does with one command: the chunks it writes back, with a pause
/// between chunks (to split a frame across reads).
pub type Script = Box<dyn FnMut(Command) -> Vec<Vec<u8>> + Send>;

/// A fake device on a pty: answers commands until dropped. Dropping it closes both ends, as
/// when the reader's USB cable is pulled.
pub struct FakeDevice {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDevice {
    /// Starts a device and points `link` at its port.
    pub fn start(link: &Path, mut script: Script) -> FakeDevice {
        let (mut master, slave) = TTYPort::pair().expect("pty pair");
        let name = slave.name().expect("slave name");
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(&name, link).expect("symlink");
        master.set_timeout(Duration::from_millis(10)).expect("timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // keep the slave side configured while the driver opens and closes it
            let _slave = slave;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 256];
            while !flag.load(Ordering::Relaxed) {
                match master.read(&mut chunk) {
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(_) => continue,
                }
                loop {
                    match sam::scan(&buf) {
                        Scan::Frame { payload, used } => {
                            let cmd = [Command::SamStatus, Command::FindCard, Command::SelectCard, Command::ReadText]
                                .into_iter()
                                .find(|c| c.code() == payload);
                            buf.drain(..used);
                            let Some(cmd) = cmd else { continue };
                            for part in script(cmd) {
                                let _ = master.write_all(&part);
                                let _ = master.flush();
                                std::thread::sleep(Duration::from_millis(15));
                            }
                        }
                        Scan::Garbage { used, .. } => {
                            buf.drain(..used);
                        }
                        Scan::NeedMore { skip } => {
                            buf.drain(..skip);
                            break;
                        }
                    }
                }
            }
        });
        FakeDevice { stop, thread: Some(thread) }
    }
}

impl Drop for FakeDevice {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A card lying on the reader, answered correctly.
pub fn card_on_reader(card: sim::Card<'static>) -> Script {
    Box::new(move |c| match c {
        Command::FindCard => vec![sim::status_answer(0x9F)],
        Command::SelectCard => vec![sim::status_answer(0x90)],
        Command::ReadText => vec![sim::read_answer(&card)],
        Command::SamStatus => vec![sim::status_answer(0x90)],
    })
}
