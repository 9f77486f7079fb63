//! The office's calendar of days off and moved working days, year by year, and how sure each
//! year is: announced by the Government, provisional (worked out ahead of the announcement),
//! or set by the office itself. A working-day baseline needs every year it spans to be known.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::Serialize;

/// How a year's days off are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YearStatus {
    /// As the Government announced it (shipped with Xanh).
    Official,
    /// Worked out ahead of the announcement (shipped with Xanh): to check each year.
    Provisional,
    /// Not shipped: the office lists its days off in `office.holidays`.
    Configured,
}

impl YearStatus {
    pub fn vietnamese(self) -> &'static str {
        match self {
            YearStatus::Official => "chính thức",
            YearStatus::Provisional => "tạm tính, chưa có thông báo chính thức",
            YearStatus::Configured => "theo cấu hình của đơn vị",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            YearStatus::Official => "official",
            YearStatus::Provisional => "provisional, not announced yet",
            YearStatus::Configured => "as the office configured it",
        }
    }
}

/// A year of the calendar: its status and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarYear {
    pub year: i16,
    pub status: YearStatus,
    pub source: String,
}

/// Days off that fall on working days of the week, Saturdays or Sundays worked instead, and
/// the years these are known for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days_off: BTreeSet<Date>,
    made_working: BTreeSet<Date>,
    years: BTreeMap<i16, CalendarYear>,
}

impl Calendar {
    /// Add a known year with its days off and worked days; a date outside `year.year` is
    /// the caller's mistake to avoid (the config checks it).
    pub fn add_year(
        &mut self,
        year: CalendarYear,
        days_off: impl IntoIterator<Item = Date>,
        worked: impl IntoIterator<Item = Date>,
    ) {
        self.days_off.extend(days_off);
        self.made_working.extend(worked);
        self.years.insert(year.year, year);
    }

    /// The office's own days off; a year not known yet becomes known as `Configured`.
    pub fn add_days_off(&mut self, days: impl IntoIterator<Item = Date>) {
        for day in days {
            self.years.entry(day.year()).or_insert_with(|| CalendarYear {
                year: day.year(),
                status: YearStatus::Configured,
                source: "office.holidays".to_owned(),
            });
            self.days_off.insert(day);
            self.made_working.remove(&day);
        }
    }

    /// The office's own worked weekend days (làm bù).
    pub fn add_worked_days(&mut self, days: impl IntoIterator<Item = Date>) {
        self.made_working.extend(days);
    }

    pub fn is_day_off(&self, date: Date) -> bool {
        self.days_off.contains(&date)
    }

    pub fn is_made_working(&self, date: Date) -> bool {
        self.made_working.contains(&date)
    }

    /// How `year` is known, if it is.
    pub fn year(&self, year: i16) -> Option<&CalendarYear> {
        self.years.get(&year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_office_own_days_make_a_year_known_and_override_a_worked_day() {
        let mut calendar = Calendar::default();
        let known = CalendarYear { year: 2026, status: YearStatus::Official, source: "x".into() };
        calendar.add_year(known, [date(2026, 1, 1)], [date(2026, 1, 10)]);
        assert_eq!(calendar.year(2026).map(|y| y.status), Some(YearStatus::Official));
        assert!(calendar.year(2031).is_none());
        calendar.add_days_off([date(2031, 1, 1), date(2026, 1, 10)]);
        assert_eq!(calendar.year(2031).map(|y| y.status), Some(YearStatus::Configured));
        assert!(calendar.is_day_off(date(2026, 1, 10)) && !calendar.is_made_working(date(2026, 1, 10)));
    }
}
