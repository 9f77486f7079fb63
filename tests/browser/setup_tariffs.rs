//! Issue 18: HC-QT enters the water price on the prices' admin page, on a phone, through the
//! real form; the cost on the scores page and in the API follows at once.

use super::setup::{choose, fits_a_phone, submit};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_water_price_set_in_the_browser_changes_the_cost_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // Phòng A's water: 100 m³ in 2025 (its meter counts litres).
    let rows = json!([
        {"meter": "nuoc-a-lit", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 100000, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cost = "section[data-resource=water] tr[data-department=phong-a] td[data-figure=cost]";
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    // The shipped tariffs price electricity only.
    browser.open(&app, "/scores?period=2025").await;
    assert_eq!(text(&browser, cost).await, "—");

    browser.open(&app, "/admin/tariffs").await;
    assert_eq!(text(&browser, "tr[data-resource=water] td[data-figure=price]").await, "—");
    choose(&browser, "form.tariff select[name=unit]", "water:m3").await;
    browser.script("document.querySelector('form.tariff input[name=from]').value = '2025-01-01'", json!([])).await;
    browser.type_into("form.tariff input[name=price_vnd]", "12.500").await;
    browser.type_into("form.tariff input[name=note]", "Giá nước sạch 2025").await;
    submit(&browser, "form.tariff button[type=submit]", "/admin/tariffs?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu giá nước 12.500 đồng/m³ từ 01/01/2025.");
    assert_eq!(text(&browser, "tr[data-resource=water] td[data-figure=price]").await, "12.500");
    fits_a_phone(&browser, "/admin/tariffs").await;
    browser.screenshot("setup-tariffs-phone.png").await;

    // 100 m³ × 12 500 đồng = 1 250 000 đồng, on the page and in the API.
    browser.open(&app, "/scores?period=2025").await;
    assert_eq!(text(&browser, cost).await, "1.250.000");
    let progress: serde_json::Value = app
        .http
        .get(app.url("/api/v1/progress?resource=water&department=phong-a&period=2025"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    common::approx(&progress["cost"]["actual_vnd"], 1_250_000.0);

    // A wrong price is refused with the reason, in Vietnamese, and nothing is kept.
    browser.open(&app, "/admin/tariffs").await;
    browser.type_into("form.tariff input[name=price_vnd]", "mười nghìn").await;
    submit(&browser, "form.tariff button[type=submit]", "/admin/tariffs?lang=vi&error=").await;
    let refusal = text(&browser, "[data-result=error]").await;
    assert!(refusal.starts_with("Chưa lưu: Giá phải là một số tiền"), "{refusal}");
    assert_eq!(text(&browser, "tr[data-resource=water] td[data-figure=price]").await, "12.500");
    browser.quit().await;
    app.stop().await;
}
