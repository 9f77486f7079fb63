//! The office's departments added and changed in the web app (docs/setup.md): kept in the
//! store with their audit line in one transaction, and in force at once for every page and
//! figure (`ConfigInForce`). A department is never deleted, and its id stays once anything
//! holds it.

use serde::Deserialize;
use serde_json::Value;

use crate::config::{DepartmentSpec, check_departments};
use crate::domain::DepartmentId;
use crate::store::{AuditDetail, DepartmentChange, DepartmentPut, DepartmentUse};
use crate::web::auth::Admin;
use crate::web::commands::meters::CHANGES;
use crate::web::commands::{CommandError, audit_line, refused, whole_count};
use crate::web::{ApiError, AppState};

/// A department as sent: every key when it is added; when it is changed, the keys to change
/// (one left out keeps its value). Numbers may be JSON numbers or text (1.234,5).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    pub id: Option<String>,
    pub name: Option<String>,
    /// An empty text removes the English name.
    pub name_en: Option<String>,
    pub headcount: Option<Value>,
    pub area_m2: Option<Value>,
}

/// Add a department.
pub async fn add(state: &AppState, admin: &Admin, body: DepartmentBody) -> Result<DepartmentSpec, CommandError> {
    let (Some(id), Some(name), Some(headcount), Some(area_m2)) = (&body.id, &body.name, &body.headcount, &body.area_m2)
    else {
        return Err(refused(
            "send the new department's id, name, headcount and area_m2 (name_en if it has an English name)",
            "Hãy gửi mã, tên, số người và diện tích (m²) của phòng, ban mới",
        ));
    };
    let spec = DepartmentSpec {
        id: checked_id(id)?,
        name: checked_name(name)?,
        name_en: english_name(body.name_en.as_deref()),
        headcount: checked_headcount(headcount)?,
        area_m2: checked_area(area_m2)?,
    };
    let _one_at_a_time = CHANGES.lock().await;
    put(state, admin, None, spec).await
}

/// Change the department `id`: the keys sent, its id too while nothing holds it.
pub async fn change(
    state: &AppState,
    admin: &Admin,
    id: &str,
    body: DepartmentBody,
) -> Result<DepartmentSpec, CommandError> {
    let _one_at_a_time = CHANGES.lock().await;
    let kept = state.store.department_setup().await?;
    let Some(before) = kept.into_iter().find(|d| d.id == id) else { return Err(not_found(id)) };
    let spec = DepartmentSpec {
        id: body.id.as_deref().map(checked_id).transpose()?.unwrap_or_else(|| before.id.clone()),
        name: body.name.as_deref().map(checked_name).transpose()?.unwrap_or_else(|| before.name.clone()),
        name_en: match body.name_en.as_deref() {
            Some(sent) => english_name(Some(sent)),
            None => before.name_en.clone(),
        },
        headcount: body.headcount.as_ref().map(checked_headcount).transpose()?.unwrap_or(before.headcount),
        area_m2: body.area_m2.as_ref().map(checked_area).transpose()?.unwrap_or(before.area_m2),
    };
    if spec.id != before.id && state.config_in_force.file().department_specs.iter().any(|d| d.id == before.id) {
        return Err(CommandError::Conflict {
            en: format!(
                "the id of department `{id}` stays: the config file lists it (the file would add it again at the next start); change its name instead"
            ),
            vi: format!(
                "Không đổi được mã phòng, ban `{id}`: tệp cấu hình có mã này (lần khởi động sau sẽ thêm lại). Chỉ đổi được tên."
            ),
        });
    }
    put(state, admin, Some(before.id), spec).await
}

/// Keep `spec` (the caller holds `CHANGES`) and put the departments in force.
async fn put(
    state: &AppState,
    admin: &Admin,
    was: Option<String>,
    spec: DepartmentSpec,
) -> Result<DepartmentSpec, CommandError> {
    let action = if was.is_none() { "departments.add" } else { "departments.change" };
    let line = audit_line(admin.principal(), action, describe);
    let (was_id, id) = (was.clone().unwrap_or_default(), spec.id.clone());
    match admin.store(state).put_department(was, spec, Some(line)).await? {
        DepartmentPut::Kept(change) => {
            reload(state).await?;
            Ok(change.after)
        }
        DepartmentPut::NotFound => Err(not_found(&was_id)),
        DepartmentPut::Exists => Err(CommandError::Conflict {
            en: format!("a department `{id}` exists already: give this one its own id"),
            vi: format!("Đã có phòng, ban mã `{id}`: hãy chọn một mã khác"),
        }),
        DepartmentPut::IdHeld(uses) => {
            let (en, vi): (Vec<String>, Vec<String>) = uses.iter().map(say_use).unzip();
            Err(CommandError::Conflict {
                en: format!(
                    "the id of department `{was_id}` stays: {} hold it; change its name instead",
                    en.join(", ")
                ),
                vi: format!(
                    "Không đổi được mã phòng, ban `{was_id}` vì đang được dùng cho {}. Chỉ đổi được tên.",
                    vi.join(", ")
                ),
            })
        }
    }
}

/// A department's keys as the API answers them.
pub fn department_json(spec: &DepartmentSpec) -> Value {
    serde_json::to_value(spec).unwrap_or_default()
}

fn describe(change: &DepartmentChange) -> AuditDetail {
    AuditDetail {
        target: change.after.id.clone(),
        before: change.before.as_ref().map(department_json),
        after: Some(department_json(&change.after)),
    }
}

/// Every page and figure reads the store's departments from now on.
async fn reload(state: &AppState) -> Result<(), ApiError> {
    let kept = state.store.department_setup().await?;
    let departments = check_departments(&kept).map_err(|problems| {
        let said: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.key, p.problem)).collect();
        ApiError::internal(format!("the stored departments do not check: {}", said.join("; ")))
    })?;
    state.config_in_force.set_departments(departments);
    Ok(())
}

fn say_use(using: &DepartmentUse) -> (String, String) {
    let pair = |en: &str, vi: &str| (en.to_owned(), vi.to_owned());
    match using {
        DepartmentUse::Meters(ids) => {
            (format!("its meters ({})", ids.join(", ")), format!("công tơ {}", ids.join(", ")))
        }
        DepartmentUse::Staffing => pair("its headcount and floor area changes", "số người, diện tích theo thời gian"),
        DepartmentUse::Documents => pair("its e-document counts", "số văn bản điện tử"),
        DepartmentUse::Meetings => pair("its meeting counts", "số cuộc họp không giấy"),
        DepartmentUse::IssueSlips => pair("its issue slips", "phiếu xuất kho"),
        DepartmentUse::PlanEdits => pair("its baselines or targets", "mức nền, chỉ tiêu"),
        DepartmentUse::AlertRecipients => pair("its alert recipients", "người nhận cảnh báo"),
    }
}

fn not_found(id: &str) -> CommandError {
    CommandError::Failed(ApiError::NotFound(format!("no department `{id}`")))
}

fn checked_id(sent: &str) -> Result<String, CommandError> {
    let sent = sent.trim();
    DepartmentId::try_from(sent.to_owned()).map(|id| id.to_string()).map_err(|e| {
        refused(
            format!("`{sent}` is not a department id ({e}): use a slug such as \"phong-tong-hop\""),
            format!("Mã `{sent}` không dùng được: hãy viết chữ thường không dấu, nối bằng gạch ngang, ví dụ \"phong-tong-hop\""),
        )
    })
}

fn checked_name(sent: &str) -> Result<String, CommandError> {
    let name = sent.trim();
    if name.is_empty() {
        return Err(refused("the department's name is empty: give its Vietnamese name", "Hãy nhập tên phòng, ban"));
    }
    Ok(name.to_owned())
}

fn english_name(sent: Option<&str>) -> Option<String> {
    sent.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned)
}

fn checked_headcount(sent: &Value) -> Result<u32, CommandError> {
    whole_count(sent).ok_or_else(|| {
        refused(
            format!("headcount {sent} is not a number of people: send a whole number such as 12"),
            format!("Số người {sent} không hợp lệ: hãy nhập số nguyên, ví dụ 12"),
        )
    })
}

fn checked_area(sent: &Value) -> Result<f64, CommandError> {
    let area = match sent {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::ingest::manual::parse_number(s).ok(),
        _ => None,
    };
    match area {
        Some(a) if a.is_finite() && a > 0.0 && a <= 1_000_000.0 => Ok(a),
        _ => Err(refused(
            format!("area_m2 {sent} is not a floor area: send the area in m², greater than 0, such as 110.5"),
            format!("Diện tích {sent} không hợp lệ: hãy nhập số m² lớn hơn 0, ví dụ 110,5"),
        )),
    }
}
