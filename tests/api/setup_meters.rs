//! The office's meters kept in the store and changed over the API (issue 18): a meter added
//! stores its next MQTT message without a restart, a retired one keeps its history and refuses
//! later readings, and what was changed survives a restart.

use serde_json::{Value, json};

use crate::common::{TestApp, config_text, embedded_mqtt, publish, send, spawn_app, spawn_app_from};
use xanh::domain::Role;

fn photocopier() -> Value {
    json!({
        "id": "dien-photo",
        "name": "Máy photo tầng 2",
        "resource": "electricity",
        "department": "phong-a",
        "kind": "counter",
        "unit": "kWh",
        "format": "tasmota",
        "topic": "tele/may-photo/SENSOR",
        "expected_interval": "15m",
        "max_rate": 5.0
    })
}

fn tasmota(total: f64, time: &str) -> String {
    format!(r#"{{"Time":"{time}","ENERGY":{{"Total":{total},"Today":0.2}}}}"#)
}

async fn readings(app: &TestApp, meter: &str) -> u64 {
    let (_, meters) = app.get("/api/v1/meters").await;
    let meter = meters.as_array().unwrap().iter().find(|m| m["id"] == meter);
    meter.map(|m| m["readings"].as_u64().unwrap()).unwrap_or_else(|| panic!("`{meter:?}` is not listed: {meters}"))
}

async fn wait_for_readings(app: &TestApp, meter: &str, count: u64) {
    for _ in 0..100 {
        if readings(app, meter).await >= count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{meter} never had {count} readings");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meter_added_over_the_api_stores_its_next_mqtt_reading_without_a_restart() {
    let app = spawn_app().await;
    let (status, added) = send(app.http.post(app.url("/api/v1/meters")).json(&photocopier())).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["id"], "dien-photo");
    assert_eq!(added["topic"], "tele/may-photo/SENSOR");
    assert!(added["retired_from"].is_null(), "{added}");

    // Through the embedded broker's gate, on the new meter's topic: stored.
    let local = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(5))
        .to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    publish(&app.mqtt, &[("tele/may-photo/SENSOR", tasmota(1234.5, &local))]).await;
    wait_for_readings(&app, "dien-photo", 1).await;
    let listed = app.meter("dien-photo").await;
    assert_eq!(listed["last_value"], 1234.5, "{listed}");
    assert_eq!(listed["department"], "phong-a");

    // Typed in over HTTP too.
    let row = json!([{"meter": "dien-photo", "value": 1235.0}]);
    let (status, report) = send(app.http.post(app.url("/api/v1/readings")).json(&row)).await;
    assert_eq!((status, report["stored"].as_u64()), (200, Some(1)), "{report}");

    // The audit log has who added it, with nothing before and the meter after.
    let (_, audit) = app.get("/api/v1/audit").await;
    let line = audit["items"].as_array().unwrap().iter().find(|l| l["action"] == "meters.add").cloned();
    let line = line.unwrap_or_else(|| panic!("no meters.add line: {audit}"));
    assert_eq!(line["target"], "dien-photo");
    assert!(line["before"].is_null(), "{line}");
    assert_eq!(line["after"]["topic"], "tele/may-photo/SENSOR");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_adds_meters_and_a_wrong_one_is_refused_key_by_key() {
    let app = spawn_app().await;
    let writer = app.add_user("ghi.so", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&writer, Role::Reporter, None).await;
    let (status, _) = send(client.post(app.url("/api/v1/meters")).json(&photocopier())).await;
    assert_eq!(status, 403);

    let mut wrong = photocopier();
    wrong["unit"] = json!("m3");
    wrong["department"] = json!("phong-z");
    let (status, body) = send(app.http.post(app.url("/api/v1/meters")).json(&wrong)).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("unit") && message.contains("use one of Wh, kWh, MWh"), "{message}");
    assert!(message.contains("department") && message.contains("phong-z"), "{message}");

    // A second meter with the same id or on another meter's topic.
    let mut taken = photocopier();
    taken["id"] = json!("dien-a");
    let (status, body) = send(app.http.post(app.url("/api/v1/meters")).json(&taken)).await;
    assert_eq!(status, 409, "{body}");
    let mut clash = photocopier();
    clash["topic"] = json!("xanh/dien-a/reading");
    let (status, body) = send(app.http.post(app.url("/api/v1/meters")).json(&clash)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("dien-a"), "{body}");
    let (_, meters) = app.get("/api/v1/meters").await;
    assert!(!meters.as_array().unwrap().iter().any(|m| m["id"] == "dien-photo"), "{meters}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_meter_keeps_its_history_and_refuses_later_readings_with_the_reason() {
    let app = spawn_app().await;
    let rows = json!([
        {"meter": "dien-a", "value": 100, "ts": "2026-10-31T10:00:00+07:00"},
        {"meter": "dien-a", "value": 110, "ts": "2026-11-01T10:00:00+07:00"},
    ]);
    let (status, _) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200);
    let retire = json!({"from": "2026-11-15"});
    let (status, retired) = send(app.http.post(app.url("/api/v1/meters/dien-a/retire")).json(&retire)).await;
    assert_eq!(status, 200, "{retired}");
    assert_eq!(retired["retired_from"], "2026-11-15");

    // Before the date: stored; on or after it: kept among the rejected, with the reason.
    let rows = json!([
        {"meter": "dien-a", "value": 120, "ts": "2026-11-14T23:59:00+07:00"},
        {"meter": "dien-a", "value": 130, "ts": "2026-11-15T00:00:00+07:00"},
    ]);
    let (status, report) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["stored"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let item = &rejected["items"][0];
    assert_eq!(item["reason"], "meter_retired", "{rejected}");
    assert!(item["detail"].as_str().unwrap().contains("15/11/2026"), "{item}");

    // The history stays: listed, with its three readings and the date.
    let listed = app.meter("dien-a").await;
    assert_eq!(listed["readings"], 3, "{listed}");
    assert_eq!(listed["retired_from"], "2026-11-15");
    let (status, _) = send(app.http.delete(app.url("/api/v1/meters/dien-a"))).await;
    assert_eq!(status, 405, "a meter is retired, never deleted");

    // Back in use (retired by mistake): its readings are stored again.
    let (status, back) =
        send(app.http.post(app.url("/api/v1/meters/dien-a/retire")).json(&json!({"from": null}))).await;
    assert_eq!((status, back["retired_from"].clone()), (200, Value::Null), "{back}");
    let rows = json!([{"meter": "dien-a", "value": 140, "ts": "2026-11-16T00:00:00+07:00"}]);
    let (_, report) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(report["stored"], 1, "{report}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meters_changed_in_the_app_are_still_there_after_a_restart() {
    let app = spawn_app().await;
    let (status, _) = send(app.http.post(app.url("/api/v1/meters")).json(&photocopier())).await;
    assert_eq!(status, 201);
    let mut renamed = photocopier();
    renamed["name"] = json!("Máy photo phòng A");
    let (status, body) = send(app.http.put(app.url("/api/v1/meters/dien-photo")).json(&renamed)).await;
    assert_eq!(status, 200, "{body}");
    let retire = json!({"from": "2026-11-15"});
    let (status, _) = send(app.http.post(app.url("/api/v1/meters/nuoc-a-lit/retire")).json(&retire)).await;
    assert_eq!(status, 200);
    let paper = json!({"id": "giay-b", "name": "Giấy cấp phát Phòng B", "resource": "paper", "department": "phong-b", "kind": "delta", "unit": "ream"});
    let (status, _) = send(app.http.post(app.url("/api/v1/meters")).json(&paper)).await;
    assert_eq!(status, 201);

    // A new Application on the same data directory. Its config file was edited meanwhile: a
    // meter renamed there, and one added.
    let dir = app.dir_and_stop().await;
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"))
        .replace("name = \"Đồng hồ nước tổng\"", "name = \"Đồng hồ tổng (sửa trong tệp)\"")
        + "\n[[meters]]\nid = \"dien-moi\"\nname = \"Công tơ mới\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\n";
    let app = spawn_app_from(&text, dir).await;
    let photo = app.meter("dien-photo").await;
    assert_eq!(photo["name"], "Máy photo phòng A", "{photo}");
    assert_eq!(app.meter("nuoc-a-lit").await["retired_from"], "2026-11-15");
    // The store's name stays in force; the file's new meter is added; the three keys on which
    // the file and the store disagree (the name, and the two meters only the store has) are
    // reported, not silently applied or ignored.
    assert_eq!(app.meter("nuoc-tong").await["name"], "Đồng hồ nước tổng");
    assert_eq!(app.meter("dien-moi").await["readings"], 0);
    assert_eq!(app.health().await["setup"]["file_differences"], 3);
    let row = json!([{"meter": "dien-photo", "value": 10.0}]);
    let (_, report) = send(app.http.post(app.url("/api/v1/readings")).json(&row)).await;
    assert_eq!(report["stored"], 1, "{report}");
    // The paper meter added before the restart is still counted as amounts, not a register:
    // 2 reams and 3 reams are 2 500 sheets.
    let rows = json!([
        {"meter": "giay-b", "value": 2, "ts": "2026-11-02T09:00:00+07:00", "from": "2026-11-02T08:00:00+07:00"},
        {"meter": "giay-b", "value": 3, "ts": "2026-11-02T11:00:00+07:00", "from": "2026-11-02T10:00:00+07:00"},
    ]);
    let (_, report) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(report["stored"], 2, "{report}");
    let day = app.consumption("resource=paper&meter=giay-b&from=2026-11-02&to=2026-11-03&step=day").await;
    crate::common::approx(&day["total"], 2500.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_export_prints_the_stores_setup_as_a_config_that_check_config_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    let (status, _) = send(app.http.post(app.url("/api/v1/meters")).json(&photocopier())).await;
    assert_eq!(status, 201);
    let retire = json!({"from": "2026-11-15"});
    let (status, _) = send(app.http.post(app.url("/api/v1/meters/nuoc-a-lit/retire")).json(&retire)).await;
    assert_eq!(status, 200);
    let staffing = json!({"from": "2026-03-01", "headcount": 12, "area_m2": "110,5"});
    let (status, _) = send(app.http.post(app.url("/api/v1/departments/phong-a/staffing")).json(&staffing)).await;
    assert_eq!(status, 200);
    let dir = app.dir_and_stop().await;

    let exported = crate::common::config_export(&file);
    assert!(
        exported.contains("id = \"dien-photo\"") && exported.contains("topic = \"tele/may-photo/SENSOR\""),
        "{exported}"
    );
    assert!(exported.contains("# Meter nuoc-a-lit is retired from 15/11/2026"), "{exported}");
    assert!(exported.contains("headcount = 12") && exported.contains("area_m2 = 110.5"), "{exported}");

    // The export is a config Xanh accepts, with the store's meters in it.
    let copy = dir.path().join("exported.toml");
    std::fs::write(&copy, &exported).unwrap();
    let check = std::process::Command::new(crate::common::binary())
        .args(["check-config", "--config"])
        .arg(&copy)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&check.stderr));
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    assert!(parsed.meters.iter().any(|m| m.id.as_str() == "dien-photo"));
    assert_eq!(parsed.meters.len(), 8);
}
