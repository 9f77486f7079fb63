//! The configured resources' figures over a named period (docs/resources.md): what each
//! department was issued on slips, its value, per person, and the office's total. Pure sums
//! of the store's slip lines.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::figures::FigureError;
use super::staffing::{average_size, headcount};
use super::supply_targets::{Span, SupplyTarget, against_target};
use crate::config::{Config, Plan};
use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Measure, Month, Norm, NormBasis, NormEvery, Supply, SupplyId, TimeRange};
use crate::locale::{self, Lang};
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
    /// Use against the internal spending regulation's norm, where one is in force.
    pub norm: Option<NormUse>,
    /// Use against the saving target and its baseline year, where a target applies.
    pub target: Option<SupplyTarget>,
}

/// Use against the norm over the months of the period that have begun.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormUse {
    /// In VND (value) or the resource's unit (quantity), as the norm is given.
    pub measure: Measure,
    pub allowance: f64,
    /// The use in the norm's measure.
    pub used: f64,
    /// `used` in percent of `allowance`.
    pub percent: Option<f64>,
    pub over: bool,
    /// The regulations the allowance came from, each once: "Quyết định số 15/QĐ-VP ngày 20/12/2024".
    pub sources: Vec<String>,
    /// How the allowance was worked out (Vietnamese).
    pub explain: String,
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
    now: Timestamp,
) -> Result<Vec<SupplyFigures>, FigureError> {
    over(store, config, plan, period.range(&config.office.timezone)?, Some(period), now).await
}

/// As [`all`], over any range: slips count by their date, so a range counts the local days it
/// touches. Saving targets given for one period apply only when `period` names it.
pub async fn over(
    store: &dyn StoreReads,
    config: &Config,
    plan: &Plan,
    range: TimeRange,
    period: Option<&NamedPeriod>,
    now: Timestamp,
) -> Result<Vec<SupplyFigures>, FigureError> {
    // The config's resources with the prices and norms entered in the app.
    let supplies = super::supplies_in_force::supplies_in_force(store, config).await?;
    if supplies.is_empty() {
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
    // The baseline year's slips, for the saving targets.
    let reference = plan.baselines.reference;
    let (reference_first, reference_last_exclusive) = reference.days();
    let reference_lines = if plan.supply_targets.is_empty() {
        Vec::new()
    } else {
        store.issued(reference_first, reference_last_exclusive).await?
    };
    let span = Span::new(first, last_exclusive, now.to_zoned(tz.clone()).date(), &reference);
    // Norms count whole months, those of the range that have begun.
    let this_month = Month::of(now.to_zoned(tz.clone()).date());
    let mut months = Vec::new();
    let mut month = Month::of(first);
    while month.first_day() < last_exclusive && month <= this_month {
        months.push(month);
        month = month.next();
    }
    let figures = supplies
        .iter()
        .map(|supply| {
            let mine: Vec<&IssuedLine> = lines.iter().filter(|l| l.line.resource == supply.id).collect();
            let used = |department: Option<&DepartmentId>| {
                let (headcount, _) = average_size(config, plan, department, range.from(), range.to());
                use_of(supply, department, &mine, headcount)
            };
            let mut departments: Vec<SupplyUse> = config.departments.iter().map(|d| used(Some(&d.id))).collect();
            let theirs: Vec<&IssuedLine> = reference_lines.iter().filter(|l| l.line.resource == supply.id).collect();
            let on_target = |use_: &mut SupplyUse| {
                let department = use_.department.as_ref();
                let before = use_of(supply, department, &theirs, 0.0);
                let reference_use = (before.lines > 0).then_some(before.amount);
                use_.target = against_target(plan, supply, department, period, span, reference_use, use_.amount);
            };
            for use_ in &mut departments {
                if let Some(d) = use_.department.clone() {
                    use_.norm = department_norm(config, plan, supply, &d, &months, use_);
                }
                on_target(use_);
            }
            let mut office = used(None);
            office.norm = office_norm(&departments, &office);
            on_target(&mut office);
            SupplyFigures {
                resource: supply.id.clone(),
                name_vi: supply.name_vi.clone(),
                name_en: supply.name_en.clone(),
                unit: supply.unit.clone(),
                measure: supply.measure,
                departments,
                office,
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
        norm: None,
        target: None,
    }
}

/// Over the allowance by more than the rounding of a quarter's or a year's allowance spread
/// over its months: 2 cartridges a quarter, all 2 used, is within the norm.
fn exceeds(spent: f64, allowance: f64) -> bool {
    spent > allowance + 1e-9 * allowance.abs().max(1.0)
}

fn in_measure(measure: Measure, used: &SupplyUse) -> f64 {
    match measure {
        Measure::Value => used.value_vnd,
        Measure::Quantity => used.quantity,
    }
}

fn vietnamese_date(day: Date) -> String {
    format!("{:02}/{:02}/{}", day.day(), day.month(), day.year())
}

/// A department's allowance over `months`: each month's from the norm in force on its first
/// day (per person: times the headcount then), the months of one norm explained together.
fn department_norm(
    config: &Config,
    plan: &Plan,
    supply: &Supply,
    department: &DepartmentId,
    months: &[Month],
    used: &SupplyUse,
) -> Option<NormUse> {
    let mut allowance = 0.0;
    let mut parts: Vec<(&Norm, Vec<Month>, f64, f64)> = Vec::new();
    let mut measure = None;
    for month in months {
        let Some(norm) = supply.norm_on(department, month.first_day()) else { continue };
        // A revision may change the measure; the first month's is the comparison's.
        if *measure.get_or_insert(norm.measure) != norm.measure {
            continue;
        }
        let people = match norm.basis {
            NormBasis::Person => headcount(config, plan, department, month.first_day()),
            NormBasis::Department => 1.0,
        };
        let amount = norm.per_month() * people;
        allowance += amount;
        match parts.last_mut() {
            Some((n, months, p, sum)) if std::ptr::eq(*n, norm) && *p == people => {
                months.push(*month);
                *sum += amount;
            }
            _ => parts.push((norm, vec![*month], people, amount)),
        }
    }
    let measure = measure?;
    let unit = |v: f64| match measure {
        Measure::Value => format!("{} đ", locale::number(v, 0, Lang::Vi)),
        Measure::Quantity => format!("{} {}", locale::number(v, 2, Lang::Vi), supply.unit),
    };
    let mut sources: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for (norm, months, people, sum) in &parts {
        let source = format!("{} ngày {}", norm.regulation, vietnamese_date(norm.regulation_date));
        if !sources.contains(&source) {
            sources.push(source.clone());
        }
        let span = match (months.first(), months.last()) {
            (Some(a), Some(b)) if a == b => format!("tháng {:02}/{}", a.month(), a.year()),
            (Some(a), Some(b)) => format!("tháng {:02}/{}–{:02}/{}", a.month(), a.year(), b.month(), b.year()),
            _ => String::new(),
        };
        let whom = match norm.basis {
            NormBasis::Person => {
                format!("/người/{} × {} người", norm.every.vietnamese(), locale::number(*people, 0, Lang::Vi))
            }
            NormBasis::Department => format!("/phòng/{}", norm.every.vietnamese()),
        };
        let spread = match norm.every {
            NormEvery::Month => String::new(),
            every => format!(" ÷ {} tháng", every.months()),
        };
        lines.push(format!(
            "{span}: {}{whom}{spread} × {} tháng = {} (theo {source})",
            unit(norm.amount),
            months.len(),
            unit(*sum)
        ));
    }
    let spent = in_measure(measure, used);
    let percent = (allowance > 0.0).then(|| spent / allowance * 100.0);
    let verdict = match percent {
        Some(p) => format!(
            "đã dùng {} = {} % định mức: {}",
            unit(spent),
            locale::number(p, 1, Lang::Vi),
            if exceeds(spent, allowance) { "vượt định mức" } else { "trong định mức" }
        ),
        None => format!("đã dùng {}", unit(spent)),
    };
    Some(NormUse {
        measure,
        allowance,
        used: spent,
        percent,
        over: exceeds(spent, allowance),
        sources,
        explain: format!("Định mức {}; cộng {}; {verdict}.", lines.join("; "), unit(allowance)),
    })
}

/// The office's allowance: its departments' together, against the office's use.
fn office_norm(departments: &[SupplyUse], office: &SupplyUse) -> Option<NormUse> {
    let normed: Vec<&NormUse> = departments.iter().filter_map(|d| d.norm.as_ref()).collect();
    let measure = normed.first()?.measure;
    let allowance: f64 = normed.iter().filter(|n| n.measure == measure).map(|n| n.allowance).sum();
    let spent = in_measure(measure, office);
    let mut sources: Vec<String> = Vec::new();
    for source in normed.iter().flat_map(|n| &n.sources) {
        if !sources.contains(source) {
            sources.push(source.clone());
        }
    }
    let percent = (allowance > 0.0).then(|| spent / allowance * 100.0);
    Some(NormUse {
        measure,
        allowance,
        used: spent,
        percent,
        over: exceeds(spent, allowance),
        sources,
        explain: format!(
            "Định mức cả văn phòng: cộng định mức của {} phòng, ban = {}.",
            normed.len(),
            locale::number(allowance, 2, Lang::Vi)
        ),
    })
}
