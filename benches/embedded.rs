//! Ingest through the embedded broker, QoS 1, 100 meters: the raw rumqttd rate (a bare
//! rumqttd in this process, publisher → plain subscriber) beside Xanh's rate through its gate
//! (each reading acknowledged after its commit), in one run; then 300 000 readings with the
//! store locked by another process for 30 s: PUBACKs during the lock, and stored at the end;
//! then the rate again while 1 000 connections from one other address flood the broker.
//! Run with `cargo bench --bench embedded`.

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings};
use support::*;

const READINGS_PER_METER: usize = 2_000;
const LOCKED_PER_METER: usize = 3_000;
const LOCK: Duration = Duration::from_secs(30);

/// A bare rumqttd on `port`, configured as Xanh configures its own.
fn start_rumqttd(port: u16) {
    let router = RouterConfig {
        max_connections: 100,
        max_outgoing_packet_count: 500,
        max_segment_size: 2 * 1024 * 1024,
        max_segment_count: 8,
        ..RouterConfig::default()
    };
    let router_tx = Router::new(0, router).spawn();
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let connections = ConnectionSettings {
        connection_timeout_ms: 5_000,
        max_payload_size: 1 << 20,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let settings = ServerSettings { name: "raw".into(), listen, tls: None, next_connection_delay_ms: 0, connections };
    let mut server = Server::new(settings, router_tx, rumqttd::protocol::v4::V4);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(server.start(LinkType::Remote)).unwrap();
    });
    wait_port(port);
}

/// `xanh serve` with its embedded broker on `mqtt_port`.
async fn start_embedded(dir: &std::path::Path, name: &str, mqtt_port: u16) -> (Process, u16, reqwest::Client) {
    let web_port = free_port();
    let config = dir.join(format!("{name}.toml"));
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    std::fs::write(&config, office_config(&mqtt, web_port, &dir.join(format!("{name}.db")))).unwrap();
    let http = admin_client(&config, &[]);
    let xanh = start_xanh(&config, web_port, &[]);
    while health(&http, web_port).await["broker"]["connected"] != true {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (xanh, web_port, http)
}

/// Publish with QoS 1 as fast as the broker takes them, counting PUBACKs in `acked`.
async fn publish_counted(port: u16, messages: Vec<(String, Vec<u8>)>, acked: Arc<AtomicU64>) {
    let mut options = MqttOptions::new("bench-locked", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    let total = messages.len() as u64;
    let acks = tokio::spawn(async move {
        while acked.load(Ordering::Relaxed) < total {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => panic!("publisher lost the broker: {e}"),
            }
        }
    });
    for (topic, payload) in messages {
        client.publish(topic, QoS::AtLeastOnce, false, payload).await.unwrap();
    }
    acks.await.unwrap();
}

/// 1 000 tasks, each opening a connection from 127.0.0.2 that sends nothing, again 100 ms
/// after the broker closes it, until `flooding` turns false.
fn flood(port: u16, flooding: Arc<std::sync::atomic::AtomicBool>) -> Vec<tokio::task::JoinHandle<()>> {
    use tokio::io::AsyncReadExt;
    (0..1_000)
        .map(|_| {
            let flooding = Arc::clone(&flooding);
            tokio::spawn(async move {
                while flooding.load(Ordering::Relaxed) {
                    let socket = tokio::net::TcpSocket::new_v4().unwrap();
                    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
                    if let Ok(mut stream) = socket.connect(([127, 0, 0, 1], port).into()).await {
                        let mut buffer = [0u8; 16];
                        let _ = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let raw_port = free_port();
    start_rumqttd(raw_port);
    let raw = raw_rate(raw_port, READINGS_PER_METER, 1).await;

    let mqtt_port = free_port();
    let (xanh, web_port, http) = start_embedded(dir.path(), "gate", mqtt_port).await;
    let batch = readings("xanh", READINGS_PER_METER);
    let total = batch.len() as u64;
    let start = Instant::now();
    publish_all(mqtt_port, "xanh", batch).await;
    let acked_in = start.elapsed();
    let stored = ingest_counter(&http, web_port, "stored").await;
    let rate = total as f64 / acked_in.as_secs_f64();
    println!("ingest through the embedded broker, QoS 1, {total} readings from 100 meters");
    println!("  raw rumqttd → plain subscriber: {raw:>9.0} msg/s");
    println!("  Xanh's gate, ack after commit:  {rate:>9.0} readings/s ({:.0} % of raw)", 100.0 * rate / raw);
    println!("  stored when the last PUBACK came: {stored} of {total}");
    println!("  Xanh peak RSS:                  {:>9.1} MiB", xanh.peak_rss_mib());
    drop(xanh);

    let mqtt_port = free_port();
    let (xanh, web_port, http) = start_embedded(dir.path(), "locked", mqtt_port).await;
    let batch = readings("xanh", LOCKED_PER_METER);
    let total = batch.len() as u64;
    let acked = Arc::new(AtomicU64::new(0));
    let publisher = tokio::spawn(publish_counted(mqtt_port, batch, Arc::clone(&acked)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let db = dir.path().join("locked.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let locker = std::thread::spawn(move || {
        let mut db = rusqlite::Connection::open(db).unwrap();
        let lock = db.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive).unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(LOCK);
        lock.rollback().unwrap();
    });
    locked_rx.recv().unwrap();
    let at_lock = acked.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let settled = acked.load(Ordering::Relaxed);
    locker.join().unwrap();
    let before_unlock = acked.load(Ordering::Relaxed);
    let start = Instant::now();
    publisher.await.unwrap();
    let drained = start.elapsed();
    let ingest = health(&http, web_port).await["ingest"].clone();
    println!("{total} readings, the store locked by another process for {} s", LOCK.as_secs());
    println!("  acknowledged when the lock began: {at_lock}, 1 s later: {settled}, when it ended: {before_unlock}");
    println!("  after the lock, the rest acknowledged in {:.1} s", drained.as_secs_f64());
    println!(
        "  stored {} of {total}, duplicates {}, rejected {}",
        ingest["stored"], ingest["duplicates"], ingest["rejected"]
    );
    println!("  Xanh peak RSS:                  {:>9.1} MiB", xanh.peak_rss_mib());
    drop(xanh);

    let mqtt_port = free_port();
    let (xanh, _, _) = start_embedded(dir.path(), "flooded", mqtt_port).await;
    let flooding = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flooders = flood(mqtt_port, Arc::clone(&flooding));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let batch = readings("xanh", READINGS_PER_METER);
    let total = batch.len() as f64;
    let start = Instant::now();
    publish_all(mqtt_port, "flooded", batch).await;
    let flooded = total / start.elapsed().as_secs_f64();
    flooding.store(false, Ordering::Relaxed);
    for flooder in flooders {
        let _ = flooder.await;
    }
    println!("the same 200 000 readings while 1 000 idle connections from one other address flood the broker");
    println!(
        "  Xanh's gate, ack after commit:  {flooded:>9.0} readings/s ({:.0} % of the rate without)",
        100.0 * flooded / rate
    );
    println!("  Xanh peak RSS:                  {:>9.1} MiB", xanh.peak_rss_mib());
}
