//! An emission factor of electricity, water or paper from a year on, entered in the web app;
//! the CO2e figures follow it at once (`analysis::plan_in_force` lays it over the config's
//! `[[emission_factors]]`).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::plan_in_force::in_force;
use crate::config::EmissionFactor;
use crate::ingest::manual::parse_number;
use crate::store::{AuditDetail, FactorRecord};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::commands::{CommandError, audit_line, refused, resource_sent};

/// A factor as sent: numbers may be JSON numbers or text (0,6592).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorBody {
    /// electricity, water or paper.
    pub resource: String,
    /// The first year it is for: 2026.
    pub year: Value,
    pub value: Value,
    /// tCO2/MWh or kgCO2e/kWh, kgCO2e/m3, kgCO2e/kg.
    pub unit: String,
    /// Paper only: the weight of a ream of 500 sheets, in kg.
    #[serde(default)]
    pub kg_per_ream: Option<Value>,
    #[serde(default)]
    pub source: String,
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if !s.trim().is_empty() => parse_number(s).ok(),
        _ => None,
    }
}

/// What the audit log and the API show of a factor.
pub fn factor_json(factor: &EmissionFactor) -> Value {
    json!({
        "resource": factor.resource,
        "year": factor.year,
        "value": factor.value,
        "unit": factor.unit,
        "kg_per_ream": factor.kg_per_ream,
        "source": factor.source,
    })
}

/// Check and keep an emission factor.
pub async fn record(state: &AppState, admin: &Admin, body: FactorBody) -> Result<FactorRecord, CommandError> {
    let resource = resource_sent(&body.resource)?;
    let year = number(&body.year).filter(|y| y.fract() == 0.0 && (2000.0..=2100.0).contains(y)).ok_or_else(|| {
        refused("`year` is a year from 2000 to 2100, such as 2026", "Năm phải từ 2000 đến 2100, như 2026")
    })?;
    let value = number(&body.value).ok_or_else(|| {
        refused("`value` is not a number: write it as 0.6592 or 0,6592", "Hệ số phải là một số, như 0,6592")
    })?;
    let kg_per_ream = match body.kg_per_ream.as_ref() {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(number(v).ok_or_else(|| {
            refused("`kg_per_ream` is not a weight: write it as 2.5", "Khối lượng một ram phải là một số, như 2,5")
        })?),
    };
    let factor = EmissionFactor::new(resource, year as i16, value, body.unit.trim(), kg_per_ream, body.source.trim())
        .map_err(|p| {
        let vi = match p.field {
            "value" => "Hệ số phải là một số từ 0 trở lên".to_owned(),
            "kg_per_ream" => "Giấy cần khối lượng một ram 500 tờ (kg), như 2,5".to_owned(),
            _ => format!("`{}` không phải là đơn vị của hệ số {resource}: {}", body.unit.trim(), p.fix),
        };
        refused(format!("`{}` {}: {}", p.field, p.message, p.fix), vi)
    })?;
    let plan = in_force(state.store.as_ref(), &state.config()).await?;
    let before = plan.emission_factor(resource, factor.year).map(factor_json);
    let line = audit_line(admin.principal(), "emission_factors.change", move |record: &FactorRecord| AuditDetail {
        target: format!("{} from {}", record.factor.resource, record.factor.year),
        before,
        after: Some(factor_json(&record.factor)),
    });
    Ok(admin.store(state).record_factor(factor, admin.principal().name(), Some(line)).await?)
}
