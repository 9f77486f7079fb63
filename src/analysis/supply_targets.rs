//! A configured resource's use against its saving target (docs/resources.md): the baseline is
//! what the slips of the plan's reference period (the baseline year) gave, in the resource's
//! measure, carried over to the days of the period that have begun in proportion to calendar
//! time; the target is that baseline less the rule's saving percent.

use jiff::civil::Date;
use serde::Serialize;

use crate::config::Plan;
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Measure, Supply};
use crate::locale::{self, Lang};

/// Use against the saving target over the days of the period that have begun.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyTarget {
    /// The baseline year (the plan's `[baselines] reference`).
    pub reference: NamedPeriod,
    pub saving_percent: f64,
    /// The reference period's use, in the resource's unit; `None`: no slip of the resource
    /// then ("chưa có số liệu năm gốc"), so no baseline and no saving.
    pub reference_amount: Option<f64>,
    /// Carried over to the whole period: `reference_amount × period_days / reference_days`.
    pub baseline: Option<f64>,
    /// Carried over to the days begun: `reference_amount × days / reference_days`.
    pub baseline_to_date: Option<f64>,
    /// The baselines less the saving.
    pub target: Option<f64>,
    pub target_to_date: Option<f64>,
    /// The use over the days begun, in the resource's unit.
    pub used: f64,
    /// `(baseline_to_date − used) / baseline_to_date` in percent.
    pub saving_achieved_percent: Option<f64>,
    /// Whether the use is within the target to date.
    pub on_track: Option<bool>,
    /// The days of the period begun, of the whole period and of the reference period.
    pub days: i32,
    pub period_days: i32,
    pub reference_days: i32,
    /// How it was worked out (Vietnamese).
    pub explain: String,
}

/// The days of the period begun, of the whole period and of the reference period.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub days: i32,
    pub period_days: i32,
    pub reference_days: i32,
}

impl Span {
    /// From the period's first day to `last_exclusive` or `today` (included), whichever comes
    /// first, against the reference period's days.
    pub fn new(first: Date, last_exclusive: Date, today: Date, reference: &NamedPeriod) -> Span {
        let end = last_exclusive.min(today.tomorrow().unwrap_or(today));
        let (ref_first, ref_last_exclusive) = reference.days();
        let days_between = |a: Date, b: Date| a.until(b).map(|s| s.get_days()).unwrap_or(0).max(0);
        Span {
            days: days_between(first, end),
            period_days: days_between(first, last_exclusive),
            reference_days: days_between(ref_first, ref_last_exclusive),
        }
    }
}

/// A department's (or, with `None`, the office's) use against its target, where a rule
/// applies (`period`: the named period asked for, which rules for one period need); `reference_use` is the reference period's use and `None` without any slip then.
pub fn against_target(
    plan: &Plan,
    supply: &Supply,
    department: Option<&DepartmentId>,
    period: Option<&NamedPeriod>,
    span: Span,
    reference_use: Option<f64>,
    used: f64,
) -> Option<SupplyTarget> {
    let rule = plan.supply_target(&supply.id, department, period)?;
    let reference = plan.baselines.reference;
    let unit = |v: f64| match supply.measure {
        Measure::Value => format!("{} đ", locale::number(v, 0, Lang::Vi)),
        Measure::Quantity => format!("{} {}", locale::number(v, 2, Lang::Vi), supply.unit),
    };
    let percent = |v: f64| format!("{} %", locale::number(v, 1, Lang::Vi));
    let Some(reference_amount) = reference_use.filter(|_| span.reference_days > 0) else {
        return Some(SupplyTarget {
            reference,
            saving_percent: rule.saving_percent,
            reference_amount: None,
            baseline: None,
            baseline_to_date: None,
            target: None,
            target_to_date: None,
            used,
            saving_achieved_percent: None,
            on_track: None,
            days: span.days,
            period_days: span.period_days,
            reference_days: span.reference_days,
            explain: format!(
                "Mục tiêu tiết kiệm {} so với năm gốc {reference}: chưa có số liệu năm gốc (không có phiếu xuất kho); đã dùng {}.",
                percent(rule.saving_percent),
                unit(used)
            ),
        });
    };
    let carried = |days: i32| reference_amount * f64::from(days) / f64::from(span.reference_days);
    let kept = 1.0 - rule.saving_percent / 100.0;
    let (baseline, baseline_to_date) = (carried(span.period_days), carried(span.days));
    let (target, target_to_date) = (baseline * kept, baseline_to_date * kept);
    // Before the period begins there is nothing to judge yet.
    let begun = span.days > 0;
    let achieved = (begun && baseline_to_date > 0.0).then(|| (baseline_to_date - used) / baseline_to_date * 100.0);
    let on_track = begun.then_some(used <= target_to_date);
    let verdict = match (achieved, on_track) {
        (Some(a), Some(true)) => format!("tiết kiệm được {}: đạt mục tiêu", percent(a)),
        (Some(a), _) => format!("tiết kiệm được {}: không đạt mục tiêu", percent(a)),
        (None, Some(true)) => "đạt mục tiêu".to_owned(),
        (None, Some(false)) => "không đạt mục tiêu".to_owned(),
        (None, None) => "kỳ chưa bắt đầu".to_owned(),
    };
    Some(SupplyTarget {
        reference,
        saving_percent: rule.saving_percent,
        reference_amount: Some(reference_amount),
        baseline: Some(baseline),
        baseline_to_date: Some(baseline_to_date),
        target: Some(target),
        target_to_date: Some(target_to_date),
        used,
        saving_achieved_percent: achieved,
        on_track,
        days: span.days,
        period_days: span.period_days,
        reference_days: span.reference_days,
        explain: format!(
            "Năm gốc {reference}: {} × {}/{} ngày = {}; mục tiêu tiết kiệm {}: {} × {} = {}; đã dùng {}, {verdict}.",
            unit(reference_amount),
            span.days,
            span.reference_days,
            unit(baseline_to_date),
            percent(rule.saving_percent),
            unit(baseline_to_date),
            percent(100.0 - rule.saving_percent),
            unit(target_to_date),
            unit(used)
        ),
    })
}
