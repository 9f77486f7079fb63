//! The Báo cáo page: the signed report of a period to download as PDF or DOCX, for the month,
//! quarter and year just over, this year and the movement's phases, or any period typed in.

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout;
use crate::domain::period::NamedPeriod;
use crate::locale::Lang;
use crate::web::auth::Viewer;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct ReportPageParams {
    lang: Option<String>,
    period: Option<String>,
}

/// The periods offered first: the month, quarter and year just over, this year, the phases.
fn usual_periods(today: jiff::civil::Date) -> Vec<NamedPeriod> {
    let (year, month) = (today.year(), today.month());
    let last_month = if month == 1 { NamedPeriod::Month(year - 1, 12) } else { NamedPeriod::Month(year, month - 1) };
    let quarter = (month - 1) / 3 + 1;
    let last_quarter =
        if quarter == 1 { NamedPeriod::Quarter(year - 1, 4) } else { NamedPeriod::Quarter(year, quarter - 1) };
    vec![
        last_month,
        last_quarter,
        NamedPeriod::Year(year - 1),
        NamedPeriod::Year(year),
        NamedPeriod::parse("gd1").expect("gd1 is a period"),
        NamedPeriod::parse("gd2").expect("gd2 is a period"),
    ]
}

fn links(period: &NamedPeriod, lang: Lang) -> Markup {
    html! {
        a href=(format!("/api/v1/export/report.pdf?period={period}")) download data-format="pdf" { (lang.pick("PDF (để ký)", "PDF (to sign)")) }
        " · "
        a href=(format!("/api/v1/export/report.docx?period={period}")) download data-format="docx" { (lang.pick("DOCX (để sửa)", "DOCX (to edit)")) }
    }
}

pub async fn reports_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<ReportPageParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let today = jiff::Timestamp::now().to_zoned(state.config.office.timezone.clone()).date();
    let usual = usual_periods(today);
    let (chosen, error) = match params.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => (usual[0], None),
        Some(text) => match NamedPeriod::parse(text) {
            Ok(p) => (p, None),
            Err(_) => (
                usual[0],
                Some(match lang {
                    Lang::Vi => format!(
                        "`{text}` không phải là một kỳ báo cáo: nhập năm (2026), quý (2026-Q3), tháng (2026-11) hoặc giai đoạn (gd1, gd2)."
                    ),
                    Lang::En => format!(
                        "`{text}` is not a period: type a year (2026), a quarter (2026-Q3), a month (2026-11) or a phase (gd1, gd2)."
                    ),
                }),
            ),
        },
    };
    let body = html! {
        main.reports {
            @if let Some(error) = &error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Báo cáo", "Reports")) }
                p { (lang.pick(
                    "Báo cáo kết quả sử dụng tiết kiệm điện, nước, giấy theo thể thức văn bản hành chính (Nghị định 30/2020/NĐ-CP): PDF để trình ký, DOCX để chỉnh sửa.",
                    "The report on electricity, water and paper savings in the Vietnamese administrative layout (Decree 30/2020/NĐ-CP): PDF to sign, DOCX to edit."
                )) }
                form method="get" action="/reports" {
                    input type="hidden" name="lang" value=(lang.code());
                    label { (lang.pick("Kỳ (2026, 2026-Q3, 2026-11, gd1, gd2)", "Period (2026, 2026-Q3, 2026-11, gd1, gd2)")) input name="period" value=(chosen); }
                    button type="submit" { (lang.pick("Chọn", "Choose")) }
                }
                p.downloads data-period=(chosen) { strong { (chosen) } ": " (links(&chosen, lang)) }
                h3 { (lang.pick("Các kỳ thường dùng", "Usual periods")) }
                ul {
                    @for period in &usual {
                        li data-period=(period) { strong { (period) } ": " (links(period, lang)) }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/reports", None, Some(&who), body))
}
