//! ESPHome's `<prefix>/sensor/<object_id>/state`: the sensor's state as text. The unit lives
//! in the device's YAML, not the message, so the meter's `unit` must match it. Point the
//! meter at a cumulative sensor: `total_daily_energy` resets at midnight.

use super::payload::bare_number;
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct Esphome;

const EXPECTED: &str =
    "gửi trạng thái cảm biến dạng số, như ESPHome gửi trên <prefix>/sensor/<object_id>/state, ví dụ 123.456";

impl PayloadDecoder for Esphome {
    fn decode(&self, payload: &[u8], _: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let value = bare_number(payload, EXPECTED)?;
        Ok(vec![RawValue { value, ts: None, period_start: None }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Unit;
    use crate::ingest::formats::test_support::context;

    #[test]
    fn the_state_text_is_the_value() {
        let values = Esphome.decode(b"123.456", &context(Unit::CubicMetre)).unwrap();
        assert_eq!(values, vec![RawValue { value: 123.456, ts: None, period_start: None }]);
    }

    #[test]
    fn a_sensor_without_a_state_reaches_the_validator_and_words_are_refused() {
        // ESPHome publishes "nan" before a sensor has a state; the validator rejects it as non-finite.
        assert!(Esphome.decode(b"nan", &context(Unit::CubicMetre)).unwrap()[0].value.is_nan());
        let err = Esphome.decode(b"unavailable", &context(Unit::CubicMetre)).unwrap_err();
        assert!(err.0.contains("`unavailable` không phải là số") && err.0.contains("gửi"), "{err}");
    }
}
