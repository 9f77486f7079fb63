//! A department's headcount or floor area from a day on, entered in the web app; the figures
//! per person and per m² follow it at once (`analysis::plan_in_force` lays it over the
//! config's `[[staffing]]`).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::analysis::staffing::{area_m2, headcount};
use crate::config::StaffingChange;
use crate::domain::DepartmentId;
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, StaffingRecord};
use crate::web::auth::Admin;
use crate::web::commands::audit_line;
use crate::web::commands::meters::parse_day;
use crate::web::{ApiError, AppState};

/// A change as sent: numbers may be JSON numbers or text (1.234,5); one of the two at least.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffingBody {
    /// The first day it is in force: 2026-12-01 or 01/12/2026.
    pub from: String,
    pub headcount: Option<Value>,
    pub area_m2: Option<Value>,
}

fn number(value: Option<&Value>, name: &str) -> Result<Option<f64>, ApiError> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => parse_number(s).ok(),
        Some(_) => None,
    };
    match parsed {
        Some(v) if v.is_finite() && (0.0..=1_000_000.0).contains(&v) => Ok(Some(v)),
        _ => Err(ApiError::BadRequest(format!(
            "`{name}` is not a number from 0 to 1.000.000: write it as 12 or 1.234,5"
        ))),
    }
}

/// Check and keep a change of `department`'s headcount or floor area.
pub async fn record(
    state: &AppState,
    admin: &Admin,
    department: &str,
    body: StaffingBody,
) -> Result<StaffingRecord, ApiError> {
    let department: DepartmentId =
        department.trim().parse().map_err(|e| ApiError::NotFound(format!("no department `{department}`: {e}")))?;
    if state.config().department(&department).is_none() {
        return Err(ApiError::NotFound(format!("no department `{department}` is configured")));
    }
    let from = parse_day(&body.from)?;
    let headcount_sent = number(body.headcount.as_ref(), "headcount")?;
    if headcount_sent.is_some_and(|h| h.fract() != 0.0) {
        return Err(ApiError::BadRequest("`headcount` is a number of people: send a whole number".into()));
    }
    let area = number(body.area_m2.as_ref(), "area_m2")?;
    if headcount_sent.is_none() && area.is_none() {
        return Err(ApiError::BadRequest("send the headcount, the area_m2, or both, in force from `from`".into()));
    }
    let change = StaffingChange {
        department: department.clone(),
        from,
        headcount: headcount_sent.map(|h| h as u32),
        area_m2: area,
    };
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let before = json!({
        "headcount": headcount(&state.config(), &plan, &department, from),
        "area_m2": area_m2(&state.config(), &plan, &department, from),
    });
    let line = audit_line(admin.principal(), "staffing.change", move |record: &StaffingRecord| AuditDetail {
        target: format!("{} from {}", record.change.department, record.change.from),
        before: Some(before),
        after: Some(json!({ "headcount": record.change.headcount, "area_m2": record.change.area_m2 })),
    });
    Ok(admin.store(state).record_staffing(change, admin.principal().name(), Some(line)).await?)
}
