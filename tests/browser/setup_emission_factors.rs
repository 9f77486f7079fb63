//! Issue 18: HC-QT enters the water emission factor on its admin page, on a phone, through the
//! real form; the CO2e on the scores page and in the API follows at once.

use super::setup::{choose, fits_a_phone, submit};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_water_factor_set_in_the_browser_changes_the_co2e_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // Phòng A's water: 100 m³ in 2025 (its meter counts litres).
    let rows = json!([
        {"meter": "nuoc-a-lit", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 100000, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let co2e = "section[data-resource=water] tr[data-department=phong-a] td[data-figure=co2e]";
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    // No water factor is shipped.
    browser.open(&app, "/scores?period=2025").await;
    assert_eq!(text(&browser, co2e).await, "—");

    browser.open(&app, "/admin/emission-factors").await;
    choose(&browser, "form.factor select[name=unit]", "water:kgCO2e/m3").await;
    browser.script("document.querySelector('form.factor input[name=year]').value = ''", json!([])).await;
    browser.type_into("form.factor input[name=year]", "2025").await;
    browser.type_into("form.factor input[name=value]", "0,344").await;
    submit(&browser, "form.factor button[type=submit]", "/admin/emission-factors?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu hệ số nước 0,3440 kgCO2e/m3 từ năm 2025.");
    fits_a_phone(&browser, "/admin/emission-factors").await;
    browser.screenshot("setup-emission-factors-phone.png").await;

    // 100 m³ × 0,344 kg = 34,4 kg, on the page and in the API.
    browser.open(&app, "/scores?period=2025").await;
    assert_eq!(text(&browser, co2e).await, "34,4");
    let progress: serde_json::Value = app
        .http
        .get(app.url("/api/v1/progress?resource=water&department=phong-a&period=2025"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    common::approx(&progress["co2e"]["actual_kg"], 34.4);

    // Paper without the weight of a ream is refused, in Vietnamese.
    browser.open(&app, "/admin/emission-factors").await;
    choose(&browser, "form.factor select[name=unit]", "paper:kgCO2e/kg").await;
    browser.type_into("form.factor input[name=value]", "0,9").await;
    submit(&browser, "form.factor button[type=submit]", "/admin/emission-factors?lang=vi&error=").await;
    let refusal = text(&browser, "[data-result=error]").await;
    assert!(refusal.starts_with("Chưa lưu: Giấy cần khối lượng một ram"), "{refusal}");
    browser.quit().await;
    app.stop().await;
}
