//! The generic format: `{"value": 12345.678, "ts": "2026-11-28T07:00:00+07:00"}` (`ts`
//! optional; `from` optional, the start of a delta's period) or a bare number.

use jiff::Timestamp;
use serde::Deserialize;

use super::payload::{shorten, text};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};

pub struct Generic;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    value: serde_json::Value,
    ts: Option<String>,
    from: Option<String>,
}

const EXPECTED: &str = r#"gửi {"value": 1234.5, "ts": "2026-11-28T07:00:00+07:00"} hoặc chỉ một số"#;

impl PayloadDecoder for Generic {
    fn decode(&self, payload: &[u8], _: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let text = text(payload, EXPECTED)?;
        if !text.starts_with('{') {
            // A bare number; Rust also reads "NaN" and "inf", which the validator refuses
            // with a clearer reason than "not a number".
            let value = text
                .parse::<f64>()
                .map_err(|_| DecodeError(format!("`{}` không phải là số; {EXPECTED}", shorten(text))))?;
            return Ok(vec![RawValue { value, ts: None, period_start: None }]);
        }
        let message: Message = serde_json::from_str(text)
            .map_err(|e| DecodeError(format!("nội dung JSON không phải một số liệu ({e}); {EXPECTED}")))?;
        let value = match &message.value {
            serde_json::Value::Number(n) => {
                n.as_f64().ok_or_else(|| DecodeError(format!("`value` {n} vượt quá giới hạn; {EXPECTED}")))?
            }
            // Some gateways send numbers as strings.
            serde_json::Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| DecodeError(format!("`value` \"{}\" không phải là số; {EXPECTED}", shorten(s))))?,
            other => {
                return Err(DecodeError(format!(
                    "`value` là {}, không phải là số; {EXPECTED}",
                    shorten(&other.to_string())
                )));
            }
        };
        let ts = message.ts.as_deref().map(|s| parse_time("ts", s)).transpose()?;
        let period_start = message.from.as_deref().map(|s| parse_time("from", s)).transpose()?;
        Ok(vec![RawValue { value, ts, period_start }])
    }
}

fn parse_time(key: &str, value: &str) -> Result<Timestamp, DecodeError> {
    value.parse::<Timestamp>().map_err(|_| {
        DecodeError(format!(
            "`{key}` \"{}\" không phải thời điểm RFC 3339 có múi giờ, như 2026-11-28T07:00:00+07:00",
            shorten(value)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Unit;
    use crate::ingest::formats::test_support::context;

    fn decode(s: &str) -> Result<Vec<RawValue>, DecodeError> {
        Generic.decode(s.as_bytes(), &context(Unit::KilowattHour))
    }

    #[test]
    fn json_with_a_time_and_a_bare_number_both_decode() {
        let v = decode(r#"{"value": 12345.678, "ts": "2026-11-28T07:00:00+07:00"}"#).unwrap();
        assert_eq!(v[0].value, 12345.678);
        assert_eq!(v[0].ts.unwrap().to_string(), "2026-11-28T00:00:00Z");
        let v = decode(" 42.5\n").unwrap();
        assert_eq!((v[0].value, v[0].ts), (42.5, None));
    }

    #[test]
    fn bad_payloads_say_what_to_send() {
        for bad in [
            "",
            "{",
            "abc",
            r#"{"value": "x"}"#,
            r#"{"value": true}"#,
            r#"{"ts": "2026-11-28T07:00:00Z"}"#,
            r#"{"value": 1, "ts": "28/11/2026"}"#,
            r#"{"value": 1e999}"#,
            r#"{"value": 1, "extra": 2}"#,
        ] {
            let err = decode(bad).unwrap_err();
            assert!(err.0.contains("gửi") || err.0.contains("RFC 3339"), "{bad}: {err}");
        }
        assert!(Generic.decode(&[0xff, 0xfe], &context(Unit::KilowattHour)).is_err());
    }

    #[test]
    fn nan_reaches_the_validator_as_a_value() {
        assert!(decode("NaN").unwrap()[0].value.is_nan());
    }
}
