//! Issue slips on the entry page: one slip typed in (a department, a date, up to eight lines)
//! or many pasted as CSV. Both run the API's command, so a slip is priced, checked and, when it
//! names an unknown resource or item, kept among the rejected input exactly as over the API.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field};
use crate::auth::Principal;
use crate::domain::{SlipLine, Source};
use crate::locale::Lang;
use crate::web::auth::{CsrfForm, Writer};
use crate::web::commands::slips::{CSV_COLUMNS, SlipBody, apply, parse_csv};
use crate::web::{ApiError, AppState};

/// Lines on the form; a longer slip goes in as CSV.
const FORM_LINES: usize = 8;

pub(super) fn section(state: &AppState, who: &Principal, lang: Lang, today: &str) -> Markup {
    let config = state.config();
    let writable: Vec<_> = config.departments.iter().filter(|d| who.may_write_department(&d.id)).collect();
    if state.config().supplies.is_empty() || writable.is_empty() {
        return html! {};
    }
    let code = lang.code();
    html! {
        section.slips {
            h2 { (lang.pick("Phiếu xuất kho", "Issue slip")) }
            p { (lang.pick("Văn phòng phẩm, mực in, nhiên liệu… xuất cho một phòng, ban trong một ngày; mỗi mặt hàng tính theo giá của ngày xuất. Dòng để trống được bỏ qua.",
                   "Stationery, toner, fuel… issued to a department on a date; each item is priced as on that date. Empty lines are skipped.")) }
            form method="post" action=(format!("/slips?lang={code}")) {
                (csrf_field(who))
                label { (lang.pick("Số phiếu", "Slip number")) input name="number" placeholder="PX-2026-001" required; }
                label { (lang.pick("Phòng, ban", "Department")) select name="department" required {
                    @for d in &writable { option value=(d.id.as_str()) { (d.name) } }
                } }
                label { (lang.pick("Ngày xuất", "Date")) input name="date" value=(today) placeholder="05/01/2026" required; }
                table.slip-lines {
                    thead { tr { th { (lang.pick("Mặt hàng", "Item")) } th { (lang.pick("Số lượng", "Quantity")) } } }
                    tbody { @for i in 0..FORM_LINES { tr {
                        td { select name=(format!("item{i}")) {
                            option value="" { "—" }
                            @for supply in &state.config().supplies {
                                optgroup label=(lang.pick(&supply.name_vi, &supply.name_en)) {
                                    @for item in &supply.items {
                                        option value=(format!("{}/{}", supply.id, item.id)) { (item.name) " (" (item.unit) ")" }
                                    }
                                }
                            }
                        } }
                        td { input name=(format!("quantity{i}")) inputmode="decimal"; }
                    } } }
                }
                button type="submit" { (lang.pick("Lưu phiếu", "Save the slip")) }
            }
            form method="post" action=(format!("/slips/import?lang={code}")) {
                (csrf_field(who))
                label { (lang.pick("Hoặc dán CSV, dòng đầu là tên cột: ", "Or paste CSV, the first row naming the columns: ")) code { (CSV_COLUMNS.join(";")) }
                    textarea name="csv" rows="6" {} }
                button type="submit" { (lang.pick("Nhập các phiếu", "Import the slips")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct SlipPageParams {
    lang: Option<String>,
}

pub async fn slip_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<SlipPageParams>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let field = |name: &str| form.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for i in 0..FORM_LINES {
        let (chosen, quantity) = (field(&format!("item{i}")), field(&format!("quantity{i}")));
        if chosen.is_empty() && quantity.is_empty() {
            continue;
        }
        let (resource, item) = chosen.split_once('/').unwrap_or((chosen.as_str(), ""));
        match crate::ingest::manual::parse_number(&quantity) {
            Ok(quantity) => lines.push(SlipLine { resource: resource.to_owned(), item: item.to_owned(), quantity }),
            Err(e) => problems.push(format!("Dòng {}: {e}", i + 1)),
        }
    }
    if !problems.is_empty() {
        return Ok(back_to("/entry", lang, Err(problems.join("; "))));
    }
    let body = SlipBody { number: field("number"), department: field("department"), date: field("date"), lines };
    let result = match apply(&state, &writer, body, Source::Manual).await {
        Ok(record) => {
            let total: f64 = record.lines.iter().map(|l| l.value_vnd).sum();
            let total = crate::locale::number(total, 0, lang);
            Ok(match lang {
                Lang::Vi => format!("Đã lưu phiếu {}: {} dòng, {total} đ.", record.slip.number, record.lines.len()),
                Lang::En => format!("Stored slip {}: {} lines, {total} VND.", record.slip.number, record.lines.len()),
            })
        }
        Err(ApiError::BadRequest(m)) => Err(m),
        Err(other) => return Err(other),
    };
    Ok(back_to("/entry", lang, result))
}

#[derive(Deserialize)]
pub struct SlipImportForm {
    csv: String,
}

/// Every slip of the CSV, each stored or refused on its own; a malformed CSV stores nothing.
pub async fn slip_import_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<SlipPageParams>,
    CsrfForm(form): CsrfForm<SlipImportForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let slips = match parse_csv(&form.csv) {
        Ok(slips) => slips,
        Err(message) => return Ok(back_to("/entry", lang, Err(message))),
    };
    let (mut stored, mut refused) = (0, Vec::new());
    for slip in slips {
        let number = slip.number.clone();
        match apply(&state, &writer, slip, Source::Import).await {
            Ok(_) => stored += 1,
            Err(ApiError::BadRequest(m)) => refused.push(format!("{number}: {m}")),
            Err(other) => return Err(other),
        }
    }
    let result = match (refused.is_empty(), lang) {
        (true, Lang::Vi) => Ok(format!("Đã nhập {stored} phiếu.")),
        (true, Lang::En) => Ok(format!("Imported {stored} slips.")),
        (false, Lang::Vi) => {
            Err(format!("Đã nhập {stored} phiếu; {} phiếu bị từ chối: {}", refused.len(), refused.join(" | ")))
        }
        (false, Lang::En) => {
            Err(format!("Imported {stored} slips; {} refused: {}", refused.len(), refused.join(" | ")))
        }
    };
    Ok(back_to("/entry", lang, result))
}
