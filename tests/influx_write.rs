//! The InfluxDB backend's write path against a real server that speaks InfluxDB's v2 write
//! API (VictoriaMetrics; InfluxDB 2 itself cannot be installed here): readings published to
//! the embedded broker arrive as `reading` and `consumption` points, read back through
//! VictoriaMetrics' own export API (where they are `reading_value` and
//! `consumption_consumption`, tags as labels); an outage fills the outbox, which the health
//! report and the dashboard show, and which drains in order once the server is back.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ADMIN, PASSWORD, TestApp, VictoriaMetrics, publish, reading, spawn_app_from_env};
use serde_json::{Value, json};

/// The test office writing to `vm`, its points tagged `office=vp-thu`.
fn config(vm: &VictoriaMetrics, dir: &Path, outbox_alert_s: u64) -> String {
    let office = common::OFFICE.replacen("[office]\n", "[office]\nid = \"vp-thu\"\n", 1);
    format!(
        "{office}\n[web]\nlisten = \"127.0.0.1:0\"\n\n[mqtt]\n{}\n\n[store]\nbackend = \"influxdb\"\nurl = \"{}\"\n\
         org = \"vp\"\nbucket = \"xanh\"\npath = \"{}\"\ntimeout_s = 2\noutbox_alert_s = {outbox_alert_s}\n",
        common::embedded_mqtt(),
        vm.url(),
        dir.join("xanh.db").display()
    )
}

async fn spawn(vm: &VictoriaMetrics, outbox_alert_s: u64) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = config(vm, dir.path(), outbox_alert_s);
    spawn_app_from_env(&text, dir, &[("XANH_INFLUXDB_TOKEN", "test-token")]).await
}

fn ms(local: &str) -> i64 {
    local.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// "2026-11-02T08:30:00+07:00" in ms.
fn at(time: &str) -> i64 {
    ms(&format!("{}+07:00", common::local(time)))
}

async fn outbox(app: &TestApp) -> Value {
    app.health().await["store"]["outbox"].clone()
}

/// Wait until the outbox is empty (everything written).
async fn drained(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let outbox = outbox(app).await;
        if outbox["pending"] == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the outbox did not drain: {outbox}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Poll VictoriaMetrics' export of `selector` until `ok` holds for it.
async fn export_until(vm: &VictoriaMetrics, selector: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let series = vm.export(selector).await;
        if ok(&series) {
            return series;
        }
        assert!(Instant::now() < deadline, "{selector} never became as expected: {series:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn of_meter<'a>(series: &'a [Value], meter: &str) -> Option<&'a Value> {
    series.iter().find(|s| s["metric"]["meter"] == meter)
}

/// A series' samples by time. A point written again (an hour whose amount changed) is a
/// second sample at the same time: InfluxDB keeps the last written, VictoriaMetrics keeps
/// both and exports them in no particular order, so only the set of them can be checked
/// here (the order is the drainer's unit tests' business).
fn by_time(series: &Value) -> BTreeMap<i64, Vec<f64>> {
    let values = series["values"].as_array().unwrap();
    let times = series["timestamps"].as_array().unwrap();
    let mut samples: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (t, v) in times.iter().zip(values) {
        samples.entry(t.as_i64().unwrap()).or_default().push(v.as_f64().unwrap());
    }
    for values in samples.values_mut() {
        values.sort_by(f64::total_cmp);
    }
    samples
}

fn sample_count(series: &[Value]) -> usize {
    series.iter().map(|s| s["values"].as_array().unwrap().len()).sum()
}

/// The hourly consumption Xanh's own derivation gives for a meter on 02/11/2026.
async fn derived_hours(app: &TestApp, resource: &str, meter: &str) -> BTreeMap<i64, f64> {
    let body =
        app.consumption(&format!("resource={resource}&meter={meter}&from=2026-11-02&to=2026-11-03&step=hour")).await;
    body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (ms(b["start"].as_str().unwrap()), b["value"].as_f64().unwrap()))
        .collect()
}

/// The hours whose amount as Xanh derived it (0 when it has none) was never written, as
/// (hour, written, derived). VictoriaMetrics keeps 12 significant digits.
fn differences(written: &BTreeMap<i64, Vec<f64>>, derived: &BTreeMap<i64, f64>) -> Vec<(i64, Vec<f64>, f64)> {
    let hours: BTreeSet<i64> = written.keys().chain(derived.keys()).copied().collect();
    hours
        .into_iter()
        .map(|hour| (hour, written.get(&hour).cloned().unwrap_or_default(), derived.get(&hour).copied().unwrap_or(0.0)))
        .filter(|(_, w, d)| {
            !(w.iter().any(|w| (w - d).abs() <= 1e-9 * d.abs().max(1.0)) || (w.is_empty() && *d == 0.0))
        })
        .collect()
}

/// Every hour must have been written with the amount Xanh derived, and some carry use.
fn assert_same_hours(meter: &str, written: &BTreeMap<i64, Vec<f64>>, derived: &BTreeMap<i64, f64>) {
    assert!(written.values().flatten().any(|v| *v > 0.0), "{meter}: no consumption was written: {written:?}");
    assert_eq!(differences(written, derived), vec![], "{meter}: (hour, in InfluxDB, derived by Xanh)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_and_hourly_consumption_arrive_as_points_and_follow_a_correction() {
    let vm = VictoriaMetrics::start();
    let app = spawn(&vm, 300).await;
    let messages = [
        ("xanh/dien-a/reading", reading(100.0, "07:00")),
        ("xanh/dien-a/reading", reading(103.0, "08:30")),
        ("xanh/dien-a/reading", reading(110.0, "09:30")),
        ("xanh/dien-tong/reading", reading(1000.0, "07:00")),
        ("xanh/dien-tong/reading", reading(1010.0, "09:00")),
        ("xanh/nuoc-a-lit/reading", reading(5000.0, "07:00")),
        ("xanh/nuoc-a-lit/reading", reading(5600.0, "08:00")),
    ];
    publish(&app.mqtt, &messages).await;
    app.wait_processed(7).await;
    drained(&app).await;
    let health = app.health().await;
    assert_eq!(health["store"]["backend"], "influxdb");
    assert!(health["store"]["outbox"]["last_written_at"].is_string(), "{health}");
    assert_eq!(health["status"], "ok", "{health}");

    // Readings: tags, canonical values (litres became m³) and millisecond times.
    let readings = export_until(&vm, r#"{__name__="reading_value"}"#, |s| sample_count(s) == 7).await;
    let dien_a = of_meter(&readings, "dien-a").unwrap();
    assert_eq!(
        dien_a["metric"],
        json!({"__name__": "reading_value", "office": "vp-thu", "meter": "dien-a", "resource": "electricity", "department": "phong-a", "parent": "dien-tong"})
    );
    assert_eq!(
        by_time(dien_a),
        BTreeMap::from([(at("07:00"), vec![100.0]), (at("08:30"), vec![103.0]), (at("09:30"), vec![110.0])])
    );
    let tong = of_meter(&readings, "dien-tong").unwrap();
    assert!(tong["metric"].get("department").is_none(), "a building meter has no department: {tong}");
    assert!(tong["metric"].get("parent").is_none(), "the main meter has no parent: {tong}");
    assert_eq!(by_time(tong), BTreeMap::from([(at("07:00"), vec![1000.0]), (at("09:00"), vec![1010.0])]));
    let water = of_meter(&readings, "nuoc-a-lit").unwrap();
    assert_eq!(
        (water["metric"]["resource"].as_str(), water["metric"]["department"].as_str()),
        (Some("water"), Some("phong-a"))
    );
    assert_eq!(by_time(water), BTreeMap::from([(at("07:00"), vec![5.0]), (at("08:00"), vec![5.6])]));

    // Consumption: the hours Xanh derived, hour by hour, at the start of each UTC hour.
    let meters = [("dien-a", "electricity"), ("dien-tong", "electricity"), ("nuoc-a-lit", "water")];
    let mut derived = BTreeMap::new();
    for (meter, resource) in meters {
        derived.insert(meter, derived_hours(&app, resource, meter).await);
    }
    let consumption = export_until(&vm, r#"{__name__="consumption_consumption"}"#, |s| {
        meters
            .iter()
            .all(|(m, _)| of_meter(s, m).is_some_and(|series| differences(&by_time(series), &derived[m]).is_empty()))
    })
    .await;
    assert_eq!(consumption.len(), 3);
    for (meter, _) in meters {
        let series = of_meter(&consumption, meter).unwrap();
        assert_eq!(series["metric"]["office"], "vp-thu");
        assert!(by_time(series).keys().all(|t| t % 3_600_000 == 0), "{series}");
        assert_same_hours(meter, &by_time(series), &derived[meter]);
    }
    let before = derived["dien-a"].clone();
    // VictoriaMetrics speaks no Flux: the figures above came from the journal, and health
    // counts each such read.
    assert!(outbox(&app).await["reads_from_journal"].as_u64().unwrap() >= 3, "{}", outbox(&app).await);

    // 08:30 was read wrong: 105, not 103. The reading point and the hours it feeds follow.
    let correction = json!({"meter": "dien-a", "ts": "2026-11-02T08:30:00+07:00", "value": 105, "reason": "đọc nhầm"});
    let response = app.http.post(app.url("/api/v1/corrections")).json(&correction).send().await.unwrap();
    assert_eq!(response.status(), 200);
    drained(&app).await;
    let derived = derived_hours(&app, "electricity", "dien-a").await;
    assert_ne!(before.get(&at("07:00")), derived.get(&at("07:00")), "the correction changed the 07:00 hour");
    let consumption = export_until(&vm, r#"{__name__="consumption_consumption",meter="dien-a"}"#, |s| {
        s.len() == 1 && differences(&by_time(&s[0]), &derived).is_empty()
    })
    .await;
    assert_same_hours("dien-a", &by_time(&consumption[0]), &derived);
    let readings = export_until(&vm, r#"{__name__="reading_value",meter="dien-a"}"#, |s| sample_count(s) == 4).await;
    assert_eq!(
        by_time(&readings[0]).get(&at("08:30")),
        Some(&vec![103.0, 105.0]),
        "the corrected value was written too"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_influxdb_is_down_readings_are_kept_shown_waiting_and_sent_in_order_later() {
    let mut vm = VictoriaMetrics::not_started();
    let alert_s = 2;
    let app = spawn(&vm, alert_s).await;
    publish(
        &app.mqtt,
        &[("xanh/dien-a/reading", reading(100.0, "07:00")), ("xanh/dien-a/reading", reading(103.0, "08:30"))],
    )
    .await;
    app.wait_processed(2).await;
    // Acknowledged and stored, though InfluxDB is down.
    let (_, stored) = app.get("/api/v1/readings?meter=dien-a").await;
    assert_eq!(stored["readings"].as_array().unwrap().len(), 2, "{stored}");
    let correction = json!({"meter": "dien-a", "ts": "2026-11-02T08:30:00+07:00", "value": 104, "reason": "đọc nhầm"});
    assert_eq!(app.http.post(app.url("/api/v1/corrections")).json(&correction).send().await.unwrap().status(), 200);

    // Two readings, then the corrected reading; the two hours wait once, with the amounts
    // they have after the correction.
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let outbox = outbox(&app).await;
        if outbox["pending"] == 5 {
            break outbox;
        }
        assert!(outbox["pending"].as_u64().unwrap() < 5 && Instant::now() < deadline, "5 points should wait: {outbox}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if waiting["oldest_pending_age_s"].as_u64().unwrap() < alert_s {
        let response = app.anonymous.get(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(response.status(), 200, "a fresh backlog is no failure");
    }
    // Once the oldest point has waited longer than outbox_alert_s, the service is degraded.
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let response = app.anonymous.get(app.url("/api/v1/health")).send().await.unwrap();
        let status = response.status().as_u16();
        let health: Value = response.json().await.unwrap();
        if status == 503 {
            break health;
        }
        assert!(Instant::now() < deadline, "never degraded: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let outbox_now = &health["store"]["outbox"];
    assert_eq!(
        (health["status"].as_str(), health["store"]["ok"].as_bool()),
        (Some("degraded"), Some(true)),
        "{health}"
    );
    assert_eq!((outbox_now["pending"].as_u64(), outbox_now["overdue"].as_bool()), (Some(5), Some(true)), "{health}");
    assert!(outbox_now["oldest_pending_age_s"].as_u64().unwrap() >= alert_s, "{health}");
    assert!(outbox_now["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{health}");
    assert_eq!(outbox_now["influxdb_reachable"], false, "{health}");
    assert!(outbox_now["last_written_at"].is_null(), "{health}");

    // The dashboard says so, in Vietnamese and in English.
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (status, page) = session.get("/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Đang chờ ghi 5 điểm vào InfluxDB (cũ nhất ") && page.contains(" trước)"),
        "no banner on the overview"
    );
    let (_, page) = session.get("/?lang=en").await;
    assert!(page.contains("Waiting to write 5 points to InfluxDB (oldest "), "no English banner");

    // InfluxDB is back: everything is written, in the order it was committed; the reading
    // corrected while it waited goes as the journal holds it when sent (for its write and for
    // the correction), so InfluxDB never has the wrong value.
    vm.resume();
    drained(&app).await;
    let readings = export_until(&vm, r#"{__name__="reading_value"}"#, |s| sample_count(s) == 3).await;
    let series = of_meter(&readings, "dien-a").unwrap();
    assert_eq!(
        by_time(series),
        BTreeMap::from([(at("07:00"), vec![100.0]), (at("08:30"), vec![104.0, 104.0])]),
        "{series}"
    );
    let consumption = export_until(&vm, r#"{__name__="consumption_consumption"}"#, |s| sample_count(s) == 2).await;
    assert_eq!(sample_count(&readings) + sample_count(&consumption), 5, "every point waiting was written");
    assert_same_hours("dien-a", &by_time(&consumption[0]), &derived_hours(&app, "electricity", "dien-a").await);

    let health = app.health().await;
    assert_eq!(health["status"], "ok", "{health}");
    assert!(
        health["store"]["outbox"]["last_error"].is_null() && health["store"]["outbox"]["last_written_at"].is_string(),
        "{health}"
    );
    let (_, page) = session.get("/").await;
    assert!(!page.contains("Đang chờ ghi"), "the banner is gone once nothing waits");
    app.stop().await;
}
