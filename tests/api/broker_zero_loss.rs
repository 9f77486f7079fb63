//! The embedded broker acknowledges a device's QoS 1 reading only once it is committed: a
//! store that cannot write slows devices down and loses nothing; subscribers still receive.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::common::{
    Acked, PublishOutcome, acked_count, approx, counter_stream, device_options, embedded_mqtt, publish_once_as,
    publish_until_acked, reading, spawn_app, spawn_app_with,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_sent_while_the_store_is_locked_are_acknowledged_only_once_stored() {
    const READINGS: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("xanh.db");
    let app = spawn_app_with(&embedded_mqtt(), dir).await;

    let acked: Acked = std::sync::Arc::new(std::sync::Mutex::new(vec![false; READINGS]));
    let publisher = tokio::spawn(publish_until_acked(
        device_options(&app.mqtt),
        counter_stream("xanh/dien-a/reading", READINGS),
        acked.clone(),
    ));
    while acked_count(&acked) < 1_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another process holds the store's write lock for 6 s, as a backup tool or a stuck
    // writer would.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let locker = std::thread::spawn(move || {
        let mut db = rusqlite::Connection::open(db).unwrap();
        let lock = db.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive).unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(6));
        lock.rollback().unwrap();
    });
    locked_rx.recv().unwrap();
    // What was committed just before the lock may still be acknowledged; after that, nothing.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let early = acked_count(&acked);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let late = acked_count(&acked);
    assert_eq!(early, late, "the broker acknowledged {} readings while nothing could be stored", late - early);
    assert!(late < READINGS, "the publisher had finished before the lock; the test proved nothing");
    locker.join().unwrap();

    tokio::time::timeout(Duration::from_secs(120), publisher).await.expect("every reading acknowledged").unwrap();
    let meter = app.meter("dien-a").await;
    assert_eq!(meter["readings"], READINGS, "{meter}");
    // Values 0, 1, …, 19 999 a minute apart: exactly 19 999 kWh if none is counted twice.
    let total = app.consumption("resource=electricity&meter=dien-a&from=2026-11-01&to=2026-11-30&step=day").await;
    approx(&total["total"], (READINGS - 1) as f64);
    let health = app.health().await;
    assert_eq!(health["ingest"]["stored"], READINGS, "{health}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_everything_still_receives_what_devices_publish() {
    let app = spawn_app().await;
    let mut options = MqttOptions::new("home-assistant", app.mqtt.0.clone(), app.mqtt.1);
    options.set_keep_alive(Duration::from_secs(30));
    let (subscriber, mut events) = AsyncClient::new(options, 10);
    subscriber.subscribe("#", QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.unwrap() {
            break;
        }
    }
    let sent = reading(321.0, "08:00");
    let outcome = publish_once_as(&app.mqtt, "gateway", None, "xanh/dien-a/reading", sent.clone()).await;
    assert_eq!(outcome, PublishOutcome::Acked);
    let received = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Packet::Publish(publish)) = events.poll().await.unwrap() {
                return publish;
            }
        }
    })
    .await
    .expect("the subscriber received the reading");
    assert_eq!(received.topic, "xanh/dien-a/reading");
    assert_eq!(received.payload, sent.as_bytes());
    app.wait_processed(1).await;
    approx(&app.meter("dien-a").await["last_value"], 321.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_takes_xanhs_own_client_id_on_the_open_broker() {
    let app = spawn_app().await;
    let outcome = publish_once_as(&app.mqtt, "xanh-ingest", None, "xanh/dien-a/reading", reading(5.0, "08:00")).await;
    assert_eq!(outcome, PublishOutcome::RefusedAtConnect);
    let outcome = publish_once_as(&app.mqtt, "gateway", None, "xanh/dien-a/reading", reading(6.0, "09:00")).await;
    assert_eq!(outcome, PublishOutcome::Acked);
    app.wait_processed(1).await;
    assert_eq!(app.meter("dien-a").await["readings"], 1);
    app.stop().await;
}
