//! InfluxDB line protocol for Xanh's two measurements, as pure functions (precision ms):
//!
//! ```text
//! reading,office=<id>,meter=<id>,resource=<resource>[,department=<id>][,parent=<id>] value=<f64> <ts ms>
//! consumption,office=<id>,meter=<id>,resource=<resource>[,department=<id>][,parent=<id>] consumption=<f64> <hour ms>
//! ```
//!
//! `parent` marks a sub-meter, whose use its parent already counts: office totals leave such
//! meters out. Grafana's dashboards and the Flux reads depend on exactly these names.

use std::collections::HashMap;

use crate::domain::{DepartmentId, Meter, MeterId, OfficeId, Resource};

/// The measurements and their fields.
pub const READING: &str = "reading";
pub const READING_FIELD: &str = "value";
pub const CONSUMPTION: &str = "consumption";
pub const CONSUMPTION_FIELD: &str = "consumption";

/// The tags of one meter's points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterTags {
    pub office: OfficeId,
    pub meter: MeterId,
    pub resource: Resource,
    /// `None`: the whole building, and no `department` tag.
    pub department: Option<DepartmentId>,
    /// The meter above this one; `None` for a top-level meter, and no `parent` tag.
    pub parent: Option<MeterId>,
}

/// The tags of every configured meter of the office.
pub fn tags_of(office: &OfficeId, meters: &[Meter]) -> HashMap<MeterId, MeterTags> {
    meters
        .iter()
        .map(|m| {
            let tags = MeterTags {
                office: office.clone(),
                meter: m.id.clone(),
                resource: m.resource,
                department: m.department.clone(),
                parent: m.parent.clone(),
            };
            (m.id.clone(), tags)
        })
        .collect()
}

/// A reading in the meter's canonical unit at `ts_ms`; `None` for a value line protocol
/// cannot carry (not finite).
pub fn reading(tags: &MeterTags, value: f64, ts_ms: i64) -> Option<String> {
    point(READING, tags, READING_FIELD, value, ts_ms)
}

/// The consumption of the UTC hour starting at `hour_ms`; a later point for the same hour
/// replaces it in InfluxDB.
pub fn consumption(tags: &MeterTags, amount: f64, hour_ms: i64) -> Option<String> {
    point(CONSUMPTION, tags, CONSUMPTION_FIELD, amount, hour_ms)
}

/// The measurement and tags of a meter's reading points: what [`reading_at`] adds a
/// reading's value to when the reading is sent.
pub fn reading_series(tags: &MeterTags) -> String {
    series(READING, tags)
}

/// The reading point of `series` (from [`reading_series`]) at `ts_ms`; `None` for a value
/// line protocol cannot carry.
pub fn reading_at(series: &str, value: f64, ts_ms: i64) -> Option<String> {
    with_field(series.to_owned(), READING_FIELD, value, ts_ms)
}

/// The measurement and tags of a meter's consumption points: what [`consumption_at`] adds
/// an hour's amount to when the hour is sent.
pub fn consumption_series(tags: &MeterTags) -> String {
    series(CONSUMPTION, tags)
}

/// The consumption point of `series` (from [`consumption_series`]) for the UTC hour starting
/// at `hour_ms`; `None` for an amount line protocol cannot carry.
pub fn consumption_at(series: &str, amount: f64, hour_ms: i64) -> Option<String> {
    with_field(series.to_owned(), CONSUMPTION_FIELD, amount, hour_ms)
}

fn point(measurement: &str, tags: &MeterTags, field: &str, value: f64, ts_ms: i64) -> Option<String> {
    with_field(series(measurement, tags), field, value, ts_ms)
}

fn series(measurement: &str, tags: &MeterTags) -> String {
    let mut line = String::with_capacity(128);
    line.push_str(measurement);
    // Tags in key order, as InfluxDB recommends for write performance.
    if let Some(department) = &tags.department {
        push_tag(&mut line, "department", department.as_str());
    }
    push_tag(&mut line, "meter", tags.meter.as_str());
    push_tag(&mut line, "office", tags.office.as_str());
    if let Some(parent) = &tags.parent {
        push_tag(&mut line, "parent", parent.as_str());
    }
    push_tag(&mut line, "resource", tags.resource.as_str());
    line
}

fn with_field(mut line: String, field: &str, value: f64, ts_ms: i64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    line.push(' ');
    line.push_str(field);
    line.push('=');
    line.push_str(&float(value));
    line.push(' ');
    line.push_str(&ts_ms.to_string());
    Some(line)
}

fn push_tag(line: &mut String, key: &str, value: &str) {
    line.push(',');
    line.push_str(key);
    line.push('=');
    escape_tag_value(value, line);
}

/// Tag values escape commas, equals signs and spaces (and the backslash, so that a value
/// ending in one does not escape what follows); a line break cannot be carried and becomes a
/// space. Xanh's ids are slugs, so this only matters for values from elsewhere.
fn escape_tag_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ',' | '=' | ' ' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\ "),
            c => out.push(c),
        }
    }
}

/// A float field: Rust's shortest round-trip form, never an exponent, always read back as a
/// float (line protocol takes `12` as a float; only `12i` is an integer).
fn float(value: f64) -> String {
    // -0.0 would print "-0", which reads back as 0 anyway; write what is meant.
    if value == 0.0 { "0".to_owned() } else { format!("{value}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(department: Option<&str>) -> MeterTags {
        MeterTags {
            office: "vp-ubnd".parse().unwrap(),
            meter: "dien-a".parse().unwrap(),
            resource: Resource::Electricity,
            department: department.map(|d| d.parse().unwrap()),
            parent: None,
        }
    }

    #[test]
    fn a_sub_meter_names_its_parent() {
        let sub = MeterTags { parent: Some("dien-tong".parse().unwrap()), ..tags(Some("phong-a")) };
        assert_eq!(
            consumption(&sub, 2.5, 1_793_577_600_000).unwrap(),
            "consumption,department=phong-a,meter=dien-a,office=vp-ubnd,parent=dien-tong,resource=electricity consumption=2.5 1793577600000"
        );
    }

    #[test]
    fn a_reading_carries_its_tags_value_and_millisecond_time() {
        assert_eq!(
            reading(&tags(Some("phong-a")), 1234.5, 1_793_577_600_000).unwrap(),
            "reading,department=phong-a,meter=dien-a,office=vp-ubnd,resource=electricity value=1234.5 1793577600000"
        );
    }

    #[test]
    fn a_building_meter_has_no_department_tag() {
        assert_eq!(
            consumption(&tags(None), 0.25, 1_793_577_600_000).unwrap(),
            "consumption,meter=dien-a,office=vp-ubnd,resource=electricity consumption=0.25 1793577600000"
        );
    }

    #[test]
    fn tag_values_are_escaped_per_the_spec() {
        let mut out = String::new();
        escape_tag_value(r"a b,c=d\e", &mut out);
        assert_eq!(out, r"a\ b\,c\=d\\e");
        let mut out = String::new();
        escape_tag_value("two\nlines", &mut out);
        assert_eq!(out, r"two\ lines");
        let mut out = String::new();
        escape_tag_value("Phòng Tổng hợp", &mut out);
        assert_eq!(out, r"Phòng\ Tổng\ hợp");
    }

    #[test]
    fn floats_round_trip_without_exponents() {
        assert_eq!(float(12.0), "12");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(1e-7), "0.0000001");
        assert_eq!(float(1e12), "1000000000000");
        assert_eq!(float(-0.0), "0");
        for v in [0.1, 1.0 / 3.0, 123456.789, 5e-324] {
            assert_eq!(float(v).parse::<f64>().unwrap(), v);
        }
        assert_eq!(reading(&tags(None), f64::NAN, 0), None);
        assert_eq!(consumption(&tags(None), f64::INFINITY, 0), None);
    }
}
