//! The saving plan over HTTP: progress against baselines and targets, and what a wrong
//! request is told.

mod common;

use common::{approx, spawn_app, TestApp};
use serde_json::json;

/// Phòng A's counter: 0 at the start of 2025, 3 650 kWh at the start of 2026, 4 460 on
/// 01/04/2026: 3 650 kWh in 2025, 810 in Q1 2026.
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "dien-a", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 4460, "ts": "2026-04-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_compares_a_quarter_with_its_baseline_target_and_last_year() {
    let app = spawn_app().await;
    seed(&app).await;
    let (status, p) = app.get("/api/v1/progress?resource=electricity&department=phong-a&period=2026-Q1").await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["finished"], true);
    approx(&p["actual"], 810.0);
    approx(&p["last_year"]["total"], 900.0);
    // Electricity baselines follow working days by default: 2025 had 261 (Monday to Friday),
    // Q1 2026 has 64, so the baseline is 3 650 × 64 / 261 ≈ 895,02 kWh and the −2 % target
    // 877,12.
    assert_eq!(p["baseline"]["basis"], "per_working_day");
    assert_eq!(p["baseline"]["source"], "computed");
    let baseline = 3650.0 * 64.0 / 261.0;
    approx(&p["baseline"]["amount"], baseline);
    approx(&p["target"]["amount"], baseline * 0.98);
    approx(&p["saving_percent"], (baseline - 810.0) / baseline * 100.0);
    assert_eq!(p["status"], "dat");
    // 10 people and 100 m² in Phòng A.
    approx(&p["per_person"], 81.0);
    approx(&p["per_m2"], 8.1);
    approx(&p["co2e"]["actual_kg"], 810.0 * 0.6592);
    assert_eq!(p["co2e"]["factor"]["unit"], "tCO2/MWh");
    approx(&p["cost"]["actual_vnd"], 810.0 * 2226.0);
    assert_eq!(p["cost"]["tariffs"][0]["from"], "2025-05-10");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_progress_requests_say_what_to_send() {
    let app = spawn_app().await;
    let cases = [
        ("resource=electricity", "`period` is missing"),
        ("resource=electricity&period=2026-Q5", "2026-Q3"),
        ("resource=electricity&period=Q3/2026", "gd1"),
        ("period=2026", "`resource` is missing"),
        ("resource=gas&period=2026", "electricity, water or paper"),
        ("resource=water&period=2026&department=phong-z", "phong-a"),
    ];
    for (query, hint) in cases {
        let (status, body) = app.get(&format!("/api/v1/progress?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"].as_str().unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(message.contains(hint), "{query}: `{message}` should mention `{hint}`");
    }
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/progress"]["get"].is_object());
    app.stop().await;
}
