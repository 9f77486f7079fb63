//! "Cảnh báo": the alerts, active first, with filters (state, rule), paging, an
//! acknowledgement form for those who may write, and the notifications that could not be sent.
//! Cards rather than a table, so that it reads on a phone.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, layout};
use crate::domain::{AlertRule, Role};
use crate::locale::{self, Lang};
use crate::store::alerts::{AlertRecord, AlertState};
use crate::web::api::alerts::{parse_rule, parse_state};
use crate::web::auth::{CsrfForm, Viewer, Writer};
use crate::web::commands::alerts::acknowledge;
use crate::web::{ApiError, AppState};

/// How many alerts a page lists.
const SHOWN: usize = 30;
/// How many unsent notifications the page shows.
const FAILURES_SHOWN: usize = 20;

#[derive(Deserialize)]
pub struct AlertsParams {
    lang: Option<String>,
    state: Option<String>,
    rule: Option<String>,
    before: Option<i64>,
    ok: Option<String>,
    error: Option<String>,
}

fn state_code(state: AlertState) -> &'static str {
    match state {
        AlertState::Active => "active",
        AlertState::Resolved => "resolved",
        AlertState::All => "all",
    }
}

fn severity_text(alert: &AlertRecord, lang: Lang) -> &'static str {
    use crate::domain::Severity;
    match alert.severity {
        Severity::Info => lang.pick("Thông tin", "Info"),
        Severity::Warning => lang.pick("Cảnh báo", "Warning"),
        Severity::Critical => lang.pick("Nghiêm trọng", "Critical"),
    }
}

pub async fn alerts_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<AlertsParams>,
) -> Result<Markup, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let vi = lang == Lang::Vi;
    let which = parse_state(params.state.as_deref())?;
    let rule = parse_rule(params.rule.as_deref())?;
    let before = params.before;
    let book = state.alerts.book();
    let (items, total, failures) = crate::alerts::blocking(&book, move |book| {
        let (items, total) = book.list(which, rule, before, SHOWN)?;
        Ok((items, total, book.failures(FAILURES_SHOWN)?))
    })
    .await?;
    let may_ack = who.role() != Role::Viewer;
    let tz = &state.config().office.timezone;
    let code = lang.code();
    let filter_query = |before: Option<i64>| {
        let mut pairs = vec![("lang", code.to_owned()), ("state", state_code(which).to_owned())];
        if let Some(rule) = rule {
            pairs.push(("rule", rule.code().to_owned()));
        }
        if let Some(before) = before {
            pairs.push(("before", before.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    let next_before = items.last().filter(|_| items.len() == SHOWN).map(|a| a.id);
    let body = html! {
        main.alerts {
            h2 { (lang.pick("Cảnh báo", "Alerts")) ": " span data-figure="alerts-total" { (locale::number(total as f64, 0, lang)) } }
            @if let Some(ok) = &params.ok { p.status.ok data-result="ok" { (ok) } }
            @if let Some(error) = &params.error { p.status.bad data-result="error" { (error) } }
            form.filters method="get" action="/alerts" {
                input type="hidden" name="lang" value=(code);
                label { (lang.pick("Trạng thái", "State")) " "
                    select name="state" {
                        @for (value, vi_text, en_text) in [("active", "Đang diễn ra", "Active"), ("resolved", "Đã hết", "Resolved"), ("all", "Tất cả", "All")] {
                            option value=(value) selected[state_code(which) == value] { (lang.pick(vi_text, en_text)) }
                        }
                    }
                }
                " "
                label { (lang.pick("Loại", "Rule")) " "
                    select name="rule" {
                        option value="" { (lang.pick("Tất cả", "All")) }
                        @for r in AlertRule::ALL {
                            option value=(r.code()) selected[rule == Some(r)] { (r.name(vi)) }
                        }
                    }
                }
                " "
                button type="submit" { (lang.pick("Lọc", "Filter")) }
            }
            @if items.is_empty() {
                p.empty { (lang.pick("Không có cảnh báo nào.", "No alerts.")) }
            }
            ul.alert-list {
                @for alert in &items {
                    li.alert-item data-alert=(alert.id) data-rule=(alert.rule.code()) data-severity=(alert.severity.code())
                        data-state=(if alert.resolved.is_some() { "resolved" } else { "active" }) {
                        p.alert-head {
                            strong { (alert.rule.name(vi)) } " · " span.severity { (severity_text(alert, lang)) }
                        }
                        p.alert-message { (if vi { &alert.message } else { &alert.message_en }) }
                        p.status {
                            (lang.pick("Bắt đầu", "Started")) " " (locale::date_time(alert.started, tz, lang))
                            @if let Some(resolved) = alert.resolved {
                                " · " (lang.pick("Đã hết lúc", "Resolved")) " " (locale::date_time(resolved, tz, lang))
                            } @else {
                                " · " (lang.pick("Cập nhật", "Updated")) " " (locale::date_time(alert.updated, tz, lang))
                            }
                        }
                        @if let Some(ack) = &alert.ack {
                            p.ack data-acknowledged=(ack.by) {
                                (lang.pick("Đã xác nhận bởi", "Acknowledged by")) " " (ack.by) " (" (locale::date_time(ack.at, tz, lang)) "): " (ack.comment)
                            }
                        } @else if may_ack && alert.resolved.is_none() {
                            form.ack method="post" action=(format!("/alerts/{}/acknowledge?lang={code}", alert.id)) {
                                (csrf_field(&who))
                                input name="comment" required minlength="3" maxlength="1000"
                                    placeholder=(lang.pick("Đã làm gì? (bắt buộc)", "What was done? (required)"));
                                button type="submit" { (lang.pick("Xác nhận", "Acknowledge")) }
                            }
                        }
                    }
                }
            }
            p.pages {
                @if before.is_some() {
                    a href=(format!("/alerts?{}", filter_query(None))) { (lang.pick("← Mới nhất", "← Newest")) } " "
                }
                @if let Some(next) = next_before {
                    a data-next-page href=(format!("/alerts?{}", filter_query(Some(next)))) { (lang.pick("Trang sau →", "Next page →")) }
                }
            }
            @if !failures.is_empty() {
                h3 { (lang.pick("Thông báo chưa gửi được", "Notifications not sent")) }
                ul.alert-list data-figure="unsent" {
                    @for item in &failures {
                        li.alert-item data-unsent=(item.id) {
                            p { strong { (item.recipient) } " · " (item.notification["subject"].as_str().unwrap_or_default()) }
                            p.status {
                                @if item.gave_up { (lang.pick("Đã ngừng gửi", "Given up")) } @else {
                                    (lang.pick("Sẽ thử lại lúc", "Next attempt")) " " (locale::date_time(item.next_at, tz, lang))
                                }
                                " · " (lang.pick("số lần thử", "attempts")) ": " (item.attempts)
                                " · " (item.last_error.as_deref().unwrap_or_default())
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&state, lang, "/alerts", None, Some(&who), body))
}

#[derive(Deserialize)]
pub struct AcknowledgeForm {
    comment: String,
}

/// The acknowledgement form of one alert.
pub async fn acknowledge_form(
    State(state): State<AppState>,
    writer: Writer,
    Path(id): Path<i64>,
    Query(params): Query<AlertsParams>,
    CsrfForm(form): CsrfForm<AcknowledgeForm>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let (key, message) = match acknowledge(&state, writer.principal(), id, &form.comment).await {
        Ok(_) => ("ok", lang.pick("Đã xác nhận cảnh báo.", "Alert acknowledged.").to_owned()),
        Err(ApiError::BadRequest(m) | ApiError::NotFound(m)) => ("error", m),
        Err(other) => return Err(other),
    };
    let query = serde_urlencoded::to_string([("lang", lang.code()), (key, message.as_str())]).unwrap_or_default();
    Ok(Redirect::to(&format!("/alerts?{query}")))
}
