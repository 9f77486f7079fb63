//! Issue 18, item 3: devices that announce themselves (Home Assistant discovery, Tasmota's
//! discovery, Shelly's announce, Zigbee2MQTT's device list), published with the real
//! `mosquitto_pub` as retained messages, are listed with what they say before they send a
//! single reading; what they leave unsaid is not guessed; bad announcements are left out
//! without breaking the list; an empty retained message withdraws one.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::OFFICE;
use crate::common::{TestApp, embedded_mqtt, mosquitto_pub_retained, office_config_text, spawn_app_from, wait_for};

pub const HA_TOPIC: &str = "homeassistant/sensor/may-in-p2/energy/config";
pub const HA_CONFIG: &str = r#"{"name":"Điện năng","unique_id":"may-in-p2-energy","state_topic":"tele/may-in-p2/SENSOR","value_template":"{{ value_json.ENERGY.Total }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"Máy in P2","identifiers":["may-in-p2"]}}"#;
pub const Z2M_DEVICES: &str = r#"[{"ieee_address":"0x00124b0024c1a2b3","type":"Coordinator","friendly_name":"Coordinator","definition":null},{"ieee_address":"0xa4c138d2e1f0a1b2","type":"Router","friendly_name":"may-lanh-p3","supported":true,"definition":{"model":"TS011F_plug_1","vendor":"TuYa","description":"Smart plug (with power monitoring)","exposes":[{"type":"switch","features":[{"type":"binary","name":"state","property":"state","value_on":"ON","value_off":"OFF","access":7}]},{"type":"numeric","name":"power","property":"power","unit":"W","access":5},{"type":"numeric","name":"energy","property":"energy","unit":"kWh","access":5}]}},{"ieee_address":"0x00158d0001","type":"EndDevice","friendly_name":"cua-chinh","definition":{"exposes":[{"type":"binary","name":"contact","property":"contact","access":1}]}}]"#;

pub async fn announced(app: &TestApp) -> Vec<Value> {
    let (status, devices) = app.get("/api/v1/devices/announced").await;
    assert_eq!(status, 200, "{devices}");
    devices.as_array().unwrap().clone()
}

pub async fn wait_announced(app: &TestApp, count: usize) -> Vec<Value> {
    let listed = wait_for(Duration::from_secs(10), async || announced(app).await.len() == count).await;
    let devices = announced(app).await;
    assert!(listed, "expected {count} announced meters, found {devices:#?}");
    devices
}

fn by_topic<'a>(devices: &'a [Value], topic: &str) -> &'a Value {
    devices.iter().find(|d| d["topic"] == topic).unwrap_or_else(|| panic!("{topic} is not listed: {devices:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_that_announce_themselves_are_listed_before_any_reading() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let port = app.mqtt.1;
    mosquitto_pub_retained(port, HA_TOPIC, HA_CONFIG.as_bytes());
    mosquitto_pub_retained(port, "zigbee2mqtt/bridge/devices", Z2M_DEVICES.as_bytes());
    // Tasmota's own discovery: its config, then one sample of its SENSOR message.
    mosquitto_pub_retained(
        port,
        "tasmota/discovery/DC4F220D2F6A/config",
        br#"{"ip":"192.168.1.50","dn":"May chieu","fn":["Tasmota",null],"hn":"tasmota-0D2F6A-3946","mac":"DC4F220D2F6A","md":"Sonoff Pow R2","t":"tasmota_0D2F6A","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"ver":1}"#,
    );
    mosquitto_pub_retained(
        port,
        "tasmota/discovery/DC4F220D2F6A/sensors",
        br#"{"sn":{"Time":"2026-12-06T10:00:00","ENERGY":{"TotalStartTime":"2026-01-01T00:00:00","Total":3.5,"Yesterday":0.1,"Today":0.2,"Power":40}},"ver":1}"#,
    );
    // A Shelly Gen1 3EM (not retained: Shelly announces on connecting) and a Gen2 plug.
    crate::common::mosquitto_pub(
        port,
        "shellies/announce",
        r#"{"id":"shellyem3-8CAAB561A1B2","model":"SHEM-3","mac":"8CAAB561A1B2","ip":"192.168.1.20","new_fw":false,"fw_ver":"20230913-114150/v1.14.0-gcb84623"}"#,
    );
    mosquitto_pub_retained(port, "shellyplusplugs-b0b21c1a2b3c/online", b"true");
    // A water meter that says its unit but not its class (a volume could be gas) nor whether
    // its value ever resets.
    mosquitto_pub_retained(
        port,
        "homeassistant/sensor/dong-ho-nuoc/config",
        r#"{"name":"Nước tòa A","stat_t":"nuoc/toa-a","unit_of_meas":"m³","stat_cla":"total"}"#.as_bytes(),
    );
    // Bad ones: not JSON, 1 MB, keys missing. None of them stops the others being listed.
    mosquitto_pub_retained(port, "homeassistant/sensor/hong/config", b"{\"state_topic\": ");
    let big = format!("[{}]", " ".repeat(1_000_000));
    mosquitto_pub_retained(port, "homeassistant/sensor/qua-lon/config", big.as_bytes());
    mosquitto_pub_retained(port, "tasmota/discovery/AABBCCDDEEFF/config", br#"{"dn":"thieu"}"#);

    let devices = wait_announced(&app, 8).await;
    let ha = by_topic(&devices, "tele/may-in-p2/SENSOR");
    assert_eq!(
        (&ha["announced_by"], &ha["name"], &ha["resource"], &ha["unit"], &ha["kind"], &ha["format"], &ha["field"]),
        (
            &json!("Home Assistant"),
            &json!("Máy in P2"),
            &json!("electricity"),
            &json!("kWh"),
            &json!("counter"),
            &json!("tasmota"),
            &json!("ENERGY.Total")
        ),
        "{ha:#}"
    );
    assert_eq!((&ha["unsaid"], &ha["suggested_id"], &ha["messages"]), (&json!([]), &json!("may-in-p2"), &json!(0)));
    let plug = by_topic(&devices, "zigbee2mqtt/may-lanh-p3");
    assert_eq!(
        (&plug["announced_by"], &plug["field"], &plug["unit"], &plug["resource"]),
        (&json!("Zigbee2MQTT"), &json!("energy"), &json!("kWh"), &json!("electricity"))
    );
    let tasmota = by_topic(&devices, "tele/tasmota_0D2F6A/SENSOR");
    assert_eq!(
        (&tasmota["name"], &tasmota["field"], &tasmota["kind"]),
        (&json!("May chieu"), &json!("ENERGY.Total"), &json!("counter"))
    );
    for phase in 0..3 {
        let topic = format!("shellies/shellyem3-8CAAB561A1B2/emeter/{phase}/total");
        assert_eq!(by_topic(&devices, &topic)["unit"], "Wh");
    }
    let gen2 = by_topic(&devices, "shellyplusplugs-b0b21c1a2b3c/status/switch:0");
    assert_eq!((&gen2["format"], &gen2["field"]), (&json!("shelly-gen2"), &json!("aenergy.total")));
    let water = by_topic(&devices, "nuoc/toa-a");
    assert_eq!((&water["unit"], &water["resource"], &water["kind"]), (&json!("m3"), &Value::Null, &Value::Null));
    assert_eq!(water["unsaid"], json!(["resource", "kind"]));

    // Announcements are no readings and no rejections; the door sensor is no meter.
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"], json!([]), "{rejected}");
    let (_, found) = app.get("/api/v1/devices").await;
    assert_eq!(found, json!([]));

    // A meter added on an announced topic takes it off the list; an empty retained message
    // withdraws an announcement.
    let spec = json!({"id": "may-lanh-p3", "name": "Máy lạnh P3", "resource": "electricity", "kind": "counter",
                      "unit": "kWh", "format": "zigbee2mqtt", "topic": "zigbee2mqtt/may-lanh-p3"});
    let response = app.http.post(app.url("/api/v1/meters")).json(&spec).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    mosquitto_pub_retained(port, "homeassistant/sensor/dong-ho-nuoc/config", b"");
    let devices = wait_announced(&app, 6).await;
    assert!(
        devices.iter().all(|d| d["topic"] != "zigbee2mqtt/may-lanh-p3" && d["topic"] != "nuoc/toa-a"),
        "{devices:#?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_device_that_sends_is_listed_once_with_its_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let port = app.mqtt.1;
    mosquitto_pub_retained(port, HA_TOPIC, HA_CONFIG.as_bytes());
    crate::common::mosquitto_pub(port, "tele/may-in-p2/SENSOR", r#"{"ENERGY":{"Total":514.2}}"#);
    let listed =
        wait_for(Duration::from_secs(10), async || announced(&app).await.first().is_some_and(|d| d["messages"] == 1))
            .await;
    let devices = announced(&app).await;
    assert!(listed, "{devices:#?}");
    assert_eq!(devices[0]["last_value"], 514.2);
    let (_, found) = app.get("/api/v1/devices").await;
    assert_eq!(found, json!([]), "listed with its announcement, not a second time");

    // Adopted over the API from what it announced, its message is stored.
    let said = &devices[0];
    let spec = json!({"id": said["suggested_id"], "name": said["name"], "resource": said["resource"], "kind": said["kind"],
                      "unit": said["unit"], "format": said["format"], "topic": said["topic"], "field": said["field"]});
    let response = app.http.post(app.url("/api/v1/devices/adopt")).json(&spec).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let adopted: Value = response.json().await.unwrap();
    assert_eq!(adopted["history"]["stored"], 1, "{adopted}");
    assert_eq!(announced(&app).await, Vec::<Value>::new());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_are_still_listed_after_a_restart_of_the_embedded_broker() {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    let port = app.mqtt.1;
    mosquitto_pub_retained(port, HA_TOPIC, HA_CONFIG.as_bytes());
    mosquitto_pub_retained(port, "zigbee2mqtt/bridge/devices", Z2M_DEVICES.as_bytes());
    let before = wait_announced(&app, 2).await;
    // The embedded broker keeps no retained message over a restart: Xanh keeps them.
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(announced(&app).await, before);
    // What is withdrawn stays withdrawn.
    mosquitto_pub_retained(app.mqtt.1, HA_TOPIC, b"");
    wait_announced(&app, 1).await;
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(
        announced(&app).await.iter().map(|d| d["topic"].clone()).collect::<Vec<_>>(),
        [json!("zigbee2mqtt/may-lanh-p3")]
    );
    app.stop().await;
}
