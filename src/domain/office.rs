//! The office (đơn vị): its time zone, working hours, working days and holidays, which decide
//! what counts as use "outside working hours" and how many working days a period has.

use std::fmt;

use jiff::Zoned;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use super::OfficeId;
use super::calendar::Calendar;

/// The office (đơn vị) whose use Xanh watches.
#[derive(Debug, Clone)]
pub struct Office {
    /// `[office] id`: tags the office's points in a shared InfluxDB bucket.
    pub id: Option<OfficeId>,
    pub name: String,
    pub timezone: TimeZone,
    /// The IANA name of `timezone`, for display and for the API.
    pub timezone_name: String,
    pub working_hours: WorkingHours,
    pub working_days: WorkingDays,
    /// Public holidays, days off in lieu and weekend days worked instead, year by year.
    pub calendar: Calendar,
}

/// Who issues and signs the office's reports, as the decree's letterhead names them
/// (Nghị định 30/2020/NĐ-CP): "UBND TỈNH LAI CHÂU" over "VĂN PHÒNG", "Lai Châu, ngày …",
/// "CHÁNH VĂN PHÒNG" and the signer's name. An empty line is left blank to fill in by hand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letterhead {
    pub superior: String,
    pub issuing_body: String,
    pub place: String,
    pub signer_title: String,
    pub signer_name: String,
}

impl Office {
    /// Whether the office works on `date`: a working day of the week that is not a day off,
    /// or a weekend day worked instead of one (làm bù).
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.calendar.is_made_working(date) {
            return true;
        }
        self.working_days.contains(date.weekday()) && !self.calendar.is_day_off(date)
    }

    /// Whether `local` falls in working hours on a working day. `local` is taken in its own
    /// zone: pass times already in the office's zone.
    pub fn is_working_time(&self, local: &Zoned) -> bool {
        self.is_working_at(local.datetime())
    }

    /// As [`Office::is_working_time`], for a local date and time already placed in the
    /// office's zone.
    pub fn is_working_at(&self, local: DateTime) -> bool {
        self.is_working_day(local.date()) && self.working_hours.contains(local.time())
    }

    /// The number of working days in `[first, last_exclusive)`.
    pub fn working_days_between(&self, first: Date, last_exclusive: Date) -> u32 {
        let mut count = 0;
        let mut day = first;
        while day < last_exclusive {
            if self.is_working_day(day) {
                count += 1;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        count
    }
}

/// The days of the week the office works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDays([bool; 7]);

impl WorkingDays {
    pub fn contains(&self, day: Weekday) -> bool {
        self.0[day.to_monday_zero_offset() as usize]
    }

    pub fn is_empty(&self) -> bool {
        !self.0.contains(&true)
    }
}

impl Default for WorkingDays {
    /// Monday to Friday.
    fn default() -> Self {
        WorkingDays([true, true, true, true, true, false, false])
    }
}

impl FromIterator<Weekday> for WorkingDays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(days: I) -> Self {
        let mut set = [false; 7];
        for day in days {
            set[day.to_monday_zero_offset() as usize] = true;
        }
        WorkingDays(set)
    }
}

/// The office's daily working hours `[start, end)`, such as 07:30–17:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    start: Time,
    end: Time,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a span of working hours")]
pub struct InvalidWorkingHours(pub String);

impl WorkingHours {
    /// Parse `HH:MM-HH:MM` with the start before the end (a night shift is not a working day).
    pub fn parse(text: &str) -> Result<WorkingHours, InvalidWorkingHours> {
        let invalid = || InvalidWorkingHours(text.to_owned());
        let (start, end) = text.split_once('-').ok_or_else(invalid)?;
        let start: Time = start.trim().parse().map_err(|_| invalid())?;
        let end: Time = end.trim().parse().map_err(|_| invalid())?;
        if start >= end {
            return Err(invalid());
        }
        Ok(WorkingHours { start, end })
    }

    pub fn start(&self) -> Time {
        self.start
    }

    pub fn end(&self) -> Time {
        self.end
    }

    pub fn contains(&self, time: Time) -> bool {
        self.start <= time && time < self.end
    }
}

impl Default for WorkingHours {
    /// 07:30–17:00, the usual hours of a Vietnamese state office.
    fn default() -> Self {
        WorkingHours { start: Time::constant(7, 30, 0, 0), end: Time::constant(17, 0, 0, 0) }
    }
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start.strftime("%H:%M"), self.end.strftime("%H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn office() -> Office {
        Office {
            id: None,
            name: "X".into(),
            timezone: TimeZone::get("Asia/Ho_Chi_Minh").unwrap(),
            timezone_name: "Asia/Ho_Chi_Minh".into(),
            working_hours: WorkingHours::parse("07:30-17:00").unwrap(),
            working_days: WorkingDays::default(),
            calendar: {
                let mut calendar = Calendar::default();
                calendar.add_days_off([date(2026, 9, 2)]);
                calendar
            },
        }
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let office = office();
        assert!(office.is_working_day(date(2026, 11, 27)), "a Friday");
        assert!(!office.is_working_day(date(2026, 11, 28)), "a Saturday");
        assert!(!office.is_working_day(date(2026, 9, 2)), "National Day, a Wednesday");
        // November 2026: 30 days, 9 of them Saturdays or Sundays.
        assert_eq!(office.working_days_between(date(2026, 11, 1), date(2026, 12, 1)), 21);
    }

    #[test]
    fn working_time_is_the_hours_of_a_working_day() {
        let office = office();
        let at = |s: &str| s.parse::<Zoned>().unwrap();
        assert!(office.is_working_time(&at("2026-11-27T07:30:00+07:00[Asia/Ho_Chi_Minh]")));
        assert!(!office.is_working_time(&at("2026-11-27T17:00:00+07:00[Asia/Ho_Chi_Minh]")));
        assert!(!office.is_working_time(&at("2026-11-28T10:00:00+07:00[Asia/Ho_Chi_Minh]")));
    }

    #[test]
    fn working_hours_must_be_a_span_within_a_day() {
        assert_eq!(WorkingHours::parse("07:30-17:00").unwrap().to_string(), "07:30-17:00");
        for bad in ["17:00-07:30", "7h30-17h", "07:30", "08:00-08:00"] {
            assert!(WorkingHours::parse(bad).is_err(), "{bad}");
        }
    }
}
