//! New devices found on the broker: topics whose messages match no meter, gathered from the
//! rejected input (`unknown_topic`), each with the format Xanh recognises in its latest
//! message, the field it would read and the value it would take. What a message is, is
//! decided here, in ingest; the admin page only shows it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Pipeline;
use super::formats::{DecodeContext, decoder_for};
use crate::domain::{Conversion, Format, RejectReason, Source, Topic, Unit};
use crate::store::{StoreError, StoreReads};

/// What Xanh reads in a device's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub format: Format,
    /// The key or path of the value, where the format reads one from a structured message;
    /// `None` where the whole message is the value.
    pub field: Option<&'static str>,
    pub value: f64,
    /// The unit the format says the value is in; `None` where only the device's own setup
    /// knows (a bare number).
    pub unit: Option<Unit>,
}

/// A topic that reached the broker but matches no meter.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDevice {
    pub topic: String,
    /// What its latest message reads as; `None` when no format reads it.
    pub recognised: Option<Recognised>,
    /// How many of its messages wait among the rejected.
    pub messages: u64,
    pub last_seen: Timestamp,
    /// The device's own name, where its topic carries one (`tele/<name>/SENSOR`,
    /// `zigbee2mqtt/<name>`, `shellies/<name>/…`).
    pub name: Option<String>,
}

impl FoundDevice {
    /// A meter id made from the device's name (or topic): its letters and digits, joined by `-`.
    pub fn suggested_id(&self) -> String {
        let source = self.name.as_deref().unwrap_or(&self.topic);
        let words: Vec<String> = source
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        words.join("-")
    }
}

const PAGE: usize = 1000;

/// Where the devices Xanh reads publish their values by default, watched whether or not a
/// meter is there yet: what a format reads on them, with no meter, is kept among the rejected
/// (`unknown_topic`) and listed as a new device.
pub const DEVICE_FILTERS: &[&str] = &[
    "tele/+/SENSOR",
    "zigbee2mqtt/+",
    "shellies/+/emeter/+/total",
    "shellies/+/emeter/+/energy",
    "shellies/+/relay/+/energy",
    "+/status/+",
    "+/sensor/+/state",
];

/// Whether `topic` is one a device Xanh reads publishes on by default.
pub fn on_device_topic(topic: &str) -> bool {
    Topic::try_from(topic.to_owned()).is_ok_and(|t| DEVICE_FILTERS.iter().any(|f| t.matches_filter(f)))
}

/// Every topic among the rejected, not yet reprocessed, that no meter publishes on (a meter
/// may have been added on it since), with the latest message read; the most recently seen
/// first.
pub async fn found_devices(store: &dyn StoreReads, pipeline: &Pipeline) -> Result<Vec<FoundDevice>, StoreError> {
    struct Seen {
        messages: u64,
        last_seen: Timestamp,
        last_payload: Vec<u8>,
    }
    let mut topics: BTreeMap<String, Seen> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.rejected_for_retry(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for item in page {
            let (Some(RejectReason::UnknownTopic), Source::Mqtt, Some(topic)) =
                (item.reason, item.origin.source, item.origin.topic)
            else {
                continue;
            };
            if pipeline.has_meter_on(&topic) {
                continue;
            }
            let seen = topics.entry(topic).or_insert(Seen {
                messages: 0,
                last_seen: item.origin.received_at,
                last_payload: Vec::new(),
            });
            seen.messages += 1;
            // Items come oldest first: the last one kept is the latest.
            seen.last_seen = item.origin.received_at;
            seen.last_payload = item.origin.payload;
        }
    }
    let mut devices: Vec<FoundDevice> = topics
        .into_iter()
        .map(|(topic, seen)| FoundDevice {
            recognised: recognise(&topic, &seen.last_payload, pipeline.timezone(), seen.last_seen),
            name: device_name(&topic),
            topic,
            messages: seen.messages,
            last_seen: seen.last_seen,
        })
        .collect();
    devices.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.topic.cmp(&b.topic)));
    Ok(devices)
}

/// One way to read a message: a format, the field it reads by default, and its unit.
type Guess = (Format, Option<&'static str>, Option<Unit>);

/// The first format that reads `payload`: those the topic points to first (a Tasmota or
/// Shelly topic says what sends on it), then those whose messages say what they are.
pub fn recognise(topic: &str, payload: &[u8], timezone: &TimeZone, received_at: Timestamp) -> Option<Recognised> {
    let by_payload: [Guess; 6] = [
        (Format::Tasmota, Some("ENERGY.Total"), Some(Unit::KilowattHour)),
        (Format::Wmbusmeters, Some("total_m3"), Some(Unit::CubicMetre)),
        (Format::Senml, None, Some(Unit::KilowattHour)),
        (Format::ShellyGen2, shelly_gen2_field(payload), Some(Unit::WattHour)),
        (Format::Zigbee2mqtt, Some("energy"), Some(Unit::KilowattHour)),
        (Format::Generic, None, None),
    ];
    by_topic(topic).into_iter().chain(by_payload).find_map(|(format, field, unit)| {
        let conversion =
            Conversion::new(unit.unwrap_or(Unit::KilowattHour), unit.unwrap_or(Unit::KilowattHour).resource()).ok()?;
        let context = DecodeContext { field: None, channel: 0, unit: conversion, timezone, received_at };
        let values = decoder_for(format).decode(payload, &context).ok()?;
        let value = values.last()?.value;
        Some(Recognised { format, field, value, unit })
    })
}

fn by_topic(topic: &str) -> Option<Guess> {
    let parts: Vec<&str> = topic.split('/').collect();
    match parts[..] {
        ["tele", _, "SENSOR"] => Some((Format::Tasmota, Some("ENERGY.Total"), Some(Unit::KilowattHour))),
        ["zigbee2mqtt", name] if name != "bridge" => {
            Some((Format::Zigbee2mqtt, Some("energy"), Some(Unit::KilowattHour)))
        }
        ["shellies", _, "emeter", _, "total" | "total_returned"] => {
            Some((Format::ShellyGen1, None, Some(Unit::WattHour)))
        }
        ["shellies", _, "emeter" | "relay", _, "energy"] => Some((Format::ShellyGen1, None, Some(Unit::WattMinute))),
        [.., "sensor", _, "state"] => Some((Format::Esphome, None, None)),
        _ => None,
    }
}

/// The register a Shelly Gen2 status carries: the one its decoder takes by default.
fn shelly_gen2_field(payload: &[u8]) -> Option<&'static str> {
    let message: serde_json::Value = serde_json::from_slice(payload).ok()?;
    if message.get("aenergy").is_some() {
        Some("aenergy.total")
    } else if message.get("total_act").is_some() {
        Some("total_act")
    } else {
        message.get("total_act_energy").map(|_| "total_act_energy")
    }
}

fn device_name(topic: &str) -> Option<String> {
    let parts: Vec<&str> = topic.split('/').collect();
    match parts[..] {
        ["tele", name, "SENSOR"] | ["zigbee2mqtt", name] | ["shellies", name, ..] => Some(name.to_owned()),
        [.., name, "sensor", _, "state"] => Some(name.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(topic: &str, payload: &str) -> Option<Recognised> {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        recognise(topic, payload.as_bytes(), &tz, "2026-11-28T00:00:00Z".parse().unwrap())
    }

    #[test]
    fn a_tasmota_sensor_reads_its_total_never_today() {
        let found = read(
            "tele/may-in/SENSOR",
            r#"{"Time":"2023-05-19T20:52:56","ENERGY":{"Total":514.153,"Today":0.537,"Power":56}}"#,
        )
        .unwrap();
        assert_eq!(
            found,
            Recognised {
                format: Format::Tasmota,
                field: Some("ENERGY.Total"),
                value: 514.153,
                unit: Some(Unit::KilowattHour)
            }
        );
    }

    #[test]
    fn a_zigbee2mqtt_state_reads_its_energy_in_kwh() {
        let found = read("zigbee2mqtt/may lanh", r#"{"energy":12.34,"power":56,"linkquality":120}"#).unwrap();
        assert_eq!((found.format, found.field, found.value), (Format::Zigbee2mqtt, Some("energy"), 12.34));
    }

    #[test]
    fn a_message_says_its_format_when_its_topic_does_not() {
        let water = read(
            "nha-a/nuoc",
            r#"{"media":"water","meter":"iperl","id":"33225544","total_m3":123.529,"timestamp":"2024-03-03T18:37:00Z"}"#,
        )
        .unwrap();
        assert_eq!((water.format, water.unit, water.value), (Format::Wmbusmeters, Some(Unit::CubicMetre), 123.529));
        let shelly = read("phong-b/status/switch:0", r#"{"id":0,"apower":20.5,"aenergy":{"total":1234.5}}"#).unwrap();
        assert_eq!((shelly.format, shelly.field), (Format::ShellyGen2, Some("aenergy.total")));
        assert_eq!(read("abc/def", "12.5").map(|r| r.format), Some(Format::Generic));
    }

    #[test]
    fn the_topics_devices_publish_on_are_watched_and_no_others() {
        for topic in ["tele/may-in/SENSOR", "zigbee2mqtt/may lanh", "shellies/em3/emeter/0/total", "p2/status/switch:0"]
        {
            assert!(on_device_topic(topic), "{topic}");
        }
        for topic in ["zigbee2mqtt/bridge/devices", "tele/may-in/STATE", "office/temperature"] {
            assert!(!on_device_topic(topic), "{topic}");
        }
    }

    #[test]
    fn what_no_format_reads_is_not_recognised() {
        assert_eq!(read("zigbee2mqtt/cua", r#"{"contact":true,"linkquality":87}"#), None);
        assert_eq!(read("abc", "online"), None);
    }

    #[test]
    fn a_meter_id_is_suggested_from_the_device_name() {
        let device = FoundDevice {
            topic: "zigbee2mqtt/May lanh P2".into(),
            recognised: None,
            messages: 1,
            last_seen: Timestamp::UNIX_EPOCH,
            name: device_name("zigbee2mqtt/May lanh P2"),
        };
        assert_eq!(device.suggested_id(), "may-lanh-p2");
    }
}
