//! Zigbee2MQTT's retained device list, `zigbee2mqtt/bridge/devices`: each device's
//! `friendly_name` (its state comes on `zigbee2mqtt/<friendly_name>`) and what it exposes,
//! numeric properties with their units, possibly nested in a composite's `features`.

use serde_json::Value;

use super::{Description, json, unit_named};
use crate::domain::{Format, MeterKind, Resource, Unit};

pub(super) fn read(payload: &[u8]) -> Result<Vec<Description>, String> {
    let list = json(payload)?;
    let devices = list.as_array().ok_or("the bridge's device list is a JSON array")?;
    let mut said = Vec::new();
    for device in devices {
        let (Some(name), Some(exposes)) = (
            device.get("friendly_name").and_then(Value::as_str),
            device.get("definition").and_then(|d| d.get("exposes")).and_then(Value::as_array),
        ) else {
            continue;
        };
        let mut registers = Vec::new();
        numeric(exposes, &mut registers);
        said.extend(registers.into_iter().map(|(property, unit)| Description {
            name: Some(name.to_owned()),
            topic: Some(format!("zigbee2mqtt/{name}")),
            format: Some(Format::Zigbee2mqtt),
            resource: match unit.resource() {
                Resource::Electricity => Some(Resource::Electricity),
                // A volume is water only where the property says so (it could be gas).
                _ => property.contains("water").then_some(Resource::Water),
            },
            // Zigbee2MQTT's `energy` is the device's cumulative register; other properties
            // do not say whether they reset.
            kind: (property == "energy").then_some(MeterKind::Counter),
            field: Some(property),
            unit: Some(unit),
        }));
    }
    Ok(said)
}

/// The numeric properties in an energy or volume unit.
fn numeric(exposes: &[Value], found: &mut Vec<(String, Unit)>) {
    for expose in exposes {
        if let Some(features) = expose.get("features").and_then(Value::as_array) {
            numeric(features, found);
        }
        let property = expose.get("property").and_then(Value::as_str);
        let unit = expose.get("unit").and_then(Value::as_str).and_then(unit_named);
        if let (Some("numeric"), Some(property), Some(unit)) =
            (expose.get("type").and_then(Value::as_str), property, unit)
        {
            found.push((property.to_owned(), unit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICES: &str = r#"[
      {"ieee_address":"0x00124b0024c1a2b3","type":"Coordinator","friendly_name":"Coordinator","definition":null},
      {"ieee_address":"0xa4c138d2e1f0a1b2","type":"Router","friendly_name":"may-lanh-p3","supported":true,
       "definition":{"model":"TS011F_plug_1","vendor":"TuYa","description":"Smart plug (with power monitoring)",
         "exposes":[{"type":"switch","features":[{"type":"binary","name":"state","property":"state","value_on":"ON","value_off":"OFF","access":7}]},
                    {"type":"numeric","name":"power","property":"power","unit":"W","access":5},
                    {"type":"numeric","name":"energy","property":"energy","unit":"kWh","access":5,"description":"Sum of consumed energy"},
                    {"type":"numeric","name":"linkquality","property":"linkquality","unit":"lqi","access":1}]}},
      {"ieee_address":"0xa4c138aa","type":"EndDevice","friendly_name":"dong-ho-nuoc","definition":{"exposes":[{"type":"numeric","name":"water_consumed","property":"water_consumed","unit":"m³","access":1}]}},
      {"ieee_address":"0x00158d","type":"EndDevice","friendly_name":"cua-chinh","definition":{"exposes":[{"type":"binary","name":"contact","property":"contact","access":1}]}}
    ]"#;

    #[test]
    fn a_plug_and_a_water_meter_are_read_from_the_list() {
        let said = read(DEVICES.as_bytes()).unwrap();
        assert_eq!(
            said,
            [
                Description {
                    name: Some("may-lanh-p3".into()),
                    topic: Some("zigbee2mqtt/may-lanh-p3".into()),
                    format: Some(Format::Zigbee2mqtt),
                    field: Some("energy".into()),
                    unit: Some(Unit::KilowattHour),
                    resource: Some(Resource::Electricity),
                    kind: Some(MeterKind::Counter),
                },
                Description {
                    name: Some("dong-ho-nuoc".into()),
                    topic: Some("zigbee2mqtt/dong-ho-nuoc".into()),
                    format: Some(Format::Zigbee2mqtt),
                    field: Some("water_consumed".into()),
                    unit: Some(Unit::CubicMetre),
                    resource: Some(Resource::Water),
                    kind: None,
                },
            ]
        );
    }

    #[test]
    fn a_list_that_is_not_one_is_bad() {
        assert!(read(br#"{"devices":[]}"#).is_err());
        assert!(read(b"[{\"friendly_name\":").is_err());
    }
}
