//! The days off of Vietnamese state offices that Xanh ships (assets/calendar/), 2025–2030:
//! announced years as announced, later years provisional. The office's own `office.holidays`
//! and `office.make_up_days` come on top.

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::{Calendar, CalendarYear, YearStatus};

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
