//! `[office]` and `[[departments]]`: the office's name, time zone, working calendar and its
//! departments.

use std::collections::HashSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::calendar::{FileCalendar, resolve_years};
use crate::domain::{Calendar, Department, DepartmentId, Letterhead, Office, OfficeId, WorkingDays, WorkingHours};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OfficeSection {
    /// The office's id, tagged on every point it writes to a shared store.
    pub(super) id: Option<String>,
    pub(super) name: String,
    #[serde(default = "default_timezone")]
    pub(super) timezone: String,
    pub(super) working_hours: Option<String>,
    pub(super) working_days: Option<Vec<String>>,
    #[serde(default)]
    pub(super) holidays: Vec<String>,
    /// Saturdays or Sundays worked instead of a day off (làm bù), beyond the shipped ones.
    #[serde(default)]
    pub(super) make_up_days: Vec<String>,
    /// Whole years as the office sets them, in the place of the shipped ones.
    #[serde(default)]
    pub(super) calendar: Vec<super::calendar::CalendarEntry>,
    /// The signed report's letterhead (Nghị định 30/2020/NĐ-CP): the issuing body's superior,
    /// the issuing body, the place name in the date line, the signer's title and name.
    pub(super) superior: Option<String>,
    pub(super) issuing_body: Option<String>,
    pub(super) place: Option<String>,
    pub(super) signer_title: Option<String>,
    pub(super) signer_name: Option<String>,
}

pub(super) fn default_timezone() -> String {
    "Asia/Ho_Chi_Minh".to_owned()
}

/// The office's id, when the file gives one (tagged on every point a shared store holds).
pub(super) fn resolve_office_id(
    office: &OfficeSection,
    problem: &mut impl FnMut(String, String, String),
) -> Option<OfficeId> {
    office.id.as_ref().and_then(|id| {
        OfficeId::try_from(id.clone())
            .map_err(|e| problem("office.id".into(), e.to_string(), "use a slug such as \"vp-ubnd-tinh\"".into()))
            .ok()
    })
}

/// The office: its name, time zone and working calendar; the calendar as the file gives it.
pub(super) fn resolve_office(
    office: OfficeSection,
    id: Option<OfficeId>,
    problem: &mut impl FnMut(String, String, String),
) -> (Option<Office>, FileCalendar) {
    let timezone = match TimeZone::get(&office.timezone) {
        Ok(tz) if !whole_hour_offsets(&tz) => {
            problem(
                "office.timezone".into(),
                format!(
                    "`{}` is not a whole number of hours from UTC, and consumption is kept by the UTC hour",
                    office.timezone
                ),
                "use a time zone with whole-hour offsets, such as \"Asia/Ho_Chi_Minh\"".into(),
            );
            None
        }
        Ok(tz) => Some(tz),
        Err(_) => {
            problem(
                "office.timezone".into(),
                format!("`{}` is not a known IANA time zone", office.timezone),
                "use a name such as \"Asia/Ho_Chi_Minh\"".into(),
            );
            None
        }
    };
    if office.name.trim().is_empty() {
        problem(
            "office.name".into(),
            "is empty".into(),
            "give the office's name, such as \"Văn phòng UBND tỉnh\"".into(),
        );
    }

    let (working_hours, working_days, calendar, file_calendar) = resolve_calendar(&office, problem);
    let office = (|| {
        Some(Office {
            id,
            name: office.name,
            timezone: timezone?,
            timezone_name: office.timezone,
            working_hours: working_hours?,
            working_days: working_days?,
            calendar: calendar?,
        })
    })();
    (office, file_calendar)
}

/// The report's letterhead; each key left out leaves its line blank to fill in by hand, except
/// the issuing body, which defaults to the office's name.
pub(super) fn resolve_letterhead(
    office: &OfficeSection,
    problem: &mut impl FnMut(String, String, String),
) -> Letterhead {
    let mut text = |key: &str, value: &Option<String>, example: &str| match value {
        Some(v) if v.trim().is_empty() => {
            problem(
                format!("office.{key}"),
                "is empty".into(),
                format!("give it, such as {example}, or leave the key out to fill the line in by hand"),
            );
            String::new()
        }
        Some(v) => v.trim().to_owned(),
        None => String::new(),
    };
    let superior = text("superior", &office.superior, "\"UBND TỈNH LAI CHÂU\"");
    let issuing_body = text("issuing_body", &office.issuing_body, "\"VĂN PHÒNG\"");
    let place = text("place", &office.place, "\"Lai Châu\"");
    let signer_title = text("signer_title", &office.signer_title, "\"CHÁNH VĂN PHÒNG\"");
    let signer_name = text("signer_name", &office.signer_name, "\"Nguyễn Văn A\"");
    Letterhead {
        issuing_body: if issuing_body.is_empty() { office.name.trim().to_owned() } else { issuing_body },
        superior,
        place,
        signer_title,
        signer_name,
    }
}

/// Whether local days start on UTC hours, so that hourly totals add up to local days.
/// Checked at the solstices of this year and the last, which catches daylight-saving shifts.
pub(super) fn whole_hour_offsets(tz: &TimeZone) -> bool {
    let year = jiff::Timestamp::now().to_zoned(tz.clone()).year();
    [year - 1, year].iter().flat_map(|y| [(*y, 1), (*y, 7)]).all(|(y, m)| {
        jiff::civil::date(y, m, 1).to_zoned(tz.clone()).map(|z| z.offset().seconds() % 3600 == 0).unwrap_or(false)
    })
}

/// The office's working hours, working days and calendar; the defaults are a Vietnamese state
/// office's: 07:30–17:00, Monday to Friday, the shipped days off (2025–2030) and the office's
/// own `holidays` and `make_up_days` on top (after the years of `[[office.calendar]]`).
pub(super) fn resolve_calendar(
    office: &OfficeSection,
    problem: &mut impl FnMut(String, String, String),
) -> (Option<WorkingHours>, Option<WorkingDays>, Option<Calendar>, FileCalendar) {
    let hours = match &office.working_hours {
        None => Some(WorkingHours::default()),
        Some(text) => WorkingHours::parse(text)
            .map_err(|e| {
                problem(
                    "office.working_hours".into(),
                    e.to_string(),
                    "write the start and end of the working day as \"07:30-17:00\"".into(),
                )
            })
            .ok(),
    };
    let days = match &office.working_days {
        None => Some(WorkingDays::default()),
        Some(names) => {
            let mut days = Vec::new();
            let mut ok = true;
            for name in names {
                match weekday(name) {
                    Some(day) => days.push(day),
                    None => {
                        ok = false;
                        problem(
                            "office.working_days".into(),
                            format!("`{name}` is not a day of the week"),
                            "use mon, tue, wed, thu, fri, sat or sun".into(),
                        );
                    }
                }
            }
            if ok && days.is_empty() {
                ok = false;
                problem(
                    "office.working_days".into(),
                    "is empty".into(),
                    "list the days the office works, such as [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]".into(),
                );
            }
            ok.then(|| days.into_iter().collect())
        }
    };
    let holidays =
        dates(&office.holidays, "office.holidays", "write each holiday as YYYY-MM-DD, such as \"2026-09-02\"", problem);
    let make_up = dates(
        &office.make_up_days,
        "office.make_up_days",
        "write each weekend day worked as YYYY-MM-DD, such as \"2026-01-10\"",
        problem,
    );
    let years = days.map(|week| resolve_years(&office.calendar, &week, problem)).unwrap_or_default();
    let file = FileCalendar {
        years,
        holidays: holidays.clone().unwrap_or_default(),
        make_up_days: make_up.clone().unwrap_or_default(),
    };
    let calendar = holidays.zip(make_up).map(|(holidays, make_up)| {
        let mut calendar = super::calendar::shipped();
        for year in &file.years {
            calendar.replace_year(year);
        }
        calendar.add_days_off(holidays);
        calendar.add_worked_days(make_up);
        calendar
    });
    (hours, days, calendar, file)
}

fn dates(
    texts: &[String],
    key: &str,
    fix: &str,
    problem: &mut impl FnMut(String, String, String),
) -> Option<Vec<Date>> {
    let mut out = Vec::new();
    let mut ok = true;
    for text in texts {
        match text.parse::<Date>() {
            Ok(date) if date.to_string() == *text => out.push(date),
            _ => {
                ok = false;
                problem(key.into(), format!("`{text}` is not a date"), fix.into());
            }
        }
    }
    ok.then_some(out)
}

pub(super) fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// A `[[departments]]` entry as the file (or the store, which keeps it the same way) writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSpec {
    pub id: String,
    /// The Vietnamese name.
    pub name: String,
    /// The English name, shown with `?lang=en` (the Vietnamese one when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub headcount: u32,
    pub area_m2: f64,
}

/// Check the departments of a file or of the store: every problem, each naming its key and
/// its fix, or the departments.
pub fn check_departments(specs: &[DepartmentSpec]) -> Result<Vec<Department>, Vec<super::ConfigProblem>> {
    let mut problems = Vec::new();
    let departments = resolve_departments(specs, &mut |key, problem, fix| {
        problems.push(super::ConfigProblem { key, problem, fix });
    });
    if problems.is_empty() { Ok(departments) } else { Err(problems) }
}

pub(super) fn resolve_departments(
    entries: &[DepartmentSpec],
    problem: &mut impl FnMut(String, String, String),
) -> Vec<Department> {
    let mut seen = HashSet::new();
    let mut departments = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = |field: &str| format!("departments[{i}].{field}");
        let id = match DepartmentId::try_from(entry.id.clone()) {
            Ok(id) => id,
            Err(e) => {
                problem(key("id"), e.to_string(), "use a slug such as \"phong-tong-hop\"".into());
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            problem(
                key("id"),
                format!("`{id}` is used by another department"),
                "give each department its own id".into(),
            );
        }
        if entry.name.trim().is_empty() {
            problem(key("name"), "is empty".into(), "give the department's Vietnamese name".into());
        }
        if !(entry.area_m2.is_finite() && entry.area_m2 > 0.0) {
            problem(
                key("area_m2"),
                format!("{} is not a floor area", entry.area_m2),
                "give the area in m², greater than 0".into(),
            );
        }
        departments.push(Department {
            id,
            name: entry.name.trim().to_owned(),
            name_en: entry.name_en.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
            headcount: entry.headcount,
            area_m2: entry.area_m2,
        });
    }
    departments
}
