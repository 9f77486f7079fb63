//! Người nhận cảnh báo: an admin adds, changes and removes who is told of alerts with the
//! page's forms, in Vietnamese, and a mistake comes back as a message naming the field.

use super::*;

/// Fill the fields of the form matching `form` (inputs and selects by name) and press its
/// button with `button` (a CSS selector within the form); the last result shown goes first.
async fn submit(browser: &Browser, form: &str, fields: Value, button: &str) {
    browser
        .script(
            "document.querySelectorAll('[data-result]').forEach(e => e.remove());
             const form = document.querySelector(arguments[0]);
             for (const [name, value] of Object.entries(arguments[1])) form.elements[name].value = value;
             form.querySelector(arguments[2]).click();",
            json!([form, fields, button]),
        )
        .await;
}

/// Wait until the page after a form has loaded with its result, and give that result.
async fn result(browser: &Browser) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = browser
            .script("const e = document.querySelector('[data-result]'); return e && e.textContent.trim();", json!([]))
            .await;
        if let Some(text) = found.as_str() {
            return text.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no result shown: {}", browser.dom().await);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn kept(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/alerts/recipients").await.1["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_keeps_the_alert_recipients_on_their_page() {
    let dir = tempfile::tempdir().unwrap();
    let config = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"))
        + "\n[[alerts.recipients]]\nname = \"Chị Hoa, Chánh Văn phòng\"\nrole = \"hc_qt\"\nemail = \"hoa@ubnd-tinh.gov.vn\"\n";
    let app = spawn_app_from(&config, dir).await;
    let browser = Browser::start().await;
    browser.open(&app, "/alerts").await;
    browser.script("document.querySelector('nav a[href^=\"/admin/recipients\"]').click()", json!([])).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.script("return location.pathname", json!([])).await != "/admin/recipients" {
        assert!(std::time::Instant::now() < deadline, "the menu does not lead to the recipients page");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(text(&browser, "main h2").await, "Người nhận cảnh báo");
    let seeded = kept(&app).await[0]["id"].as_i64().unwrap();
    let hoa = format!("form[data-recipient=\"{seeded}\"]");
    let name = browser.script("return document.querySelector(arguments[0]).elements.name.value", json!([hoa])).await;
    assert_eq!(name, "Chị Hoa, Chánh Văn phòng");

    // A department head without their department: the page says which field and how to fix it.
    let head = json!({"name": "Anh Bình, Trưởng phòng A", "role": "department_head", "email": "binh@ubnd-tinh.gov.vn"});
    submit(&browser, "form.recipient.new", head.clone(), "button[type=submit]").await;
    let error = result(&browser).await;
    assert!(error.contains("recipient.department") && error.contains("fix:"), "{error}");
    assert_eq!(kept(&app).await.len(), 1, "nothing added");

    let mut head = head;
    head["department"] = json!("phong-a");
    head["quiet_hours"] = json!("21:00-06:30");
    submit(&browser, "form.recipient.new", head, "button[type=submit]").await;
    assert_eq!(result(&browser).await, "Đã thêm Anh Bình, Trưởng phòng A.");
    let list = kept(&app).await;
    let binh = list.iter().find(|r| r["name"] == "Anh Bình, Trưởng phòng A").expect("added");
    assert_eq!((&binh["department"], &binh["quiet_hours"]), (&json!("phong-a"), &json!("21:00-06:30")), "{binh}");

    let form = format!("form[data-recipient=\"{}\"]", binh["id"]);
    submit(&browser, &form, json!({"email": "binh.nguyen@ubnd-tinh.gov.vn"}), "button[value=save]").await;
    assert_eq!(result(&browser).await, "Đã lưu Anh Bình, Trưởng phòng A.");
    submit(&browser, &hoa, json!({}), "button[value=delete]").await;
    assert_eq!(result(&browser).await, "Đã xoá Chị Hoa, Chánh Văn phòng.");
    let list = kept(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["email"], "binh.nguyen@ubnd-tinh.gov.vn");
    browser.screenshot("recipients.png").await;
    browser.quit().await;
    app.stop().await;
}
