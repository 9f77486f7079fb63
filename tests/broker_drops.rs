//! The embedded broker drops the oldest messages of a subscriber that falls too far behind
//! (Home Assistant on a slow link, a paused dashboard). Xanh stores at the gate and loses
//! nothing; the other subscriber does, and the operator must see it: counted in health (which
//! says degraded, with the reason), in /metrics, as a WARN in the log and as the `broker_drops`
//! alert. A process of its own: rumqttd, and so the count, is one per process.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{admin_client_by_command_line, binary, config_text, free_port, get, wait_for};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const MESSAGES: usize = 64_000;
const PAYLOAD: usize = 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_dropped_for_a_lagging_subscriber_show_in_health_metrics_alerts_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (web_port, mqtt_port) = (free_port(), free_port());
    let config = dir.path().join("xanh.toml");
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    // Alerts judged every second: the test need not wait a minute for the round.
    let text = config_text(&mqtt, &dir.path().join("xanh.db"))
        .replace("[web]\nlisten = \"127.0.0.1:0\"", &format!("[web]\nlisten = \"127.0.0.1:{web_port}\""))
        + "\n[alerts]\nevaluate_every_s = 1\nafter_readings_s = 1\n";
    std::fs::write(&config, text).unwrap();
    let http = admin_client_by_command_line(&config);
    let log = dir.path().join("xanh.log");
    // The default log filter, as a service runs it.
    let mut service = Command::new(binary())
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{web_port}");
    let health = || async { get(&http, &format!("{base}/api/v1/health")).await.unwrap_or_default() };
    assert!(wait_for(Duration::from_secs(20), async || health().await["status"] == "ok").await, "not started");
    assert_eq!(health().await["broker"]["dropped_messages"], 0);

    // Another subscriber, which stops reading once subscribed.
    let mut options = MqttOptions::new("home-assistant", "127.0.0.1", mqtt_port);
    options.set_keep_alive(Duration::from_secs(120));
    let (subscriber, mut paused) = AsyncClient::new(options, 10);
    subscriber.subscribe("bulk/#", QoS::AtMostOnce).await.unwrap();
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = paused.poll().await.unwrap() {
            break;
        }
    }

    let mut options = MqttOptions::new("bulk-publisher", "127.0.0.1", mqtt_port);
    options.set_keep_alive(Duration::from_secs(120));
    let (publisher, mut events) = AsyncClient::new(options, 10);
    // Small messages: rumqttd's per-connection queue is counted in messages (500), so only the
    // ring of its log (8 × 2 MiB) and the sockets' buffers are left to overflow.
    let sending = tokio::spawn(async move {
        for i in 0..MESSAGES {
            let payload = vec![b'a' + (i % 26) as u8; PAYLOAD];
            publisher.publish("bulk/anh", QoS::AtLeastOnce, false, payload).await.unwrap();
        }
    });
    let mut acked = 0;
    while acked < MESSAGES {
        if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.unwrap() {
            acked += 1;
        }
    }
    sending.await.unwrap();

    // The subscriber reads again: it gets what the broker still had.
    let mut received = 0;
    while let Ok(event) = tokio::time::timeout(Duration::from_secs(3), paused.poll()).await {
        if let Event::Incoming(Packet::Publish(_)) = event.unwrap() {
            received += 1;
        }
    }
    assert!(received < MESSAGES, "the subscriber fell behind by {} MiB and lost nothing", (MESSAGES * PAYLOAD) >> 20);

    let degraded = wait_for(Duration::from_secs(10), async || health().await["status"] == "degraded").await;
    let now = health().await;
    assert!(degraded, "{now}");
    let dropped = now["broker"]["dropped_messages"].as_u64().unwrap();
    assert_eq!(dropped as usize + received, MESSAGES, "{received} received: every message is received or counted");
    let reasons = now["reasons"].to_string();
    assert!(reasons.contains(&format!("dropped {dropped} messages")), "{reasons}");
    assert!(reasons.contains("bulk/#") && reasons.contains("Mosquitto"), "{reasons}");

    let alert = || async {
        let active = get(&http, &format!("{base}/api/v1/alerts?state=active")).await.unwrap_or_default();
        active["items"].as_array().and_then(|items| items.iter().find(|a| a["rule"] == "broker_drops").cloned())
    };
    // Raised at the first drop, and updated each round with the count so far.
    let counted = async || alert().await.is_some_and(|a| a["last_value"].as_f64() == Some(dropped as f64));
    assert!(wait_for(Duration::from_secs(10), counted).await, "no broker_drops alert: {:?}", alert().await);
    let alert = alert().await.unwrap();
    assert_eq!(alert["severity"], "warning", "{alert}");
    let message = alert["message"].as_str().unwrap();
    assert!(message.contains("bỏ") && message.contains("bulk/#"), "{message}");

    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(&format!("\nxanh_broker_dropped_messages_total {dropped}\n")), "{metrics}");

    Command::new("kill").args(["-TERM", &service.id().to_string()]).status().unwrap();
    service.wait().unwrap();
    let log = std::fs::read_to_string(&log).unwrap();
    let warning = log.lines().find(|l| l.contains("WARN") && l.contains("dropped messages for a subscriber"));
    assert!(warning.is_some_and(|l| l.contains("bulk/#")), "{log}");
}
