//! Dashboard and `/api/v1/consumption` latency with 100 meters × 1 year of one-minute readings
//! in the store, and the service's peak memory. Run with `cargo bench --bench queries`.
//!
//! The year of readings (52,6 million) is generated once with `xanh simulate --into-store`
//! and kept in target/bench-data; delete that folder to generate it again.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Instant;

use support::*;

const REQUESTS: usize = 200;

async fn measure(http: &reqwest::Client, url: &str) -> (f64, f64, usize) {
    let mut samples = Vec::with_capacity(REQUESTS);
    let mut bytes = 0;
    for _ in 0..REQUESTS {
        let start = Instant::now();
        let response = http.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        bytes = response.bytes().await.unwrap().len();
        samples.push(start.elapsed());
    }
    let (median, p95) = percentiles(samples);
    (median, p95, bytes)
}

#[tokio::main]
async fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let web_port = free_port();
    let mqtt_port = free_port();
    let config = data.join("bench.toml");
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    std::fs::write(&config, office_config(&mqtt, web_port, &data.join("year.db"))).unwrap();
    ensure_year_of_data(&data, &config);

    let xanh = start_xanh(&config, web_port);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{web_port}");
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let month = today.first_of_month();
    let year_ago = today.first_of_month().checked_sub(jiff::Span::new().months(11)).unwrap();
    let next_month = month.checked_add(jiff::Span::new().months(1)).unwrap();
    let cases = [
        ("year by month (office, electricity)", format!("{base}/api/v1/consumption?resource=electricity&from={year_ago}&to={next_month}&step=month")),
        ("month by hour (office, electricity)", format!("{base}/api/v1/consumption?resource=electricity&from={month}&to={next_month}&step=hour")),
        ("month by day (one department)", format!("{base}/api/v1/consumption?resource=electricity&department=phong-3&from={month}&to={next_month}&step=day")),
        ("dashboard overview page /", format!("{base}/")),
        ("meters /api/v1/meters", format!("{base}/api/v1/meters")),
    ];
    // One request each first, so that the page cache is warm as in a running office.
    for (_, url) in &cases {
        http.get(url).send().await.unwrap();
    }
    println!("latency over {REQUESTS} requests each, 100 meters × 1 year of minute readings");
    for (name, url) in &cases {
        let (median, p95, bytes) = measure(&http, url).await;
        println!("  {name:<38} median {median:>7.2} ms   p95 {p95:>7.2} ms   {bytes:>7} bytes");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
}
