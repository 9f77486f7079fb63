//! The demo office (`xanh simulate`'s model): the same figures on every page, the API and
//! both exports; and the pages printed from the browser.

use super::*;

/// The demo office as a newcomer makes it: the shipped config with `xanh simulate
/// --into-store` from 1 January 2025 (the baselines' year) to now, hourly, before the service
/// starts on the same store.
pub(super) async fn demo_office() -> (TestApp, xanh::config::Config) {
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
/// print stylesheet, 5, 3 and 4 pages; the departments and the scores have one more since
/// they show stationery, toner and fuel, issue 20), without the menu, the period form, the
/// buttons or the download links.
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
        ("/departments", 3, "departments-print.pdf"),
        (scores.as_str(), 3, "scores-print.pdf"),
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
