//! Periods chosen from a list (issue 18): the scores, offices and documents pages offer this
//! month, last month, this quarter, this year, last year and the two phases by name; the
//! headings name the period ("Giai đoạn 1 (2026–06/2028)", not "gd1"); a dashboard's own
//! range is typed as dd/mm/yyyy; charts fill the width they are given.

use super::*;
use common::spawn_app;

/// Choose `value` in the page's period list and send its form; waits for the page it leads to.
async fn choose_period(browser: &Browser, value: &str) {
    let before = browser.script("return location.href", json!([])).await;
    let script = "const select = document.querySelector('main select[name=period]');
        select.value = arguments[0];
        if (select.value !== arguments[0]) return 'no such choice';
        select.form.querySelector('button[type=submit]').click();
        return 'sent';";
    assert_eq!(browser.script(script, json!([value])).await, "sent", "{value} is in the list");
    wait_for_new_page(browser, before).await;
}

async fn wait_for_new_page(browser: &Browser, before: Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.script("return location.href", json!([])).await == before
        || browser.script("return document.readyState", json!([])).await != "complete"
    {
        assert!(std::time::Instant::now() < deadline, "the form did not lead anywhere");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The names of the period list, in order.
async fn period_names(browser: &Browser) -> Vec<String> {
    let names = browser
        .script(
            "return Array.from(document.querySelectorAll('main select[name=period] option')).map(o => o.textContent.trim())",
            json!([]),
        )
        .await;
    serde_json::from_value(names).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_are_chosen_by_name_and_headings_name_them() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;
    let today = today();
    let last_month = today.first_of_month().yesterday().unwrap();
    let quarter = (today.month() - 1) / 3 + 1;

    for page in ["/scores", "/offices", "/documents", "/reports"] {
        browser.open(&app, page).await;
        let typed =
            browser.script("return document.querySelectorAll('main input[name=period]').length", json!([])).await;
        assert_eq!(typed, 0, "{page}: the period is chosen, not typed");
        let names = period_names(&browser).await;
        let expected = [
            format!("Tháng này (Tháng {:02}/{})", today.month(), today.year()),
            format!("Tháng trước (Tháng {:02}/{})", last_month.month(), last_month.year()),
            format!("Quý này (Quý {quarter}/{})", today.year()),
            format!("Năm nay (Năm {})", today.year()),
            format!("Năm trước (Năm {})", today.year() - 1),
            "Giai đoạn 1 (2026–06/2028)".to_owned(),
            "Giai đoạn 2 (07/2028–2030)".to_owned(),
        ];
        assert_eq!(names, expected, "{page}");
        choose_period(&browser, "gd1").await;
        assert!(browser.script("return location.search", json!([])).await.as_str().unwrap().contains("period=gd1"));
        assert_eq!(text(&browser, "[data-figure=period]").await, "Giai đoạn 1 (2026–06/2028)", "{page}");

        // In English, and a period the address gets wrong, said in the page's language.
        browser.open(&app, &format!("{page}?lang=en&period=gd1")).await;
        assert_eq!(text(&browser, "[data-figure=period]").await, "Phase 1 (2026–06/2028)", "{page}");
        assert!(period_names(&browser).await.contains(&format!("This quarter (Q{quarter} {})", today.year())));
        browser.open(&app, &format!("{page}?period=gd3")).await;
        assert!(
            text(&browser, "[data-result=error]")
                .await
                .starts_with("“gd3” không phải một kỳ: hãy chọn kỳ trong danh sách."),
            "{page}"
        );
        browser.open(&app, &format!("{page}?lang=en&period=gd3")).await;
        assert!(
            text(&browser, "[data-result=error]").await.starts_with("“gd3” is not a period: choose one from the list."),
            "{page}"
        );
    }

    // A dashboard's own range, typed the Vietnamese way, shown back the same way.
    browser.open(&app, "/resource?resource=electricity").await;
    let before = browser.script("return location.href", json!([])).await;
    let script = "const form = document.querySelector('form.controls');
        form.elements.from.value = '01/11/2026'; form.elements.to.value = '15/11/2026';
        form.querySelector('button[type=submit]').click();";
    browser.script(script, json!([])).await;
    wait_for_new_page(&browser, before).await;
    assert!(
        browser.script("return document.querySelector('p.alert[data-error]') === null", json!([])).await == json!(true),
        "{}",
        browser.dom().await
    );
    assert!(text(&browser, "article[data-kind=bars] h3").await.contains("01/11/2026 – 14/11/2026"));
    let shown = browser.script("return [document.querySelector('form.controls').elements.from.value, document.querySelector('form.controls').elements.to.value]", json!([])).await;
    assert_eq!(shown, json!(["01/11/2026", "15/11/2026"]));
    assert!(period_names(&browser).await.iter().any(|n| n.contains("Giai đoạn 1 (2026–06/2028)")));

    // Charts fill the width of their panel, drawn to scale from their viewBox.
    for screen in [DESKTOP, common::browser::PHONE] {
        browser.resize(screen).await;
        browser.open(&app, "/resource?resource=electricity").await;
        let widths = browser
            .script(
                "return Array.from(document.querySelectorAll('figure svg')).map(s =>
                    [s.getAttribute('viewBox'), s.getBoundingClientRect().width, s.parentElement.getBoundingClientRect().width])",
                json!([]),
            )
            .await;
        let widths = widths.as_array().unwrap();
        assert!(!widths.is_empty());
        for w in widths {
            assert!(w[0].is_string(), "{} has no viewBox: {w}", screen.name);
            assert!((w[1].as_f64().unwrap() - w[2].as_f64().unwrap()).abs() < 1.0, "{}: {w}", screen.name);
        }
    }
    browser.quit().await;
    app.stop().await;
}
