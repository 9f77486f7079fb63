//! Every device format end to end: vendor sample payloads published with the real
//! `mosquitto_pub` to a real Mosquitto, read back through the API in canonical units.

use serde_json::Value;

use crate::common::{Mosquitto, TestApp, approx, external_mqtt, mosquitto_pub, office_config_text, spawn_app_from};

/// The devices of a small office, one meter per format (two radio meters share a topic).
const DEVICES: &str = r#"
[office]
name = "Văn phòng thử định dạng"
timezone = "Asia/Ho_Chi_Minh"

[[meters]]
id = "dien-tasmota"
name = "Ổ cắm Tasmota"
resource = "electricity"
kind = "counter"
unit = "kWh"
format = "tasmota"
topic = "tele/o-cam-a/SENSOR"

[[meters]]
id = "dien-tasmota-kenh-2"
name = "Tasmota hai kênh, kênh 2"
resource = "electricity"
kind = "counter"
unit = "kWh"
format = "tasmota"
topic = "tele/hai-kenh/SENSOR"
channel = 1

[[meters]]
id = "dien-shelly-em"
name = "Shelly EM"
resource = "electricity"
kind = "counter"
unit = "Wh"
format = "shelly-gen1"
topic = "shellies/shellyem-B9F2A1/emeter/0/total"

[[meters]]
id = "dien-shelly-plug"
name = "Shelly Plug S"
resource = "electricity"
kind = "counter"
unit = "Wmin"
format = "shelly-gen1"
topic = "shellies/shellyplug-s-7A3B/relay/0/energy"

[[meters]]
id = "dien-shelly-switch"
name = "Shelly Plus 1PM"
resource = "electricity"
kind = "counter"
unit = "Wh"
format = "shelly-gen2"
topic = "shellyplus1pm-a8032ab1/status/switch:0"

[[meters]]
id = "dien-shelly-3em"
name = "Shelly Pro 3EM"
resource = "electricity"
kind = "counter"
unit = "Wh"
format = "shelly-gen2"
topic = "shellypro3em-c8f09e/status/emdata:0"

[[meters]]
id = "dien-shelly-em1"
name = "Shelly EM Gen3"
resource = "electricity"
kind = "counter"
unit = "Wh"
format = "shelly-gen2"
topic = "shellyemg3-84fce6/status/em1data:0"

[[meters]]
id = "dien-zigbee"
name = "Ổ cắm Zigbee"
resource = "electricity"
kind = "counter"
unit = "kWh"
format = "zigbee2mqtt"
topic = "zigbee2mqtt/o-cam-phong-a"

[[meters]]
id = "nuoc-esphome"
name = "Đồng hồ nước ESPHome"
resource = "water"
kind = "counter"
unit = "L"
format = "esphome"
topic = "nuoc-tang-1/sensor/water_total/state"

[[meters]]
id = "nuoc-tang-1"
name = "Đồng hồ nước tầng 1"
resource = "water"
kind = "counter"
unit = "m3"
format = "wmbusmeters"
topic = "wmbusmeters/water"
device_id = "33225544"

[[meters]]
id = "nuoc-tang-2"
name = "Đồng hồ nước tầng 2"
resource = "water"
kind = "counter"
unit = "L"
format = "wmbusmeters"
topic = "wmbusmeters/water"
device_id = "11223344"

[[meters]]
id = "dien-senml"
name = "Công tơ SenML"
resource = "electricity"
kind = "counter"
unit = "kWh"
format = "senml"
topic = "senml/dien-tang-2"
field = "energy"
"#;

async fn start(broker: &Mosquitto) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(DEVICES, &external_mqtt(broker.port, "xanh-formats"), &dir.path().join("xanh.db"));
    spawn_app_from(&text, dir).await
}

async fn last_value(app: &TestApp, meter: &str) -> Value {
    app.meter(meter).await["last_value"].clone()
}

/// Electricity used by `meter` between two local times on 2 November 2026.
async fn used(app: &TestApp, meter: &str, from: &str, to: &str) -> Value {
    let query = format!(
        "resource=electricity&meter={meter}&step=hour&from=2026-11-02T{from}:00%2B07:00&to=2026-11-02T{to}:00%2B07:00"
    );
    app.consumption(&query).await["total"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_samples_become_readings_in_canonical_units() {
    let broker = Mosquitto::start();
    let app = start(&broker).await;
    let publish = |topic: &str, payload: &str| mosquitto_pub(broker.port, topic, payload);

    // Tasmota: Total, never Today; Time is Hà Nội time without an offset.
    publish(
        "tele/o-cam-a/SENSOR",
        r#"{"Time":"2026-11-02T08:00:00","ENERGY":{"TotalStartTime":"2022-03-20T15:20:48","Total":514.153,"Yesterday":1.495,"Today":0.537,"Period":0,"Power":56,"Voltage":234,"Current":0.392}}"#,
    );
    publish(
        "tele/o-cam-a/SENSOR",
        r#"{"Time":"2026-11-02T09:00:00","ENERGY":{"Total":515.0,"Yesterday":1.495,"Today":1.384}}"#,
    );
    publish(
        "tele/hai-kenh/SENSOR",
        r#"{"Time":"2026-11-02T08:00:00","ENERGY":{"Total":[2.813,0.254],"Today":[0.1,0.2]}}"#,
    );
    // Shelly Gen1: Wh and watt-minutes.
    publish("shellies/shellyem-B9F2A1/emeter/0/total", "51234.5");
    publish("shellies/shellyplug-s-7A3B/relay/0/energy", "60000");
    // Shelly Gen2: the three status shapes.
    publish(
        "shellyplus1pm-a8032ab1/status/switch:0",
        r#"{"id":0,"source":"init","output":true,"apower":20.5,"aenergy":{"total":1234.5,"by_minute":[340.1,336.9,337.0],"minute_ts":1700000000}}"#,
    );
    publish(
        "shellypro3em-c8f09e/status/emdata:0",
        r#"{"id":0,"a_total_act_energy":1000.0,"total_act":5678.9,"total_act_ret":12.0}"#,
    );
    publish("shellyemg3-84fce6/status/em1data:0", r#"{"id":0,"total_act_energy":4321.0,"total_act_ret_energy":0}"#);
    // Zigbee2MQTT: energy, then a partial update without it.
    publish(
        "zigbee2mqtt/o-cam-phong-a",
        r#"{"current":0.12,"energy":12.34,"linkquality":120,"power":56,"state":"ON"}"#,
    );
    publish("zigbee2mqtt/o-cam-phong-a", r#"{"linkquality":87}"#);
    // ESPHome: litres as text.
    publish("nuoc-tang-1/sensor/water_total/state", "123456");
    // wmbusmeters: two radio meters on one topic, and one nobody configured.
    let wmbus = |id: &str, total: f64| {
        format!(
            r#"{{"media":"water","meter":"iperl","name":"MyTapWater","id":"{id}","total_m3":{total},"max_flow_m3h":0,"timestamp":"2026-11-02T01:37:00Z"}}"#
        )
    };
    publish("wmbusmeters/water", &wmbus("33225544", 123.529));
    publish("wmbusmeters/water", &wmbus("11223344", 7.5));
    publish("wmbusmeters/water", &wmbus("99999999", 1.0));
    // SenML: a sum of power in J (7.2 MJ = 2 kWh) at 08:00 and 09:00 Hà Nội (01:00Z = 1793581200).
    publish(
        "senml/dien-tang-2",
        r#"[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1793581200,"bu":"W","n":"power","v":56},{"n":"energy","s":7200000},{"n":"energy","s":10800000,"t":3600}]"#,
    );
    app.wait_processed(16).await;

    approx(&last_value(&app, "dien-tasmota").await, 515.0);
    assert_eq!(app.meter("dien-tasmota").await["last_reading_at"], "2026-11-02T09:00:00+07:00");
    approx(&used(&app, "dien-tasmota", "08:00", "10:00").await, 0.847);
    approx(&last_value(&app, "dien-tasmota-kenh-2").await, 0.254);
    approx(&last_value(&app, "dien-shelly-em").await, 51.2345);
    approx(&last_value(&app, "dien-shelly-plug").await, 1.0);
    approx(&last_value(&app, "dien-shelly-switch").await, 1.2345);
    approx(&last_value(&app, "dien-shelly-3em").await, 5.6789);
    approx(&last_value(&app, "dien-shelly-em1").await, 4.321);
    approx(&last_value(&app, "dien-zigbee").await, 12.34);
    approx(&last_value(&app, "nuoc-esphome").await, 123.456);
    approx(&last_value(&app, "nuoc-tang-1").await, 123.529);
    approx(&last_value(&app, "nuoc-tang-2").await, 7.5);
    assert_eq!(app.meter("nuoc-tang-1").await["last_reading_at"], "2026-11-02T08:37:00+07:00");
    approx(&last_value(&app, "dien-senml").await, 3.0);
    approx(&used(&app, "dien-senml", "08:00", "10:00").await, 1.0);

    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 2, "{rejected}");
    let reason_of = |topic: &str| {
        let items = rejected["items"].as_array().unwrap();
        let item =
            items.iter().find(|r| r["topic"] == topic).unwrap_or_else(|| panic!("no rejection on {topic}: {rejected}"));
        (item["reason"].as_str().unwrap().to_owned(), item["detail"].as_str().unwrap().to_owned())
    };
    let (reason, detail) = reason_of("zigbee2mqtt/o-cam-phong-a");
    assert_eq!(reason, "undecodable");
    assert!(detail.contains("không có trường `energy`"), "{detail}");
    let (reason, detail) = reason_of("wmbusmeters/water");
    assert_eq!(reason, "unknown_meter");
    assert!(detail.contains("device_id = \"99999999\""), "{detail}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watt_minutes_count_as_kilowatt_hours_between_readings() {
    let broker = Mosquitto::start();
    let app = start(&broker).await;
    // No time in Shelly Gen1 messages: they are stamped on receipt, so count today's use.
    mosquitto_pub(broker.port, "shellies/shellyplug-s-7A3B/relay/0/energy", "60000");
    // Stored apart, so that the two receipt times differ.
    app.wait_processed(1).await;
    mosquitto_pub(broker.port, "shellies/shellyplug-s-7A3B/relay/0/energy", "120000");
    app.wait_processed(2).await;
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date();
    let tomorrow = today.tomorrow().unwrap();
    let body = app
        .consumption(&format!("resource=electricity&meter=dien-shelly-plug&from={today}&to={tomorrow}&step=day"))
        .await;
    approx(&body["total"], 1.0);
    approx(&last_value(&app, "dien-shelly-plug").await, 2.0);
    app.stop().await;
}
