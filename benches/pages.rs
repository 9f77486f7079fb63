//! Each dashboard page's server time (median and 95th percentile over sequential requests)
//! and weight in bytes, with 100 meters × 1 year of one-minute readings in the store (or
//! every `XANH_BENCH_INTERVAL`), every page of the menu and the PNG download of each chart
//! kind. Run with `cargo bench --bench pages`.
//!
//! The store is the one `cargo bench --bench queries` builds (target/bench-data/year.db).

#[path = "support/mod.rs"]
mod support;

use support::*;
use xanh::web::{ChartKind, Dashboards};

const REQUESTS: usize = 60;

#[tokio::main]
async fn main() {
    let (xanh, base, http) = start_year_service("pages.toml");
    let dashboards = Dashboards::load(None).expect("the shipped dashboards load");
    let mut cases: Vec<(String, String)> =
        dashboards.pages.iter().map(|p| (format!("page {}", p.path), format!("{base}{}", p.path))).collect();
    cases.push((
        "page /resource, gd1 by month, one department".into(),
        format!("{base}/resource?department=phong-3&period=gd1&step=month"),
    ));
    cases.push(("page /resource, this month by hour".into(), format!("{base}/resource?period=this-month&step=hour")));
    cases.push(("page /offices".into(), format!("{base}/offices")));
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).year();
    cases.push((format!("page /offices, year {year}"), format!("{base}/offices?period={year}")));
    cases.push((format!("page /waste, year {year}"), format!("{base}/waste?period={year}")));
    // Every other page of the menu a user opens, the admin's included.
    for path in [
        "/entry",
        "/documents",
        "/plan",
        "/reports",
        "/rejected",
        "/alerts",
        "/start",
        "/admin/meters",
        "/admin/meters/dien-0-0",
        "/admin/devices",
        "/admin/departments",
        "/admin/tariffs",
        "/admin/calendar",
        "/admin/supply-prices",
        "/admin/emission-factors",
        "/admin/users",
        "/admin/audit",
        "/admin/recipients",
    ] {
        cases.push((format!("page {path}"), format!("{base}{path}")));
    }
    cases.push(("export audit.csv".into(), format!("{base}/api/v1/export/audit.csv")));
    // The PNG download of the first panel of each chart kind, and the year's heat map.
    let mut kinds_seen = Vec::new();
    for page in &dashboards.pages {
        for (index, panel) in page.panels.iter().enumerate() {
            if panel.chart == ChartKind::Supplies || kinds_seen.contains(&panel.chart) {
                continue; // the supplies panel is a table, not a chart
            }
            kinds_seen.push(panel.chart);
            let url = format!("{base}/charts/{}/{index}.png", page.id);
            if http.get(&url).send().await.unwrap().status().is_success() {
                cases.push((format!("chart PNG /charts/{}/{index}.png", page.id), url));
            }
        }
    }
    if let Some((page, index)) = dashboards
        .pages
        .iter()
        .find_map(|p| p.panels.iter().position(|panel| panel.chart == ChartKind::Heatmap).map(|i| (p, i)))
    {
        cases.push((
            format!("chart PNG /charts/{}/{index}.png, year {year}", page.id),
            format!("{base}/charts/{}/{index}.png?period={year}", page.id),
        ));
    }
    // One request each first, so that SQLite's page cache is warm as in a running office.
    for (_, url) in &cases {
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
    }
    println!(
        "server time over {REQUESTS} sequential requests each, 100 meters × 1 year of {} readings",
        year_interval()
    );
    for (name, url) in &cases {
        let (median, p95, bytes) = measure(&http, url, REQUESTS).await;
        println!("  {name:<56} median {median:>7.1} ms   p95 {p95:>7.1} ms   {bytes:>8} bytes");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
    // Office-wide year-long waste figures none of which is kept yet (15 year-long ranges of
    // electricity, each starting a day later): each reads a year of hours of 70 meters from the
    // store, which must not leave memory behind.
    let before = xanh.peak_rss_mib();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date();
    let mut samples = Vec::new();
    for shift in 0..15 {
        let from = today.checked_sub(jiff::Span::new().days(365 - shift)).unwrap();
        let to = from.checked_add(jiff::Span::new().days(365)).unwrap();
        let url = format!("{base}/api/v1/waste?resource=electricity&from={from}&to={to}");
        let start = std::time::Instant::now();
        let response = http.get(&url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.unwrap();
        samples.push(start.elapsed());
    }
    let (median, p95) = percentiles(samples);
    println!(
        "  15 year-long /api/v1/waste, figures read from the store: median {median:.1} ms, p95 {p95:.1} ms; peak RSS {before:.1} → {:.1} MiB",
        xanh.peak_rss_mib()
    );
}
