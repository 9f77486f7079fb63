//! wmbusmeters (wireless M-Bus meters), on a topic the operator chooses:
//! `{"media":"water","meter":"iperl","id":"33225544","total_m3":123.529,"timestamp":"2024-03-03T18:37:00Z"}`.
//!
//! The register is `total_m3`, or the meter's `field`. wmbusmeters ends every quantity's
//! name with its unit (`_m3`, `_kwh`…), and that unit wins over the meter's, so a meter set
//! up in litres still reads `total_m3` right. Several radio meters often share one topic:
//! `id` tells them apart ([`PayloadDecoder::device_id`]).

use serde_json::Value;

use super::payload::{device_time, in_meter_unit, json_object, number};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};
use crate::domain::Unit;

pub struct Wmbusmeters;

const EXPECTED: &str =
    r#"gửi JSON của wmbusmeters, như {"id":"33225544","total_m3":123.529,"timestamp":"2024-03-03T18:37:00Z"}"#;
const REGISTER: &str = "total_m3";

impl PayloadDecoder for Wmbusmeters {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let message = json_object(payload, EXPECTED)?;
        let key = context.field.unwrap_or(REGISTER);
        let found = message.get(key).ok_or_else(|| DecodeError(format!("bản tin không có `{key}`; {EXPECTED}")))?;
        let value = number(found, key, EXPECTED)?;
        let value = match unit_in_name(key) {
            Some(unit) => in_meter_unit(value, unit, context)?,
            None => value,
        };
        let ts = message.get("timestamp").map(|t| device_time(t, "timestamp", context.timezone)).transpose()?;
        Ok(vec![RawValue { value, ts, period_start: None }])
    }

    fn device_id(&self, payload: &[u8]) -> Result<Option<String>, DecodeError> {
        match json_object(payload, EXPECTED)?.get("id") {
            Some(Value::String(id)) => Ok(Some(id.clone())),
            Some(Value::Number(id)) => Ok(Some(id.to_string())),
            _ => Err(DecodeError(format!("bản tin không có `id` của công tơ vô tuyến dạng văn bản; {EXPECTED}"))),
        }
    }
}

/// The unit wmbusmeters writes at the end of a quantity's name.
fn unit_in_name(key: &str) -> Option<Unit> {
    let (_, suffix) = key.rsplit_once('_')?;
    match suffix {
        "m3" => Some(Unit::CubicMetre),
        "l" => Some(Unit::Litre),
        "kwh" => Some(Unit::KilowattHour),
        "mwh" => Some(Unit::MegawattHour),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::test_support::context;

    const SAMPLE: &str = r#"{"media":"water","meter":"iperl","name":"MyTapWater","id":"33225544","total_m3":123.529,"max_flow_m3h":0,"timestamp":"2024-03-03T18:37:00Z"}"#;

    #[test]
    fn the_total_and_its_time_are_taken() {
        let values = Wmbusmeters.decode(SAMPLE.as_bytes(), &context(Unit::CubicMetre)).unwrap();
        assert_eq!(values[0].value, 123.529);
        assert_eq!(values[0].ts.unwrap().to_string(), "2024-03-03T18:37:00Z");
        assert_eq!(Wmbusmeters.device_id(SAMPLE.as_bytes()).unwrap().as_deref(), Some("33225544"));
    }

    #[test]
    fn the_unit_in_the_name_wins_over_the_meters() {
        let values = Wmbusmeters.decode(SAMPLE.as_bytes(), &context(Unit::Litre)).unwrap();
        assert!((values[0].value - 123_529.0).abs() < 1e-6, "{values:?}");
        let err = Wmbusmeters.decode(SAMPLE.as_bytes(), &context(Unit::KilowattHour)).unwrap_err();
        assert!(err.0.contains("`m3`, đơn vị không đo điện"), "{err}");
    }

    #[test]
    fn the_field_picks_another_value() {
        let payload = br#"{"id":"1","total_m3":5,"target_m3":4.5,"timestamp":"2024-03-03T18:37:00Z"}"#;
        let context = DecodeContext { field: Some("target_m3"), ..context(Unit::CubicMetre) };
        assert_eq!(Wmbusmeters.decode(payload, &context).unwrap()[0].value, 4.5);
    }

    #[test]
    fn bad_messages_name_what_is_missing() {
        let ctx = context(Unit::CubicMetre);
        let err = Wmbusmeters.decode(br#"{"id":"1","max_flow_m3h":0}"#, &ctx).unwrap_err();
        assert!(err.0.contains("không có `total_m3`") && err.0.contains("gửi"), "{err}");
        let err = Wmbusmeters.decode(br#"{"total_m3":1,"timestamp":"yesterday"}"#, &ctx).unwrap_err();
        assert!(err.0.contains("`timestamp`"), "{err}");
        let err = Wmbusmeters.device_id(br#"{"total_m3":1}"#).unwrap_err();
        assert!(err.0.contains("`id`"), "{err}");
    }
}
