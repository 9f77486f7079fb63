//! Dashboard and `/api/v1/consumption` latency with 100 meters × 1 year of one-minute readings
//! in the store, and the service's peak memory. Run with `cargo bench --bench queries`.
//!
//! The year of readings (52,6 million) is generated once with `xanh simulate --into-store`
//! and kept in target/bench-data; delete that folder to generate it again.

#[path = "support/mod.rs"]
mod support;

use support::*;

const REQUESTS: usize = 200;

#[tokio::main]
async fn main() {
    let (xanh, base, http) = start_year_service("bench.toml");
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let month = today.first_of_month();
    let year_ago = today.first_of_month().checked_sub(jiff::Span::new().months(11)).unwrap();
    let next_month = month.checked_add(jiff::Span::new().months(1)).unwrap();
    let cases = [
        (
            "year by month (office, electricity)",
            format!("{base}/api/v1/consumption?resource=electricity&from={year_ago}&to={next_month}&step=month"),
        ),
        (
            "month by hour (office, electricity)",
            format!("{base}/api/v1/consumption?resource=electricity&from={month}&to={next_month}&step=hour"),
        ),
        (
            "month by day (one department)",
            format!(
                "{base}/api/v1/consumption?resource=electricity&department=phong-3&from={month}&to={next_month}&step=day"
            ),
        ),
        ("dashboard overview page /", format!("{base}/")),
        ("meters /api/v1/meters", format!("{base}/api/v1/meters")),
    ];
    // One request each first, so that the page cache is warm as in a running office.
    for (_, url) in &cases {
        http.get(url).send().await.unwrap();
    }
    println!("latency over {REQUESTS} requests each, 100 meters × 1 year of minute readings");
    for (name, url) in &cases {
        let (median, p95, bytes) = measure(&http, url, REQUESTS).await;
        println!("  {name:<38} median {median:>7.2} ms   p95 {p95:>7.2} ms   {bytes:>7} bytes");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
}
