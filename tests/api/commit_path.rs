//! Issue 19, item 4: what a commit waits on. Behind an external broker, what arrives while a
//! batch is being committed is taken and decoded meanwhile, not left in the queue until the
//! commit ends; and copying the WAL back into the store's file happens beside the commits,
//! not inside one of them.

use std::time::Duration;

use crate::common::{
    Mosquitto, TestApp, approx, external_mqtt, mosquitto_pub, publish, reading, spawn_app, spawn_app_with, wait_for,
};

/// Messages waiting in ingest's queue, not yet taken into a batch.
async fn queue_depth(app: &TestApp) -> u64 {
    let health = app.health().await;
    health["ingest"]["queued"].as_u64().unwrap_or_else(|| panic!("no queue depth in {health}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_arriving_while_a_batch_is_committed_are_taken_meanwhile_then_stored_once() {
    let broker = Mosquitto::start();
    let app = spawn_app_with(&external_mqtt(broker.port, "xanh-overlap"), tempfile::tempdir().unwrap()).await;
    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(100.0, "08:00"));
    app.wait_processed(1).await;

    // Another process holds the store's write lock: the next reading's batch waits on it.
    let holder = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    mosquitto_pub(broker.port, "xanh/dien-a/reading", &reading(101.0, "09:00"));
    let taken = wait_for(Duration::from_secs(5), async || app.health().await["ingest"]["messages"] == 2).await;
    assert!(taken, "the second reading never reached Xanh: {}", app.health().await);

    // Ten more arrive while that batch waits: they are taken and decoded meanwhile, ready to
    // go to the store as the next batch.
    let messages: Vec<(&str, String)> =
        (0..10).map(|i| ("xanh/dien-a/reading", reading(102.0 + f64::from(i), &format!("{:02}:00", 10 + i)))).collect();
    publish(&("127.0.0.1".to_owned(), broker.port), &messages).await;
    let arrived = wait_for(Duration::from_secs(10), async || app.health().await["ingest"]["messages"] == 12).await;
    assert!(arrived, "the ten readings never reached Xanh: {}", app.health().await);
    let drained = wait_for(Duration::from_secs(5), async || queue_depth(&app).await == 0).await;
    let (waiting, stored) = (queue_depth(&app).await, app.health().await["ingest"]["stored"].clone());
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(drained, "{waiting} readings stayed in the queue while the batch before waited on the store");
    assert_eq!(stored, 1, "readings were stored while the store was locked");

    // Once the store is free, all are stored, and the day's use counts each of them once.
    app.wait_processed(12).await;
    let day = app.consumption("resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-03&step=day").await;
    approx(&day["total"], 11.0);
    app.stop().await;
}

/// The store's own file alone (its WAL left behind), opened apart: how many readings it holds.
fn readings_in_file_alone(store: &std::path::Path) -> i64 {
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("copy.db");
    std::fs::copy(store, &file).unwrap();
    let conn = rusqlite::Connection::open(&file).unwrap();
    // A file that no checkpoint reached yet has no tables at all.
    conn.query_row("SELECT count(*) FROM readings", [], |r| r.get(0)).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_committed_reaches_the_store_file_itself_soon_after_not_only_its_wal() {
    let app = spawn_app().await;
    let store = app.dir.path().join("xanh.db");
    publish(
        &app.mqtt,
        &[("xanh/dien-a/reading", reading(100.0, "08:00")), ("xanh/dien-a/reading", reading(101.0, "09:00"))],
    )
    .await;
    app.wait_processed(2).await;
    // SQLite's own checkpoint would wait for 1 000 pages in the WAL, and then run inside the
    // commit of the batch that crossed them, holding its acknowledgements back.
    let copied = wait_for(Duration::from_secs(5), async || readings_in_file_alone(&store) == 2).await;
    assert!(copied, "the store file alone holds {} readings of 2", readings_in_file_alone(&store));
    app.stop().await;
}
