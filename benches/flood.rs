//! Good readings under a flood of garbage, through Mosquitto with QoS 1: the rate at which N
//! good readings from the 100 bench meters are stored alone, then again (fresh store and
//! broker) while a second publisher pushes 2×N garbage messages as fast as it can (malformed
//! JSON, unknown meters, non-numeric values, 10 KB payloads, NaN). Every garbage message must
//! be kept among the rejected. Run with `cargo bench --bench flood`.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

const READINGS_PER_METER: usize = 1_000;
const GARBAGE_PER_GOOD: usize = 2;

/// The kinds of garbage, in turn: each is refused for a different reason.
const KINDS: [&str; 5] = ["malformed JSON", "unknown meter", "non-numeric value", "10 KB payload", "NaN"];

fn garbage_messages(count: usize) -> Vec<(String, Vec<u8>)> {
    let ids = meter_ids();
    let huge = format!(r#"{{"value": "{}"}}"#, "x".repeat(10 * 1024)).into_bytes();
    (0..count)
        .map(|i| {
            let meter = &ids[i % ids.len()];
            let real = format!("xanh/{meter}/reading");
            match i % KINDS.len() {
                0 => (real, format!(r#"{{"value": {i}, "ts": "2026-01-05T00:00"#).into_bytes()),
                1 => (format!("xanh/khong-co-{i}/reading"), format!(r#"{{"value": {i}}}"#).into_bytes()),
                2 => (real, br#"{"value": "mot nghin"}"#.to_vec()),
                3 => (real, huge.clone()),
                _ => (real, b"NaN".to_vec()),
            }
        })
        .collect()
}

async fn get(http: &reqwest::Client, web_port: u16, path: &str) -> Value {
    match http.get(format!("http://127.0.0.1:{web_port}{path}")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    }
}

struct Run {
    good: usize,
    good_secs: f64,
    garbage: usize,
    garbage_secs: f64,
    kept: u64,
    peak_rss: f64,
}

async fn run(flood: bool) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (_mosquitto, port) = start_mosquitto(dir.path());
    let (xanh, web_port, http) = start_xanh_behind(dir.path(), port).await;

    let good = readings("xanh", READINGS_PER_METER);
    let good_count = good.len();
    let garbage = if flood { garbage_messages(good_count * GARBAGE_PER_GOOD) } else { Vec::new() };
    let garbage_count = garbage.len();
    let start = Instant::now();
    let flooder = tokio::spawn(publish_all(port, "garbage", garbage));
    let publisher = tokio::spawn(publish_all(port, "good", good));
    while ingest_counter(&http, web_port, "stored").await < good_count as u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let good_secs = start.elapsed().as_secs_f64();
    publisher.await.unwrap();
    flooder.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while ingest_counter(&http, web_port, "rejected").await < garbage_count as u64 {
        assert!(Instant::now() < deadline, "the garbage was not all handled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let garbage_secs = start.elapsed().as_secs_f64();
    let stored = ingest_counter(&http, web_port, "stored").await;
    assert_eq!(stored, good_count as u64, "garbage was stored as readings");
    let kept = get(&http, web_port, "/api/v1/rejected?limit=1").await["total"].as_u64().unwrap_or(0);
    Run { good: good_count, good_secs, garbage: garbage_count, garbage_secs, kept, peak_rss: xanh.peak_rss_mib() }
}

#[tokio::main]
async fn main() {
    let alone = run(false).await;
    let flooded = run(true).await;
    let rate = |r: &Run| r.good as f64 / r.good_secs;
    println!("good readings through Mosquitto, QoS 1, {} readings from 100 meters", alone.good);
    println!("  alone:                  {:>8.0} readings/s ({:.2} s)", rate(&alone), alone.good_secs);
    println!("  with {} garbage:     {:>8.0} readings/s ({:.2} s)", flooded.garbage, rate(&flooded), flooded.good_secs);
    println!("  slowdown:               {:>8.2}×", rate(&alone) / rate(&flooded));
    println!(
        "  garbage ({}): all handled after {:.2} s ({:.0} msg/s with the good ones), kept as rejected: {} of {}",
        KINDS.join(", "),
        flooded.garbage_secs,
        (flooded.good + flooded.garbage) as f64 / flooded.garbage_secs,
        flooded.kept,
        flooded.garbage
    );
    println!("  Xanh peak RSS:          {:>8.1} MiB alone, {:.1} MiB flooded", alone.peak_rss, flooded.peak_rss);
    assert_eq!(flooded.kept, flooded.garbage as u64, "garbage was lost");
}
