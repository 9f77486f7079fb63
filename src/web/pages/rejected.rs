//! Rejected input, for the people who fix senders and the config, with a button that tries
//! it all again after a fix.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, layout, reason_text};
use crate::domain::Role;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm, Viewer};
use crate::web::commands::review::{
    BulkReviewBody, ReviewBody, ReviewFilter, apply_bulk_review, apply_review, reprocess,
};
use crate::web::{ApiError, AppState};

/// How many rejected items a page lists.
const SHOWN: usize = 50;

#[derive(Deserialize)]
pub struct RejectedParams {
    lang: Option<String>,
    /// The page after another: items with an id below this one.
    before: Option<i64>,
    /// After a retry: how many items it stored and how many still fail.
    reprocessed: Option<usize>,
    still: Option<usize>,
    /// After a review: the result.
    ok: Option<String>,
    error: Option<String>,
}

pub async fn rejected(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<RejectedParams>,
) -> Result<Markup, ApiError> {
    let admin = who.role() == Role::Admin;
    let lang = Lang::from_query(params.lang.as_deref());
    let tz = &state.config().office.timezone;
    let (items, total) = state.store.rejected_page(params.before, SHOWN).await?;
    let next_before = items.last().filter(|_| items.len() == SHOWN).map(|last| last.id);
    let vi = lang == Lang::Vi;
    let body = html! {
        main {
            h2 { (if vi { "Số liệu bị từ chối" } else { "Rejected readings" }) ": " span data-figure="rejected-total" { (locale::number(total as f64, 0, lang)) } }
            p {
                @if vi {
                    "Bản tin và số liệu nhập không lưu được được giữ lại kèm lý do, không bị bỏ đi. "
                    "Sau khi sửa cấu hình (thêm công tơ, sửa đơn vị hoặc chủ đề), bấm “Xử lý lại” để thử lưu lại."
                } @else {
                    "Messages and entries that could not be stored are kept with the reason, never dropped. "
                    "After fixing the config (a meter added, a unit or topic corrected), press “Retry” to store them."
                }
            }
            @if let (Some(done), Some(still)) = (params.reprocessed, params.still) {
                p.status data-figure="retry-result" {
                    @if vi { "Đã xử lý lại " (done) " mục; còn " (still) " mục chưa lưu được." }
                    @else { "Retried: " (done) " stored; " (still) " still rejected." }
                }
            }
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            @if admin { form method="post" action=(format!("/rejected/reprocess?lang={}", lang.code())) {
                (csrf_field(&who))
                button type="submit" { (if vi { "Xử lý lại" } else { "Retry" }) }
            } }
            @if admin && total > 0 { (bulk_form(&state, &who, lang)) }
            @if items.is_empty() {
                p.empty { (if vi { "Không có số liệu nào bị từ chối." } else { "Nothing was rejected." }) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        @if vi { th { "Thời điểm nhận" } th { "Nguồn" } th { "Chủ đề / công tơ" } th { "Lý do" } th { "Chi tiết" } th { "Nội dung" } }
                        @else { th { "Received" } th { "Source" } th { "Topic / meter" } th { "Reason" } th { "Detail" } th { "Payload" } }
                    } }
                    tbody {
                        @for item in &items {
                            tr data-rejected=(item.id) {
                                td { (locale::date_time(item.received_at, tz, lang)) }
                                td { (item.source) }
                                td { @if let Some(topic) = &item.topic { code { (topic) } br; } @if let Some(meter) = &item.meter { (meter) } }
                                td data-reason=(item.reason) { (reason_text(&item.reason, lang)) }
                                td {
                                    (item.detail)
                                    @if item.reason == "conflicting_duplicate" && admin {
                                        form.review method="post" action=(format!("/rejected/{}/review?lang={}", item.id, lang.code())) {
                                            (csrf_field(&who))
                                            input name="reason" required minlength="5" placeholder=(if vi { "Lý do" } else { "Reason" });
                                            button.secondary type="submit" name="decision" value="reject" { (if vi { "Bỏ qua" } else { "Dismiss" }) }
                                        }
                                    }
                                    @if item.reason == "held_for_review" && admin {
                                        form.review method="post" action=(format!("/rejected/{}/review?lang={}", item.id, lang.code())) {
                                            (csrf_field(&who))
                                            input name="reason" required minlength="5" placeholder=(if vi { "Lý do" } else { "Reason" });
                                            button type="submit" name="decision" value="accept" { (if vi { "Chấp nhận" } else { "Accept" }) }
                                            button.secondary type="submit" name="decision" value="reject" { (if vi { "Loại bỏ" } else { "Reject" }) }
                                        }
                                    }
                                }
                                td { code { (item.payload.chars().take(200).collect::<String>()) } }
                            }
                        }
                    }
                } }
                p.pages {
                    @if params.before.is_some() {
                        a href=(format!("/rejected?lang={}", lang.code())) { (if vi { "← Mới nhất" } else { "← Newest" }) } " "
                    }
                    @if let Some(next) = next_before {
                        a data-next-page href=(format!("/rejected?lang={}&before={next}", lang.code())) { (if vi { "Trang sau →" } else { "Next page →" }) }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/rejected", None, Some(&who), body))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    reason: String,
}

/// The accept and reject buttons of a held reading.
pub async fn review_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<i64>,
    Query(params): Query<RejectedParams>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let body = ReviewBody { decision: form.decision, reason: form.reason };
    let (key, message) = match apply_review(&state, &admin, id, body).await {
        Ok(stored) => (
            "ok",
            match lang {
                Lang::Vi => format!("Đã ghi quyết định; {stored} số liệu được lưu."),
                Lang::En => format!("Decision recorded; {stored} reading(s) stored."),
            },
        ),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m) | ApiError::Conflict(m)) => ("error", m),
        Err(other) => return Err(other),
    };
    let query = serde_urlencoded::to_string([("lang", lang.code()), (key, message.as_str())]).unwrap_or_default();
    Ok(Redirect::to(&format!("/rejected?{query}")))
}

/// The page's retry button: try every rejected item again, then show the result.
pub async fn reprocess_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<RejectedParams>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let summary = reprocess(&state, &admin).await?;
    Ok(Redirect::to(&format!(
        "/rejected?lang={}&reprocessed={}&still={}",
        lang.code(),
        summary.reprocessed,
        summary.still_rejected
    )))
}

/// One decision for every waiting item a filter picks: a meter, a reason, a period.
fn bulk_form(state: &AppState, who: &crate::auth::Principal, lang: Lang) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        details.bulk-review {
            summary { (if vi { "Quyết định hàng loạt" } else { "Decide in bulk" }) }
            form method="post" action=(format!("/rejected/review?lang={}", lang.code())) {
                (csrf_field(who))
                label { (if vi { "Công tơ" } else { "Meter" }) " "
                    select name="meter" {
                        option value="" { (if vi { "Tất cả" } else { "All" }) }
                        @for meter in &state.pipeline.meters_in_use(jiff::Timestamp::now()) { option value=(meter.id) { (meter.id) " — " (meter.name) } }
                    }
                }
                label { (if vi { "Loại" } else { "Kind" }) " "
                    select name="kind" {
                        option value="held_for_review" { (reason_text("held_for_review", lang)) }
                        option value="conflicting_duplicate" { (reason_text("conflicting_duplicate", lang)) }
                    }
                }
                label { (if vi { "Số liệu từ ngày" } else { "Readings from" }) " " input type="date" name="from"; }
                label { (if vi { "đến trước ngày" } else { "to before" }) " " input type="date" name="to"; }
                input name="reason" required minlength="5" placeholder=(if vi { "Lý do chung cho cả loạt" } else { "One reason for the batch" });
                button type="submit" name="decision" value="accept" { (if vi { "Chấp nhận tất cả" } else { "Accept all" }) }
                button.secondary type="submit" name="decision" value="reject" { (if vi { "Loại bỏ tất cả" } else { "Reject all" }) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct BulkReviewForm {
    decision: String,
    reason: String,
    meter: String,
    kind: String,
    from: String,
    to: String,
}

/// The bulk decision form: empty fields pick everything.
pub async fn bulk_review_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<RejectedParams>,
    CsrfForm(form): CsrfForm<BulkReviewForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let given = |text: String| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let filter =
        ReviewFilter { meter: given(form.meter), reason: given(form.kind), from: given(form.from), to: given(form.to) };
    let body = BulkReviewBody { decision: form.decision, reason: form.reason, filter };
    let (key, message) = match apply_bulk_review(&state, &admin, body).await {
        Ok(done) => (
            "ok",
            match lang {
                Lang::Vi => format!(
                    "Đã quyết định {} mục; {} số liệu được lưu; {} mục không áp dụng được, vẫn chờ.",
                    done.decided, done.stored, done.left
                ),
                Lang::En => format!(
                    "Decided {} item(s); {} reading(s) stored; {} item(s) it cannot apply to still wait.",
                    done.decided, done.stored, done.left
                ),
            },
        ),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m) | ApiError::Conflict(m)) => ("error", m),
        Err(other) => return Err(other),
    };
    let query = serde_urlencoded::to_string([("lang", lang.code()), (key, message.as_str())]).unwrap_or_default();
    Ok(Redirect::to(&format!("/rejected?{query}")))
}
