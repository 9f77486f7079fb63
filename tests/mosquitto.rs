//! Xanh behind a real Mosquitto: readings from the real `mosquitto_pub`, and no loss when
//! the service is killed in the middle of a QoS 1 stream.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{
    Mosquitto, PublishOutcome, Service, a_store_error_clears_when_the_store_recovers, approx, config_text,
    external_mqtt, free_port, get, mosquitto_pub, mosquitto_pub_retained, publish, publish_once, reading,
    spawn_app_from_env, spawn_app_with, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_from_mosquitto_pub_reach_the_api() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-pub"), dir).await;
    assert_eq!(app.health().await["broker"]["embedded"], false);

    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(500.0, "08:00"));
    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(512.5, "09:00"));
    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(530.0, "10:00"));
    mosquitto_pub(broker.port, "xanh/dien-a/reading", "oops");
    app.wait_processed(4).await;

    let day = app.consumption("resource=electricity&department=phong-a&from=2026-11-02&to=2026-11-03&step=day").await;
    // 512,5 − 500 + 530 − 512,5 = 30 kWh.
    approx(&day["total"], 30.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"][0]["payload"], "oops");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_mosquitto_a_store_error_clears_when_the_store_recovers() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-store-error"), dir).await;
    a_store_error_clears_when_the_store_recovers(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_without_its_session_is_a_health_event() {
    let mut broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-session"), dir).await;
    let health = app.health().await;
    assert_eq!(health["ingest"]["sessions_lost"], 0, "a first connection has no session to lose: {health}");

    // Mosquitto without persistence forgets Xanh's session when it restarts.
    broker.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let health = loop {
        let health = app.health().await;
        if health["ingest"]["sessions_lost"] == 1 && health["broker"]["connected"] == true {
            break health;
        }
        assert!(std::time::Instant::now() < deadline, "the lost session was not reported: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let event = &health["ingest"]["recent_errors"][0];
    assert_eq!(event["source"], "broker", "{health}");
    assert!(event["error"].as_str().unwrap().contains("without its session"), "{health}");
    assert!(event["cleared_at"].is_string(), "an event that is over: {health}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zero_loss_mosquitto_config_in_the_docs_works_as_written() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deployment.md")).unwrap();
    let after = docs.split("limits, and sessions kept on disk:").nth(1).expect("the snippet's introduction");
    let snippet = after.split("```").nth(1).expect("the snippet").trim_start_matches('\n');
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let passwd = dir.path().join("passwd");
    for (i, user) in ["xanh", "cong-to-1"].iter().enumerate() {
        let mut command = Command::new("mosquitto_passwd");
        if i == 0 {
            command.arg("-c");
        }
        let made = command.arg("-b").arg(&passwd).args([user, "mật khẩu thử"]).status().unwrap();
        assert!(made.success(), "mosquitto_passwd {user}");
    }
    let conf = snippet
        .replace("listener 1883", &format!("listener {port} 127.0.0.1"))
        .replace("/etc/mosquitto/passwd", passwd.to_str().unwrap())
        .replace("/var/lib/mosquitto/", &format!("{}/", dir.path().display()));
    assert!(conf.contains("autosave_interval"), "{conf}");
    let broker = Mosquitto::start_from(&conf, port, dir);

    let xanh_dir = tempfile::tempdir().unwrap();
    let mqtt = external_mqtt(port, "xanh-ingest") + "\nusername = \"xanh\"";
    let text = config_text(&mqtt, &xanh_dir.path().join("xanh.db"));
    let app = spawn_app_from_env(&text, xanh_dir, &[("XANH_MQTT_PASSWORD", "mật khẩu thử")]).await;
    let device = Some(("cong-to-1", "mật khẩu thử"));
    let sent = publish_once(&broker.broker(), device, "xanh/dien-a/reading", reading(500.0, "08:00")).await;
    assert_eq!(sent, PublishOutcome::Acked);
    app.wait_processed(1).await;
    assert_eq!(app.health().await["ingest"]["stored"], 1);
    let anonymous = publish_once(&broker.broker(), None, "xanh/dien-a/reading", reading(510.0, "09:00")).await;
    assert_eq!(anonymous, PublishOutcome::RefusedAtConnect, "a client without a password is refused");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_service_mid_stream_loses_and_doubles_nothing() {
    const READINGS: usize = 3000;
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let web_port = free_port();
    let config = dir.path().join("xanh.toml");
    let text = config_text(&external_mqtt(broker.port, "xanh-durability"), &dir.path().join("xanh.db"))
        .replace("listen = \"127.0.0.1:0\"", &format!("listen = \"127.0.0.1:{web_port}\""));
    std::fs::write(&config, text).unwrap();
    let http = common::admin_client_by_command_line(&config);
    let health = format!("http://127.0.0.1:{web_port}/api/v1/health");
    let meters = format!("http://127.0.0.1:{web_port}/api/v1/meters");

    let service = Service::start(&config);
    let connected = wait_for(Duration::from_secs(20), async || {
        get(&http, &health).await.is_some_and(|h| h["broker"]["connected"] == true)
    });
    assert!(connected.await, "the service did not connect to Mosquitto");

    // A counter that rises by 1 kWh a minute, published in paced chunks so that the kill
    // lands while messages are in flight.
    let base: jiff::Timestamp = "2026-11-02T00:00:00+07:00".parse().unwrap();
    let messages: Vec<(&str, String)> = (0..READINGS)
        .map(|i| {
            let ts = base + jiff::SignedDuration::from_mins(i as i64);
            ("xanh/dien-a/reading", format!(r#"{{"value": {i}, "ts": "{ts}"}}"#))
        })
        .collect();
    let publisher = {
        let broker = broker.broker();
        tokio::spawn(async move {
            for chunk in messages.chunks(100) {
                publish(&broker, chunk).await;
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    let stored = async || {
        get(&http, &meters).await.and_then(|m| {
            m.as_array()?.iter().find(|m| m["id"] == "dien-a").map(|m| m["readings"].as_u64().unwrap_or(0))
        })
    };
    let started = wait_for(Duration::from_secs(30), async || stored().await.unwrap_or(0) >= 500);
    assert!(started.await, "no readings were stored before the kill");
    service.kill();
    let at_kill = publisher.is_finished();

    // The stream goes on while the service is down; Mosquitto queues it for Xanh's session.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let service = Service::start(&config);
    publisher.await.unwrap();
    let complete = wait_for(Duration::from_secs(60), async || stored().await == Some(READINGS as u64)).await;
    assert!(complete, "after the restart {:?} of {READINGS} readings were stored", stored().await);
    assert!(!at_kill, "the publisher had finished before the kill; the test proved nothing");

    let total = get(&http, &format!(
        "http://127.0.0.1:{web_port}/api/v1/consumption?resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-05&step=day"
    ))
    .await
    .unwrap();
    // Values 0, 1, …, 2999: exactly 2 999 kWh if nothing is lost or counted twice.
    approx(&total["total"], (READINGS - 1) as f64);
    let rejected = get(&http, &format!("http://127.0.0.1:{web_port}/api/v1/rejected")).await.unwrap();
    assert_eq!(rejected["total"], 0, "{rejected}");

    // SIGTERM: a clean stop with exit status 0.
    let status = service.terminate();
    assert!(status.success(), "xanh exited with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_kept_as_rejected_and_ingest_goes_on() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-big"), dir).await;
    // 400 KB of garbage, larger than any meter sends: it must neither stall the session
    // (a client that cannot read it would reconnect and be sent it again forever) nor be lost.
    let big = app.dir.path().join("big.txt");
    std::fs::write(&big, "x".repeat(400 * 1024)).unwrap();
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string(), "-q", "1", "-t", "xanh/dien-a/reading", "-f"])
        .arg(&big)
        .status()
        .unwrap();
    assert!(status.success());
    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(42.0, "07:00"));
    app.wait_processed(2).await;
    approx(&app.meter("dien-a").await["last_value"], 42.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let kept = &rejected["items"][0];
    assert_eq!(kept["reason"], "undecodable", "{kept}");
    assert!(kept["detail"].as_str().unwrap().contains("dài 409600 byte"), "{kept}");
    assert!(kept["payload"].as_str().unwrap().starts_with("xxxx"), "the start of the payload is kept");
    app.stop().await;
}

/// Issue 18: a meter added over the API behind Mosquitto is subscribed to at once, without a
/// restart: the device's retained reading, published before the meter existed, is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_added_over_the_api_is_subscribed_to_at_once() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-new-meter"), dir).await;
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string(), "-q", "1", "-r", "-t", "tele/may-photo/SENSOR"])
        .args(["-m", r#"{"Time":"2026-11-02T08:00:00","ENERGY":{"Total":812.4,"Today":0.3}}"#])
        .status()
        .unwrap();
    assert!(status.success());
    let meter = serde_json::json!({
        "id": "dien-photo", "name": "Máy photo", "resource": "electricity", "kind": "counter",
        "unit": "kWh", "format": "tasmota", "topic": "tele/may-photo/SENSOR"
    });
    let response = app.http.post(app.url("/api/v1/meters")).json(&meter).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
    let stored = wait_for(Duration::from_secs(10), async || app.meter("dien-photo").await["readings"] == 1).await;
    assert!(stored, "the new meter's retained reading was not stored");
    approx(&app.meter("dien-photo").await["last_value"], 812.4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_retained_on_mosquitto_reach_xanh_when_it_subscribes() {
    let broker = Mosquitto::start();
    // Published before Xanh runs, as a device does while Xanh is stopped.
    let config = r#"{"name":"Điện năng","state_topic":"tele/may-in-p2/SENSOR","value_template":"{{ value_json.ENERGY.Total }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"Máy in P2"}}"#;
    mosquitto_pub_retained(broker.port, "homeassistant/sensor/may-in-p2/energy/config", config.as_bytes());
    mosquitto_pub_retained(broker.port, "shellyplus1pm-a8032ab12345/online", b"true");
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-test-announce"), dir).await;
    let announced = async || app.get("/api/v1/devices/announced").await.1.as_array().unwrap().clone();
    assert!(wait_for(Duration::from_secs(10), async || announced().await.len() == 2).await, "{:?}", announced().await);
    let topics: Vec<_> = announced().await.iter().map(|d| d["topic"].as_str().unwrap().to_owned()).collect();
    assert_eq!(topics, ["tele/may-in-p2/SENSOR", "shellyplus1pm-a8032ab12345/status/switch:0"]);
    app.stop().await;
}
