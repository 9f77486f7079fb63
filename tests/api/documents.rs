//! Electronic documents: counts entered per department and month (API and page), the share
//! issued electronically, and the months not entered.

use serde_json::{Value, json};

use crate::common::{ADMIN, PASSWORD, TestApp, approx, spawn_app};

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url("/api/v1/documents")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_give_the_electronic_share_and_the_missing_months() {
    let app = spawn_app().await;
    let entry = |month: &str, electronic: Value, paper: Value| json!({"department": "phong-a", "month": month, "electronic": electronic, "paper": paper});
    assert_eq!(post(&app, entry("2025-10", json!(90), json!(10))).await.0, 200);
    // The Vietnamese month and a count as text; then November entered again, replacing it.
    assert_eq!(post(&app, entry("11/2025", json!("1.000"), json!(0))).await.0, 200);
    let (status, stored) = post(&app, entry("2025-11", json!(95), json!(5))).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["month"], "2025-11");

    let (status, q4) = app.get("/api/v1/documents?period=2025-Q4").await;
    assert_eq!(status, 200, "{q4}");
    // Phòng A: (90 + 95) electronic of (100 + 100) = 92,5 %; December not entered.
    let a = &q4["departments"][0];
    assert_eq!(a["department"], "phong-a");
    assert_eq!((a["electronic"].as_u64(), a["paper"].as_u64()), (Some(185), Some(15)));
    approx(&a["share_percent"], 92.5);
    assert_eq!(a["missing_months"], json!(["2025-12"]));
    let b = &q4["departments"][1];
    assert!(b["share_percent"].is_null());
    assert_eq!(b["missing_months"], json!(["2025-10", "2025-11", "2025-12"]));
    approx(&q4["office"]["share_percent"], 92.5);

    // The page shows the same share, the Vietnamese way.
    let (_, page) = app.sign_in(ADMIN, PASSWORD).await.unwrap().get("/documents?period=2025-Q4").await;
    assert!(page.contains(r#"data-figure="share">92,5 %"#), "{page}");
    assert!(page.contains("12/2025"), "December is listed as not entered");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_counts_are_refused_with_what_to_send() {
    let app = spawn_app().await;
    let base = json!({"department": "phong-a", "month": "2025-10", "electronic": 1, "paper": 1});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("department", json!("phong-z")), "phong-a"),
        (with("month", json!("2025-13")), "2026-11"),
        (with("month", json!("2099-01")), "has not begun"),
        (with("electronic", json!(-3)), "whole number"),
        (with("paper", json!(2.5)), "whole number"),
        (with("paper", json!("nhiều")), "whole number"),
        (json!({"department": "phong-a"}), "\"electronic\": 120"),
    ];
    for (body, hint) in cases {
        let (status, answer) = post(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (status, answer) = app.get("/api/v1/documents").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("period=2026"));

    // The page's form says what went wrong and stores nothing; a right one is stored.
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let page = session
        .submit(
            "/documents",
            "/documents",
            &[("department", "phong-a"), ("month", "10/2025"), ("electronic", "12"), ("paper", "x")],
        )
        .await;
    assert!(page.contains(r#"data-result="error""#), "{page}");
    // …in the page's language.
    assert!(page.contains("Số văn bản giấy “x” không phải số văn bản: hãy nhập số nguyên, từ 0 trở lên."), "{page}");
    let page = session
        .submit(
            "/documents?lang=en",
            "/documents?lang=en",
            &[("department", "phong-a"), ("month", "13/2025"), ("electronic", "12"), ("paper", "3")],
        )
        .await;
    assert!(!page.contains("không phải") && page.contains(r#"data-result="error""#), "{page}");
    let (_, shares) = app.get("/api/v1/documents?period=2025-10").await;
    assert!(shares["office"]["share_percent"].is_null(), "{shares}");
    let page = session
        .submit(
            "/documents",
            "/documents",
            &[("department", "phong-b"), ("month", "10/2025"), ("electronic", "1.200"), ("paper", "300")],
        )
        .await;
    assert!(page.contains(r#"data-result="ok""#), "{page}");
    // 1 200 of 1 500 documents: 80 %.
    let (_, shares) = app.get("/api/v1/documents?period=2025-10").await;
    approx(&shares["departments"][1]["share_percent"], 80.0);
    app.stop().await;
}
