//! Data that must be trusted: a restarting device is not a reset, unlikely jumps wait for a
//! person, and that person's decision is kept.

mod common;

use common::{approx, config_text, embedded_mqtt, publish, reading, spawn_app_from, TestApp};
use serde_json::{json, Value};

const CAPPED_METER: &str = "\n[[meters]]\nid = \"dien-gioi-han\"\nname = \"Công tơ có giới hạn\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\nmax_rate = 20\n";

async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + CAPPED_METER;
    spawn_app_from(&text, dir).await
}

fn day(meter: &str) -> String {
    format!("resource=electricity&meter={meter}&from=2026-11-02&to=2026-11-03&step=day")
}

async fn review(app: &TestApp, id: &Value, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url(&format!("/api/v1/rejected/{id}/review"))).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_restarts_at_zero_is_not_counted_twice() {
    let app = app().await;
    let topic = "xanh/dien-a/reading";
    // 5 000 → 0 (the plug restarted) → 5 002: 2 kWh, not 5 002.
    publish(&app.mqtt, &[(topic, reading(5000.0, "00:00")), (topic, reading(0.0, "01:00")), (topic, reading(5002.0, "02:00"))]).await;
    app.wait_processed(3).await;
    approx(&app.consumption(&day("dien-a")).await["total"], 2.0);
    // The moment at zero is still stored, for the record.
    assert_eq!(app.meter("dien-a").await["readings"], 3);

    // A real reset goes on from near zero: 5 000 → 0 → 1 → 3 is 3 kWh.
    let topic = "xanh/dien-thang/reading";
    let sent = [(topic, reading(5000.0, "00:00")), (topic, reading(0.0, "01:00")), (topic, reading(1.0, "02:00")), (topic, reading(3.0, "03:00"))];
    publish(&app.mqtt, &sent).await;
    app.wait_processed(7).await;
    approx(&app.consumption(&day("dien-thang")).await["total"], 3.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_slip_is_held_until_a_reviewer_rejects_it() {
    let app = app().await;
    let topic = "xanh/dien-a/reading";
    let sent = [
        (topic, reading(1234.0, "08:00")),
        (topic, reading(1240.0, "09:00")),
        (topic, reading(12_400.0, "10:00")), // a digit too many: ×10
        (topic, reading(1246.0, "11:00")),
        (topic, reading(124.6, "12:00")), // a digit lost: not a reset
    ];
    publish(&app.mqtt, &sent).await;
    app.wait_processed(5).await;
    // Only the plausible steps count: 6 + 6.
    approx(&app.consumption(&day("dien-a")).await["total"], 12.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held: Vec<&Value> = rejected["items"].as_array().unwrap().iter().filter(|i| i["reason"] == "held_for_review").collect();
    assert_eq!(held.len(), 2, "{rejected}");
    assert!(held.iter().any(|i| i["detail"].as_str().unwrap().contains("×10")), "{rejected}");
    assert!(held.iter().any(|i| i["detail"].as_str().unwrap().contains("lost digit")), "{rejected}");
    let page = app.http.get(app.url("/rejected")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Tăng giảm bất thường, chờ xem xét") && page.contains("Chấp nhận"), "the page offers the review");

    let slip = held.iter().find(|i| i["detail"].as_str().unwrap().contains("×10")).unwrap();
    let (status, answer) = review(&app, &slip["id"], json!({"decision": "reject", "by": "Anh Hùng (HC-QT)", "reason": "nhân viên gõ thừa số 0"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], 0);
    approx(&app.consumption(&day("dien-a")).await["total"], 12.0);
    // Decided once: a second decision on it is refused.
    let (status, _) = review(&app, &slip["id"], json!({"decision": "accept", "by": "X", "reason": "thử lại lần nữa"})).await;
    assert_eq!(status, 404);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 1, "the rejected slip leaves the list of items waiting: {rejected}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_above_the_meter_maximum_counts_once_a_reviewer_accepts_it() {
    let app = app().await;
    let topic = "xanh/dien-gioi-han/reading";
    // A restart to zero and back is a glitch, not a jump of 100 kWh in an hour.
    publish(&app.mqtt, &[(topic, reading(100.0, "04:00")), (topic, reading(0.0, "05:00")), (topic, reading(101.0, "06:00"))]).await;
    app.wait_processed(3).await;
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 1.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0, "{rejected}");
    // max_rate is 20 kWh an hour; 101 → 190 in one hour is 89.
    publish(&app.mqtt, &[(topic, reading(101.0, "08:00")), (topic, reading(190.0, "09:00"))]).await;
    app.wait_processed(5).await;
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 1.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held = &rejected["items"][0];
    assert_eq!(held["reason"], "held_for_review");
    assert!(held["detail"].as_str().unwrap().contains("max_rate"), "{held}");

    let (status, answer) = review(&app, &held["id"], json!({"decision": "maybe", "by": "A", "reason": "không rõ lắm"})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = review(&app, &held["id"], json!({"decision": "accept", "by": "Chị Lan", "reason": ""})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = review(&app, &held["id"], json!({"decision": "accept", "by": "Chị Lan", "reason": "hội nghị cả ngày, điều hoà chạy hết công suất"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], 1);
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 90.0); // 1 + 89
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0);
    app.stop().await;
}
