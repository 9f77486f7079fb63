//! Edits to the saving plan made in the app: a baseline or a target, with the reason.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::domain::{DepartmentId, NamedPeriod, Resource};
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, PlanEdit, PlanEditRecord, PlanValue};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::commands::{CommandError, audit_line, refused};

/// A change to a baseline as sent: numbers may be JSON numbers or text (1.234,5).
#[derive(Deserialize)]
pub struct BaselineBody {
    pub resource: String,
    /// Absent or empty: the whole office.
    pub department: Option<String>,
    /// The period the amount covers: 2025, 2025-Q4…
    pub period: Option<String>,
    pub amount: Option<Value>,
    #[serde(default)]
    pub note: String,
    /// Go back to the config's baseline instead.
    #[serde(default)]
    pub reset: bool,
    pub reason: String,
}

#[derive(Deserialize)]
pub struct TargetBody {
    pub resource: String,
    pub department: Option<String>,
    /// Absent or empty: every period.
    pub period: Option<String>,
    pub saving_percent: Option<Value>,
    pub stretch_percent: Option<Value>,
    #[serde(default)]
    pub reset: bool,
    pub reason: String,
}

fn resource(text: &str) -> Result<Resource, CommandError> {
    text.trim()
        .parse()
        .map_err(|e| refused(format!("{e}"), format!("“{text}” không phải tài nguyên: hãy chọn điện, nước hoặc giấy.")))
}

fn department(state: &AppState, text: Option<&str>) -> Result<Option<DepartmentId>, CommandError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let unknown = || format!("Không có phòng, ban “{text}”: hãy chọn trong danh sách (hoặc toàn cơ quan).");
    let id: DepartmentId = text.parse().map_err(|e| refused(format!("department: {e}"), unknown()))?;
    if state.config().department(&id).is_none() {
        let config = state.config();
        let ids: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
        return Err(refused(
            format!("no department `{id}` is configured: use one of {} (or none for the whole office)", ids.join(", ")),
            unknown(),
        ));
    }
    Ok(Some(id))
}

fn period(text: Option<&str>) -> Result<Option<NamedPeriod>, CommandError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    NamedPeriod::parse(text)
        .map(Some)
        .map_err(|e| refused(e.0, format!("“{text}” không phải một kỳ: hãy chọn kỳ trong danh sách.")))
}

/// A field's name as the page's form says it.
fn field_vi(name: &str) -> &str {
    match name {
        "amount" => "Lượng dùng trong kỳ",
        "saving_percent" => "Tiết kiệm (%)",
        "stretch_percent" => "Mục tiêu phấn đấu (%)",
        other => other,
    }
}

fn number(value: Option<&Value>, name: &str) -> Result<Option<f64>, CommandError> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => parse_number(s).ok(),
        Some(_) => None,
    };
    parsed.filter(|v| v.is_finite()).map(Some).ok_or_else(|| {
        refused(
            format!("`{name}` is not a number: write it as 1.234,5 or 1234.5"),
            format!("{} không phải số: hãy viết như 1.234,5.", field_vi(name)),
        )
    })
}

fn who_and_why(admin: &Admin, reason: &str) -> Result<(String, String), CommandError> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(refused(
            "give the reason for the change (`reason`, at least a few words)",
            "Hãy ghi lý do thay đổi (ít nhất vài chữ).",
        ));
    }
    Ok((admin.principal().name(), reason.to_owned()))
}

/// Keep a change to the plan and record it in the audit log.
async fn record(state: &AppState, admin: &Admin, edit: PlanEdit) -> Result<PlanEditRecord, CommandError> {
    let action = if edit.target { "plan.target" } else { "plan.baseline" };
    let target = format!(
        "{} {} {}",
        edit.resource.as_str(),
        edit.department.as_ref().map(|d| d.as_str()).unwrap_or("office"),
        edit.period.map(|p| p.to_string()).unwrap_or_default()
    );
    let (before, after) = (json!(edit.old), json!({ "value": edit.new, "reason": edit.reason }));
    let target = target.trim_end().to_owned();
    let line = audit_line(admin.principal(), action, move |_: &PlanEditRecord| AuditDetail {
        target,
        before: Some(before),
        after: Some(after),
    });
    Ok(admin.store(state).record_plan_edit(edit, Some(line)).await?)
}

/// Whether the latest edit of this key set a value, so a reset has something to undo.
fn changed_in_app(
    edits: &[PlanEditRecord],
    target: bool,
    resource: Resource,
    department: &Option<DepartmentId>,
    period: Option<NamedPeriod>,
) -> bool {
    edits
        .iter()
        .rev()
        .find(|r| {
            r.edit.target == target
                && r.edit.resource == resource
                && &r.edit.department == department
                && (!target || r.edit.period == period)
        })
        .is_some_and(|r| r.edit.new.is_some())
}

/// Check and keep a change to a baseline; shared by the API and the page's form.
pub(crate) async fn apply_baseline(
    state: &AppState,
    admin: &Admin,
    body: BaselineBody,
) -> Result<PlanEditRecord, CommandError> {
    let resource = resource(&body.resource)?;
    let department = department(state, body.department.as_deref())?;
    let (by, reason) = who_and_why(admin, &body.reason)?;
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let current = plan.baselines.entered(resource, department.as_ref());
    let old = current.map(|b| PlanValue::Baseline { amount: b.amount, note: b.note.clone() });
    let (period, new) = if body.reset {
        let edits = state.store.plan_edits().await?;
        if !changed_in_app(&edits, false, resource, &department, None) {
            return Err(refused(
                "this baseline was not changed in the app: there is nothing to reset",
                "Mốc cơ sở này chưa được sửa trên trang: không có gì để trả về giá trị cấu hình.",
            ));
        }
        (current.map(|b| b.period), None)
    } else {
        let period = period(body.period.as_deref())?.ok_or_else(|| {
            refused(
                "`period` is missing: give the period the amount covers, such as 2025 or 2025-Q4",
                "Hãy chọn kỳ của số liệu, ví dụ năm trước.",
            )
        })?;
        let amount = number(body.amount.as_ref(), "amount")?.filter(|a| *a > 0.0).ok_or_else(|| {
            refused(
                "`amount` must be the use over the period in kWh, m³ or sheets, greater than 0",
                "Lượng dùng trong kỳ phải lớn hơn 0 (kWh, m³ hoặc tờ).",
            )
        })?;
        (Some(period), Some(PlanValue::Baseline { amount, note: body.note.trim().to_owned() }))
    };
    let edit = PlanEdit { resource, department, period, target: false, old, new, by, reason };
    record(state, admin, edit).await
}

/// Check and keep a change to a target; shared by the API and the page's form.
pub(crate) async fn apply_target(
    state: &AppState,
    admin: &Admin,
    body: TargetBody,
) -> Result<PlanEditRecord, CommandError> {
    let resource = resource(&body.resource)?;
    let department = department(state, body.department.as_deref())?;
    let period = period(body.period.as_deref())?;
    let (by, reason) = who_and_why(admin, &body.reason)?;
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let old = plan
        .targets
        .iter()
        .find(|t| t.resource == resource && t.department == department && t.period == period)
        .map(|t| PlanValue::Target { saving_percent: t.saving_percent, stretch_percent: t.stretch_percent });
    let new = if body.reset {
        let edits = state.store.plan_edits().await?;
        if !changed_in_app(&edits, true, resource, &department, period) {
            return Err(refused(
                "this target was not changed in the app: there is nothing to reset",
                "Mục tiêu này chưa được sửa trên trang: không có gì để trả về giá trị cấu hình.",
            ));
        }
        None
    } else {
        let percent = |value: Option<f64>, name: &str| match value {
            Some(v) if (0.0..100.0).contains(&v) => Ok(Some(v)),
            Some(v) => Err(refused(
                format!("`{name}` = {v} is not a saving in percent: give 0 to below 100, such as 2 for 2 %"),
                format!(
                    "{} = {v} không phải mức tiết kiệm phần trăm: hãy nhập từ 0 đến dưới 100, ví dụ 2.",
                    field_vi(name)
                ),
            )),
            None => Ok(None),
        };
        let saving =
            percent(number(body.saving_percent.as_ref(), "saving_percent")?, "saving_percent")?.ok_or_else(|| {
                refused(
                    "`saving_percent` is missing: give the saving in percent of the baseline, such as 2",
                    "Hãy nhập mức tiết kiệm (%) so với mốc, ví dụ 2.",
                )
            })?;
        let stretch = percent(number(body.stretch_percent.as_ref(), "stretch_percent")?, "stretch_percent")?;
        if stretch.is_some_and(|s| s < saving) {
            return Err(refused(
                "`stretch_percent` is below `saving_percent`: a stretch target saves more; raise it or leave it out",
                "Mục tiêu phấn đấu thấp hơn mức tiết kiệm: mục tiêu phấn đấu phải tiết kiệm nhiều hơn; hãy nâng lên hoặc để trống.",
            ));
        }
        Some(PlanValue::Target { saving_percent: saving, stretch_percent: stretch })
    };
    let edit = PlanEdit { resource, department, period, target: true, old, new, by, reason };
    record(state, admin, edit).await
}
