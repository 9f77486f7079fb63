//! The plan in force: the config's baselines and targets with the web app's edits laid over
//! them, the latest edit of each baseline or target winning.

use std::collections::BTreeMap;

use crate::config::{Config, EnteredBaseline, Plan, TargetRule};
use crate::store::{PlanEditRecord, PlanValue, StoreError, StoreReads};

/// The config's plan with the stored edits over it, and the headcount and floor area
/// changes, prices and emission factors entered in the app after the config's (on the same day, the app's win).
pub async fn in_force(store: &dyn StoreReads, config: &Config) -> Result<Plan, StoreError> {
    let mut plan = overlay(&config.plan, &store.plan_edits().await?);
    plan.staffing.extend(store.staffing_changes().await?.into_iter().map(|r| r.change));
    // Stable: of two changes from one day the later one is in force.
    plan.staffing.sort_by_key(|c| c.from);
    plan.tariffs.extend(store.tariff_changes().await?.into_iter().map(|r| r.tariff));
    // Stable, and `Plan::tariff` takes the last of a day's: the latest price entered wins.
    plan.tariffs.sort_by_key(|t| (t.resource, t.from));
    plan.emission_factors.extend(store.factor_changes().await?.into_iter().map(|r| r.factor));
    // Stable, and `Plan::emission_factor` takes the last of a year's: the latest entered wins.
    plan.emission_factors.sort_by_key(|f| (f.resource, f.year));
    Ok(plan)
}

/// `plan` with `edits` (oldest first) applied: an edit sets a baseline or a target, or (with
/// no new value) takes it back to the config's.
pub fn overlay(plan: &Plan, edits: &[PlanEditRecord]) -> Plan {
    // The latest edit per baseline (resource, department) and per target (resource,
    // department, period).
    let mut latest = BTreeMap::new();
    for record in edits {
        let e = &record.edit;
        let period = if e.target { e.period.map(|p| p.to_string()) } else { None };
        latest.insert((e.target, e.resource, e.department.clone(), period), record);
    }
    let mut plan = plan.clone();
    for record in latest.values() {
        let e = &record.edit;
        // An edit without a new value leaves the config's rule, which `plan` still holds.
        if let (true, Some(PlanValue::Target { saving_percent, stretch_percent })) = (e.target, &e.new) {
            plan.targets
                .retain(|t| !(t.resource == e.resource && t.department == e.department && t.period == e.period));
            plan.targets.push(TargetRule {
                resource: e.resource,
                saving_percent: *saving_percent,
                stretch_percent: *stretch_percent,
                period: e.period,
                department: e.department.clone(),
            });
        } else if let (Some(PlanValue::Baseline { amount, note }), Some(period)) = (&e.new, e.period) {
            plan.baselines.entered.retain(|b| !(b.resource == e.resource && b.department == e.department));
            plan.baselines.entered.push(EnteredBaseline {
                resource: e.resource,
                department: e.department.clone(),
                period,
                amount: *amount,
                note: note.clone(),
            });
        }
    }
    plan
}
