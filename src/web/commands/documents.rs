//! A month's document counts for a department (electronic and on paper).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{DepartmentId, DocumentCount, Month};
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, DocumentRecord};
use crate::web::auth::Writer;
use crate::web::commands::audit_line;
use crate::web::{ApiError, AppState};

/// A department's counts for a month as sent: counts may be JSON numbers or text (1.234).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    pub department: String,
    pub month: String,
    pub electronic: Value,
    pub paper: Value,
}

fn count(value: &Value, name: &str) -> Result<u32, ApiError> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s).ok(),
        _ => None,
    };
    match number {
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => Ok(n as u32),
        _ => Err(ApiError::BadRequest(format!(
            "`{name}` = {value} is not a count of documents: send a whole number, 0 or more"
        ))),
    }
}

/// Check and store one month's counts, if the writer may enter that department's; shared by
/// the API and the page's form.
pub(crate) async fn apply(state: &AppState, writer: &Writer, body: DocumentBody) -> Result<DocumentRecord, ApiError> {
    let department: DepartmentId =
        body.department.trim().parse().map_err(|e| ApiError::BadRequest(format!("department: {e}")))?;
    if state.config.department(&department).is_none() {
        let ids: Vec<&str> = state.config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "no department `{department}` is configured: use one of {}",
            ids.join(", ")
        )));
    }
    writer.check_department(&department)?;
    let month = Month::parse(&body.month).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let electronic = count(&body.electronic, "electronic")?;
    let paper = count(&body.paper, "paper")?;
    let today = Month::of(jiff::Timestamp::now().to_zoned(state.config.office.timezone.clone()).date());
    if month > today {
        return Err(ApiError::BadRequest(format!("{month} has not begun: enter the counts of a month once it has")));
    }
    let counts = DocumentCount { department, month, electronic, paper };
    let line = audit_line(writer.principal(), "documents.enter", |record: &DocumentRecord| AuditDetail {
        target: format!("{} {}", record.count.department, record.count.month),
        before: None,
        after: Some(json!({ "electronic": record.count.electronic, "paper": record.count.paper })),
    });
    let record = writer.store(state).set_documents(counts, writer.principal().name(), Some(line)).await?;
    Ok(record)
}
