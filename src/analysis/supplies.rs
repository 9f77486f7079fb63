//! The configured resources' figures over a named period (docs/resources.md): what each
//! department was issued on slips, its value, per person, and the office's total. Pure sums
//! of the store's slip lines.

use serde::Serialize;

use super::figures::FigureError;
use super::staffing::average_size;
use crate::config::{Config, Plan};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Measure, Supply, SupplyId, TimeRange};
use crate::store::{IssuedLine, StoreReads};

/// A department's (or the office's) use of one configured resource over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyUse {
    /// `None`: the whole office.
    pub department: Option<DepartmentId>,
    /// The items' quantities summed (meaningful when the resource's measure is quantity).
    pub quantity: f64,
    pub value_vnd: f64,
    /// The resource's figure, in its unit: the quantity or the value, as configured.
    pub amount: f64,
    /// The average headcount over the period.
    pub headcount: f64,
    /// `amount` a person; `None` without staff.
    pub per_person: Option<f64>,
    /// kg CO2e, for a resource with an emission factor.
    pub co2e_kg: Option<f64>,
    /// Slip lines counted.
    pub lines: usize,
}

/// One configured resource over a period: every department in config order, then the office.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyFigures {
    pub resource: SupplyId,
    pub name_vi: String,
    pub name_en: String,
    pub unit: String,
    pub measure: Measure,
    pub departments: Vec<SupplyUse>,
    pub office: SupplyUse,
}

/// The figures of every configured resource over `period`, in config order.
pub async fn all(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    period: &NamedPeriod,
) -> Result<Vec<SupplyFigures>, FigureError> {
    over(store, config, plan, period.range(&config.office.timezone)?).await
}

/// As [`all`], over any range: slips count by their date, so a range counts the local days it
/// touches.
pub async fn over(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    range: TimeRange,
) -> Result<Vec<SupplyFigures>, FigureError> {
    if config.supplies.is_empty() {
        return Ok(Vec::new());
    }
    let tz = &config.office.timezone;
    let first = range.from().to_zoned(tz.clone()).date();
    let end = range.to().to_zoned(tz.clone());
    let last_exclusive = if end.time() == jiff::civil::Time::midnight() {
        end.date()
    } else {
        end.date().tomorrow().unwrap_or(end.date())
    };
    let lines = store.issued(first, last_exclusive).await?;
    let figures = config
        .supplies
        .iter()
        .map(|supply| {
            let mine: Vec<&IssuedLine> = lines.iter().filter(|l| l.line.resource == supply.id).collect();
            let used = |department: Option<&DepartmentId>| {
                let (headcount, _) = average_size(config, plan, department, range.from(), range.to());
                use_of(supply, department, &mine, headcount)
            };
            SupplyFigures {
                resource: supply.id.clone(),
                name_vi: supply.name_vi.clone(),
                name_en: supply.name_en.clone(),
                unit: supply.unit.clone(),
                measure: supply.measure,
                departments: config.departments.iter().map(|d| used(Some(&d.id))).collect(),
                office: used(None),
            }
        })
        .collect();
    Ok(figures)
}

fn use_of(supply: &Supply, department: Option<&DepartmentId>, lines: &[&IssuedLine], headcount: f64) -> SupplyUse {
    let mine: Vec<&&IssuedLine> = lines.iter().filter(|l| department.is_none_or(|d| &l.department == d)).collect();
    let quantity: f64 = mine.iter().map(|l| l.line.quantity).sum();
    let value_vnd: f64 = mine.iter().map(|l| l.line.value_vnd).sum();
    let amount = supply.amount(quantity, value_vnd);
    SupplyUse {
        department: department.cloned(),
        quantity,
        value_vnd,
        amount,
        headcount,
        per_person: (headcount > 0.0).then(|| amount / headcount),
        co2e_kg: supply.co2e_kg_per_unit.map(|factor| quantity * factor),
        lines: mine.len(),
    }
}
