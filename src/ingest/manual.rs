//! Readings entered by people and scripts: the JSON and CSV bodies of `POST /api/v1/readings`,
//! `xanh import`, and the web form. Every row goes through the same validation as MQTT, and
//! a row that cannot be read is kept among the rejected with the reason, like a bad message.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::Pipeline;
use super::formats::RawValue;
use crate::config::Config;
use crate::domain::{Incoming, MeterId, Origin, RejectReason, Rejection, Sender, Source};

/// The whole body could not be read; rows are never reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EntryError(pub String);

/// Where entered rows come from and who entered them.
pub struct Entry<'a> {
    pub config: &'a Config,
    pub pipeline: &'a Pipeline,
    pub source: Source,
    /// Who sent the rows, with their rights (kept with a refused row); their name is used
    /// for rows that do not name who entered them.
    pub sender: Option<Sender>,
    pub received_at: Timestamp,
}

/// One row as people write it. The value may be a JSON number or text in Vietnamese or
/// English notation ("1.234,5" or "1234.5").
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub meter: String,
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<String>,
    /// What a bill charged, in VND: a number or text such as "4.563.300".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_vnd: Option<serde_json::Value>,
}

const JSON_EXAMPLE: &str = r#"gửi {"meter": "dien-tong-hop", "value": 1234.5, "ts": "2026-11-28T07:00:00+07:00"} hoặc một mảng các đối tượng như vậy"#;

impl Entry<'_> {
    /// A JSON body: one row object or an array of them.
    pub fn from_json(&self, body: &[u8]) -> Result<Vec<Incoming>, EntryError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| EntryError(format!("nội dung không phải JSON ({e}); {JSON_EXAMPLE}")))?;
        let rows = match value {
            serde_json::Value::Array(rows) => rows,
            row @ serde_json::Value::Object(_) => vec![row],
            _ => return Err(EntryError(format!("nội dung không phải một đối tượng hay một mảng; {JSON_EXAMPLE}"))),
        };
        Ok(rows
            .into_iter()
            .map(|raw| {
                let payload = raw.to_string().into_bytes();
                match serde_json::from_value::<Row>(raw) {
                    Ok(row) => self.row(row),
                    Err(e) => self.reject(
                        None,
                        payload,
                        RejectReason::Undecodable,
                        format!("không đọc được dòng này ({e}); {JSON_EXAMPLE}"),
                    ),
                }
            })
            .collect())
    }

    /// A CSV body with a header line naming the columns `meter`, `value` and optionally `ts`,
    /// `from` and `entered_by`; the separator is `,`, `;` or a tab, whichever the header uses.
    pub fn from_csv(&self, text: &str) -> Result<Vec<Incoming>, EntryError> {
        let table = CsvTable::parse(text)?;
        Ok(table
            .rows()
            .map(|row| match row {
                Ok(row) => self.row(row),
                Err((line, detail)) => self.reject(None, line.into_bytes(), RejectReason::Undecodable, detail),
            })
            .collect())
    }

    /// Validate one row: the meter must exist and the value and times must read.
    pub fn row(&self, row: Row) -> Incoming {
        let payload = serde_json::to_vec(&row).unwrap_or_default();
        let Ok(id) = row.meter.parse::<MeterId>() else {
            return self.reject(
                None,
                payload,
                RejectReason::UnknownMeter,
                format!("`{}` không phải mã công tơ; xem danh sách tại /api/v1/meters", row.meter),
            );
        };
        let Some(meter) = self.pipeline.meter(&id) else {
            return self.reject(
                Some(id.clone()),
                payload,
                RejectReason::UnknownMeter,
                format!("chưa khai báo công tơ `{id}`; xem danh sách tại /api/v1/meters"),
            );
        };
        let tz = &self.config.office.timezone;
        let value = match &row.value {
            serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("giá trị {n} vượt quá giới hạn")),
            serde_json::Value::String(text) => parse_number(text),
            other => Err(format!("giá trị {other} không phải là số")),
        };
        let times = row
            .ts
            .as_deref()
            .map(|t| parse_time(t, tz))
            .transpose()
            .and_then(|ts| Ok((ts, row.from.as_deref().map(|t| parse_time(t, tz)).transpose()?)));
        let cost = match &row.cost_vnd {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => {
                n.as_f64().map(Some).ok_or_else(|| format!("chi phí {n} vượt quá giới hạn"))
            }
            Some(serde_json::Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(serde_json::Value::String(text)) => parse_number(text).map(Some),
            Some(other) => Err(format!("chi phí {other} không phải số đồng")),
        }
        .and_then(|cost| match cost {
            Some(c) if !(c.is_finite() && c >= 0.0) => Err(format!("chi phí {c} phải là số đồng, từ 0 trở lên")),
            cost => Ok(cost),
        });
        let (value, (ts, period_start), cost_vnd) = match (value, times, cost) {
            (Ok(value), Ok(times), Ok(cost)) => (value, times, cost),
            (Err(detail), _, _) | (_, Err(detail), _) | (_, _, Err(detail)) => {
                return self.reject(Some(id), payload, RejectReason::Undecodable, detail);
            }
        };
        let origin = self.origin(payload);
        match self.pipeline.validate(&meter, RawValue { value, ts, period_start }, origin) {
            Incoming::Reading(mut reading, origin) => {
                reading.entered_by = row
                    .entered_by
                    .or_else(|| self.sender.as_ref().map(|s| s.name.clone()))
                    .filter(|s| !s.trim().is_empty());
                reading.cost_vnd = cost_vnd;
                Incoming::Reading(reading, origin)
            }
            rejected => rejected,
        }
    }

    /// Where a row came from, with the first [`Rejection::KEPT_PAYLOAD_BYTES`] of it, kept if
    /// it is refused: a real row is far smaller, so a longer one is junk not worth keeping whole.
    fn origin(&self, mut payload: Vec<u8>) -> Origin {
        payload.truncate(Rejection::KEPT_PAYLOAD_BYTES);
        Origin { source: self.source, received_at: self.received_at, topic: None, payload, sender: self.sender.clone() }
    }

    fn reject(&self, meter: Option<MeterId>, payload: Vec<u8>, reason: RejectReason, detail: String) -> Incoming {
        Incoming::Rejected(Rejection { origin: self.origin(payload), meter, reason, detail })
    }
}

/// A number as people type it, Vietnamese first: `1.234,5` and `1234,5` (decimal comma),
/// `1.234` and `1.234.567` (dots grouping thousands), and also `1234.5`, `0.75` and
/// `1,234.5`. With both separators the last one is the decimal point. A lone dot is a decimal
/// point unless it is followed by exactly three digits after at most three, which Vietnamese
/// writes for thousands: send a JSON number where that could mislead.
pub fn parse_number(text: &str) -> Result<f64, String> {
    let trimmed: String = text.trim().chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let bad = || format!("`{}` không phải là số: hãy viết như 1.234,5 hoặc 1234,5", text.trim());
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+')) {
        return Err(bad());
    }
    let digits = trimmed.trim_start_matches(['-', '+']);
    let grouped_by = |separator: char| {
        let mut groups = digits.split(separator);
        let first = groups.next().unwrap_or("");
        // "0.750" is a decimal: no thousands group follows a lone zero.
        (1..=3).contains(&first.len()) && !first.starts_with('0') && groups.all(|g| g.len() == 3)
    };
    let normal = match (trimmed.contains('.'), trimmed.contains(',')) {
        (false, false) => trimmed.clone(),
        (true, false) if grouped_by('.') => trimmed.replace('.', ""),
        (true, false) if trimmed.matches('.').count() == 1 => trimmed.clone(),
        (false, true) if trimmed.matches(',').count() == 1 => trimmed.replace(',', "."),
        (false, true) if grouped_by(',') => trimmed.replace(',', ""),
        (true, true) => {
            let (group, point) = if trimmed.rfind(',') > trimmed.rfind('.') { ('.', ',') } else { (',', '.') };
            let (whole, fraction) = trimmed.rsplit_once(point).unwrap_or((&trimmed, ""));
            if whole.contains(point) || fraction.contains(group) {
                return Err(bad());
            }
            format!("{}.{fraction}", whole.replace(group, ""))
        }
        _ => return Err(bad()),
    };
    normal.parse::<f64>().map_err(|_| bad())
}

/// A time as people and spreadsheets write it: RFC 3339 with an offset, or a local date or
/// date and time in the office's time zone (`2026-11-28`, `2026-11-28 07:30`, `28/11/2026`,
/// `28/11/2026 07:30`).
pub fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let local = parse_local(text).ok_or_else(|| {
        format!("`{text}` không phải thời điểm: hãy viết như 28/11/2026, 28/11/2026 07:30, 2026-11-28 hoặc 2026-11-28T07:30:00+07:00")
    })?;
    local
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| format!("`{text}` không có trong múi giờ của văn phòng (giờ chuyển đổi): {e}"))
}

fn parse_local(text: &str) -> Option<DateTime> {
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let date = match date.split('/').collect::<Vec<_>>()[..] {
        [d, m, y] => Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()?,
        _ => date.parse::<Date>().ok()?,
    };
    let time = match time {
        None => jiff::civil::Time::midnight(),
        Some(t) => {
            let mut parts = t.split(':').map(|p| p.parse::<i8>().ok());
            let hour = parts.next()??;
            let minute = parts.next().unwrap_or(Some(0))?;
            let second = parts.next().unwrap_or(Some(0))?;
            jiff::civil::Time::new(hour, minute, second, 0).ok()?
        }
    };
    Some(date.to_datetime(time))
}

/// A small CSV reader: quoted fields with "" for a quote, a header line, `,` `;` or tab.
struct CsvTable<'a> {
    delimiter: char,
    columns: Columns,
    lines: Vec<(usize, &'a str)>,
}

struct Columns {
    meter: usize,
    value: usize,
    ts: Option<usize>,
    from: Option<usize>,
    entered_by: Option<usize>,
    cost_vnd: Option<usize>,
}

const CSV_EXAMPLE: &str =
    "dòng đầu phải nêu tên các cột, ví dụ: meter,ts,value (có thể thêm from, entered_by và cost_vnd)";

impl<'a> CsvTable<'a> {
    fn parse(text: &'a str) -> Result<Self, EntryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| EntryError(format!("tệp CSV trống; {CSV_EXAMPLE}")))?;
        let delimiter = [';', '\t', ','].into_iter().find(|d| header.contains(*d)).unwrap_or(',');
        let names: Vec<String> = split_csv(header, delimiter).iter().map(|n| n.trim().to_lowercase()).collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let (Some(meter), Some(value)) = (find("meter"), find("value")) else {
            return Err(EntryError(format!("dòng tiêu đề `{header}` thiếu `meter` hoặc `value`; {CSV_EXAMPLE}")));
        };
        if let Some(unknown) =
            names.iter().find(|n| !["meter", "value", "ts", "from", "entered_by", "cost_vnd"].contains(&n.as_str()))
        {
            return Err(EntryError(format!("dòng tiêu đề có cột lạ `{unknown}`; {CSV_EXAMPLE}")));
        }
        let columns = Columns {
            meter,
            value,
            ts: find("ts"),
            from: find("from"),
            entered_by: find("entered_by"),
            cost_vnd: find("cost_vnd"),
        };
        Ok(CsvTable { delimiter, columns, lines: lines.map(|(i, l)| (i + 1, l)).collect() })
    }

    /// Each data line as a row, or the line and why it cannot be one.
    fn rows(&self) -> impl Iterator<Item = Result<Row, (String, String)>> + '_ {
        self.lines.iter().map(|&(number, line)| {
            let fields = split_csv(line, self.delimiter);
            let get = |i: usize| fields.get(i).map(|f| f.trim().to_owned()).filter(|f| !f.is_empty());
            let optional = |i: Option<usize>| i.and_then(get);
            match (get(self.columns.meter), get(self.columns.value)) {
                (Some(meter), Some(value)) => Ok(Row {
                    meter,
                    value: serde_json::Value::String(value),
                    ts: optional(self.columns.ts),
                    from: optional(self.columns.from),
                    entered_by: optional(self.columns.entered_by),
                    cost_vnd: optional(self.columns.cost_vnd).map(serde_json::Value::String),
                }),
                _ => Err((line.to_owned(), format!("dòng {number} thiếu công tơ hoặc giá trị"))),
            }
        })
    }
}

fn split_csv(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_vietnamese_and_the_english_way() {
        for (text, expected) in [
            ("1234.5", 1234.5),
            ("1234,5", 1234.5),
            ("1.234,5", 1234.5),
            ("1,234.5", 1234.5),
            ("1.234.567", 1_234_567.0),
            ("1.234", 1234.0),
            ("10.720", 10_720.0),
            ("12.3456", 12.3456),
            ("0.75", 0.75),
            ("0.750", 0.75),
            ("1.5", 1.5),
            ("1,234,567", 1_234_567.0),
            ("1.234.567,25", 1_234_567.25),
            (" 3 ", 3.0),
            ("0,75", 0.75),
            ("-2", -2.0),
        ] {
            assert_eq!(parse_number(text), Ok(expected), "{text}");
        }
        for bad in ["", "abc", "1.234,5,6", "12 kWh", "1,2,3.4.5", "1.23.4", "12,34,5"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_read_in_the_office_time_zone() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let utc = |s: &str| parse_time(s, &tz).map(|t| t.to_string());
        assert_eq!(utc("28/11/2026"), Ok("2026-11-27T17:00:00Z".into()));
        assert_eq!(utc("28/11/2026 07:30"), Ok("2026-11-28T00:30:00Z".into()));
        assert_eq!(utc("2026-11-28 07:30:15"), Ok("2026-11-28T00:30:15Z".into()));
        assert_eq!(utc("2026-11-28T07:00:00+07:00"), Ok("2026-11-28T00:00:00Z".into()));
        assert!(utc("31/02/2026").is_err());
        assert!(utc("yesterday").unwrap_err().contains("28/11/2026"));
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;
        use crate::locale::{Lang, number};

        /// Text made of what numbers and times are written with, so generated strings reach
        /// past the first check.
        fn number_ish() -> impl Strategy<Value = String> {
            "[0-9.,+\\- \u{a0}eE]{0,24}"
        }

        fn time_ish() -> impl Strategy<Value = String> {
            "[0-9/:T +\\-Z.]{0,30}"
        }

        proptest! {
            #[test]
            fn parse_number_never_panics(text in any::<String>(), ish in number_ish()) {
                let _ = parse_number(&text);
                if let Ok(value) = parse_number(&ish) {
                    prop_assert!(!value.is_nan(), "{ish} read as NaN");
                }
            }

            #[test]
            fn vietnamese_numbers_read_back_as_written(value in -1e12f64..1e12, decimals in 0usize..4) {
                let text = number(value, decimals, Lang::Vi);
                let expected: f64 = format!("{:.*}", decimals, value).parse().unwrap();
                prop_assert_eq!(parse_number(&text), Ok(expected), "{}", text);
            }

            #[test]
            fn parse_time_never_panics(text in any::<String>(), ish in time_ish()) {
                let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
                let _ = parse_time(&text, &tz);
                let _ = parse_time(&ish, &tz);
                let _ = parse_time(&ish, &TimeZone::UTC);
            }

            #[test]
            fn local_dates_and_times_in_range_are_read(y in 1i16..9999, m in 1i8..=12, d in 1i8..=28, h in 0i8..24, min in 0i8..60) {
                let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
                let text = format!("{d:02}/{m:02}/{y:04} {h:02}:{min:02}");
                let read = parse_time(&text, &tz);
                // Only the far edges of jiff's range may fail, and then with a message.
                if (2..9998).contains(&y) {
                    prop_assert!(read.is_ok(), "{}: {:?}", text, read);
                }
            }
        }
    }

    #[test]
    fn csv_fields_may_be_quoted_and_separated_by_semicolons() {
        assert_eq!(split_csv(r#"a;"1.234,5";"say ""hi"""#, ';'), vec!["a", "1.234,5", "say \"hi\""]);
        assert_eq!(split_csv("a,\"1,5\",x", ','), vec!["a", "1,5", "x"]);
    }
}
