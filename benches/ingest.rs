//! End-to-end ingest through Mosquitto, QoS 1, acks after durable commit, 100 meters: Xanh's
//! sustained readings per second next to the same broker's raw QoS 1 rate to a plain
//! subscriber, measured in the same run. Run with `cargo bench --bench ingest`.

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use support::*;

const READINGS_PER_METER: usize = 2_000;

/// Publish `payloads` with QoS 1 as fast as the broker takes them; returns when all are acked.
async fn publish_all(port: u16, messages: Vec<(String, String)>) {
    let mut options = MqttOptions::new(format!("bench-pub-{}", free_port()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    let total = messages.len();
    let acks = tokio::spawn(async move {
        let mut acked = 0;
        while acked < total {
            if let Ok(Event::Incoming(Packet::PubAck(_))) = eventloop.poll().await {
                acked += 1;
            }
        }
    });
    for (topic, payload) in messages {
        client.publish(topic, QoS::AtLeastOnce, false, payload).await.unwrap();
    }
    acks.await.unwrap();
}

fn messages(prefix: &str) -> Vec<(String, String)> {
    let base: jiff::Timestamp = "2026-01-05T00:00:00+07:00".parse().unwrap();
    let ids = meter_ids();
    let mut out = Vec::with_capacity(ids.len() * READINGS_PER_METER);
    for i in 0..READINGS_PER_METER {
        let ts = base + jiff::SignedDuration::from_mins(i as i64);
        for id in &ids {
            let topic = format!("{prefix}/{id}/reading");
            out.push((topic, format!(r#"{{"value": {}, "ts": "{ts}"}}"#, 1000.0 + i as f64 * 0.25)));
        }
    }
    out
}

async fn raw_rate(port: u16) -> f64 {
    let mut options = MqttOptions::new("bench-raw-sub", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    client.subscribe("raw/+/reading", QoS::AtLeastOnce).await.unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    let subscriber = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let batch = messages("raw");
    let total = batch.len() as u64;
    let start = Instant::now();
    publish_all(port, batch).await;
    while received.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    subscriber.abort();
    rate
}

async fn stored(http: &reqwest::Client, web_port: u16) -> u64 {
    let health: serde_json::Value = match http.get(format!("http://127.0.0.1:{web_port}/api/v1/health")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => return 0,
    };
    health["ingest"]["stored"].as_u64().unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (_mosquitto, port) = start_mosquitto(dir.path());
    let raw = raw_rate(port).await;

    let web_port = free_port();
    let config = dir.path().join("bench.toml");
    let mqtt = format!("embedded = false\nhost = \"127.0.0.1\"\nport = {port}\nclient_id = \"xanh-bench\"\ninflight = 1000");
    std::fs::write(&config, office_config(&mqtt, web_port, &dir.path().join("bench.db"))).unwrap();
    let xanh = start_xanh(&config, web_port);
    let http = reqwest::Client::new();
    while !http.get(format!("http://127.0.0.1:{web_port}/api/v1/health")).send().await.is_ok_and(|r| r.status().is_success()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let batch = messages("xanh");
    let total = batch.len() as u64;
    let start = Instant::now();
    publish_all(port, batch).await;
    while stored(&http, web_port).await < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!("ingest through Mosquitto, QoS 1, {total} readings from 100 meters");
    println!("  raw broker → plain subscriber: {raw:>9.0} msg/s");
    println!("  Xanh, ack after commit:        {rate:>9.0} readings/s ({:.0} % of raw)", 100.0 * rate / raw);
    println!("  Xanh peak RSS:                 {:>9.1} MiB", xanh.peak_rss_mib());
}
