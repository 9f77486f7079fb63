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
use tempfile::TempDir;
use xanh::app::{Application, Shutdown};
use xanh::config::Config;

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
    format!(
        "{office}\n[web]\nlisten = \"127.0.0.1:0\"\n\n[mqtt]\n{mqtt}\n\n[store]\npath = \"{}\"\n",
        store.display()
    )
}

pub fn embedded_mqtt() -> String {
    "embedded = true\nlisten = \"127.0.0.1:0\"".to_owned()
}

pub fn external_mqtt(port: u16, client_id: &str) -> String {
    format!("embedded = false\nhost = \"127.0.0.1\"\nport = {port}\nclient_id = \"{client_id}\"")
}

pub struct TestApp {
    pub web: SocketAddr,
    pub mqtt: (String, u16),
    pub http: reqwest::Client,
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
    let config = Config::parse("test.toml", text, &|_| None).expect("the test config is valid");
    let app = Application::build(config).await.expect("the app starts");
    let web = app.web_addr();
    let mqtt = app.mqtt_addr();
    let shutdown = app.shutdown_handle();
    let task = tokio::spawn(async move { app.run().await.expect("the app runs") });
    let test_app = TestApp { web, mqtt, http: reqwest::Client::new(), dir, shutdown, task };
    test_app.wait_connected().await;
    test_app
}

impl TestApp {
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
    let id = format!("test-publisher-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
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
    tokio::time::timeout(Duration::from_secs(30), waiter).await.expect("the broker acknowledged every message").unwrap();
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

/// A real Mosquitto on a free port, with the limits Xanh needs raised; killed on drop.
pub struct Mosquitto {
    pub port: u16,
    child: Child,
    _dir: TempDir,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
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
        Mosquitto { port, child, _dir: dir }
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

/// Run `mosquitto_pub` (the real command-line client) once.
pub fn mosquitto_pub(port: u16, topic: &str, payload: &str) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .status()
        .expect("mosquitto_pub is installed (scripts/test installs mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed for {topic}");
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xanh"))
}

pub fn approx(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((actual - expected).abs() < 1e-6, "expected {expected}, got {actual}");
}
