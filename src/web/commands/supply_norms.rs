//! A configured resource's norm from the internal spending regulation (quy chế chi tiêu nội
//! bộ), from a day on, entered in the web app with the regulation's number and date: the use
//! against the norm, the flags over it and the scores follow at once.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::supplies_in_force::supplies_in_force;
use crate::domain::{DepartmentId, Measure, Norm, NormBasis, NormEvery};
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, SupplyNormRecord};
use crate::web::auth::Admin;
use crate::web::commands::meters::parse_day;
use crate::web::commands::{CommandError, audit_line, refused};
use crate::web::{ApiError, AppState};

/// A norm as sent: the amount may be a JSON number or text (150.000).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyNormBody {
    /// The configured resource's id: van-phong-pham.
    pub resource: String,
    /// A department's own norm; left out (or empty), every department's.
    #[serde(default)]
    pub department: Option<String>,
    /// The first day it is in force: 2026-01-01 or 01/01/2026.
    pub from: String,
    /// person or department.
    pub per: String,
    /// month, quarter or year.
    pub every: String,
    pub amount: Value,
    /// value (VND) or quantity (the resource's unit).
    pub measure: String,
    /// The regulation's number and title: Quyết định số 02/QĐ-VP.
    pub regulation: String,
    pub regulation_date: String,
}

/// What the audit log and the API show of a norm.
pub fn norm_json(resource: &str, norm: &Norm) -> Value {
    json!({
        "resource": resource,
        "department": norm.department,
        "from": norm.from.to_string(),
        "per": norm.basis.as_str(),
        "every": norm.every.as_str(),
        "amount": norm.amount,
        "measure": norm.measure.as_str(),
        "regulation": norm.regulation,
        "regulation_date": norm.regulation_date.to_string(),
    })
}

fn day(text: &str, what_vi: &str) -> Result<jiff::civil::Date, CommandError> {
    parse_day(text).map_err(|e| match e {
        ApiError::BadRequest(en) => {
            refused(en, format!("{what_vi} `{}` không phải là ngày: hãy viết như 01/01/2026", text.trim()))
        }
        other => CommandError::Failed(other),
    })
}

/// Check and keep a norm.
pub async fn record(state: &AppState, admin: &Admin, body: SupplyNormBody) -> Result<SupplyNormRecord, CommandError> {
    let config = state.config();
    let supplies = supplies_in_force(state.store.as_ref(), &config).await.map_err(ApiError::from)?;
    let resource = body.resource.trim();
    let Some(supply) = supplies.iter().find(|s| s.id.as_str() == resource) else {
        let known: Vec<&str> = supplies.iter().map(|s| s.id.as_str()).collect();
        return Err(refused(
            format!("`{resource}` is not a configured resource: use one of {}", known.join(", ")),
            format!("Không có nguồn lực \"{resource}\": dùng một trong {}", known.join(", ")),
        ));
    };
    let department = match body.department.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => match text.parse::<DepartmentId>().ok().filter(|d| config.department(d).is_some()) {
            Some(d) => Some(d),
            None => {
                let known: Vec<&str> = config.departments.iter().map(|d| d.id.as_str()).collect();
                return Err(refused(
                    format!(
                        "`{text}` is not a configured department: use one of {}, or none for every department",
                        known.join(", ")
                    ),
                    format!(
                        "Không có phòng, ban \"{text}\": dùng một trong {}, hoặc để trống cho mọi phòng",
                        known.join(", ")
                    ),
                ));
            }
        },
    };
    let from = day(&body.from, "Ngày áp dụng")?;
    let regulation_date = day(&body.regulation_date, "Ngày ban hành")?;
    if regulation_date > from {
        return Err(refused(
            format!(
                "the regulation ({regulation_date}) is dated after the norm takes effect ({from}): check both dates"
            ),
            "Văn bản ban hành sau ngày áp dụng định mức: kiểm tra lại hai ngày",
        ));
    }
    let basis = NormBasis::parse(body.per.trim()).ok_or_else(|| {
        refused("`per` is person or department", "Định mức tính theo người (person) hoặc theo phòng (department)")
    })?;
    let every = NormEvery::parse(body.every.trim()).ok_or_else(|| {
        refused("`every` is month, quarter or year", "Kỳ định mức là tháng (month), quý (quarter) hoặc năm (year)")
    })?;
    let measure = Measure::parse(body.measure.trim()).ok_or_else(|| {
        refused("`measure` is value (VND) or quantity", "Định mức tính bằng tiền (value) hoặc số lượng (quantity)")
    })?;
    let amount = match &body.amount {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s).ok(),
        _ => None,
    }
    .filter(|a| a.is_finite() && *a > 0.0)
    .ok_or_else(|| {
        refused(
            "`amount` is the allowance, greater than 0: write it as 150000 or 150.000",
            "Mức định mức phải lớn hơn 0: hãy viết như 150000 hoặc 150.000",
        )
    })?;
    let regulation = body.regulation.trim().to_owned();
    if regulation.is_empty() {
        return Err(refused(
            "`regulation` is empty: name it, such as Quyết định số 02/QĐ-VP",
            "Chưa ghi văn bản: ghi số và tên, ví dụ Quyết định số 02/QĐ-VP",
        ));
    }
    let norm = Norm { department, from, basis, every, amount, measure, regulation, regulation_date };
    // Before: the norm in force for the same departments on that day.
    let before = supply
        .norms
        .iter()
        .filter(|n| n.department == norm.department && n.from <= from)
        .max_by_key(|n| n.from)
        .map(|n| norm_json(resource, n));
    let line = audit_line(admin.principal(), "supply_norms.change", move |record: &SupplyNormRecord| AuditDetail {
        target: format!(
            "{}{} from {}",
            record.resource,
            record.norm.department.as_ref().map(|d| format!("/{d}")).unwrap_or_default(),
            record.norm.from
        ),
        before,
        after: Some(norm_json(record.resource.as_str(), &record.norm)),
    });
    Ok(admin.store(state).record_supply_norm(supply.id.clone(), norm, admin.principal().name(), Some(line)).await?)
}
