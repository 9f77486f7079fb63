//! Test helpers: start the real application on free ports with its own data directory,
//! publish with a real MQTT client, start a real Mosquitto.
#![allow(dead_code)] // each test binary uses its own subset of these helpers

pub mod browser;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use std::sync::Arc;
use tempfile::TempDir;

use xanh::app::{Application, Shutdown};
use xanh::auth::Auth;
use xanh::config::Config;
use xanh::domain::{Role, User};

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
        mqtt,
        http: bearer_client(&token),
        anonymous: reqwest::Client::new(),
        auth,
        admin,
        dir,
        shutdown,
        task,
    }
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
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
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
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

/// Publish messages with QoS 1 and wait until the broker acknowledged all of them.
pub async fn publish(broker: &(String, u16), messages: &[(&str, String)]) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id =
        format!("test-publisher-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let mut options = MqttOptions::new(id, broker.0.clone(), broker.1);
    options.set_keep_alive(Duration::from_secs(30)).set_inflight(100);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let total = messages.len();
    let waiter = tokio::spawn(async move {
        let mut acked = 0;
        while acked < total {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(e) => panic!("publisher lost the broker: {e}"),
            }
        }
    });
    for (topic, payload) in messages {
        client.publish(*topic, QoS::AtLeastOnce, false, payload.clone()).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the broker acknowledged every message")
        .unwrap();
}

/// Why the application refuses to start with this (valid) config text.
pub async fn start_error(text: &str) -> String {
    let config = Config::parse("test.toml", text, &|_| None).expect("the test config is valid");
    match Application::build(config).await {
        Ok(_) => panic!("the application started, but it should have refused"),
        Err(e) => e.to_string(),
    }
}

/// How one QoS 1 publish on a fresh connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The broker acknowledged it (PUBACK).
    Acked,
    /// The connection ended before the broker accepted the login (no CONNACK, or a refusal).
    RefusedAtConnect,
    /// The broker accepted the login, then closed the connection without a PUBACK.
    ClosedWithoutAck,
}

/// Connect (with `login` as username and password, if given), publish one QoS 1 message and
/// say how it ended.
pub async fn publish_once(
    broker: &(String, u16),
    login: Option<(&str, &str)>,
    topic: &str,
    payload: String,
) -> PublishOutcome {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = format!("test-once-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    publish_once_as(broker, &id, login, topic, payload).await
}

/// As [`publish_once`], under the client id given.
pub async fn publish_once_as(
    broker: &(String, u16),
    client_id: &str,
    login: Option<(&str, &str)>,
    topic: &str,
    payload: String,
) -> PublishOutcome {
    let mut options = MqttOptions::new(client_id, broker.0.clone(), broker.1);
    options.set_keep_alive(Duration::from_secs(30));
    if let Some((username, password)) = login {
        options.set_credentials(username, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    client.publish(topic, QoS::AtLeastOnce, false, payload).await.unwrap();
    let mut connected = false;
    let outcome = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => connected = true,
                Ok(Event::Incoming(Packet::PubAck(_))) => return PublishOutcome::Acked,
                Ok(_) => {}
                Err(_) if connected => return PublishOutcome::ClosedWithoutAck,
                Err(_) => return PublishOutcome::RefusedAtConnect,
            }
        }
    })
    .await
    .expect("the broker answered within 15 s");
    let _ = client.disconnect().await;
    outcome
}

/// The argon2id hash of `password`, made by the real `xanh mqtt-password`.
pub fn mqtt_password_hash(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(binary())
        .arg("mqtt-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("xanh mqtt-password starts");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "xanh mqtt-password failed");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A self-signed certificate for 127.0.0.1 and localhost and its key, made with the openssl
/// command in `dir`: (certificate, key).
pub fn test_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("broker.crt"), dir.join("broker.key"));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=xanh-test-broker", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (scripts/test installs it)");
    assert!(status.success(), "openssl could not make a test certificate");
    (cert, key)
}

/// `mosquitto_pub` over TLS to `host`, trusting `ca`, logged in as `user`; whether the
/// broker took it.
pub fn mosquitto_pub_tls(host: &str, port: u16, ca: &Path, user: (&str, &str), topic: &str, payload: &str) -> bool {
    Command::new("mosquitto_pub")
        .args(["-h", host, "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .args(["-u", user.0, "-P", user.1, "--cafile"])
        .arg(ca)
        .stderr(Stdio::null())
        .status()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)")
        .success()
}

/// `{"value": v, "ts": "<local time>"}` for 2026-11-02 (a Monday) at `time` in Hà Nội.
pub fn reading(value: f64, time: &str) -> String {
    format!(r#"{{"value": {value}, "ts": "{}+07:00"}}"#, local(time))
}

/// "2026-11-02T07:00:00" from "07:00", or a full "2026-10-20T00:00:00" as given.
pub fn local(time: &str) -> String {
    if time.len() == 5 { format!("2026-11-02T{time}:00") } else { time.to_owned() }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A test CA and a broker certificate it signed for 127.0.0.1 and localhost, made with the
/// openssl command in `dir` (rustls, unlike OpenSSL, refuses a self-signed CA certificate as
/// a server's own).
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn test_ca_and_certificate(dir: &Path) -> TestPki {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is installed (scripts/test installs it)");
        assert!(status.success(), "openssl {args:?} failed");
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=xanh-test-ca", "-keyout", "ca.key", "-out", "ca.crt"],
        ]
        .concat(),
    );
    openssl(
        &[&["req", "-new"][..], &ec, &["-subj", "/CN=xanh-test-broker", "-keyout", "broker.key", "-out", "broker.csr"]]
            .concat(),
    );
    std::fs::write(
        dir.join("broker.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "broker.ext",
        "-out",
        "broker.crt",
    ]);
    TestPki { ca: dir.join("ca.crt"), cert: dir.join("broker.crt"), key: dir.join("broker.key") }
}

/// A client certificate that `pki`'s CA signed, for a broker that asks for one:
/// (certificate, key), in the CA's directory.
pub fn test_client_certificate(pki: &TestPki, name: &str) -> (PathBuf, PathBuf) {
    let dir = pki.ca.parent().unwrap();
    let (cert, key, csr, ext) =
        (format!("{name}.crt"), format!("{name}.key"), format!("{name}.csr"), format!("{name}.ext"));
    std::fs::write(dir.join(&ext), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n").unwrap();
    for args in [
        vec![
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=xanh",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ] {
        let status = Command::new("openssl")
            .current_dir(dir)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "openssl {args:?} failed");
    }
    (dir.join(cert), dir.join(key))
}

/// A real Mosquitto on a free port, with the limits Xanh needs raised; killed on drop.
pub struct Mosquitto {
    pub port: u16,
    /// Its TLS listener, when started with one.
    pub tls_port: Option<u16>,
    child: Child,
    _dir: TempDir,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        Mosquitto::launch(tempfile::tempdir().unwrap(), "allow_anonymous true\n")
    }

    /// Mosquitto with these users (made with the real `mosquitto_passwd`) and this ACL file
    /// text, as the README describes; no anonymous clients.
    pub fn start_secured(users: &[(&str, &str)], acl: &str) -> Mosquitto {
        Mosquitto::start_secured_with(users, acl, "")
    }

    /// As [`Mosquitto::start_secured`], with a TLS listener serving `pki`'s certificate.
    pub fn start_secured_tls(users: &[(&str, &str)], acl: &str, pki: &TestPki) -> Mosquitto {
        Mosquitto::start_secured_tls_with(users, acl, pki, "")
    }

    /// As [`Mosquitto::start_secured_tls`], with more settings for the TLS listener
    /// (`require_certificate true`).
    pub fn start_secured_tls_with(
        users: &[(&str, &str)],
        acl: &str,
        pki: &TestPki,
        listener_settings: &str,
    ) -> Mosquitto {
        let tls_port = free_port();
        // Started as root, Mosquitto drops to its own user, which cannot read the test's
        // private key: it stays the user running the tests instead.
        let me = Command::new("id").arg("-un").output().expect("id runs").stdout;
        let listener = format!(
            "user {}\nlistener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n{listener_settings}\n",
            String::from_utf8_lossy(&me).trim(),
            pki.ca.display(),
            pki.cert.display(),
            pki.key.display()
        );
        let mut broker = Mosquitto::start_secured_with(users, acl, &listener);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen on {tls_port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        broker.tls_port = Some(tls_port);
        broker
    }

    fn start_secured_with(users: &[(&str, &str)], acl: &str, more: &str) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let passwords = dir.path().join("passwords");
        for (user, password) in users {
            let status = Command::new("mosquitto_passwd")
                .arg("-b")
                .args(if passwords.exists() { vec![] } else { vec!["-c"] })
                .arg(&passwords)
                .args([user, password])
                .status()
                .expect("mosquitto_passwd is installed (package mosquitto)");
            assert!(status.success(), "mosquitto_passwd failed for {user}");
        }
        let acl_file = dir.path().join("acl");
        std::fs::write(&acl_file, acl).unwrap();
        let security = format!(
            "allow_anonymous false\npassword_file {}\nacl_file {}\n{more}",
            passwords.display(),
            acl_file.display()
        );
        Mosquitto::launch(dir, &security)
    }

    fn launch(dir: TempDir, security: &str) -> Mosquitto {
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\n{security}persistence false\n\
                 max_inflight_messages 1000\nmax_queued_messages 1000000\nmax_queued_bytes 0\n"
            ),
        )
        .unwrap();
        let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("mosquitto is installed (scripts/test installs it)");
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { port, tls_port: None, child, _dir: dir }
    }

    pub fn broker(&self) -> (String, u16) {
        ("127.0.0.1".to_owned(), self.port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real VictoriaMetrics (Debian package `victoria-metrics`), which takes InfluxDB's
/// `/api/v2/write`, on a free loopback port with its own storage; killed on drop. It may be
/// stopped and started again on the same port and storage, for outages.
pub struct VictoriaMetrics {
    pub port: u16,
    child: Option<Child>,
    dir: TempDir,
}

impl VictoriaMetrics {
    pub fn start() -> VictoriaMetrics {
        let mut vm = VictoriaMetrics::not_started();
        vm.resume();
        vm
    }

    /// Its port chosen but nothing listening yet: InfluxDB is down from the start.
    pub fn not_started() -> VictoriaMetrics {
        VictoriaMetrics { port: free_port(), child: None, dir: tempfile::tempdir().unwrap() }
    }

    /// Start it (again) and wait until it answers.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "VictoriaMetrics is already running");
        let binary = "/usr/bin/victoria-metrics";
        assert!(Path::new(binary).exists(), "victoria-metrics is installed (scripts/test installs it)");
        let child = Command::new(binary)
            .arg(format!("-httpListenAddr=127.0.0.1:{}", self.port))
            .arg(format!("-storageDataPath={}", self.dir.path().join("data").display()))
            .arg("-retentionPeriod=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("victoria-metrics starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if http_get_status(self.port, "/health") == Some(200) {
                return;
            }
            assert!(Instant::now() < deadline, "VictoriaMetrics did not answer on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill it: InfluxDB is down.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every series matching `selector` (`{__name__="reading_value"}`) as VictoriaMetrics
    /// exports it: `{"metric": {labels}, "values": [...], "timestamps": [...]}`, raw samples
    /// in the order they were written.
    pub async fn export(&self, selector: &str) -> Vec<Value> {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/export", self.url()))
            .form(&[("match[]", selector)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "export: {}", response.status());
        let text = response.text().await.unwrap();
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The status of a plain HTTP GET to 127.0.0.1:`port`, or `None` if nothing answers.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Run `mosquitto_pub` (the real command-line client) once.
pub fn mosquitto_pub(port: u16, topic: &str, payload: &str) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .status()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed for {topic}");
}

/// Add an admin with the `xanh user` command line, the way an office's IT centre does, and
/// return a client holding an API token made the same way.
pub fn admin_client_by_command_line(config: &Path) -> reqwest::Client {
    use std::io::Write;
    let mut add = Command::new(binary())
        .args(["user", "add", ADMIN, "--admin", "--name", "Quản trị HC-QT", "--config"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success(), "xanh user add failed");
    let token = Command::new(binary())
        .args(["user", "token", ADMIN, "--name", "tests", "--role", "admin", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(token.status.success(), "xanh user token failed: {}", String::from_utf8_lossy(&token.stderr));
    bearer_client(String::from_utf8(token.stdout).unwrap().trim())
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xanh"))
}

pub fn approx(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((actual - expected).abs() < 1e-6, "expected {expected}, got {actual}");
}

/// A browser-like session: its cookie, sent by hand, and no redirects followed.
pub struct Session {
    base: String,
    pub http: reqwest::Client,
    pub cookie: String,
}

impl Session {
    /// GET a page: its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The CSRF token of this session's forms, read from `page`'s HTML.
    pub async fn csrf(&self, page: &str) -> String {
        let (status, html) = self.get(page).await;
        assert_eq!(status, 200, "{page}: {html}");
        hidden_field(&html, "csrf").unwrap_or_else(|| panic!("{page} has no form with a CSRF token"))
    }

    /// Fill in the form at `action` as it stands on `page` (with its CSRF token), send it, and
    /// follow the redirect: the page shown after.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> String {
        let csrf = self.csrf(page).await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        let (status, location) = self.post_form(action, &fields).await;
        assert_eq!(status, 303, "{action}: {location}");
        let (status, html) = self.get(&location).await;
        assert_eq!(status, 200, "{location}: {html}");
        html
    }

    /// POST a form as the browser would: the status, and the `Location` of a redirect or else
    /// the body.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        match response.headers().get("location") {
            Some(location) => (status, location.to_str().unwrap().to_owned()),
            None => (status, response.text().await.unwrap()),
        }
    }
}

/// The value a response sets for cookie `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The value of the first hidden input called `name` in an HTML page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}
