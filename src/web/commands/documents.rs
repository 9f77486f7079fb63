//! A month's document counts for a department (electronic and on paper).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{DepartmentId, DocumentCount, Month};
use crate::store::{AuditDetail, DocumentRecord};
use crate::web::AppState;
use crate::web::auth::Writer;
use crate::web::commands::{CommandError, audit_line, refused, whole_count};

/// A department's counts for a month as sent: counts may be JSON numbers or text (1.234).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    pub department: String,
    pub month: String,
    pub electronic: Value,
    pub paper: Value,
}

fn count(value: &Value, name: &str) -> Result<u32, CommandError> {
    match whole_count(value) {
        Some(n) => Ok(n),
        None => {
            let field = match name {
                "electronic" => "Số văn bản điện tử",
                _ => "Số văn bản giấy",
            };
            let shown = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
            Err(refused(
                format!("`{name}` = {value} is not a count of documents: send a whole number, 0 or more"),
                format!("{field} “{shown}” không phải số văn bản: hãy nhập số nguyên, từ 0 trở lên."),
            ))
        }
    }
}

/// Check and store one month's counts, if the writer may enter that department's; shared by
/// the API and the page's form.
pub(crate) async fn apply(
    state: &AppState,
    writer: &Writer,
    body: DocumentBody,
) -> Result<DocumentRecord, CommandError> {
    let unknown = || format!("Không có phòng, ban “{}”: hãy chọn trong danh sách.", body.department.trim());
    let department: DepartmentId =
        body.department.trim().parse().map_err(|e| refused(format!("department: {e}"), unknown()))?;
    if state.config().department(&department).is_none() {
        let config = state.config();
        let ids: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(refused(
            format!("no department `{department}` is configured: use one of {}", ids.join(", ")),
            unknown(),
        ));
    }
    writer.check_department(&department)?;
    let month = Month::parse(&body.month).map_err(|e| {
        refused(e.to_string(), format!("“{}” không phải một tháng: hãy viết như 11/2026.", body.month.trim()))
    })?;
    let electronic = count(&body.electronic, "electronic")?;
    let paper = count(&body.paper, "paper")?;
    let today = Month::of(jiff::Timestamp::now().to_zoned(state.config().office.timezone.clone()).date());
    if month > today {
        return Err(refused(
            format!("{month} has not begun: enter the counts of a month once it has"),
            format!(
                "Tháng {:02}/{} chưa bắt đầu: hãy nhập số văn bản của một tháng khi tháng đó đã đến.",
                month.month(),
                month.year()
            ),
        ));
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
