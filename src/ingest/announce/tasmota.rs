//! Tasmota's own discovery (SetOption19 0): `tasmota/discovery/<mac>/config`, the device and
//! its topic pattern, and `…/sensors`, one sample of its `tele/<topic>/SENSOR` message. An
//! energy monitor's sample has `ENERGY.Total`, its cumulative register in kWh.

use serde_json::Value;

use super::{Description, json};
use crate::domain::{Format, MeterKind, Resource, Unit};

/// Where the sensor sample of a device whose config is kept under `key` would be kept.
pub(super) fn sensors_key(key: &str) -> Option<String> {
    key.strip_suffix("/config").filter(|k| k.starts_with("tasmota/discovery/")).map(|k| format!("{k}/sensors"))
}

pub(super) fn check_sensors(payload: &[u8]) -> Result<(), String> {
    json(payload)?
        .get("sn")
        .and_then(Value::as_object)
        .map(|_| ())
        .ok_or_else(|| "a sensors message has `sn`".to_owned())
}

/// The device its config describes, its register read from the sensor sample when there is
/// one; a sample without `ENERGY` is a device that measures nothing Xanh counts.
pub(super) fn read(config: &[u8], sensors: Option<&[u8]>) -> Result<Vec<Description>, String> {
    let config = json(config)?;
    let text = |key: &str| config.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(topic), Some(full_topic)) = (text("t"), text("ft")) else {
        return Err("a Tasmota config has its topic `t` and full topic `ft`".into());
    };
    let tele = config.get("tp").and_then(|p| p.get(2)).and_then(Value::as_str).unwrap_or("tele");
    let state_topic = format!(
        "{}SENSOR",
        full_topic
            .replace("%prefix%", tele)
            .replace("%topic%", topic)
            .replace("%hostname%", text("hn").unwrap_or_default())
            .replace("%id%", text("mac").unwrap_or_default())
    );
    let friendly = config.get("fn").and_then(|f| f.get(0)).and_then(Value::as_str);
    let name = text("dn").or(friendly).unwrap_or(topic).to_owned();
    let device = Description {
        name: Some(name),
        topic: Some(state_topic),
        format: Some(Format::Tasmota),
        ..Description::default()
    };
    let Some(sensors) = sensors.and_then(|s| json(s).ok()) else { return Ok(vec![device]) };
    let sample = sensors.get("sn");
    if sample.and_then(|s| s.get("ENERGY")).and_then(|e| e.get("Total")).is_none() {
        return Ok(Vec::new());
    }
    Ok(vec![Description {
        field: Some("ENERGY.Total".into()),
        unit: Some(Unit::KilowattHour),
        resource: Some(Resource::Electricity),
        kind: Some(MeterKind::Counter),
        ..device
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"ip":"192.168.1.50","dn":"May in P2","fn":["Tasmota",null,null,null,null,null,null,null],"hn":"tasmota-0D2F6A-3946","mac":"DC4F220D2F6A","md":"Sonoff Pow R2","ty":0,"if":0,"ofln":"Offline","onln":"Online","state":["OFF","ON","TOGGLE","HOLD"],"sw":"12.5.0","t":"tasmota_0D2F6A","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"rl":[1,0,0,0,0,0,0,0],"swc":[-1,-1,-1,-1,-1,-1,-1,-1],"swn":[null,null,null,null,null,null,null,null],"btn":[0,0,0,0,0,0,0,0],"so":{"4":0,"11":0,"13":0,"17":0,"20":0,"30":0,"68":0,"73":0,"82":0,"114":0,"117":0},"lk":0,"lt_st":0,"sho":[0,0,0,0],"sht":[[0,0,0],[0,0,0],[0,0,0],[0,0,0]],"ver":1}"#;
    const SENSORS: &str = r#"{"sn":{"Time":"2026-12-06T10:00:00","ENERGY":{"TotalStartTime":"2026-01-01T00:00:00","Total":514.153,"Yesterday":1.495,"Today":0.537,"Power":56,"ApparentPower":92,"ReactivePower":73,"Factor":0.61,"Voltage":234,"Current":0.392}},"ver":1}"#;

    #[test]
    fn an_energy_monitor_reads_its_total_on_its_sensor_topic() {
        let said = read(CONFIG.as_bytes(), Some(SENSORS.as_bytes())).unwrap();
        assert_eq!(
            said,
            [Description {
                name: Some("May in P2".into()),
                topic: Some("tele/tasmota_0D2F6A/SENSOR".into()),
                format: Some(Format::Tasmota),
                field: Some("ENERGY.Total".into()),
                unit: Some(Unit::KilowattHour),
                resource: Some(Resource::Electricity),
                kind: Some(MeterKind::Counter),
            }]
        );
    }

    #[test]
    fn before_its_sensors_are_known_only_the_topic_is_said() {
        let said = read(CONFIG.as_bytes(), None).unwrap();
        assert_eq!((said[0].format, said[0].field.as_deref(), said[0].resource), (Some(Format::Tasmota), None, None));
        let custom = CONFIG.replace(r#""ft":"%prefix%/%topic%/""#, r#""ft":"van-phong/%topic%/%prefix%/""#);
        assert_eq!(
            read(custom.as_bytes(), None).unwrap()[0].topic.as_deref(),
            Some("van-phong/tasmota_0D2F6A/tele/SENSOR")
        );
    }

    #[test]
    fn a_device_without_energy_is_no_meter() {
        let sensors = r#"{"sn":{"Time":"2026-12-06T10:00:00","AM2301":{"Temperature":27.1,"Humidity":60}},"ver":1}"#;
        assert_eq!(read(CONFIG.as_bytes(), Some(sensors.as_bytes())).unwrap(), []);
        assert!(check_sensors(b"{}").is_err());
    }
}
