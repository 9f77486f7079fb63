//! A meter added over the API shows everywhere at once (issue 18): in the figures, on the
//! dashboard's meters page, in the departments' table and the scores, with no restart; a
//! retired meter's history stays in the figures.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use serde_json::{Value, json};

use crate::common::{TestApp, binary, config_text, embedded_mqtt, publish, send, spawn_app, spawn_app_from};

fn water_meter_of_phong_b() -> Value {
    json!({
        "id": "nuoc-b",
        "name": "Đồng hồ nước Phòng B",
        "resource": "water",
        "department": "phong-b",
        "kind": "counter",
        "unit": "m3",
        "topic": "xanh/nuoc-b/reading"
    })
}

/// The start of the local hour `hours` before this one: whole hours, so that figures "to the
/// current hour" (the scores) count both readings.
fn hours_ago(hours: i64) -> Zoned {
    let now = Timestamp::now().to_zoned(TimeZone::get("Asia/Ho_Chi_Minh").unwrap());
    let this_hour = now.with().minute(0).second(0).subsec_nanosecond(0).build().unwrap();
    this_hour - SignedDuration::from_hours(hours)
}

fn reading(value: f64, at: &Zoned) -> String {
    json!({"value": value, "ts": at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()}).to_string()
}

/// The water of Phòng B (or the office's) from the day of `at` to today, as
/// `/api/v1/consumption` answers it.
async fn water(app: &TestApp, department: Option<&str>, at: &Zoned) -> f64 {
    let (from, to) = (at.date(), hours_ago(0).date().tomorrow().unwrap());
    let of = department.map(|d| format!("&department={d}")).unwrap_or_default();
    let path = format!("/api/v1/consumption?resource=water{of}&from={from}&to={to}&step=day");
    let (status, series) = app.get(&path).await;
    assert_eq!(status, 200, "{series}");
    series["total"].as_f64().unwrap_or_else(|| panic!("no total: {series}"))
}

async fn department_row(app: &TestApp, period: &str, id: &str) -> Value {
    let (status, table) = app.get(&format!("/api/v1/departments?resource=water&period={period}")).await;
    assert_eq!(status, 200, "{table}");
    let rows = table["departments"].as_array().unwrap_or_else(|| panic!("no departments: {table}"));
    rows.iter().find(|r| r["department"] == id).cloned().unwrap_or_else(|| panic!("no {id}: {table}"))
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_added_over_the_api_shows_in_every_figure_at_once_and_its_history_stays_when_retired() {
    let app = spawn_app().await;
    let (first, second) = (hours_ago(2), hours_ago(1));
    let period = first.year().to_string();

    // Asked before the meter exists, so that a kept answer would be there to go stale.
    assert_eq!(water(&app, Some("phong-b"), &first).await, 0.0);
    assert_eq!(water(&app, None, &first).await, 0.0);
    let before = department_row(&app, &period, "phong-b").await;
    assert!(before["total"].is_null(), "Phòng B has no water meter yet: {before}");
    assert!(!page(&app, "/meters").await.contains("Đồng hồ nước Phòng B"));

    let (status, added) = send(app.http.post(app.url("/api/v1/meters")).json(&water_meter_of_phong_b())).await;
    assert_eq!(status, 201, "{added}");
    let topic = "xanh/nuoc-b/reading";
    publish(&app.mqtt, &[(topic, reading(10.0, &first)), (topic, reading(13.0, &second))]).await;
    for _ in 0..100 {
        if app.meter("nuoc-b").await["readings"].as_u64() == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.meter("nuoc-b").await["readings"], 2);

    // No restart: the figures, the departments' table, the scores and the meters page have it.
    assert_eq!(water(&app, Some("phong-b"), &first).await, 3.0);
    assert_eq!(water(&app, None, &first).await, 3.0, "the office's water counts the new meter");
    let row = department_row(&app, &period, "phong-b").await;
    assert_eq!(row["total"].as_f64(), Some(3.0), "{row}");
    let (status, scores) = app.get(&format!("/api/v1/scores?period={period}")).await;
    assert_eq!(status, 200, "{scores}");
    let phong_b = scores["departments"].as_array().unwrap().iter().find(|d| d["department"] == "phong-b").unwrap();
    let scored = phong_b["resources"].as_array().unwrap().iter().find(|r| r["resource"] == "water");
    let scored = scored.unwrap_or_else(|| panic!("no water for Phòng B: {phong_b}"));
    assert_eq!(scored["actual"].as_f64(), Some(3.0), "{scored}");
    let meters = page(&app, "/meters").await;
    assert!(meters.contains("Đồng hồ nước Phòng B") && meters.contains("13"), "{meters}");

    // Retired from today: refused from now on, but what it measured stays in the figures.
    let retire = json!({"from": first.date().to_string()});
    let (status, retired) = send(app.http.post(app.url("/api/v1/meters/nuoc-b/retire")).json(&retire)).await;
    assert_eq!(status, 200, "{retired}");
    assert_eq!(water(&app, Some("phong-b"), &first).await, 3.0);
    let row = department_row(&app, &period, "phong-b").await;
    assert_eq!(row["total"].as_f64(), Some(3.0), "{row}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xanh_export_scores_a_meter_added_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    let (status, added) = send(app.http.post(app.url("/api/v1/meters")).json(&water_meter_of_phong_b())).await;
    assert_eq!(status, 201, "{added}");
    let rows = json!([
        {"meter": "nuoc-b", "value": 10, "ts": "2026-11-02T08:00:00+07:00"},
        {"meter": "nuoc-b", "value": 13, "ts": "2026-11-02T10:00:00+07:00"},
    ]);
    let (_, report) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(report["stored"], 2, "{report}");
    let dir = app.dir_and_stop().await;

    // The file still lists no water meter for Phòng B: the export scores the store's.
    let out = dir.path().join("diem.csv");
    let output = std::process::Command::new(binary())
        .args(["--config", file.to_str().unwrap(), "export", "--period", "2026-11", "--format", "csv", "--out"])
        .arg(&out)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    let row = csv.lines().find(|l| l.starts_with("2026-11,phong-b,Phòng B,Nước,"));
    let row: Vec<&str> = row.unwrap_or_else(|| panic!("no water row for Phòng B: {csv}")).split(',').collect();
    assert_ne!(row[14], "chưa có công tơ riêng", "{row:?}");
    assert_eq!(row[8].parse::<f64>().ok(), Some(3.0), "Phòng B's water, as the added meter measured it: {row:?}");
}
