//! Shelly Gen1: a bare number on each topic. `shellies/<id>/emeter/<i>/total` (and
//! `total_returned`) count Wh; `…/relay/<i>/energy` and `…/emeter/<i>/energy` count
//! watt-minutes. The firmware fixes the unit by topic, so the config checks the meter's unit
//! against [`Format::shelly_gen1_unit`]: watt-minutes taken for Wh or kWh is a common slip.
//!
//! [`Format::shelly_gen1_unit`]: crate::domain::Format::shelly_gen1_unit

use super::payload::bare_number;
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct ShellyGen1;

const EXPECTED: &str = "chỉ gửi con số, như Shelly Gen1 gửi trên shellies/<id>/emeter/<i>/total, ví dụ 51234.5";

impl PayloadDecoder for ShellyGen1 {
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
    fn the_number_is_the_value_without_a_time() {
        let values = ShellyGen1.decode(b"51234.5", &context(Unit::WattHour)).unwrap();
        assert_eq!(values, vec![RawValue { value: 51234.5, ts: None, period_start: None }]);
        assert_eq!(ShellyGen1.decode(b" 60000\n", &context(Unit::WattMinute)).unwrap()[0].value, 60000.0);
    }

    #[test]
    fn text_that_is_not_a_number_says_what_to_send() {
        for bad in ["", "on", r#"{"total": 5}"#] {
            let err = ShellyGen1.decode(bad.as_bytes(), &context(Unit::WattHour)).unwrap_err();
            assert!(err.0.contains("chỉ gửi con số"), "{bad}: {err}");
        }
    }
}
