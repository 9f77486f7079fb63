//! Documents a department issued in a month, electronically and on paper: the movement asks
//! that all of them (classified ones aside) be issued electronically.

use std::fmt;

use jiff::civil::Date;

use super::DepartmentId;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    month: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month: write it as 2026-11 (or 11/2026)")]
pub struct InvalidMonth(pub String);

impl Month {
    /// "2026-11" or, the Vietnamese way, "11/2026".
    pub fn parse(text: &str) -> Result<Month, InvalidMonth> {
        let bad = || InvalidMonth(text.to_owned());
        let t = text.trim();
        let (year, month) = match (t.split_once('-'), t.split_once('/')) {
            (Some((y, m)), None) => (y, m),
            (None, Some((m, y))) => (y, m),
            _ => return Err(bad()),
        };
        let year: i16 = year.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(bad)?;
        let month: i8 = month.parse().ok().filter(|m| (1..=12).contains(m)).ok_or_else(bad)?;
        Ok(Month { year, month })
    }

    pub fn of(date: Date) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, self.month, 1)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

/// How many documents a department issued in a month, electronically and on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCount {
    pub department: DepartmentId,
    pub month: Month,
    pub electronic: u32,
    pub paper: u32,
}

impl DocumentCount {
    pub fn total(&self) -> u32 {
        self.electronic.saturating_add(self.paper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_both_ways_and_refuse_the_rest() {
        assert_eq!(Month::parse("2026-11").unwrap().to_string(), "2026-11");
        assert_eq!(Month::parse("11/2026").unwrap().to_string(), "2026-11");
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
        for bad in ["2026-13", "2026", "tháng 11", "2026-00", "1999-01", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
