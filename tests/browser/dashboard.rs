//! The pages of dashboards/ against simulated readings: the API's figures, every chart
//! rendered with its title and a PNG download that decodes, nothing wider than a phone.

use super::*;

/// A water meter the simulator does not know: the test makes it run all night.
const LEAKING_METER: &str = r#"
[[meters]]
id = "nuoc-ve-sinh"
name = "Đồng hồ nước khu vệ sinh"
resource = "water"
department = "phong-b"
kind = "counter"
unit = "m3"
"#;

/// Baselines from last year's bills, so that the plan has targets to show.
const PLAN: &str = r#"
[[baselines.entered]]
resource = "electricity"
period = "2025"
amount = 90000.0
note = "Hoá đơn EVN năm 2025"

[[baselines.entered]]
resource = "water"
period = "2025"
amount = 900.0

[[baselines.entered]]
resource = "electricity"
department = "phong-a"
period = "2025"
amount = 3000.0
"#;

const SEEDED_DAYS: i64 = 4;

/// The test office plus the leaking meter, fed four simulated days up to now over MQTT; the
/// leaking meter gains 10 litres every 15 minutes, day and night.
async fn seeded_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(
        &format!("{OFFICE}\n{LEAKING_METER}\n{PLAN}"),
        &embedded_mqtt(),
        &dir.path().join("xanh.db"),
    );
    let app = spawn_app_from(&text, dir).await;
    let base =
        xanh::config::Config::parse("test.toml", &common::config_text(&embedded_mqtt(), Path::new("x.db")), &|_| None)
            .unwrap();
    let mut model = Model::new(&base, 42);
    let now = Timestamp::now();
    let mut t = now - SignedDuration::from_hours(24 * SEEDED_DAYS);
    let mut messages = Vec::new();
    model.advance(t, t);
    let mut leak = 100.0;
    while t < now {
        let next = (t + SignedDuration::from_mins(15)).min(now);
        for r in model.advance(t, next) {
            messages.push((r.topic.as_str().to_owned(), r.payload()));
        }
        leak += 0.01;
        messages.push(("xanh/nuoc-ve-sinh/reading".to_owned(), format!(r#"{{"value": {leak:.3}, "ts": "{next}"}}"#)));
        t = next;
    }
    let borrowed: Vec<(&str, String)> = messages.iter().map(|(t, p)| (t.as_str(), p.clone())).collect();
    publish(&app.mqtt, &borrowed).await;
    app.wait_processed(messages.len() as u64).await;
    app
}

async fn total(app: &TestApp, query: &str) -> f64 {
    app.consumption(query).await["total"].as_f64().unwrap()
}

/// What the page shows of each panel: kind, heading, the chart's SVG title and width, the
/// PNG link.
async fn panels(browser: &Browser) -> Vec<Value> {
    let script = "return Array.from(document.querySelectorAll('article.panel')).map(a => {
        const svg = a.querySelector('figure svg');
        const link = a.querySelector('a[data-png]');
        return { kind: a.dataset.kind, heading: a.querySelector('h3').textContent.trim(),
                 svg_title: svg && svg.querySelector('title') ? svg.querySelector('title').textContent : null,
                 svg_width: svg ? svg.getBoundingClientRect().width : 0,
                 png: link ? link.href : null };
    });";
    browser.script(script, json!([])).await.as_array().unwrap().clone()
}

/// Download a PNG in the page and decode it there: its width and height.
async fn decoded_png(browser: &Browser, url: &str) -> (u64, u64) {
    // An image element rather than fetch(): the pages' Content-Security-Policy allows images
    // from the site and nothing else, as it should.
    let script = "const done = arguments[arguments.length - 1];
        const img = new Image();
        img.onload = () => done([img.naturalWidth, img.naturalHeight]);
        img.onerror = () => done('the image did not load or decode');
        img.src = arguments[0];";
    let size = browser.script_async(script, json!([url])).await;
    let size = size.as_array().unwrap_or_else(|| panic!("{url} did not decode: {size}"));
    (size[0].as_u64().unwrap(), size[1].as_u64().unwrap())
}

/// Check every panel of the page as shown at `screen`, and keep a screenshot.
async fn check_page(browser: &Browser, page: &xanh::web::Page, screen: Screen) {
    let shown = panels(browser).await;
    assert_eq!(shown.len(), page.panels.len(), "{}: a panel per panel in the file", page.path);
    for (panel, shown) in page.panels.iter().zip(&shown) {
        assert_eq!(shown["kind"], panel.chart.as_str(), "{}", page.path);
        if matches!(panel.chart, ChartKind::Progress | ChartKind::Meters | ChartKind::Supplies) {
            assert!(shown["png"].is_null(), "a table has no PNG: {shown}");
            continue;
        }
        assert_eq!(
            shown["svg_title"], shown["heading"],
            "{}: the chart carries its heading for screen readers",
            page.path
        );
        let width = shown["svg_width"].as_f64().unwrap();
        assert!(
            width > 200.0 && width <= f64::from(screen.width),
            "{}: the chart fits the {} screen: {width}",
            page.path,
            screen.name
        );
    }
    let overflow = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
    assert!(
        overflow <= u64::from(screen.width),
        "{} is {overflow} px wide on a {} px {}",
        page.path,
        screen.width,
        screen.name
    );
    let shot = browser.screenshot(&format!("{}-{}.png", page.id, screen.name)).await;
    let bytes = std::fs::read(&shot).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{} is not a real screenshot", shot.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_page_shows_the_api_figures_with_working_charts() {
    let app = seeded_app().await;
    let browser = Browser::start().await;
    let dashboards = Dashboards::load(None).unwrap();
    let today = today();
    let tomorrow = today.tomorrow().unwrap();
    let month = today.first_of_month();
    let next_month = month.checked_add(1.month()).unwrap();
    let year = today.first_of_year();
    let next_year = year.checked_add(1.year()).unwrap();

    for page in &dashboards.pages {
        for screen in [DESKTOP, PHONE] {
            browser.resize(screen).await;
            browser.open(&app, &page.path).await;
            assert_eq!(
                browser.script("return document.documentElement.lang", json!([])).await,
                "vi",
                "{} is Vietnamese",
                page.path
            );
            assert_eq!(text(&browser, "nav a[aria-current=page]").await, page.title.vi);
            check_page(&browser, page, screen).await;
        }
        // Every chart downloads as a PNG that decodes, twice the size of the page's chart.
        for shown in panels(&browser).await {
            if let Some(url) = shown["png"].as_str() {
                let (w, h) = decoded_png(&browser, url).await;
                assert!(w == 1120 && h >= 200, "{url}: {w}×{h}");
            }
        }
    }

    // The overview: this month and this year against the plan, as the API has them.
    browser.resize(DESKTOP).await;
    browser.open(&app, "/").await;
    let this_month = format!("{}", month.strftime("%Y-%m"));
    for resource in Resource::ALL {
        let r = resource.as_str();
        let quantity =
            |v: &Value| v.as_f64().map(|v| locale::quantity(resource, v, Lang::Vi)).unwrap_or_else(|| "—".into());
        let progress = format!("article[data-kind=progress][data-resource={r}]");
        for (key, period) in [("month", this_month.clone()), ("year", year.year().to_string())] {
            let (status, api) = app.get(&format!("/api/v1/progress?resource={r}&period={period}")).await;
            assert_eq!(status, 200, "{api}");
            let shown = |figure: &str| {
                let selector = format!("{progress} [data-figure={key}-{figure}]");
                let browser = &browser;
                async move { text(browser, &selector).await }
            };
            assert_eq!(shown("total").await, quantity(&api["actual"]), "{r} {period}");
            assert_eq!(shown("last-year").await, quantity(&api["last_year"]["to_date"]), "{r} {period}");
            assert_eq!(shown("baseline").await, quantity(&api["baseline"]["amount"]), "{r} {period}");
            assert!(shown("target").await.starts_with(&quantity(&api["target"]["amount"])), "{r} {period}");
            assert_eq!(shown("forecast").await, quantity(&api["forecast"]["amount"]), "{r} {period}");
            let status_word = match api["status"].as_str() {
                Some("dat") => "đạt",
                Some("co_nguy_co") => "có nguy cơ",
                Some("khong_dat") => "không đạt",
                _ => "—",
            };
            assert_eq!(shown("status").await, status_word, "{r} {period}: {api}");
            if resource == Resource::Electricity {
                assert!(api["target"]["amount"].as_f64().unwrap() > 0.0, "the entered baseline gives a target: {api}");
                let kg = api["co2e"]["actual_kg"].as_f64().unwrap();
                assert_eq!(shown("co2e").await, format!("{} kg CO2e", locale::amount(kg, Lang::Vi)));
                assert_eq!(
                    shown("cost").await,
                    format!("{} đ", locale::number(api["cost"]["actual_vnd"].as_f64().unwrap(), 0, Lang::Vi))
                );
            }
        }
        let year_so_far = total(&app, &format!("resource={r}&from={year}&to={tomorrow}&step=month")).await;
        if resource != Resource::Paper {
            assert!(year_so_far > 0.0, "the simulator used some {r}");
        }
        // The month's bars: the API's total, and the month's target as a dashed red line.
        let whole_month = total(&app, &format!("resource={r}&from={month}&to={next_month}&step=day")).await;
        let bars = format!("article[data-kind=bars][data-resource={r}]");
        assert_eq!(
            text(&browser, &format!("{bars} [data-figure=total]")).await,
            locale::quantity(resource, whole_month, Lang::Vi)
        );
        let (_, plan) = app.get(&format!("/api/v1/progress?resource={r}&period={this_month}")).await;
        let svg = browser
            .script("return document.querySelector(arguments[0]).outerHTML", json!([format!("{bars} svg")]))
            .await;
        match plan["target"]["amount"].as_f64() {
            Some(target) => {
                assert_eq!(
                    text(&browser, &format!("{bars} [data-figure=target]")).await,
                    locale::quantity(resource, target, Lang::Vi)
                );
                assert!(svg.as_str().unwrap().contains("stroke=\"#B71C1C\""), "{r}: the target line is drawn");
            }
            None => assert!(!svg.as_str().unwrap().contains("#B71C1C"), "{r}: no target, no line"),
        }
    }
    assert!(text(&browser, "[data-figure=updated]").await.ends_with(&today.strftime("%d/%m/%Y").to_string()));

    // One resource for one department over phase 1 of the movement, chosen in the address.
    browser.open(&app, "/resource?resource=water&department=phong-a&period=gd1").await;
    let phase = total(&app, "resource=water&department=phong-a&from=2026-01-01&to=2028-06-12&step=month").await;
    assert!(phase > 0.0);
    assert_eq!(
        text(&browser, "article[data-kind=bars] [data-figure=total]").await,
        locale::quantity(Resource::Water, phase, Lang::Vi)
    );
    assert!(text(&browser, "article[data-kind=bars] h3").await.contains("Giai đoạn 1 (2026–06/2028)"));

    // Departments compared: each department's year, in all and per person.
    browser.open(&app, "/departments").await;
    for (department, headcount) in [("phong-a", 10.0), ("phong-b", 5.0)] {
        let used =
            total(&app, &format!("resource=electricity&department={department}&from={year}&to={next_year}&step=month"))
                .await;
        let row = format!("article[data-resource=electricity] tr[data-row={department}]");
        assert_eq!(text(&browser, &format!("{row} [data-figure=total]")).await, locale::amount(used, Lang::Vi));
        assert_eq!(
            text(&browser, &format!("{row} [data-figure=per-person]")).await,
            locale::number(used / headcount, 2, Lang::Vi)
        );
        let (_, plan) = app
            .get(&format!("/api/v1/progress?resource=electricity&department={department}&period={}", year.year()))
            .await;
        if department == "phong-a" {
            assert!(plan["saving_percent"].is_f64(), "phong-a has an entered baseline: {plan}");
        }
        let expected = match plan["saving_percent"].as_f64() {
            Some(saved) => format!("{}{} %", if saved < 0.0 { "+" } else { "" }, locale::number(-saved, 1, Lang::Vi)),
            None => "—".to_owned(),
        };
        assert_eq!(text(&browser, &format!("{row} [data-figure=vs-baseline]")).await, expected, "{plan}");
    }

    // One department: the first one unless another is chosen, with only its meters.
    browser.open(&app, "/department").await;
    let used =
        total(&app, &format!("resource=electricity&department=phong-a&from={month}&to={next_month}&step=day")).await;
    assert_eq!(
        text(&browser, "article[data-kind=bars][data-resource=electricity] [data-figure=total]").await,
        locale::quantity(Resource::Electricity, used, Lang::Vi)
    );
    let meters = browser
        .script("return Array.from(document.querySelectorAll('tr[data-meter]')).map(r => r.dataset.meter)", json!([]))
        .await;
    assert_eq!(meters, json!(["dien-a", "nuoc-a-lit", "giay-a"]));

    // Waste: the shares and the leak, as the API has them.
    browser.open(&app, "/waste").await;
    for resource in ["electricity", "water"] {
        let (status, api) = app.get(&format!("/api/v1/waste?resource={resource}&period=last-30-days")).await;
        assert_eq!(status, 200, "{api}");
        let share = api["shares"]["outside_working_time"].as_f64().unwrap();
        assert!(share > 0.0 && share < 1.0, "{resource}: {api}");
        let shown =
            text(&browser, &format!("article[data-kind=waste][data-resource={resource}] [data-figure=outside-share]"))
                .await;
        assert_eq!(shown, format!("{} %", locale::number(share * 100.0, 1, Lang::Vi)));
    }
    let (_, water) = app.get("/api/v1/waste?resource=water&period=last-30-days").await;
    let never_stop: Vec<&str> =
        water["never_stop_at_night"].as_array().unwrap().iter().map(|m| m["meter"].as_str().unwrap()).collect();
    assert_eq!(never_stop, ["nuoc-ve-sinh"], "only the leaking meter runs all night: {water}");
    let leaks = browser
        .script("return Array.from(document.querySelectorAll('[data-leak]')).map(l => l.dataset.leak)", json!([]))
        .await;
    assert_eq!(leaks, json!(["nuoc-ve-sinh"]));
    assert!(text(&browser, "[data-leak=nuoc-ve-sinh]").await.starts_with("Đồng hồ nước khu vệ sinh: "));

    // Meters: each last reading as the API has it. Electricity and water meters report every
    // 15 minutes; a paper meter reports only when a ream is issued, which four simulated days
    // may not reach (it depends on the weekday and the hour the test runs), so a meter without
    // a reading must say so instead.
    browser.open(&app, "/meters").await;
    let (_, api_meters) = app.get("/api/v1/meters").await;
    for meter in api_meters.as_array().unwrap() {
        let resource: Resource = meter["resource"].as_str().unwrap().parse().unwrap();
        let id = meter["id"].as_str().unwrap();
        match meter["last_value"].as_f64() {
            Some(value) => {
                let shown = text(&browser, &format!("tr[data-meter={id}] [data-figure=last-value]")).await;
                assert!(shown.starts_with(&locale::quantity(resource, value, Lang::Vi)), "{id}: {shown}");
            }
            None => {
                assert_eq!(resource, Resource::Paper, "{id} reports every 15 minutes and has no reading: {meter}");
                assert_eq!(text(&browser, &format!("tr[data-meter={id}] td.empty")).await, "chưa có số liệu", "{id}");
            }
        }
    }

    // Printed on A4: no navigation, no controls, no download links; every chart on the paper.
    browser.resize(A4).await;
    browser.open(&app, "/").await;
    browser.print_media(true).await;
    let hidden = browser
        .script(
            "return ['header nav', 'p.download'].map(s => getComputedStyle(document.querySelector(s)).display)",
            json!([]),
        )
        .await;
    assert_eq!(hidden, json!(["none", "none"]));
    let widest = browser.script("return Math.max(...Array.from(document.querySelectorAll('figure svg')).map(s => s.getBoundingClientRect().right))", json!([])).await;
    assert!(widest.as_f64().unwrap() <= f64::from(A4.width), "a chart runs off the paper: {widest}");
    browser.screenshot("overview-a4.png").await;
    let pdf = browser.pdf("overview-a4.pdf").await;
    assert!(pdf.starts_with(b"%PDF"), "the overview prints");
    browser.print_media(false).await;
    browser.resize(DESKTOP).await;

    // English on request.
    browser.open(&app, "/?lang=en").await;
    assert_eq!(browser.script("return document.documentElement.lang", json!([])).await, "en");
    assert_eq!(text(&browser, "article[data-kind=progress][data-resource=electricity] h3").await, "Electricity (kWh)");

    browser.quit().await;
    app.stop().await;
}

/// The pages of the saving plan (issue 5): scores, documents and the plan, in Vietnamese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scores_plan_and_documents_pages_render_in_vietnamese() {
    let app = common::spawn_app().await;
    let body = json!({"department": "phong-a", "month": "2025-12", "electronic": 19, "paper": 1});
    app.http.post(app.url("/api/v1/documents")).json(&body).send().await.unwrap();
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;

    browser.open(&app, "/scores?period=2025-Q4").await;
    let scores = browser.dom().await;
    assert!(scores.contains("Chấm điểm thi đua") && scores.contains("Xếp loại"), "{scores}");
    assert!(scores.contains("href=\"/api/v1/export/scores.xlsx?period=2025-Q4\""));
    // Without readings nothing can be scored: each department is "không hoàn thành".
    assert_eq!(scores.matches("data-figure=\"classification\">Không hoàn thành<").count(), 2, "{scores}");
    browser.screenshot("scores-desktop.png").await;
    browser.open(&app, "/documents?period=2025-12").await;
    let documents = browser.dom().await;
    assert!(documents.contains("data-figure=\"share\">95,0 %"), "{documents}");
    browser.screenshot("documents-desktop.png").await;
    browser.open(&app, "/plan").await;
    let plan = browser.dom().await;
    assert!(plan.contains("Mốc cơ sở và mục tiêu đang áp dụng") && plan.contains("−2,0 % (−10,0 %)"), "{plan}");
    let shot = browser.screenshot("plan-desktop.png").await;
    let bytes = std::fs::read(&shot).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "{} is not a real screenshot", shot.display());
    browser.quit().await;
    app.stop().await;
}

/// The offices compared (issue 6): on the embedded store, this office alone, read the
/// Vietnamese way and fitting a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offices_page_compares_with_last_year_and_fits_a_phone() {
    let app = common::spawn_app().await;
    let readings = json!([
        {"meter": "nuoc-tong", "value": 100.0, "ts": "2025-11-03T08:00:00+07:00"},
        {"meter": "nuoc-tong", "value": 120.0, "ts": "2025-11-20T08:00:00+07:00"},
        {"meter": "nuoc-tong", "value": 120.0, "ts": "2026-11-03T08:00:00+07:00"},
        {"meter": "nuoc-tong", "value": 135.5, "ts": "2026-11-20T08:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&readings).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let browser = Browser::start().await;
    for screen in [DESKTOP, PHONE] {
        browser.resize(screen).await;
        browser.open(&app, "/offices?period=2026-11").await;
        assert_eq!(text(&browser, "main h2").await, "So sánh các văn phòng · Tháng 11/2026");
        assert_eq!(text(&browser, "tr[data-office] td[data-figure=water-amount]").await, "15,5 m³");
        assert_eq!(text(&browser, "tr[data-office] td[data-figure=water-change]").await, "-22,5 %");
        let overflow = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
        assert!(
            overflow <= u64::from(screen.width),
            "/offices is {overflow} px wide on a {} px {}",
            screen.width,
            screen.name
        );
        browser.screenshot(&format!("offices-{}.png", screen.name)).await;
    }
    browser.quit().await;
    app.stop().await;
}

#[test]
fn base64_decodes_what_encoders_write() {
    assert_eq!(base64_decode("eGFuaA=="), b"xanh");
    assert_eq!(base64_decode("VGnhur9uZw=="), "Tiếng".as_bytes());
    assert_eq!(base64_decode("YWJj"), b"abc");
}
