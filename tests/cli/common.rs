use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// Monday 2026-11-23, 10:00 in Shanghai.
pub const NOW: &str = "2026-11-23T10:00:00+08:00";

pub struct Shop {
    pub dir: TempDir,
    pub now: String,
}

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn ok(self) -> Run {
        assert!(self.out.status.success(), "command failed\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }
    pub fn fails(self) -> Run {
        assert!(!self.out.status.success(), "command should have failed\nstdout:\n{}", self.stdout());
        self
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout()))
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_salonbox"));
    // Not the machine's installed shop (/etc/salonbox/config.toml), if it has one.
    c.env_remove("SALONBOX_CONFIG")
        .env("SALONBOX_CONFIG_NOSYSTEM", "1")
        .env_remove("SALONBOX_DATA_DIR")
        .env_remove("SALONBOX_NOW")
        .env("SALONBOX_LOG", "error");
    c
}

impl Shop {
    /// A fresh, initialised data directory.
    pub fn new() -> Shop {
        let shop = Shop { dir: crate::artefacts::tempdir(), now: NOW.to_string() };
        shop.run(&["init"]).ok();
        shop
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.data().join("salonbox.sqlite3")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = bin();
        let config = self.data().join("salonbox.toml");
        if config.exists() {
            c.arg("--config").arg(config);
        }
        c.arg("--data-dir").arg(self.data()).args(args).env("SALONBOX_NOW", &self.now);
        c
    }

    /// Turns cloud sync on (a cloud nobody runs: events queue and stay): from now on the
    /// shop's changes are queued for the cloud. Off, nothing is.
    pub fn sync_on(&self) -> &Shop {
        std::fs::write(
            self.data().join("salonbox.toml"),
            "[cloud]\nenabled = true\nbase_url = \"http://127.0.0.1:9/api\"\nstore_id = \"shop-001\"\ndevice_token = \"t\"\n",
        )
        .expect("write salonbox.toml");
        self
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.logged(args, self.cmd(args).output().expect("run salonbox"))
    }

    /// Keeps what the command printed in the shop's `cli.log`, for the privacy sweep.
    fn logged(&self, args: &[&str], out: std::process::Output) -> Run {
        let mut log = crate::artefacts::log(self.data(), "cli.log");
        writeln!(log, "$ salonbox {}", args.join(" ")).expect("cli.log");
        log.write_all(&out.stdout).and_then(|()| log.write_all(&out.stderr)).expect("cli.log");
        Run { out }
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child =
            self.cmd(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        self.logged(args, child.wait_with_output().expect("wait"))
    }

    /// A small shop: two beauticians on shift today 10:00-21:00, three services, one room.
    pub fn small() -> Shop {
        let s = Shop::new();
        s.run(&["staff", "add", "--name", "李娜", "--role", "beautician"]).ok();
        s.run(&["staff", "add", "--name", "王芳", "--role", "美容师"]).ok();
        s.run(&["staff", "shift", "李娜", "--hours", "10:00-21:00"]).ok();
        s.run(&["staff", "shift", "王芳", "--hours", "10:00-18:00"]).ok();
        s.run(&["resource", "add", "1号房", "--kind", "facial"]).ok();
        s.run(&[
            "service",
            "add",
            "--name",
            "面部深层清洁",
            "--category",
            "面部护理",
            "--minutes",
            "60",
            "--price",
            "198",
            "--resource-kind",
            "facial",
        ])
        .ok();
        s.run(&[
            "service",
            "add",
            "--name",
            "肩颈舒缓按摩",
            "--category",
            "身体护理",
            "--minutes",
            "45",
            "--price",
            "158",
        ])
        .ok();
        s.run(&["service", "add", "--name", "修眉造型", "--minutes", "20", "--price", "48.5"]).ok();
        s
    }

    /// `appointment book` for a customer, service, optional beautician and local start.
    pub fn book(&self, customer: &str, service: &str, staff: Option<&str>, at: &str) -> Run {
        let mut args = vec!["appointment", "book", "--customer", customer, "--service", service, "--at", at];
        if let Some(s) = staff {
            args.extend(["--staff", s]);
        }
        self.run(&args)
    }

    pub fn add_customer(&self, name: &str, phone: &str) -> serde_json::Value {
        self.run(&["customer", "add", "--name", name, "--phone", phone, "--gender", "女", "--json"]).ok().json()
    }

    pub fn sql<T: rusqlite::types::FromSql>(&self, query: &str) -> T {
        let c = rusqlite::Connection::open(self.db()).expect("open db");
        c.query_row(query, [], |r| r.get(0)).expect(query)
    }
}
