//! The signed report over 100 meters × 1 year of one-minute readings: the year's report as PDF
//! and DOCX (and a month's, for scale), p95 latency and the service's peak memory. Run with
//! `cargo bench --bench report`; it shares the year of readings with the `queries` and
//! `scores` benches.

#[path = "support/mod.rs"]
mod support;

use support::*;

#[tokio::main]
async fn main() {
    let (xanh, base, http) = start_year_service("bench.toml");
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let year = today.year();
    let last_month = today.first_of_month().yesterday().unwrap();
    let month = format!("{}-{:02}", last_month.year(), last_month.month());
    let cases = [
        ("report.pdf, year", format!("{base}/api/v1/export/report.pdf?period={year}"), 20),
        ("report.docx, year", format!("{base}/api/v1/export/report.docx?period={year}"), 20),
        ("report.pdf, month", format!("{base}/api/v1/export/report.pdf?period={month}"), 20),
    ];
    for (_, url, _) in &cases {
        http.get(url).send().await.unwrap();
    }
    println!("latency, 100 meters × 1 year of minute readings, 10 departments");
    for (name, url, requests) in &cases {
        let (median, p95, bytes) = measure(&http, url, *requests).await;
        println!("  {name:<20} median {median:>8.2} ms   p95 {p95:>8.2} ms   {bytes:>8} bytes   ({requests} requests)");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
}
