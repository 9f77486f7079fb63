//! SenML (RFC 8428, units extended by RFC 8798): a JSON array of records.
//!
//! Base fields (`bn`, `bt`, `bu`, `bv`, `bs`) apply to their record and every later one until
//! set again. A record's name is `bn` + `n`, its time `bt` + `t` (below 2^28 s a time counts
//! from now, RFC 8428 §4.5.3), its value `bv` + `v` or its sum `bs` + `s`. A unit in the pack
//! overrides the meter's and is converted into it; a sum is in the unit times seconds, so a
//! sum of W is J, of m3/s is m3.
//!
//! The meter's record is the one whose name is the meter's `field` or ends with it after a
//! `:`, `/` or `.`; without `field`, the first record with a value. Every record of that name
//! becomes a value: a pack may carry a series.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use super::payload::{in_meter_unit, shorten, text, unix_seconds};
use super::{DecodeContext, DecodeError, PayloadDecoder, RawValue};
use crate::domain::Unit;

pub struct Senml;

const EXPECTED: &str = r#"gửi một gói SenML, như [{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1700000000,"n":"energy","u":"kWh","v":100.0}]"#;
/// Times below this many seconds are relative to now (RFC 8428 §4.5.3).
const RELATIVE_BELOW: f64 = 268_435_456.0;

/// A record with its base fields applied.
struct Resolved {
    name: String,
    /// Seconds: since 1970, or from now when below [`RELATIVE_BELOW`].
    time: f64,
    unit: Option<String>,
    amount: Amount,
}

enum Amount {
    Value(f64),
    Sum(f64),
}

impl PayloadDecoder for Senml {
    fn decode(&self, payload: &[u8], context: &DecodeContext) -> Result<Vec<RawValue>, DecodeError> {
        let records = resolve(payload)?;
        let name = match context.field {
            Some(field) => records.iter().find(|r| names(&r.name, field)).map(|r| r.name.clone()).ok_or_else(|| {
                let found: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
                DecodeError(format!(
                    "không bản ghi nào tên `{}` (gói có {}); hãy gửi bản ghi đó, hoặc đặt `field` của công tơ là một trong các tên này",
                    shorten(field),
                    shorten(&found.join(", "))
                ))
            })?,
            None => records
                .first()
                .map(|r| r.name.clone())
                .ok_or_else(|| DecodeError(format!("không bản ghi nào có số trong `v` hoặc `s`; {EXPECTED}")))?,
        };
        records
            .iter()
            .filter(|r| r.name == name)
            .map(|r| {
                let (raw, unit) = match r.amount {
                    Amount::Value(v) => (v, r.unit.as_deref().map(value_unit).transpose()?),
                    Amount::Sum(s) => (s, r.unit.as_deref().map(sum_unit).transpose()?),
                };
                let value = match unit {
                    Some(unit) => in_meter_unit(raw, unit, context)?,
                    None => raw,
                };
                let ts = if r.time < RELATIVE_BELOW {
                    let from_now = SignedDuration::try_from_secs_f64(r.time).ok();
                    from_now.and_then(|d| context.received_at.checked_add(d).ok())
                } else {
                    Some(unix_seconds(r.time, "bt + t")?)
                };
                let ts: Timestamp = ts.ok_or_else(|| {
                    DecodeError(format!("thời điểm {} của `{}` vượt quá giới hạn", r.time, shorten(&r.name)))
                })?;
                Ok(RawValue { value, ts: Some(ts), period_start: None })
            })
            .collect()
    }
}

/// The pack's records that carry a number, with base fields applied, in order.
fn resolve(payload: &[u8]) -> Result<Vec<Resolved>, DecodeError> {
    let pack: Value = serde_json::from_str(text(payload, EXPECTED)?)
        .map_err(|e| DecodeError(format!("nội dung không phải JSON ({e}); {EXPECTED}")))?;
    let Value::Array(records) = pack else {
        return Err(DecodeError(format!("gói SenML phải là một mảng JSON các bản ghi; {EXPECTED}")));
    };
    let (mut base_name, mut base_time, mut base_unit, mut base_value, mut base_sum) =
        (String::new(), 0.0, None::<String>, 0.0, 0.0);
    let mut resolved = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let Value::Object(record) = record else {
            return Err(DecodeError(format!("bản ghi {i} không phải một đối tượng JSON; {EXPECTED}")));
        };
        if let Some(key) = record.keys().find(|k| k.ends_with('_')) {
            return Err(DecodeError(format!(
                "bản ghi {i} có `{}`, một trường bắt buộc phải hiểu (RFC 8428 §4.4) mà Xanh không biết; hãy bỏ trường này",
                shorten(key)
            )));
        }
        if let Some(bn) = string(record, "bn", i)? {
            base_name = bn;
        }
        if let Some(bu) = string(record, "bu", i)? {
            base_unit = Some(bu);
        }
        base_time = number(record, "bt", i)?.unwrap_or(base_time);
        base_value = number(record, "bv", i)?.unwrap_or(base_value);
        base_sum = number(record, "bs", i)?.unwrap_or(base_sum);
        let amount = match (number(record, "v", i)?, number(record, "s", i)?) {
            (Some(v), _) => Amount::Value(base_value + v),
            (None, Some(s)) => Amount::Sum(base_sum + s),
            // A string, boolean or data value, or a record of base fields only.
            (None, None) => continue,
        };
        resolved.push(Resolved {
            name: format!("{base_name}{}", string(record, "n", i)?.unwrap_or_default()),
            time: base_time + number(record, "t", i)?.unwrap_or(0.0),
            unit: string(record, "u", i)?.or_else(|| base_unit.clone()),
            amount,
        });
    }
    Ok(resolved)
}

fn number(record: &Map<String, Value>, key: &str, i: usize) -> Result<Option<f64>, DecodeError> {
    match record.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64().map(Some).ok_or_else(|| DecodeError(format!("`{key}` của bản ghi {i} vượt quá giới hạn")))
        }
        Some(other) => Err(DecodeError(format!(
            "`{key}` của bản ghi {i} là {}, không phải là số; {EXPECTED}",
            shorten(&other.to_string())
        ))),
    }
}

fn string(record: &Map<String, Value>, key: &str, i: usize) -> Result<Option<String>, DecodeError> {
    match record.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(DecodeError(format!(
            "`{key}` của bản ghi {i} là {}, không phải văn bản; {EXPECTED}",
            shorten(&other.to_string())
        ))),
    }
}

/// Whether a record's full name is the meter's `field` or ends with it as a whole part.
fn names(name: &str, field: &str) -> bool {
    name == field || name.strip_suffix(field).is_some_and(|head| head.ends_with([':', '/', '.']))
}

const UNITS: &str = "Wh, kWh, J, m3 hoặc L";

fn value_unit(unit: &str) -> Result<Unit, DecodeError> {
    match unit {
        "Wh" => Ok(Unit::WattHour),
        "kWh" => Ok(Unit::KilowattHour),
        "J" => Ok(Unit::Joule),
        "m3" => Ok(Unit::CubicMetre),
        "l" | "L" => Ok(Unit::Litre),
        "W" | "kW" | "m3/s" | "l/s" | "L/s" => Err(DecodeError(format!(
            "`{unit}` là công suất hay lưu lượng, không phải chỉ số; hãy gửi chỉ số theo {UNITS}, hoặc tổng trong `s`"
        ))),
        other => Err(DecodeError(format!("Xanh không đọc được đơn vị `{}`; hãy gửi {UNITS}", shorten(other)))),
    }
}

/// A sum is in its unit times seconds (RFC 8428 §4.2). Devices that label a sum with the
/// register's own unit (`"u":"kWh","s":…`) mean that unit, so those are taken as they are.
fn sum_unit(unit: &str) -> Result<Unit, DecodeError> {
    match unit {
        "W" => Ok(Unit::Joule),
        "m3/s" => Ok(Unit::CubicMetre),
        "l/s" | "L/s" => Ok(Unit::Litre),
        other => value_unit(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::test_support::context;

    fn decode(pack: &str, unit: Unit, field: Option<&str>) -> Result<Vec<RawValue>, DecodeError> {
        Senml.decode(pack.as_bytes(), &DecodeContext { field, ..context(unit) })
    }

    #[test]
    fn base_name_time_and_unit_resolve() {
        let pack = r#"[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1700000000,"bu":"kWh","n":"energy","v":100.0}]"#;
        let values = decode(pack, Unit::KilowattHour, Some("energy")).unwrap();
        assert_eq!(values[0].value, 100.0);
        assert_eq!(values[0].ts.unwrap().to_string(), "2023-11-14T22:13:20Z");
        let values = decode(pack, Unit::WattHour, Some("urn:dev:ow:10e2073a01080063:energy")).unwrap();
        assert!((values[0].value - 100_000.0).abs() < 1e-6, "kWh converted to the meter's Wh: {values:?}");
    }

    #[test]
    fn a_sum_of_power_is_energy_in_joules() {
        let pack = r#"[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1700000000,"bu":"W"},
                       {"n":"power","v":56},
                       {"n":"energy","s":7200000,"t":60}]"#;
        let values = decode(pack, Unit::KilowattHour, Some("energy")).unwrap();
        assert!((values[0].value - 2.0).abs() < 1e-9, "7.2 MJ is 2 kWh: {values:?}");
        assert_eq!(values[0].ts.unwrap().to_string(), "2023-11-14T22:14:20Z");
        let err = decode(pack, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("`W` là công suất"), "the first record is power: {err}");
    }

    #[test]
    fn a_series_of_one_name_gives_every_value_and_relative_times_count_from_now() {
        let pack = r#"[{"n":"water","u":"L","v":1000,"t":-120},{"n":"water","u":"L","v":1010,"t":-60},{"n":"flow","u":"l/s","v":0.2}]"#;
        let values = decode(pack, Unit::CubicMetre, None).unwrap();
        assert_eq!(values.len(), 2);
        assert!((values[1].value - 1.01).abs() < 1e-12);
        // The test context receives at 2026-11-28T00:00:00Z.
        assert_eq!(values[0].ts.unwrap().to_string(), "2026-11-27T23:58:00Z");
    }

    #[test]
    fn the_field_matches_a_whole_suffix_only() {
        let pack = r#"[{"bn":"dev1/","n":"reactive_energy","u":"kWh","v":5},{"n":"energy","u":"kWh","v":7}]"#;
        assert_eq!(decode(pack, Unit::KilowattHour, Some("energy")).unwrap()[0].value, 7.0);
        let err = decode(pack, Unit::KilowattHour, Some("water")).unwrap_err();
        assert!(err.0.contains("dev1/reactive_energy, dev1/energy"), "{err}");
    }

    #[test]
    fn base_value_and_base_sum_are_added() {
        let pack = r#"[{"bv":1000,"n":"e","u":"Wh","v":5},{"bs":10,"n":"f","u":"Wh","s":2}]"#;
        assert_eq!(decode(pack, Unit::WattHour, Some("e")).unwrap()[0].value, 1005.0);
        assert_eq!(decode(pack, Unit::WattHour, Some("f")).unwrap()[0].value, 12.0);
    }

    #[test]
    fn wrong_units_and_bad_packs_are_refused_with_reasons() {
        let err = decode(r#"[{"n":"e","u":"m3","v":1}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("`m3`, đơn vị không đo điện"), "{err}");
        let err = decode(r#"[{"n":"e","u":"furlong","v":1}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("không đọc được đơn vị `furlong`"), "{err}");
        let err = decode(r#"[{"n":"e","v":"1"}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("`v` của bản ghi 0"), "{err}");
        let err = decode(r#"[{"n":"e","v":1,"x_":2}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("bắt buộc phải hiểu"), "{err}");
        let err = decode(r#"[{"n":"on","vb":true}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("không bản ghi nào có số"), "{err}");
        let err = decode(r#"{"n":"e","v":1}"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("mảng JSON"), "{err}");
        let err = decode(r#"[{"n":"e","v":1,"bt":1e300}]"#, Unit::KilowattHour, None).unwrap_err();
        assert!(err.0.contains("không phải thời điểm"), "{err}");
    }
}
