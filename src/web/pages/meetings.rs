//! Paperless meetings on the documents page: a department's meetings for a month (held, and
//! how many paperless), and the share per department over the period with its trend and target.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field};
use crate::analysis::meetings;
use crate::analysis::points::{CriterionScore, Standing};
use crate::analysis::score_report::{DepartmentScore, ScoreReport};
use crate::auth::Principal;
use crate::config::Criterion;
use crate::domain::Month;
use crate::domain::period::NamedPeriod;
use crate::locale::{self, Lang};
use crate::web::auth::{CsrfForm, Writer};
use crate::web::commands::meetings::{MeetingBody, apply};
use crate::web::{ApiError, AppState};

fn percent(value: Option<f64>, lang: Lang) -> String {
    value.map(|v| format!("{} %", locale::number(v, 1, lang))).unwrap_or_else(|| "—".into())
}

/// The section: the form for those who may enter, then the shares over `period`.
pub(super) async fn section(
    state: &AppState,
    who: &Principal,
    lang: Lang,
    period: &NamedPeriod,
    now: jiff::Timestamp,
) -> Result<Markup, ApiError> {
    let today = now.to_zoned(state.config().office.timezone.clone()).date();
    let last_month = Month::of(today.first_of_month().yesterday().unwrap_or(today));
    let config = state.config();
    let writable: Vec<_> = config.departments.iter().filter(|d| who.may_write_department(&d.id)).collect();
    let shares = meetings::shares(state.store.as_ref(), &state.config(), period, now).await?;
    let name = |id: Option<&crate::domain::DepartmentId>| match id {
        Some(id) => state.config().department(id).map(|d| d.name.clone()).unwrap_or_else(|| id.to_string()),
        None => lang.pick("Toàn cơ quan", "Whole office").to_owned(),
    };
    Ok(html! {
        section.meetings {
            h2 { (lang.pick("Họp không giấy", "Paperless meetings")) " · " span data-figure="meetings-period" { (period) } }
            p { (lang.pick("Mỗi phòng, ban nhập số cuộc họp tổ chức trong tháng và số cuộc họp không giấy (tài liệu điện tử); nhập lại một tháng sẽ thay số đã nhập.",
                   "Each department enters the meetings it held in a month and how many were paperless; entering a month again replaces its counts.")) }
            @if !writable.is_empty() { form method="post" action=(format!("/meetings?lang={}", lang.code())) {
                (csrf_field(who))
                label { (lang.pick("Phòng, ban", "Department")) select name="department" required {
                    @for d in &writable { option value=(d.id.as_str()) { (d.name) } }
                } }
                label { (lang.pick("Tháng", "Month")) input name="month" value=(format!("{:02}/{}", last_month.month(), last_month.year())) placeholder="11/2026" required; }
                label { (lang.pick("Số cuộc họp", "Meetings held")) input name="held" inputmode="numeric" required; }
                label { (lang.pick("Số cuộc họp không giấy", "Paperless")) input name="paperless" inputmode="numeric" required; }
                button type="submit" { (lang.pick("Lưu", "Save")) }
            } }
            div.table-wrap { table {
                thead { tr {
                    th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Cuộc họp", "Held")) } th { (lang.pick("Không giấy", "Paperless")) }
                    th { (lang.pick("Tỷ lệ", "Share")) } th { (lang.pick("Kỳ trước", "Period before")) } th { (lang.pick("Xu hướng", "Trend")) }
                    th { (lang.pick("Mục tiêu", "Target")) } th { (lang.pick("Tháng chưa nhập", "Months not entered")) }
                } }
                tbody {
                    @for s in &shares {
                        tr data-meetings=(s.department.as_ref().map(|d| d.as_str()).unwrap_or("office")) {
                            td { (name(s.department.as_ref())) }
                            td.num { (locale::number(s.held as f64, 0, lang)) }
                            td.num { (locale::number(s.paperless as f64, 0, lang)) }
                            td.num data-figure="share" { (percent(s.share_percent, lang)) }
                            td.num data-figure="previous" { (percent(s.previous_share_percent, lang)) }
                            td.num data-figure="trend" { (trend(s.trend_points, lang)) }
                            td.num data-figure="target" {
                                (percent(Some(s.target_percent), lang))
                                @match s.reached {
                                    Some(true) => { " " span.badge.ok { (lang.pick("đạt", "reached")) } }
                                    Some(false) => { " " span.badge.over { (lang.pick("chưa đạt", "not reached")) } }
                                    None => {}
                                }
                            }
                            td { (s.missing_months.iter().map(|m| format!("{:02}/{}", m.month(), m.year())).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            } }
        }
    })
}

/// Beside the documents on the council's page, once the office counts its meetings: each
/// department's paperless share, its trend, the target and the points the rubric gives it.
pub(super) fn score_section(report: &ScoreReport, lang: Lang) -> Markup {
    if !report.departments.iter().any(|d| d.meetings.held > 0) {
        return html! {};
    }
    let scored = |d: &DepartmentScore| d.criteria.iter().find(|c| c.criterion == Criterion::Meetings).cloned();
    let any_scored = report.departments.iter().any(|d| scored(d).is_some());
    html! {
        section data-criterion="meetings" {
            h3 {
                (lang.pick("Họp không giấy", "Paperless meetings"))
                @if !any_scored { (lang.pick(" (không chấm điểm)", " (not scored)")) }
            }
            div.table-wrap { table {
                thead { tr {
                    th { (lang.pick("Phòng, ban", "Department")) } th { (lang.pick("Tỷ lệ", "Share")) }
                    th { (lang.pick("Xu hướng", "Trend")) } th { (lang.pick("Mục tiêu", "Target")) }
                    @if any_scored { th { (lang.pick("Điểm", "Points")) } }
                } }
                tbody { @for d in &report.departments {
                    tr data-department=(d.department.as_str()) {
                        td { (d.name) }
                        td.num data-figure="share" { (percent(d.meetings.share_percent, lang)) }
                        td.num data-figure="trend" { (trend(d.meetings.trend_points, lang)) }
                        td.num data-figure="target" { (percent(Some(d.meetings.target_percent), lang)) }
                        @if let Some(c) = scored(d) {
                            td.num data-figure="points" title=(c.explain) { (points_cell(&c, lang)) }
                        }
                    }
                } }
            } }
        }
    }
}

/// A criterion's points as the council's table shows them, or why it is not scored.
pub(super) fn points_cell(c: &CriterionScore, lang: Lang) -> String {
    if c.standing == Standing::NotApplicable {
        lang.pick("không chấm", "not scored").to_owned()
    } else {
        locale::number(c.points, 2, lang)
    }
}

fn trend(points: Option<f64>, lang: Lang) -> String {
    match points {
        Some(t) => {
            format!("{}{}{}", if t >= 0.0 { "+" } else { "" }, locale::number(t, 1, lang), lang.pick(" điểm %", " pts"))
        }
        None => "—".into(),
    }
}

#[derive(Deserialize)]
pub struct MeetingPageParams {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct MeetingForm {
    department: String,
    month: String,
    held: String,
    paperless: String,
}

pub async fn meetings_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<MeetingPageParams>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = MeetingBody {
        department: form.department,
        month: form.month,
        held: serde_json::Value::String(form.held),
        paperless: serde_json::Value::String(form.paperless),
    };
    let result = match apply(&state, &writer, body).await {
        Ok(record) => {
            let c = &record.count;
            let month = format!("{:02}/{}", c.month().month(), c.month().year());
            Ok(match lang {
                Lang::Vi => format!("Đã lưu số cuộc họp tháng {month} của {}.", c.department()),
                Lang::En => format!("Stored the meetings of {} for {month}.", c.department()),
            })
        }
        Err(ApiError::BadRequest(m)) => Err(m),
        Err(other) => return Err(other),
    };
    Ok(back_to("/documents", lang, result))
}
