//! Shelly Gen2/Gen3 status notifications, in Wh:
//! - `<prefix>/status/switch:<i>` → `{"id":0,"apower":20.5,"aenergy":{"total":1234.5,…}}`
//! - `<prefix>/status/emdata:<i>` → `{"id":0,"total_act":…,"total_act_ret":…}`
//! - `<prefix>/status/em1data:<i>` → `{"id":0,"total_act_energy":…}`
//!
//! The register is the first of these keys present, or the meter's `field` (a dotted path
//! such as `total_act_ret` or `ret_aenergy.total`).
//!
//! `aenergy.minute_ts` is not used as the time: it marks the start of the current minute and
//! is the same in every status message of that minute, while the total keeps rising within
//! it, so stamping with it would turn later messages of a minute into conflicting values at
//! one time. The time of receipt is exact to the second instead.

use super::payload::{at_path, json_object, number};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct ShellyGen2;

const EXPECTED: &str = r#"gửi bản tin trạng thái của Shelly, như {"id":0,"aenergy":{"total":1234.5}} (switch), {"total_act":…} (emdata) hoặc {"total_act_energy":…} (em1data)"#;
const REGISTERS: [&str; 3] = ["aenergy.total", "total_act", "total_act_energy"];

impl PayloadDecoder for ShellyGen2 {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let status = json_object(payload, EXPECTED)?;
        let (path, found) = match context.field {
            Some(path) => (path, at_path(&status, path)),
            None => REGISTERS
                .into_iter()
                .find_map(|path| at_path(&status, path).map(|found| (path, Some(found))))
                .unwrap_or((REGISTERS[0], None)),
        };
        let found = found.ok_or_else(|| {
            let wanted = context.field.map_or_else(|| REGISTERS.join("`, `"), str::to_owned);
            DecodeError(format!("trạng thái không có `{wanted}`; {EXPECTED}"))
        })?;
        let value = number(found, path, EXPECTED)?;
        Ok(vec![RawValue { value, ts: None, period_start: None }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Unit;
    use crate::ingest::formats::test_support::context;

    fn decode(payload: &str) -> Result<f64, DecodeError> {
        ShellyGen2.decode(payload.as_bytes(), &context(Unit::WattHour)).map(|v| v[0].value)
    }

    #[test]
    fn each_component_gives_its_register() {
        let switch = r#"{"id":0,"source":"init","output":true,"apower":20.5,"voltage":229.8,"aenergy":{"total":1234.5,"by_minute":[340.1,336.9,337.0],"minute_ts":1700000000},"temperature":{"tC":41.2}}"#;
        assert_eq!(decode(switch).unwrap(), 1234.5);
        let emdata = r#"{"id":0,"a_total_act_energy":100.1,"total_act":5678.9,"total_act_ret":12.0}"#;
        assert_eq!(decode(emdata).unwrap(), 5678.9);
        let em1data = r#"{"id":1,"total_act_energy":4321.0,"total_act_ret_energy":0}"#;
        assert_eq!(decode(em1data).unwrap(), 4321.0);
    }

    #[test]
    fn the_field_picks_another_register_and_no_time_is_taken() {
        let emdata = br#"{"id":0,"total_act":5678.9,"total_act_ret":12.0}"#;
        let returned = DecodeContext { field: Some("total_act_ret"), ..context(Unit::WattHour) };
        let values = ShellyGen2.decode(emdata, &returned).unwrap();
        assert_eq!((values[0].value, values[0].ts), (12.0, None));
    }

    #[test]
    fn a_status_without_a_register_names_the_keys_to_send() {
        let err = decode(r#"{"id":0,"output":false,"apower":0}"#).unwrap_err();
        assert!(err.0.contains("`aenergy.total`, `total_act`, `total_act_energy`"), "{err}");
        let missing = DecodeContext { field: Some("total_act_ret"), ..context(Unit::WattHour) };
        let err = ShellyGen2.decode(br#"{"total_act":1}"#, &missing).unwrap_err();
        assert!(err.0.contains("không có `total_act_ret`"), "{err}");
        let err = decode(r#"{"aenergy":{"total":null}}"#).unwrap_err();
        assert!(err.0.contains("không phải là số"), "{err}");
        assert!(decode("1234.5").unwrap_err().0.contains("gửi bản tin trạng thái của Shelly"));
    }
}
