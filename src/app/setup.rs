//! The office's departments and meters at start-up (docs/setup.md): a new store takes the
//! config file's; after that the store's are in force. One the file has and the store lacks
//! is added (and audited as the config file's doing); a key on which they disagree is
//! reported, the store's value kept.

use std::collections::BTreeMap;

use crate::config::{
    Config, ConfigError, SetupDifference, check_departments, check_meters, compare_calendar, compare_departments,
    compare_meters,
};
use crate::domain::{DepartmentId, YearDays};
use crate::ingest::{ConfigInForce, Pipeline};
use crate::store::{Actor, AuditDetail, AuditLine, DepartmentChange, MeterChange, Store};

use super::StartError;

/// Put the store's departments in `config` and its meters in force in `pipeline`; where the
/// file disagrees with the store.
pub(super) async fn live_setup(
    config: &mut Config,
    store: &dyn Store,
    pipeline: &Pipeline,
) -> Result<Vec<SetupDifference>, StartError> {
    let mut differences = live_departments(config, store).await?;
    let problem =
        |problems| StartError::Setup(ConfigError { file: format!("the meters kept in {}", config.store), problems });
    let departments: Vec<DepartmentId> = config.departments.iter().map(|d| d.id.clone()).collect();
    if store.seed_meters(config.meter_specs.clone()).await? {
        tracing::info!(meters = config.meter_specs.len(), "setup: the new store took the config file's meters");
    }
    let kept: Vec<_> = store.meter_setup().await?.into_iter().map(|r| r.spec).collect();
    let (new, meter_differences) = compare_meters(&config.meter_specs, &kept);
    differences.extend(meter_differences);
    if !new.is_empty() {
        let mut specs = kept.clone();
        specs.extend(new.iter().map(|s| (*s).clone()));
        let checked = check_meters(&specs, &departments).map_err(problem)?;
        for spec in new {
            let Some(meter) = checked.iter().find(|m| m.id.as_str() == spec.id) else { continue };
            tracing::info!(meter = %spec.id, "setup: added the config file's new meter to the store");
            let actor = Actor { name: format!("config file {}", config.source), address: None };
            let line = AuditLine::new(actor, "meters.add", |change: &MeterChange| AuditDetail {
                target: change.after.spec.id.clone(),
                before: None,
                after: serde_json::to_value(&change.after.spec).ok(),
            });
            store.put_meter(spec.clone(), meter.clone(), Some(line)).await?;
        }
    }
    warn(config, &differences);
    let records = store.meter_setup().await?;
    let meters = pipeline.set_setup(&records, &departments).map_err(problem)?;
    store.use_meters(&meters);
    Ok(differences)
}

/// Put the calendar's years kept in the store in force in `live`; where the file's calendar
/// disagrees with them (docs/calendar.md).
pub(super) async fn live_calendar(
    config: &Config,
    store: &dyn Store,
    live: &ConfigInForce,
) -> Result<Vec<SetupDifference>, StartError> {
    let years: Vec<YearDays> = store.calendar_years().await?.into_iter().map(|r| r.days).collect();
    let latest: BTreeMap<i16, &YearDays> = years.iter().map(|y| (y.year.year, y)).collect();
    let latest: Vec<YearDays> = latest.into_values().cloned().collect();
    let differences = compare_calendar(&config.file_calendar, &latest);
    warn(config, &differences);
    live.set_calendar_years(years);
    Ok(differences)
}

/// Each difference in the log, with the admin page where it is fixed.
fn warn(config: &Config, differences: &[SetupDifference]) {
    for d in differences {
        let page = if d.key.starts_with("departments") {
            "Quản lý phòng, ban"
        } else if d.key.starts_with("office.") {
            "Lịch làm việc"
        } else {
            "Quản lý công tơ"
        };
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not there)".into());
        tracing::warn!(
            "setup: {}: {} says {}, the store keeps {}; the store's value is in force; fix: change it in the web app (Quản trị › {page}), or write the store's value into the file (`xanh config export`)",
            d.key,
            config.source,
            shown(&d.file),
            shown(&d.store)
        );
    }
}

/// Seed or compare the departments, add the file's new ones, and put the store's in `config`;
/// where the file disagrees with the store.
async fn live_departments(config: &mut Config, store: &dyn Store) -> Result<Vec<SetupDifference>, StartError> {
    let problem = |problems| {
        StartError::Setup(ConfigError { file: format!("the departments kept in {}", config.store), problems })
    };
    if store.seed_departments(config.department_specs.clone()).await? {
        tracing::info!(
            departments = config.department_specs.len(),
            "setup: the new store took the config file's departments"
        );
    }
    let kept = store.department_setup().await?;
    let (new, differences) = compare_departments(&config.department_specs, &kept);
    for spec in new {
        tracing::info!(department = %spec.id, "setup: added the config file's new department to the store");
        let actor = Actor { name: format!("config file {}", config.source), address: None };
        let line = AuditLine::new(actor, "departments.add", |change: &DepartmentChange| AuditDetail {
            target: change.after.id.clone(),
            before: None,
            after: serde_json::to_value(&change.after).ok(),
        });
        store.put_department(None, spec.clone(), Some(line)).await?;
    }
    config.departments = check_departments(&store.department_setup().await?).map_err(problem)?;
    Ok(differences)
}
