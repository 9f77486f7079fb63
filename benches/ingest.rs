//! Ingest in one run, every figure next to the one it is compared with:
//!
//! 1. `xanh import` of 200 000 readings for the 100 bench meters into a fresh store, in time
//!    order and as two time ranges of the same meters interleaved (as a gateway replaying a
//!    backlog while live readings continue sends them), the two alternating over 3 rounds;
//! 2. through Mosquitto, QoS 1, acks after the durable commit: the broker's raw rate to a plain
//!    subscriber, Xanh in time order, Xanh with the two ranges interleaved;
//! 3. the same with 4 publishers at once (each its own 25 meters), raw and Xanh in turn over
//!    5 rounds, each round's ratio and their median.
//!
//! Run with `cargo bench --bench ingest`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const READINGS_PER_METER: usize = 2_000;
const PUBLISHERS: usize = 4;
/// Rounds of raw and Xanh with several publishers (odd: the median is one of them).
const ROUNDS: usize = 5;
/// Rounds of `xanh import` in time order and interleaved (odd, as `ROUNDS`).
const IMPORT_ROUNDS: usize = 3;

/// The first half of every meter's readings and the second half, message by message in turn.
fn interleaved(messages: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let mut early = messages;
    let late = early.split_off(early.len() / 2);
    let mut out = Vec::with_capacity(early.len() + late.len());
    for (a, b) in early.into_iter().zip(late) {
        out.push(a);
        out.push(b);
    }
    out
}

/// Seconds `xanh import` takes to load `messages` (as CSV rows) into a fresh store.
fn import_seconds(dir: &Path, name: &str, messages: &[(String, Vec<u8>)]) -> f64 {
    let mut csv = String::from("meter;value;ts\n");
    for (topic, payload) in messages {
        let reading: serde_json::Value = serde_json::from_slice(payload).unwrap();
        let meter = topic.split('/').nth(1).unwrap();
        let value = reading["value"].as_f64().unwrap().to_string().replace('.', ",");
        csv += &format!("{meter};{value};{}\n", reading["ts"].as_str().unwrap());
    }
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, csv).unwrap();
    let config = dir.join(format!("{name}.toml"));
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{}\"", free_port());
    std::fs::write(&config, office_config(&mqtt, free_port(), &dir.join(format!("{name}.db")))).unwrap();
    let start = Instant::now();
    let output = Command::new(xanh_binary()).arg("import").arg(&file).arg("--config").arg(&config).output().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && said.contains(&format!("{} stored", messages.len())), "import: {said}");
    seconds
}

/// Every hourly total in the store `name` made, in order.
fn hours_of(dir: &Path, name: &str) -> Vec<(String, i64, f64)> {
    let conn = rusqlite::Connection::open(dir.join(format!("{name}.db"))).unwrap();
    let mut rows = conn.prepare("SELECT meter, hour, amount FROM consumption_hourly ORDER BY meter, hour").unwrap();
    rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// Whether two stores hold the same hourly totals (to a part in a billion).
fn same_hours(dir: &Path, a: &str, b: &str) -> String {
    let (a, b) = (hours_of(dir, a), hours_of(dir, b));
    let same = a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| x.0 == y.0 && x.1 == y.1 && (x.2 - y.2).abs() <= 1e-9 * x.2.abs().max(1.0));
    format!("{} ({} hours)", if same { "same hourly figures" } else { "DIFFERENT hourly figures" }, a.len())
}

/// A fresh Xanh behind Mosquitto storing and acknowledging `parts`, each published by its
/// own client at once: its rate, peak RSS, and what its one writer did.
struct OrderRun {
    rate: f64,
    rss: f64,
    /// Batches written and the mean number of readings in one.
    batches: f64,
    batch_size: f64,
}

async fn xanh_rate(dir: &Path, port: u16, name: &str, parts: Vec<Vec<(String, Vec<u8>)>>) -> OrderRun {
    let total: usize = parts.iter().map(Vec::len).sum();
    let run = publishers_run(dir, port, name, parts).await;
    OrderRun { rate: run.rate, rss: run.rss, batches: run.batches, batch_size: total as f64 / run.batches }
}

/// One round of Xanh with several publishers: its rate, peak RSS, and what its one writer
/// did (from `/metrics`): batches written and the share of the run spent in store writes.
struct PublishersRun {
    rate: f64,
    rss: f64,
    batches: f64,
    writing: f64,
}

async fn publishers_run(dir: &Path, port: u16, name: &str, parts: Vec<Vec<(String, Vec<u8>)>>) -> PublishersRun {
    let (xanh, web_port, http) = start_xanh_with_store(dir, port, name, "", &[]).await;
    let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
    let start = Instant::now();
    let publishers: Vec<_> = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| tokio::spawn(async move { publish_all(port, &format!("{i}"), part).await }))
        .collect();
    for publisher in publishers {
        publisher.await.unwrap();
    }
    while ingest_counter(&http, web_port, "stored").await < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let metrics = http.get(format!("http://127.0.0.1:{web_port}/metrics")).send().await.unwrap().text().await.unwrap();
    let sample =
        |name: &str| metrics.lines().find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok()).unwrap_or(f64::NAN);
    PublishersRun {
        rate: total as f64 / seconds,
        rss: xanh.peak_rss_mib(),
        batches: sample("xanh_store_write_seconds_count"),
        writing: sample("xanh_store_write_seconds_sum") / seconds,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let in_order = readings("xanh", READINGS_PER_METER);
    let total = in_order.len();

    // The two orders alternate, the one first in one round going second in the next: an
    // import takes 2–4 s, short enough for the other builds on the machine to move one side.
    println!("xanh import, {total} readings from 100 meters, {IMPORT_ROUNDS} rounds");
    let two_ranges = interleaved(in_order.clone());
    let mut ratios = Vec::new();
    for round in 0..IMPORT_ROUNDS {
        let (ordered_name, mixed_name) = (format!("import-in-order-{round}"), format!("import-interleaved-{round}"));
        let (ordered, mixed) = if round % 2 == 0 {
            let ordered = import_seconds(dir.path(), &ordered_name, &in_order);
            (ordered, import_seconds(dir.path(), &mixed_name, &two_ranges))
        } else {
            let mixed = import_seconds(dir.path(), &mixed_name, &two_ranges);
            (import_seconds(dir.path(), &ordered_name, &in_order), mixed)
        };
        ratios.push(ordered / mixed);
        println!(
            "  round {}{}: in time order {ordered:.2} s ({:.0} readings/s), two ranges interleaved {mixed:.2} s \
             ({:.0} readings/s): {:.2} × in order; {}",
            round + 1,
            if round % 2 == 0 { "" } else { " (interleaved first)" },
            total as f64 / ordered,
            total as f64 / mixed,
            ordered / mixed,
            same_hours(dir.path(), &ordered_name, &mixed_name),
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!("  median over {IMPORT_ROUNDS} rounds: {:.2} × in order", ratios[ratios.len() / 2]);

    let (_mosquitto, port) = start_mosquitto(dir.path());
    println!(
        "Mosquitto max_inflight_messages {}, Xanh ingest.batch_size {}",
        broker_inflight(),
        std::env::var("XANH_BENCH_BATCH_SIZE").unwrap_or_else(|_| "its default".into())
    );
    let raw = raw_rate(port, READINGS_PER_METER, 1).await;
    let ordered = xanh_rate(dir.path(), port, "in-order", vec![in_order.clone()]).await;
    let mixed = xanh_rate(dir.path(), port, "interleaved", vec![interleaved(in_order.clone())]).await;
    println!("ingest through Mosquitto, QoS 1, {total} readings from 100 meters, one publisher");
    println!("  raw broker → plain subscriber: {raw:>9.0} msg/s");
    println!(
        "  Xanh, ack after commit:        {:>9.0} readings/s ({:.0} % of raw), peak RSS {:.1} MiB; {:.0} batches of {:.0}",
        ordered.rate,
        100.0 * ordered.rate / raw,
        ordered.rss,
        ordered.batches,
        ordered.batch_size
    );
    // Half the interleaved readings are late; a meter has one in every 200 messages, so a
    // batch holds about batch size / 200 late readings of each of its meters.
    println!(
        "  Xanh, two ranges interleaved:  {:>9.0} readings/s ({:.2} × in order), peak RSS {:.1} MiB; {:.0} batches of {:.0}",
        mixed.rate,
        mixed.rate / ordered.rate,
        mixed.rss,
        mixed.batches,
        mixed.batch_size
    );
    println!("  {}", same_hours(dir.path(), "in-order", "interleaved"));

    // Raw and Xanh alternate, the one first in one round going second in the next, so that
    // both meet the same moments of the machine's load (other builds share its 2 cores).
    println!("the same with {PUBLISHERS} publishers at once, each its own 25 meters, {ROUNDS} rounds");
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let parts = by_publisher(in_order.clone(), PUBLISHERS);
        let name = format!("publishers-{round}");
        let (raw, xanh) = if round % 2 == 0 {
            let raw = raw_rate(port, READINGS_PER_METER, PUBLISHERS).await;
            (raw, publishers_run(dir.path(), port, &name, parts).await)
        } else {
            let xanh = publishers_run(dir.path(), port, &name, parts).await;
            (raw_rate(port, READINGS_PER_METER, PUBLISHERS).await, xanh)
        };
        ratios.push(xanh.rate / raw);
        println!(
            "  round {}{}: raw {raw:>7.0} msg/s, Xanh (ack after commit) {:>7.0} readings/s: {:.0} % of raw; \
             {:.0} batches of {:.0} on average, writing {:.0} % of the time; peak RSS {:.1} MiB",
            round + 1,
            if round % 2 == 0 { "" } else { " (Xanh first)" },
            xanh.rate,
            100.0 * xanh.rate / raw,
            xanh.batches,
            total as f64 / xanh.batches,
            100.0 * xanh.writing,
            xanh.rss,
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!("  median over {ROUNDS} rounds: {:.0} % of raw", 100.0 * ratios[ratios.len() / 2]);
}
