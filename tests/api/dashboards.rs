//! Dashboard pages as data: a page file added to the folder is served without a rebuild, a
//! wrong one stops the start naming the file and the mistake, and a wrong choice in a page's
//! address gets a 400 that says what to choose.

use xanh::app::Application;
use xanh::config::Config;

use crate::common;
use crate::common::{config_text, embedded_mqtt, spawn_app, spawn_app_from};

/// The test office's config text, reading its pages from `dir`.
fn config_with_dashboards(dir: &std::path::Path, store: &std::path::Path) -> String {
    config_text(&embedded_mqtt(), store).replace("[web]\n", &format!("[web]\ndashboards = \"{}\"\n", dir.display()))
}

async fn get_text(app: &common::TestApp, path: &str) -> (u16, String) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_wrong_page_file_stops_the_start_naming_the_file_and_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(pages.join("dien.toml"), "path = \"/dien\"\ntitle = { vi = \"Điện\", en = \"Electricity\" }\n\n[[panels]]\nchart = \"pie\"\nresource = \"electricity\"\n").unwrap();
    let config =
        Config::parse("test.toml", &config_with_dashboards(&pages, &dir.path().join("x.db")), &|_| None).unwrap();
    let error = Application::build(config).await.err().expect("the start is refused").to_string();
    let file = pages.join("dien.toml");
    assert!(
        error.starts_with(&format!(
            "{}: panels[0].chart: `pie` is not a chart kind; fix: use progress, bars",
            file.display()
        )),
        "{error}"
    );
}

#[tokio::test]
async fn a_page_added_as_data_is_served_with_its_chart_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(
        pages.join("ban-dem.toml"),
        "path = \"/ban-dem\"\ntitle = { vi = \"Ban đêm\", en = \"At night\" }\nnav = 1\n\n\
         [[panels]]\nchart = \"heatmap\"\nresource = \"electricity\"\nperiod = \"last-7-days\"\n\n\
         [[panels]]\nchart = \"meters\"\nresource = \"water\"\n",
    )
    .unwrap();
    let text = config_with_dashboards(&pages, &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;

    let (status, html) = get_text(&app, "/ban-dem").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h2 class=\"page-title\">Ban đêm</h2>"), "{html}");
    assert!(html.contains("aria-current=\"page\""), "the page is in the navigation");
    assert!(html.contains("<title>Điện theo giờ trong tuần — 7 ngày qua</title>"), "{html}");
    // Only the water meters, as the panel asks.
    assert_eq!(html.matches("data-meter=").count(), 2, "{html}");

    let response = app.http.get(app.url("/charts/ban-dem/0.png?lang=en")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.unwrap();
    let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("the PNG decodes");
    assert_eq!(image.width(), 1120);

    // The shipped overview is not among these pages; a table has no PNG; unknown pages say
    // which there are.
    assert_eq!(app.get("/").await.0, 404);
    let (status, body) = app.get("/charts/ban-dem/1.png").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("a table, not a chart"), "{body}");
    let (status, body) = app.get("/charts/tong-quan/0.png").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("use one of ban-dem"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_choice_in_the_address_says_what_to_choose() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/resource?period=yesterday", "period `yesterday` is not known"),
        ("/resource?resource=gas", "gas"),
        ("/resource?from=2026-11-01", "give both `from` and `to`"),
        ("/resource?from=2026-12-01&to=2026-11-01", "`from` must be before `to`"),
        ("/department?department=phong-khong-co", "choose one of phong-a, phong-b"),
        ("/resource?period=gd1&step=hour", "choose a larger step or a shorter range"),
        ("/waste?period=gd1", "choose a year or less"),
    ] {
        let (status, html) = get_text(&app, path).await;
        assert_eq!(status, 400, "{path}: {html}");
        assert!(html.contains("data-error=\"query\""), "{path} is shown as a page: {html}");
        assert!(html.contains(expected), "{path}: {html}");
    }
    // The same choices that work in the address work for the chart's PNG.
    let response =
        app.http.get(app.url("/charts/resource/0.png?resource=water&period=2026-Q4&step=day")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = app.get("/charts/resource/0.png?period=yesterday").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("period `yesterday` is not known"), "{body}");

    for (query, expected) in [
        ("", "`resource` is missing"),
        ("resource=water&period=yesterday", "period `yesterday` is not known"),
        ("resource=water&from=2024-01-01&to=2026-01-01", "choose a year or less"),
        ("resource=water&period=2026&from=2026-01-01", "either `period` or both"),
        ("resource=water&department=phong-khong-co", "no department"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/waste?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(expected), "{query}: {body}");
    }
    app.stop().await;
}
