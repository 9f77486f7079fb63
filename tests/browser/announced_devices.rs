//! Issue 18, item 3: devices that announce themselves. A Home Assistant discovery config and
//! a Zigbee2MQTT device list, published retained with the real `mosquitto_pub`, are on
//! "Thiết bị mới" with the unit and resource they announce before any reading; what a device
//! leaves unsaid is left empty with a Vietnamese hint; the Home Assistant one is adopted
//! through its form, filled in from the announcement, and its next reading is stored.

use std::time::Duration;

use super::*;
use common::{mosquitto_pub, mosquitto_pub_retained, wait_for};

const HA_TOPIC: &str = "homeassistant/sensor/may-in-p2/energy/config";
const HA_CONFIG: &str = r#"{"name":"Điện năng","unique_id":"may-in-p2-energy","state_topic":"tele/may-in-p2/SENSOR","value_template":"{{ value_json.ENERGY.Total }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"Máy in P2","identifiers":["may-in-p2"]}}"#;
const Z2M_DEVICES: &str = r#"[{"ieee_address":"0x00124b0024c1a2b3","type":"Coordinator","friendly_name":"Coordinator","definition":null},{"ieee_address":"0xa4c138d2e1f0a1b2","type":"Router","friendly_name":"may-lanh-p3","supported":true,"definition":{"model":"TS011F_plug_1","vendor":"TuYa","exposes":[{"type":"switch","features":[{"type":"binary","name":"state","property":"state","access":7}]},{"type":"numeric","name":"power","property":"power","unit":"W","access":5},{"type":"numeric","name":"energy","property":"energy","unit":"kWh","access":5}]}},{"ieee_address":"0xa4c138aa","type":"EndDevice","friendly_name":"dong-ho-nuoc","definition":{"exposes":[{"type":"numeric","name":"water_consumed","property":"water_consumed","unit":"m³","access":1}]}}]"#;
const HA_ROW: &str = "tele/may-in-p2/SENSOR#ENERGY.Total";
const PLUG_ROW: &str = "zigbee2mqtt/may-lanh-p3#energy";
const WATER_ROW: &str = "zigbee2mqtt/dong-ho-nuoc#water_consumed";

async fn announced(app: &TestApp) -> usize {
    let (status, devices) = app.get("/api/v1/devices/announced").await;
    assert_eq!(status, 200, "{devices}");
    devices.as_array().unwrap().len()
}

async fn meter(app: &TestApp, id: &str) -> Option<Value> {
    let (_, meters) = app.get("/api/v1/meters").await;
    meters.as_array().unwrap().iter().find(|m| m["id"] == id).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_devices_are_shown_before_any_reading_and_one_is_adopted_from_its_announcement() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let port = app.mqtt.1;
    mosquitto_pub_retained(port, HA_TOPIC, HA_CONFIG.as_bytes());
    mosquitto_pub_retained(port, "zigbee2mqtt/bridge/devices", Z2M_DEVICES.as_bytes());
    assert!(
        wait_for(Duration::from_secs(10), async || announced(&app).await == 3).await,
        "the announcements were not heard"
    );

    let browser = Browser::start().await;
    browser.resize(PHONE).await;
    browser.open(&app, "/admin/devices").await;
    let cell = |row: &str, figure: &str| format!("tr[data-announced=\"{row}\"] td[data-figure={figure}]");
    assert_eq!(text(&browser, &cell(HA_ROW, "name")).await, "Máy in P2");
    assert_eq!(text(&browser, &cell(HA_ROW, "by")).await, "Home Assistant");
    assert_eq!(text(&browser, &cell(HA_ROW, "resource")).await, "Điện");
    assert_eq!(text(&browser, &cell(HA_ROW, "unit")).await, "kWh");
    assert_eq!(text(&browser, &cell(HA_ROW, "kind")).await, "chỉ số cộng dồn");
    assert_eq!(text(&browser, &cell(HA_ROW, "last-value")).await, "chưa gửi");
    assert_eq!(text(&browser, &cell(PLUG_ROW, "by")).await, "Zigbee2MQTT");
    assert_eq!(text(&browser, &cell(PLUG_ROW, "resource")).await, "Điện");
    assert_eq!(text(&browser, &cell(PLUG_ROW, "unit")).await, "kWh");
    assert_eq!(text(&browser, &cell(WATER_ROW, "resource")).await, "Nước");
    assert_eq!(text(&browser, &cell(WATER_ROW, "unit")).await, "m³");
    // Zigbee2MQTT does not say whether `water_consumed` ever resets: not guessed.
    assert_eq!(text(&browser, &cell(WATER_ROW, "kind")).await, "chưa rõ");
    let water = format!("section.adopt[data-announced=\"{WATER_ROW}\"]");
    browser.click(&format!("{water} summary")).await;
    assert_eq!(
        text(&browser, &format!("{water} li[data-unsaid=kind]")).await,
        "Thiết bị không nói số nó gửi là chỉ số cộng dồn hay lượng dùng mỗi lần: hãy chọn kiểu công tơ."
    );
    let kind = browser
        .script("return document.querySelector(arguments[0] + ' select[name=kind]').value", json!([water]))
        .await;
    assert_eq!(kind, "", "the kind is left for the admin to choose");
    let width = browser.script("return document.documentElement.scrollWidth", json!([])).await.as_u64().unwrap();
    assert!(width <= u64::from(PHONE.width), "/admin/devices is {width} px wide on a phone");
    browser.screenshot("announced-devices-phone.png").await;

    // Adopted through its form, filled in from the announcement.
    let form = format!("section.adopt[data-announced=\"{HA_ROW}\"]");
    browser.click(&format!("{form} summary")).await;
    let filled = browser
        .script(
            "const f = document.querySelector(arguments[0] + ' form'); return [f.id.value, f.name.value, f.resource.value, f.kind.value, f.unit.value, f.format.value, f.topic.value, f.field.value];",
            json!([form]),
        )
        .await;
    assert_eq!(
        filled,
        json!([
            "may-in-p2",
            "Máy in P2",
            "electricity",
            "counter",
            "kWh",
            "tasmota",
            "tele/may-in-p2/SENSOR",
            "ENERGY.Total"
        ])
    );
    browser
        .script("document.querySelector(arguments[0] + ' select[name=department]').value = 'phong-a'", json!([form]))
        .await;
    browser.script("window.xanhOldPage = true", json!([])).await;
    browser.click(&format!("{form} button[type=submit]")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        text(&browser, "[data-result=ok]").await,
        "Đã nhận thiết bị tele/may-in-p2/SENSOR thành công tơ may-in-p2 (Máy in P2); 0 số liệu gửi trước đây đã được lưu."
    );
    let listed = browser
        .script(
            "return document.querySelectorAll(arguments[0]).length",
            json!([format!("tr[data-announced=\"{HA_ROW}\"]")]),
        )
        .await;
    assert_eq!(listed, 0, "an adopted device is no longer new");

    // Its first reading is stored in the new meter.
    mosquitto_pub(port, "tele/may-in-p2/SENSOR", r#"{"ENERGY":{"Total":514.2,"Today":0.5}}"#);
    let stored =
        wait_for(Duration::from_secs(10), async || meter(&app, "may-in-p2").await.is_some_and(|m| m["readings"] == 1))
            .await;
    let adopted = meter(&app, "may-in-p2").await.unwrap();
    assert!(stored, "{adopted}");
    assert_eq!(
        (adopted["department"].as_str(), adopted["last_value"].as_f64()),
        (Some("phong-a"), Some(514.2)),
        "{adopted}"
    );
    browser.quit().await;
    app.stop().await;
}
