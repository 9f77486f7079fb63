//! The audit log page (issue 18): actions in words (Vietnamese, English on request), each
//! change field by field instead of raw JSON, a filter by person, action and days driven
//! through its form, pages of 50 lines, and no line wider than a phone.

use super::*;
use common::browser::PHONE;
use common::{send, spawn_app};
use xanh::domain::Role;

/// A reading of `meter` on 2 November 2026 at `hour`:`minute`, as the API takes it.
fn api_reading(meter: &str, value: f64, hour: u32, minute: u32) -> Value {
    json!({ "meter": meter, "value": value, "ts": format!("2026-11-02T{hour:02}:{minute:02}:00+07:00") })
}

/// The audit lines the page shows: their action code and their text.
async fn lines(browser: &Browser) -> Vec<(String, String)> {
    let found = browser
        .script(
            "return Array.from(document.querySelectorAll('li.audit-item')).map(l => [l.dataset.action, l.innerText])",
            json!([]),
        )
        .await;
    serde_json::from_value(found).unwrap()
}

/// Fill in the filter form as a person would (`fields`: name and value) and send it; waits
/// for the page it leads to.
async fn filter(browser: &Browser, fields: Value) {
    let before = browser.script("return location.href", json!([])).await;
    let script = "const form = document.querySelector('main.audit form.controls');
        for (const [name, value] of Object.entries(arguments[0])) form.elements[name].value = value;
        form.querySelector('button[type=submit]').click();";
    browser.script(script, json!([fields])).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.script("return document.readyState === 'complete' && location.href", json!([])).await == json!(false)
        || browser.script("return location.href", json!([])).await == before
    {
        assert!(std::time::Instant::now() < deadline, "the filter form did not lead anywhere");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn page_width(browser: &Browser) -> u64 {
    browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_reads_in_words_filters_and_pages_on_a_phone() {
    let app = spawn_app().await;
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (lan_client, _) = app.token_client(&lan, Role::Reporter, None).await;
    // A long submission (its 20 readings once made the page 8 000 px wide), a correction,
    // then 54 single readings from the admin's script: 56 lines, more than a page.
    let many: Vec<Value> = (0..20).map(|h| api_reading("dien-a", 100.0 + f64::from(h), h, 0)).collect();
    assert_eq!(send(lan_client.post(app.url("/api/v1/readings")).json(&many)).await.0, 200);
    let correction =
        json!({"meter": "dien-a", "ts": "2026-11-02T01:00:00+07:00", "value": 100.5, "reason": "đọc lại công tơ"});
    assert_eq!(send(lan_client.post(app.url("/api/v1/corrections")).json(&correction)).await.0, 200);
    for i in 0..54 {
        let one = json!([api_reading("dien-tong", 1000.0 + f64::from(i), 0, i)]);
        assert_eq!(send(app.http.post(app.url("/api/v1/readings")).json(&one)).await.0, 200);
    }
    let (_, all) = app.get("/api/v1/audit?limit=1000").await;
    let total = all["items"].as_array().unwrap().len();
    assert!(total > 50, "{all}");

    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/audit").await;
    let shown = lines(&browser).await;
    assert_eq!(shown.len(), 50, "a page holds 50 lines");
    assert!(page_width(&browser).await <= u64::from(PHONE.width), "the audit log fits a phone");
    let raw_json = shown.iter().find(|(_, text)| text.contains("{\"") || text.contains("\":"));
    assert!(raw_json.is_none(), "a line shows raw JSON: {raw_json:?}");
    browser.screenshot("audit-log-phone-vi.png").await;

    // The next page holds the rest, none twice.
    let older = browser.script("return document.querySelector('nav.pages a[rel=next]').href", json!([])).await;
    browser.open(&app, older.as_str().unwrap().trim_start_matches(&app.url(""))).await;
    let rest = lines(&browser).await;
    assert_eq!(shown.len() + rest.len(), total, "every line once over two pages");
    assert!(rest.iter().all(|line| !shown.contains(line)));

    // Filtered to the corrections through the form: the action in Vietnamese, the change in
    // words and numbers the Vietnamese way.
    browser.open(&app, "/admin/audit").await;
    filter(&browser, json!({ "action": "reading.correct" })).await;
    let corrections = lines(&browser).await;
    assert_eq!(corrections.len(), 1, "{corrections:?}");
    let line = &corrections[0].1;
    assert!(line.contains("Hiệu chỉnh số liệu"), "{line}");
    assert!(line.contains("Giá trị: 101 → 100,5"), "{line}");
    assert!(line.contains("Lý do: đọc lại công tơ"), "{line}");
    assert!(line.contains("lan/script"), "{line}");

    // By person: only lan's two lines, the submission's readings listed in words.
    filter(&browser, json!({ "action": "", "who": "lan/script" })).await;
    let lans = lines(&browser).await;
    let actions: Vec<&str> = lans.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["reading.correct", "readings.submit"]);
    assert!(lans[1].1.contains("Gửi số liệu qua API") && lans[1].1.contains("Đã lưu: 20"), "{}", lans[1].1);
    assert!(page_width(&browser).await <= u64::from(PHONE.width), "a long submission fits a phone");

    // By days: today has them all, tomorrow none, and a day that is not one says so.
    let day = today();
    let (today, tomorrow) =
        (day.strftime("%d/%m/%Y").to_string(), day.tomorrow().unwrap().strftime("%d/%m/%Y").to_string());
    filter(&browser, json!({ "who": "", "from": today, "to": today })).await;
    assert_eq!(lines(&browser).await.len(), 50);
    filter(&browser, json!({ "from": tomorrow, "to": "" })).await;
    assert!(lines(&browser).await.is_empty());
    assert_eq!(text(&browser, "p.empty").await, "Không có thao tác nào khớp bộ lọc.");
    filter(&browser, json!({ "from": "hôm qua" })).await;
    assert_eq!(
        text(&browser, "[data-result=error]").await,
        "Từ ngày: “hôm qua” không phải ngày, hãy viết như 28/11/2026."
    );

    // English on request.
    browser.open(&app, "/admin/audit?lang=en&action=reading.correct").await;
    let english = lines(&browser).await;
    assert!(english[0].1.contains("Reading corrected") && english[0].1.contains("Value: 101 → 100.5"), "{english:?}");
    browser.screenshot("audit-log-phone-en.png").await;
    browser.quit().await;
    app.stop().await;
}
