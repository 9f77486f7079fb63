//! Headcount and floor area in force on a day, and how much of a basis (days, person-days,
//! m²-days, working days) a span of time holds, so baselines carry over between periods.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use crate::config::{Basis, Config, Plan};
use crate::domain::DepartmentId;
use crate::domain::period::{PeriodError, local_midnight};

/// A department's headcount on `day`: the latest staffing change by then, else the config's.
pub fn headcount(config: &Config, plan: &Plan, department: &DepartmentId, day: Date) -> f64 {
    let changed = plan
        .staffing
        .iter()
        .filter(|c| &c.department == department && c.from <= day)
        .filter_map(|c| c.headcount)
        .next_back();
    let configured = config.department(department).map(|d| d.headcount).unwrap_or(0);
    f64::from(changed.unwrap_or(configured))
}

/// A department's floor area on `day`, as [`headcount`].
pub fn area_m2(config: &Config, plan: &Plan, department: &DepartmentId, day: Date) -> f64 {
    let changed = plan
        .staffing
        .iter()
        .filter(|c| &c.department == department && c.from <= day)
        .filter_map(|c| c.area_m2)
        .next_back();
    changed.unwrap_or_else(|| config.department(department).map(|d| d.area_m2).unwrap_or(0.0))
}

/// What one day counts for a basis, for a department or (`None`) the whole office.
fn day_weight(config: &Config, plan: &Plan, basis: Basis, department: Option<&DepartmentId>, day: Date) -> f64 {
    let sum = |each: &dyn Fn(&DepartmentId) -> f64| match department {
        Some(d) => each(d),
        None => config.departments.iter().map(|d| each(&d.id)).sum(),
    };
    match basis {
        Basis::Total => 1.0,
        Basis::PerWorkingDay => f64::from(u8::from(config.office.is_working_day(day))),
        Basis::PerPerson => sum(&|d| headcount(config, plan, d, day)),
        Basis::PerM2 => sum(&|d| area_m2(config, plan, d, day)),
    }
}

/// How much of `basis` the span `[from, to)` holds: days (a part of a day counts in
/// proportion), person-days, m²-days or working days.
pub fn basis_weight(
    config: &Config,
    plan: &Plan,
    basis: Basis,
    department: Option<&DepartmentId>,
    from: Timestamp,
    to: Timestamp,
) -> f64 {
    let [weight] = basis_weights(config, plan, [basis], department, from, to);
    weight
}

/// [`basis_weight`] of several bases over one pass of the span's days.
fn basis_weights<const N: usize>(
    config: &Config,
    plan: &Plan,
    bases: [Basis; N],
    department: Option<&DepartmentId>,
    from: Timestamp,
    to: Timestamp,
) -> [f64; N] {
    let tz = &config.office.timezone;
    let mut day = from.to_zoned(tz.clone()).date();
    let mut totals = [0.0; N];
    // A headcount or an area changes only on a staffing change's day: the weight is worked
    // out again on those days, not on each (for the whole office it sums every department).
    let sized = bases.map(|basis| matches!(basis, Basis::PerPerson | Basis::PerM2));
    let mut changes: Vec<Date> = plan
        .staffing
        .iter()
        .filter(|c| sized.contains(&true) && c.from > day && department.is_none_or(|d| &c.department == d))
        .map(|c| c.from)
        .collect();
    changes.sort_unstable();
    changes.dedup();
    let mut changes = changes.into_iter().peekable();
    let mut weights = bases.map(|basis| day_weight(config, plan, basis, department, day));
    // Each day's end is the next day's start: placing a date in the time zone is most of the
    // cost of a year of days, so each midnight is placed once.
    let Ok(mut start) = local_midnight(day, tz) else { return totals };
    while start < to {
        let Ok(next_day) = day.checked_add(1.day()) else { break };
        let Ok(end) = next_midnight(start, next_day, tz) else { break };
        let changed = changes.next_if(|changed| *changed <= day).is_some();
        while changes.next_if(|changed| *changed <= day).is_some() {}
        for ((weight, basis), sized) in weights.iter_mut().zip(bases).zip(sized) {
            if changed || !sized {
                *weight = day_weight(config, plan, basis, department, day);
            }
        }
        let overlap = (end.min(to).as_millisecond() - start.max(from).as_millisecond()).max(0) as f64;
        let length = (end.as_millisecond() - start.as_millisecond()) as f64;
        if overlap > 0.0 {
            for (total, weight) in totals.iter_mut().zip(weights) {
                *total += weight * overlap / length;
            }
        }
        day = next_day;
        start = end;
    }
    totals
}

/// The midnight that begins `next_day`, the day after the one that begins at `start`: 24 hours
/// on when the offset is the same then (always in Asia/Ho_Chi_Minh), else placed in the zone.
fn next_midnight(start: Timestamp, next_day: Date, tz: &jiff::tz::TimeZone) -> Result<Timestamp, PeriodError> {
    let day_later = start.checked_add(jiff::SignedDuration::from_hours(24)).ok();
    match day_later {
        Some(later) if tz.to_offset(later) == tz.to_offset(start) => Ok(later),
        _ => local_midnight(next_day, tz),
    }
}

/// The average headcount and floor area over `[from, to)`, for per-person and per-m² figures.
pub fn average_size(
    config: &Config,
    plan: &Plan,
    department: Option<&DepartmentId>,
    from: Timestamp,
    to: Timestamp,
) -> (f64, f64) {
    let [days, person_days, m2_days] =
        basis_weights(config, plan, [Basis::Total, Basis::PerPerson, Basis::PerM2], department, from, to);
    if days <= 0.0 {
        return (0.0, 0.0);
    }
    (person_days / days, m2_days / days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_next_midnight_is_the_one_the_time_zone_places() {
        for (zone, first) in
            [("Asia/Ho_Chi_Minh", "2025-12-25"), ("Europe/Berlin", "2026-03-20"), ("Europe/Berlin", "2026-10-20")]
        {
            let tz = jiff::tz::TimeZone::get(zone).unwrap();
            let mut day: Date = first.parse().unwrap();
            let mut start = local_midnight(day, &tz).unwrap();
            for _ in 0..20 {
                let next_day = day.tomorrow().unwrap();
                let end = next_midnight(start, next_day, &tz).unwrap();
                assert_eq!(end, local_midnight(next_day, &tz).unwrap(), "{zone} {next_day}");
                (day, start) = (next_day, end);
            }
        }
    }
}
