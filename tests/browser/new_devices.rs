//! Issue 18, item 3: devices publishing on topics no meter has are found on "Thiết bị mới"
//! with the format Xanh reads in them and their last value; one adopted through the real form
//! in Chromium becomes a meter, and the messages it sent before are stored in it.

use super::*;
use common::mosquitto_pub;

const TASMOTA: &str = "tele/may-in-p2/SENSOR";
const ZIGBEE: &str = "zigbee2mqtt/may-lanh-p3";

/// The office's local time `ago` seconds back, as Tasmota writes it (no offset).
fn tasmota_time(ago: i64) -> String {
    let at = Timestamp::now().checked_sub(SignedDuration::from_secs(ago)).unwrap();
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

async fn readings(app: &TestApp, meter: &str) -> u64 {
    let (_, meters) = app.get("/api/v1/meters").await;
    let found = meters.as_array().unwrap().iter().find(|m| m["id"] == meter).cloned();
    found.map(|m| m["readings"].as_u64().unwrap()).unwrap_or(0)
}

async fn found_topics(app: &TestApp) -> Vec<String> {
    let (status, devices) = app.get("/api/v1/devices").await;
    assert_eq!(status, 200, "{devices}");
    devices.as_array().unwrap().iter().map(|d| d["topic"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasmota_and_a_zigbee2mqtt_device_are_found_and_one_adopted_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let port = app.mqtt.1;
    // Real devices' payloads (docs/devices.md), with the real command-line client.
    for (ago, total) in [(180, 514.153), (120, 514.2)] {
        let payload = format!(
            r#"{{"Time":"{}","ENERGY":{{"TotalStartTime":"2022-03-20T15:20:48","Total":{total},"Yesterday":1.495,"Today":0.537,"Power":56}}}}"#,
            tasmota_time(ago)
        );
        mosquitto_pub(port, TASMOTA, &payload);
    }
    mosquitto_pub(port, ZIGBEE, r#"{"current":0.12,"energy":12.34,"linkquality":120,"power":56,"state":"ON"}"#);
    // A door sensor on the same bridge sends no value a meter could read.
    mosquitto_pub(port, "zigbee2mqtt/cua-chinh", r#"{"contact":true,"linkquality":87}"#);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while found_topics(&app).await.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the devices were not found: {:?}", found_topics(&app).await);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found_topics(&app).await, [ZIGBEE, TASMOTA], "the most recently seen first, and no door sensor");

    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/devices").await;
    let cell = |topic: &str, figure: &str| format!("tr[data-topic=\"{topic}\"] td[data-figure={figure}]");
    assert_eq!(text(&browser, &cell(TASMOTA, "format")).await, "tasmota");
    assert_eq!(text(&browser, &cell(TASMOTA, "field")).await, "ENERGY.Total");
    assert_eq!(text(&browser, &cell(TASMOTA, "last-value")).await, "514,200 kWh");
    assert_eq!(text(&browser, &cell(TASMOTA, "messages")).await, "2");
    assert_eq!(text(&browser, &cell(ZIGBEE, "format")).await, "zigbee2mqtt");
    assert_eq!(text(&browser, &cell(ZIGBEE, "field")).await, "energy");
    assert_eq!(text(&browser, &cell(ZIGBEE, "last-value")).await, "12,340 kWh");
    let width = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
    assert!(width <= u64::from(PHONE.width), "/admin/devices is {width} px wide on a phone");
    browser.screenshot("new-devices-phone.png").await;

    // Adopted through its form: id, name, format, unit and topic come filled in from the device.
    let form = format!("section.adopt[data-topic=\"{TASMOTA}\"]");
    browser.click(&format!("{form} summary")).await;
    let filled = browser
        .script(
            "const f = document.querySelector(arguments[0] + ' form'); return [f.id.value, f.name.value, f.format.value, f.unit.value, f.resource.value, f.topic.value, f.field.value];",
            json!([form]),
        )
        .await;
    assert_eq!(filled, json!(["may-in-p2", "may-in-p2", "tasmota", "kWh", "electricity", TASMOTA, "ENERGY.Total"]));
    browser.script("document.querySelector(arguments[0] + ' input[name=name]').value = ''", json!([form])).await;
    browser.type_into(&format!("{form} input[name=name]"), "Máy in Phòng A").await;
    browser
        .script("document.querySelector(arguments[0] + ' select[name=department]').value = 'phong-a'", json!([form]))
        .await;
    browser.script("window.xanhOldPage = true", json!([])).await;
    browser.click(&format!("{form} button[type=submit]")).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let at = browser
            .script(
                "return (window.xanhOldPage || document.readyState !== 'complete') ? null : location.search",
                json!([]),
            )
            .await;
        if at.as_str().is_some_and(|s| s.contains("ok=")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the adoption did not succeed: at {at}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        text(&browser, "[data-result=ok]").await,
        format!(
            "Đã nhận thiết bị {TASMOTA} thành công tơ may-in-p2 (Máy in Phòng A); 2 số liệu gửi trước đây đã được lưu."
        )
    );

    // Its earlier readings are stored in the new meter, and it is no longer a new device.
    assert_eq!(readings(&app, "may-in-p2").await, 2);
    let (_, meters) = app.get("/api/v1/meters").await;
    let meter = meters.as_array().unwrap().iter().find(|m| m["id"] == "may-in-p2").unwrap().clone();
    assert_eq!((meter["department"].as_str(), meter["last_value"].as_f64()), (Some("phong-a"), Some(514.2)), "{meter}");
    assert_eq!(found_topics(&app).await, [ZIGBEE]);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert!(rejected["items"].as_array().unwrap().iter().all(|r| r["topic"] != TASMOTA), "{rejected}");

    // The other over the API, as an admin: the same, and both are in the audit log.
    let spec = json!({"id": "may-lanh-p3", "name": "Máy lạnh P3", "resource": "electricity", "kind": "counter",
                      "unit": "kWh", "format": "zigbee2mqtt", "topic": ZIGBEE});
    let response = app.http.post(app.url("/api/v1/devices/adopt")).json(&spec).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let adopted: Value = response.json().await.unwrap();
    assert_eq!(
        (adopted["meter"]["id"].as_str(), adopted["history"]["stored"].as_u64()),
        (Some("may-lanh-p3"), Some(1))
    );
    assert_eq!(readings(&app, "may-lanh-p3").await, 1);
    assert!(found_topics(&app).await.is_empty());

    // A device given a meter on the meters' page instead is no longer new either.
    mosquitto_pub(port, "tele/may-chieu/SENSOR", r#"{"ENERGY":{"Total":3.5}}"#);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while found_topics(&app).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the projector was not found");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let spec = json!({"id": "may-chieu", "name": "Máy chiếu", "resource": "electricity", "kind": "counter",
                      "unit": "kWh", "format": "tasmota", "topic": "tele/may-chieu/SENSOR"});
    let response = app.http.post(app.url("/api/v1/meters")).json(&spec).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert!(found_topics(&app).await.is_empty());
    let (_, audit) = app.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "meters.add").count(), 3, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "rejected.reprocess").count(), 2, "{actions:?}");
    browser.quit().await;
    app.stop().await;
}
