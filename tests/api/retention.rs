//! Retention (`store.keep_raw_readings_days`): old raw readings are thinned on a real SQLite
//! file to the first and last of each hour, and every figure stays what it was: consumption by
//! hour, day and month, progress over the year, departments and scores. A late reading or a
//! small correction in the thinned span afterwards counts as it would have in the whole one.

use std::path::Path;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;
use xanh::config::Config;
use xanh::domain::{Correction, Incoming, Origin, Reading, Source};
use xanh::store::{SqliteStore, Store, StoreReads};

use crate::common::{TestApp, config_text, embedded_mqtt, spawn_app_from};

const MINUTES: i64 = 4 * 24 * 60;

fn local(text: &str) -> Timestamp {
    let civil: jiff::civil::DateTime = text.parse().unwrap();
    civil.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).unwrap().timestamp()
}

fn reading(meter: &str, ts: Timestamp, value: f64) -> Incoming {
    let origin = Origin {
        source: Source::Api,
        received_at: Timestamp::now(),
        topic: None,
        payload: b"{}".to_vec(),
        sender: None,
    };
    Incoming::Reading(
        Reading {
            meter: meter.parse().unwrap(),
            ts,
            ts_assumed: false,
            value,
            period_start: None,
            source: Source::Api,
            entered_by: None,
            cost_vnd: None,
        },
        origin,
    )
}

/// Four days of one-minute readings from 1/11/2026: use that changes with the hour of the
/// day, a device restart that sends 0 once, a reset, and a water register that wraps.
fn four_days() -> Vec<Incoming> {
    let start = local("2026-11-01T00:00");
    let (mut total, mut electricity, mut water) = (1000.0, 500.0, 9990.0);
    let mut batch = Vec::new();
    for minute in 0..MINUTES {
        let ts = start + jiff::SignedDuration::from_mins(minute);
        let hour = (minute / 60) % 24;
        let rate = if (8..17).contains(&hour) { 0.08 + 0.001 * (minute % 7) as f64 } else { 0.01 };
        electricity += rate;
        total += 2.5 * rate;
        water += 0.004 + 0.0001 * (minute % 5) as f64;
        if water >= 10000.0 {
            water -= 10000.0;
        }
        // 2/11 10:17: a restart sends 0 for a moment; 3/11 14:30: the meter is replaced.
        let shown = if minute == 24 * 60 + 10 * 60 + 17 { 0.0 } else { electricity };
        if minute == 2 * 24 * 60 + 14 * 60 + 30 {
            electricity = 0.5;
        }
        batch.push(reading("dien-a", ts, shown));
        batch.push(reading("dien-tong", ts, total));
        batch.push(reading("nuoc-tong", ts, water));
    }
    batch
}

fn config(store: &Path, retention: bool) -> String {
    let text = config_text(&embedded_mqtt(), store);
    if retention { format!("{text}keep_raw_readings_days = 7\n") } else { text }
}

async fn open(store: &Path) -> SqliteStore {
    let config = Config::parse("test.toml", &config(store, false), &|_| None).unwrap();
    SqliteStore::open(store, &config.office.timezone, &config.office.timezone_name, &config.meters).unwrap()
}

/// Every figure a user reads, as JSON or HTML.
const FIGURES: &[&str] = &[
    "/api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-11-05&step=hour",
    "/api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-11-05&step=day",
    "/api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-12-01&step=month",
    "/api/v1/consumption?resource=electricity&meter=dien-a&from=2026-11-01&to=2026-11-05&step=hour",
    "/api/v1/consumption?resource=water&from=2026-11-01&to=2026-11-05&step=hour",
    "/api/v1/consumption?resource=water&from=2026-11-01&to=2026-11-05&step=day",
    "/api/v1/progress?resource=electricity&period=2026-11",
    "/api/v1/progress?resource=water&period=2026",
    "/api/v1/departments?resource=electricity&period=2026-11",
    "/api/v1/scores?period=2026-11",
    "/api/v1/waste?resource=electricity&from=2026-11-01&to=2026-11-05",
    "/scores?period=2026-11",
];

async fn figures(app: &TestApp) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for path in FIGURES {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        seen.push((path.to_string(), response.text().await.unwrap()));
    }
    seen
}

/// How many raw readings of `meter` the store has between two local times.
async fn stored_between(app: &TestApp, meter: &str, from: &str, to: &str) -> usize {
    let range = |t: &str| local(t).to_string();
    let path = format!("/api/v1/readings?meter={meter}&from={}&to={}&limit=1000", range(from), range(to));
    let (status, body) = app.get(&path).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().or_else(|| body["readings"].as_array()).unwrap_or_else(|| panic!("{body}")).len()
}

/// Two JSON answers alike but for floating-point rounding in the last digits.
fn alike(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| alike(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| alike(v, w)))
        }
        _ => a == b,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinning_old_readings_keeps_every_figure_and_later_changes_count_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (thinned, whole) = (dir.path().join("thinned.db"), dir.path().join("whole.db"));
    {
        let store = open(&thinned).await;
        let report = store.write(four_days()).await.unwrap();
        assert_eq!(report.stored as i64, 3 * MINUTES, "every reading stored: {report:?}");
    }
    std::fs::copy(&thinned, &whole).unwrap();

    let app_dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&config(&thinned, false), app_dir).await;
    let before = figures(&app).await;
    assert_eq!(stored_between(&app, "dien-a", "2026-11-02T09:00", "2026-11-02T10:00").await, 60);
    let app_dir = app.dir_and_stop().await;

    // The service with retention thins the readings, which are a month old, when it starts.
    let app = spawn_app_from(&config(&thinned, true), app_dir).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored_between(&app, "dien-a", "2026-11-04T22:00", "2026-11-04T23:00").await != 2 {
        assert!(Instant::now() < deadline, "retention did not thin the readings");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A steady hour keeps its first and last readings; the hours of the restart and the
    // replacement keep them all.
    assert_eq!(stored_between(&app, "dien-a", "2026-11-02T09:00", "2026-11-02T10:00").await, 2);
    assert_eq!(stored_between(&app, "dien-a", "2026-11-02T10:00", "2026-11-02T11:00").await, 60);
    assert_eq!(stored_between(&app, "dien-a", "2026-11-03T14:00", "2026-11-03T15:00").await, 60);
    assert_eq!(app.meter("dien-a").await["readings"], 94 * 2 + 2 * 60, "the count of stored readings follows");
    assert_eq!(figures(&app).await, before, "a figure changed when old readings were thinned");
    app.stop().await;
    let size = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM readings", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    assert!(size(&thinned) * 10 < size(&whole), "{} readings left of {}", size(&thinned), size(&whole));

    // The same late reading and correction in the thinned span, on both stores: the late
    // reading lies between the whole store's neighbours, the correction within one minute's use.
    let value_at = async |store: &SqliteStore, at: &str| {
        let at = local(at).as_millisecond();
        store.readings("dien-a".parse().unwrap(), at, at + 1, 1).await.unwrap()[0].value
    };
    let late_value = {
        let store = open(&whole).await;
        (value_at(&store, "2026-11-02T09:30").await + value_at(&store, "2026-11-02T09:31").await) / 2.0
    };
    for path in [&thinned, &whole] {
        let store = open(path).await;
        let report = store.write(vec![reading("dien-a", local("2026-11-02T09:30:30"), late_value)]).await.unwrap();
        assert_eq!(report.stored, 1, "{report:?}");
        let old = value_at(&store, "2026-11-02T11:00").await;
        let at = local("2026-11-02T11:00");
        let fix = Correction::new("dien-a".parse().unwrap(), at, Some(old + 0.01), "kiem.tra", "đọc lại sổ").unwrap();
        store.correct(fix, None).await.unwrap().expect("the reading at 11:00 was kept");
    }
    let (mut seen, mut apps) = (Vec::new(), Vec::new());
    for path in [&thinned, &whole] {
        let app = spawn_app_from(&config(path, false), tempfile::tempdir().unwrap()).await;
        let mut answers = Vec::new();
        for (path, _) in figures(&app).await.into_iter().filter(|(p, _)| p.starts_with("/api")) {
            let (_, body) = app.get(&path).await;
            answers.push((path, body));
        }
        seen.push(answers);
        apps.push(app);
    }
    for ((path, thinned), (_, whole)) in seen[0].iter().zip(&seen[1]) {
        assert!(alike(thinned, whole), "{path} differs after a late reading and a correction:\n{thinned}\n{whole}");
    }
    for app in apps {
        app.stop().await;
    }
}
