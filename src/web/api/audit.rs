//! The audit log: `GET /api/v1/audit` and `GET /api/v1/export/audit.csv` (admins only).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::period::local_rfc3339;
use crate::store::accounts::AuditFilter;
use crate::web::auth::Admin;
use crate::web::extract::ApiQuery;
use crate::web::{ApiError, AppState};

#[derive(Deserialize)]
pub struct AuditParams {
    before: Option<i64>,
    limit: Option<usize>,
}

/// The audit log, newest first; `before` pages back by id.
pub async fn audit(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Value>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest("`limit` must be between 1 and 10000".into()));
    }
    let records = state.auth.audit_log(AuditFilter::default(), params.before, limit).await?;
    let tz = &state.config().office.timezone;
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({ "id": r.id, "at": local_rfc3339(r.at, tz), "actor": r.actor, "address": r.address, "action": r.action,
                    "target": r.target, "before": r.before, "after": r.after })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// The whole audit log as CSV (UTF-8 with BOM, so Excel shows Vietnamese names), oldest last.
pub async fn audit_csv(State(state): State<AppState>, _: Admin) -> Result<impl IntoResponse, ApiError> {
    let tz = &state.config().office.timezone;
    let mut csv = String::from("\u{feff}id,at,actor,address,action,target,before,after\r\n");
    let mut before = None;
    loop {
        let page = state.auth.audit_log(AuditFilter::default(), before, 5_000).await?;
        for r in &page {
            let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
            let fields = [
                r.id.to_string(),
                local_rfc3339(r.at, tz),
                r.actor.clone(),
                r.address.clone().unwrap_or_default(),
                r.action.clone(),
                r.target.clone(),
                json(&r.before),
                json(&r.after),
            ];
            csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            csv.push_str("\r\n");
        }
        match page.last() {
            Some(last) if page.len() == 5_000 => before = Some(last.id),
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"xanh-audit.csv\""),
        ],
        csv,
    ))
}

/// A CSV field, quoted when it holds a separator, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so that a spreadsheet does not run it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}
