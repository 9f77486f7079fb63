//! One ingestor against two sharing a subscription (`mqtt.shared_group`), behind Mosquitto:
//! the time until every instance has stored every reading of 100 meters, and how the devices'
//! messages split. Each of the two stores every reading (its own and its peer's), so on one
//! machine the pair does more work than one instance; run them on separate machines for
//! scale-out figures. Run with `cargo bench --bench shared`.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;

const READINGS_PER_METER: usize = 1_000;

/// An ingest counter of every instance, until each has stored `total`; the seconds it took.
async fn until_stored(instances: &[(u16, reqwest::Client)], total: u64, start: Instant) -> f64 {
    for (web_port, http) in instances {
        while ingest_counter(http, *web_port, "stored").await < total {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let readings = readings("xanh", READINGS_PER_METER);
    let total = readings.len() as u64;

    let dir = tempfile::tempdir().unwrap();
    let (_mosquitto, port) = start_mosquitto(dir.path());
    let (single, web_port, http) = start_xanh_with_store(dir.path(), port, "single", "", &[]).await;
    let start = Instant::now();
    publish_all(port, "single", readings.clone()).await;
    let one = until_stored(&[(web_port, http)], total, start).await;
    let single_rss = single.peak_rss_mib();
    drop(single);

    // A fresh broker, so that the stopped instance's session does not collect messages.
    let dir = tempfile::tempdir().unwrap();
    let (_mosquitto, port) = start_mosquitto(dir.path());
    let group = [("XANH_MQTT_SHARED_GROUP", "bench")];
    let (a, a_port, a_http) = start_xanh_with_store(dir.path(), port, "a", "", &group).await;
    let (b, b_port, b_http) = start_xanh_with_store(dir.path(), port, "b", "", &group).await;
    let start = Instant::now();
    publish_all(port, "group", readings).await;
    let shares = [ingest_counter(&a_http, a_port, "messages").await, ingest_counter(&b_http, b_port, "messages").await];
    let two = until_stored(&[(a_port, a_http.clone()), (b_port, b_http.clone())], total, start).await;
    let shares_at_end =
        [ingest_counter(&a_http, a_port, "messages").await, ingest_counter(&b_http, b_port, "messages").await];

    println!("{total} readings of 100 meters through Mosquitto, QoS 1, every instance holding all of them");
    println!(
        "  one instance:               {:>7.0} readings/s ({one:.1} s), peak RSS {single_rss:.1} MiB",
        total as f64 / one
    );
    println!(
        "  two sharing (same machine): {:>7.0} readings/s ({two:.1} s), peak RSS {:.1} + {:.1} MiB",
        total as f64 / two,
        a.peak_rss_mib(),
        b.peak_rss_mib()
    );
    println!(
        "  devices' messages decoded:  {} + {} (when publishing ended: {} + {})",
        shares_at_end[0], shares_at_end[1], shares[0], shares[1]
    );
}
