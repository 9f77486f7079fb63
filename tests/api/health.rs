//! `/api/v1/health` against a real store file: it says degraded, and why, whenever readings
//! could not be stored, and ingest's errors carry their time and clear on recovery.

use serde_json::Value;

use crate::common::{
    a_store_error_clears_when_the_store_recovers, config_text, embedded_mqtt, spawn_app, spawn_app_from, start_error,
};

fn reasons(health: &Value) -> String {
    health["reasons"].as_array().expect("health lists its reasons").iter().map(|r| r.as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_degraded_while_another_process_holds_the_store_write_lock() {
    let app = spawn_app().await;
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!(status, 200, "{health}");

    // Another connection to the same file takes the write lock, as a backup tool or a second
    // service would: reads still work, writes cannot.
    let holder = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["store"]["ok"], false);
    assert!(reasons(&health).contains("database is locked"), "{health}");

    holder.execute_batch("ROLLBACK").unwrap();
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!((status, reasons(&health)), (200, String::new()), "{health}");
    assert_eq!(health["store"]["ok"], true);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_degraded_when_free_disk_space_is_below_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    // No test disk has 100 TB free: the threshold stands in for a full disk.
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + "min_free_mb = 100000000\n";
    let app = spawn_app_from(&text, dir).await;
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["store"]["min_free_mb"], 100_000_000);
    assert!(health["store"]["free_mb"].as_u64().unwrap() < 100_000_000, "{health}");
    let reasons = reasons(&health);
    assert!(reasons.contains("store.min_free_mb = 100000000"), "{reasons}");
    app.stop().await;

    let app = spawn_app().await;
    let (_, health) = app.get("/api/v1/health").await;
    assert_eq!(health["store"]["min_free_mb"], 200, "the default threshold: {health}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_error_carries_its_time_and_clears_when_the_store_recovers() {
    let app = spawn_app().await;
    a_store_error_clears_when_the_store_recovers(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_in_a_folder_it_cannot_write_says_so_and_how_to_fix_it() {
    // /sys refuses new files to every user, root included: a real unwritable folder.
    let error = start_error(&config_text(&embedded_mqtt(), std::path::Path::new("/sys/xanh.db"))).await;
    assert!(error.contains("the folder /sys is not writable by this user"), "{error}");
    assert!(error.contains("store.path"), "the fix names the key: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_daily_backup_makes_health_degraded_with_when_and_why() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the backup folder should be made: the scheduled copy cannot be written.
    let blocked = dir.path().join("sao-luu");
    std::fs::write(&blocked, "không phải thư mục").unwrap();
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let due = jiff::Zoned::now().with_time_zone(tz).checked_add(jiff::SignedDuration::from_mins(1)).unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"))
        + &format!("\n[backup]\nfolder = \"{}\"\nat = \"{}\"\n", blocked.join("xanh").display(), due.strftime("%H:%M"));
    let app = spawn_app_from(&text, dir).await;
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!((status, &health["backup"]["scheduled"]), (200, &Value::Bool(true)), "{health}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let health = loop {
        let (status, health) = app.get("/api/v1/health").await;
        if status == 503 {
            break health;
        }
        assert!(std::time::Instant::now() < deadline, "the failed backup never showed: {health}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let minute = due.strftime("%Y-%m-%dT%H:%M:00+07:00").to_string();
    assert_eq!(health["backup"]["failed_at"], minute.as_str(), "{health}");
    assert!(health["backup"]["error"].as_str().unwrap().contains("sao-luu"), "{health}");
    let reasons = reasons(&health);
    assert!(reasons.contains(&format!("backup: the daily backup due at {minute} failed")), "{reasons}");
    assert!(reasons.contains("until a daily backup succeeds"), "{reasons}");
    app.stop().await;
}
