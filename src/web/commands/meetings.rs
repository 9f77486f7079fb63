//! A month's meeting counts for a department: held, and how many were paperless.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{DepartmentId, MeetingCount, Month};
use crate::store::{AuditDetail, MeetingRecord};
use crate::web::auth::Writer;
use crate::web::commands::{audit_line, whole_count};
use crate::web::{ApiError, AppState};

/// A department's meetings for a month as sent: counts may be JSON numbers or text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    pub department: String,
    pub month: String,
    pub held: Value,
    pub paperless: Value,
}

fn count(value: &Value, name: &str) -> Result<u32, ApiError> {
    match whole_count(value) {
        Some(n) => Ok(n),
        None => Err(ApiError::BadRequest(format!(
            "`{name}` = {value} không phải là số cuộc họp: ghi một số nguyên, từ 0 trở lên"
        ))),
    }
}

/// Check and store one month's meetings, if the writer may enter that department's; shared by
/// the API and the documents page's form.
pub(crate) async fn apply(state: &AppState, writer: &Writer, body: MeetingBody) -> Result<MeetingRecord, ApiError> {
    let department: DepartmentId =
        body.department.trim().parse().map_err(|e| ApiError::BadRequest(format!("department: {e}")))?;
    if state.config().department(&department).is_none() {
        let config = state.config();
        let ids: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "no department `{department}` is configured: use one of {}",
            ids.join(", ")
        )));
    }
    writer.check_department(&department)?;
    let month = Month::parse(&body.month).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let today = Month::of(jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date());
    if month > today {
        return Err(ApiError::BadRequest(format!("{month} has not begun: enter the meetings of a month once it has")));
    }
    let held = count(&body.held, "held")?;
    let paperless = count(&body.paperless, "paperless")?;
    let counts =
        MeetingCount::new(department, month, held, paperless).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let line = audit_line(writer.principal(), "meetings.enter", |record: &MeetingRecord| AuditDetail {
        target: format!("{} {}", record.count.department(), record.count.month()),
        before: None,
        after: Some(json!({ "held": record.count.held(), "paperless": record.count.paperless() })),
    });
    Ok(writer.store(state).set_meetings(counts, writer.principal().name(), Some(line)).await?)
}
