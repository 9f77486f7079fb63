//! Shared by the benchmarks: a 100-meter office, Mosquitto, the real `xanh` binary, timing.
#![allow(dead_code)] // each bench uses its own subset

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

pub const DEPARTMENTS: usize = 10;

/// 10 departments, each with 7 electricity sub-circuits, 2 water meters and a printer
/// counter: 100 meters, none below another, so office-wide figures add up all of them.
pub fn office_config(mqtt: &str, web_port: u16, store: &Path) -> String {
    let mut text = format!(
        "[office]\nname = \"Văn phòng đo hiệu năng\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\n\
         [web]\nlisten = \"127.0.0.1:{web_port}\"\n\n[mqtt]\n{mqtt}\n\n[store]\npath = \"{}\"\n\n",
        store.display()
    );
    for d in 0..DEPARTMENTS {
        text += &format!(
            "[[departments]]\nid = \"phong-{d}\"\nname = \"Phòng {d}\"\nheadcount = {}\narea_m2 = {}.0\n\n",
            8 + d,
            100 + 10 * d
        );
    }
    for d in 0..DEPARTMENTS {
        let mut meter = |id: String, resource: &str, unit: &str| {
            text += &format!(
                "[[meters]]\nid = \"{id}\"\nname = \"{id}\"\nresource = \"{resource}\"\ndepartment = \"phong-{d}\"\nkind = \"counter\"\nunit = \"{unit}\"\n\n"
            );
        };
        for c in 0..7 {
            meter(format!("dien-{d}-{c}"), "electricity", "kWh");
        }
        for c in 0..2 {
            meter(format!("nuoc-{d}-{c}"), "water", "m3");
        }
        meter(format!("may-in-{d}"), "paper", "sheet");
    }
    text
}

pub fn meter_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for d in 0..DEPARTMENTS {
        ids.extend((0..7).map(|c| format!("dien-{d}-{c}")));
        ids.extend((0..2).map(|c| format!("nuoc-{d}-{c}")));
        ids.push(format!("may-in-{d}"));
    }
    ids
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed on drop.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// Stop it with SIGTERM and wait, so that it can save what it holds (VictoriaMetrics
    /// killed with SIGKILL forgets its recent series).
    pub fn terminate(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }

    /// Peak resident memory so far, from /proc.
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

/// Mosquitto with the limits raised that its defaults would otherwise use to drop messages.
pub fn start_mosquitto(dir: &Path) -> (Process, u16) {
    let port = free_port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages {}\nmax_queued_messages 1000000\nmax_queued_bytes 0\n", broker_inflight()),
    )
    .unwrap();
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto is installed");
    wait_port(port);
    (Process(child), port)
}

/// Mosquitto's `max_inflight_messages` for Xanh: 4000, twice `ingest.batch_size`, as
/// deployment.md advises (one batch arrives while the one before commits), or
/// `XANH_BENCH_BROKER_INFLIGHT` to compare.
pub fn broker_inflight() -> u32 {
    std::env::var("XANH_BENCH_BROKER_INFLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(4000)
}

/// `[ingest]` lines for Xanh: none (its default batch size), or `XANH_BENCH_BATCH_SIZE`.
fn ingest_section() -> String {
    std::env::var("XANH_BENCH_BATCH_SIZE").map(|size| format!("\n[ingest]\nbatch_size = {size}\n")).unwrap_or_default()
}

pub fn xanh_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xanh"))
}

/// Start `xanh serve` on a config and wait for its web port.
/// An HTTP client holding an admin's API token for the store of `config`, made with the
/// `xanh user` command line (the admin is added once; a cached store already has them).
pub fn admin_client(config: &Path, env: &[(&str, &str)]) -> reqwest::Client {
    use std::io::Write;
    let xanh = |args: &[&str]| {
        let mut child = Command::new(xanh_binary())
            .args(args)
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "mật khẩu của bài đo").unwrap();
        child.wait_with_output().unwrap()
    };
    xanh(&["user", "add", "bench", "--admin", "--name", "Bench"]);
    let token = xanh(&["user", "token", "bench", "--name", "bench", "--role", "admin"]);
    assert!(token.status.success(), "xanh user token failed");
    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = format!("Bearer {}", String::from_utf8(token.stdout).unwrap().trim());
    headers.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
    http_client().default_headers(headers).build().unwrap()
}

pub fn start_xanh(config: &Path, web_port: u16, env: &[(&str, &str)]) -> Process {
    let child = Command::new(xanh_binary())
        .args(["serve", "--config"])
        .arg(config)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("xanh starts");
    wait_port(web_port);
    Process(child)
}

/// `per_meter` generic readings for each bench meter on `<prefix>/<id>/reading`, a minute
/// apart, meter after meter, as 100 devices reporting together would send them.
pub fn readings(prefix: &str, per_meter: usize) -> Vec<(String, Vec<u8>)> {
    readings_from(prefix, "2026-01-05T00:00:00+07:00".parse().unwrap(), 0, per_meter)
}

/// As [`readings`], from the `first`-th reading of each meter on (its time and counter value
/// go on from the ones before), the first of them at `base`.
pub fn readings_from(prefix: &str, base: jiff::Timestamp, first: usize, per_meter: usize) -> Vec<(String, Vec<u8>)> {
    let ids = meter_ids();
    let mut out = Vec::with_capacity(ids.len() * per_meter);
    for i in first..first + per_meter {
        let ts = base + jiff::SignedDuration::from_mins((i - first) as i64);
        for id in &ids {
            let payload = format!(r#"{{"value": {}, "ts": "{ts}"}}"#, 1000.0 + i as f64 * 0.25);
            out.push((format!("{prefix}/{id}/reading"), payload.into_bytes()));
        }
    }
    out
}

/// Publish with QoS 1 as fast as the broker takes them; returns when all are acknowledged.
pub async fn publish_all(port: u16, name: &str, messages: Vec<(String, Vec<u8>)>) {
    publish_all_as(port, name, None, messages).await
}

/// As [`publish_all`], logged in with this username and password.
pub async fn publish_all_as(port: u16, name: &str, login: Option<(&str, &str)>, messages: Vec<(String, Vec<u8>)>) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let mut options = MqttOptions::new(format!("bench-{name}-{}", free_port()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000).set_max_packet_size(1 << 20, 1 << 20);
    if let Some((username, password)) = login {
        options.set_credentials(username, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    let total = messages.len();
    let acks = tokio::spawn(async move {
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
        client.publish(topic, QoS::AtLeastOnce, false, payload).await.unwrap();
    }
    acks.await.unwrap();
}

/// `xanh serve` for the 100-meter office behind the Mosquitto on `port`, ready to answer.
pub async fn start_xanh_behind(dir: &Path, port: u16) -> (Process, u16, reqwest::Client) {
    start_xanh_with_store(dir, port, "bench", "", &[]).await
}

/// As [`start_xanh_behind`], as client `name` (its own files), with these extra `[store]`
/// lines (an InfluxDB backend) and environment variables.
pub async fn start_xanh_with_store(
    dir: &Path,
    port: u16,
    name: &str,
    store: &str,
    env: &[(&str, &str)],
) -> (Process, u16, reqwest::Client) {
    let web_port = free_port();
    let config = dir.join(format!("{name}.toml"));
    let mqtt =
        format!("embedded = false\nhost = \"127.0.0.1\"\nport = {port}\nclient_id = \"xanh-{name}\"\ninflight = 1000");
    let text = office_config(&mqtt, web_port, &dir.join(format!("{name}.db")))
        .replacen("[office]\n", &format!("[office]\nid = \"{name}\"\n"), 1)
        .replacen("[store]\n", &format!("[store]\n{store}"), 1)
        + &ingest_section();
    std::fs::write(&config, text).unwrap();
    let http = admin_client(&config, env);
    let xanh = start_xanh(&config, web_port, env);
    while !http
        .get(format!("http://127.0.0.1:{web_port}/api/v1/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (xanh, web_port, http)
}

/// `/api/v1/health` of the service on `web_port`; `Null` while it does not answer.
pub async fn health(http: &reqwest::Client, web_port: u16) -> serde_json::Value {
    match http.get(format!("http://127.0.0.1:{web_port}/api/v1/health")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

/// VictoriaMetrics (Debian's package), which takes InfluxDB's `/api/v2/write`, on `port`
/// with its data in `data`; the same two again restart it with what it had.
pub fn start_victoria_metrics(data: &Path, port: u16) -> Process {
    let child = Command::new("victoria-metrics")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!("-storageDataPath={}", data.display()))
        .arg("-retentionPeriod=100y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("victoria-metrics is installed (Debian package victoria-metrics)");
    wait_port(port);
    Process(child)
}

/// One of the ingest counters of `/api/v1/health` (stored, duplicates, rejected); 0 while the
/// service does not answer.
pub async fn ingest_counter(http: &reqwest::Client, web_port: u16, name: &str) -> u64 {
    let health: serde_json::Value = match http.get(format!("http://127.0.0.1:{web_port}/api/v1/health")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => return 0,
    };
    health["ingest"][name].as_u64().unwrap_or(0)
}

/// The 100 meters × 1 year of readings in the store the config at `config_for_seed` names,
/// generated with `xanh simulate --into-store` unless `data` holds them already (delete
/// `data/complete` to generate them again). A reading a minute, or every
/// `XANH_BENCH_INTERVAL` (`15m`: 2 minutes to generate instead of 30); `complete` records
/// which, and a store already there is used whatever the variable says.
pub fn ensure_year_of_data(data: &Path, config_for_seed: &Path) {
    let done = data.join("complete");
    if done.exists() {
        return;
    }
    let interval = std::env::var("XANH_BENCH_INTERVAL").unwrap_or_else(|_| "1m".into());
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let from = today.checked_sub(jiff::Span::new().days(365)).unwrap();
    eprintln!(
        "generating 100 meters × 1 year of readings every {interval} ({from} → {today}); this takes a few minutes"
    );
    let start = Instant::now();
    let status = Command::new(xanh_binary())
        .args(["simulate", "--into-store", "--no-live", "--interval", &interval])
        .args(["--from", &from.to_string(), "--to", &today.to_string(), "--config"])
        .arg(config_for_seed)
        .status()
        .unwrap();
    assert!(status.success());
    eprintln!("generated in {:.0} s", start.elapsed().as_secs_f64());
    std::fs::write(done, interval).unwrap();
}

/// How far apart the year store's readings are ("1m", "15m"), as `complete` records it.
pub fn year_interval() -> String {
    let done = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/complete");
    match std::fs::read_to_string(done).unwrap_or_default().trim() {
        "" => "1m".into(),
        interval => interval.into(),
    }
}

/// Median and 95th percentile of durations, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.95))
}

/// `xanh serve` over the 100 meters × 1 year store in target/bench-data (built on first use),
/// with an admin's client: the process, the base URL and the client.
pub fn start_year_service(config_name: &str) -> (Process, String, reqwest::Client) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let web_port = free_port();
    let mqtt_port = free_port();
    let config = data.join(config_name);
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    std::fs::write(&config, office_config(&mqtt, web_port, &data.join("year.db"))).unwrap();
    ensure_year_of_data(&data, &config);
    let http = admin_client(&config, &[]);
    let xanh = start_xanh(&config, web_port, &[]);
    (xanh, format!("http://127.0.0.1:{web_port}"), http)
}

/// Median and 95th percentile in ms of `requests` sequential GETs of `url`, and the size of
/// the answer in bytes.
pub async fn measure(http: &reqwest::Client, url: &str, requests: usize) -> (f64, f64, usize) {
    let mut samples = Vec::with_capacity(requests);
    let mut bytes = 0;
    for _ in 0..requests {
        let start = Instant::now();
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        bytes = response.bytes().await.unwrap().len();
        samples.push(start.elapsed());
    }
    let (median, p95) = percentiles(samples);
    (median, p95, bytes)
}

/// The broker's own QoS 1 rate: `per_meter` readings of every meter published on `raw/…`
/// by `publishers` clients at once (each its own meters) to a plain subscriber (nothing
/// stored), in messages a second received.
pub async fn raw_rate(port: u16, per_meter: usize, publishers: usize) -> f64 {
    let mut options = MqttOptions::new(format!("bench-raw-sub-{}", free_port()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    client.subscribe("raw/+/reading", QoS::AtLeastOnce).await.unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    let subscriber = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let parts = by_publisher(readings("raw", per_meter), publishers);
    let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
    let start = Instant::now();
    let sending: Vec<_> = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| tokio::spawn(async move { publish_all(port, &format!("raw-{i}"), part).await }))
        .collect();
    for publisher in sending {
        publisher.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let got = received.load(Ordering::Relaxed);
    if got < total {
        println!("  (the raw subscriber received {got} of {total}: rumqttd skipped the rest)");
    }
    let rate = got as f64 / start.elapsed().as_secs_f64();
    subscriber.abort();
    rate
}

/// Every bench's HTTP client starts here: Xanh's reqwest has rustls without a crypto provider
/// of its own, so the process-wide one is installed first.
pub fn http_client() -> reqwest::ClientBuilder {
    let _already_installed = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// Messages split among `count` publishers, each its own meters, kept in their order.
pub fn by_publisher(messages: Vec<(String, Vec<u8>)>, count: usize) -> Vec<Vec<(String, Vec<u8>)>> {
    let ids = meter_ids();
    let mut parts = vec![Vec::new(); count.max(1)];
    for (topic, payload) in messages {
        let id = topic.split('/').nth(1).unwrap_or_default();
        let index = ids.iter().position(|m| m == id).unwrap_or(0);
        let publisher = index % parts.len();
        parts[publisher].push((topic, payload));
    }
    parts
}
