//! The payload formats meters may send in, and which of a message's values is a meter's.

use serde::{Deserialize, Serialize};

use super::{Topic, Unit};

/// The payload format a meter's messages arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `{"value": 12.5, "ts": "…"}` or a bare number.
    Generic,
    /// Tasmota's `tele/<topic>/SENSOR`: `ENERGY.Total`.
    Tasmota,
    /// Shelly Gen1: a bare number per topic (`emeter/<i>/total`, `relay/<i>/energy`).
    ShellyGen1,
    /// Shelly Gen2/Gen3 status notifications (`status/switch:<i>`, `emdata:<i>`, `em1data:<i>`).
    ShellyGen2,
    /// Zigbee2MQTT device state: `energy`.
    Zigbee2mqtt,
    /// ESPHome's `<prefix>/sensor/<object_id>/state`: a number as text.
    Esphome,
    /// wmbusmeters JSON: `total_m3`, several radio meters possibly on one topic.
    Wmbusmeters,
    /// SenML (RFC 8428) packs.
    Senml,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Generic,
        Format::Tasmota,
        Format::ShellyGen1,
        Format::ShellyGen2,
        Format::Zigbee2mqtt,
        Format::Esphome,
        Format::Wmbusmeters,
        Format::Senml,
    ];

    /// The config spelling.
    pub fn config_name(self) -> &'static str {
        match self {
            Format::Generic => "generic",
            Format::Tasmota => "tasmota",
            Format::ShellyGen1 => "shelly-gen1",
            Format::ShellyGen2 => "shelly-gen2",
            Format::Zigbee2mqtt => "zigbee2mqtt",
            Format::Esphome => "esphome",
            Format::Wmbusmeters => "wmbusmeters",
            Format::Senml => "senml",
        }
    }

    /// A topic such a device publishes on, for messages that ask for one.
    pub fn example_topic(self) -> &'static str {
        match self {
            Format::Generic => "xanh/dien-tong-hop/reading",
            Format::Tasmota => "tele/tasmota_5A3F2C/SENSOR",
            Format::ShellyGen1 => "shellies/shellyem-B9F2A1/emeter/0/total",
            Format::ShellyGen2 => "shellyplus1pm-a8032ab12345/status/switch:0",
            Format::Zigbee2mqtt => "zigbee2mqtt/o-cam-phong-a",
            Format::Esphome => "nuoc-tang-1/sensor/water_total/state",
            Format::Wmbusmeters => "wmbusmeters/water",
            Format::Senml => "senml/dien-tang-2",
        }
    }

    /// Whether `field` means something for this format (several values in one message).
    pub fn takes_field(self) -> bool {
        matches!(self, Format::Tasmota | Format::ShellyGen2 | Format::Zigbee2mqtt | Format::Wmbusmeters | Format::Senml)
    }

    /// Whether `channel` means something: Tasmota multi-channel devices send arrays.
    pub fn takes_channel(self) -> bool {
        self == Format::Tasmota
    }

    /// Whether messages name their device, so that several meters may share a topic.
    pub fn takes_device_id(self) -> bool {
        self == Format::Wmbusmeters
    }

    /// The unit a Shelly Gen1 energy topic carries (the firmware fixes it by topic); `None` for
    /// a topic that is not a register.
    pub fn shelly_gen1_unit(topic: &Topic) -> Option<Unit> {
        match topic.as_str().rsplit('/').next() {
            Some("total" | "total_returned") => Some(Unit::WattHour),
            Some("energy" | "returned_energy") => Some(Unit::WattMinute),
            _ => None,
        }
    }

    /// The names of the formats taking `key`, for messages.
    pub fn names_where(takes: fn(Format) -> bool) -> String {
        let names: Vec<&str> = Format::ALL.into_iter().filter(|f| takes(*f)).map(Format::config_name).collect();
        names.join(", ")
    }
}

/// Which of a device's values is this meter's, for formats whose messages hold several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueSelector {
    /// The key, path or SenML name of the value; `None`: the format's usual one.
    pub field: Option<String>,
    /// The channel of a multi-channel device, from 0.
    pub channel: usize,
    /// The radio meter's id, when several meters share one topic.
    pub device_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shelly_gen1_topic_tells_the_unit() {
        let unit = |topic: &str| Format::shelly_gen1_unit(&Topic::try_from(topic.to_owned()).unwrap());
        assert_eq!(unit("shellies/shellyem-B9F2A1/emeter/0/total"), Some(Unit::WattHour));
        assert_eq!(unit("shellies/shellyem-B9F2A1/emeter/1/total_returned"), Some(Unit::WattHour));
        assert_eq!(unit("shellies/shellyplug-s-7A3B/relay/0/energy"), Some(Unit::WattMinute));
        assert_eq!(unit("shellies/shellyplug-s-7A3B/relay/0/power"), None);
    }
}
