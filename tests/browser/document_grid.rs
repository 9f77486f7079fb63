//! Issue 18: the e-document counts of many departments and months entered as one grid on
//! /documents, on a phone, through the real form: prefilled with what is stored, a bad cell
//! named by department and month with nothing saved, every changed cell saved at once with
//! one audit line, empty cells left as they are.

use super::setup::{fits_a_phone, submit};
use super::*;

fn cell(kind: &str, department: &str, month: &str) -> String {
    format!("form.document-grid input[name=\"{kind}:{department}:{month}\"]")
}

async fn value(browser: &Browser, selector: &str) -> String {
    let found = browser.script("return document.querySelector(arguments[0]).value", json!([selector])).await;
    found.as_str().unwrap_or_else(|| panic!("no {selector}")).to_owned()
}

async fn set(browser: &Browser, selector: &str, text: &str) {
    browser.script("document.querySelector(arguments[0]).value = ''", json!([selector])).await;
    if !text.is_empty() {
        browser.type_into(selector, text).await;
    }
}

/// A department's (electronic, paper) counts of a month, as the API adds them up.
async fn counts(app: &TestApp, department: &str, month: &str) -> (u64, u64) {
    let (status, body) = app.get(&format!("/api/v1/documents?period={month}")).await;
    assert_eq!(status, 200, "{body}");
    let row = body["departments"].as_array().unwrap().iter().find(|d| d["department"] == department).cloned().unwrap();
    (row["electronic"].as_u64().unwrap(), row["paper"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_qt_enters_a_quarter_of_counts_for_every_department_as_one_grid() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let january = json!({"department": "phong-a", "month": "2025-01", "electronic": 90, "paper": 10});
    let response = app.http.post(app.url("/api/v1/documents")).json(&january).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/documents?grid=2025-Q1").await;
    fits_a_phone(&browser, "/documents?grid=2025-Q1").await;
    // Prefilled with what is stored; a month not entered is empty.
    assert_eq!(value(&browser, &cell("e", "phong-a", "2025-01")).await, "90");
    assert_eq!(value(&browser, &cell("p", "phong-a", "2025-01")).await, "10");
    assert_eq!(value(&browser, &cell("e", "phong-b", "2025-02")).await, "");
    browser.screenshot("documents-grid-phone.png").await;

    // One bad cell among good ones: named by department and month, and nothing is saved.
    set(&browser, &cell("e", "phong-a", "2025-03"), "5").await;
    set(&browser, &cell("p", "phong-a", "2025-03"), "1").await;
    set(&browser, &cell("e", "phong-b", "2025-02"), "12").await;
    set(&browser, &cell("p", "phong-b", "2025-02"), "nhiều").await;
    submit(&browser, "form.document-grid button[type=submit]", "/documents?lang=vi&grid=2025-Q1&error=").await;
    let error = text(&browser, "[data-result=error]").await;
    assert!(error.starts_with("Chưa lưu ô nào. Phòng B, tháng 02/2025:"), "{error}");
    assert!(!error.contains("Phòng A"), "{error}");
    assert_eq!(counts(&app, "phong-a", "2025-03").await, (0, 0));
    assert_eq!(counts(&app, "phong-b", "2025-02").await, (0, 0));

    // All right: the three changed cells saved at once, with one audit line.
    set(&browser, &cell("e", "phong-a", "2025-01"), "95").await;
    set(&browser, &cell("p", "phong-a", "2025-01"), "5").await;
    set(&browser, &cell("e", "phong-a", "2025-03"), "5").await;
    set(&browser, &cell("p", "phong-a", "2025-03"), "1").await;
    set(&browser, &cell("e", "phong-b", "2025-02"), "1.200").await;
    set(&browser, &cell("p", "phong-b", "2025-02"), "3").await;
    submit(&browser, "form.document-grid button[type=submit]", "/documents?lang=vi&grid=2025-Q1&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu 3 ô.");
    assert_eq!(counts(&app, "phong-a", "2025-01").await, (95, 5));
    assert_eq!(counts(&app, "phong-a", "2025-03").await, (5, 1));
    assert_eq!(counts(&app, "phong-b", "2025-02").await, (1200, 3));
    assert_eq!(value(&browser, &cell("e", "phong-b", "2025-02")).await, "1200");
    let (_, audit) = app.get("/api/v1/audit").await;
    let lines: Vec<&Value> = audit["items"].as_array().unwrap().iter().filter(|l| l["target"] == "3 ô").collect();
    assert_eq!(lines.len(), 1, "{audit}");
    assert_eq!(lines[0]["before"][0]["electronic"], 90, "{}", lines[0]);

    // Empty cells are left as they are: January emptied, nothing changes.
    set(&browser, &cell("e", "phong-a", "2025-01"), "").await;
    set(&browser, &cell("p", "phong-a", "2025-01"), "").await;
    submit(&browser, "form.document-grid button[type=submit]", "/documents?lang=vi&grid=2025-Q1&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Không có ô nào thay đổi.");
    assert_eq!(counts(&app, "phong-a", "2025-01").await, (95, 5));
    fits_a_phone(&browser, "/documents?grid=2025-Q1").await;
    browser.quit().await;
    app.stop().await;
}
