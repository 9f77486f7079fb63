//! Issue 20: HC-QT enters a new pen price from a day on the prices' and norms' admin page,
//! through the real form; the next slip typed on the entry page from that day is priced with
//! it, one of the day before with the old price. A department's own norm entered there puts it
//! over on the council's page at once.

use super::setup::{choose, submit};
use super::*;

/// The demo office as shipped, with no readings.
async fn demo_office() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    let text = shipped
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("listen = \"127.0.0.1:1883\"", "listen = \"127.0.0.1:0\"")
        .replace("path = \"data/xanh.db\"", &format!("path = \"{}\"", dir.path().join("xanh.db").display()));
    spawn_app_from(&text, dir).await
}

/// Type a slip of 10 pens for Phòng Tổng hợp on `date` into the entry page's form; the
/// page's answer.
async fn type_a_slip(browser: &Browser, app: &TestApp, number: &str, date: &str) -> String {
    browser.open(app, "/entry").await;
    let form = "section.slips form[action^='/slips']";
    browser.type_into(&format!("{form} input[name=number]"), number).await;
    choose(browser, &format!("{form} select[name=department]"), "phong-tong-hop").await;
    browser
        .script(
            "document.querySelector(arguments[0]).value = arguments[1]",
            json!([format!("{form} input[name=date]"), date]),
        )
        .await;
    choose(browser, &format!("{form} select[name=item0]"), "van-phong-pham/but-bi").await;
    browser.type_into(&format!("{form} input[name=quantity0]"), "10").await;
    submit(browser, &format!("{form} button[type=submit]"), "/entry?lang=vi&").await;
    text(browser, "[data-result]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pen_price_set_in_the_browser_prices_the_next_slip_from_its_day() {
    let app = demo_office().await;
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;

    // The shipped list: pens at 4 000 đ since 01/07/2025.
    browser.open(&app, "/admin/supply-prices").await;
    let pen = "tr[data-item='van-phong-pham/but-bi'] td[data-figure=price]";
    assert_eq!(text(&browser, pen).await, "4.000");
    choose(&browser, "form.supply-price select[name=item]", "van-phong-pham/but-bi").await;
    browser
        .script("document.querySelector('form.supply-price input[name=from]').value = '2026-04-01'", json!([]))
        .await;
    browser.type_into("form.supply-price input[name=price_vnd]", "4.500").await;
    browser.type_into("form.supply-price input[name=note]", "Báo giá 04/2026").await;
    submit(&browser, "form.supply-price button[type=submit]", "/admin/supply-prices?lang=vi&ok=").await;
    assert_eq!(text(&browser, "[data-result=ok]").await, "Đã lưu giá Bút bi 4.500 đồng từ 01/04/2026.");
    assert_eq!(text(&browser, pen).await, "4.500", "in force today");
    browser.screenshot("setup-supply-prices-desktop.png").await;

    // 10 pens on 31/03/2026: the old 4 000 đ; on 01/04/2026: the new 4 500 đ.
    assert_eq!(type_a_slip(&browser, &app, "PX-31", "31/03/2026").await, "Đã lưu phiếu PX-31: 1 dòng, 40.000 đ.");
    assert_eq!(type_a_slip(&browser, &app, "PX-32", "01/04/2026").await, "Đã lưu phiếu PX-32: 1 dòng, 45.000 đ.");

    // Tổng hợp's own norm from 01/04/2026, 1 000 đ a person a month under Quyết định số
    // 11/QĐ-VP: April's 45 000 đ is over its 14 000 đ, the stationery's points lost at once.
    browser.open(&app, "/admin/supply-prices").await;
    let form = "form.supply-norm";
    choose(&browser, &format!("{form} select[name=resource]"), "van-phong-pham").await;
    choose(&browser, &format!("{form} select[name=department]"), "phong-tong-hop").await;
    for (field, value) in [("from", "2026-04-01"), ("regulation_date", "2026-03-25")] {
        browser
            .script(
                "document.querySelector(arguments[0]).value = arguments[1]",
                json!([format!("{form} input[name={field}]"), value]),
            )
            .await;
    }
    browser.type_into(&format!("{form} input[name=amount]"), "1.000").await;
    browser.type_into(&format!("{form} input[name=regulation]"), "Quyết định số 11/QĐ-VP").await;
    submit(&browser, &format!("{form} button[type=submit]"), "/admin/supply-prices?lang=vi&ok=").await;
    assert_eq!(
        text(&browser, "[data-result=ok]").await,
        "Đã lưu định mức Văn phòng phẩm từ 01/04/2026 theo Quyết định số 11/QĐ-VP."
    );
    let row = "tr[data-norm='van-phong-pham/phong-tong-hop/2026-04-01']";
    assert_eq!(text(&browser, &format!("{row} td[data-figure=allowance]")).await, "1.000 đ/người/tháng");
    assert_eq!(
        text(&browser, &format!("{row} td[data-figure=regulation]")).await,
        "Quyết định số 11/QĐ-VP ngày 25/03/2026"
    );
    browser.open(&app, "/scores?period=2026-04").await;
    assert_eq!(text(&browser, "tr[data-department=phong-tong-hop] td[data-criterion=van-phong-pham]").await, "0,00");
    let source = text(&browser, "details[data-explain=phong-tong-hop-van-phong-pham] p").await;
    assert!(source.contains("Quyết định số 11/QĐ-VP ngày 25/03/2026"), "{source}");

    // A wrong price is refused with the reason, in Vietnamese, and nothing is kept.
    browser.open(&app, "/admin/supply-prices").await;
    browser.type_into("form.supply-price input[name=price_vnd]", "bốn nghìn").await;
    submit(&browser, "form.supply-price button[type=submit]", "/admin/supply-prices?lang=vi&error=").await;
    let refusal = text(&browser, "[data-result=error]").await;
    assert!(refusal.starts_with("Chưa lưu: Giá phải là một số tiền"), "{refusal}");
    assert_eq!(text(&browser, pen).await, "4.500");
    browser.quit().await;
    app.stop().await;
}
