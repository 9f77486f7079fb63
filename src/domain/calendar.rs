//! The office's calendar of days off and moved working days, year by year, and how sure each
//! year is: announced by the Government, provisional (worked out ahead of the announcement),
//! or set by the office itself. A working-day baseline needs every year it spans to be known.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::Serialize;

use super::office::WorkingDays;

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

/// Whether a listed day is a day off on a working day of the week, or a weekend day worked
/// instead of one (làm bù).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    Off,
    Worked,
}

impl DayKind {
    /// `off` or `worked`, as the API and the config write it.
    pub fn parse(text: &str) -> Option<DayKind> {
        match text.trim() {
            "off" => Some(DayKind::Off),
            "worked" => Some(DayKind::Worked),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Off => "off",
            DayKind::Worked => "worked",
        }
    }
}

/// A listed day of a year, with why (empty for the shipped days: the year's source says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: Date,
    pub kind: DayKind,
    pub reason: String,
}

/// A whole year as the office set it (in the web app, or `[[office.calendar]]`): it takes the
/// place of that year's shipped and configured days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearDays {
    pub year: CalendarYear,
    /// In date order, each date once, all in `year.year` (the constructors check it).
    pub days: Vec<CalendarDay>,
}

/// Why a listed day cannot be in a year's calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarDayError {
    #[error("{0} is not in {1}: list each day in its own year")]
    OutsideYear(Date, i16),
    #[error("{0} is a {1:?}, which the office does not work anyway: a day off is a working day of the week")]
    OffOnRestDay(Date, jiff::civil::Weekday),
    #[error("{0} is a {1:?}, a working day already: a day worked instead (làm bù) is a Saturday or Sunday")]
    WorkedOnWorkingDay(Date, jiff::civil::Weekday),
    #[error("{0} is listed twice: keep it once")]
    Twice(Date),
}

impl CalendarDayError {
    pub fn vietnamese(&self) -> String {
        let day = |d: &Date| d.strftime("%d/%m/%Y").to_string();
        match self {
            CalendarDayError::OutsideYear(d, year) => format!("Ngày {} không thuộc năm {year}", day(d)),
            CalendarDayError::OffOnRestDay(d, _) => {
                format!("Ngày {} vốn là ngày nghỉ cuối tuần: ngày nghỉ phải là ngày làm việc trong tuần", day(d))
            }
            CalendarDayError::WorkedOnWorkingDay(d, _) => {
                format!("Ngày {} vốn là ngày làm việc: ngày làm bù phải là thứ Bảy hoặc Chủ nhật", day(d))
            }
            CalendarDayError::Twice(d) => format!("Ngày {} đã có trong danh sách", day(d)),
        }
    }
}

impl YearDays {
    /// A year's days, checked: each in the year, once; a day off on a day of the week the
    /// office works, a day worked on one it does not.
    pub fn new(
        year: CalendarYear,
        mut days: Vec<CalendarDay>,
        working_days: &WorkingDays,
    ) -> Result<YearDays, CalendarDayError> {
        days.sort_by_key(|d| d.date);
        for (i, day) in days.iter().enumerate() {
            let (date, weekday) = (day.date, day.date.weekday());
            if date.year() != year.year {
                return Err(CalendarDayError::OutsideYear(date, year.year));
            }
            if i > 0 && days[i - 1].date == date {
                return Err(CalendarDayError::Twice(date));
            }
            match (day.kind, working_days.contains(weekday)) {
                (DayKind::Off, false) => return Err(CalendarDayError::OffOnRestDay(date, weekday)),
                (DayKind::Worked, true) => return Err(CalendarDayError::WorkedOnWorkingDay(date, weekday)),
                _ => {}
            }
        }
        Ok(YearDays { year, days })
    }
}

/// Days off that fall on working days of the week, Saturdays or Sundays worked instead, and
/// the years these are known for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days_off: BTreeSet<Date>,
    made_working: BTreeSet<Date>,
    /// Why a day is listed, when the office said.
    reasons: BTreeMap<Date, String>,
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

    /// Put `set` in the place of its year: the year's days before are dropped.
    pub fn replace_year(&mut self, set: &YearDays) {
        let year = set.year.year;
        let other_year = |d: &Date| d.year() != year;
        self.days_off.retain(other_year);
        self.made_working.retain(other_year);
        self.reasons.retain(|d, _| other_year(d));
        for day in &set.days {
            match day.kind {
                DayKind::Off => self.days_off.insert(day.date),
                DayKind::Worked => self.made_working.insert(day.date),
            };
            if !day.reason.is_empty() {
                self.reasons.insert(day.date, day.reason.clone());
            }
        }
        self.years.insert(year, set.year.clone());
    }

    /// The listed days of `year`, in date order (a day both off and worked is worked).
    pub fn days_of_year(&self, year: i16) -> Vec<CalendarDay> {
        let in_year = |d: &&Date| d.year() == year;
        let reason = |d: &Date| self.reasons.get(d).cloned().unwrap_or_default();
        let mut days: Vec<CalendarDay> = self
            .made_working
            .iter()
            .filter(in_year)
            .map(|d| CalendarDay { date: *d, kind: DayKind::Worked, reason: reason(d) })
            .collect();
        days.extend(
            self.days_off.iter().filter(in_year).filter(|d| !self.made_working.contains(d)).map(|d| CalendarDay {
                date: *d,
                kind: DayKind::Off,
                reason: reason(d),
            }),
        );
        days.sort_by_key(|d| d.date);
        days
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

    #[test]
    fn a_year_set_by_the_office_takes_the_place_of_the_year_before_it() {
        let mut calendar = Calendar::default();
        let provisional = CalendarYear { year: 2027, status: YearStatus::Provisional, source: "x".into() };
        calendar.add_year(provisional, [date(2027, 2, 5), date(2027, 2, 8)], []);
        calendar.add_days_off([date(2028, 1, 3)]);
        let announced = YearDays {
            year: CalendarYear { year: 2027, status: YearStatus::Official, source: "TB".into() },
            days: vec![
                CalendarDay { date: date(2027, 2, 8), kind: DayKind::Off, reason: "Tết".into() },
                CalendarDay { date: date(2027, 2, 20), kind: DayKind::Worked, reason: "làm bù".into() },
            ],
        };
        calendar.replace_year(&announced);
        assert!(!calendar.is_day_off(date(2027, 2, 5)) && calendar.is_day_off(date(2027, 2, 8)));
        assert!(calendar.is_made_working(date(2027, 2, 20)) && calendar.is_day_off(date(2028, 1, 3)));
        assert_eq!(calendar.days_of_year(2027), announced.days);
        assert_eq!(calendar.year(2027), Some(&announced.year));
    }

    #[test]
    fn a_year_is_refused_with_a_day_outside_it_a_weekend_off_a_weekday_worked_or_a_day_twice() {
        let year = || CalendarYear { year: 2027, status: YearStatus::Official, source: String::new() };
        let day = |d: Date, kind| CalendarDay { date: d, kind, reason: String::new() };
        let week = WorkingDays::default();
        let check = |days| YearDays::new(year(), days, &week).map(|_| ()).unwrap_err();
        assert!(matches!(check(vec![day(date(2028, 1, 3), DayKind::Off)]), CalendarDayError::OutsideYear(..)));
        // 13/02/2027 is a Saturday, 15/02/2027 a Monday.
        assert!(matches!(check(vec![day(date(2027, 2, 13), DayKind::Off)]), CalendarDayError::OffOnRestDay(..)));
        assert!(matches!(
            check(vec![day(date(2027, 2, 15), DayKind::Worked)]),
            CalendarDayError::WorkedOnWorkingDay(..)
        ));
        let twice = vec![day(date(2027, 2, 15), DayKind::Off), day(date(2027, 2, 15), DayKind::Off)];
        assert_eq!(check(twice), CalendarDayError::Twice(date(2027, 2, 15)));
        let fine = vec![day(date(2027, 2, 15), DayKind::Off), day(date(2027, 2, 13), DayKind::Worked)];
        assert_eq!(YearDays::new(year(), fine, &week).unwrap().days[0].date, date(2027, 2, 13));
    }
}
