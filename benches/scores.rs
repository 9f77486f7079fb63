//! Scores and exports over 100 meters × 1 year of one-minute readings: `GET /api/v1/scores`,
//! the XLSX and CSV exports, the `/scores` page and office-wide progress. Run with
//! `cargo bench --bench scores`; it shares the year of readings with the `queries` bench.

#[path = "support/mod.rs"]
mod support;

use support::*;

#[tokio::main]
async fn main() {
    let (xanh, base, http) = start_year_service("bench.toml");
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    // Documents for every department and month of the year so far, so that every criterion
    // is scored (entering a month again replaces it: the store does not grow between runs).
    for d in 0..DEPARTMENTS {
        for month in 1..today.month() {
            let body = serde_json::json!({"department": format!("phong-{d}"), "month": format!("{}-{month:02}", today.year()), "electronic": 90 + d, "paper": 10});
            let response = http.post(format!("{base}/api/v1/documents")).json(&body).send().await.unwrap();
            let status = response.status();
            assert!(status.is_success(), "{status}: {}", response.text().await.unwrap_or_default());
        }
    }
    let year = today.year();
    let quarter = (today.month() - 1) / 3 + 1;
    let cases = [
        ("scores, year (JSON)", format!("{base}/api/v1/scores?period={year}"), 50),
        ("scores, quarter (JSON)", format!("{base}/api/v1/scores?period={year}-Q{quarter}"), 50),
        ("scores, phase gd1 (JSON)", format!("{base}/api/v1/scores?period=gd1"), 50),
        ("export scores.xlsx, year", format!("{base}/api/v1/export/scores.xlsx?period={year}"), 50),
        ("export scores.csv, year", format!("{base}/api/v1/export/scores.csv?period={year}"), 50),
        ("page /scores, year", format!("{base}/scores?period={year}"), 50),
        (
            "progress, office electricity, year",
            format!("{base}/api/v1/progress?resource=electricity&period={year}"),
            200,
        ),
    ];
    for (_, url, _) in &cases {
        http.get(url).send().await.unwrap();
    }
    println!("latency, 100 meters × 1 year of {} readings, 10 departments", year_interval());
    for (name, url, requests) in &cases {
        let (median, p95, bytes) = measure(&http, url, *requests).await;
        println!("  {name:<36} median {median:>8.2} ms   p95 {p95:>8.2} ms   {bytes:>7} bytes   ({requests} requests)");
    }
    println!("  Xanh peak RSS during the run: {:.1} MiB", xanh.peak_rss_mib());
}
