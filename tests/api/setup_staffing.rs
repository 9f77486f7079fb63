//! Headcount and floor area over time, changed over the API (issue 18): the figures per
//! person and per m² follow at once, each change is audited with the value it replaced.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, send, spawn_app};
use xanh::domain::Role;

/// Phòng A's water: 100 m³ in 2025 (its meter counts litres).
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "nuoc-a-lit", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 100000, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let (status, body) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{body}");
}

async fn phong_a(app: &TestApp) -> Value {
    let (status, table) = app.get("/api/v1/departments?resource=water&period=2025").await;
    assert_eq!(status, 200, "{table}");
    table["departments"].as_array().unwrap().iter().find(|d| d["department"] == "phong-a").cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headcount_changed_over_the_api_changes_the_figures_per_person_at_once() {
    let app = spawn_app().await;
    seed(&app).await;
    // The config's 10 people and 100 m².
    let before = phong_a(&app).await;
    approx(&before["per_person"], 10.0);
    approx(&before["per_m2"], 1.0);

    // 20 people from the start of 2025; from 01/07/2025 also 200 m² (half of 2025 at 100 m²,
    // half at 200: 150 m² on average over the year's 365 days, 181 before and 184 after).
    let change = json!({"from": "2025-01-01", "headcount": 20});
    let (status, kept) = send(app.http.post(app.url("/api/v1/departments/phong-a/staffing")).json(&change)).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!((kept["headcount"].as_u64(), kept["from"].as_str()), (Some(20), Some("2025-01-01")));
    let change = json!({"from": "01/07/2025", "area_m2": "200"});
    let (status, kept) = send(app.http.post(app.url("/api/v1/departments/phong-a/staffing")).json(&change)).await;
    assert_eq!(status, 200, "{kept}");
    let after = phong_a(&app).await;
    approx(&after["per_person"], 5.0);
    let area = (181.0 * 100.0 + 184.0 * 200.0) / 365.0;
    approx(&after["per_m2"], 100.0 / area);

    // The audit log says what was in force before.
    let (_, audit) = app.get("/api/v1/audit").await;
    let lines: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|l| l["action"] == "staffing.change").collect();
    assert_eq!(lines.len(), 2, "{audit}");
    let first = lines.iter().find(|l| l["target"] == "phong-a from 2025-01-01").unwrap();
    assert_eq!((first["before"]["headcount"].as_f64(), first["after"]["headcount"].as_u64()), (Some(10.0), Some(20)));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_changes_staffing_and_a_wrong_change_says_what_to_send() {
    let app = spawn_app().await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let change = json!({"from": "2025-01-01", "headcount": 20});
    let (status, _) = send(client.post(app.url("/api/v1/departments/phong-a/staffing")).json(&change)).await;
    assert_eq!(status, 403);
    let cases = [
        ("phong-a", json!({"from": "2025-01-01"}), 400, "headcount, the area_m2, or both"),
        ("phong-a", json!({"from": "2025-13-01", "headcount": 3}), 400, "2026-11-15"),
        ("phong-a", json!({"from": "2025-01-01", "headcount": 2.5}), 400, "whole number"),
        ("phong-a", json!({"from": "2025-01-01", "area_m2": "nhiều"}), 400, "1.234,5"),
        ("phong-z", json!({"from": "2025-01-01", "headcount": 3}), 404, "phong-z"),
    ];
    for (department, body, expected, hint) in cases {
        let url = app.url(&format!("/api/v1/departments/{department}/staffing"));
        let (status, answer) = send(app.http.post(url).json(&body)).await;
        assert_eq!(status, expected, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    app.stop().await;
}
