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

/// Which of a publisher's messages the broker has acknowledged (PUBACK), shared with the test.
pub type Acked = std::sync::Arc<std::sync::Mutex<Vec<bool>>>;

pub fn acked_count(acked: &Acked) -> usize {
    acked.lock().unwrap().iter().filter(|a| **a).count()
}

/// Publish every message with QoS 1, as a device that keeps what it was not told is stored:
/// when the connection breaks it reconnects (a new session, as after a broker restart) and
/// sends again exactly the messages without a PUBACK, until every one has one.
/// `options` makes the client's options for each new connection (its number given).
pub async fn publish_until_acked(options: impl Fn(u32) -> MqttOptions, messages: Vec<(String, String)>, acked: Acked) {
    use rumqttc::Outgoing;
    use std::collections::{HashMap, VecDeque};
    let mut round = 0;
    loop {
        let todo: Vec<usize> = {
            let acked = acked.lock().unwrap();
            (0..messages.len()).filter(|i| !acked[*i]).collect()
        };
        if todo.is_empty() {
            return;
        }
        round += 1;
        let (client, mut eventloop) = AsyncClient::new(options(round), 10);
        let queued: VecDeque<usize> = todo.iter().copied().collect();
        let sender = {
            let messages: Vec<(String, String)> = todo.iter().map(|i| messages[*i].clone()).collect();
            tokio::spawn(async move {
                for (topic, payload) in messages {
                    if client.publish(topic, QoS::AtLeastOnce, false, payload).await.is_err() {
                        return;
                    }
                }
            })
        };
        let mut queued = queued;
        let mut in_flight: HashMap<u16, usize> = HashMap::new();
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                    if let Some(i) = queued.pop_front() {
                        in_flight.insert(pkid, i);
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if let Some(i) = in_flight.remove(&ack.pkid) {
                        acked.lock().unwrap()[i] = true;
                    }
                    if queued.is_empty() && in_flight.is_empty() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
        sender.abort();
    }
}

/// A device's options on `broker`, a new client id for each connection.
pub fn device_options(broker: &(String, u16)) -> impl Fn(u32) -> MqttOptions + Clone + use<> {
    let broker = broker.clone();
    move |round| {
        let mut options =
            MqttOptions::new(format!("device-{}-{round}", std::process::id()), broker.0.clone(), broker.1);
        options.set_keep_alive(Duration::from_secs(30)).set_inflight(100);
        options
    }
}

/// `count` readings of a counter that rises by 1 a minute from 2026-11-02 00:00 in Hà Nội,
/// on `topic`: their consumption is exactly `count - 1` if none is lost or counted twice.
pub fn counter_stream(topic: &str, count: usize) -> Vec<(String, String)> {
    let base: jiff::Timestamp = "2026-11-02T00:00:00+07:00".parse().unwrap();
    (0..count)
        .map(|i| {
            let ts = base + jiff::SignedDuration::from_mins(i as i64);
            (topic.to_owned(), format!(r#"{{"value": {i}, "ts": "{ts}"}}"#))
        })
        .collect()
}
