//! `xanh backup` while readings stream in and `xanh restore` into a new data directory: the
//! copy is one instant of the store (users and tokens with it), a restore is refused while the
//! service runs, and the restored service, once the devices have sent again what came after the
//! backup, answers every API call and page exactly as the original does.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    Acked, Service, acked_count, approx, config_text, counter_stream, device_options, free_port, get, wait_for,
};

const PER_METER: usize = 5000;
const METERS: [&str; 2] = ["dien-a", "nuoc-tong"];

/// A config in `dir` for a service on free ports; the broker's port.
fn service_config(dir: &Path) -> (std::path::PathBuf, u16, u16) {
    let (web_port, mqtt_port) = (free_port(), free_port());
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    let text = config_text(&mqtt, &dir.join("data").join("xanh.db"))
        .replace("[web]\nlisten = \"127.0.0.1:0\"", &format!("[web]\nlisten = \"127.0.0.1:{web_port}\""));
    let config = dir.join("xanh.toml");
    std::fs::write(&config, text).unwrap();
    (config, web_port, mqtt_port)
}

fn xanh(args: &[&str], file: &Path, config: &Path) -> Output {
    Command::new(common::binary()).args(args).arg(file).arg("--config").arg(config).output().unwrap()
}

fn stream() -> Vec<(String, String)> {
    METERS.iter().flat_map(|m| counter_stream(&format!("xanh/{m}/reading"), PER_METER)).collect()
}

async fn stored(http: &reqwest::Client, base: &str) -> u64 {
    let meters = get(http, &format!("{base}/api/v1/meters")).await;
    meters.and_then(|m| Some(m.as_array()?.iter().map(|m| m["readings"].as_u64().unwrap_or(0)).sum())).unwrap_or(0)
}

async fn start(config: &Path, http: &reqwest::Client, base: &str) -> Service {
    let service = Service::start(config);
    let up = wait_for(Duration::from_secs(30), async || {
        get(http, &format!("{base}/api/v1/health")).await.is_some_and(|h| h["broker"]["connected"] == true)
    });
    assert!(up.await, "the service did not start");
    service
}

async fn send_all(mqtt_port: u16) {
    let acked: Acked = Arc::new(Mutex::new(vec![false; PER_METER * METERS.len()]));
    let options = device_options(&("127.0.0.1".to_owned(), mqtt_port));
    tokio::time::timeout(Duration::from_secs(180), common::publish_until_acked(options, stream(), acked.clone()))
        .await
        .expect("every reading acknowledged");
    assert_eq!(acked_count(&acked), PER_METER * METERS.len());
}

/// What a user sees: API answers and pages, as text.
const VIEWS: &[&str] = &[
    "/api/v1/meters",
    "/api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-11-08&step=hour",
    "/api/v1/consumption?resource=water&from=2026-11-01&to=2026-11-08&step=day",
    "/api/v1/consumption?resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-03&step=hour",
    "/api/v1/readings?meter=dien-a&from=2026-11-02&to=2026-11-08",
    "/api/v1/readings?meter=nuoc-tong&from=2026-11-02&to=2026-11-08",
    "/api/v1/progress?resource=electricity&period=2026-11",
    "/api/v1/progress?resource=water&period=2026",
    "/api/v1/scores?period=2026-11",
    "/api/v1/waste?resource=water&from=2026-11-01&to=2026-11-08",
    "/api/v1/rejected",
    "/api/v1/corrections",
    "/api/v1/audit",
    "/",
    "/scores?period=2026-11",
    "/offices",
    "/plan",
    "/entry",
    "/rejected",
    "/admin/audit",
];

async fn views(http: &reqwest::Client, base: &str) -> Vec<(String, u16, String)> {
    let mut seen = Vec::new();
    for path in VIEWS {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let text = match serde_json::from_str(&text) {
            Ok(mut json) => {
                without_arrival_times(&mut json);
                json.to_string()
            }
            Err(_) => text,
        };
        seen.push((path.to_string(), status, text));
    }
    seen
}

/// When a reading arrived is the one thing the devices' second sending changes.
fn without_arrival_times(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            map.remove("last_seen");
            map.remove("received_at");
            map.values_mut().for_each(without_arrival_times);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_arrival_times),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_mid_stream_restores_into_a_new_service_that_shows_the_same_figures_and_pages() {
    let first = tempfile::tempdir().unwrap();
    let (config, web_port, mqtt_port) = service_config(first.path());
    let http = common::admin_client_by_command_line(&config);
    let base = format!("http://127.0.0.1:{web_port}");
    let service = start(&config, &http, &base).await;

    let sending = tokio::spawn(send_all(mqtt_port));
    let flowing = wait_for(Duration::from_secs(60), async || stored(&http, &base).await >= 500);
    assert!(flowing.await, "no readings were stored");
    let backup_file = first.path().join("xanh-backup.db");
    let out = xanh(&["backup"], &backup_file, &config);
    assert!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
    let at_backup = stored(&http, &base).await;
    assert!(at_backup < (PER_METER * METERS.len()) as u64, "the stream had ended: the backup was not taken during it");
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains(" users, schema version "), "{said}");

    // Never over an existing file, and never while the service runs.
    let again = xanh(&["backup"], &backup_file, &config);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let refused = xanh(&["restore"], &backup_file, &config);
    assert!(!refused.status.success(), "a restore under a running service was accepted");
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("in use by a running xanh") && why.contains("stop the service first"), "{why}");

    sending.await.unwrap();
    let all = (PER_METER * METERS.len()) as u64;
    assert!(wait_for(Duration::from_secs(30), async || stored(&http, &base).await == all).await);

    // Into a new service's data directory.
    let second = tempfile::tempdir().unwrap();
    let (restored_config, restored_web, restored_mqtt) = service_config(second.path());
    let out = xanh(&["restore"], &backup_file, &restored_config);
    assert!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).unwrap();
    // The admin and their token came with the backup: the same client signs in.
    assert!(said.contains(", 1 users, "), "{said}");
    assert!(said.contains("from 00:00 02/11/2026 to "), "{said}");
    let restored_base = format!("http://127.0.0.1:{restored_web}");
    let restored = start(&restored_config, &http, &restored_base).await;

    // One instant: each meter's readings are an unbroken run from the first, so its
    // consumption is exactly one less than its readings (no reading without the ones before).
    let meters = get(&http, &format!("{restored_base}/api/v1/meters")).await.unwrap();
    let mut in_backup = 0;
    for meter in METERS {
        let row = meters.as_array().unwrap().iter().find(|m| m["id"] == meter).unwrap();
        let readings = row["readings"].as_u64().unwrap();
        in_backup += readings;
        if readings > 0 {
            let resource = if meter == "dien-a" { "electricity" } else { "water" };
            let total = get(
                &http,
                &format!("{restored_base}/api/v1/consumption?resource={resource}&meter={meter}&from=2026-11-01&to=2026-11-08&step=day"),
            )
            .await
            .unwrap();
            approx(&total["total"], (readings - 1) as f64);
        }
    }
    let count = xanh::locale::number(in_backup as f64, 0, xanh::locale::Lang::Vi);
    assert!(said.contains(&format!(": {count} readings (")), "{said} but the service has {in_backup}");
    assert!(in_backup >= 500 && in_backup < all, "{in_backup} readings in the backup");

    // The devices send again what came after the backup; then everything matches.
    send_all(restored_mqtt).await;
    assert!(wait_for(Duration::from_secs(30), async || stored(&http, &restored_base).await == all).await);
    let original = views(&http, &base).await;
    let copy = views(&http, &restored_base).await;
    for ((path, status, body), (_, copy_status, copy_body)) in original.iter().zip(&copy) {
        assert_eq!(*status, 200, "{path}: {body}");
        assert_eq!(status, copy_status, "{path}");
        if let Some(at) = body.bytes().zip(copy_body.bytes()).position(|(a, b)| a != b) {
            let around =
                |text: &str| text.get(at.saturating_sub(150)..(at + 150).min(text.len())).unwrap_or(text).to_owned();
            panic!("{path} differs after the restore:\n{}\n{}", around(body), around(copy_body));
        }
        assert_eq!(body.len(), copy_body.len(), "{path}");
    }
    drop(restored);

    // The restore into the directory in use keeps what it replaced.
    let status = service.terminate();
    assert!(status.success());
    let out = xanh(&["restore"], &backup_file, &config);
    assert!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).unwrap();
    let kept = said.lines().find_map(|l| l.strip_prefix("restore: the store it replaced is kept as ")).expect(&said);
    let kept = xanh::store::check(Path::new(kept)).unwrap();
    assert_eq!(kept.readings, all, "the replaced store is kept whole");
}

#[test]
fn a_file_that_is_not_a_sound_store_is_refused_and_the_store_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _, _) = service_config(dir.path());
    let notes = dir.path().join("notes.db");
    std::fs::write(&notes, "Biên bản họp giao ban").unwrap();
    let out = xanh(&["restore"], &notes, &config);
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(why.contains(&format!("{}: is not a Xanh store", notes.display())), "{why}");
    assert!(!dir.path().join("data").join("xanh.db").exists(), "nothing was put in place");

    // A backup damaged on its way (a page overwritten) fails SQLite's integrity check.
    let _ = common::admin_client_by_command_line(&config);
    let backup_file = dir.path().join("backup.db");
    assert!(xanh(&["backup"], &backup_file, &config).status.success());
    let mut bytes = std::fs::read(&backup_file).unwrap();
    let page = 4096;
    bytes[2 * page..3 * page].fill(0x5a);
    std::fs::write(&backup_file, bytes).unwrap();
    let out = xanh(&["restore"], &backup_file, &config);
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        why.contains(&format!("{}: is damaged: ", backup_file.display())) && why.contains("fix: use another backup"),
        "{why}"
    );
    let store = dir.path().join("data").join("xanh.db");
    assert_eq!(xanh::store::check(&store).unwrap().users, 1, "the store is unchanged");
    let out = xanh(&["restore"], &store, &config);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the store itself"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_takes_the_daily_backup_at_the_configured_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let (config, web_port, _) = service_config(dir.path());
    let folder = dir.path().join("sao-luu");
    // The next whole minute at least 20 s away, on the office's clock.
    let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap());
    let due = &now + jiff::SignedDuration::from_secs(80);
    let at = due.time();
    let text = std::fs::read_to_string(&config).unwrap();
    let at = format!("{:02}:{:02}", at.hour(), at.minute());
    std::fs::write(&config, format!("{text}\n[backup]\nfolder = \"{}\"\nat = \"{at}\"\nkeep = 3\n", folder.display()))
        .unwrap();
    let http = common::admin_client_by_command_line(&config);
    let _service = start(&config, &http, &format!("http://127.0.0.1:{web_port}")).await;
    // A second service on the same store is refused, as a restore is.
    let second = Command::new(common::binary()).args(["serve", "--config"]).arg(&config).output().unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("is in use by a running xanh"), "{second:?}");
    let expected = folder.join(format!("xanh-{}-{}.db", due.strftime("%Y-%m-%d"), at.replace(':', "")));
    let taken = wait_for(Duration::from_secs(150), async || expected.is_file()).await;
    assert!(taken, "no backup at {at} in {}", folder.display());
    let summary = xanh::store::check(&expected).unwrap();
    assert_eq!(summary.users, 1);
}
