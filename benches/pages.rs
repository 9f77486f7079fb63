//! Each dashboard page's server time (median and 95th percentile over sequential requests)
//! and weight in bytes, with 100 meters × 1 year of one-minute readings in the store, plus a
//! chart's PNG download. Run with `cargo bench --bench pages`.
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
    if let Some((page, index)) = dashboards
        .pages
        .iter()
        .find_map(|p| p.panels.iter().position(|panel| panel.chart == ChartKind::Bars).map(|i| (p, i)))
    {
        cases.push((
            format!("chart PNG /charts/{}/{index}.png", page.id),
            format!("{base}/charts/{}/{index}.png", page.id),
        ));
    }
    // One request each first, so that SQLite's page cache is warm as in a running office.
    for (_, url) in &cases {
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
    }
    println!("server time over {REQUESTS} sequential requests each, 100 meters × 1 year of minute readings");
    for (name, url) in &cases {
        let (median, p95, bytes) = measure(&http, url, REQUESTS).await;
        println!("  {name:<48} median {median:>7.1} ms   p95 {p95:>7.1} ms   {bytes:>8} bytes");
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
