//! Time ranges and steps, in the office's time zone, so that days and months are local.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::Serialize;

use super::consumption::{floor_hour, HOUR_MS};

/// How finely a series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Hour,
    Day,
    Month,
}

impl Step {
    pub fn parse(s: &str) -> Result<Step, PeriodError> {
        match s {
            "hour" => Ok(Step::Hour),
            "day" => Ok(Step::Day),
            "month" => Ok(Step::Month),
            other => Err(PeriodError(format!(
                "step `{other}` is not known: send step=hour, step=day or step=month"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Hour => "hour",
            Step::Day => "day",
            Step::Month => "month",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeriodError(pub String);

/// The most buckets one series may have, so one request cannot ask for millions.
pub const MAX_BUCKETS: usize = 20_000;

/// A half-open range `[from, to)` of whole hours, with `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    from: Timestamp,
    to: Timestamp,
}

impl TimeRange {
    pub fn new(from: Timestamp, to: Timestamp) -> Result<TimeRange, PeriodError> {
        let from = hour_floor(from);
        let to = hour_floor(to);
        if from >= to {
            return Err(PeriodError(
                "`from` must be before `to` (`to` is exclusive): send for example from=2026-11-01&to=2026-12-01"
                    .into(),
            ));
        }
        Ok(TimeRange { from, to })
    }

    /// Parse `from` and `to` as local dates (`2026-11-01`, midnight in `tz`) or RFC 3339 times;
    /// times are cut to the hour.
    pub fn parse(from: &str, to: &str, tz: &TimeZone) -> Result<TimeRange, PeriodError> {
        let from = parse_instant(from, "from", tz)?;
        let to = parse_instant(to, "to", tz)?;
        TimeRange::new(from, to)
    }

    /// A local calendar day range `[first, last_exclusive)`.
    pub fn days(first: Date, last_exclusive: Date, tz: &TimeZone) -> Result<TimeRange, PeriodError> {
        TimeRange::new(local_midnight(first, tz)?, local_midnight(last_exclusive, tz)?)
    }

    pub fn from(&self) -> Timestamp {
        self.from
    }

    pub fn to(&self) -> Timestamp {
        self.to
    }

    pub fn from_ms(&self) -> i64 {
        self.from.as_millisecond()
    }

    pub fn to_ms(&self) -> i64 {
        self.to.as_millisecond()
    }

    /// Whether both ends are local midnights, so day rollups can answer.
    pub fn is_whole_days(&self, tz: &TimeZone) -> bool {
        is_midnight(self.from, tz) && is_midnight(self.to, tz)
    }

    /// The buckets `[start, end)` that cover the range at `step`; the first and last are
    /// clipped to the range.
    pub fn buckets(&self, step: Step, tz: &TimeZone) -> Result<Vec<(Timestamp, Timestamp)>, PeriodError> {
        let mut buckets = Vec::new();
        let mut start = self.from;
        while start < self.to {
            if buckets.len() >= MAX_BUCKETS {
                return Err(PeriodError(format!(
                    "the range holds more than {MAX_BUCKETS} steps of one {}: choose a larger step or a shorter range",
                    step.as_str()
                )));
            }
            let next = next_boundary(start, step, tz)?.min(self.to);
            buckets.push((start, next));
            start = next;
        }
        Ok(buckets)
    }
}

fn hour_floor(ts: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(floor_hour(ts.as_millisecond())).unwrap_or(ts)
}

fn parse_instant(value: &str, name: &str, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
    // jiff reads a date out of a full date-time too, so only a bare date counts as one.
    if !value.contains(['T', 't', ' ']) {
        if let Ok(date) = value.parse::<Date>() {
            return local_midnight(date, tz);
        }
    }
    value.parse::<Timestamp>().map_err(|_| {
        PeriodError(format!(
            "`{name}` = `{value}` is neither a date nor a time: send a local date such as 2026-11-01 or an RFC 3339 time such as 2026-11-28T07:00:00+07:00"
        ))
    })
}

pub fn local_midnight(date: Date, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
    date.to_zoned(tz.clone())
        .and_then(|z| z.start_of_day())
        .map(|z| z.timestamp())
        .map_err(|e| PeriodError(format!("the date {date} cannot be placed in the office's time zone: {e}")))
}

fn is_midnight(ts: Timestamp, tz: &TimeZone) -> bool {
    let zoned = ts.to_zoned(tz.clone());
    zoned.start_of_day().map(|s| s.timestamp() == ts).unwrap_or(false)
}

/// The start of the local day that holds `ts`.
pub fn day_start(ts: Timestamp, tz: &TimeZone) -> Timestamp {
    ts.to_zoned(tz.clone())
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(ts)
}

fn next_boundary(start: Timestamp, step: Step, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
    let overflow = |e: jiff::Error| PeriodError(format!("the range runs past the calendar: {e}"));
    match step {
        Step::Hour => Timestamp::from_millisecond(floor_hour(start.as_millisecond()) + HOUR_MS).map_err(overflow),
        Step::Day => {
            let zoned: Zoned = start.to_zoned(tz.clone());
            let next = zoned.date().checked_add(1.day()).map_err(overflow)?;
            local_midnight(next, tz)
        }
        Step::Month => {
            let zoned: Zoned = start.to_zoned(tz.clone());
            let next = zoned.date().first_of_month().checked_add(1.month()).map_err(overflow)?;
            local_midnight(next, tz)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn() -> TimeZone {
        TimeZone::get("Asia/Ho_Chi_Minh").unwrap()
    }

    #[test]
    fn a_local_date_is_midnight_in_the_office_time_zone() {
        let r = TimeRange::parse("2026-11-01", "2026-12-01", &vn()).unwrap();
        assert_eq!(r.from().to_string(), "2026-10-31T17:00:00Z");
        assert!(r.is_whole_days(&vn()));
    }

    #[test]
    fn months_follow_the_local_calendar() {
        let r = TimeRange::parse("2026-01-01", "2027-01-01", &vn()).unwrap();
        let months = r.buckets(Step::Month, &vn()).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[1].0.to_string(), "2026-01-31T17:00:00Z");
    }

    #[test]
    fn bad_ranges_say_what_to_send() {
        let err = TimeRange::parse("2026-12-01", "2026-11-01", &vn()).unwrap_err();
        assert!(err.0.contains("before"), "{err}");
        let err = TimeRange::parse("yesterday", "2026-11-01", &vn()).unwrap_err();
        assert!(err.0.contains("2026-11-01"), "{err}");
        let long = TimeRange::parse("2000-01-01", "2026-01-01", &vn()).unwrap();
        assert!(long.buckets(Step::Hour, &vn()).is_err());
    }

    #[test]
    fn times_are_cut_to_the_hour() {
        let r = TimeRange::parse("2026-11-28T07:30:00+07:00", "2026-11-28T09:00:00+07:00", &vn()).unwrap();
        assert_eq!(r.from().to_string(), "2026-11-28T00:00:00Z");
        assert_eq!(r.buckets(Step::Hour, &vn()).unwrap().len(), 2);
    }
}
