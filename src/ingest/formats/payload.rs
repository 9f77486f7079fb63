//! Reading payload text, JSON, numbers, times and stated units: shared by the formats, so
//! that every format words the same mistake the same way.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::{DecodeContext, DecodeError};
use crate::domain::{Conversion, Unit};
use crate::locale::{self, Lang};

/// The payload as trimmed, non-empty UTF-8 text.
pub fn text<'a>(payload: &'a [u8], expected: &str) -> Result<&'a str, DecodeError> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| DecodeError(format!("nội dung không phải văn bản UTF-8; {expected}")))?
        .trim();
    if text.is_empty() {
        return Err(DecodeError(format!("nội dung trống; {expected}")));
    }
    Ok(text)
}

/// A payload that is just a number as text, as Shelly Gen1 and ESPHome send. Rust also reads
/// "nan" and "inf", which the validator then refuses with a clearer reason.
pub fn bare_number(payload: &[u8], expected: &str) -> Result<f64, DecodeError> {
    let text = text(payload, expected)?;
    text.parse::<f64>().map_err(|_| DecodeError(format!("`{}` không phải là số; {expected}", shorten(text))))
}

/// A payload that is a JSON object.
pub fn json_object(payload: &[u8], expected: &str) -> Result<Value, DecodeError> {
    let text = text(payload, expected)?;
    match serde_json::from_str::<Value>(text) {
        Ok(object @ Value::Object(_)) => Ok(object),
        Ok(_) => Err(DecodeError(format!("nội dung là JSON nhưng không phải một đối tượng; {expected}"))),
        Err(e) => Err(DecodeError(format!("nội dung không phải JSON ({e}); {expected}"))),
    }
}

/// The value at a dotted path such as `ENERGY.Total`.
pub fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |inner, key| inner.get(key))
}

/// A JSON number, or a number sent as a string (some gateways do).
pub fn number(value: &Value, name: &str, expected: &str) -> Result<f64, DecodeError> {
    match value {
        Value::Number(n) => {
            n.as_f64().ok_or_else(|| DecodeError(format!("`{name}` {n} vượt quá giới hạn; {expected}")))
        }
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| DecodeError(format!("`{name}` \"{}\" không phải là số; {expected}", shorten(s)))),
        other => Err(DecodeError(format!("`{name}` là {}, không phải là số; {expected}", shorten(&other.to_string())))),
    }
}

/// A device's time: RFC 3339 with an offset, or a local time without one (Tasmota's
/// default), which is taken in the office's time zone because that is where the device is.
pub fn device_time(value: &Value, name: &str, timezone: &TimeZone) -> Result<Timestamp, DecodeError> {
    let bad = || {
        DecodeError(format!(
            "`{name}` {} không phải thời điểm dạng \"2026-11-28T07:00:00\" (giờ văn phòng) hoặc \"2026-11-28T07:00:00+07:00\"",
            shorten(&value.to_string())
        ))
    };
    let text = value.as_str().ok_or_else(bad)?;
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let local: DateTime = text.parse().map_err(|_| bad())?;
    local.to_zoned(timezone.clone()).map(|z| z.timestamp()).map_err(|_| bad())
}

/// A time in seconds since 1970 (fractions allowed).
pub fn unix_seconds(seconds: f64, name: &str) -> Result<Timestamp, DecodeError> {
    SignedDuration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|since_epoch| Timestamp::from_duration(since_epoch).ok())
        .ok_or_else(|| DecodeError(format!("`{name}` {seconds} không phải thời điểm tính bằng giây từ năm 1970")))
}

/// A value in a unit the message states, converted into the unit the meter is configured in.
pub fn in_meter_unit(value: f64, stated: Unit, context: &DecodeContext) -> Result<f64, DecodeError> {
    if stated == context.unit.unit() {
        // Exact: a round trip through the canonical unit could change the last digit.
        return Ok(value);
    }
    let resource = context.unit.unit().resource();
    let stated = Conversion::new(stated, resource).map_err(|_| {
        let measured = locale::resource_name(resource, Lang::Vi).to_lowercase();
        DecodeError(format!(
            "bản tin ghi giá trị theo `{}`, đơn vị không đo {measured}; hãy trỏ công tơ này vào một giá trị đo {measured} ({})",
            stated.config_name(),
            Unit::names_for(resource)
        ))
    })?;
    Ok(context.unit.from_canonical(stated.to_canonical(value)))
}

/// Quote at most 60 characters of untrusted input back to the user.
pub fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}
