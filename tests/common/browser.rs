//! A real browser for the page tests: Debian's chromium, driven through chromedriver over the
//! W3C WebDriver protocol (plain HTTP and JSON, so no client crate is needed).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use super::{ADMIN, PASSWORD, TestApp, free_port};

pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    _profile: TempDir,
    /// The app this browser has signed in to, by its address.
    signed_in: Mutex<Option<String>>,
}

/// A page size to look at: the desktop the office uses, and a phone.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

pub const DESKTOP: Screen = Screen { name: "desktop", width: 1366, height: 900, mobile: false };
pub const PHONE: Screen = Screen { name: "phone", width: 390, height: 844, mobile: true };
/// An A4 page's printable width at 96 dpi (210 mm less 2 × 12 mm margins).
pub const A4: Screen = Screen { name: "a4", width: 703, height: 1000, mobile: false };

fn binary(candidates: &[&str]) -> PathBuf {
    candidates.iter().map(PathBuf::from).find(|p| p.exists()).unwrap_or_else(|| {
        panic!("none of {candidates:?} is installed (scripts/test installs chromium and chromium-driver)")
    })
}

impl Browser {
    /// Start chromedriver on a free port and open a headless Chromium session speaking
    /// Vietnamese.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(binary(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let http = super::http_client().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !http.get(format!("{base}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "chromedriver did not answer on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let chromium = binary(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                         "--lang=vi-VN", format!("--user-data-dir={}", profile.path().display())],
            },
        } } });
        let response: Value =
            http.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {response}"))
            .to_owned();
        let mut browser = Browser { http, session, driver, _profile: profile, signed_in: Mutex::new(None) };
        browser.session = format!("{base}/session/{}", browser.session);
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() { request } else { request.json(&body) };
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = response["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", response["value"]["message"]);
        }
        response["value"].clone()
    }

    /// Show pages at this size, as that device would.
    pub async fn resize(&self, screen: Screen) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": screen.width, "height": screen.height, "deviceScaleFactor": 1, "mobile": screen.mobile }),
        )
        .await;
    }

    /// A Chrome DevTools command through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(reqwest::Method::POST, "/goog/cdp/execute", json!({ "cmd": cmd, "params": params })).await
    }

    /// Open a page of the app and wait until it has loaded, signed in as the test admin
    /// (through the login form, the first time). Every page a test looks at is opened here.
    pub async fn open(&self, app: &TestApp, path: &str) {
        let base = app.url("");
        if self.signed_in.lock().unwrap().as_deref() != Some(base.as_str()) {
            self.sign_in(app, ADMIN, PASSWORD).await;
            *self.signed_in.lock().unwrap() = Some(base);
        }
        self.command(reqwest::Method::POST, "/url", json!({ "url": app.url(path) })).await;
    }

    /// Type a user name and password into the login page and send it, as a person would.
    pub async fn sign_in(&self, app: &TestApp, username: &str, password: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": app.url("/login") })).await;
        self.type_into("input[name=username]", username).await;
        self.type_into("input[name=password]", password).await;
        let button = self.element("main.login button[type=submit]").await;
        self.command(reqwest::Method::POST, &format!("/element/{button}/click"), json!({})).await;
        // The click returns before the form's navigation may have finished: wait for it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.script("return location.pathname", json!([])).await == "/login" {
            assert!(Instant::now() < deadline, "the browser could not sign in as {username}: {}", self.dom().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WebDriver id of the first element matching a CSS selector.
    async fn element(&self, selector: &str) -> String {
        let found = self
            .command(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": selector }))
            .await;
        found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element id").to_owned()
    }

    /// Type `text` into the field matching `selector`, key by key, as a person does.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let field = self.element(selector).await;
        self.command(reqwest::Method::POST, &format!("/element/{field}/value"), json!({ "text": text })).await;
    }

    /// Click the element matching `selector` (a form's button sends the form).
    pub async fn click(&self, selector: &str) {
        let element = self.element(selector).await;
        self.command(reqwest::Method::POST, &format!("/element/{element}/click"), json!({})).await;
    }

    /// The page as the browser has built it.
    pub async fn dom(&self) -> String {
        self.script("return document.documentElement.outerHTML", json!([])).await.as_str().unwrap().to_owned()
    }

    pub async fn script(&self, body: &str, args: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/sync", json!({ "script": body, "args": args })).await
    }

    /// A script that calls its last argument with the result, for promises.
    pub async fn script_async(&self, body: &str, args: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/async", json!({ "script": body, "args": args })).await
    }

    /// The whole page (not only the visible part) as a PNG in target/screenshots.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let height = self.script("return document.documentElement.scrollHeight", json!([])).await.as_f64().unwrap();
        let width = self.script("return document.documentElement.clientWidth", json!([])).await.as_f64().unwrap();
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true,
                        "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 } }),
            )
            .await;
        let bytes = base64_decode(shot["data"].as_str().expect("a screenshot"));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Show the page as printed (the print stylesheet) or as on screen.
    pub async fn print_media(&self, print: bool) {
        self.cdp("Emulation.setEmulatedMedia", json!({ "media": if print { "print" } else { "" } })).await;
    }

    /// Print the page to an A4 PDF in target/screenshots; returns its bytes.
    pub async fn pdf(&self, name: &str) -> Vec<u8> {
        let pdf = self
            .cdp("Page.printToPDF", json!({ "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": true }))
            .await;
        let bytes = base64_decode(pdf["data"].as_str().expect("a PDF"));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), &bytes).unwrap();
        bytes
    }

    pub async fn quit(mut self) {
        let _ = self.http.delete(&self.session).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (as WebDriver sends screenshots) to bytes.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("`{}` is not base64", c as char),
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}
