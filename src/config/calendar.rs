//! The days off of Vietnamese state offices that Xanh ships (assets/calendar/), 2025–2030:
//! announced years as announced, later years provisional. A year of `[[office.calendar]]`
//! takes the place of the shipped one; the office's own `office.holidays` and
//! `office.make_up_days` come on top.

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::{Calendar, CalendarDay, CalendarYear, DayKind, WorkingDays, YearDays, YearStatus};

/// A whole year as the office sets it (`[[office.calendar]]`), as `xanh config export` writes
/// the years set in the web app.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalendarEntry {
    year: i16,
    /// official or provisional.
    status: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    days_off: Vec<DayEntry>,
    #[serde(default)]
    working_days: Vec<DayEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DayEntry {
    date: String,
    #[serde(default)]
    reason: String,
}

/// The calendar as the config file gives it, beside the shipped one: what the store's
/// calendar is compared with at start-up (docs/calendar.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCalendar {
    /// `[[office.calendar]]`.
    pub years: Vec<YearDays>,
    /// `office.holidays`.
    pub holidays: Vec<Date>,
    /// `office.make_up_days`.
    pub make_up_days: Vec<Date>,
}

/// `[[office.calendar]]`, each year checked against the office's working days of the week.
pub(super) fn resolve_years(
    entries: &[CalendarEntry],
    working_days: &WorkingDays,
    problem: &mut impl FnMut(String, String, String),
) -> Vec<YearDays> {
    let mut years: Vec<YearDays> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |f: &str| format!("office.calendar[{i}].{f}");
        let status = match entry.status.as_str() {
            "official" => YearStatus::Official,
            "provisional" => YearStatus::Provisional,
            other => {
                problem(
                    key("status"),
                    format!("`{other}` is not a status"),
                    "write \"official\" or \"provisional\"".into(),
                );
                continue;
            }
        };
        if years.iter().any(|y| y.year.year == entry.year) {
            problem(key("year"), format!("{} is set twice", entry.year), "keep one entry per year".into());
            continue;
        }
        let mut days = Vec::new();
        let mut ok = true;
        for (list, kind, name) in
            [(&entry.days_off, DayKind::Off, "days_off"), (&entry.working_days, DayKind::Worked, "working_days")]
        {
            for (j, day) in list.iter().enumerate() {
                match day.date.parse::<Date>() {
                    Ok(date) if date.to_string() == day.date => {
                        days.push(CalendarDay { date, kind, reason: day.reason.trim().to_owned() })
                    }
                    _ => {
                        ok = false;
                        problem(
                            format!("{}[{j}].date", key(name)),
                            format!("`{}` is not a date", day.date),
                            "write it as YYYY-MM-DD, such as \"2027-02-08\"".into(),
                        );
                    }
                }
            }
        }
        if !ok {
            continue;
        }
        let year = CalendarYear { year: entry.year, status, source: entry.source.trim().to_owned() };
        match YearDays::new(year, days, working_days) {
            Ok(set) => years.push(set),
            Err(e) => problem(key("days_off"), e.to_string(), "correct or remove that day".into()),
        }
    }
    years
}

const SHIPPED: &str = include_str!("../../assets/calendar/vn-state-offices.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedFile {
    years: Vec<ShippedYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedYear {
    year: i16,
    status: String,
    source: String,
    days_off: Vec<String>,
    working_days: Vec<String>,
}

/// The shipped calendar. Its file is part of the binary and checked by the tests, so a
/// mistake in it is a build's, not a user's: it panics with the entry at fault.
pub fn shipped() -> Calendar {
    let file: ShippedFile = toml::from_str(SHIPPED).expect("assets/calendar/vn-state-offices.toml is valid");
    let mut calendar = Calendar::default();
    for entry in file.years {
        let status = match entry.status.as_str() {
            "official" => YearStatus::Official,
            "provisional" => YearStatus::Provisional,
            other => panic!("assets/calendar: year {} has status `{other}`", entry.year),
        };
        let dates = |texts: &[String]| -> Vec<Date> {
            texts
                .iter()
                .map(|t| t.parse::<Date>().unwrap_or_else(|_| panic!("assets/calendar: `{t}` is not a date")))
                .inspect(|d| assert_eq!(d.year(), entry.year, "assets/calendar: {d} is not in {}", entry.year))
                .collect()
        };
        let (days_off, worked) = (dates(&entry.days_off), dates(&entry.working_days));
        let year = CalendarYear { year: entry.year, status, source: entry.source };
        calendar.add_year(year, days_off, worked);
    }
    calendar
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::domain::{Office, WorkingDays, WorkingHours};

    fn office() -> Office {
        Office {
            id: None,
            name: "X".into(),
            timezone: jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap(),
            timezone_name: "Asia/Ho_Chi_Minh".into(),
            working_hours: WorkingHours::default(),
            working_days: WorkingDays::default(),
            calendar: shipped(),
        }
    }

    #[test]
    fn the_shipped_years_have_their_announced_working_days() {
        let office = office();
        let working = |year: i16| office.working_days_between(date(year, 1, 1), date(year + 1, 1, 1));
        // 2025: 261 weekdays; 12 off (01/01, Tết 27–31/01, Giỗ Tổ 07/4, 30/4, 01/5, 02/5,
        // 01–02/9); Saturday 26/4 worked for Friday 02/5: 261 − 12 + 1 = 250.
        assert_eq!(working(2025), 250);
        assert!(office.is_working_day(date(2025, 4, 26)) && !office.is_working_day(date(2025, 5, 2)));
        // 2026: 261 weekdays; 12 off (01–02/01, Tết 16–20/02, 27/4, 30/4, 01/5, 01–02/9);
        // Saturday 10/01 worked for Friday 02/01: 250.
        assert_eq!(working(2026), 250);
        // Provisional years: 11 weekdays off each (1 + 5 + 1 + 2 + 2), none moved.
        for (year, weekdays) in [(2027, 261), (2028, 260), (2029, 261), (2030, 261)] {
            assert_eq!(working(year), weekdays - 11, "{year}");
            assert_eq!(office.calendar.year(year).map(|y| y.status), Some(YearStatus::Provisional));
        }
        assert_eq!(office.calendar.year(2026).map(|y| y.status), Some(YearStatus::Official));
        assert!(office.calendar.year(2024).is_none() && office.calendar.year(2031).is_none());
    }
}
