//! Issue 18: HC-QT sets up the office's meters in the browser, on a phone, through the real
//! forms; a meter added there stores its next MQTT reading without a restart, and one retired
//! refuses later readings while its history stays.

use super::*;

/// Click a form's button and wait until the page it leads to, whose address starts with
/// `prefix`, has loaded (the old page is marked, so that its own address does not count).
pub(super) async fn submit(browser: &Browser, button: &str, prefix: &str) {
    browser.script("window.xanhOldPage = true", json!([])).await;
    browser.click(button).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let at = browser
            .script(
                "return (window.xanhOldPage || document.readyState !== 'complete') ? null : location.pathname + location.search",
                json!([]),
            )
            .await;
        if at.as_str().is_some_and(|p| p.starts_with(prefix)) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "never reached {prefix}: at {at}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub(super) async fn choose(browser: &Browser, select: &str, value: &str) {
    let chosen = browser
        .script(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; return s.value;",
            json!([select, value]),
        )
        .await;
    assert_eq!(chosen, value, "{select} has no option {value}");
}

pub(super) async fn fits_a_phone(browser: &Browser, page: &str) {
    let width = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
    assert!(width <= u64::from(PHONE.width), "{page} is {width} px wide on a phone");
}

async fn readings(app: &TestApp, meter: &str) -> u64 {
    let (_, meters) = app.get("/api/v1/meters").await;
    let found = meters.as_array().unwrap().iter().find(|m| m["id"] == meter).cloned();
    found.map(|m| m["readings"].as_u64().unwrap()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_qt_adds_changes_and_retires_a_meter_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/meters").await;
    fits_a_phone(&browser, "/admin/meters").await;

    // A wrong unit first: nothing is added, and the page says which key and how to fix it.
    let form = "form.meter";
    browser.type_into(&format!("{form} input[name=id]"), "dien-photo").await;
    browser.type_into(&format!("{form} input[name=name]"), "Máy photo tầng 2").await;
    choose(&browser, &format!("{form} select[name=resource]"), "electricity").await;
    choose(&browser, &format!("{form} select[name=department]"), "phong-a").await;
    choose(&browser, &format!("{form} select[name=unit]"), "m3").await;
    choose(&browser, &format!("{form} select[name=format]"), "tasmota").await;
    browser.type_into(&format!("{form} input[name=topic]"), "tele/may-photo/SENSOR").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/meters?lang=vi&error=").await;
    let error = text(&browser, "[data-result=error]").await;
    assert!(error.starts_with("Chưa lưu: Đơn vị thiết bị gửi:") && error.contains("kWh"), "{error}");
    assert_eq!(readings(&app, "dien-photo").await, 0);

    // Again, right, with a plausibility limit written the Vietnamese way.
    browser.type_into(&format!("{form} input[name=id]"), "dien-photo").await;
    browser.type_into(&format!("{form} input[name=name]"), "Máy photo tầng 2").await;
    choose(&browser, &format!("{form} select[name=department]"), "phong-a").await;
    choose(&browser, &format!("{form} select[name=unit]"), "kWh").await;
    choose(&browser, &format!("{form} select[name=format]"), "tasmota").await;
    browser.type_into(&format!("{form} input[name=topic]"), "tele/may-photo/SENSOR").await;
    browser.click(&format!("{form} details summary")).await;
    browser.type_into(&format!("{form} input[name=max_rate]"), "2,5").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/meters/dien-photo?lang=vi&ok=").await;
    assert_eq!(
        text(&browser, "[data-result=ok]").await,
        "Đã lưu công tơ dien-photo (Máy photo tầng 2); số liệu gửi tới được đọc theo thiết lập mới ngay."
    );
    let max_rate = browser.script("return document.querySelector('input[name=max_rate]').value", json!([])).await;
    assert_eq!(max_rate, "2,5");
    fits_a_phone(&browser, "/admin/meters/dien-photo").await;
    browser.screenshot("setup-meter-phone.png").await;

    // The device publishes on its topic: stored, without a restart.
    let local = |ago: i64| {
        let at = Timestamp::now().checked_sub(SignedDuration::from_secs(ago)).unwrap();
        at.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).strftime("%Y-%m-%dT%H:%M:%S").to_string()
    };
    let payload = format!(r#"{{"Time":"{}","ENERGY":{{"Total":812.4,"Today":0.3}}}}"#, local(60));
    publish(&app.mqtt, &[("tele/may-photo/SENSOR", payload)]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while readings(&app, "dien-photo").await < 1 {
        assert!(std::time::Instant::now() < deadline, "the new meter's reading was not stored");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Renamed on its page; then retired from today.
    browser.script("document.querySelector('form.meter input[name=name]').value = ''", json!([])).await;
    browser.type_into("form.meter input[name=name]", "Máy photo Phòng A").await;
    submit(&browser, "form.meter button[type=submit]", "/admin/meters/dien-photo?lang=vi&ok=").await;
    let day = today();
    let shown = format!("{:02}/{:02}/{}", day.day(), day.month(), day.year());
    submit(&browser, "form.retire button[value=retire]", "/admin/meters/dien-photo?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, format!("Thôi dùng từ {shown}"));
    assert_eq!(text(&browser, "p[data-state]").await, format!("Thôi dùng từ {shown}"));

    // Its history stays; its next reading is kept among the rejected, with the reason.
    let payload = format!(r#"{{"Time":"{}","ENERGY":{{"Total":813.0,"Today":0.4}}}}"#, local(0));
    publish(&app.mqtt, &[("tele/may-photo/SENSOR", payload)]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/api/v1/rejected").await.1["total"] != 1 {
        assert!(std::time::Instant::now() < deadline, "the retired meter's reading was not kept among the rejected");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/api/v1/rejected").await.1["items"][0]["reason"], "meter_retired");
    assert_eq!(readings(&app, "dien-photo").await, 1);
    browser.open(&app, "/admin/meters").await;
    assert_eq!(text(&browser, "tr[data-meter=dien-photo] td[data-state]").await, format!("Thôi dùng từ {shown}"));
    browser.screenshot("setup-meters-phone.png").await;

    // Every change is in the audit log, with what it was before.
    let (_, audit) = app.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|l| l["action"].as_str()).collect();
    for action in ["meters.add", "meters.change", "meters.retire"] {
        assert!(actions.contains(&action), "{action} is not in the audit log: {actions:?}");
    }
    let change = audit["items"].as_array().unwrap().iter().find(|l| l["action"] == "meters.change").unwrap();
    assert_eq!(
        (change["before"]["name"].as_str(), change["after"]["name"].as_str()),
        (Some("Máy photo tầng 2"), Some("Máy photo Phòng A"))
    );
    // And the audit log's page says them in words.
    browser.open(&app, "/admin/audit").await;
    let log = text(&browser, "main").await;
    for words in ["Thêm công tơ", "Sửa công tơ", "Ngừng sử dụng công tơ"] {
        assert!(log.contains(words), "the audit log does not say {words:?}: {log}");
    }
    browser.quit().await;
    app.stop().await;
}

/// Issue 18: HC-QT changes Phòng A's headcount on the departments' admin page, and the
/// departments page shows the water per person halve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headcount_changed_in_the_browser_changes_the_figures_per_person() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // Phòng A's water: 100 m³ in 2025, for its 10 people of the config.
    let rows = json!([
        {"meter": "nuoc-a-lit", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 100000, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    let per_person = "article[data-kind=ranking][data-resource=water] tr[data-row=phong-a] td[data-figure=per-person]";
    browser.open(&app, "/departments?period=2025").await;
    assert_eq!(text(&browser, per_person).await, "10,00");

    browser.open(&app, "/admin/departments").await;
    assert_eq!(text(&browser, "tr[data-department=phong-a] td[data-figure=headcount]").await, "10");
    choose(&browser, "form.staffing select[name=department]", "phong-a").await;
    browser.script("document.querySelector('form.staffing input[name=from]').value = '2025-01-01'", json!([])).await;
    browser.type_into("form.staffing input[name=headcount]", "20").await;
    submit(&browser, "form.staffing button[type=submit]", "/admin/departments?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu thay đổi của phong-a từ 01/01/2025.");
    assert_eq!(text(&browser, "tr[data-department=phong-a] td[data-figure=headcount]").await, "20");
    fits_a_phone(&browser, "/admin/departments").await;
    browser.screenshot("setup-departments-phone.png").await;

    browser.open(&app, "/departments?period=2025").await;
    assert_eq!(text(&browser, per_person).await, "5,00");
    browser.quit().await;
    app.stop().await;
}
