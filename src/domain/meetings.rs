//! Meetings a department held in a month and how many were paperless (họp không giấy): the
//! movement asks for them beside electronic documents.

use super::{DepartmentId, Month};

/// A department's meetings in a month; `paperless` never exceeds `held`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingCount {
    department: DepartmentId,
    month: Month,
    held: u32,
    paperless: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{paperless} cuộc họp không giấy nhiều hơn {held} cuộc họp đã tổ chức: số họp không giấy không thể vượt tổng số"
)]
pub struct TooManyPaperless {
    pub held: u32,
    pub paperless: u32,
}

impl MeetingCount {
    pub fn new(department: DepartmentId, month: Month, held: u32, paperless: u32) -> Result<Self, TooManyPaperless> {
        if paperless > held {
            return Err(TooManyPaperless { held, paperless });
        }
        Ok(MeetingCount { department, month, held, paperless })
    }

    pub fn department(&self) -> &DepartmentId {
        &self.department
    }

    pub fn month(&self) -> Month {
        self.month
    }

    pub fn held(&self) -> u32 {
        self.held
    }

    pub fn paperless(&self) -> u32 {
        self.paperless
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_paperless_meetings_than_held_are_refused() {
        let month = Month::parse("2026-03").unwrap();
        let err = MeetingCount::new("phong-a".parse().unwrap(), month, 4, 5).unwrap_err();
        assert!(err.to_string().contains("không thể vượt tổng số"));
        assert!(MeetingCount::new("phong-a".parse().unwrap(), month, 4, 4).is_ok());
    }
}
