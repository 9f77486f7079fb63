//! Every page on a phone (issue 18): each page the menu links to, and the pages reached from
//! them, opened as the admin on the demo office at 390×844 in Vietnamese and in English, is
//! no wider than the screen; a screenshot of each is kept in target/screenshots.

use super::*;
use common::browser::PHONE;

/// How wide the page is, and the element reaching furthest right (tag, class and text) when
/// it is wider than the screen.
async fn overflow(browser: &Browser) -> (u64, String) {
    let script = "const width = document.documentElement.scrollWidth;
        let widest = null, right = 0;
        for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect().right;
            if (r > right + 0.5) { right = r; widest = e; }
        }
        const name = widest ? widest.tagName.toLowerCase() + (widest.className ? '.' + widest.className : '')
            + ' «' + widest.textContent.trim().slice(0, 40) + '» ends at ' + Math.round(right) + ' px' : '';
        return [width, name];";
    let found = browser.script(script, json!([])).await;
    (found[0].as_u64().unwrap(), found[1].as_str().unwrap().to_owned())
}

/// The first menu link a person can see, if any.
async fn menu_link_shown(browser: &Browser) -> Option<String> {
    let script = "const a = document.querySelector('header nav a');
        return a.checkVisibility() ? a.textContent.trim() : null;";
    browser.script(script, json!([])).await.as_str().map(str::to_owned)
}

/// The pages a phone user reaches: every link of the menu, and the pages opened with a
/// choice (a department, a resource, a meter's readings to correct).
async fn pages(browser: &Browser, app: &TestApp) -> Vec<String> {
    browser.open(app, "/").await;
    let menu = browser
        .script(
            "return Array.from(document.querySelectorAll('header nav a:not([hreflang])'))
                .map(a => a.getAttribute('href').split('?')[0])",
            json!([]),
        )
        .await;
    let mut pages: Vec<String> = menu.as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    pages.dedup();
    for path in ["/department?department=phong-tong-hop", "/resource?resource=water", "/entry?meter=dien-toa-nha"] {
        pages.push(path.to_owned());
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_in_both_languages() {
    let (app, _) = super::demo_office::demo_office().await;
    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    let pages = pages(&browser, &app).await;
    assert!(pages.len() >= 15, "the menu links every page: {pages:?}");
    let mut problems = Vec::new();
    for lang in [Lang::Vi, Lang::En] {
        for page in &pages {
            let separator = if page.contains('?') { '&' } else { '?' };
            let path = format!("{page}{separator}lang={}", lang.code());
            browser.open(&app, &path).await;
            assert_eq!(browser.script("return document.documentElement.lang", json!([])).await, lang.code(), "{path}");
            let (width, widest) = overflow(&browser).await;
            if width > u64::from(PHONE.width) {
                problems.push(format!("{path} is {width} px wide on a {} px phone: {widest}", PHONE.width));
            }
            let name: String =
                page.trim_start_matches('/').chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
            let name = if name.is_empty() { "overview".to_owned() } else { name };
            browser.screenshot(&format!("phone-{name}-{}.png", lang.code())).await;
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The menu on a phone: a button under the title, the links hidden until it is pressed;
    // on a desktop the links show without it.
    browser.open(&app, "/scores").await;
    assert!(menu_link_shown(&browser).await.is_none(), "the menu starts folded on a phone");
    let header =
        browser.script("return document.querySelector('header').getBoundingClientRect().height", json!([])).await;
    assert!(header.as_f64().unwrap() < f64::from(PHONE.height) / 6.0, "the header takes {header} px of a phone");
    assert_eq!(text(&browser, "header details.menu summary").await, "☰ Danh mục · Chấm điểm");
    browser.script("document.querySelector('header details.menu summary').click()", json!([])).await;
    assert_eq!(menu_link_shown(&browser).await.as_deref(), Some("Tổng quan"), "pressed, the menu shows its links");
    browser.resize(DESKTOP).await;
    browser.open(&app, "/scores").await;
    assert_eq!(menu_link_shown(&browser).await.as_deref(), Some("Tổng quan"), "a desktop shows the menu open");
    browser.quit().await;
    app.stop().await;
}
