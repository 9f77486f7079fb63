//! Issue 18: HC-QT enters the office's own day off on the calendar's admin page, on a phone,
//! through the real form; the year's working days and the working-day baseline follow at
//! once, a weekend day "off" is refused in Vietnamese, the day is taken off again, and next
//! year is marked official.

use super::setup::{choose, fits_a_phone, submit};
use super::*;

async fn q1_baseline(app: &TestApp) -> f64 {
    let url = app.url("/api/v1/progress?resource=electricity&department=phong-a&period=2026-Q1");
    let progress: serde_json::Value = app.http.get(url).send().await.unwrap().json().await.unwrap();
    progress["baseline"]["amount"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_off_set_in_the_browser_changes_the_working_days_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // Phòng A's electricity: 3 650 kWh in 2025, the baseline of Q1 2026 by working days.
    let rows = json!([
        {"meter": "dien-a", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 4460, "ts": "2026-04-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    common::approx(&json!(q1_baseline(&app).await), 3650.0 * 58.0 / 250.0);

    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/calendar?year=2026").await;
    assert_eq!(text(&browser, "[data-figure=working-days]").await, "250");
    assert_eq!(text(&browser, "[data-figure=status]").await, "chính thức");
    assert_eq!(text(&browser, "tr[data-date=\"2026-01-10\"] td").await, "10/01/2026", "the shipped làm bù day");

    browser.type_into("form.add-day input[name=date]", "05/01/2026").await;
    choose(&browser, "form.add-day select[name=kind]", "off").await;
    browser.type_into("form.add-day input[name=reason]", "Nghỉ riêng của đơn vị").await;
    submit(&browser, "form.add-day button[type=submit]", "/admin/calendar?lang=vi&year=2026&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã thêm ngày nghỉ 05/01/2026.");
    assert_eq!(text(&browser, "[data-figure=working-days]").await, "249");
    assert_eq!(text(&browser, "tr[data-date=\"2026-01-05\"] td:nth-child(2)").await, "Thứ Hai");
    fits_a_phone(&browser, "/admin/calendar").await;
    browser.screenshot("setup-calendar-phone.png").await;
    // Q1 2026 now has 57 working days.
    common::approx(&json!(q1_baseline(&app).await), 3650.0 * 57.0 / 250.0);

    // Saturday 17/01/2026 "off" is refused, saying why, and nothing is kept.
    browser.type_into("form.add-day input[name=date]", "17/01/2026").await;
    submit(&browser, "form.add-day button[type=submit]", "/admin/calendar?lang=vi&year=2026&error=").await;
    let refusal = text(&browser, "[data-result=error]").await;
    assert!(refusal.starts_with("Chưa lưu: Ngày 17/01/2026 vốn là ngày nghỉ cuối tuần"), "{refusal}");
    assert_eq!(text(&browser, "[data-figure=working-days]").await, "249");

    // Taken off again.
    submit(&browser, "tr[data-date=\"2026-01-05\"] form.remove button", "/admin/calendar?lang=vi&year=2026&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã bỏ ngày 05/01/2026");
    assert_eq!(text(&browser, "[data-figure=working-days]").await, "250");

    // The audit log says what changed, in words.
    browser.open(&app, "/admin/audit").await;
    let action = "li[data-action=\"calendar.change\"] .action";
    assert_eq!(text(&browser, action).await, "Sửa lịch làm việc");
    let working = "li[data-action=\"calendar.change\"] li[data-field=working_days] .field";
    assert_eq!(text(&browser, working).await, "Số ngày làm việc:");

    // Next year, announced.
    browser.open(&app, "/admin/calendar?year=2027").await;
    assert_eq!(text(&browser, "[data-figure=status]").await, "tạm tính, chưa có thông báo chính thức");
    choose(&browser, "form.year-status select[name=status]", "official").await;
    browser.script("document.querySelector('form.year-status input[name=source]').value = ''", json!([])).await;
    browser.type_into("form.year-status input[name=source]", "Thông báo lịch nghỉ năm 2027").await;
    submit(&browser, "form.year-status button[type=submit]", "/admin/calendar?lang=vi&year=2027&ok=").await;
    assert_eq!(text(&browser, "[data-figure=status]").await, "chính thức");
    assert_eq!(text(&browser, "[data-figure=source]").await, "Thông báo lịch nghỉ năm 2027");
    browser.quit().await;
    app.stop().await;
}
