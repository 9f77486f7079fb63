//! The alerts page and the banner every page carries while an alert waits.

use super::*;

/// Issue 16: while an alert waits, every page carries the banner; the alerts page lists it,
/// fits a phone, and takes a person's acknowledgement with a comment, after which the banner
/// goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_page_and_its_banner_on_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let config = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"))
        + "\n[alerts]\nrejected_per_hour = 3\n";
    let app = spawn_app_from(&config, dir).await;
    let bad: Vec<(&str, String)> = (0..3).map(|i| ("xanh/dien-a/reading", format!("hỏng {i}"))).collect();
    publish(&app.mqtt, &bad).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/api/v1/alerts").await.1["total"] != 1 {
        assert!(std::time::Instant::now() < deadline, "no alert was raised");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/rejected").await;
    assert_eq!(text(&browser, "div.alerts-banner a").await, "1 cảnh báo đang chờ xử lý");
    browser.script("document.querySelector('div.alerts-banner a').click()", json!([])).await;
    let wait_for = |path: &'static str| {
        let browser = &browser;
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while browser
                .script("return location.pathname + location.search", json!([]))
                .await
                .as_str()
                .is_none_or(|p| !p.starts_with(path))
            {
                assert!(std::time::Instant::now() < deadline, "never reached {path}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    wait_for("/alerts").await;
    assert_eq!(text(&browser, "main h2").await, "Cảnh báo: 1");
    assert_eq!(
        text(&browser, "li[data-rule=rejected_input] p.alert-message").await,
        "3 bản tin từ xanh/dien-a/reading bị từ chối trong một giờ qua"
    );
    let width = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
    assert!(width <= u64::from(PHONE.width), "/alerts is {width} px wide on a phone");
    browser.screenshot("alerts-phone.png").await;

    browser
        .script(
            "document.querySelector('form.ack input[name=comment]').value = arguments[0];
             document.querySelector('form.ack button').click()",
            json!(["Đã báo đơn vị lắp đặt kiểm tra thiết bị"]),
        )
        .await;
    wait_for("/alerts?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã xác nhận cảnh báo.");
    let ack = text(&browser, "li[data-rule=rejected_input] p.ack").await;
    assert!(
        ack.starts_with("Đã xác nhận bởi quan.tri (") && ack.ends_with("): Đã báo đơn vị lắp đặt kiểm tra thiết bị"),
        "{ack}"
    );
    assert!(!browser.dom().await.contains("alerts-banner"), "acknowledged: the banner is gone");

    browser.open(&app, "/alerts?lang=en&state=all").await;
    assert_eq!(text(&browser, "main h2").await, "Alerts: 1");
    browser.quit().await;
    app.stop().await;
}
