//! The kiosk's systemd sandbox, fitted to the configuration. The kiosk's unit has no
//! network (`PrivateNetwork=yes`, `IPAddressDeny=any`); a shop whose receipt printer is on
//! the network (`printer = "tcp:…"`) needs exactly that one address. A systemd generator
//! (`systemd/salonbox-generator`, run at boot and at every `systemctl daemon-reload`) calls
//! `salonbox systemd-generator`, which writes a drop-in opening the network to the printer's
//! address and nothing else. `salonbox doctor` checks that the drop-in in force matches the
//! configuration.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::config::Hardware;
use crate::devices::printer::PrinterSpec;

/// The kiosk's unit.
pub const KIOSK_UNIT: &str = "salonbox-kiosk.service";
/// The drop-in the generator writes under `<dir>/salonbox-kiosk.service.d/`.
pub const DROPIN: &str = "50-salonbox-printer.conf";
/// Where systemd puts what generators write (the normal directory).
pub const GENERATOR_DIR: &str = "/run/systemd/generator";

/// What the kiosk needs of the network for its printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterNetwork {
    /// A local printer (USB, serial, a file) or none: no network at all.
    None,
    /// A network printer at this address: that address only.
    Address(IpAddr),
    /// A network printer by name: the sandbox allows addresses, not names, so it cannot be
    /// reached from the kiosk's unit; the configuration should give its address.
    Named(String),
}

pub fn printer_network(hw: &Hardware) -> PrinterNetwork {
    match &hw.printer {
        PrinterSpec::Tcp { host, .. } => {
            let h = host.trim_start_matches('[').trim_end_matches(']');
            match h.parse::<IpAddr>() {
                Ok(ip) => PrinterNetwork::Address(ip),
                Err(_) => PrinterNetwork::Named(host.clone()),
            }
        }
        _ => PrinterNetwork::None,
    }
}

/// The drop-in that lets the kiosk reach its network printer, or `None` when it needs no
/// network.
pub fn kiosk_dropin(hw: &Hardware) -> Option<String> {
    let PrinterNetwork::Address(ip) = printer_network(hw) else { return None };
    Some(format!(
        "# Written by salonbox's systemd generator from the configuration's\n\
         # printer = \"{}\": the kiosk may reach its network printer and nothing else.\n\
         [Service]\n\
         PrivateNetwork=no\n\
         RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n\
         IPAddressAllow={ip}\n",
        hw.printer
    ))
}

/// The generator's work: writes the drop-in under `dir` when the configuration needs one.
/// Returns the file written.
pub fn generate(hw: &Hardware, dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let Some(text) = kiosk_dropin(hw) else { return Ok(None) };
    let unit_dir = dir.join(format!("{KIOSK_UNIT}.d"));
    std::fs::create_dir_all(&unit_dir)?;
    let path = unit_dir.join(DROPIN);
    std::fs::write(&path, text)?;
    Ok(Some(path))
}

/// Whether the drop-in in force (`GENERATOR_DIR`) agrees with the configuration: `Ok(detail)`
/// when it does or nothing is needed, `Err(problem)` otherwise. `generator_dir` is
/// `GENERATOR_DIR` on a running system.
pub fn check(hw: &Hardware, generator_dir: &Path) -> Result<String, String> {
    let path = generator_dir.join(format!("{KIOSK_UNIT}.d")).join(DROPIN);
    let in_force = std::fs::read_to_string(&path).ok();
    match (printer_network(hw), kiosk_dropin(hw), in_force) {
        (PrinterNetwork::Named(host), ..) => Err(format!(
            "网络打印机须写 IP 地址，而不是名字「{host}」：自助机的沙箱只放行地址 / give the network printer's IP address, not the name \"{host}\": the kiosk's sandbox admits addresses only"
        )),
        (PrinterNetwork::None, _, None) => Ok("无网络 / no network".into()),
        (PrinterNetwork::None, _, Some(_)) => Err(format!(
            "{} 仍为旧的网络打印机开放网络：运行 systemctl daemon-reload / {} still opens the network for a former network printer: run systemctl daemon-reload",
            path.display(),
            path.display()
        )),
        (PrinterNetwork::Address(ip), Some(want), Some(have)) if want == have => {
            Ok(format!("仅可访问打印机 {ip} / only the printer {ip} is reachable"))
        }
        (PrinterNetwork::Address(ip), ..) => Err(format!(
            "自助机的沙箱还不允许访问打印机 {ip}：运行 sudo systemctl daemon-reload && sudo systemctl restart {KIOSK_UNIT} / the kiosk's sandbox does not admit the printer {ip} yet: run sudo systemctl daemon-reload && sudo systemctl restart {KIOSK_UNIT}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn hw(printer: &str) -> Hardware {
        let mut c = Config::default();
        c.hardware.printer = printer.parse().unwrap();
        c.hardware
    }

    #[test]
    fn doctor_checks_the_drop_in_in_force_against_the_configuration() {
        let run = tempfile::tempdir().unwrap();
        let tcp = hw("tcp:192.168.1.50:9100");
        // configured, but the generator has not run since (no daemon-reload)
        let e = check(&tcp, run.path()).unwrap_err();
        assert!(e.contains("192.168.1.50") && e.contains("daemon-reload"), "{e}");
        generate(&tcp, run.path()).unwrap();
        assert!(check(&tcp, run.path()).unwrap().contains("192.168.1.50"));
        // the printer moved to another address: the old drop-in no longer agrees
        let moved = hw("tcp:192.168.1.51");
        assert!(check(&moved, run.path()).unwrap_err().contains("192.168.1.51"));
        // back to USB: a drop-in still opening the network is reported
        assert!(check(&hw("usb"), run.path()).unwrap_err().contains("daemon-reload"));
        assert!(check(&hw("usb"), tempfile::tempdir().unwrap().path()).is_ok());
        // by name: no sandbox can admit it
        let named = hw("tcp:printer.local:9100");
        assert_eq!(kiosk_dropin(&named), None);
        let e = check(&named, run.path()).unwrap_err();
        assert!(e.contains("printer.local") && e.contains("IP"), "{e}");
        assert_eq!(printer_network(&hw("tcp:[fe80::1]:9100")), PrinterNetwork::Address("fe80::1".parse().unwrap()));
    }
}
