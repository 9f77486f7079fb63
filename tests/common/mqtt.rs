//! Publishing as meters do, with a real MQTT client (rumqttc), and readings as they send them.

use std::process::{Command, Stdio};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use super::*;

/// Publish messages with QoS 1 and wait until the broker acknowledged all of them.
pub async fn publish(broker: &(String, u16), messages: &[(&str, String)]) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id =
        format!("test-publisher-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let mut options = MqttOptions::new(id, broker.0.clone(), broker.1);
    options.set_keep_alive(Duration::from_secs(30)).set_inflight(100);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let total = messages.len();
    let waiter = tokio::spawn(async move {
        let mut acked = 0;
        while acked < total {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(e) => panic!("publisher lost the broker: {e}"),
            }
        }
    });
    for (topic, payload) in messages {
        client.publish(*topic, QoS::AtLeastOnce, false, payload.clone()).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the broker acknowledged every message")
        .unwrap();
}

/// How one QoS 1 publish on a fresh connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The broker acknowledged it (PUBACK).
    Acked,
    /// The connection ended before the broker accepted the login (no CONNACK, or a refusal).
    RefusedAtConnect,
    /// The broker accepted the login, then closed the connection without a PUBACK.
    ClosedWithoutAck,
}

/// Connect (with `login` as username and password, if given), publish one QoS 1 message and
/// say how it ended.
pub async fn publish_once(
    broker: &(String, u16),
    login: Option<(&str, &str)>,
    topic: &str,
    payload: String,
) -> PublishOutcome {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = format!("test-once-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    publish_once_as(broker, &id, login, topic, payload).await
}

/// As [`publish_once`], under the client id given.
pub async fn publish_once_as(
    broker: &(String, u16),
    client_id: &str,
    login: Option<(&str, &str)>,
    topic: &str,
    payload: String,
) -> PublishOutcome {
    let mut options = MqttOptions::new(client_id, broker.0.clone(), broker.1);
    options.set_keep_alive(Duration::from_secs(30));
    if let Some((username, password)) = login {
        options.set_credentials(username, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    client.publish(topic, QoS::AtLeastOnce, false, payload).await.unwrap();
    let mut connected = false;
    let outcome = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => connected = true,
                Ok(Event::Incoming(Packet::PubAck(_))) => return PublishOutcome::Acked,
                Ok(_) => {}
                Err(_) if connected => return PublishOutcome::ClosedWithoutAck,
                Err(_) => return PublishOutcome::RefusedAtConnect,
            }
        }
    })
    .await
    .expect("the broker answered within 15 s");
    let _ = client.disconnect().await;
    outcome
}

/// The argon2id hash of `password`, made by the real `xanh mqtt-password`.
pub fn mqtt_password_hash(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(binary())
        .arg("mqtt-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("xanh mqtt-password starts");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "xanh mqtt-password failed");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `{"value": v, "ts": "<local time>"}` for 2026-11-02 (a Monday) at `time` in Hà Nội.
pub fn reading(value: f64, time: &str) -> String {
    format!(r#"{{"value": {value}, "ts": "{}+07:00"}}"#, local(time))
}

/// "2026-11-02T07:00:00" from "07:00", or a full "2026-10-20T00:00:00" as given.
pub fn local(time: &str) -> String {
    if time.len() == 5 { format!("2026-11-02T{time}:00") } else { time.to_owned() }
}
