//! Issue 18: HC-QT adds a department on the departments' admin page through the real form,
//! gives it a headcount and a meter, and sees it at once on /departments and /scores, without
//! a restart; a wrong id is refused in Vietnamese with nothing added.

use super::setup::{choose, fits_a_phone, submit};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_added_in_the_browser_shows_at_once_on_the_departments_and_scores_pages() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/departments").await;
    fits_a_phone(&browser, "/admin/departments").await;

    // A wrong id first: refused in Vietnamese, nothing added.
    let form = "form.add-department";
    let fill = |id: &'static str| {
        let browser = &browser;
        async move {
            browser.type_into(&format!("{form} input[name=id]"), id).await;
            browser.type_into(&format!("{form} input[name=name]"), "Phòng Lưu trữ").await;
            browser.type_into(&format!("{form} input[name=name_en]"), "Archives").await;
            browser.type_into(&format!("{form} input[name=headcount]"), "4").await;
            browser.type_into(&format!("{form} input[name=area_m2]"), "80,5").await;
        }
    };
    fill("Phòng Lưu Trữ").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/departments?lang=vi&error=").await;
    let error = text(&browser, "[data-result=error]").await;
    assert!(error.starts_with("Chưa lưu: Mã `Phòng Lưu Trữ` không dùng được"), "{error}");

    fill("phong-luu-tru").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/departments?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã thêm Phòng Lưu trữ (phong-luu-tru).");
    let row = "tr[data-department=phong-luu-tru]";
    assert_eq!(text(&browser, &format!("{row} td[data-figure=name]")).await, "Phòng Lưu trữ");
    assert_eq!(text(&browser, &format!("{row} td[data-figure=area]")).await, "80,5");

    // Its headcount from the staffing form, which offers it at once.
    choose(&browser, "form.staffing select[name=department]", "phong-luu-tru").await;
    browser.script("document.querySelector('form.staffing input[name=from]').value = '2025-01-01'", json!([])).await;
    browser.type_into("form.staffing input[name=headcount]", "6").await;
    submit(&browser, "form.staffing button[type=submit]", "/admin/departments?lang=vi&ok=").await;
    assert_eq!(text(&browser, &format!("{row} td[data-figure=headcount]")).await, "6");
    fits_a_phone(&browser, "/admin/departments").await;
    browser.screenshot("setup-department-added-phone.png").await;

    // Its meter from the meter form, which offers it at once.
    browser.open(&app, "/admin/meters").await;
    let form = "form.meter";
    browser.type_into(&format!("{form} input[name=id]"), "nuoc-luu-tru").await;
    browser.type_into(&format!("{form} input[name=name]"), "Đồng hồ nước Lưu trữ").await;
    choose(&browser, &format!("{form} select[name=resource]"), "water").await;
    choose(&browser, &format!("{form} select[name=department]"), "phong-luu-tru").await;
    choose(&browser, &format!("{form} select[name=unit]"), "m3").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/meters/nuoc-luu-tru?lang=vi&ok=").await;

    // 60 m³ of water in 2025 for its 6 people: 10 m³ each, on the departments page.
    let rows = json!([
        {"meter": "nuoc-luu-tru", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-luu-tru", "value": 60, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    browser.open(&app, "/departments?period=2025").await;
    let ranking = "article[data-kind=ranking][data-resource=water] tr[data-row=phong-luu-tru]";
    assert_eq!(text(&browser, &format!("{ranking} td[data-figure=per-person]")).await, "10,00");

    browser.open(&app, "/scores?period=2025").await;
    assert_eq!(text(&browser, "tr[data-department=phong-luu-tru] td").await, "Phòng Lưu trữ");
    fits_a_phone(&browser, "/scores").await;
    browser.screenshot("setup-department-scores-phone.png").await;

    // In English, its English name.
    browser.open(&app, "/admin/departments?lang=en").await;
    assert_eq!(text(&browser, &format!("{row} td[data-figure=name]")).await, "Archives");
    browser.quit().await;
    app.stop().await;
}
