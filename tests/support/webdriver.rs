//! A small WebDriver client for the back office's browser tests: Debian's `chromedriver`
//! driving Debian's `chromium`, headless, over the W3C protocol on loopback (reqwest, which
//! the crate already has). Each [`Browser`] has a chromedriver and a profile of its own.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a wait for something on a page may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

pub struct Browser {
    http: reqwest::Client,
    driver: String,
    session: String,
    child: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// A headless Chromium with a window of `w`×`h` CSS pixels.
    pub async fn start(w: u32, h: u32) -> Browser {
        let port = free_port();
        let child = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        let driver = format!("http://127.0.0.1:{port}");
        let http = salonbox::channels::http_client(Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{driver}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(start.elapsed() < PATIENCE, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            "--lang=zh-CN".into(),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()), "args": args }
        }}});
        let r: Value = http.post(format!("{driver}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session =
            r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {r}")).to_string();
        let b = Browser { http, driver, session, child, _profile: profile };
        // The viewport itself at w×h (the window has no chrome in headless mode, but be sure).
        b.cmd("POST", "window/rect", json!({ "width": w, "height": h })).await;
        b
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{}", self.driver, self.session, path);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "url", Value::Null).await.as_str().unwrap_or_default().to_string()
    }

    pub async fn source(&self) -> String {
        self.cmd("GET", "source", Value::Null).await.as_str().unwrap_or_default().to_string()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.exec("return document.body ? document.body.innerText : ''", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn find(&self, css: &str) -> Option<String> {
        let v = self.cmd("POST", "element", json!({ "using": "css selector", "value": css })).await;
        v.get(ELEMENT).and_then(Value::as_str).map(str::to_string)
    }

    /// Waits for an element to be there.
    pub async fn wait_for(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no {css} on {} after {PATIENCE:?}:\n{}",
                self.url().await,
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's text contains `what`.
    pub async fn wait_text(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let t = self.text().await;
            if t.contains(what) {
                return t;
            }
            assert!(start.elapsed() < PATIENCE, "\"{what}\" never appeared on {}:\n{t}", self.url().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a JavaScript expression is true on the page.
    pub async fn wait_until(&self, expression: &str) {
        let start = Instant::now();
        loop {
            if self.exec(&format!("return !!({expression})"), json!([])).await == json!(true) {
                return;
            }
            assert!(start.elapsed() < PATIENCE, "never true on {}: {expression}", self.url().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn element_text(&self, el: &str) -> String {
        self.cmd("GET", &format!("element/{el}/text"), Value::Null).await.as_str().unwrap_or_default().to_string()
    }

    /// Clicks as a person would; when something lies over the element (the phone's bottom
    /// bar over a button at the page's foot), the element is scrolled to the middle first.
    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css).await;
        let r = self.cmd("POST", &format!("element/{el}/click"), json!({})).await;
        if r.get("error").is_some() {
            self.exec("arguments[0].scrollIntoView({block: 'center'});", json!([{ ELEMENT: el }])).await;
            let r = self.cmd("POST", &format!("element/{el}/click"), json!({})).await;
            assert!(r.get("error").is_none(), "cannot click {css}: {r}");
        }
    }

    pub async fn clear(&self, css: &str) {
        let el = self.wait_for(css).await;
        self.cmd("POST", &format!("element/{el}/clear"), json!({})).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        self.cmd("POST", &format!("element/{el}/value"), json!({ "text": text })).await;
    }

    pub async fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "execute/sync", json!({ "script": script, "args": args })).await
    }

    /// An asynchronous script: its last argument is the callback.
    pub async fn exec_async(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "execute/async", json!({ "script": script, "args": args })).await
    }

    /// The viewport as a PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let v = self.cmd("GET", "screenshot", Value::Null).await;
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).unwrap()
    }

    pub async fn quit(mut self) {
        let _ = self.http.delete(format!("{}/session/{}", self.driver, self.session)).send().await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
