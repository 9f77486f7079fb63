//! Tasmota's telemetry on `tele/<topic>/SENSOR`:
//! `{"Time":"2023-05-19T20:52:56","ENERGY":{"Total":514.153,"Today":0.537,…}}`.
//!
//! `ENERGY.Total` is the cumulative register in kWh; `Today` and `Yesterday` reset every day
//! and are never taken. Multi-channel devices send arrays (`"Total":[2.813,0.254]`): the
//! meter's `channel` picks one. `field` may name another dotted path, such as `SML.Total_in`
//! of a smart-meter reader. `Time` is the device's local time without an offset.

use serde_json::Value;

use super::payload::{at_path, device_time, json_object, number};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct Tasmota;

const EXPECTED: &str =
    r#"gửi bản tin SENSOR của Tasmota, như {"Time":"2026-11-28T07:00:00","ENERGY":{"Total":514.153}}"#;
const REGISTER: &str = "ENERGY.Total";

impl PayloadDecoder for Tasmota {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let message = json_object(payload, EXPECTED)?;
        let path = context.field.unwrap_or(REGISTER);
        let found =
            at_path(&message, path).ok_or_else(|| DecodeError(format!("bản tin không có `{path}`; {EXPECTED}")))?;
        let value = match found {
            Value::Array(channels) => {
                let channel = channels.get(context.channel).ok_or_else(|| {
                    DecodeError(format!(
                        "`{path}` có {} kênh nên không có kênh {}; hãy đặt `channel` của công tơ trong khoảng 0–{}",
                        channels.len(),
                        context.channel,
                        channels.len().saturating_sub(1)
                    ))
                })?;
                number(channel, &format!("{path}[{}]", context.channel), EXPECTED)?
            }
            single if context.channel == 0 => number(single, path, EXPECTED)?,
            _ => {
                return Err(DecodeError(format!(
                    "`{path}` chỉ có một kênh, không phải mảng, nên không có kênh {}; hãy đặt `channel` của công tơ là 0 hoặc bỏ trống",
                    context.channel
                )));
            }
        };
        let ts = message.get("Time").map(|t| device_time(t, "Time", context.timezone)).transpose()?;
        Ok(vec![RawValue { value, ts, period_start: None }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Unit;
    use crate::ingest::formats::test_support::context;

    const SAMPLE: &str = r#"{"Time":"2023-05-19T20:52:56","ENERGY":{"TotalStartTime":"2022-03-20T15:20:48","Total":514.153,"Yesterday":1.495,"Today":0.537,"Period":0,"Power":56,"ApparentPower":92,"ReactivePower":73,"Factor":0.61,"Voltage":234,"Current":0.392}}"#;

    #[test]
    fn the_total_is_taken_never_today_and_time_is_office_local() {
        let values = Tasmota.decode(SAMPLE.as_bytes(), &context(Unit::KilowattHour)).unwrap();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].value, 514.153);
        // 20:52:56 in Hà Nội (UTC+7) is 13:52:56 UTC.
        assert_eq!(values[0].ts.unwrap().to_string(), "2023-05-19T13:52:56Z");
    }

    #[test]
    fn a_time_with_an_offset_keeps_it_and_no_time_means_receipt_time() {
        let with_offset = r#"{"Time":"2023-05-19T20:52:56+02:00","ENERGY":{"Total":1}}"#;
        let values = Tasmota.decode(with_offset.as_bytes(), &context(Unit::KilowattHour)).unwrap();
        assert_eq!(values[0].ts.unwrap().to_string(), "2023-05-19T18:52:56Z");
        let values = Tasmota.decode(br#"{"ENERGY":{"Total":1}}"#, &context(Unit::KilowattHour)).unwrap();
        assert_eq!(values[0].ts, None);
    }

    #[test]
    fn the_channel_picks_from_a_multi_channel_array() {
        let payload = br#"{"Time":"2023-05-19T20:52:56","ENERGY":{"Total":[2.813,0.254],"Today":[0.1,0.2]}}"#;
        let first = Tasmota.decode(payload, &context(Unit::KilowattHour)).unwrap();
        assert_eq!(first[0].value, 2.813);
        let second = DecodeContext { channel: 1, ..context(Unit::KilowattHour) };
        assert_eq!(Tasmota.decode(payload, &second).unwrap()[0].value, 0.254);
        let third = DecodeContext { channel: 2, ..context(Unit::KilowattHour) };
        let err = Tasmota.decode(payload, &third).unwrap_err();
        assert!(err.0.contains("có 2 kênh") && err.0.contains("0–1"), "{err}");
        let err = Tasmota.decode(SAMPLE.as_bytes(), &second).unwrap_err();
        assert!(err.0.contains("chỉ có một kênh"), "{err}");
    }

    #[test]
    fn a_field_names_another_sensor() {
        let payload = br#"{"Time":"2026-11-28T07:00:00","SML":{"Total_in":12345.6,"Power_curr":300}}"#;
        let context = DecodeContext { field: Some("SML.Total_in"), ..context(Unit::KilowattHour) };
        assert_eq!(Tasmota.decode(payload, &context).unwrap()[0].value, 12345.6);
    }

    #[test]
    fn bad_payloads_say_what_is_missing() {
        let ctx = context(Unit::KilowattHour);
        let err = Tasmota.decode(br#"{"Time":"2023-05-19T20:52:56","ENERGY":{"Today":0.5}}"#, &ctx).unwrap_err();
        assert!(err.0.contains("không có `ENERGY.Total`") && err.0.contains("gửi"), "{err}");
        let err = Tasmota.decode(br#"{"ENERGY":{"Total":"abc"}}"#, &ctx).unwrap_err();
        assert!(err.0.contains("không phải là số"), "{err}");
        let err = Tasmota.decode(br#"{"Time":"19/05/2023","ENERGY":{"Total":1}}"#, &ctx).unwrap_err();
        assert!(err.0.contains("`Time`"), "{err}");
        for bad in ["", "514.153", "[1]", "{"] {
            let err = Tasmota.decode(bad.as_bytes(), &ctx).unwrap_err();
            assert!(err.0.contains("của Tasmota"), "{bad}: {err}");
        }
    }
}
