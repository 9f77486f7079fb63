//! Shelly's announcements. Gen1 devices announce on `shellies/announce` with their id and
//! model; the model says which topics carry a register (an energy meter's `emeter/<i>/total`
//! in Wh, a metered relay's `relay/<i>/energy` in watt-minutes). Gen2 and later devices say
//! `true` on `<id>/online`; their default id names the model, which says whether it sends
//! `status/switch:0` (metered switches and plugs), `status/emdata:0` (Pro 3EM) or
//! `status/em1data:0` (Pro EM). A model that measures nothing is no meter.

use serde_json::Value;

use super::{Description, json};
use crate::domain::{Format, MeterKind, Resource, Unit};

pub(super) fn gen1_id(payload: &[u8]) -> Result<String, String> {
    let id = json(payload)?.get("id").and_then(Value::as_str).map(str::to_owned);
    id.filter(|id| !id.is_empty() && !id.contains(['/', '+', '#']))
        .ok_or_else(|| "a Shelly announce has its `id`".into())
}

pub(super) fn read_gen1(payload: &[u8]) -> Result<Vec<Description>, String> {
    let id = gen1_id(payload)?;
    let announce = json(payload)?;
    let model = announce.get("model").and_then(Value::as_str).unwrap_or_default();
    let (group, count, unit) = match model {
        "SHEM-3" => ("emeter", 3, Unit::WattHour),
        "SHEM" => ("emeter", 2, Unit::WattHour),
        "SHSW-25" => ("relay", 2, Unit::WattMinute),
        "SHSW-PM" | "SHPLG-S" | "SHPLG-1" | "SHPLG2-1" | "SHPLG-U1" | "SHPLG-IT1" | "SHPLG-UK1" => {
            ("relay", 1, Unit::WattMinute)
        }
        _ => return Ok(Vec::new()),
    };
    let register = if group == "emeter" { "total" } else { "energy" };
    Ok((0..count)
        .map(|i| Description {
            name: Some(if count == 1 { id.clone() } else { format!("{id} {}", i + 1) }),
            topic: Some(format!("shellies/{id}/{group}/{i}/{register}")),
            format: Some(Format::ShellyGen1),
            field: None,
            unit: Some(unit),
            resource: Some(Resource::Electricity),
            kind: Some(MeterKind::Counter),
        })
        .collect())
}

/// `None` when `<prefix>/online` is no Shelly's.
pub(super) fn read_gen2(prefix: &str, payload: &[u8]) -> Option<Vec<Description>> {
    let model = prefix.strip_prefix("shelly")?.split('-').next()?;
    if !matches!(payload, b"true" | b"false") {
        return None;
    }
    let (component, field) = if model == "pro3em" {
        ("emdata:0", "total_act")
    } else if model.starts_with("proem") {
        ("em1data:0", "total_act_energy")
    } else if ["1pm", "2pm", "4pm", "plug"].iter().any(|m| model.contains(m)) && !model.contains("mini") {
        ("switch:0", "aenergy.total")
    } else {
        return Some(Vec::new());
    };
    Some(vec![Description {
        name: Some(prefix.to_owned()),
        topic: Some(format!("{prefix}/status/{component}")),
        format: Some(Format::ShellyGen2),
        field: Some(field.to_owned()),
        unit: Some(Unit::WattHour),
        resource: Some(Resource::Electricity),
        kind: Some(MeterKind::Counter),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gen1_3em_announces_three_registers_in_wh() {
        let said = read_gen1(br#"{"id":"shellyem3-8CAAB561A1B2","model":"SHEM-3","mac":"8CAAB561A1B2","ip":"192.168.1.20","new_fw":false,"fw_ver":"20230913-114150/v1.14.0-gcb84623"}"#).unwrap();
        let topics: Vec<_> = said.iter().map(|d| d.topic.clone().unwrap()).collect();
        assert_eq!(
            topics,
            [
                "shellies/shellyem3-8CAAB561A1B2/emeter/0/total",
                "shellies/shellyem3-8CAAB561A1B2/emeter/1/total",
                "shellies/shellyem3-8CAAB561A1B2/emeter/2/total"
            ]
        );
        assert_eq!((said[0].unit, said[0].format), (Some(Unit::WattHour), Some(Format::ShellyGen1)));
        let plug = read_gen1(br#"{"id":"shellyplug-s-C8C9A3","model":"SHPLG-S"}"#).unwrap();
        assert_eq!(
            (plug[0].topic.as_deref(), plug[0].unit),
            (Some("shellies/shellyplug-s-C8C9A3/relay/0/energy"), Some(Unit::WattMinute))
        );
        assert_eq!(read_gen1(br#"{"id":"shelly1-ABC","model":"SHSW-1"}"#).unwrap(), []);
    }

    #[test]
    fn a_gen2_device_is_known_by_the_model_in_its_id() {
        let said = read_gen2("shellyplus1pm-a8032ab12345", b"true").unwrap();
        assert_eq!(
            (said[0].topic.as_deref(), said[0].field.as_deref()),
            (Some("shellyplus1pm-a8032ab12345/status/switch:0"), Some("aenergy.total"))
        );
        let em = read_gen2("shellypro3em-08f9e0e5", b"true").unwrap();
        assert_eq!(em[0].topic.as_deref(), Some("shellypro3em-08f9e0e5/status/emdata:0"));
        assert_eq!(read_gen2("shellyplus1-a803", b"true"), Some(Vec::new()));
        assert_eq!(read_gen2("may-bom/online", b"true"), None);
        assert_eq!(read_gen2("shellyplus1pm-a803", b"Online"), None);
    }
}
