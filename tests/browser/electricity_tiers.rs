//! Issue 18, item 1: HC-QT copies time-of-use electricity prices from the bill into the real
//! form on a phone, hour windows as rows; Phòng A's cost on the scores page and in the API
//! follows at once, each kWh at its window's price. A wrong form is refused in Vietnamese.

use super::setup::{choose, fits_a_phone, submit};
use super::*;

/// Mon–Sat: off-peak 22:00–04:00, normal 04:00–09:30, peak 09:30–11:30, normal 11:30–17:00,
/// peak 17:00–20:00, normal 20:00–22:00; Sunday: off-peak 22:00–04:00, normal 04:00–22:00.
const WINDOWS: &[(&str, &str, &str, &str)] = &[
    ("mon_sat", "22:00", "04:00", "off_peak"),
    ("mon_sat", "04:00", "09:30", "normal"),
    ("mon_sat", "09:30", "11:30", "peak"),
    ("mon_sat", "11:30", "17:00", "normal"),
    ("mon_sat", "17:00", "20:00", "peak"),
    ("mon_sat", "20:00", "22:00", "normal"),
    ("sun", "22:00", "04:00", "off_peak"),
    ("sun", "04:00", "22:00", "normal"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_of_use_prices_entered_in_the_form_price_each_window_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // Phòng A on Monday 03/11/2025: 47 kWh, 8 off-peak, 10 + 2 normal, 2 + 3 + 1 peak…
    let at = |hour: u8, value: f64| {
        let ts = if hour == 24 {
            "2025-11-04T00:00:00+07:00".to_owned()
        } else {
            format!("2025-11-03T{hour:02}:00:00+07:00")
        };
        json!({"meter": "dien-a", "value": value, "ts": ts})
    };
    let rows = json!([
        at(0, 0.0),
        at(4, 8.0),
        at(9, 18.0),
        at(10, 22.0),
        at(11, 25.0),
        at(17, 37.0),
        at(20, 43.0),
        at(24, 47.0)
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cost = "section[data-resource=electricity] tr[data-department=phong-a] td[data-figure=cost]";
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    // The shipped one price: 47 kWh × 2 226 đồng.
    browser.open(&app, "/scores?period=2025-11").await;
    assert_eq!(text(&browser, cost).await, "104.622");

    // Blocks whose bounds do not increase are refused, in Vietnamese, and nothing is kept.
    browser.open(&app, "/admin/tariffs").await;
    fits_a_phone(&browser, "/admin/tariffs").await;
    choose(&browser, "form.tiers select[name=kind]", "blocks").await;
    for (row, (up_to, price)) in [("100", "1.000"), ("50", "1.500"), ("", "2.000")].into_iter().enumerate() {
        if !up_to.is_empty() {
            browser.type_into(&format!("form.tiers div.block[data-row='{row}'] input[name=b_up_to]"), up_to).await;
        }
        browser.type_into(&format!("form.tiers div.block[data-row='{row}'] input[name=b_price]"), price).await;
    }
    submit(&browser, "form.tiers button[type=submit]", "/admin/tariffs?lang=vi&error=").await;
    assert_eq!(
        text(&browser, "[data-result=error]").await,
        "Chưa lưu: Giới hạn của bậc 2 không lớn hơn bậc trước: giới hạn các bậc phải tăng dần"
    );

    // The bill's prices and hours, row by row.
    choose(&browser, "form.tiers select[name=kind]", "time_of_use").await;
    browser.script("document.querySelector('form.tiers input[name=from]').value = ''", json!([])).await;
    browser.type_into("form.tiers input[name=from]", "01/11/2025").await;
    for (name, price) in [("normal_vnd", "2.000"), ("peak_vnd", "3.000"), ("off_peak_vnd", "1.000")] {
        browser.type_into(&format!("form.tiers input[name={name}]"), price).await;
    }
    for (row, (days, from, to, band)) in WINDOWS.iter().enumerate() {
        let row = format!("form.tiers div.window[data-row='{row}']");
        choose(&browser, &format!("{row} select[name=w_days]"), days).await;
        browser.type_into(&format!("{row} input[name=w_from]"), from).await;
        browser.type_into(&format!("{row} input[name=w_to]"), to).await;
        choose(&browser, &format!("{row} select[name=w_band]"), band).await;
    }
    browser.type_into("form.tiers input[name=note]", "Giá kinh doanh theo giờ, hóa đơn tháng 11/2025").await;
    browser.screenshot("setup-electricity-tiers-phone.png").await;
    submit(&browser, "form.tiers button[type=submit]", "/admin/tariffs?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu giá điện theo giờ từ 01/11/2025.");

    // 8 × 1 000 + 10 × 2 000 + (2 × 2 000 + 2 × 3 000) + 3 × 3 000 + (1 × 3 000 + 1 × 2 000)
    // + 10 × 2 000 + 6 × 3 000 + 2 × 2 000 + 2 × 1 000 = 96 000 đồng.
    browser.open(&app, "/scores?period=2025-11").await;
    assert_eq!(text(&browser, cost).await, "96.000");
    let progress: serde_json::Value = app
        .http
        .get(app.url("/api/v1/progress?resource=electricity&department=phong-a&period=2025-11"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    common::approx(&progress["cost"]["actual_vnd"], 96_000.0);
    browser.quit().await;
    app.stop().await;
}
