//! The building's common areas (Khu vực chung): halls, lifts, the server room, what the
//! building's main meter counts and no department's meter does. Shown as its own row next to
//! the departments, so that the departments and the common areas add up to the office.

use serde::Serialize;

use super::figures::{self, ConsumptionQuery, FigureError};
use super::series::select_meters;
use crate::config::Config;
use crate::domain::{Resource, Step, TimeRange};
use crate::store::StoreReads;

/// The id and name the common areas are listed under, beside the departments.
pub const ID: &str = "khu-vuc-chung";
pub const NAME_VI: &str = "Khu vực chung";
pub const NAME_EN: &str = "Common areas";

/// The common areas' use of a resource: the office's total less what the departments' own
/// meters counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommonArea {
    pub resource: Resource,
    pub unit: &'static str,
    /// The office's meters (a sub-meter not counted again).
    pub office_total: f64,
    /// The departments' meters.
    pub departments_total: f64,
    /// `office_total − departments_total`.
    pub amount: f64,
}

/// Whether the resource has a meter for the whole building (no department), and so common
/// areas to show.
pub fn has_common_area(config: &Config, resource: Resource) -> bool {
    config.meters.iter().any(|m| m.resource == resource && m.department.is_none())
}

/// Whether a department has a meter of its own for the resource.
pub fn has_own_meter(config: &Config, resource: Resource, department: &crate::domain::DepartmentId) -> bool {
    !select_meters(&config.meters, resource, Some(department)).is_empty()
}

/// The common areas' use over `range`, or `None` when no meter covers the whole building.
pub async fn common_area(
    store: &dyn StoreReads,
    config: &Config,
    resource: Resource,
    range: TimeRange,
) -> Result<Option<CommonArea>, FigureError> {
    if !has_common_area(config, resource) {
        return Ok(None);
    }
    let total = |department| ConsumptionQuery { resource, department, meter: None, range, step: Step::Month };
    let office_total = figures::consumption(store, config, &total(None)).await?.total;
    let mut departments_total = 0.0;
    for department in config.departments.iter().filter(|d| has_own_meter(config, resource, &d.id)) {
        departments_total += figures::consumption(store, config, &total(Some(department.id.clone()))).await?.total;
    }
    Ok(Some(CommonArea {
        resource,
        unit: resource.canonical_unit().config_name(),
        office_total,
        departments_total,
        amount: office_total - departments_total,
    }))
}
