//! Paperless meetings (issue 20): entered per department and month like the e-document
//! counts, their share, trend against the period before and target worked out by hand, on
//! the documents page, the council's page and in the CSV beside the documents.

use serde_json::{Value, json};

use crate::common::{ADMIN, PASSWORD, TestApp, approx, config_text, embedded_mqtt, spawn_app_from};

async fn post(app: &TestApp, department: &str, month: &str, held: Value, paperless: Value) -> (u16, Value) {
    let body = json!({"department": department, "month": month, "held": held, "paperless": paperless});
    let response = app.http.post(app.url("/api/v1/meetings")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The test office with a target of 80 % of meetings paperless.
async fn office_aiming_at_80_percent() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + "\n[meetings]\ntarget_percent = 80\n";
    spawn_app_from(&text, dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meetings_give_the_paperless_share_its_trend_and_the_target() {
    let app = office_aiming_at_80_percent().await;
    // Phòng A: 4 of 10 paperless in June; in the third quarter 5 of 10, 6 of 8 and 9 of 12.
    for (month, held, paperless) in [("2025-06", 10, 4), ("07/2025", 10, 5), ("2025-08", 8, 6), ("2025-09", 12, 9)] {
        let (status, stored) = post(&app, "phong-a", month, json!(held), json!(paperless)).await;
        assert_eq!(status, 200, "{stored}");
    }
    // Phòng B: 4 of 4 in July, then nothing entered; counts as text the Vietnamese way.
    assert_eq!(post(&app, "phong-b", "2025-07", json!("4"), json!("4")).await.0, 200);

    let (status, q3) = app.get("/api/v1/meetings?period=2025-Q3").await;
    assert_eq!(status, 200, "{q3}");
    let a = &q3["departments"][0];
    // 20 of 30 paperless = 66,7 %; the quarter before 4 of 10 = 40 %: up 26,7 points; short
    // of the 80 % target.
    assert_eq!((a["held"].as_u64(), a["paperless"].as_u64()), (Some(30), Some(20)));
    approx(&a["share_percent"], 20.0 / 30.0 * 100.0);
    approx(&a["previous_share_percent"], 40.0);
    approx(&a["trend_points"], 20.0 / 30.0 * 100.0 - 40.0);
    approx(&a["target_percent"], 80.0);
    assert_eq!(a["reached"], false);
    assert_eq!(a["missing_months"], json!([]));
    let b = &q3["departments"][1];
    approx(&b["share_percent"], 100.0);
    assert!(b["trend_points"].is_null(), "nothing before to compare with: {b}");
    assert_eq!(b["reached"], true);
    assert_eq!(b["missing_months"], json!(["2025-08", "2025-09"]));
    // The office: 24 of 34.
    approx(&q3["office"]["share_percent"], 24.0 / 34.0 * 100.0);

    // Entering a month again replaces it.
    assert_eq!(post(&app, "phong-a", "2025-09", json!(12), json!(12)).await.0, 200);
    let (_, q3) = app.get("/api/v1/meetings?period=2025-Q3").await;
    approx(&q3["departments"][0]["share_percent"], 23.0 / 30.0 * 100.0);

    // The documents page shows them, the council's page and the CSV beside the documents.
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (_, page) = session.get("/documents?period=2025-Q3").await;
    assert!(page.contains("Họp không giấy"), "{page}");
    assert!(page.contains(r#"data-figure="share">76,7 %"#), "23 of 30: {page}");
    assert!(page.contains(r#"data-figure="trend">+36,7 điểm %"#), "{page}");
    let (_, scores) = session.get("/scores?period=2025-Q3").await;
    assert!(scores.contains(r#"section data-criterion="meetings""#), "{scores}");
    let csv = app
        .http
        .get(app.url("/api/v1/export/scores.csv?period=2025-Q3&format=csv-vi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row: Vec<&str> = csv
        .lines()
        .map(|l| l.split(';').collect::<Vec<_>>())
        .find(|r| r.get(1) == Some(&"phong-a") && r.get(3) == Some(&"Họp không giấy"))
        .unwrap_or_else(|| panic!("no meetings row: {csv}"));
    assert_eq!((row[7], row[8]), ("80,0", "76,7"));
    assert!(row[14].starts_with("xu hướng +36,7 điểm %"), "{row:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_meeting_counts_are_refused_with_what_to_send() {
    let app = office_aiming_at_80_percent().await;
    for (department, month, held, paperless, hint) in [
        ("phong-a", "2025-07", json!(4), json!(5), "không thể vượt tổng số"),
        ("phong-a", "2025-07", json!(-1), json!(0), "số nguyên"),
        ("phong-a", "2099-01", json!(1), json!(1), "has not begun"),
        ("phong-z", "2025-07", json!(1), json!(1), "phong-a"),
    ] {
        let (status, answer) = post(&app, department, month, held, paperless).await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(hint), "`{message}` should mention `{hint}`");
    }
    let (_, q3) = app.get("/api/v1/meetings?period=2025-Q3").await;
    assert_eq!(q3["office"]["held"], 0, "nothing was stored");
    app.stop().await;
}
