//! The dashboard in a real browser (headless Chromium): the figures it shows are the API's,
//! every chart renders, and screenshots at desktop and phone sizes are kept for review in
//! target/screenshots.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{publish, TestApp};
use jiff::{SignedDuration, Timestamp, ToSpan};
use xanh::simulate::Model;
use xanh::web::format::{self, Lang};

fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("Chromium is installed (scripts/test installs Debian's chromium)")
}

/// Run headless Chromium with its own profile; returns stdout.
fn run_chromium(args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--lang=vi-VN"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn screenshot(url: &str, name: &str, width: u32, height: u32) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    run_chromium(&[&format!("--screenshot={}", path.display()), &format!("--window-size={width},{height}"), url]);
    path
}

/// The text inside the first element after `marker` in `html`.
fn text_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("`{marker}` is not on the page"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_owned()
}

/// The part of the page for one resource.
fn panel<'a>(html: &'a str, resource: &str) -> &'a str {
    let start = html.find(&format!("data-resource=\"{resource}\"")).expect("the resource panel is shown");
    let end = html[start..].find("</article>").unwrap();
    &html[start..start + end]
}

/// Publish two simulated days, up to now, for every meter of the test office.
async fn seed(app: &TestApp) -> usize {
    let config = xanh::config::Config::parse("test.toml", &common::config_text(&common::embedded_mqtt(), Path::new("x.db")), &|_| None).unwrap();
    let mut model = Model::new(&config, 42);
    let now = Timestamp::now();
    let mut t = now - SignedDuration::from_hours(48);
    let mut messages = Vec::new();
    model.advance(t, t);
    while t < now {
        let next = (t + SignedDuration::from_mins(15)).min(now);
        for r in model.advance(t, next) {
            messages.push((r.topic.as_str().to_owned(), r.payload()));
        }
        t = next;
    }
    let borrowed: Vec<(&str, String)> = messages.iter().map(|(t, p)| (t.as_str(), p.clone())).collect();
    publish(&app.mqtt, &borrowed).await;
    messages.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_the_api_figures_in_vietnamese_with_every_chart() {
    // The command-line browser cannot sign in, so this office opens its overview to everyone
    // (web.public_overview); the other pages stay behind the login.
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"))
        .replace("[web]\n", "[web]\npublic_overview = true\n");
    let app = common::spawn_app_from(&text, dir).await;
    let sent = seed(&app).await;
    app.wait_processed(sent as u64).await;

    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = Timestamp::now().to_zoned(tz).date();
    let month = today.first_of_month();
    let next_month = month.checked_add(1.month()).unwrap();
    let html = run_chromium(&["--dump-dom", &app.url("/")]);

    assert!(html.contains("<html lang=\"vi\""), "the page is Vietnamese by default");
    assert!(html.contains("Văn phòng thử nghiệm"));
    for (resource, name, unit) in [("electricity", "Điện", "kWh"), ("water", "Nước", "m³"), ("paper", "Giấy", "tờ")] {
        let api = app
            .consumption(&format!("resource={resource}&from={month}&to={next_month}&step=day"))
            .await;
        let total = api["total"].as_f64().unwrap();
        let section = panel(&html, resource);
        assert!(section.contains(&format!("{name} ({unit})")), "{section}");
        let shown = text_after(section, "data-figure=\"month-total\"");
        let resource_type: xanh::domain::Resource = resource.parse().unwrap();
        assert_eq!(shown, format::quantity(resource_type, total, Lang::Vi), "{resource}");
        assert!(shown.ends_with(unit), "{shown}");
        if resource != "paper" {
            assert!(total > 0.0, "the simulator used some {resource}");
        }
        // Two charts, each an SVG with a title and a description for screen readers.
        assert_eq!(section.matches("<svg").count(), 2, "{resource}");
        assert_eq!(section.matches("<title>").count(), 2, "{resource}");
        assert_eq!(section.matches("<desc>").count(), 2, "{resource}");
    }
    // Vietnamese date in the status line: dd/mm/yyyy.
    let updated = text_after(&html, "data-figure=\"updated\"");
    assert!(updated.ends_with(&today.strftime("%d/%m/%Y").to_string()), "{updated}");
    // Every configured meter is listed, with its last reading.
    assert_eq!(html.matches("data-meter=").count(), 7);

    let english = run_chromium(&["--dump-dom", &app.url("/?lang=en")]);
    assert!(english.contains("<html lang=\"en\"") && english.contains("Electricity (kWh)"));

    for (name, width, height) in [("overview-desktop.png", 1366, 1800), ("overview-phone.png", 390, 2400)] {
        let shot = screenshot(&app.url("/"), name, width, height);
        let bytes = std::fs::read(&shot).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "{name} is not a real screenshot");
    }
    app.stop().await;
}
