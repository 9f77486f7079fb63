//! Figures are kept between requests (issue 19): a write through the service, a correction and
//! a write by another process (`xanh import` while the service runs) each show on the very
//! next request, and a write to one meter leaves the others' kept figures as they were.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::{self, TestApp, config_text, embedded_mqtt, spawn_app_from};

async fn post_json(app: &TestApp, path: &str, body: Value) -> Value {
    let response = app.http.post(app.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn days(body: &Value) -> Vec<f64> {
    body["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect()
}

const NOVEMBER_BY_DAY: &str = "resource=electricity&from=2026-11-01&to=2026-11-05&step=day";
const PHONG_A_BY_DAY: &str = "resource=electricity&department=phong-a&from=2026-11-01&to=2026-11-05&step=day";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_written_after_a_page_was_served_shows_on_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("office.toml");
    std::fs::write(&config, config_text(&embedded_mqtt(), &dir.path().join("xanh.db"))).unwrap();
    let app = spawn_app_from(&std::fs::read_to_string(&config).unwrap(), dir).await;
    let rows = json!([
        {"meter": "dien-tong", "value": 1000, "ts": "02/11/2026 00:00"},
        {"meter": "dien-tong", "value": 1024, "ts": "03/11/2026 00:00"},
        {"meter": "dien-a", "value": 50, "ts": "02/11/2026 00:00"},
        {"meter": "dien-a", "value": 62, "ts": "03/11/2026 00:00"},
    ]);
    post_json(&app, "/api/v1/readings", rows).await;
    let progress = "/api/v1/progress?resource=electricity&period=2026-11";
    let actual = |body: Value| body["actual"].as_f64().unwrap();
    // Each asked twice: the second answer is the kept one.
    for _ in 0..2 {
        assert_eq!(days(&app.consumption(NOVEMBER_BY_DAY).await), vec![0.0, 24.0, 0.0, 0.0]);
        assert_eq!(days(&app.consumption(PHONG_A_BY_DAY).await), vec![0.0, 12.0, 0.0, 0.0]);
        assert_eq!(actual(app.get(progress).await.1), 24.0);
    }
    let (status, page) = app.get("/departments").await;
    assert_eq!(status, 200, "{page}");

    // A reading through the API, after those requests: the next ones show it.
    post_json(&app, "/api/v1/readings", json!([{"meter": "dien-tong", "value": 1060, "ts": "04/11/2026 00:00"}])).await;
    assert_eq!(days(&app.consumption(NOVEMBER_BY_DAY).await), vec![0.0, 24.0, 36.0, 0.0]);
    assert_eq!(actual(app.get(progress).await.1), 60.0);
    // Phòng A's meter was not written: its kept days are still right.
    assert_eq!(days(&app.consumption(PHONG_A_BY_DAY).await), vec![0.0, 12.0, 0.0, 0.0]);

    // A correction of a reading the kept figures were read from.
    let correction = json!({"meter": "dien-tong", "ts": "03/11/2026 00:00", "value": 1030, "reason": "đọc nhầm"});
    post_json(&app, "/api/v1/corrections", correction).await;
    assert_eq!(days(&app.consumption(NOVEMBER_BY_DAY).await), vec![0.0, 30.0, 30.0, 0.0]);

    // Another process writes to the same store while the service runs.
    let csv = app.dir.path().join("late.csv");
    std::fs::write(&csv, "meter,ts,value\ndien-a,04/11/2026 00:00,70\n").unwrap();
    let output = Command::new(common::binary())
        .args(["import", "--entered-by", "HC-QT", "--config"])
        .arg(&config)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let after_import = days(&app.consumption(PHONG_A_BY_DAY).await);
    assert!(
        after_import.iter().zip([0.0, 12.0, 8.0, 0.0]).all(|(got, want)| (got - want).abs() < 1e-9),
        "{after_import:?}"
    );
    app.stop().await;
}
