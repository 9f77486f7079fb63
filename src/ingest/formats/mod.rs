//! Payload formats, one file each. A format turns one message into values in the meter's own
//! unit; the validator converts and checks them. Adding a format is a new file and one line
//! in [`decoder_for`].

mod esphome;
mod generic;
mod payload;
mod senml;
mod shelly_gen1;
mod shelly_gen2;
mod tasmota;
mod wmbusmeters;
mod zigbee2mqtt;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::{Conversion, Format, Meter};

/// One value read from a message, still in the unit the meter reports in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawValue {
    pub value: f64,
    /// The time the device stamped, if it did; otherwise the time of receipt is used.
    pub ts: Option<Timestamp>,
    /// For delta meters: the start of the period the amount covers.
    pub period_start: Option<Timestamp>,
}

/// Why a payload could not be decoded, in words that tell the sender what to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// What a decoder may need besides the payload: which of the message's values is the
/// meter's, the unit it is configured in, and the office's clock.
#[derive(Debug, Clone, Copy)]
pub struct DecodeContext<'a> {
    /// The meter's `field`: the key, path or name of its value; `None` for the format's usual one.
    pub field: Option<&'a str>,
    /// The meter's `channel` on a multi-channel device, from 0.
    pub channel: usize,
    /// The meter's configured unit; a unit stated in the message is converted into it.
    pub unit: Conversion,
    /// The office's time zone, for device times written without an offset.
    pub timezone: &'a TimeZone,
    /// When the message arrived, for times given relative to now.
    pub received_at: Timestamp,
}

impl<'a> DecodeContext<'a> {
    pub fn for_meter(meter: &'a Meter, timezone: &'a TimeZone, received_at: Timestamp) -> Self {
        DecodeContext {
            field: meter.select.field.as_deref(),
            channel: meter.select.channel,
            unit: meter.conversion,
            timezone,
            received_at,
        }
    }
}

pub trait PayloadDecoder: Send + Sync {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError>;

    /// The device a message says it comes from, for formats where several meters share one
    /// topic; `None` for formats whose messages do not name their device.
    fn device_id(&self, _payload: &[u8]) -> Result<Option<String>, DecodeError> {
        Ok(None)
    }
}

/// The decoder for a configured format.
pub fn decoder_for(format: Format) -> &'static dyn PayloadDecoder {
    match format {
        Format::Generic => &generic::Generic,
        Format::Tasmota => &tasmota::Tasmota,
        Format::ShellyGen1 => &shelly_gen1::ShellyGen1,
        Format::ShellyGen2 => &shelly_gen2::ShellyGen2,
        Format::Zigbee2mqtt => &zigbee2mqtt::Zigbee2mqtt,
        Format::Esphome => &esphome::Esphome,
        Format::Wmbusmeters => &wmbusmeters::Wmbusmeters,
        Format::Senml => &senml::Senml,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::domain::{Resource, Unit};

    /// A context as the pipeline builds it for a meter in `unit`, in Hà Nội, on 2026-11-28.
    pub fn context(unit: Unit) -> DecodeContext<'static> {
        static HANOI: std::sync::LazyLock<TimeZone> =
            std::sync::LazyLock::new(|| TimeZone::get("Asia/Ho_Chi_Minh").expect("the bundled tz database has Hà Nội"));
        let resource: Resource = unit.resource();
        DecodeContext {
            field: None,
            channel: 0,
            unit: Conversion::new(unit, resource).expect("a unit measures its own resource"),
            timezone: &HANOI,
            received_at: "2026-11-28T00:00:00Z".parse().expect("a valid time"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::test_support::context;
    use super::*;
    use crate::domain::Unit;

    fn every_decoder() -> impl Iterator<Item = (Format, &'static dyn PayloadDecoder)> {
        Format::ALL.into_iter().map(|f| (f, decoder_for(f)))
    }

    /// Fragments of the formats' JSON, so that generated strings reach deep into each decoder.
    fn json_ish() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just(":".to_owned()),
            Just("\"".to_owned()),
            Just("\"ENERGY\":".to_owned()),
            Just("\"Total\":".to_owned()),
            Just("\"Time\":".to_owned()),
            Just("\"aenergy\":".to_owned()),
            Just("\"total\":".to_owned()),
            Just("\"total_act\":".to_owned()),
            Just("\"energy\":".to_owned()),
            Just("\"total_m3\":".to_owned()),
            Just("\"id\":".to_owned()),
            Just("\"timestamp\":".to_owned()),
            Just("\"bn\":".to_owned()),
            Just("\"bt\":".to_owned()),
            Just("\"bu\":".to_owned()),
            Just("\"n\":".to_owned()),
            Just("\"u\":".to_owned()),
            Just("\"v\":".to_owned()),
            Just("\"s\":".to_owned()),
            Just("\"t\":".to_owned()),
            Just("\"kWh\"".to_owned()),
            Just("\"W\"".to_owned()),
            Just("\"m3\"".to_owned()),
            Just("\"2026-11-28T07:00:00\"".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("1e308".to_owned()),
            Just("-1e308".to_owned()),
            Just("268435455".to_owned()),
            any::<f64>().prop_map(|f| f.to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
            "[a-zA-Z0-9 .:_-]{0,12}",
        ];
        prop::collection::vec(atom, 0..40).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn no_decoder_panics_on_arbitrary_bytes(payload in prop::collection::vec(any::<u8>(), 0..256), channel in 0usize..4) {
            for (_, decoder) in every_decoder() {
                let context = DecodeContext { channel, ..context(Unit::KilowattHour) };
                let _ = decoder.decode(&payload, &context);
                let _ = decoder.device_id(&payload);
            }
        }

        #[test]
        fn no_decoder_panics_on_json_ish_text(text in json_ish(), field in prop::option::of("[a-zA-Z_.:]{1,10}")) {
            for (_, decoder) in every_decoder() {
                let context = DecodeContext { field: field.as_deref(), ..context(Unit::WattHour) };
                let _ = decoder.decode(text.as_bytes(), &context);
                let _ = decoder.device_id(text.as_bytes());
            }
        }
    }

    #[test]
    fn every_format_has_a_decoder_that_refuses_an_empty_payload_with_advice() {
        for (format, decoder) in every_decoder() {
            let err = decoder.decode(b"", &context(Unit::KilowattHour)).unwrap_err();
            assert!(err.0.contains("gửi"), "{format:?}: {err}");
        }
    }
}
