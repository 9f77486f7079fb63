//! Each department's progress is kept between requests (issue 19, item 5): a reading of one
//! department's meter shows in that department's figures on the very next request, of the
//! API and of the departments' page, and the other department's figures stay as they were.

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app};

fn close(figure: &Value, expected: f64) -> bool {
    figure.as_f64().is_some_and(|v| (v - expected).abs() < 1e-6)
}

async fn post_readings(app: &TestApp, rows: Value) {
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
}

async fn progress(app: &TestApp, department: &str) -> Value {
    let (status, body) =
        app.get(&format!("/api/v1/progress?resource=electricity&department={department}&period=2026")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The electricity ranking's cell `figure` of a department's row on the departments' page
/// for 2026 (the page's first table).
async fn ranking_cell(app: &TestApp, department: &str, figure: &str) -> String {
    let page = app.http.get(app.url("/departments?period=2026")).send().await.unwrap().text().await.unwrap();
    let row = page.find(&format!("data-row=\"{department}\"")).unwrap_or_else(|| panic!("no row {department}"));
    let cell = &page[row..];
    let start = cell.find(&format!("data-figure=\"{figure}\">")).unwrap() + figure.len() + 15;
    cell[start..start + cell[start..].find('<').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_of_one_department_changes_its_figures_on_the_next_request_and_not_the_others() {
    let app = spawn_app().await;
    // 2025 is the baseline year: Phòng A used 3 650 kWh, Phòng B 1 825 kWh (its meter counts
    // Wh); by 01/06/2026 Phòng A has used 1 350 kWh of 2026 and Phòng B 675.
    post_readings(
        &app,
        json!([
            {"meter": "dien-a", "value": 0, "ts": "01/01/2025 00:00"},
            {"meter": "dien-a", "value": 3650, "ts": "01/01/2026 00:00"},
            {"meter": "dien-a", "value": 5000, "ts": "01/06/2026 00:00"},
            {"meter": "dien-b-wh", "value": 0, "ts": "01/01/2025 00:00"},
            {"meter": "dien-b-wh", "value": 1_825_000, "ts": "01/01/2026 00:00"},
            {"meter": "dien-b-wh", "value": 2_500_000, "ts": "01/06/2026 00:00"},
        ]),
    )
    .await;
    // Each asked twice: the second answers are the kept ones.
    let mut before = Vec::new();
    for _ in 0..2 {
        before = vec![
            progress(&app, "phong-a").await,
            progress(&app, "phong-b").await,
            json!(ranking_cell(&app, "phong-a", "total").await),
            json!(ranking_cell(&app, "phong-b", "total").await),
            json!(ranking_cell(&app, "phong-a", "vs-baseline").await),
            json!(ranking_cell(&app, "phong-b", "vs-baseline").await),
        ];
    }
    assert!(close(&before[0]["actual"], 1350.0), "{}", before[0]);
    assert!(close(&before[1]["actual"], 675.0), "{}", before[1]);
    assert_eq!(before[2], "1.350");
    assert_eq!(before[3], "675,0");

    // Phòng A's meter sends a reading: 500 kWh more by 01/07/2026.
    post_readings(&app, json!([{"meter": "dien-a", "value": 5500, "ts": "01/07/2026 00:00"}])).await;
    let a = progress(&app, "phong-a").await;
    assert!(close(&a["actual"], 1850.0), "{a}");
    assert_ne!(a["saving_percent"], before[0]["saving_percent"]);
    assert_eq!(ranking_cell(&app, "phong-a", "total").await, "1.850");
    assert_ne!(json!(ranking_cell(&app, "phong-a", "vs-baseline").await), before[4]);
    // Phòng B's figures are those it had.
    assert_eq!(progress(&app, "phong-b").await, before[1]);
    assert_eq!(json!(ranking_cell(&app, "phong-b", "total").await), before[3]);
    assert_eq!(json!(ranking_cell(&app, "phong-b", "vs-baseline").await), before[5]);
    app.stop().await;
}
