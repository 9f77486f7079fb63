//! Quản trị › Lịch làm việc: a year of the working calendar in force (days off, days worked
//! instead, whether the year is official) with forms to add or take off a day and to mark the
//! year official; every working-day figure follows at once.

use axum::extract::{Query, State};
use axum::response::Redirect;
use jiff::civil::Weekday;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::{csrf_field, layout};
use crate::domain::{DayKind, YearStatus};
use crate::locale::Lang;
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::calendar::{CalendarBody, DayBody, change, year_sent};
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct PageParams {
    lang: Option<String>,
    year: Option<String>,
    ok: Option<String>,
    error: Option<String>,
}

fn weekday_name(day: Weekday, lang: Lang) -> &'static str {
    match day {
        Weekday::Monday => lang.pick("Thứ Hai", "Monday"),
        Weekday::Tuesday => lang.pick("Thứ Ba", "Tuesday"),
        Weekday::Wednesday => lang.pick("Thứ Tư", "Wednesday"),
        Weekday::Thursday => lang.pick("Thứ Năm", "Thursday"),
        Weekday::Friday => lang.pick("Thứ Sáu", "Friday"),
        Weekday::Saturday => lang.pick("Thứ Bảy", "Saturday"),
        Weekday::Sunday => lang.pick("Chủ nhật", "Sunday"),
    }
}

fn kind_name(kind: DayKind, lang: Lang) -> &'static str {
    match kind {
        DayKind::Off => lang.pick("Ngày nghỉ", "Day off"),
        DayKind::Worked => lang.pick("Ngày làm bù", "Day worked instead"),
    }
}

pub async fn calendar_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let config = state.config();
    let office = &config.office;
    let this_year = jiff::Timestamp::now().to_zoned(office.timezone.clone()).year();
    let year = match &params.year {
        Some(text) => year_sent(text).map_err(|e| ApiError::BadRequest(e.refusal(Lang::En).unwrap_or_default()))?,
        None => this_year,
    };
    let known = office.calendar.year(year);
    let days = office.calendar.days_of_year(year);
    let working = office.working_days_between(jiff::civil::date(year, 1, 1), jiff::civil::date(year + 1, 1, 1));
    let code = lang.code();
    let action = format!("/admin/calendar?lang={code}&year={year}");
    let status_text = |status: YearStatus| match lang {
        Lang::Vi => status.vietnamese(),
        Lang::En => status.english(),
    };
    let body = html! {
        main.admin.setup.calendar data-year=(year) {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            nav.years {
                a href=(format!("/admin/calendar?lang={code}&year={}", year - 1)) { "‹ " (year - 1) }
                " "
                a href=(format!("/admin/calendar?lang={code}&year={}", year + 1)) { (year + 1) " ›" }
            }
            section {
                h2 { (lang.pick("Lịch làm việc năm ", "Working calendar ")) (year) }
                p {
                    (lang.pick("Trạng thái: ", "Status: "))
                    strong data-figure="status" { @match known {
                        Some(y) => (status_text(y.status)),
                        None => (lang.pick("chưa có lịch: mọi ngày trong tuần đều tính là ngày làm việc", "no calendar: every weekday counts as a working day")),
                    } }
                    @if let Some(source) = known.map(|y| y.source.as_str()).filter(|s| !s.is_empty()) {
                        br; (lang.pick("Căn cứ: ", "Source: ")) span data-figure="source" { (source) }
                    }
                    br; (lang.pick("Số ngày làm việc trong năm: ", "Working days in the year: "))
                    strong data-figure="working-days" { (working) }
                }
                @if days.is_empty() {
                    p { (lang.pick("Chưa có ngày nghỉ hay ngày làm bù nào.", "No day off or day worked instead yet.")) }
                } @else {
                    div.table-wrap { table.days {
                        thead { tr { th { (lang.pick("Ngày", "Date")) } th { (lang.pick("Thứ", "Weekday")) } th { (lang.pick("Loại", "Kind")) } th { (lang.pick("Lý do", "Reason")) } th {} } }
                        tbody { @for d in &days {
                            tr data-date=(d.date.to_string()) data-kind=(d.kind.as_str()) {
                                td { (d.date.strftime("%d/%m/%Y")) }
                                td { (weekday_name(d.date.weekday(), lang)) }
                                td { (kind_name(d.kind, lang)) }
                                td { (d.reason) }
                                td { form.remove method="post" action=(action) {
                                    (csrf_field(admin.principal()))
                                    input type="hidden" name="action" value="remove";
                                    input type="hidden" name="date" value=(d.date.to_string());
                                    button type="submit" { (lang.pick("Bỏ", "Remove")) }
                                } }
                            }
                        } }
                    } }
                }
            }
            section {
                h2 { (lang.pick("Thêm ngày", "Add a day")) }
                p { (lang.pick(
                    "Ngày nghỉ là ngày làm việc trong tuần mà cơ quan được nghỉ (lễ, Tết, nghỉ bù, nghỉ riêng của đơn vị); ngày làm bù là thứ Bảy hoặc Chủ nhật đi làm thay. Các số liệu theo ngày làm việc tính lại ngay.",
                    "A day off is a working day of the week the office does not work (holidays, days in lieu, the office's own); a day worked instead is a Saturday or Sunday worked. Working-day figures follow at once."
                )) }
                form.add-day method="post" action=(action) {
                    (csrf_field(admin.principal()))
                    input type="hidden" name="action" value="add";
                    label { (lang.pick("Ngày", "Date")) input name="date" required placeholder="dd/mm/yyyy" inputmode="numeric"; }
                    label { (lang.pick("Loại", "Kind")) select name="kind" {
                        option value="off" { (kind_name(DayKind::Off, lang)) }
                        option value="worked" { (kind_name(DayKind::Worked, lang)) }
                    } }
                    label { (lang.pick("Lý do", "Reason")) input name="reason" placeholder=(lang.pick("Nghỉ Tết Nguyên đán", "Lunar New Year")); }
                    button type="submit" { (lang.pick("Thêm", "Add")) }
                }
            }
            section {
                h2 { (lang.pick("Trạng thái của năm", "The year's status")) }
                form.year-status method="post" action=(action) {
                    (csrf_field(admin.principal()))
                    input type="hidden" name="action" value="status";
                    label { (lang.pick("Trạng thái", "Status")) select name="status" {
                        @let official = known.is_some_and(|y| y.status == YearStatus::Official);
                        option value="official" selected[official] { (status_text(YearStatus::Official)) }
                        option value="provisional" selected[!official] { (status_text(YearStatus::Provisional)) }
                    } }
                    label { (lang.pick("Căn cứ (văn bản thông báo)", "Source (the notice)"))
                        input name="source" value=(known.map(|y| y.source.as_str()).unwrap_or_default()); }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/admin/calendar", None, Some(admin.principal()), body))
}

#[derive(Deserialize)]
pub struct CalendarForm {
    /// add, remove or status.
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    source: String,
}

pub async fn calendar_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(form): CsrfForm<CalendarForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let year_text = params.year.clone().unwrap_or_default();
    let shown_day = |text: &str| {
        crate::web::commands::meters::parse_day(text)
            .map(|d| d.strftime("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| text.to_owned())
    };
    let (body, done) = match form.action.as_str() {
        "remove" => (
            CalendarBody { remove: vec![form.date.clone()], ..CalendarBody::default() },
            lang.pick("Đã bỏ ngày ", "Removed ").to_owned() + &shown_day(&form.date),
        ),
        "status" => {
            let body = CalendarBody { status: Some(form.status), source: Some(form.source), ..CalendarBody::default() };
            (body, format!("{} {year_text}.", lang.pick("Đã lưu trạng thái của năm", "Saved the status of")))
        }
        _ => {
            let kind = DayKind::parse(&form.kind).map(|k| kind_name(k, lang).to_lowercase()).unwrap_or_default();
            let done = format!("{} {kind} {}.", lang.pick("Đã thêm", "Added"), shown_day(&form.date));
            (
                CalendarBody {
                    add: vec![DayBody { date: form.date, kind: form.kind, reason: form.reason }],
                    ..CalendarBody::default()
                },
                done,
            )
        }
    };
    let result = match year_sent(&year_text) {
        Ok(year) => change(&state, &admin, year, body).await.map(|_| done),
        Err(e) => Err(e),
    };
    let result = match result {
        Ok(done) => Ok(done),
        Err(e) => Err(format!("{}: {}", lang.pick("Chưa lưu", "Not saved"), e.refusal(lang)?)),
    };
    let (key, message) = match &result {
        Ok(message) => ("ok", message),
        Err(message) => ("error", message),
    };
    let query =
        serde_urlencoded::to_string([("lang", lang.code()), ("year", year_text.as_str()), (key, message.as_str())])
            .unwrap_or_default();
    Ok(Redirect::to(&format!("/admin/calendar?{query}")))
}
