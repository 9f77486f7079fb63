//! The dashboard in a real browser (Debian's chromium through chromedriver): every page of
//! dashboards/ loads against simulated readings, the figures it shows are the API's, every
//! chart renders with its title and its PNG download decodes, nothing overflows a phone's
//! width, and screenshots at desktop and phone sizes are kept in target/screenshots.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::browser::{A4, Browser, DESKTOP, PHONE, Screen, base64_decode};
use common::{OFFICE, TestApp, embedded_mqtt, office_config_text, publish, spawn_app_from};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{Value, json};
use xanh::domain::Resource;
use xanh::locale::{self, Lang};
use xanh::simulate::Model;
use xanh::web::{ChartKind, Dashboards};

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

fn today() -> Date {
    Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date()
}

/// The text of the first element matching `selector`, or panics naming it.
async fn text(browser: &Browser, selector: &str) -> String {
    let found = browser
        .script("const e = document.querySelector(arguments[0]); return e && e.textContent.trim();", json!([selector]))
        .await;
    found.as_str().unwrap_or_else(|| panic!("`{selector}` is not on the page")).to_owned()
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
        if panel.chart == ChartKind::Progress || panel.chart == ChartKind::Meters {
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
    assert!(text(&browser, "article[data-kind=bars] h3").await.contains("giai đoạn 1 (01/01/2026 – 11/06/2028)"));

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

    // Meters: each last reading as the API has it.
    browser.open(&app, "/meters").await;
    let (_, api_meters) = app.get("/api/v1/meters").await;
    for meter in api_meters.as_array().unwrap() {
        let resource: Resource = meter["resource"].as_str().unwrap().parse().unwrap();
        let id = meter["id"].as_str().unwrap();
        let value = meter["last_value"].as_f64().unwrap_or_else(|| panic!("{id} has a reading"));
        let shown = text(&browser, &format!("tr[data-meter={id}] [data-figure=last-value]")).await;
        assert!(shown.starts_with(&locale::quantity(resource, value, Lang::Vi)), "{id}: {shown}");
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
        assert_eq!(text(&browser, "main h2").await, "So sánh các văn phòng · 2026-11");
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

/// November 2025 and November 2026 on the test office (issue 13): the main electricity meter
/// counted 3 000 then 2 800 kWh, Phòng A's sub-meter 1 000 then 900, Phòng B's (in Wh) 800
/// then 700; the main water meter 60 then 50 m³, Phòng A's own (in litres, not under the main
/// one) 20 then 15 m³. Phòng B has no water meter and no paper meter of its own.
const NOVEMBERS: &str = r#"[
    {"meter": "dien-tong", "value": 1000.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 4000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 4000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 6800.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1900.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 800000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 800000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 1500000.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 100.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 160.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 160.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 210.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 20000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 20000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 35000.0, "ts": "2026-12-01T00:00:00+07:00"}
]"#;

/// The cells of the CSV row whose department id and criterion are given.
fn csv_row(csv: &str, id: &str, criterion: &str) -> Vec<String> {
    csv.lines()
        .map(|line| line.split(',').map(str::to_owned).collect::<Vec<_>>())
        .find(|cells| {
            cells.get(1).map(String::as_str) == Some(id) && cells.get(3).map(String::as_str) == Some(criterion)
        })
        .unwrap_or_else(|| panic!("no CSV row for {id}, {criterion}: {csv}"))
}

/// The XLSX row of a sheet whose first cell is `name`.
fn xlsx_row(sheet: &calamine::Range<calamine::Data>, name: &str) -> Vec<calamine::Data> {
    sheet
        .rows()
        .find(|row| row.first().is_some_and(|c| c.to_string().starts_with(name)))
        .unwrap_or_else(|| panic!("no row {name}"))
        .to_vec()
}

/// The dashboard, the API and both exports agree to the unit on the status, the explain, the
/// departments (the common areas, a department without a meter) and the offices (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_the_api_and_both_exports_agree_on_the_figures_a_council_checks() {
    use calamine::{DataType, Reader, Xlsx, open_workbook_from_rs};
    let dir = tempfile::tempdir().unwrap();
    // Baselines from November 2025, so that November 2026 compares like with like.
    let plan = "[baselines]\nreference = \"2025-11\"\n";
    let config = office_config_text(&format!("{OFFICE}\n{plan}"), &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&config, dir).await;
    let readings: Value = serde_json::from_str(NOVEMBERS).unwrap();
    let response = app.http.post(app.url("/api/v1/readings")).json(&readings).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let n = |v: f64, decimals| locale::number(v, decimals, Lang::Vi);

    // The API, worked by hand. Phòng A's electricity: baseline 1 000 kWh × 21 working days of
    // November 2026 / 20 of November 2025 = 1 050; target −2 %: 1 029; actual 900; saved
    // (1 050 − 900) / 1 050 = 14,29 %: đạt.
    let (status, scores) = app.get("/api/v1/scores?period=2026-11").await;
    assert_eq!(status, 200, "{scores}");
    let department =
        |id: &str| scores["departments"].as_array().unwrap().iter().find(|d| d["department"] == id).unwrap().clone();
    let phong_a = department("phong-a");
    let a_electricity = &phong_a["resources"][0];
    common::approx(&a_electricity["baseline"]["amount"], 1050.0);
    common::approx(&a_electricity["target"]["amount"], 1029.0);
    common::approx(&a_electricity["actual"], 900.0);
    assert_eq!(a_electricity["status"], "dat");
    let baseline_line =
        a_electricity["explain"]["lines"].as_array().unwrap().iter().find(|l| l["key"] == "baseline").unwrap()["vi"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(
        baseline_line,
        "Mốc cơ sở: 1.000 kWh trong kỳ 2025-11 (tính từ số liệu công tơ) × 21 / 20 ngày làm việc = 1.050 kWh cả kỳ; đến nay × 21 / 20 ngày làm việc = 1.050 kWh"
    );
    // Phòng B has no water meter: not scored on water, not 0.
    let phong_b = department("phong-b");
    assert_eq!(phong_b["criteria"][1]["standing"], "not_applicable");
    // The common areas: electricity 2 800 − 900 − 700 = 1 200 kWh; water: the main meter's
    // 50 m³ and Phòng A's own 15 make the office's 65, less Phòng A's 15: 50.
    let common = |resource: &str| {
        scores["common_areas"].as_array().unwrap().iter().find(|c| c["resource"] == resource).unwrap().clone()
    };
    common::approx(&common("electricity")["amount"], 1200.0);
    common::approx(&common("electricity")["office_total"], 2800.0);
    common::approx(&common("water")["amount"], 50.0);
    let (status, table) = app.get("/api/v1/departments?resource=water&period=2026-11").await;
    assert_eq!(status, 200, "{table}");
    assert_eq!(table["departments"][1]["total"], Value::Null, "{table}");
    assert_eq!(table["departments"][1]["rank"], Value::Null);
    assert_eq!(table["departments"][0]["rank"], 1);
    common::approx(&table["common_area"]["amount"], 50.0);

    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;
    // The scores page: the same figures, the status as a coloured word, the same explain.
    browser.open(&app, "/scores?period=2026-11").await;
    let row = "section[data-resource=electricity] tr[data-department=phong-a]";
    assert_eq!(text(&browser, &format!("{row} td[data-figure=baseline]")).await, n(1050.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=target]")).await, n(1029.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=actual]")).await, n(900.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=status] span.badge.status-ok")).await, "đạt");
    assert_eq!(text(&browser, "details[data-explain=phong-a-electricity] li[data-line=baseline]").await, baseline_line);
    let points_line = text(&browser, "details[data-explain=phong-a-points] li[data-line=electricity]").await;
    assert_eq!(points_line, phong_a["criteria"][0]["explain"].as_str().unwrap());
    assert_eq!(text(&browser, "tr[data-department=phong-b] td[data-criterion=water]").await, "chưa có công tơ riêng");
    assert_eq!(
        text(&browser, "section[data-resource=water] tr[data-department=phong-b] td[data-figure=actual]").await,
        "chưa có công tơ riêng"
    );
    assert_eq!(
        text(&browser, "section[data-resource=electricity] tr[data-department=khu-vuc-chung] td[data-figure=actual]")
            .await,
        n(1200.0, 1)
    );
    assert_eq!(
        text(&browser, "section[data-resource=electricity] tr[data-department=ca-van-phong] td[data-figure=actual]")
            .await,
        n(2800.0, 1)
    );
    browser.screenshot("scores-explain-desktop.png").await;

    // The departments page: Phòng B's water is not a 0 and not ranked; the common areas a row.
    browser.open(&app, "/departments?period=2026-11").await;
    let water = "article[data-kind=ranking][data-resource=water]";
    assert_eq!(
        text(&browser, &format!("{water} tr[data-row=phong-b] td[data-figure=total]")).await,
        "chưa có công tơ riêng"
    );
    assert_eq!(text(&browser, &format!("{water} tr[data-row=phong-b] td[data-figure=rank]")).await, "");
    assert_eq!(text(&browser, &format!("{water} tr[data-row=phong-a] td[data-figure=rank]")).await, "1");
    assert_eq!(
        text(&browser, &format!("{water} tr[data-row=khu-vuc-chung] td[data-figure=total]")).await,
        locale::amount(50.0, Lang::Vi)
    );
    let electricity = "article[data-kind=ranking][data-resource=electricity]";
    assert_eq!(
        text(&browser, &format!("{electricity} tr[data-row=khu-vuc-chung] td[data-figure=total]")).await,
        locale::amount(1200.0, Lang::Vi)
    );
    assert_eq!(
        text(&browser, &format!("{electricity} tr[data-row=ca-van-phong] td[data-figure=total]")).await,
        locale::amount(2800.0, Lang::Vi)
    );

    // Phòng B's own page: its water has no meter of its own, not a chart of zeros.
    browser.open(&app, "/department?department=phong-b&period=2026-11").await;
    let water = "article[data-kind=bars][data-resource=water]";
    assert_eq!(
        text(&browser, &format!("{water} [data-figure=total]")).await,
        "Chưa có công tơ riêng cho tài nguyên này."
    );
    let electricity_total =
        text(&browser, "article[data-kind=bars][data-resource=electricity] [data-figure=total]").await;
    assert_eq!(electricity_total, locale::quantity(Resource::Electricity, 700.0, Lang::Vi));

    // The offices page: the common areas beside the departments, the same figures as the API.
    let (_, offices) = app.get("/api/v1/offices?period=2026-11").await;
    let common_row = offices["offices"][0]["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "khu-vuc-chung")
        .unwrap()
        .clone();
    common::approx(&common_row["resources"][0]["amount"], 1200.0);
    // Last November: 3 000 − 1 000 − 800 = 1 200 too: no change.
    common::approx(&common_row["resources"][0]["change_percent"], 0.0);
    browser.open(&app, "/offices?period=2026-11").await;
    assert_eq!(
        text(&browser, "tr[data-department=khu-vuc-chung] td[data-figure=electricity-amount]").await,
        locale::quantity(Resource::Electricity, 1200.0, Lang::Vi)
    );
    browser.quit().await;

    // The CSV: the API's numbers, Phòng B's water without a figure, the common areas' rows.
    let csv =
        app.http.get(app.url("/api/v1/export/scores.csv?period=2026-11")).send().await.unwrap().text().await.unwrap();
    let number = |cell: &str| json!(cell.parse::<f64>().unwrap_or_else(|_| panic!("`{cell}` is not a number")));
    let a = csv_row(&csv, "phong-a", "Điện");
    common::approx(&number(&a[5]), 1050.0);
    common::approx(&number(&a[8]), 900.0);
    assert_eq!(a[14], "đạt");
    let b = csv_row(&csv, "phong-b", "Nước");
    assert_eq!((b[8].as_str(), b[14].as_str(), b[15].as_str()), ("", "chưa có công tơ riêng", ""));
    common::approx(&number(&csv_row(&csv, "khu-vuc-chung", "Điện")[8]), 1200.0);
    common::approx(&number(&csv_row(&csv, "ca-van-phong", "Điện")[8]), 2800.0);
    common::approx(&number(&csv_row(&csv, "khu-vuc-chung", "Nước")[8]), 50.0);

    // The workbook: the same, cell by cell.
    let bytes =
        app.http.get(app.url("/api/v1/export/scores.xlsx?period=2026-11")).send().await.unwrap().bytes().await.unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("Điện").unwrap();
    let cell = |data: &calamine::Data| json!(data.as_f64().unwrap_or_else(|| panic!("{data} is not a number")));
    let a = xlsx_row(&sheet, "Phòng A");
    common::approx(&cell(&a[1]), 1050.0);
    common::approx(&cell(&a[4]), 900.0);
    assert_eq!(a[12].to_string(), "đạt");
    common::approx(&cell(&xlsx_row(&sheet, "Khu vực chung")[4]), 1200.0);
    common::approx(&cell(&xlsx_row(&sheet, "Cả văn phòng")[4]), 2800.0);
    let water = workbook.worksheet_range("Nước").unwrap();
    assert_eq!(xlsx_row(&water, "Phòng B")[4].to_string(), "chưa có công tơ riêng");
    let summary = workbook.worksheet_range("Tổng hợp").unwrap();
    assert_eq!(xlsx_row(&summary, "Phòng B")[2].to_string(), "chưa có công tơ riêng");
    app.stop().await;
}

/// The demo office as a newcomer makes it: the shipped config with `xanh simulate
/// --into-store` from 1 January 2025 (the baselines' year) to now, hourly, before the service
/// starts on the same store.
async fn demo_office() -> (TestApp, xanh::config::Config) {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    let text = shipped
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("listen = \"127.0.0.1:1883\"", "listen = \"127.0.0.1:0\"")
        .replace("path = \"data/xanh.db\"", &format!("path = \"{}\"", dir.path().join("xanh.db").display()));
    let file = dir.path().join("xanh.toml");
    std::fs::write(&file, &text).unwrap();
    let output = std::process::Command::new(common::binary())
        .args(["simulate", "--into-store", "--no-live", "--from", "2025-01-01", "--interval", "1h", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config = xanh::config::Config::parse("default.toml", &text, &|_| None).unwrap();
    (spawn_app_from(&text, dir).await, config)
}

/// The demo office (issue 13): the overview, the departments with the common areas, a
/// department's page, the scores, the offices and the waste page show what the API has, to
/// the unit, and both exports carry the same figures; the after-hours department and the
/// night leak the simulator made are the ones the waste figures find.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_office_shows_the_same_figures_on_every_page_the_api_and_both_exports() {
    use calamine::{DataType, Reader, Xlsx, open_workbook_from_rs};
    let (app, config) = demo_office().await;
    let today = today();
    let period = today.first_of_month().checked_sub(1.month()).unwrap().strftime("%Y-%m").to_string();
    let year = today.year().to_string();
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;
    let quantity = |resource: Resource, v: &Value| locale::quantity(resource, v.as_f64().unwrap(), Lang::Vi);

    // The overview: each resource's year to date as the API has it.
    browser.open(&app, "/").await;
    for resource in Resource::ALL {
        let r = resource.as_str();
        let (_, api) = app.get(&format!("/api/v1/progress?resource={r}&period={year}")).await;
        let shown =
            text(&browser, &format!("article[data-kind=progress][data-resource={r}] [data-figure=year-total]")).await;
        assert_eq!(shown, quantity(resource, &api["actual"]), "{r}: {api}");
    }

    // Departments compared: every department's figure or "no meter of its own", the common
    // areas the building's meter less its sub-meters.
    browser.open(&app, &format!("/departments?period={period}")).await;
    let mut tables = HashMap::new();
    for resource in [Resource::Electricity, Resource::Water] {
        let r = resource.as_str();
        let (status, table) = app.get(&format!("/api/v1/departments?resource={r}&period={period}")).await;
        assert_eq!(status, 200, "{table}");
        let article = format!("article[data-kind=ranking][data-resource={r}]");
        let mut metered = 0.0;
        for row in table["departments"].as_array().unwrap() {
            let id = row["department"].as_str().unwrap();
            let shown = text(&browser, &format!("{article} tr[data-row={id}] td[data-figure=total]")).await;
            match row["total"].as_f64() {
                Some(total) => {
                    metered += total;
                    assert_eq!(shown, locale::amount(total, Lang::Vi), "{r} {id}");
                }
                None => assert_eq!(shown, "chưa có công tơ riêng", "{r} {id}"),
            }
        }
        let common_area = &table["common_area"];
        common::approx(&common_area["amount"], common_area["office_total"].as_f64().unwrap() - metered);
        assert_eq!(
            text(&browser, &format!("{article} tr[data-row=khu-vuc-chung] td[data-figure=total]")).await,
            locale::amount(common_area["amount"].as_f64().unwrap(), Lang::Vi)
        );
        tables.insert(resource, table);
    }

    // The department the simulator leaves running after hours: its page, and the waste page
    // finds it the most wasteful outside working time.
    let wasteful_meter = Model::new(&config, 2026).demo(today).wasteful_meter().unwrap().clone();
    let wasteful = config.meter(&wasteful_meter).unwrap().department.clone().unwrap();
    browser.open(&app, &format!("/department?department={wasteful}&period={period}")).await;
    for resource in [Resource::Electricity, Resource::Water] {
        let rows = tables[&resource]["departments"].as_array().unwrap();
        let row = rows.iter().find(|d| d["department"] == wasteful.as_str()).unwrap();
        assert_eq!(
            text(
                &browser,
                &format!("article[data-kind=bars][data-resource={}] [data-figure=total]", resource.as_str())
            )
            .await,
            quantity(resource, &row["total"]),
            "{wasteful}"
        );
    }
    let mut outside = Vec::new();
    for department in &config.departments {
        let id = department.id.as_str();
        let (status, api) =
            app.get(&format!("/api/v1/waste?resource=electricity&department={id}&period=last-30-days")).await;
        assert_eq!(status, 200, "{api}");
        outside.push((api["shares"]["outside_working_time"].as_f64().unwrap(), id.to_owned()));
    }
    outside.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (share, most) = outside.last().unwrap().clone();
    assert_eq!(most, wasteful.as_str(), "{outside:?}");
    browser.open(&app, &format!("/waste?department={wasteful}")).await;
    assert_eq!(
        text(&browser, "article[data-kind=waste][data-resource=electricity] [data-figure=outside-share]").await,
        format!("{} %", locale::number(share * 100.0, 1, Lang::Vi))
    );
    // The night leak: the building's water meter, on the API and on the page.
    let (_, water) = app.get("/api/v1/waste?resource=water&period=last-30-days").await;
    let never_stop: Vec<&str> =
        water["never_stop_at_night"].as_array().unwrap().iter().map(|m| m["meter"].as_str().unwrap()).collect();
    assert_eq!(never_stop, ["nuoc-toa-nha"], "{water}");
    browser.open(&app, "/waste").await;
    let leaks = browser
        .script("return Array.from(document.querySelectorAll('[data-leak]')).map(l => l.dataset.leak)", json!([]))
        .await;
    assert_eq!(leaks, json!(never_stop));

    // Scores: every department's electricity, the common areas and the office on the page and
    // in both exports, as the API has them.
    let (status, scores) = app.get(&format!("/api/v1/scores?period={period}")).await;
    assert_eq!(status, 200, "{scores}");
    let csv = app
        .http
        .get(app.url(&format!("/api/v1/export/scores.csv?period={period}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bytes = app
        .http
        .get(app.url(&format!("/api/v1/export/scores.xlsx?period={period}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("Điện").unwrap();
    let number = |cell: &str| json!(cell.parse::<f64>().unwrap_or_else(|_| panic!("`{cell}` is not a number")));
    let cell = |data: &calamine::Data| json!(data.as_f64().unwrap_or_else(|| panic!("{data} is not a number")));
    browser.open(&app, &format!("/scores?period={period}")).await;
    for department in scores["departments"].as_array().unwrap() {
        let id = department["department"].as_str().unwrap();
        let electricity = department["resources"].as_array().unwrap().iter().find(|r| r["resource"] == "electricity");
        let actual = &electricity.unwrap()["actual"];
        let row = format!("section[data-resource=electricity] tr[data-department={id}]");
        assert_eq!(
            text(&browser, &format!("{row} td[data-figure=actual]")).await,
            locale::number(actual.as_f64().unwrap(), 1, Lang::Vi),
            "{id}"
        );
        common::approx(&number(&csv_row(&csv, id, "Điện")[8]), actual.as_f64().unwrap());
        common::approx(&cell(&xlsx_row(&sheet, department["name"].as_str().unwrap())[4]), actual.as_f64().unwrap());
    }
    let common_electricity =
        scores["common_areas"].as_array().unwrap().iter().find(|c| c["resource"] == "electricity").unwrap().clone();
    for (id, name, figure) in [
        ("khu-vuc-chung", "Khu vực chung", &common_electricity["amount"]),
        ("ca-van-phong", "Cả văn phòng", &common_electricity["office_total"]),
    ] {
        let value = figure.as_f64().unwrap();
        assert_eq!(
            text(
                &browser,
                &format!("section[data-resource=electricity] tr[data-department={id}] td[data-figure=actual]")
            )
            .await,
            locale::number(value, 1, Lang::Vi)
        );
        common::approx(&number(&csv_row(&csv, id, "Điện")[8]), value);
        common::approx(&cell(&xlsx_row(&sheet, name)[4]), value);
    }
    common::approx(
        &common_electricity["amount"],
        tables[&Resource::Electricity]["common_area"]["amount"].as_f64().unwrap(),
    );

    // The offices: the common areas' electricity as the departments page has it.
    browser.open(&app, &format!("/offices?period={period}")).await;
    assert_eq!(
        text(&browser, "tr[data-department=khu-vuc-chung] td[data-figure=electricity-amount]").await,
        quantity(Resource::Electricity, &common_electricity["amount"])
    );

    // The clerk's dropped digit is held for review, not counted.
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held: Vec<&Value> =
        rejected["items"].as_array().unwrap().iter().filter(|i| i["reason"] == "held_for_review").collect();
    assert_eq!(held.len(), 1, "{rejected}");
    assert_eq!(held[0]["meter"], "dien-toa-nha");
    browser.screenshot("demo-office-offices-desktop.png").await;
    browser.quit().await;
    app.stop().await;
}

/// Pages and text of a PDF, as poppler reads them.
fn pdf_pages_and_text(pdf: &[u8]) -> (u32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.pdf");
    std::fs::write(&file, pdf).unwrap();
    let info = std::process::Command::new("pdfinfo").arg(&file).output().expect("pdfinfo (poppler-utils) is installed");
    let info = String::from_utf8(info.stdout).unwrap();
    let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("a page count").trim().parse().unwrap();
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().unwrap();
    (pages, String::from_utf8(text.stdout).unwrap())
}

/// Printed from the browser (issue 17): the overview, the departments and the scores of the
/// demo office fit on as few A4 pages as their content needs (the overview on one; before the
/// print stylesheet, 5, 3 and 4 pages), without the menu, the period form, the buttons or the
/// download links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_departments_and_scores_print_on_few_a4_pages_without_controls() {
    let (app, _) = demo_office().await;
    let year = today().year();
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;
    let scores = format!("/scores?period={year}");
    let mut problems = Vec::new();
    for (path, most_pages, file) in [
        ("/", 1, "overview-print.pdf"),
        ("/departments", 2, "departments-print.pdf"),
        (scores.as_str(), 2, "scores-print.pdf"),
    ] {
        browser.open(&app, path).await;
        let (pages, text) = pdf_pages_and_text(&browser.pdf(file).await);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if pages > most_pages {
            problems.push(format!("{path} prints on {pages} A4 pages, more than {most_pages}"));
        }
        // The content is there…
        assert!(flat.contains("Văn phòng UBND tỉnh"), "{path}: {text}");
        // …and none of the controls: the menu, the period form and its button, the downloads.
        for control in ["Nhập số liệu", "Các văn phòng", "Kỳ (2026, 2026-Q3", "Tải Excel", "Tải CSV", "Đăng xuất"]
        {
            if flat.contains(control) {
                problems.push(format!("{path} prints \"{control}\""));
            }
        }
        // The scores form's button, a word of its own.
        if flat.split(' ').any(|word| word == "Xem") {
            problems.push(format!("{path} prints the button \"Xem\""));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    browser.quit().await;
    app.stop().await;
}

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
