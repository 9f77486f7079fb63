//! The time-series reads of the InfluxDB backend, in Flux: the office's consumption summed
//! into hours or local days by `aggregateWindow` in its time zone, and every office's meter
//! totals for the province's comparison.
//!
//! The queries are built as text from values that are already checked (meter ids, the office
//! id, the bucket from the config); every string still goes through [`flux_string`].

use fallible_iterator::FallibleIterator;
use influxdb2::api::query::FluxRecord;
use influxdb2::models::Query;
use influxdb2_structmap::value::Value;

use super::line::{CONSUMPTION, CONSUMPTION_FIELD};
use crate::domain::TimeRange;
use crate::domain::{MeterId, Resource};
use crate::store::{MeterTotal, Resolution, StoreError};

/// Asks one office's points in one bucket.
#[derive(Clone)]
pub struct FluxReader {
    client: influxdb2::Client,
    bucket: String,
    office: String,
    timezone: String,
}

impl FluxReader {
    /// `timezone` is the IANA name of the office's zone, in which days begin.
    pub fn new(client: influxdb2::Client, bucket: &str, office: &str, timezone: &str) -> FluxReader {
        FluxReader { client, bucket: bucket.to_owned(), office: office.to_owned(), timezone: timezone.to_owned() }
    }

    /// `(start in ms, amount)` per meter and hour (or local day) with consumption in `range`.
    pub async fn consumption(
        &self,
        meters: &[MeterId],
        range: TimeRange,
        resolution: Resolution,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        if meters.is_empty() {
            return Ok(Vec::new());
        }
        let flux = consumption_query(&self.bucket, &self.office, &self.timezone, meters, range, resolution);
        let mut rows = Vec::new();
        for record in self.run(flux).await? {
            let start = time_ms(&record, "_time")?;
            let amount = number(&record, "_value")?;
            rows.push((start, amount));
        }
        Ok(rows)
    }

    /// Every meter's consumption over `range`, in every office of the bucket.
    pub async fn meter_totals(&self, range: TimeRange) -> Result<Vec<MeterTotal>, StoreError> {
        let mut totals = Vec::new();
        for record in self.run(totals_query(&self.bucket, range)).await? {
            let text = |column: &str| match record.values.get(column) {
                Some(Value::String(v)) if !v.is_empty() => Some(v.clone()),
                _ => None,
            };
            // A point without the tags Xanh writes is not Xanh's: it is left out.
            let (Some(office), Some(meter), Some(resource)) = (text("office"), text("meter"), text("resource")) else {
                continue;
            };
            let Ok(resource) = resource.parse::<Resource>() else { continue };
            totals.push(MeterTotal {
                office,
                meter,
                resource,
                department: text("department"),
                parent: text("parent"),
                amount: number(&record, "_value")?,
            });
        }
        Ok(totals)
    }

    async fn run(&self, flux: String) -> Result<Vec<FluxRecord>, StoreError> {
        let failed = |e: influxdb2::RequestError| StoreError::Influx(format!("query failed: {e}"));
        let answer = self.client.query_raw_iter(Some(Query::new(flux))).await.map_err(failed)?;
        let records: Vec<_> = answer.result().collect().map_err(failed)?;
        Ok(records)
    }
}

fn unexpected(column: &str, wanted: &str, found: Option<&Value>) -> StoreError {
    StoreError::Influx(format!("the query's column {column} should be {wanted}, found {found:?}"))
}

fn time_ms(record: &FluxRecord, column: &str) -> Result<i64, StoreError> {
    match record.values.get(column) {
        Some(Value::TimeRFC(at)) => Ok(at.timestamp_millis()),
        other => Err(unexpected(column, "a time", other)),
    }
}

fn number(record: &FluxRecord, column: &str) -> Result<f64, StoreError> {
    match record.values.get(column) {
        Some(Value::Double(v)) => Ok(v.into_inner()),
        Some(Value::Long(v)) => Ok(*v as f64),
        Some(Value::UnsignedLong(v)) => Ok(*v as f64),
        other => Err(unexpected(column, "a number", other)),
    }
}

/// A Flux string literal: backslash, quote and `${` (interpolation) escaped.
pub fn flux_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '$' => quoted.push_str("\\$"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// `from |> range |> filter` of one measurement and field of the office.
fn points(bucket: &str, office: &str, measurement: &str, field: &str, start: &str, stop: &str) -> String {
    format!(
        "from(bucket: {bucket})\n  |> range(start: {start}, stop: {stop})\n  \
         |> filter(fn: (r) => r._measurement == {measurement} and r._field == {field} and r.office == {office})\n",
        bucket = flux_string(bucket),
        office = flux_string(office),
        measurement = flux_string(measurement),
        field = flux_string(field),
    )
}

fn consumption_query(
    bucket: &str,
    office: &str,
    timezone: &str,
    meters: &[MeterId],
    range: TimeRange,
    resolution: Resolution,
) -> String {
    let every = match resolution {
        Resolution::Hour => "1h",
        Resolution::Day => "1d",
    };
    // `or` of tag equalities, not `contains()`: InfluxDB pushes the former down to storage.
    let any_meter =
        meters.iter().map(|m| format!("r.meter == {}", flux_string(m.as_str()))).collect::<Vec<_>>().join(" or ");
    let mut flux = String::from("import \"timezone\"\n\n");
    flux.push_str(&points(
        bucket,
        office,
        CONSUMPTION,
        CONSUMPTION_FIELD,
        &range.from().to_string(),
        &range.to().to_string(),
    ));
    flux.push_str(&format!("  |> filter(fn: (r) => {any_meter})\n"));
    // Windows in the office's zone, so a day runs from local midnight to local midnight;
    // each row is stamped with its window's start, like the SQLite store's rollups.
    flux.push_str(&format!(
        "  |> aggregateWindow(every: {every}, fn: sum, timeSrc: \"_start\", createEmpty: false, \
         location: timezone.location(name: {zone}))\n",
        zone = flux_string(timezone),
    ));
    // An hour whose consumption was taken back is written as 0; the SQLite store has no row.
    flux.push_str("  |> filter(fn: (r) => r._value != 0.0)\n");
    flux.push_str("  |> keep(columns: [\"_time\", \"_value\", \"meter\"])\n");
    flux
}

/// Each meter's sum over `range`, every office, with the tags the comparison needs. A tag a
/// point lacks (department, parent) comes back empty.
fn totals_query(bucket: &str, range: TimeRange) -> String {
    format!(
        "from(bucket: {bucket})\n  |> range(start: {start}, stop: {stop})\n  \
         |> filter(fn: (r) => r._measurement == {measurement} and r._field == {field})\n  \
         |> group(columns: [\"office\", \"meter\", \"resource\", \"department\", \"parent\"])\n  \
         |> sum()\n",
        bucket = flux_string(bucket),
        start = range.from(),
        stop = range.to(),
        measurement = flux_string(CONSUMPTION),
        field = flux_string(CONSUMPTION_FIELD),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str) -> TimeRange {
        TimeRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
    }

    #[test]
    fn strings_cannot_break_out_of_their_literal() {
        assert_eq!(flux_string("vp-ubnd"), "\"vp-ubnd\"");
        assert_eq!(flux_string("a\"b\\c${d}"), "\"a\\\"b\\\\c\\${d}\"");
    }

    #[test]
    fn daily_consumption_is_windowed_in_the_office_zone_and_stamped_by_window_start() {
        let meters = ["dien-a".parse().unwrap(), "nuoc-tong".parse().unwrap()];
        let flux = consumption_query(
            "xanh",
            "vp-ubnd",
            "Asia/Ho_Chi_Minh",
            &meters,
            range("2026-10-31T17:00:00Z", "2026-11-30T17:00:00Z"),
            Resolution::Day,
        );
        assert!(flux.starts_with("import \"timezone\"\n"), "{flux}");
        assert!(flux.contains("range(start: 2026-10-31T17:00:00Z, stop: 2026-11-30T17:00:00Z)"), "{flux}");
        assert!(
            flux.contains(r#"r._measurement == "consumption" and r._field == "consumption" and r.office == "vp-ubnd""#),
            "{flux}"
        );
        assert!(flux.contains(r#"filter(fn: (r) => r.meter == "dien-a" or r.meter == "nuoc-tong")"#), "{flux}");
        assert!(
            flux.contains(r#"aggregateWindow(every: 1d, fn: sum, timeSrc: "_start", createEmpty: false, location: timezone.location(name: "Asia/Ho_Chi_Minh"))"#),
            "{flux}"
        );
    }

    #[test]
    fn hourly_consumption_uses_hour_windows() {
        let meters = ["dien-a".parse().unwrap()];
        let flux = consumption_query(
            "xanh",
            "vp",
            "Asia/Ho_Chi_Minh",
            &meters,
            range("2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"),
            Resolution::Hour,
        );
        assert!(flux.contains("aggregateWindow(every: 1h,"), "{flux}");
    }

    #[test]
    fn every_office_is_summed_by_meter_with_the_tags_that_decide_what_counts() {
        let flux = totals_query("xanh", range("2026-10-31T17:00:00Z", "2026-11-30T17:00:00Z"));
        assert!(flux.contains(r#"r._measurement == "consumption" and r._field == "consumption")"#), "{flux}");
        assert!(!flux.contains("r.office =="), "every office: {flux}");
        assert!(flux.contains(r#"group(columns: ["office", "meter", "resource", "department", "parent"])"#), "{flux}");
        assert!(flux.trim_end().ends_with("|> sum()"), "{flux}");
    }
}
