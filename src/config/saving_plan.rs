//! The saving plan in the config: staffing over time, baselines, targets, emission factors and
//! tariffs. Raw TOML sections are checked here and become the typed [`Plan`]; every problem
//! names the key and the fix.

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::period::NamedPeriod;
use crate::domain::{DepartmentId, Resource, SupplyId};

mod tariffs;

pub use tariffs::Tariff;
pub(super) use tariffs::TariffEntry;
use tariffs::{default_tariffs, resolve_tariffs};

// ---- the file as written -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StaffingEntry {
    department: String,
    from: String,
    headcount: Option<u32>,
    area_m2: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BaselinesSection {
    #[serde(default = "default_reference")]
    reference: String,
    #[serde(default = "default_electricity_basis")]
    electricity: String,
    #[serde(default = "default_people_basis")]
    water: String,
    #[serde(default = "default_people_basis")]
    paper: String,
    #[serde(default)]
    entered: Vec<EnteredEntry>,
}

impl Default for BaselinesSection {
    fn default() -> Self {
        Self {
            reference: default_reference(),
            electricity: default_electricity_basis(),
            water: default_people_basis(),
            paper: default_people_basis(),
            entered: Vec::new(),
        }
    }
}

fn default_reference() -> String {
    "2025".to_owned()
}

fn default_electricity_basis() -> String {
    "per_working_day".to_owned()
}

fn default_people_basis() -> String {
    "per_person".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnteredEntry {
    resource: String,
    department: Option<String>,
    period: String,
    amount: f64,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TargetEntry {
    resource: String,
    saving_percent: f64,
    stretch_percent: Option<f64>,
    period: Option<String>,
    department: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmissionFactorEntry {
    resource: String,
    year: i16,
    value: f64,
    unit: String,
    kg_per_ream: Option<f64>,
    #[serde(default)]
    source: String,
}

/// The plan's sections as the file gives them; absent sections take the shipped defaults.
#[derive(Debug, Default)]
pub(super) struct PlanSections {
    pub staffing: Vec<StaffingEntry>,
    pub baselines: BaselinesSection,
    pub targets: Option<Vec<TargetEntry>>,
    pub emission_factors: Option<Vec<EmissionFactorEntry>>,
    pub tariffs: Option<Vec<TariffEntry>>,
}

// ---- the plan as the program uses it -------------------------------------------------------

/// Headcount and floor area of a department from a date on (until a later change).
#[derive(Debug, Clone, PartialEq)]
pub struct StaffingChange {
    pub department: DepartmentId,
    pub from: Date,
    pub headcount: Option<u32>,
    pub area_m2: Option<f64>,
}

/// How a baseline carries over to a period of another length or size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// In proportion to calendar time.
    Total,
    /// In proportion to person-days (headcount in force each day).
    PerPerson,
    /// In proportion to m²-days (floor area in force each day).
    PerM2,
    /// In proportion to the office's working days.
    PerWorkingDay,
}

impl Basis {
    pub fn parse(text: &str) -> Result<Basis, String> {
        match text {
            "total" => Ok(Basis::Total),
            "per_person" => Ok(Basis::PerPerson),
            "per_m2" => Ok(Basis::PerM2),
            "per_working_day" => Ok(Basis::PerWorkingDay),
            other => Err(format!("`{other}` is not a basis")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Basis::Total => "total",
            Basis::PerPerson => "per_person",
            Basis::PerM2 => "per_m2",
            Basis::PerWorkingDay => "per_working_day",
        }
    }
}

/// A baseline entered by hand (from old bills) for a department, or the whole office.
#[derive(Debug, Clone, PartialEq)]
pub struct EnteredBaseline {
    pub resource: Resource,
    pub department: Option<DepartmentId>,
    pub period: NamedPeriod,
    /// In the resource's canonical unit.
    pub amount: f64,
    pub note: String,
}

/// How baselines are found: computed from stored readings over `reference`, unless entered.
#[derive(Debug, Clone, PartialEq)]
pub struct Baselines {
    pub reference: NamedPeriod,
    pub electricity: Basis,
    pub water: Basis,
    pub paper: Basis,
    pub entered: Vec<EnteredBaseline>,
}

impl Baselines {
    pub fn basis(&self, resource: Resource) -> Basis {
        match resource {
            Resource::Electricity => self.electricity,
            Resource::Water => self.water,
            Resource::Paper => self.paper,
        }
    }

    /// The entered baseline for a resource and department (`None`: the whole office).
    pub fn entered(&self, resource: Resource, department: Option<&DepartmentId>) -> Option<&EnteredBaseline> {
        self.entered.iter().find(|e| e.resource == resource && e.department.as_ref() == department)
    }
}

/// A saving target: percent of the baseline, for every period or one, office-wide or for one
/// department. The most specific rule wins.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRule {
    pub resource: Resource,
    pub saving_percent: f64,
    pub stretch_percent: Option<f64>,
    pub period: Option<NamedPeriod>,
    pub department: Option<DepartmentId>,
}

impl TargetRule {
    /// How specific the rule is: a department counts more than a period.
    fn specificity(&self) -> u8 {
        u8::from(self.department.is_some()) * 2 + u8::from(self.period.is_some())
    }
}

/// A saving target for a configured resource (docs/resources.md): the same `[[targets]]`
/// entry naming the resource's id, its baseline the reference period's issue slips. Stretch
/// targets stay with the three metered resources.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyTargetRule {
    pub resource: SupplyId,
    pub saving_percent: f64,
    pub period: Option<NamedPeriod>,
    pub department: Option<DepartmentId>,
}

impl SupplyTargetRule {
    fn specificity(&self) -> u8 {
        u8::from(self.department.is_some()) * 2 + u8::from(self.period.is_some())
    }
}

/// Emissions per unit of a resource from a year on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EmissionFactor {
    pub resource: Resource,
    pub year: i16,
    /// As written in the config, in `unit`.
    pub value: f64,
    pub unit: String,
    /// Paper only: the weight of a ream of 500 sheets.
    pub kg_per_ream: Option<f64>,
    pub source: String,
    /// kg CO2e per canonical unit (kWh, m³, sheet).
    pub kg_per_unit: f64,
}

/// What is wrong with an emission factor: the field, what it says, and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorProblem {
    pub field: &'static str,
    pub message: String,
    pub fix: String,
}

impl EmissionFactor {
    /// A factor of `value` in `unit` (tCO2/MWh or kgCO2e/kWh, kgCO2e/m3, kgCO2e/kg with the
    /// ream's weight) for `resource` from `year` on.
    pub fn new(
        resource: Resource,
        year: i16,
        value: f64,
        unit: &str,
        kg_per_ream: Option<f64>,
        source: &str,
    ) -> Result<EmissionFactor, FactorProblem> {
        let wrong = |field, message: String, fix: String| Err(FactorProblem { field, message, fix });
        if !(value.is_finite() && value >= 0.0) {
            return wrong("value", format!("{value} is not an emission factor"), "give a number of 0 or more".into());
        }
        let kg_per_unit = match (resource, unit) {
            // 1 tCO2/MWh is 1 kg per kWh.
            (Resource::Electricity, "tCO2/MWh" | "kgCO2e/kWh") => value,
            (Resource::Water, "kgCO2e/m3") => value,
            (Resource::Paper, "kgCO2e/kg") => match kg_per_ream {
                Some(kg) if kg.is_finite() && kg > 0.0 => value * kg / crate::domain::SHEETS_PER_REAM,
                _ => {
                    return wrong(
                        "kg_per_ream",
                        "is missing or not a weight".into(),
                        "give the weight of a ream of 500 sheets, such as kg_per_ream = 2.5".into(),
                    );
                }
            },
            (_, unit) => {
                let want = match resource {
                    Resource::Electricity => "\"tCO2/MWh\" (or \"kgCO2e/kWh\")",
                    Resource::Water => "\"kgCO2e/m3\"",
                    Resource::Paper => "\"kgCO2e/kg\" with kg_per_ream",
                };
                return wrong(
                    "unit",
                    format!("`{unit}` is not a unit for a {resource} factor"),
                    format!("write unit = {want}"),
                );
            }
        };
        Ok(EmissionFactor {
            resource,
            year,
            value,
            unit: unit.to_owned(),
            kg_per_ream,
            source: source.to_owned(),
            kg_per_unit,
        })
    }
}

/// The office's saving plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub staffing: Vec<StaffingChange>,
    pub baselines: Baselines,
    pub targets: Vec<TargetRule>,
    pub supply_targets: Vec<SupplyTargetRule>,
    pub emission_factors: Vec<EmissionFactor>,
    pub tariffs: Vec<Tariff>,
}

impl Plan {
    /// The target rule for a resource, department (`None`: office) and period.
    pub fn target(
        &self,
        resource: Resource,
        department: Option<&DepartmentId>,
        period: &NamedPeriod,
    ) -> Option<&TargetRule> {
        self.targets
            .iter()
            .filter(|t| t.resource == resource)
            .filter(|t| t.department.is_none() || t.department.as_ref() == department)
            .filter(|t| t.period.is_none() || t.period.as_ref() == Some(period))
            .max_by_key(|t| t.specificity())
    }

    /// The target rule for a configured resource, as [`Plan::target`] chooses; over a range
    /// that is no named period (`None`), only rules for every period apply.
    pub fn supply_target(
        &self,
        resource: &SupplyId,
        department: Option<&DepartmentId>,
        period: Option<&NamedPeriod>,
    ) -> Option<&SupplyTargetRule> {
        self.supply_targets
            .iter()
            .filter(|t| &t.resource == resource)
            .filter(|t| t.department.is_none() || t.department.as_ref() == department)
            .filter(|t| t.period.is_none() || t.period.as_ref() == period)
            .max_by_key(|t| t.specificity())
    }

    /// The emission factor for a resource in a year: the latest one from that year or before,
    /// else the earliest known.
    pub fn emission_factor(&self, resource: Resource, year: i16) -> Option<&EmissionFactor> {
        let of_resource = || self.emission_factors.iter().filter(move |f| f.resource == resource);
        of_resource().filter(|f| f.year <= year).max_by_key(|f| f.year).or_else(|| of_resource().min_by_key(|f| f.year))
    }

    /// The tariff in force on a day, if any has started by then.
    pub fn tariff(&self, resource: Resource, day: Date) -> Option<&Tariff> {
        self.tariffs.iter().filter(|t| t.resource == resource && t.from <= day).max_by_key(|t| t.from)
    }
}

/// The defaults shipped when the config has no `[[targets]]`: Directive 20/CT-TTg (2023) asks
/// for at least 2 % less electricity a year; the office's own plan adds a 10 % stretch, 5 %
/// water and 10 % paper. Editable: write `[[targets]]` in the config, or change them in the app.
fn default_targets() -> Vec<TargetRule> {
    let rule = |resource, saving_percent, stretch_percent| TargetRule {
        resource,
        saving_percent,
        stretch_percent,
        period: None,
        department: None,
    };
    vec![
        rule(Resource::Electricity, 2.0, Some(10.0)),
        rule(Resource::Water, 5.0, None),
        rule(Resource::Paper, 10.0, None),
    ]
}

/// The latest official Vietnamese grid factor (2023) and a paper factor; editable.
fn default_emission_factors() -> Vec<EmissionFactor> {
    vec![
        EmissionFactor {
            resource: Resource::Electricity,
            year: 2023,
            value: 0.6592,
            unit: "tCO2/MWh".into(),
            kg_per_ream: None,
            source: "Hệ số phát thải lưới điện Việt Nam năm 2023 (Bộ Nông nghiệp và Môi trường)".into(),
            kg_per_unit: 0.6592,
        },
        EmissionFactor {
            resource: Resource::Paper,
            year: 2023,
            value: 0.919,
            unit: "kgCO2e/kg".into(),
            kg_per_ream: Some(2.5),
            source: "Giấy in văn phòng, hệ số sản xuất giấy (DEFRA 2023), 2,5 kg một ram".into(),
            kg_per_unit: 0.919 * 2.5 / crate::domain::SHEETS_PER_REAM,
        },
    ]
}

type Problem<'a> = &'a mut dyn FnMut(String, String, String);

pub(super) fn resolve_plan(
    raw: PlanSections,
    departments: &[DepartmentId],
    supplies: &[SupplyId],
    problem: Problem<'_>,
) -> Option<Plan> {
    let staffing = resolve_staffing(&raw.staffing, departments, problem);
    let baselines = resolve_baselines(&raw.baselines, departments, problem);
    let (targets, supply_targets) = match &raw.targets {
        None => (default_targets(), Vec::new()),
        Some(entries) => resolve_targets(entries, departments, supplies, problem),
    };
    let emission_factors = match &raw.emission_factors {
        None => default_emission_factors(),
        Some(entries) => resolve_factors(entries, problem),
    };
    let tariffs = match &raw.tariffs {
        None => default_tariffs(),
        Some(entries) => resolve_tariffs(entries, problem),
    };
    Some(Plan { staffing, baselines: baselines?, targets, supply_targets, emission_factors, tariffs })
}

fn resource(text: &str, key: &str, problem: Problem<'_>) -> Option<Resource> {
    match text.parse() {
        Ok(r) => Some(r),
        Err(e) => {
            problem(key.into(), format!("{e}"), "write resource = \"electricity\", \"water\" or \"paper\"".into());
            None
        }
    }
}

fn department(text: &str, key: &str, departments: &[DepartmentId], problem: Problem<'_>) -> Option<DepartmentId> {
    match text.parse::<DepartmentId>() {
        Ok(id) if departments.contains(&id) => Some(id),
        _ => {
            let ids: Vec<&str> = departments.iter().map(DepartmentId::as_str).collect();
            problem(
                key.into(),
                format!("`{text}` is not a configured department"),
                format!("use one of {} (or leave department out for the whole office)", ids.join(", ")),
            );
            None
        }
    }
}

fn date(text: &str, key: &str, problem: Problem<'_>) -> Option<Date> {
    match text.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            problem(key.into(), format!("`{text}` is not a date"), "write the date as \"2026-07-01\"".into());
            None
        }
    }
}

fn period(text: &str, key: &str, problem: Problem<'_>) -> Option<NamedPeriod> {
    match NamedPeriod::parse(text) {
        Ok(p) => Some(p),
        Err(e) => {
            problem(
                key.into(),
                e.to_string(),
                "write a year \"2025\", a quarter \"2026-Q3\", a month \"2026-11\" or a phase \"gd1\"/\"gd2\"".into(),
            );
            None
        }
    }
}

fn percent(value: f64, key: &str, problem: Problem<'_>) -> bool {
    let ok = value.is_finite() && (0.0..100.0).contains(&value);
    if !ok {
        problem(
            key.into(),
            format!("{value} is not a saving in percent"),
            "give a number from 0 to below 100, such as 2.0 for 2 %".into(),
        );
    }
    ok
}

fn resolve_staffing(
    entries: &[StaffingEntry],
    departments: &[DepartmentId],
    problem: Problem<'_>,
) -> Vec<StaffingChange> {
    let mut changes = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let key = |f: &str| format!("staffing[{i}].{f}");
        let dept = department(&e.department, &key("department"), departments, problem);
        let from = date(&e.from, &key("from"), problem);
        if e.headcount.is_none() && e.area_m2.is_none() {
            problem(
                key("headcount"),
                "neither headcount nor area_m2 is given".into(),
                "give the headcount, the area_m2, or both, in force from `from`".into(),
            );
        }
        if let Some(area) = e.area_m2.filter(|a| !(a.is_finite() && *a > 0.0)) {
            problem(
                key("area_m2"),
                format!("{area} is not a floor area"),
                "give the area in m², greater than 0".into(),
            );
        }
        if let (Some(department), Some(from)) = (dept, from) {
            changes.push(StaffingChange { department, from, headcount: e.headcount, area_m2: e.area_m2 });
        }
    }
    changes.sort_by_key(|c| c.from);
    changes
}

fn resolve_baselines(raw: &BaselinesSection, departments: &[DepartmentId], problem: Problem<'_>) -> Option<Baselines> {
    let reference = period(&raw.reference, "baselines.reference", problem);
    let mut basis = |text: &str, key: &str| match Basis::parse(text) {
        Ok(b) => Some(b),
        Err(e) => {
            problem(key.into(), e, "use \"total\", \"per_person\", \"per_m2\" or \"per_working_day\"".into());
            None
        }
    };
    let electricity = basis(&raw.electricity, "baselines.electricity");
    let water = basis(&raw.water, "baselines.water");
    let paper = basis(&raw.paper, "baselines.paper");
    let mut entered: Vec<EnteredBaseline> = Vec::new();
    for (i, e) in raw.entered.iter().enumerate() {
        let key = |f: &str| format!("baselines.entered[{i}].{f}");
        let res = resource(&e.resource, &key("resource"), problem);
        let dept = match &e.department {
            None => Some(None),
            Some(d) => department(d, &key("department"), departments, problem).map(Some),
        };
        let per = period(&e.period, &key("period"), problem);
        if !(e.amount.is_finite() && e.amount > 0.0) {
            problem(
                key("amount"),
                format!("{} is not an amount used", e.amount),
                "give the use over the period in kWh, m³ or sheets, greater than 0".into(),
            );
            continue;
        }
        let (Some(resource), Some(department), Some(period)) = (res, dept, per) else { continue };
        if entered.iter().any(|o| o.resource == resource && o.department == department) {
            problem(
                key("department"),
                "another entered baseline has this resource and department".into(),
                "keep one baseline per department and resource".into(),
            );
            continue;
        }
        entered.push(EnteredBaseline { resource, department, period, amount: e.amount, note: e.note.clone() });
    }
    Some(Baselines { reference: reference?, electricity: electricity?, water: water?, paper: paper?, entered })
}

/// What a `[[targets]]` entry is for: a metered resource or a configured one.
enum TargetOf<'a> {
    Metered(Resource),
    Supply(&'a SupplyId),
}

fn resolve_targets(
    entries: &[TargetEntry],
    departments: &[DepartmentId],
    supplies: &[SupplyId],
    problem: Problem<'_>,
) -> (Vec<TargetRule>, Vec<SupplyTargetRule>) {
    let mut rules: Vec<TargetRule> = Vec::new();
    let mut supply_rules: Vec<SupplyTargetRule> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let key = |f: &str| format!("targets[{i}].{f}");
        let of = match supplies.iter().find(|s| s.as_str() == e.resource) {
            Some(supply) => Some(TargetOf::Supply(supply)),
            None => target_resource(&e.resource, &key("resource"), supplies, problem).map(TargetOf::Metered),
        };
        let saving_ok = percent(e.saving_percent, &key("saving_percent"), problem);
        let mut stretch_ok = e.stretch_percent.is_none_or(|s| percent(s, &key("stretch_percent"), problem));
        if matches!(of, Some(TargetOf::Supply(_))) && e.stretch_percent.is_some() {
            problem(
                key("stretch_percent"),
                format!("a stretch target is kept for electricity, water and paper, not `{}`", e.resource),
                "leave stretch_percent out".into(),
            );
            stretch_ok = false;
        }
        if let Some(stretch) = e.stretch_percent.filter(|s| *s < e.saving_percent) {
            problem(
                key("stretch_percent"),
                format!("{stretch} is below saving_percent"),
                "a stretch target saves more than the target: raise it or leave it out".into(),
            );
        }
        let per = match &e.period {
            None => Some(None),
            Some(p) => period(p, &key("period"), problem).map(Some),
        };
        let dept = match &e.department {
            None => Some(None),
            Some(d) => department(d, &key("department"), departments, problem).map(Some),
        };
        let (Some(of), Some(period), Some(department), true, true) = (of, per, dept, saving_ok, stretch_ok) else {
            continue;
        };
        let duplicate = match of {
            TargetOf::Supply(s) => {
                supply_rules.iter().any(|r| &r.resource == s && r.period == period && r.department == department)
            }
            TargetOf::Metered(r) => {
                rules.iter().any(|t| t.resource == r && t.period == period && t.department == department)
            }
        };
        if duplicate {
            problem(
                key("resource"),
                "another target has the same resource, period and department".into(),
                "keep one of them".into(),
            );
            continue;
        }
        match of {
            TargetOf::Supply(s) => supply_rules.push(SupplyTargetRule {
                resource: s.clone(),
                saving_percent: e.saving_percent,
                period,
                department,
            }),
            TargetOf::Metered(resource) => rules.push(TargetRule {
                resource,
                saving_percent: e.saving_percent,
                stretch_percent: e.stretch_percent,
                period,
                department,
            }),
        }
    }
    (rules, supply_rules)
}

/// A target's resource: electricity, water or paper; a configured resource is found before.
fn target_resource(text: &str, key: &str, supplies: &[SupplyId], problem: Problem<'_>) -> Option<Resource> {
    match text.parse() {
        Ok(r) => Some(r),
        Err(e) => {
            let ids: Vec<&str> =
                ["electricity", "water", "paper"].into_iter().chain(supplies.iter().map(SupplyId::as_str)).collect();
            problem(key.into(), format!("{e}"), format!("write resource = one of {}", ids.join(", ")));
            None
        }
    }
}

fn resolve_factors(entries: &[EmissionFactorEntry], problem: Problem<'_>) -> Vec<EmissionFactor> {
    let mut factors: Vec<EmissionFactor> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let key = |f: &str| format!("emission_factors[{i}].{f}");
        let Some(res) = resource(&e.resource, &key("resource"), problem) else { continue };
        let factor = match EmissionFactor::new(res, e.year, e.value, &e.unit, e.kg_per_ream, &e.source) {
            Ok(factor) => factor,
            Err(FactorProblem { field, message, fix }) => {
                problem(key(field), message, fix);
                continue;
            }
        };
        if factors.iter().any(|f| f.resource == res && f.year == e.year) {
            problem(
                key("year"),
                format!("another {res} factor is for {}", e.year),
                "keep one factor per resource and year".into(),
            );
            continue;
        }
        factors.push(factor);
    }
    factors
}

#[cfg(test)]
pub(super) mod tests;
