//! Zigbee2MQTT device state on `zigbee2mqtt/<friendly_name>`: `energy` is the cumulative
//! register in kWh (`power`, `voltage`, `linkquality`… are ignored); the meter's `field` may
//! name another key.
//!
//! A message without the register is rejected as undecodable, not silently acknowledged:
//! Zigbee2MQTT caches a device's state and republishes `energy` with every update by default
//! (`cache_state`), so a message without it means a device or setting that sends no energy,
//! and the rejected list is where a person will see that.

use super::payload::{json_object, number};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct Zigbee2mqtt;

const EXPECTED: &str = r#"gửi trạng thái thiết bị kèm chỉ số điện năng, như {"energy":12.34,"power":56}"#;
const REGISTER: &str = "energy";

impl PayloadDecoder for Zigbee2mqtt {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let state = json_object(payload, EXPECTED)?;
        let key = context.field.unwrap_or(REGISTER);
        let found = state.get(key).ok_or_else(|| {
            DecodeError(format!(
                "trạng thái không có trường `{key}` (bản cập nhật một phần, hoặc thiết bị không đo điện năng); {EXPECTED}"
            ))
        })?;
        let value = number(found, key, EXPECTED)?;
        Ok(vec![RawValue { value, ts: None, period_start: None }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Unit;
    use crate::ingest::formats::test_support::context;

    #[test]
    fn energy_is_taken_and_power_ignored() {
        let payload = br#"{"current":0.12,"energy":12.34,"linkquality":120,"power":56,"state":"ON","voltage":230}"#;
        let values = Zigbee2mqtt.decode(payload, &context(Unit::KilowattHour)).unwrap();
        assert_eq!(values, vec![RawValue { value: 12.34, ts: None, period_start: None }]);
    }

    #[test]
    fn a_state_without_energy_names_the_missing_field() {
        let err = Zigbee2mqtt.decode(br#"{"linkquality":87}"#, &context(Unit::KilowattHour)).unwrap_err();
        assert!(err.0.contains("không có trường `energy`") && err.0.contains("gửi"), "{err}");
        let err = Zigbee2mqtt.decode(br#"{"energy":"lots"}"#, &context(Unit::KilowattHour)).unwrap_err();
        assert!(err.0.contains("không phải là số"), "{err}");
        let err = Zigbee2mqtt.decode(b"online", &context(Unit::KilowattHour)).unwrap_err();
        assert!(err.0.contains("không phải JSON"), "{err}");
    }
}
