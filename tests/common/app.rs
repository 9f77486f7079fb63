//! The real application, started in-process on free ports with its own data directory (as
//! zero-to-production's spawn_app does), and the test office it runs.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use std::sync::Arc;
use tempfile::TempDir;

use super::{publish, reading};
use xanh::app::{Application, Shutdown};
use xanh::auth::Auth;
use xanh::config::Config;
use xanh::domain::{Role, User};

use super::*;

/// A small office for tests. `{store}` and the broker section are filled in by `config_text`.
pub const OFFICE: &str = r#"
[office]
name = "Văn phòng thử nghiệm"
timezone = "Asia/Ho_Chi_Minh"

[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0

[[departments]]
id = "phong-b"
name = "Phòng B"
headcount = 5
area_m2 = 60.0

[[meters]]
id = "dien-tong"
name = "Công tơ tổng"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-a"
name = "Công tơ điện Phòng A"
resource = "electricity"
department = "phong-a"
parent = "dien-tong"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-b-wh"
name = "Công tơ điện Phòng B (Wh)"
resource = "electricity"
department = "phong-b"
parent = "dien-tong"
kind = "counter"
unit = "Wh"

[[meters]]
id = "dien-thang"
name = "Công tơ ghi tay hằng tháng"
resource = "electricity"
department = "phong-b"
kind = "counter"
unit = "kWh"

[[meters]]
id = "nuoc-tong"
name = "Đồng hồ nước tổng"
resource = "water"
kind = "counter"
unit = "m3"
register_max = 10000

[[meters]]
id = "nuoc-a-lit"
name = "Đồng hồ nước Phòng A (lít)"
resource = "water"
department = "phong-a"
kind = "counter"
unit = "L"

[[meters]]
id = "giay-a"
name = "Giấy cấp phát Phòng A"
resource = "paper"
department = "phong-a"
kind = "delta"
unit = "ream"
"#;

/// The config text for the test office with the broker and store given.
pub fn config_text(mqtt: &str, store: &Path) -> String {
    office_config_text(OFFICE, mqtt, store)
}

/// The config text for `office` (its departments and meters) with the broker and store given.
pub fn office_config_text(office: &str, mqtt: &str, store: &Path) -> String {
    format!("{office}\n[web]\nlisten = \"127.0.0.1:0\"\n\n[mqtt]\n{mqtt}\n\n[store]\npath = \"{}\"\n", store.display())
}

pub fn embedded_mqtt() -> String {
    "embedded = true\nlisten = \"127.0.0.1:0\"".to_owned()
}

pub fn external_mqtt(port: u16, client_id: &str) -> String {
    format!("embedded = false\nhost = \"127.0.0.1\"\nport = {port}\nclient_id = \"{client_id}\"")
}

/// The admin every test app starts with; `TestApp::http` carries one of their API tokens.
pub const ADMIN: &str = "quan.tri";

/// The password of the users tests create.
pub const PASSWORD: &str = "mật khẩu thử nghiệm";

pub struct TestApp {
    pub web: SocketAddr,
    /// `metrics.listen`'s address, when the config has one.
    pub metrics: Option<SocketAddr>,
    pub mqtt: (String, u16),
    /// An HTTP client signed in as the admin (an API token in every request).
    pub http: reqwest::Client,
    /// An HTTP client with no credentials.
    pub anonymous: reqwest::Client,
    pub auth: Arc<Auth>,
    pub admin: User,
    pub dir: TempDir,
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<()>,
}

/// Start the application in this process, on free ports, with the embedded broker.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    spawn_app_with(&embedded_mqtt(), dir).await
}

pub async fn spawn_app_with(mqtt: &str, dir: TempDir) -> TestApp {
    let text = config_text(mqtt, &dir.path().join("xanh.db"));
    spawn_app_from(&text, dir).await
}

/// Start the application from a whole config text, keeping `dir` alive with it.
pub async fn spawn_app_from(text: &str, dir: TempDir) -> TestApp {
    spawn_app_from_env(text, dir, &[]).await
}

/// As [`spawn_app_from`], with these `XANH_*` environment variables (given to the config
/// only, not set on the test process).
pub async fn spawn_app_from_env(text: &str, dir: TempDir, env: &[(&str, &str)]) -> TestApp {
    let test_app = start_app_from_env(text, dir, env).await;
    test_app.wait_connected().await;
    test_app
}

/// As [`spawn_app_from_env`], without waiting for the ingestor to reach its broker.
pub async fn start_app_from_env(text: &str, dir: TempDir, env: &[(&str, &str)]) -> TestApp {
    let lookup = |name: &str| env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string());
    let config = Config::parse("test.toml", text, &lookup).expect("the test config is valid");
    let app = Application::build(config).await.expect("the app starts");
    let web = app.web_addr();
    let metrics = app.metrics_addr();
    let mqtt = app.mqtt_addr();
    let shutdown = app.shutdown_handle();
    let auth = app.auth();
    let admin = match auth.users().await.unwrap().into_iter().find(|u| u.username.as_str() == ADMIN) {
        Some(admin) => admin,
        None => auth.add_user(ADMIN, "Quản trị HC-QT", Role::Admin, Vec::new(), PASSWORD).await.unwrap(),
    };
    let (token, _) = auth.create_token(&admin, "tests", Role::Admin, None).await.unwrap();
    let task = tokio::spawn(async move { app.run().await.expect("the app runs") });
    TestApp {
        web,
        metrics,
        mqtt,
        http: bearer_client(&token),
        anonymous: http_client().build().unwrap(),
        auth,
        admin,
        dir,
        shutdown,
        task,
    }
}

impl TestApp {
    /// A new user with `role` (a reporter for `departments`) and the test password.
    pub async fn add_user(&self, username: &str, role: Role, departments: &[&str]) -> User {
        let departments = departments.iter().map(|d| d.parse().unwrap()).collect();
        self.auth.add_user(username, &format!("Người dùng {username}"), role, departments, PASSWORD).await.unwrap()
    }

    /// A client holding a new API token of `user`'s, limited to `meters` when given.
    pub async fn token_client(&self, user: &User, role: Role, meters: Option<&[&str]>) -> (reqwest::Client, i64) {
        let meters = meters.map(|m| m.iter().map(|id| id.parse().unwrap()).collect());
        let (token, record) = self.auth.create_token(user, "script", role, meters).await.unwrap();
        (bearer_client(&token), record.id)
    }

    /// Sign in through the login form like a browser, keeping the cookies by hand.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, (u16, String)> {
        let http = no_redirects();
        let page = http.get(self.url("/login")).send().await.unwrap();
        let form_cookie = set_cookie(&page, "xanh_form").expect("the login page sets its form cookie");
        let html = page.text().await.unwrap();
        let csrf = hidden_field(&html, "csrf").expect("the login form carries a CSRF token");
        let answer = http
            .post(self.url("/login"))
            .header("cookie", format!("xanh_form={form_cookie}"))
            .form(&[("csrf", csrf.as_str()), ("username", username), ("password", password), ("next", "/")])
            .send()
            .await
            .unwrap();
        match set_cookie(&answer, "xanh_session") {
            Some(session) => {
                Ok(Session { base: format!("http://{}", self.web), http, cookie: format!("xanh_session={session}") })
            }
            None => {
                let status = answer.status().as_u16();
                let location =
                    answer.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
                Err((status, location))
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.web, path)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn health(&self) -> Value {
        self.get("/api/v1/health").await.1
    }

    async fn wait_connected(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.health().await["broker"]["connected"] == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the ingestor did not connect to its broker: {}", self.health().await);
    }

    /// Wait until ingest has handled `count` readings (stored, duplicate or rejected).
    pub async fn wait_processed(&self, count: u64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ingest = &self.health().await["ingest"];
            let done = ["stored", "duplicates", "rejected"].iter().map(|k| ingest[*k].as_u64().unwrap()).sum::<u64>();
            if done >= count {
                return;
            }
            assert!(Instant::now() < deadline, "only {done} of {count} readings were processed: {ingest}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    pub async fn consumption(&self, query: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/consumption?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        body
    }

    pub async fn meter(&self, id: &str) -> Value {
        let (_, meters) = self.get("/api/v1/meters").await;
        meters.as_array().unwrap().iter().find(|m| m["id"] == id).cloned().unwrap()
    }

    pub async fn stop(self) {
        self.dir_and_stop().await;
    }

    /// Stop the app and hand back its data directory, to start another app on it.
    pub async fn dir_and_stop(self) -> TempDir {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(20), self.task).await.expect("the app stops").unwrap();
        self.dir
    }
}

/// Why the application refuses to start with this (valid) config text.
pub async fn start_error(text: &str) -> String {
    let config = Config::parse("test.toml", text, &|_| None).expect("the test config is valid");
    match Application::build(config).await {
        Ok(_) => panic!("the application started, but it should have refused"),
        Err(e) => e.to_string(),
    }
}

/// Hold the store's write lock past its busy timeout while a reading arrives: health must show
/// ingest's store error with when it began, then, once the lock is released and the reading
/// stored, no current error and the past one with when it cleared.
pub async fn a_store_error_clears_when_the_store_recovers(app: &TestApp) {
    let holder = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Held past the store's 10 s busy timeout, so ingest's write fails and is retried.
    let broker = app.mqtt.clone();
    let sent = tokio::spawn(async move { publish(&broker, &[("xanh/dien-a/reading", reading(100.0, "08:00"))]).await });
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let health = app.health().await;
        if !health["ingest"]["last_error"].is_null() {
            break health;
        }
        assert!(Instant::now() < deadline, "ingest never reported the locked store: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ingest = &health["ingest"];
    assert!(ingest["last_error"].as_str().unwrap().contains("database is locked"), "{health}");
    let since = ingest["last_error_at"].as_str().expect("the error says when it began");
    assert!(since.ends_with("+07:00"), "in the office's time: {since}");
    assert_eq!(health["status"], "degraded");

    holder.execute_batch("ROLLBACK").unwrap();
    tokio::time::timeout(Duration::from_secs(30), sent)
        .await
        .expect("the reading is acknowledged once stored")
        .unwrap();
    app.wait_processed(1).await;
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!(status, 200, "{health}");
    let ingest = &health["ingest"];
    assert_eq!(ingest["stored"], 1);
    assert_eq!((&ingest["last_error"], &ingest["last_error_at"]), (&Value::Null, &Value::Null), "{health}");
    let past = &ingest["recent_errors"][0];
    assert_eq!(past["source"], "store", "{health}");
    assert_eq!(past["since"], since);
    assert!(past["cleared_at"].as_str().is_some_and(|t| t >= since), "{health}");
}
