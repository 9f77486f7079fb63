//! `GET /api/v1/alerts`: the alerts, active, resolved or all, newest first; and
//! `POST /api/v1/alerts/{id}/acknowledge` with a comment.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::alerts::recipients::event_of;
use crate::domain::AlertRule;
use crate::domain::period::local_rfc3339;
use crate::store::alerts::{AlertRecord, AlertState};
use crate::web::auth::{Viewer, Writer};
use crate::web::commands::alerts::acknowledge;
use crate::web::extract::ApiQuery;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsParams {
    /// `active` (the default), `resolved` or `all`.
    state: Option<String>,
    rule: Option<String>,
    limit: Option<usize>,
    /// The `next_before` of the page before: alerts with a smaller id.
    before: Option<i64>,
}

const MAX_LIMIT: usize = 1000;

/// The `state` parameter, checked.
pub(crate) fn parse_state(state: Option<&str>) -> Result<AlertState, ApiError> {
    match state.unwrap_or("active") {
        "active" => Ok(AlertState::Active),
        "resolved" => Ok(AlertState::Resolved),
        "all" => Ok(AlertState::All),
        other => Err(ApiError::BadRequest(format!("`state` is `{other}`: use active, resolved or all"))),
    }
}

/// The `rule` parameter, checked.
pub(crate) fn parse_rule(rule: Option<&str>) -> Result<Option<AlertRule>, ApiError> {
    rule.filter(|r| !r.is_empty())
        .map(|r| {
            AlertRule::parse(r).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`rule` is `{r}`: use one of {}",
                    AlertRule::ALL.map(|r| r.code()).join(", ")
                ))
            })
        })
        .transpose()
}

pub async fn alerts(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(params): ApiQuery<AlertsParams>,
) -> Result<impl IntoResponse, ApiError> {
    let which = parse_state(params.state.as_deref())?;
    let rule = parse_rule(params.rule.as_deref())?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!("`limit` must be between 1 and {MAX_LIMIT}")));
    }
    let before = params.before;
    let book = state.alerts.book();
    let (items, total) = crate::alerts::blocking(&book, move |book| book.list(which, rule, before, limit)).await?;
    let next_before = items.last().filter(|_| items.len() == limit).map(|last| last.id);
    let tz = &state.config().office.timezone;
    let items: Vec<Value> = items.iter().map(|a| alert_json(a, tz)).collect();
    Ok(Json(json!({ "total": total, "items": items, "next_before": next_before })))
}

/// The webhook's fields of an alert, and what only the API gives: when it was last updated and
/// its English message.
fn alert_json(alert: &AlertRecord, tz: &TimeZone) -> Value {
    let mut json = event_of(alert, tz);
    json["updated"] = json!(local_rfc3339(alert.updated, tz));
    json["message_en"] = json!(alert.message_en);
    json
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    comment: String,
}

pub async fn post_acknowledge(
    State(state): State<AppState>,
    writer: Writer,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<AcknowledgeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(id) = id.map_err(|_| {
        ApiError::BadRequest("the id in the path must be a whole number, as listed by GET /api/v1/alerts".into())
    })?;
    let Json(body) =
        body.map_err(|e| ApiError::BadRequest(format!("{}; send {{\"comment\": \"…\"}}", e.body_text())))?;
    let acked = acknowledge(&state, writer.principal(), id, &body.comment).await?;
    Ok(Json(alert_json(&acked, &state.config().office.timezone)))
}
