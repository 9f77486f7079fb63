//! A year of the working calendar changed in the web app: days off and days worked instead
//! (làm bù) added or taken off, the year marked official. The whole year as it then stands is
//! kept and takes the place of the shipped and configured days at once (docs/calendar.md).

use jiff::civil::{Date, date};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{CalendarDay, CalendarYear, DayKind, Office, YearDays, YearStatus};
use crate::store::{AuditDetail, CalendarYearRecord};
use crate::web::auth::Admin;
use crate::web::commands::meters::parse_day;
use crate::web::commands::{CommandError, audit_line, refused};
use crate::web::{ApiError, AppState};

/// The years a calendar can be set for.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// A change to a year as sent: each part may be left out.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    /// official or provisional.
    pub status: Option<String>,
    /// Where the year's days come from, such as the Government's notice.
    pub source: Option<String>,
    #[serde(default)]
    pub add: Vec<DayBody>,
    /// Days to take off the list: 2027-02-05 or 05/02/2027.
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    /// 2027-02-08 or 08/02/2027.
    pub date: String,
    /// off (a day off on a working day) or worked (a weekend day worked instead).
    pub kind: String,
    #[serde(default)]
    pub reason: String,
}

/// A year the calendar can be set for, as the path gives it.
pub fn year_sent(text: &str) -> Result<i16, CommandError> {
    match text.trim().parse::<i16>() {
        Ok(year) if YEARS.contains(&year) => Ok(year),
        _ => Err(refused(
            format!("`{text}` is not a year from 2000 to 2100"),
            format!("`{text}` không phải là năm từ 2000 đến 2100"),
        )),
    }
}

fn day_sent(text: &str) -> Result<Date, CommandError> {
    parse_day(text).map_err(|e| match e {
        ApiError::BadRequest(en) => {
            refused(en, format!("`{}` không phải là ngày: hãy viết như 08/02/2027", text.trim()))
        }
        other => CommandError::Failed(other),
    })
}

fn status_name(status: YearStatus) -> &'static str {
    match status {
        YearStatus::Official => "official",
        YearStatus::Provisional => "provisional",
        YearStatus::Configured => "configured",
    }
}

/// A year of `office`'s calendar as the API and the audit log show it.
pub fn year_json(office: &Office, year: i16) -> Value {
    let known = office.calendar.year(year);
    let days: Vec<Value> = office
        .calendar
        .days_of_year(year)
        .iter()
        .map(|d| json!({"date": d.date.to_string(), "kind": d.kind.as_str(), "reason": d.reason}))
        .collect();
    json!({
        "year": year,
        "status": known.map(|y| status_name(y.status)),
        "status_vi": known.map(|y| y.status.vietnamese()),
        "source": known.map(|y| y.source.clone()),
        "working_days": office.working_days_between(date(year, 1, 1), date(year + 1, 1, 1)),
        "days": days,
    })
}

/// Check a change to `year` against the year in force and keep the year it makes; every
/// figure counts with it from the next request.
pub async fn change(
    state: &AppState,
    admin: &Admin,
    year: i16,
    body: CalendarBody,
) -> Result<CalendarYearRecord, CommandError> {
    let config = state.config();
    let office = &config.office;
    let known = office.calendar.year(year);
    let mut days = office.calendar.days_of_year(year);
    for text in &body.remove {
        let day = day_sent(text)?;
        if !days.iter().any(|d| d.date == day) {
            let shown = day.strftime("%d/%m/%Y");
            return Err(refused(
                format!("{day} is not listed in {year}: nothing to remove"),
                format!("Ngày {shown} không có trong lịch năm {year}"),
            ));
        }
        days.retain(|d| d.date != day);
    }
    for sent in &body.add {
        let kind = DayKind::parse(&sent.kind).ok_or_else(|| {
            refused(
                format!(
                    "`{}` is not a kind of day: send off (a day off) or worked (a weekend day worked instead)",
                    sent.kind
                ),
                format!("`{}` không phải là loại ngày: chọn ngày nghỉ hoặc ngày làm bù", sent.kind),
            )
        })?;
        days.push(CalendarDay { date: day_sent(&sent.date)?, kind, reason: sent.reason.trim().to_owned() });
    }
    let status = match body.status.as_deref().map(str::trim) {
        Some("official") => YearStatus::Official,
        Some("provisional") => YearStatus::Provisional,
        Some(other) => {
            return Err(refused(
                format!("`{other}` is not a status: send official or provisional"),
                format!("`{other}` không phải là trạng thái: chọn chính thức hoặc tạm tính"),
            ));
        }
        None => match known.map(|y| y.status) {
            Some(YearStatus::Official) => YearStatus::Official,
            _ => YearStatus::Provisional,
        },
    };
    let source = match &body.source {
        Some(source) => source.trim().to_owned(),
        None => known.map(|y| y.source.clone()).unwrap_or_default(),
    };
    let set = YearDays::new(CalendarYear { year, status, source }, days, &office.working_days)
        .map_err(|e| refused(e.to_string(), e.vietnamese()))?;
    let before = known.is_some().then(|| year_json(office, year));
    let mut after = office.clone();
    after.calendar.replace_year(&set);
    let after = year_json(&after, year);
    let line = audit_line(admin.principal(), "calendar.change", move |_: &CalendarYearRecord| AuditDetail {
        target: year.to_string(),
        before,
        after: Some(after),
    });
    let record = admin.store(state).record_calendar_year(set, admin.principal().name(), Some(line)).await?;
    let years = state.store.calendar_years().await?.into_iter().map(|r| r.days).collect();
    state.config_in_force.set_calendar_years(years);
    Ok(record)
}
