//! Home Assistant MQTT discovery: `homeassistant/<component>/[<node>/]<object>/config`, one
//! entity's config (keys in full or abbreviated, `~` standing for a base topic), or a whole
//! device's (`homeassistant/device/<id>/config` with its components under `cmps`). Only
//! sensors of energy or water are meters-to-be; the rest are no announcement of ours.

use serde_json::{Map, Value};

use super::{Description, format_of_topic, json, unit_named};
use crate::domain::{Format, MeterKind, Resource, Unit};

pub(super) fn read(component: &str, payload: &[u8]) -> Result<Vec<Description>, String> {
    let config = json(payload)?;
    let config = config.as_object().ok_or("a discovery config is a JSON object")?;
    match component {
        "sensor" => Ok(sensor(config, config)?.into_iter().collect()),
        "device" => {
            let components = config.get("cmps").and_then(Value::as_object).ok_or("a device's config has `cmps`")?;
            let mut sensors = Vec::new();
            for one in components.values().filter_map(Value::as_object) {
                if one.get("p").or_else(|| one.get("platform")).and_then(Value::as_str) == Some("sensor") {
                    sensors.extend(sensor(one, config)?);
                }
            }
            Ok(sensors)
        }
        _ => Ok(Vec::new()),
    }
}

/// One sensor's config; `device` holds the keys its device shares (itself for one entity).
fn sensor(config: &Map<String, Value>, device: &Map<String, Value>) -> Result<Option<Description>, String> {
    let key =
        |full: &str, short: &str| config.get(full).or_else(|| config.get(short)).and_then(Value::as_str).map(str::trim);
    let unit_text = key("unit_of_measurement", "unit_of_meas");
    let unit = unit_text.and_then(unit_named);
    let resource = match key("device_class", "dev_cla") {
        Some("energy") => Some(Resource::Electricity),
        Some("water") => Some(Resource::Water),
        // Gas and the rest (power, voltage, temperature…) are not what Xanh counts.
        Some(_) => return Ok(None),
        // A volume with no class may be gas: only an energy unit says electricity.
        None => match unit {
            Some(unit) if unit.resource() == Resource::Electricity => Some(Resource::Electricity),
            Some(_) => None,
            None => return Ok(None),
        },
    };
    let base = config.get("~").or_else(|| device.get("~")).and_then(Value::as_str);
    let topic = key("state_topic", "stat_t")
        .or_else(|| device.get("state_topic").or_else(|| device.get("stat_t")).and_then(Value::as_str))
        .ok_or("a sensor's config has `state_topic`")?;
    let topic = match (base, topic.strip_prefix('~'), topic.strip_suffix('~')) {
        (Some(base), Some(rest), _) => format!("{base}{rest}"),
        (Some(base), None, Some(rest)) => format!("{rest}{base}"),
        _ => topic.to_owned(),
    };
    let template = key("value_template", "val_tpl");
    let read = template.map_or(Some(Read::Whole), value_read);
    let format = match (format_of_topic(&topic), &read) {
        (Some(format), _) => Some(format),
        (None, Some(Read::Whole)) => Some(Format::Generic),
        (None, _) => None,
    };
    let device_name =
        device.get("device").or_else(|| device.get("dev")).and_then(|d| d.get("name")).and_then(Value::as_str);
    let name = device_name.or_else(|| config.get("name").and_then(Value::as_str)).map(str::to_owned);
    let kind = match key("state_class", "stat_cla") {
        Some("total_increasing") => Some(MeterKind::Counter),
        _ => None,
    };
    Ok(Some(Description {
        name,
        topic: Some(topic),
        format,
        field: match read {
            Some(Read::Field(path)) => Some(path),
            _ => None,
        },
        unit,
        resource: resource.filter(|r| unit.is_none_or(|u: Unit| u.resource() == *r)),
        kind,
    }))
}

/// How a value template reads the message.
#[derive(Debug, PartialEq)]
enum Read {
    /// `{{ value }}`: the whole message is the number.
    Whole,
    /// `{{ value_json.ENERGY.Total }}` or `{{ value_json['ENERGY']['Total'] }}`: a dotted path.
    Field(String),
}

/// What a template reads, where it is a plain path (a `float` or `round` filter changes
/// nothing); `None` for any other template, which Xanh will not guess at.
fn value_read(template: &str) -> Option<Read> {
    let inner = template.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    let mut parts = inner.split('|');
    let path = parts.next()?.trim();
    let harmless = |filter: &str| {
        let name = filter.trim().split('(').next().unwrap_or_default().trim();
        matches!(name, "float" | "round" | "is_defined")
    };
    if !parts.all(harmless) {
        return None;
    }
    if path == "value" {
        return Some(Read::Whole);
    }
    let mut rest = path.strip_prefix("value_json")?;
    let mut keys = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            keys.push(&after[..end]);
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let end = after.find(['\'', '"'])?;
            keys.push(&after[..end]);
            rest = after[end + 1..].strip_prefix(']')?;
        } else {
            return None;
        }
    }
    let plain = |k: &&str| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (!keys.is_empty() && keys.iter().all(plain)).then(|| Read::Field(keys.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(payload: &str) -> Option<Description> {
        read("sensor", payload.as_bytes()).unwrap().into_iter().next()
    }

    #[test]
    fn an_energy_sensor_says_resource_unit_kind_format_and_field() {
        let said = one(r#"{"name":"Điện tiêu thụ","state_topic":"tele/may-in/SENSOR","value_template":"{{ value_json.ENERGY.Total }}","unit_of_measurement":"kWh","device_class":"energy","state_class":"total_increasing","device":{"name":"Máy in P2","identifiers":["a1"]}}"#).unwrap();
        assert_eq!(
            said,
            Description {
                name: Some("Máy in P2".into()),
                topic: Some("tele/may-in/SENSOR".into()),
                format: Some(Format::Tasmota),
                field: Some("ENERGY.Total".into()),
                unit: Some(Unit::KilowattHour),
                resource: Some(Resource::Electricity),
                kind: Some(MeterKind::Counter),
            }
        );
    }

    #[test]
    fn tasmotas_abbreviated_keys_are_read() {
        let said = one(r#"{"name":"P2 ENERGY Total","stat_t":"tele/tasmota_35EBF6/SENSOR","avty_t":"tele/tasmota_35EBF6/LWT","uniq_id":"35EBF6_ENERGY_Total","dev":{"ids":["35EBF6"]},"unit_of_meas":"kWh","dev_cla":"energy","stat_cla":"total_increasing","val_tpl":"{{value_json['ENERGY']['Total']}}"}"#).unwrap();
        assert_eq!((said.field.as_deref(), said.name.as_deref()), (Some("ENERGY.Total"), Some("P2 ENERGY Total")));
        assert_eq!(said.format, Some(Format::Tasmota));
    }

    #[test]
    fn a_water_meter_on_its_own_topic_reads_the_whole_message() {
        let said = one(r#"{"~":"nuoc/nha-a","stat_t":"~/tong","unit_of_meas":"m³","dev_cla":"water","stat_cla":"total_increasing"}"#).unwrap();
        assert_eq!(
            (said.topic.as_deref(), said.format, said.field, said.unit, said.resource),
            (Some("nuoc/nha-a/tong"), Some(Format::Generic), None, Some(Unit::CubicMetre), Some(Resource::Water))
        );
    }

    #[test]
    fn what_the_device_does_not_say_is_not_guessed() {
        // A volume with no class could be gas; a computed template and a plain `total` class
        // (which may reset) say nothing Xanh can rely on.
        let said = one(r#"{"state_topic":"dong-ho/nuoc","value_template":"{{ value_json.total * 1000 }}","unit_of_measurement":"L","state_class":"total"}"#).unwrap();
        assert_eq!((said.resource, said.kind, said.field, said.format), (None, None, None, None));
        assert_eq!(said.unit, Some(Unit::Litre));
    }

    #[test]
    fn power_gas_and_switches_are_not_meters() {
        assert_eq!(one(r#"{"state_topic":"tele/a/SENSOR","unit_of_measurement":"W","device_class":"power"}"#), None);
        assert_eq!(one(r#"{"state_topic":"gas/a","unit_of_measurement":"m³","device_class":"gas"}"#), None);
        assert_eq!(read("switch", br#"{"command_topic":"cmnd/a/POWER"}"#).unwrap(), []);
    }

    #[test]
    fn a_device_config_lists_its_sensors() {
        let said = read("device", r#"{"dev":{"ids":"ea33","name":"Công tơ tổng"},"o":{"name":"x"},"state_topic":"cong-to/tong/state","cmps":{"e":{"p":"sensor","device_class":"energy","unit_of_measurement":"kWh","value_template":"{{ value_json.energy | float(0) }}","state_class":"total_increasing"},"t":{"p":"sensor","device_class":"temperature","unit_of_measurement":"°C"}}}"#.as_bytes()).unwrap();
        assert_eq!(said.len(), 1);
        assert_eq!((said[0].name.as_deref(), said[0].field.as_deref()), (Some("Công tơ tổng"), Some("energy")));
        assert_eq!(said[0].format, None, "a JSON message on a topic no known device uses: the admin picks the format");
    }

    #[test]
    fn a_config_without_its_state_topic_is_bad() {
        assert!(read("sensor", br#"{"device_class":"energy","unit_of_measurement":"kWh"}"#).is_err());
        assert!(read("sensor", b"[1,2]").is_err());
    }
}
