//! The e-document counts as one grid on /documents: the departments one may enter for, by
//! the months of a chosen year or quarter, prefilled with what is stored; saving writes every
//! changed cell at once (`commands::document_grid`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Redirect;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf_field;
use crate::auth::Principal;
use crate::domain::Month;
use crate::locale::Lang;
use crate::web::auth::{CsrfForm, Writer};
use crate::web::commands::document_grid::{CountKind, field, save, stored_counts};
use crate::web::{ApiError, AppState};

/// A year, or one of its quarters, as the grid's `grid` parameter writes it: 2026, 2026-Q3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridSpan {
    year: i16,
    quarter: Option<i8>,
}

impl GridSpan {
    /// The span `text` names, or this year.
    pub fn chosen(text: Option<&str>, today: Date) -> GridSpan {
        let parsed = text.and_then(|t| {
            let (year, quarter) = match t.trim().split_once("-Q") {
                Some((y, q)) => (y, Some(q.parse::<i8>().ok().filter(|q| (1..=4).contains(q))?)),
                None => (t.trim(), None),
            };
            Some(GridSpan { year: year.parse().ok().filter(|y| (2000..=2100).contains(y))?, quarter })
        });
        parsed.unwrap_or(GridSpan { year: today.year(), quarter: None })
    }

    fn code(self) -> String {
        match self.quarter {
            Some(q) => format!("{}-Q{q}", self.year),
            None => self.year.to_string(),
        }
    }

    fn name(self, lang: Lang) -> String {
        match (self.quarter, lang) {
            (Some(q), Lang::Vi) => format!("Quý {q}/{}", self.year),
            (Some(q), Lang::En) => format!("Q{q} {}", self.year),
            (None, Lang::Vi) => format!("Năm {}", self.year),
            (None, Lang::En) => format!("Year {}", self.year),
        }
    }

    /// Its months up to `today`'s (a month not begun takes no counts).
    fn months(self, today: Date) -> Vec<Month> {
        let (first, count) = match self.quarter {
            Some(q) => (3 * (q - 1) + 1, 3),
            None => (1, 12),
        };
        let now = Month::of(today);
        (first..first + count)
            .filter_map(|m| Month::parse(&format!("{}-{m:02}", self.year)).ok())
            .filter(|m| *m <= now)
            .collect()
    }
}

/// The grid's section of /documents, for someone who may enter counts.
pub async fn section(
    state: &AppState,
    who: &Principal,
    lang: Lang,
    span: GridSpan,
    today: Date,
) -> Result<Markup, ApiError> {
    let config = state.config();
    let writable: Vec<_> = config.departments.iter().filter(|d| who.may_write_department(&d.id)).collect();
    if writable.is_empty() {
        return Ok(html! {});
    }
    let months = span.months(today);
    let stored = stored_counts(state, months.iter().copied()).await?;
    let spans: Vec<GridSpan> = [today.year(), today.year() - 1]
        .into_iter()
        .flat_map(|year| std::iter::once(None).chain((1..=4).map(Some)).map(move |quarter| GridSpan { year, quarter }))
        .collect();
    let code = lang.code();
    Ok(html! {
        section.document-grid {
            h2 { (lang.pick("Nhập nhiều phòng, ban và tháng", "Many departments and months at once")) }
            p { (lang.pick(
                "Mỗi ô là số văn bản điện tử / giấy của một phòng, ban trong một tháng. Ô để trống không thay đổi; bấm Lưu bảng để lưu mọi ô đã sửa cùng lúc.",
                "Each cell is a department's documents of a month, electronic / on paper. Empty cells are left as they are; Save the grid saves every changed cell at once."
            )) }
            form.grid-span method="get" action="/documents" {
                input type="hidden" name="lang" value=(code);
                label { (lang.pick("Năm hoặc quý", "Year or quarter")) select name="grid" {
                    @for s in &spans { option value=(s.code()) selected[*s == span] { (s.name(lang)) } }
                } }
                button type="submit" { (lang.pick("Mở bảng", "Open the grid")) }
            }
            @if months.is_empty() {
                p.empty { (lang.pick("Chưa có tháng nào của kỳ này bắt đầu.", "No month of this span has begun yet.")) }
            } @else {
                form.document-grid method="post" action=(format!("/documents/grid?lang={code}&grid={}", span.code())) {
                    (csrf_field(who))
                    div.table-wrap { table.document-grid data-span=(span.code()) {
                        thead {
                            tr {
                                th rowspan="2" { (lang.pick("Phòng, ban", "Department")) }
                                @for m in &months { th colspan="2" { (format!("{:02}/{}", m.month(), m.year())) } }
                            }
                            tr { @for _ in &months {
                                th { (lang.pick("Điện tử", "Electronic")) } th { (lang.pick("Giấy", "Paper")) }
                            } }
                        }
                        tbody { @for d in &writable {
                            tr data-department=(d.id.as_str()) {
                                th { (d.name) }
                                @for m in &months {
                                    @let kept = stored.get(&(d.id.clone(), *m));
                                    @let shown = format!("{:02}/{}", m.month(), m.year());
                                    td { input.count name=(field(CountKind::Electronic, &d.id, *m)) inputmode="numeric"
                                        aria-label=(format!("{} {shown} {}", d.name, lang.pick("điện tử", "electronic")))
                                        value=[kept.map(|k| k.0)]; }
                                    td { input.count name=(field(CountKind::Paper, &d.id, *m)) inputmode="numeric"
                                        aria-label=(format!("{} {shown} {}", d.name, lang.pick("giấy", "paper")))
                                        value=[kept.map(|k| k.1)]; }
                                }
                            }
                        } }
                    } }
                    button type="submit" { (lang.pick("Lưu bảng", "Save the grid")) }
                }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct GridParams {
    lang: Option<String>,
    grid: Option<String>,
}

pub async fn grid_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<GridParams>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let result = match save(&state, &writer, &fields).await {
        Ok(saved) if saved.changed == 0 => Ok(lang.pick("Không có ô nào thay đổi.", "No cell changed.").to_owned()),
        Ok(saved) => Ok(match lang {
            Lang::Vi => format!("Đã lưu {} ô.", saved.changed),
            Lang::En => format!("Saved {} cells.", saved.changed),
        }),
        Err(e) => Err(e.refusal(lang)?),
    };
    // Back to the same grid: its span as the page reads it.
    let (key, message) = match result {
        Ok(message) => ("ok", message),
        Err(message) => ("error", message),
    };
    let grid = params.grid.unwrap_or_default();
    let query = serde_urlencoded::to_string([("lang", lang.code()), ("grid", grid.as_str()), (key, message.as_str())])
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/documents?{query}")))
}
