//! Waste made visible: when in the week a resource is used, how much of it outside working
//! hours, at weekends and on holidays, the base load at night, and water meters that never
//! stop at night (a likely leak). Pure functions of hourly consumption and the office's
//! working hours; `figures` asks the store for the hours.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::Serialize;

use super::figures::FigureError;
use super::series::select_meters;
use crate::config::Config;
use crate::domain::consumption::HOUR_MS;
use crate::domain::{DepartmentId, MeterId, Office, Resource};
use crate::domain::{Step, TimeRange};
use crate::store::{FigureKey, Resolution, StoreReads};

/// Night, when an office should use nothing but its base load: 00:00 to 05:00 local time.
pub const NIGHT_HOURS: std::ops::Range<i8> = 0..5;

/// A night counts as "never stopped" when its quietest hour still used this much (m³): a
/// litre an hour, above rounding in the spreading of readings.
pub const LEAK_FLOW_M3_PER_HOUR: f64 = 0.001;

/// Nights a meter must have been measured (and never stopped) to be reported.
pub const LEAK_NIGHTS: usize = 3;

/// The use of each hour of a range, in order: element `i` is the hour starting at
/// `range.from() + i hours`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hourly {
    pub from: Timestamp,
    pub values: Vec<f64>,
}

impl Hourly {
    /// Sum store rows `(start in ms, amount)` (several meters may share an hour) into hours.
    pub fn from_rows(range: &TimeRange, rows: &[(i64, f64)]) -> Hourly {
        let hours = ((range.to_ms() - range.from_ms()) / HOUR_MS).max(0) as usize;
        let mut summed = Hourly { from: range.from(), values: vec![0.0; hours] };
        summed.add_rows(rows);
        summed
    }

    /// Add store rows `(start in ms, amount)` to the hours they fall in; rows outside are left
    /// out.
    fn add_rows(&mut self, rows: &[(i64, f64)]) {
        let from_ms = self.from.as_millisecond();
        let to_ms = from_ms + self.values.len() as i64 * HOUR_MS;
        for &(start, amount) in rows {
            if start >= from_ms && start < to_ms {
                self.values[((start - from_ms) / HOUR_MS) as usize] += amount;
            }
        }
    }

    /// Each hour placed in the time zone, in order. Placing each of a year's 8 784 hours with
    /// a look-up in the zone, several times a page, was most of a year's waste page; the
    /// offset is now looked up again only when a transition of the zone has passed (never in
    /// Asia/Ho_Chi_Minh).
    fn placed(&self, tz: &TimeZone) -> Vec<LocalHour> {
        let mut clock = LocalClock::new(tz, self.from);
        self.values
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let start =
                    Timestamp::from_millisecond(self.from.as_millisecond() + i as i64 * HOUR_MS).unwrap_or(self.from);
                let middle = start.checked_add(SignedDuration::from_mins(30)).ok();
                LocalHour { start: clock.place(start), middle: middle.map(|m| clock.place(m)), value: *value }
            })
            .collect()
    }
}

/// An hour of a range in office time: its local start, and its middle, at which working hours
/// are judged (see [`is_working_hour`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct LocalHour {
    start: DateTime,
    middle: Option<DateTime>,
    value: f64,
}

impl LocalHour {
    fn is_working(&self, office: &Office) -> bool {
        self.middle.is_some_and(|middle| office.is_working_at(middle))
    }
}

/// Places times, given in increasing order, in a time zone: the offset found for one time
/// holds until the zone's next transition, so it is looked up again only after one.
struct LocalClock<'a> {
    tz: &'a TimeZone,
    offset: Offset,
    since: Timestamp,
    /// The zone's first transition after `since`, if it has one.
    until: Option<Timestamp>,
}

impl<'a> LocalClock<'a> {
    fn new(tz: &'a TimeZone, at: Timestamp) -> LocalClock<'a> {
        LocalClock { tz, offset: tz.to_offset(at), since: at, until: tz.following(at).next().map(|t| t.timestamp()) }
    }

    fn place(&mut self, at: Timestamp) -> DateTime {
        if at < self.since || self.until.is_some_and(|until| at >= until) {
            *self = LocalClock::new(self.tz, at);
        }
        self.offset.to_datetime(at)
    }
}

/// Average use by day of the week (0 = Monday) and hour of the day, over the range.
pub fn hour_of_week(hourly: &Hourly, tz: &TimeZone) -> [[f64; 24]; 7] {
    let mut sums = [[0.0; 24]; 7];
    let mut counts = [[0u32; 24]; 7];
    for hour in hourly.placed(tz) {
        let day = hour.start.weekday().to_monday_zero_offset() as usize;
        let hour_of_day = hour.start.hour() as usize;
        sums[day][hour_of_day] += hour.value;
        counts[day][hour_of_day] += 1;
    }
    let mut average = [[0.0; 24]; 7];
    for day in 0..7 {
        for hour in 0..24 {
            if counts[day][hour] > 0 {
                average[day][hour] = sums[day][hour] / f64::from(counts[day][hour]);
            }
        }
    }
    average
}

/// Where a range's use fell: in working hours, outside them on working days, at weekends,
/// on holidays. The four add up to `total`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct TimeSplit {
    pub total: f64,
    pub working_hours: f64,
    pub outside_hours: f64,
    pub weekends: f64,
    pub holidays: f64,
}

impl TimeSplit {
    /// `part` as a share of the total, 0 to 1; `None` when nothing was used.
    pub fn share(&self, part: f64) -> Option<f64> {
        (self.total > 0.0).then(|| part / self.total)
    }
}

/// Whether the hour starting at `start` (office time) is a working hour: judged at its middle,
/// so that 07:00–08:00 counts for an office opening at 07:30.
pub fn is_working_hour(office: &Office, start: &Zoned) -> bool {
    start.checked_add(jiff::SignedDuration::from_mins(30)).is_ok_and(|middle| office.is_working_time(&middle))
}

/// Split the use by the office's calendar; a holiday that falls on a weekend counts as a
/// weekend.
pub fn time_split(hourly: &Hourly, office: &Office) -> TimeSplit {
    split_placed(&hourly.placed(&office.timezone), office)
}

fn split_placed(hours: &[LocalHour], office: &Office) -> TimeSplit {
    let mut split = TimeSplit::default();
    for hour in hours {
        let date = hour.start.date();
        split.total += hour.value;
        let bucket = if !office.working_days.contains(date.weekday()) && !office.calendar.is_made_working(date) {
            &mut split.weekends
        } else if !office.is_working_day(date) {
            &mut split.holidays
        } else if hour.is_working(office) {
            &mut split.working_hours
        } else {
            &mut split.outside_hours
        };
        *bucket += hour.value;
    }
    split
}

/// What is used at night while nobody works, as a rate per hour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NightLoad {
    /// The median hourly use between 00:00 and 05:00 (kWh per hour is kW).
    pub base_per_hour: f64,
    /// The average hourly use in working hours, to compare with.
    pub working_per_hour: Option<f64>,
}

/// The night base load; `None` when no night of the range used anything. A night without any
/// use is taken as a night without readings (a building always draws something), so that
/// days before the meters were installed do not pull the base to zero.
pub fn night_load(hourly: &Hourly, office: &Office) -> Option<NightLoad> {
    night_load_placed(&hourly.placed(&office.timezone), office)
}

fn night_load_placed(hours: &[LocalHour], office: &Office) -> Option<NightLoad> {
    let mut night: Vec<f64> = nights_placed(hours)
        .into_iter()
        .filter(|(_, values)| values.iter().any(|v| *v > 0.0))
        .flat_map(|(_, values)| values)
        .collect();
    // Working hours count only on days that used something, for the same reason.
    let used_on: std::collections::BTreeSet<Date> =
        hours.iter().filter(|hour| hour.value > 0.0).map(|hour| hour.start.date()).collect();
    let (mut working_sum, mut working_hours) = (0.0, 0u32);
    for hour in hours {
        if hour.is_working(office) && used_on.contains(&hour.start.date()) {
            working_sum += hour.value;
            working_hours += 1;
        }
    }
    if night.is_empty() {
        return None;
    }
    night.sort_by(f64::total_cmp);
    let middle = night.len() / 2;
    let median = if night.len().is_multiple_of(2) { (night[middle - 1] + night[middle]) / 2.0 } else { night[middle] };
    Some(NightLoad {
        base_per_hour: median,
        working_per_hour: (working_hours > 0).then(|| working_sum / f64::from(working_hours)),
    })
}

/// The night-time (00:00–05:00) hours of each local night in the range, as (the night's date,
/// its hourly values); a night the range cuts short is left out.
pub fn nights(hourly: &Hourly, tz: &TimeZone) -> Vec<(Date, Vec<f64>)> {
    nights_placed(&hourly.placed(tz))
}

fn nights_placed(hours: &[LocalHour]) -> Vec<(Date, Vec<f64>)> {
    let mut nights: Vec<(Date, Vec<f64>)> = Vec::new();
    for hour in hours {
        if !NIGHT_HOURS.contains(&hour.start.hour()) {
            continue;
        }
        let night = hour.start.date();
        match nights.last_mut() {
            Some((date, values)) if *date == night => values.push(hour.value),
            _ => nights.push((night, vec![hour.value])),
        }
    }
    nights.retain(|(_, values)| values.len() == NIGHT_HOURS.len());
    nights
}

/// A water meter whose flow never stopped on any measured night.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeverStops {
    pub meter: MeterId,
    /// Nights judged: those the meter's readings covered.
    pub nights: usize,
    /// The lowest hourly flow seen at night, m³ per hour.
    pub lowest_per_hour: f64,
}

/// Whether a meter's nights show a flow that never stops. Only nights the meter was measured
/// in count (`measured(date)`): use spread from a reading days apart is even and never zero,
/// and says nothing about the night.
pub fn never_stops(
    meter: &MeterId,
    nights: &[(Date, Vec<f64>)],
    measured: &dyn Fn(Date) -> bool,
) -> Option<NeverStops> {
    let judged: Vec<f64> = nights
        .iter()
        .filter(|(date, _)| measured(*date))
        .map(|(_, values)| values.iter().copied().fold(f64::INFINITY, f64::min))
        .collect();
    let lowest = judged.iter().copied().fold(f64::INFINITY, f64::min);
    (judged.len() >= LEAK_NIGHTS && lowest > LEAK_FLOW_M3_PER_HOUR).then(|| NeverStops {
        meter: meter.clone(),
        nights: judged.len(),
        lowest_per_hour: lowest,
    })
}

/// A resource's waste figures over a range, for the office or one department.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waste {
    pub resource: Resource,
    pub split: TimeSplit,
    pub night: Option<NightLoad>,
    /// Water only: meters that never stop at night.
    pub never_stop: Vec<NeverStops>,
}

/// The longest range the waste figures cover: they read every hour of it.
pub const MAX_DAYS: i64 = 366;

/// The hours of the selected meters' use over the range (at most [`MAX_DAYS`]).
pub async fn hourly(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    department: Option<&DepartmentId>,
    range: TimeRange,
) -> Result<Hourly, FigureError> {
    if range.to_ms() - range.from_ms() > MAX_DAYS * 24 * HOUR_MS {
        return Err(FigureError::BadQuery(format!(
            "the waste figures cover at most {MAX_DAYS} days: choose a year or less"
        )));
    }
    let meters = select_meters(&config.meters, resource, department);
    // Kept between requests like the consumption series (see `figures`).
    let feed = store.change_feed();
    let key = FigureKey::new("hours", meters, range, Step::Hour, Resolution::Hour);
    if let Some(kept) = feed.and_then(|f| f.get::<Hourly>(&key)) {
        return Ok(kept.as_ref().clone());
    }
    let version = feed.map(|f| f.version());
    let hours = read_a_meter_at_a_time(store, &key.meters, range).await?;
    if let (Some(feed), Some(version)) = (feed, version) {
        feed.put(key, version, hours.clone(), hours.values.len());
    }
    Ok(hours)
}

/// The waste figures; for water, each meter's last nights (up to a week) are checked for a
/// flow that never stops.
pub async fn waste(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    department: Option<&DepartmentId>,
    range: TimeRange,
    hours: &Hourly,
) -> Result<Waste, FigureError> {
    let office = &config.office;
    let mut never_stop = Vec::new();
    if resource == Resource::Water {
        let tz = &office.timezone;
        let week_ms = 7 * 24 * HOUR_MS;
        let recent = TimeRange::new(
            Timestamp::from_millisecond(range.from_ms().max(range.to_ms() - week_ms)).unwrap_or(range.from()),
            range.to(),
        )?;
        let water = config.meters.iter().filter(|m| m.resource == Resource::Water);
        let mut meters_nights = Vec::new();
        let mut spans = Vec::new();
        for meter in water.filter(|m| department.is_none() || m.department.as_ref() == department) {
            let rows = store.consumption(vec![meter.id.clone()], recent, Resolution::Hour).await?;
            let nights = nights(&Hourly::from_rows(&recent, &rows), tz);
            for (date, _) in &nights {
                let start = crate::domain::period::local_midnight(*date, tz)?.as_millisecond();
                spans.push((meter.id.clone(), start, start + NIGHT_HOURS.end as i64 * HOUR_MS));
            }
            meters_nights.push((&meter.id, nights));
        }
        // A night counts only when the meter's readings show its use through it: before its
        // first reading and after its last, the hours hold nothing yet, which is not a flow
        // that stopped. Every night of every meter in one question (it was three a night).
        let mut measured = store.measured_through(spans).await?.into_iter();
        for (meter, nights) in meters_nights {
            let measured_nights: Vec<_> =
                nights.iter().filter(|_| measured.next().unwrap_or(false)).map(|(date, _)| *date).collect();
            if let Some(found) = never_stops(meter, &nights, &|d| measured_nights.contains(&d)) {
                never_stop.push(found);
            }
        }
    }
    // The split and the night load walk the same hours: placed in the zone once for both.
    let placed = hours.placed(&office.timezone);
    Ok(Waste { resource, split: split_placed(&placed, office), night: night_load_placed(&placed, office), never_stop })
}

/// The hours of `meters` summed, read a meter at a time. All meters at once is a year of hourly
/// rows for every meter (600 000 rows, 10 MB, for 70 electricity meters), which stayed in the
/// allocator's arena of whichever worker thread read it: repeated year-long requests took the
/// service's memory up (docs/benchmarks.md). Summed in the meters' id order, as the store's one
/// query returns them, so the figures are those of one query to the last bit.
async fn read_a_meter_at_a_time(
    store: &dyn StoreReads,
    meters: &[MeterId],
    range: TimeRange,
) -> Result<Hourly, FigureError> {
    let mut ids = meters.to_vec();
    ids.sort();
    ids.dedup();
    let mut summed = Hourly::from_rows(&range, &[]);
    for meter in ids {
        summed.add_rows(&store.consumption(vec![meter], range, Resolution::Hour).await?);
    }
    Ok(summed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> Office {
        let text = "[office]\nname = \"Thử\"\nworking_hours = \"07:30-17:00\"\nholidays = [\"2026-11-04\"]\n";
        crate::config::Config::parse("t.toml", text, &|_| None).unwrap().office
    }

    /// From Monday 02/11/2026 00:00 local, `days` days of hours: 2 an hour at work, 0,5 else.
    fn week(days: i64, office: &Office) -> Hourly {
        let tz = &office.timezone;
        let from = jiff::civil::date(2026, 11, 2).to_zoned(tz.clone()).unwrap().timestamp();
        let values = (0..days * 24)
            .map(|h| {
                let local =
                    Timestamp::from_millisecond(from.as_millisecond() + h * HOUR_MS).unwrap().to_zoned(tz.clone());
                if is_working_hour(office, &local) { 2.0 } else { 0.5 }
            })
            .collect();
        Hourly { from, values }
    }

    /// Each hour's start and middle are where the zone places them: across Berlin's spring
    /// and autumn changes, from a range that starts on one, and across Lord Howe's half-hour
    /// change, which falls on the middles of hours starting on the hour in UTC.
    #[test]
    fn each_hour_is_placed_where_the_time_zone_places_it() {
        for (zone, from) in [
            ("Asia/Ho_Chi_Minh", "2025-12-25T00:00:00Z"),
            ("Europe/Berlin", "2026-03-20T00:00:00Z"),
            ("Europe/Berlin", "2026-03-29T01:00:00Z"),
            ("Europe/Berlin", "2026-10-20T00:00:00Z"),
            ("Australia/Lord_Howe", "2026-03-25T00:00:00Z"),
            ("Australia/Lord_Howe", "2026-09-25T00:00:00Z"),
        ] {
            let tz = TimeZone::get(zone).unwrap();
            let from: Timestamp = from.parse().unwrap();
            let hourly = Hourly { from, values: (0..24 * 20).map(f64::from).collect() };
            let placed = hourly.placed(&tz);
            assert_eq!(placed.len(), 24 * 20);
            for (i, hour) in placed.iter().enumerate() {
                let start = from + SignedDuration::from_hours(i as i64);
                let middle = start + SignedDuration::from_mins(30);
                assert_eq!(hour.start, start.to_zoned(tz.clone()).datetime(), "{zone}: the start of {start}");
                assert_eq!(hour.middle, Some(middle.to_zoned(tz.clone()).datetime()), "{zone}: the middle of {start}");
                assert_eq!(hour.value, i as f64);
            }
        }
    }

    #[test]
    fn use_is_split_by_working_hours_weekends_and_holidays() {
        let office = office();
        let split = time_split(&week(7, &office), &office);
        // Working days Mon, Tue, Thu, Fri (Wed 04/11 is a holiday): 07:30–17:00 holds the
        // middles of the hours starting 07:00 to 16:00, 10 a day.
        assert_eq!(split.working_hours, 4.0 * 10.0 * 2.0);
        assert_eq!(split.outside_hours, 4.0 * 14.0 * 0.5);
        assert_eq!(split.holidays, 24.0 * 0.5);
        assert_eq!(split.weekends, 48.0 * 0.5);
        assert_eq!(split.total, split.working_hours + split.outside_hours + split.holidays + split.weekends);
        assert!((split.share(split.weekends).unwrap() - 24.0 / split.total).abs() < 1e-12);
        assert_eq!(TimeSplit::default().share(0.0), None);
    }

    #[test]
    fn the_week_heat_map_averages_each_hour_of_each_day() {
        let office = office();
        let tz = &office.timezone;
        let map = hour_of_week(&week(14, &office), tz);
        assert_eq!(map[0][9], 2.0, "Monday 9:00 is working time");
        assert_eq!(map[0][3], 0.5, "Monday 3:00 is night");
        assert_eq!(map[2][9], 1.25, "Wednesday 04/11 was a holiday, Wednesday 11/11 was not");
    }

    #[test]
    fn the_night_base_load_is_the_median_night_hour() {
        let office = office();
        let mut hours = week(2, &office);
        hours.values[1] = 9.0; // one odd hour at 01:00 does not move the median
        let night = night_load(&hours, &office).unwrap();
        assert_eq!(night.base_per_hour, 0.5);
        assert_eq!(night.working_per_hour, Some(2.0));
        // A night with no use at all is a night without readings: left out.
        let mut gap = week(3, &office);
        gap.values[24..29].fill(0.0);
        gap.values[48] = 0.1;
        assert_eq!(night_load(&gap, &office).unwrap().base_per_hour, 0.5);
        let mut idle_day = week(3, &office);
        idle_day.values[24..48].fill(0.0);
        assert_eq!(
            night_load(&idle_day, &office).unwrap().working_per_hour,
            Some(2.0),
            "a day without readings is left out"
        );
        assert_eq!(night_load(&Hourly { from: gap.from, values: vec![0.0; 48] }, &office), None);
    }

    #[test]
    fn a_meter_is_reported_only_when_it_never_stops_on_measured_nights() {
        let office = office();
        let tz = &office.timezone;
        let leaking = week(5, &office);
        let all_nights = nights(&leaking, tz);
        assert_eq!(all_nights.len(), 5);
        let id: MeterId = "nuoc-a".parse().unwrap();
        let found = never_stops(&id, &all_nights, &|_| true).unwrap();
        assert_eq!((found.nights, found.lowest_per_hour), (5, 0.5));
        // Not measured at night (readings days apart): nothing can be said.
        assert_eq!(never_stops(&id, &all_nights, &|_| false), None);
        // One night at zero: the flow stops, so no leak.
        let mut stops = week(5, &office);
        stops.values[2] = 0.0;
        assert_eq!(never_stops(&id, &nights(&stops, tz), &|_| true), None);
    }

    /// Between midnight and 05:00 the night in progress is not over, and the night of the
    /// first reading began before it: neither's empty hours are a flow that stopped. Four days
    /// of a toilet leaking 10 litres every 15 minutes, looked at over the last 30 days at 03:59
    /// on 03/12/2026 (the browser test failed every night between 00:00 and 05:00).
    #[tokio::test]
    async fn nights_the_readings_do_not_cover_do_not_hide_a_leak() {
        use crate::domain::{Incoming, Origin, Reading, Source};
        use crate::store::Store;
        let text = "[office]\nname = \"Thử\"\n[[meters]]\nid = \"nuoc-ve-sinh\"\nname = \"WC\"\nresource = \"water\"\nkind = \"counter\"\nunit = \"m3\"\n";
        let config = Config::parse("t.toml", text, &|_| None).unwrap();
        let tz = &config.office.timezone;
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::store::SqliteStore::open(&dir.path().join("x.db"), tz, "Asia/Ho_Chi_Minh", &config.meters).unwrap();
        let now: Timestamp = "2026-12-03T03:59:00+07:00".parse().unwrap();
        let mut batch = Vec::new();
        let mut t = now - jiff::SignedDuration::from_hours(24 * 4);
        let mut litres = 100_000.0;
        while t <= now {
            let reading = Reading {
                meter: "nuoc-ve-sinh".parse().unwrap(),
                ts: t,
                ts_assumed: false,
                value: litres / 1000.0,
                period_start: None,
                source: Source::Import,
                entered_by: None,
                cost_vnd: None,
            };
            let origin =
                Origin { source: Source::Import, received_at: now, topic: None, payload: Vec::new(), sender: None };
            batch.push(Incoming::Reading(reading, origin));
            litres += 10.0;
            t += jiff::SignedDuration::from_mins(15);
        }
        store.write(batch).await.unwrap();
        let range = TimeRange::days(jiff::civil::date(2026, 11, 4), jiff::civil::date(2026, 12, 4), tz).unwrap();
        let hours = hourly(&store, &config, Resource::Water, None, range).await.unwrap();
        let found = waste(&store, &config, Resource::Water, None, range, &hours).await.unwrap();
        let leaks: Vec<(&str, usize)> = found.never_stop.iter().map(|n| (n.meter.as_str(), n.nights)).collect();
        // The nights of 30/11, 01/12 and 02/12 are whole; 29/11 began at 03:59 and 03/12 is not over.
        assert_eq!(leaks, [("nuoc-ve-sinh", 3)]);
    }
}
