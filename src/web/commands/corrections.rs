//! A correction of a stored reading: the new value (or its removal), with who, when and why.

use serde::Deserialize;
use serde_json::json;

use crate::domain::period::local_rfc3339;
use crate::domain::{Correction, CorrectionRecord};
use crate::ingest::manual::parse_time;
use crate::store::AuditDetail;
use crate::web::auth::{AccessDenied, Writer};
use crate::web::commands::audit_line;
use crate::web::extract::meter_id;
use crate::web::{ApiError, AppState};

/// A correction as sent: `value` in the unit figures are shown in (kWh, m3, sheet), or null
/// to remove the reading.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    pub meter: String,
    pub ts: String,
    pub value: Option<f64>,
    pub reason: String,
}

/// Check a correction as sent and apply it, if the writer may correct that meter.
pub async fn apply(state: &AppState, writer: &Writer, body: CorrectionBody) -> Result<CorrectionRecord, ApiError> {
    let tz = &state.config().office.timezone;
    let meter = meter_id(&body.meter)?;
    let Some(configured) = state.pipeline.meter(&meter) else {
        return Err(ApiError::NotFound(format!("no meter `{meter}` is configured; see /api/v1/meters")));
    };
    writer.check_meter(&configured).map_err(|denied| match denied {
        AccessDenied::Forbidden { message, .. } => ApiError::Forbidden(message),
        other => ApiError::internal(format!("{other:?}")),
    })?;
    let ts = parse_time(&body.ts, tz).map_err(ApiError::BadRequest)?;
    let correction = Correction::new(meter.clone(), ts, body.value, &writer.principal().name(), &body.reason)
        .map_err(|e| ApiError::BadRequest(e.0))?;
    let target_tz = tz.clone();
    let line = audit_line(writer.principal(), "reading.correct", move |record: &CorrectionRecord| AuditDetail {
        target: format!("{} {}", record.meter, local_rfc3339(record.ts, &target_tz)),
        before: Some(json!({ "value": record.old_value })),
        after: Some(json!({ "value": record.new_value, "reason": record.reason })),
    });
    let record = writer.store(state).correct(correction, Some(line)).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "công tơ `{meter}` không có số liệu lúc {}: chọn số liệu trong danh sách (trang Nhập liệu, mục Hiệu chỉnh số liệu) hoặc lấy thời điểm chính xác từ GET /api/v1/readings?meter={meter}",
            local_rfc3339(ts, tz)
        ))
    })?;
    Ok(record)
}
