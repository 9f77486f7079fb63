//! Time ranges and steps, in the office's time zone, so that days and months are local.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::Serialize;

use super::consumption::{HOUR_MS, floor_hour};

/// How finely a series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
            other => Err(PeriodError(format!("step `{other}` is not known: send step=hour, step=day or step=month"))),
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
                "`from` must be before `to` (`to` is exclusive): send for example from=2026-11-01&to=2026-12-01".into(),
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

/// A period the office talks about: a year (`2026`), a quarter (`2026-Q3`), a month
/// (`2026-11`) or a phase of the 2026–2030 movement (`gd1`: 01/01/2026–11/06/2028, `gd2`:
/// 01/07/2028–31/12/2030). Its canonical code is what `Display` writes and `parse` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedPeriod {
    Year(i16),
    /// A year and a quarter 1–4.
    Quarter(i16, i8),
    /// A year and a month 1–12.
    Month(i16, i8),
    Phase(Phase),
}

/// The movement's two phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    One,
    Two,
}

impl Phase {
    /// The first day and the day after the last.
    fn days(self) -> (Date, Date) {
        match self {
            Phase::One => (jiff::civil::date(2026, 1, 1), jiff::civil::date(2028, 6, 12)),
            Phase::Two => (jiff::civil::date(2028, 7, 1), jiff::civil::date(2031, 1, 1)),
        }
    }
}

/// Years a named period may fall in: the movement's, with room for baselines before it.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

impl NamedPeriod {
    pub fn parse(text: &str) -> Result<NamedPeriod, PeriodError> {
        let bad = || {
            PeriodError(format!(
                "`{text}` is not a period: send a year (2026), a quarter (2026-Q3), a month (2026-11) or a phase of the movement (gd1, gd2)"
            ))
        };
        let text_lower = text.trim().to_ascii_lowercase();
        let year = |y: &str| y.parse::<i16>().ok().filter(|y| YEARS.contains(y) && y.to_string().len() == 4);
        let period = match text_lower.as_str() {
            "gd1" => NamedPeriod::Phase(Phase::One),
            "gd2" => NamedPeriod::Phase(Phase::Two),
            t if t.len() == 4 => NamedPeriod::Year(year(t).ok_or_else(bad)?),
            t => {
                let (y, rest) = t.split_once('-').ok_or_else(bad)?;
                let y = year(y).ok_or_else(bad)?;
                if let Some(q) = rest.strip_prefix('q') {
                    let q = q.parse::<i8>().ok().filter(|q| (1..=4).contains(q) && rest.len() == 2).ok_or_else(bad)?;
                    NamedPeriod::Quarter(y, q)
                } else {
                    let m =
                        rest.parse::<i8>().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2).ok_or_else(bad)?;
                    NamedPeriod::Month(y, m)
                }
            }
        };
        Ok(period)
    }

    /// The first day of the period and the day after its last.
    pub fn days(&self) -> (Date, Date) {
        let first_of = |y: i16, m: i8| jiff::civil::date(y, m, 1);
        let next_month = |y: i16, m: i8| if m == 12 { first_of(y + 1, 1) } else { first_of(y, m + 1) };
        match *self {
            NamedPeriod::Year(y) => (first_of(y, 1), first_of(y + 1, 1)),
            NamedPeriod::Quarter(y, q) => (first_of(y, 3 * q - 2), next_month(y, 3 * q)),
            NamedPeriod::Month(y, m) => (first_of(y, m), next_month(y, m)),
            NamedPeriod::Phase(phase) => phase.days(),
        }
    }

    /// The period as local days in `tz`.
    pub fn range(&self, tz: &TimeZone) -> Result<TimeRange, PeriodError> {
        let (first, last_exclusive) = self.days();
        TimeRange::days(first, last_exclusive, tz)
    }

    /// The same period a year earlier, to compare with; phases have none.
    pub fn previous_year(&self) -> Option<NamedPeriod> {
        match *self {
            NamedPeriod::Year(y) => Some(NamedPeriod::Year(y - 1)),
            NamedPeriod::Quarter(y, q) => Some(NamedPeriod::Quarter(y - 1, q)),
            NamedPeriod::Month(y, m) => Some(NamedPeriod::Month(y - 1, m)),
            NamedPeriod::Phase(_) => None,
        }
    }
}

impl std::fmt::Display for NamedPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamedPeriod::Year(y) => write!(f, "{y}"),
            NamedPeriod::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            NamedPeriod::Month(y, m) => write!(f, "{y}-{m:02}"),
            NamedPeriod::Phase(Phase::One) => f.write_str("gd1"),
            NamedPeriod::Phase(Phase::Two) => f.write_str("gd2"),
        }
    }
}

impl std::str::FromStr for NamedPeriod {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NamedPeriod::parse(s)
    }
}

impl Serialize for NamedPeriod {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NamedPeriod {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NamedPeriod::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A time as RFC 3339 with the office's offset, the way the API writes times.
pub fn local_rfc3339(ts: Timestamp, tz: &TimeZone) -> String {
    // Fractional seconds only when there are any: a device's time kept to the millisecond
    // must read back exactly, to be corrected by it.
    ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
}

fn hour_floor(ts: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(floor_hour(ts.as_millisecond())).unwrap_or(ts)
}

fn parse_instant(value: &str, name: &str, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
    // jiff reads a date out of a full date-time too, so only a bare date counts as one.
    if !value.contains(['T', 't', ' '])
        && let Ok(date) = value.parse::<Date>()
    {
        return local_midnight(date, tz);
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
    ts.to_zoned(tz.clone()).start_of_day().map(|z| z.timestamp()).unwrap_or(ts)
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

    #[test]
    fn named_periods_read_and_write_their_codes() {
        for (code, first, last_exclusive) in [
            ("2026", "2026-01-01", "2027-01-01"),
            ("2026-Q3", "2026-07-01", "2026-10-01"),
            ("2026-Q4", "2026-10-01", "2027-01-01"),
            ("2026-11", "2026-11-01", "2026-12-01"),
            ("2026-12", "2026-12-01", "2027-01-01"),
            ("gd1", "2026-01-01", "2028-06-12"),
            ("gd2", "2028-07-01", "2031-01-01"),
        ] {
            let period = NamedPeriod::parse(code).unwrap();
            assert_eq!(period.to_string(), code);
            let (a, b) = period.days();
            assert_eq!((a.to_string().as_str(), b.to_string().as_str()), (first, last_exclusive), "{code}");
        }
        assert_eq!(NamedPeriod::parse("2026-q3").unwrap().to_string(), "2026-Q3");
        let year = NamedPeriod::parse("2026").unwrap().range(&vn()).unwrap();
        assert_eq!(year.from().to_string(), "2025-12-31T17:00:00Z");
    }

    #[test]
    fn a_period_compares_with_the_same_period_a_year_earlier() {
        let p = |s: &str| NamedPeriod::parse(s).unwrap();
        assert_eq!(p("2026-Q3").previous_year(), Some(p("2025-Q3")));
        assert_eq!(p("2026-11").previous_year(), Some(p("2025-11")));
        assert_eq!(p("gd2").previous_year(), None);
    }

    #[test]
    fn bad_periods_say_what_to_send() {
        for bad in ["", "26", "2026-13", "2026-Q5", "2026-Q01", "2026-1", "gd3", "năm 2026", "99999", "2026-00"] {
            let err = NamedPeriod::parse(bad).unwrap_err();
            assert!(err.0.contains("2026-Q3") && err.0.contains("gd1"), "{bad}: {err}");
        }
    }
}
