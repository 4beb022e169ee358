//! A reference cloud for the sync tests and benchmarks (spec/cloud-sync-v1.md), on
//! loopback: HTTP/1.1, one request per connection. It keeps what it receives in its own
//! SQLite file, stores an event at most once per id and a message at most once per dedupe
//! key, serves its changes with cursors, and checks what a real cloud checks (token, store
//! id, batch size, JSON shape). It fails on demand, one fault at a time from a queue or at
//! random at a given rate: HTTP 500, 429/503 with `Retry-After`, 413, a timeout after the
//! batch is stored, a reset connection, the previous answer again, the answer written twice,
//! garbage JSON.

#![allow(dead_code)]

#[path = "idnumbers.rs"]
mod idnumbers;

use std::collections::VecDeque;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

#[path = "http.rs"]
mod http;
use http::{Request, read_request, respond_with as write_answer};

pub const TOKEN: &str = "device-token";
pub const STORE: &str = "shop-001";

/// A failure to play instead of the normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 before anything is stored.
    Status500,
    /// 429 with `Retry-After: 1`.
    TooMany,
    /// 503 with `Retry-After: 1`.
    Unavailable,
    /// 413 whatever the size.
    TooLarge,
    /// The request is processed (events stored, page served) but no answer comes until the
    /// client gives up.
    StoredThenHang,
    /// The connection is reset before anything is stored.
    Reset,
    /// The request is processed, then the connection is reset.
    StoredThenReset,
    /// The request is processed and answered with the answer to the previous request.
    PreviousAnswer,
    /// The request is processed and its answer written twice on the connection.
    DoubleAnswer,
    /// 200 with a body that is not JSON.
    Garbage,
}

pub const MIXED: &[Fault] = &[
    Fault::Status500,
    Fault::TooMany,
    Fault::Unavailable,
    Fault::TooLarge,
    Fault::StoredThenHang,
    Fault::Reset,
    Fault::StoredThenReset,
    Fault::PreviousAnswer,
    Fault::DoubleAnswer,
    Fault::Garbage,
];

#[derive(Default)]
pub struct Control {
    pub faults: VecDeque<Fault>,
    /// Fail this share of requests with a fault drawn from `mix`.
    pub fault_rate: f64,
    pub mix: Vec<Fault>,
    /// How long a hang lasts (longer than the client's timeout).
    pub hang: Duration,
    /// Events with these ids are rejected with a reason.
    pub reject_ids: Vec<String>,
    /// Any batch holding an event of this type is answered 400 (the cloud cannot read it).
    pub unreadable_type: Option<String>,
    /// Answer 401 to everything.
    pub refuse_token: bool,
    /// Cursors issued before this change number are forgotten (410).
    pub forget_before: i64,
    /// Every request's path, in order.
    pub log: Vec<String>,
    pub faults_played: usize,
    /// A delay before each answer (to let kill tests land mid-request).
    pub latency: Duration,
    last_answer: Option<(u16, String)>,
}

pub struct Cloud {
    pub base: String,
    pub db: PathBuf,
    control: Arc<Mutex<Control>>,
    _dir: tempfile::TempDir,
}

impl Cloud {
    pub fn start() -> Cloud {
        let dir = crate::artefacts::tempdir();
        let db = dir.path().join("cloud.sqlite3");
        let conn = Connection::open(&db).expect("open cloud db");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE events (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL,
                 payload TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 1) STRICT;
             CREATE TABLE rejected (id TEXT PRIMARY KEY, reason TEXT NOT NULL) STRICT;
             CREATE TABLE messages (dedupe_key TEXT PRIMARY KEY, body TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 1) STRICT;
             CREATE TABLE changes (n INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, version INTEGER, payload TEXT NOT NULL) STRICT;",
        )
        .expect("schema");
        drop(conn);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}/api", listener.local_addr().expect("addr"));
        let control = Arc::new(Mutex::new(Control {
            hang: Duration::from_millis(1500),
            mix: MIXED.to_vec(),
            ..Control::default()
        }));
        let (c, path) = (control.clone(), db.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (c, path) = (c.clone(), path.clone());
                std::thread::spawn(move || serve(stream, &c, &path));
            }
        });
        Cloud { base, db, control, _dir: dir }
    }

    pub fn control(&self) -> std::sync::MutexGuard<'_, Control> {
        self.control.lock().unwrap()
    }

    pub fn fail(&self, faults: &[Fault]) {
        self.control().faults.extend(faults.iter().copied());
    }

    pub fn conn(&self) -> Connection {
        let c = Connection::open(&self.db).expect("open");
        c.busy_timeout(Duration::from_secs(15)).expect("busy");
        c
    }

    /// The `[cloud]` section for this server.
    pub fn config(&self) -> String {
        format!(
            "[cloud]\nenabled = true\nbase_url = \"{}\"\nstore_id = \"{STORE}\"\ndevice_token = \"{TOKEN}\"\ntimeout_seconds = 1\npush_interval_seconds = 1\npull_interval_seconds = 1\nretry_max_seconds = 2\n",
            self.base
        )
    }

    /// Adds a change to the feed; returns its number.
    pub fn add_change(&self, id: &str, kind: &str, version: Option<i64>, payload: Value) -> i64 {
        let c = self.conn();
        c.execute(
            "INSERT INTO changes (id, type, version, payload) VALUES (?1, ?2, ?3, ?4)",
            params![id, kind, version, payload.to_string()],
        )
        .expect("change");
        c.last_insert_rowid()
    }

    /// The number of the newest change (its cursor is `c<n>`).
    pub fn last_change(&self) -> i64 {
        self.conn().query_row("SELECT COALESCE(MAX(n), 0) FROM changes", [], |r| r.get(0)).unwrap()
    }

    /// Stored events: (id, seq, type, times received).
    pub fn events(&self) -> Vec<(String, i64, String, i64)> {
        let c = self.conn();
        let mut st = c.prepare("SELECT id, seq, type, received FROM events ORDER BY seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
    }

    pub fn event_payload(&self, id: &str) -> Option<Value> {
        let c = self.conn();
        c.query_row("SELECT payload FROM events WHERE id = ?1", [id], |r| r.get::<_, String>(0))
            .optional()
            .unwrap()
            .map(|p| serde_json::from_str(&p).unwrap())
    }

    pub fn messages(&self) -> Vec<(String, i64)> {
        let c = self.conn();
        let mut st = c.prepare("SELECT dedupe_key, received FROM messages ORDER BY dedupe_key").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }
}

fn reset(stream: &TcpStream) {
    // SO_LINGER 0: close sends RST.
    let _ = rustix::net::sockopt::set_socket_linger(stream, Some(Duration::ZERO));
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn serve(mut stream: TcpStream, control: &Mutex<Control>, db: &Path) {
    let Some(req) = read_request(&mut stream) else { return };
    let (fault, latency, hang) = {
        let mut c = control.lock().unwrap();
        c.log.push(format!("{} {}", req.method, req.path));
        let fault = c.faults.pop_front().or_else(|| {
            let rate = c.fault_rate;
            if rate > 0.0 && !c.mix.is_empty() {
                let mut rng = rand::rngs::StdRng::from_os_rng();
                if rng.random_bool(rate.min(1.0)) {
                    return Some(c.mix[rng.random_range(0..c.mix.len())]);
                }
            }
            None
        });
        if fault.is_some() {
            c.faults_played += 1;
        }
        (fault, c.latency, c.hang)
    };
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    match fault {
        Some(Fault::Status500) => return write_answer(&mut stream, 500, r#"{"error":"internal"}"#, ""),
        Some(Fault::TooMany) => return write_answer(&mut stream, 429, "{}", "Retry-After: 1\r\n"),
        Some(Fault::Unavailable) => return write_answer(&mut stream, 503, "", "Retry-After: 1\r\n"),
        Some(Fault::TooLarge) => return write_answer(&mut stream, 413, "", ""),
        Some(Fault::Reset) => return reset(&stream),
        Some(Fault::Garbage) => return write_answer(&mut stream, 200, "<html>502 Bad Gateway</html>", ""),
        _ => {}
    }
    let (status, body) = handle(&req, control, db);
    let previous = control.lock().unwrap().last_answer.replace((status, body.clone()));
    match fault {
        Some(Fault::StoredThenHang) => {
            std::thread::sleep(hang);
            reset(&stream);
        }
        Some(Fault::StoredThenReset) => reset(&stream),
        Some(Fault::PreviousAnswer) => {
            let (s, b) = previous.unwrap_or((200, r#"{"accepted":[],"duplicates":[],"rejected":[]}"#.into()));
            write_answer(&mut stream, s, &b, "")
        }
        Some(Fault::DoubleAnswer) => {
            write_answer(&mut stream, status, &body, "");
            write_answer(&mut stream, status, &body, "");
        }
        _ => write_answer(&mut stream, status, &body, ""),
    }
}

fn error(status: u16, text: &str) -> (u16, String) {
    (status, json!({ "error": text }).to_string())
}

fn handle(req: &Request, control: &Mutex<Control>, db: &Path) -> (u16, String) {
    let refuse = control.lock().unwrap().refuse_token;
    let auth = req.headers.get("authorization").map(String::as_str);
    if refuse || auth != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "bad token");
    }
    if !req.headers.get("user-agent").is_some_and(|ua| ua.starts_with("salonbox/")) {
        return error(400, "User-Agent must be salonbox/<version>");
    }
    let Some(rest) = req.path.strip_prefix("/api/v1/stores/") else { return error(404, "no such path") };
    let Some((store, what)) = rest.split_once('/') else { return error(404, "no such path") };
    if store != STORE {
        return error(403, "token of another store");
    }
    let conn = Connection::open(db).expect("open");
    conn.busy_timeout(Duration::from_secs(15)).expect("busy");
    match (req.method.as_str(), what) {
        ("POST", "events") => events(req, control, conn),
        ("GET", "changes") => changes(req, control, &conn),
        ("POST", "messages") => messages(req, conn),
        _ => error(404, "no such path"),
    }
}

/// The spec's list, written out again on purpose: the server must not trust the
/// appliance's own list (`salonbox::domain::sync::EVENT_TYPES`) to catch it sending others.
const EVENT_TYPES: &[&str] = &[
    "customer.upserted",
    "customer.deleted",
    "checkin.created",
    "checkin.updated",
    "appointment.upserted",
    "appointment.cancelled",
    "visit.completed",
    "membership.changed",
    "coupon.redeemed",
    "waitlist.changed",
    "notification.sent",
];

pub use idnumbers::holds_id_number;

fn events(req: &Request, control: &Mutex<Control>, mut conn: Connection) -> (u16, String) {
    if req.body.len() > 1 << 20 {
        return (413, String::new());
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else { return error(400, "body is not JSON") };
    let Some(list) = body.get("events").and_then(Value::as_array) else { return error(400, "no events list") };
    if list.is_empty() {
        return error(400, "a batch holds 1 to 500 events");
    }
    if list.len() > 500 {
        return (413, String::new());
    }
    let (reject_ids, unreadable) = {
        let c = control.lock().unwrap();
        (c.reject_ids.clone(), c.unreadable_type.clone())
    };
    let mut seen = std::collections::HashSet::new();
    let mut last_seq = i64::MIN;
    for e in list {
        let (Some(id), Some(seq), Some(t), Some(_), Some(_)) = (
            e.get("id").and_then(Value::as_str),
            e.get("seq").and_then(Value::as_i64),
            e.get("type").and_then(Value::as_str),
            e.get("occurred_at").and_then(Value::as_str),
            e.get("payload").and_then(Value::as_object),
        ) else {
            return error(400, "an event lacks id, seq, type, occurred_at or payload");
        };
        if unreadable.as_deref() == Some(t) {
            return error(400, &format!("cannot read an event of type {t}"));
        }
        if !seen.insert(id.to_string()) {
            return error(400, &format!("event {id} twice in one batch"));
        }
        if seq <= last_seq {
            return error(400, "events out of seq order");
        }
        last_seq = seq;
        if chrono::DateTime::parse_from_rfc3339(e["occurred_at"].as_str().unwrap_or("")).is_err() {
            return error(400, "occurred_at is not RFC 3339");
        }
    }
    let tx = conn.transaction().expect("tx");
    let (mut accepted, mut duplicates, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for e in list {
        let id = e["id"].as_str().unwrap_or_default();
        let t = e["type"].as_str().unwrap_or_default();
        let payload = e["payload"].to_string();
        let reason = if !EVENT_TYPES.contains(&t) {
            Some(format!("unknown event type {t}"))
        } else if holds_id_number(&payload) {
            Some("payload holds an identity-card number".to_string())
        } else if reject_ids.iter().any(|r| r == id) {
            Some("refused by the test".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            tx.execute("INSERT OR IGNORE INTO rejected (id, reason) VALUES (?1, ?2)", params![id, reason]).unwrap();
            rejected.push(json!({ "id": id, "reason": reason }));
            continue;
        }
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO events (id, seq, type, occurred_at, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, e["seq"].as_i64(), t, e["occurred_at"].as_str(), payload],
            )
            .unwrap();
        if n == 1 {
            accepted.push(id.to_string());
        } else {
            tx.execute("UPDATE events SET received = received + 1 WHERE id = ?1", [id]).unwrap();
            duplicates.push(id.to_string());
        }
    }
    tx.commit().expect("commit");
    (200, json!({ "accepted": accepted, "duplicates": duplicates, "rejected": rejected }).to_string())
}

fn changes(req: &Request, control: &Mutex<Control>, conn: &Connection) -> (u16, String) {
    let limit: i64 = match req.query.get("limit").map(|l| l.parse::<i64>()) {
        None => 100,
        Some(Ok(l)) if (1..=500).contains(&l) => l,
        _ => return error(400, "limit must be 1..500"),
    };
    let from = match req.query.get("cursor") {
        None => 0,
        Some(c) => match c.strip_prefix('c').and_then(|n| n.parse::<i64>().ok()) {
            Some(n) if n >= control.lock().unwrap().forget_before => n,
            _ => return error(410, "unknown cursor"),
        },
    };
    let mut st =
        conn.prepare("SELECT n, id, type, version, payload FROM changes WHERE n > ?1 ORDER BY n LIMIT ?2").unwrap();
    let rows: Vec<(i64, String, String, Option<i64>, String)> = st
        .query_map(params![from, limit + 1], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let has_more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    let next = page.last().map_or(from, |r| r.0);
    let list: Vec<Value> = page
        .iter()
        .map(|(_, id, t, v, p)| {
            let mut c = json!({ "id": id, "type": t, "payload": serde_json::from_str::<Value>(p).unwrap() });
            if let Some(v) = v {
                c["version"] = json!(v);
            }
            c
        })
        .collect();
    (200, json!({ "changes": list, "next_cursor": format!("c{next}"), "has_more": has_more }).to_string())
}

fn messages(req: &Request, conn: Connection) -> (u16, String) {
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else { return error(400, "body is not JSON") };
    let Some(list) = body.get("messages").and_then(Value::as_array) else { return error(400, "no messages list") };
    if list.len() > 100 {
        return (413, String::new());
    }
    let mut results = Vec::new();
    for m in list {
        let Some(key) = m.get("dedupe_key").and_then(Value::as_str) else { return error(400, "no dedupe_key") };
        let n = conn
            .execute("INSERT OR IGNORE INTO messages (dedupe_key, body) VALUES (?1, ?2)", params![key, m.to_string()])
            .unwrap();
        if n == 0 {
            conn.execute("UPDATE messages SET received = received + 1 WHERE dedupe_key = ?1", [key]).unwrap();
        }
        results.push(json!({ "dedupe_key": key, "status": if n == 1 { "queued" } else { "duplicate" } }));
    }
    (200, json!({ "results": results }).to_string())
}
