//! End-to-end ingest through Mosquitto, QoS 1, acks after durable commit, 100 meters: Xanh's
//! sustained readings per second next to the same broker's raw QoS 1 rate to a plain
//! subscriber, measured in the same run. Run with `cargo bench --bench ingest`.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;

const READINGS_PER_METER: usize = 2_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (_mosquitto, port) = start_mosquitto(dir.path());
    let raw = raw_rate(port, READINGS_PER_METER).await;

    let (xanh, web_port, http) = start_xanh_behind(dir.path(), port).await;
    let batch = readings("xanh", READINGS_PER_METER);
    let total = batch.len() as u64;
    let start = Instant::now();
    publish_all(port, "xanh", batch).await;
    while ingest_counter(&http, web_port, "stored").await < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!("ingest through Mosquitto, QoS 1, {total} readings from 100 meters");
    println!("  raw broker → plain subscriber: {raw:>9.0} msg/s");
    println!("  Xanh, ack after commit:        {rate:>9.0} readings/s ({:.0} % of raw)", 100.0 * rate / raw);
    println!("  Xanh peak RSS:                 {:>9.1} MiB", xanh.peak_rss_mib());
}
