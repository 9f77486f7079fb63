//! Readings entered by hand: a meter's reading, an amount for a period (reams issued, a
//! bill), and corrections of stored readings, with the recent corrections listed.

use axum::extract::{Query, State};
use axum::response::Redirect;
use jiff::{Timestamp, ToSpan};
use maud::{Markup, html};
use serde::Deserialize;

use super::{back_to, csrf_field, layout, reason_text};
use crate::domain::period::local_rfc3339;
use crate::domain::{Incoming, Meter, MeterKind, Source};
use crate::ingest::manual::{Entry, Row, parse_number, parse_time};
use crate::locale::{self, Lang};
use crate::store::Outcome;
use crate::web::auth::{CsrfForm, Writer};
use crate::web::commands::corrections::{self, CorrectionBody};
use crate::web::commands::write_as;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct EntryParams {
    lang: Option<String>,
    /// The result of the last form sent, shown at the top.
    ok: Option<String>,
    error: Option<String>,
    /// The meter whose recent readings are listed for correction.
    meter: Option<String>,
}

/// How many of a meter's latest readings are listed for correction.
const LISTED_FOR_CORRECTION: usize = 30;

fn back(lang: Lang, result: Result<String, String>) -> Redirect {
    back_to("/entry", lang, result)
}

fn meter_label(meter: &Meter) -> String {
    format!("{} — {} ({})", meter.name, meter.id, meter.conversion.unit().config_name())
}

pub async fn entry(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<EntryParams>,
) -> Result<Markup, ApiError> {
    let who = writer.principal();
    let lang = Lang::from_query(params.lang.as_deref());
    let tz = &state.config().office.timezone;
    let now = Timestamp::now().to_zoned(tz.clone());
    let today = now.strftime("%d/%m/%Y").to_string();
    let time = now.strftime("%H:%M").to_string();
    // Only the meters this person may enter: a reporter sees their departments' meters.
    let in_use = state.pipeline.meters_in_use(Timestamp::now());
    let writable: Vec<&Meter> = in_use.iter().filter(|m| who.may_write(m)).collect();
    let counters: Vec<&Meter> = writable.iter().copied().filter(|m| m.kind == MeterKind::Counter).collect();
    let deltas: Vec<&Meter> = writable.iter().copied().filter(|m| m.kind == MeterKind::Delta).collect();
    let recent = state.store.corrections(None, 50).await?;
    let chosen = params.meter.as_deref().and_then(|id| writable.iter().copied().find(|m| m.id.as_str() == id));
    let listed = match chosen {
        Some(meter) => state.store.readings(meter.id.clone(), i64::MIN, i64::MAX, LISTED_FOR_CORRECTION).await?,
        None => Vec::new(),
    };
    let slips = super::slips::section(&state, who, lang, &today);
    let body = html! {
        main.entry {
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            section {
                h2 { (lang.pick("Nhập chỉ số công tơ", "A meter reading")) }
                p { (lang.pick("Chỉ số đọc trên công tơ hoặc đồng hồ, theo đơn vị ghi trong ngoặc. Số viết kiểu Việt Nam: 1.234,5.",
                       "The value read on the meter, in the unit in brackets. Numbers as 1.234,5 or 1234.5.")) }
                form method="post" action=(format!("/entry/reading?lang={}", lang.code())) {
                    (csrf_field(who))
                    label { (lang.pick("Công tơ", "Meter")) select name="meter" required {
                        @for m in &counters { option value=(m.id.as_str()) { (meter_label(m)) } }
                    } }
                    label { (lang.pick("Ngày đo", "Date")) input name="date" value=(today) placeholder="28/11/2026" required; }
                    label { (lang.pick("Giờ", "Time")) input name="time" value=(time) placeholder="07:30"; }
                    label { (lang.pick("Chỉ số", "Reading")) input name="value" inputmode="decimal" placeholder="1.234,5" required; }
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
            }
            @if !deltas.is_empty() {
                section {
                    h2 { (lang.pick("Nhập lượng sử dụng theo kỳ", "An amount for a period")) }
                    p { (lang.pick("Giấy cấp phát, hoá đơn tháng…: lượng dùng từ ngày đến ngày (tính cả hai ngày).",
                           "Paper issued, a monthly bill…: the amount used from one day to another, both included.")) }
                    form method="post" action=(format!("/entry/reading?lang={}", lang.code())) {
                        (csrf_field(who))
                        label { (lang.pick("Công tơ / loại", "Meter")) select name="meter" required {
                            @for m in &deltas { option value=(m.id.as_str()) { (meter_label(m)) } }
                        } }
                        label { (lang.pick("Từ ngày", "From")) input name="from" value=(today) placeholder="15/10/2026" required; }
                        label { (lang.pick("Đến ngày", "To")) input name="date" value=(today) placeholder="14/11/2026" required; }
                        label { (lang.pick("Lượng", "Amount")) input name="value" inputmode="decimal" placeholder="3" required; }
                        label { (lang.pick("Số tiền (đồng, nếu có hoá đơn)", "Cost (VND, from the bill)")) input name="cost_vnd" inputmode="decimal" placeholder="4.563.300"; }
                        button type="submit" { (lang.pick("Lưu", "Save")) }
                    }
                }
            }
            section {
                h2 { (lang.pick("Hiệu chỉnh số liệu", "Correct a reading")) }
                p { (lang.pick("Chọn công tơ, rồi chọn số liệu cần sửa trong danh sách. Số liệu sai không bị ghi đè âm thầm: giá trị cũ, giá trị mới, người sửa, thời điểm và lý do đều được lưu. Giá trị mới theo đơn vị hiển thị (kWh, m³, tờ); để trống để xoá số liệu.",
                       "Choose a meter, then the reading to correct from the list. A wrong reading is never silently overwritten: the old and new values, who, when and why are kept. The new value is in the unit shown (kWh, m³, sheets); leave it empty to remove the reading.")) }
                form.pick method="get" action="/entry" {
                    input type="hidden" name="lang" value=(lang.code());
                    label { (lang.pick("Công tơ", "Meter")) select name="meter" required {
                        @for m in &writable {
                            option value=(m.id.as_str()) selected[chosen.is_some_and(|c| c.id == m.id)] { (m.name) " — " (m.id.as_str()) }
                        }
                    } }
                    button type="submit" { (lang.pick("Xem số liệu gần đây", "Show recent readings")) }
                }
                @if let Some(meter) = chosen {
                    @if listed.is_empty() {
                        p.empty { (lang.pick("Công tơ này chưa có số liệu.", "This meter has no reading yet.")) }
                    } @else {
                        div.table-wrap { table data-readings=(meter.id.as_str()) {
                            thead { tr {
                                th { (lang.pick("Số liệu lúc", "Reading at")) } th { (lang.pick("Giá trị", "Value")) } th { (lang.pick("Nguồn", "Source")) }
                                th { (lang.pick("Hiệu chỉnh", "Correct")) }
                            } }
                            tbody {
                                @for r in &listed {
                                    tr {
                                        td { (locale::date_time(r.ts, tz, lang)) }
                                        td.num { (locale::number(r.value, 3, lang)) }
                                        td { (r.source) }
                                        td {
                                            form.correct method="post" action=(format!("/entry/correct?lang={}", lang.code())) {
                                                (csrf_field(who))
                                                input type="hidden" name="meter" value=(meter.id.as_str());
                                                // The exact time, to the millisecond: the one shown is to the minute.
                                                input type="hidden" name="ts" value=(local_rfc3339(r.ts, tz));
                                                input name="value" inputmode="decimal" placeholder=(lang.pick("Giá trị mới (trống: xoá)", "New value (empty: remove)"));
                                                input name="reason" required minlength="5" placeholder=(lang.pick("Lý do", "Reason"));
                                                button type="submit" { (lang.pick("Hiệu chỉnh", "Correct")) }
                                            }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
            section {
                h2 { (lang.pick("Các lần hiệu chỉnh gần đây", "Recent corrections")) }
                @if recent.is_empty() {
                    p.empty { (lang.pick("Chưa có lần hiệu chỉnh nào.", "No correction yet.")) }
                } @else {
                    div.table-wrap { table {
                        thead { tr {
                            th { (lang.pick("Công tơ", "Meter")) } th { (lang.pick("Số liệu lúc", "Reading at")) } th { (lang.pick("Cũ", "Old")) }
                            th { (lang.pick("Mới", "New")) } th { (lang.pick("Người sửa", "By")) } th { (lang.pick("Lúc", "At")) } th { (lang.pick("Lý do", "Reason")) }
                        } }
                        tbody {
                            @for c in &recent {
                                tr data-correction=(c.id) {
                                    td { (c.meter) }
                                    td { (locale::date_time(c.ts, tz, lang)) }
                                    td.num { (locale::number(c.old_value, 3, lang)) }
                                    td.num { @match c.new_value { Some(v) => (locale::number(v, 3, lang)), None => (lang.pick("đã xoá", "removed")) } }
                                    td { (c.by) }
                                    td { (locale::date_time(c.at, tz, lang)) }
                                    td { (c.reason) }
                                }
                            }
                        }
                    } }
                }
            }
            (slips)
        }
    };
    Ok(layout(&state, lang, "/entry", None, Some(who), body))
}

#[derive(Deserialize)]
pub struct ReadingForm {
    meter: String,
    /// The day of a reading, or the last day of a period (included).
    date: String,
    time: Option<String>,
    /// The first day of a period, for delta meters.
    from: Option<String>,
    value: String,
    cost_vnd: Option<String>,
}

pub async fn reading_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<EntryParams>,
    CsrfForm(form): CsrfForm<ReadingForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let tz = &state.config().office.timezone;
    let empty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (ts, from) = match empty(&form.from) {
        // A period's last day is included: its amount runs to the next midnight.
        Some(from) => match parse_time(&form.date, tz).and_then(|end| {
            end.to_zoned(tz.clone()).checked_add(1.day()).map(|z| z.timestamp().to_string()).map_err(|e| e.to_string())
        }) {
            Ok(end) => (end, Some(from)),
            Err(e) => return Ok(back(lang, Err(e))),
        },
        None => (format!("{} {}", form.date.trim(), empty(&form.time).unwrap_or_else(|| "00:00".into())), None),
    };
    let entry = Entry {
        config: &state.config(),
        pipeline: &state.pipeline,
        source: Source::Manual,
        sender: Some(writer.principal().sender()),
        received_at: Timestamp::now(),
    };
    let row = Row {
        meter: form.meter,
        value: serde_json::Value::String(form.value),
        ts: Some(ts),
        from,
        entered_by: None,
        cost_vnd: form.cost_vnd.map(serde_json::Value::String),
    };
    let item = entry.row(row);
    let meter = match &item {
        Incoming::Reading(r, _) => r.meter.to_string(),
        Incoming::Rejected(r) => r.meter.as_ref().map(|m| m.to_string()).unwrap_or_default(),
    };
    let report = write_as(&state, &writer, vec![item], "reading.enter").await?;
    let result = match report.outcomes.first() {
        Some(Outcome::Stored) => Ok(if lang == Lang::Vi {
            format!("Đã lưu số liệu của {meter}.")
        } else {
            format!("Stored the reading of {meter}.")
        }),
        Some(Outcome::Duplicate) => Ok(if lang == Lang::Vi {
            format!("{meter} đã có đúng số liệu này.")
        } else {
            format!("{meter} already has this reading.")
        }),
        Some(Outcome::Rejected { reason, detail }) => Err(format!("{}: {detail}", reason_text(reason.code(), lang))),
        None => Err("nothing was stored".into()),
    };
    Ok(back(lang, result))
}

#[derive(Deserialize)]
pub struct CorrectForm {
    meter: String,
    ts: String,
    value: Option<String>,
    reason: String,
}

pub async fn correct_form(
    State(state): State<AppState>,
    writer: Writer,
    Query(params): Query<EntryParams>,
    CsrfForm(form): CsrfForm<CorrectForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let value = match form.value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(parse_number).transpose() {
        Ok(value) => value,
        Err(e) => return Ok(back(lang, Err(e))),
    };
    let body = CorrectionBody { meter: form.meter, ts: form.ts, value, reason: form.reason };
    let result = match corrections::apply(&state, &writer, body).await {
        Ok(record) => Ok(match lang {
            Lang::Vi => format!(
                "Đã hiệu chỉnh số liệu của {} lúc {}.",
                record.meter,
                locale::date_time(record.ts, &state.config().office.timezone, lang)
            ),
            Lang::En => format!(
                "Corrected the reading of {} at {}.",
                record.meter,
                locale::date_time(record.ts, &state.config().office.timezone, lang)
            ),
        }),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m)) => Err(m),
        Err(other) => return Err(other),
    };
    Ok(back(lang, result))
}
