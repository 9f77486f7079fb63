//! The scoring rubric: points per criterion, how they follow from the saving achieved against
//! the target, deductions, and the classification thresholds. The shipped rubric is a default
//! an office replaces with its own `[scoring]` section.

use serde::{Deserialize, Serialize};

/// What a department is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Electricity,
    Water,
    Paper,
    /// The share of documents issued electronically.
    Documents,
    /// The share of meetings held paperless, against `[meetings] target_percent`; scored once
    /// the office counts its meetings in the period.
    Meetings,
    /// A configured resource (stationery, toner, fuel) against its norm; scored for each
    /// resource with a norm in force (the score names which).
    Supply,
}

impl Criterion {
    /// The criteria every office is scored on; their points make the rubric's scale.
    pub const CORE: [Criterion; 4] = [Criterion::Electricity, Criterion::Water, Criterion::Paper, Criterion::Documents];

    pub fn code(self) -> &'static str {
        match self {
            Criterion::Electricity => "electricity",
            Criterion::Water => "water",
            Criterion::Paper => "paper",
            Criterion::Documents => "documents",
            Criterion::Meetings => "meetings",
            Criterion::Supply => "supply",
        }
    }
}

/// How one criterion's points follow from what was achieved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionRule {
    /// Points for reaching the target; below it, in proportion to the way to it.
    pub points: f64,
    /// Extra points per percentage point beyond the target, up to `bonus_max`.
    pub bonus_per_point: f64,
    pub bonus_max: f64,
    /// Points taken per percentage point of use above the baseline, up to `deduction_max`
    /// (0: no deduction, the criterion scores zero).
    pub deduction_per_point: f64,
    pub deduction_max: f64,
    /// Points taken when the criterion has no data for the period.
    pub missing_data: f64,
    /// Documents only: the share to reach, in percent (the movement asks for 100).
    pub target_percent: Option<f64>,
}

/// A classification reached with at least `min_points` in all and at least
/// `min_share_percent` of each criterion's points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Class {
    pub name: String,
    pub min_points: f64,
    pub min_share_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rubric {
    pub electricity: CriterionRule,
    pub water: CriterionRule,
    pub paper: CriterionRule,
    pub documents: CriterionRule,
    /// Paperless meetings, once counted: points for the share against its target (the target
    /// is `[meetings] target_percent`).
    pub meetings: CriterionRule,
    /// Each configured resource with a norm: `points` while within it; over it, none, less
    /// `deduction_per_point` a percentage point over the allowance, up to `deduction_max`.
    pub supplies: CriterionRule,
    /// Highest first.
    pub classes: Vec<Class>,
    /// The classification of a department that reaches none of `classes`.
    pub unclassified: String,
}

impl Rubric {
    pub fn rule(&self, criterion: Criterion) -> &CriterionRule {
        match criterion {
            Criterion::Electricity => &self.electricity,
            Criterion::Water => &self.water,
            Criterion::Paper => &self.paper,
            Criterion::Documents => &self.documents,
            Criterion::Meetings => &self.meetings,
            Criterion::Supply => &self.supplies,
        }
    }

    /// The scale of the totals: the core criteria's points (100 in the default). Meetings and
    /// supplies, where scored, add to the points possible and the total is brought back to
    /// this scale.
    pub fn max_points(&self) -> f64 {
        Criterion::CORE.iter().map(|c| self.rule(*c).points).sum()
    }
}

// ---- the file as written -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScoringSection {
    electricity: RuleEntry,
    water: RuleEntry,
    paper: RuleEntry,
    documents: RuleEntry,
    meetings: Option<RuleEntry>,
    supplies: Option<RuleEntry>,
    classes: Vec<ClassEntry>,
    unclassified: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    points: f64,
    #[serde(default)]
    bonus_per_point: f64,
    #[serde(default)]
    bonus_max: f64,
    #[serde(default)]
    deduction_per_point: f64,
    #[serde(default)]
    deduction_max: f64,
    #[serde(default)]
    missing_data: f64,
    target_percent: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassEntry {
    name: String,
    min_points: f64,
    #[serde(default)]
    min_share_percent: f64,
}

/// The default rubric (100 points): electricity 30, water 20, paper 25, electronic documents
/// 25; up to 2 bonus points per criterion at 0,5 a percentage point beyond the target; 1 point
/// off per percentage point of use above the baseline, up to 5; 5 points off for a criterion
/// without data; ≥ 90 hoàn thành xuất sắc (each criterion at least 70 % of its points),
/// ≥ 80 tốt (50 %), ≥ 70 hoàn thành, else không hoàn thành. Where they are scored, paperless
/// meetings carry 10 points (as the documents: no bonus, no deduction, 5 off without counts)
/// and each resource with a norm 5 (none when over it), the total brought back to 100.
pub fn default_rubric() -> Rubric {
    let rule = |points: f64, target_percent: Option<f64>| CriterionRule {
        points,
        bonus_per_point: 0.5,
        bonus_max: 2.0,
        deduction_per_point: 1.0,
        deduction_max: 5.0,
        missing_data: 5.0,
        target_percent,
    };
    let class = |name: &str, min_points: f64, min_share_percent: f64| Class {
        name: name.into(),
        min_points,
        min_share_percent,
    };
    Rubric {
        electricity: rule(30.0, None),
        water: rule(20.0, None),
        paper: rule(25.0, None),
        documents: CriterionRule {
            bonus_per_point: 0.0,
            bonus_max: 0.0,
            deduction_per_point: 0.0,
            deduction_max: 0.0,
            ..rule(25.0, Some(100.0))
        },
        meetings: default_meetings(),
        supplies: default_supplies(),
        classes: vec![
            class("Hoàn thành xuất sắc", 90.0, 70.0),
            class("Tốt", 80.0, 50.0),
            class("Hoàn thành", 70.0, 0.0),
        ],
        unclassified: "Không hoàn thành".into(),
    }
}

fn default_meetings() -> CriterionRule {
    CriterionRule {
        points: 10.0,
        bonus_per_point: 0.0,
        bonus_max: 0.0,
        deduction_per_point: 0.0,
        deduction_max: 0.0,
        missing_data: 5.0,
        target_percent: None,
    }
}

fn default_supplies() -> CriterionRule {
    CriterionRule {
        points: 5.0,
        bonus_per_point: 0.0,
        bonus_max: 0.0,
        deduction_per_point: 0.0,
        deduction_max: 0.0,
        missing_data: 0.0,
        target_percent: None,
    }
}

/// Which criterion a `[scoring.*]` entry is for: what its fields may say.
#[derive(Clone, Copy, PartialEq)]
enum Entry {
    Resource,
    Documents,
    Meetings,
    Supplies,
}

type Problem<'a> = &'a mut dyn FnMut(String, String, String);

pub(super) fn resolve_rubric(raw: Option<ScoringSection>, problem: Problem<'_>) -> Rubric {
    let Some(raw) = raw else { return default_rubric() };
    let mut rule = |entry: &RuleEntry, name: &str, kind: Entry| {
        let key = |f: &str| format!("scoring.{name}.{f}");
        for (field, value) in [
            ("points", entry.points),
            ("bonus_per_point", entry.bonus_per_point),
            ("bonus_max", entry.bonus_max),
            ("deduction_per_point", entry.deduction_per_point),
            ("deduction_max", entry.deduction_max),
            ("missing_data", entry.missing_data),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                problem(
                    key(field),
                    format!("{value} is not a number of points"),
                    "give 0 or more (deductions are written as positive numbers)".into(),
                );
            }
        }
        if kind == Entry::Supplies {
            // Within a norm is all there is to reach, and slips have no months to miss.
            for (field, value) in [
                ("bonus_per_point", entry.bonus_per_point),
                ("bonus_max", entry.bonus_max),
                ("missing_data", entry.missing_data),
            ] {
                if value != 0.0 {
                    problem(
                        key(field),
                        "does not apply to the resources scored against their norm".into(),
                        "remove it: a resource within its norm gets `points`, over it `deduction_per_point` a percentage point over".into(),
                    );
                }
            }
        }
        let target_percent = match (kind, entry.target_percent) {
            (Entry::Documents, Some(t)) if t.is_finite() && t > 0.0 && t <= 100.0 => Some(t),
            (Entry::Documents, None) => Some(100.0),
            (Entry::Documents, Some(t)) => {
                problem(
                    key("target_percent"),
                    format!("{t} is not a share"),
                    "give the share of documents to issue electronically, above 0 and at most 100".into(),
                );
                None
            }
            (Entry::Meetings, Some(_)) => {
                problem(
                    key("target_percent"),
                    "is not where the meetings' target is set".into(),
                    "remove it: set the share of meetings to hold paperless in [meetings] target_percent".into(),
                );
                None
            }
            (Entry::Supplies, Some(_)) => {
                problem(
                    key("target_percent"),
                    "does not apply to the resources scored against their norm".into(),
                    "remove it: the norms are in [[resources.norms]]".into(),
                );
                None
            }
            (Entry::Resource, Some(_)) => {
                problem(
                    key("target_percent"),
                    "applies only to documents".into(),
                    "remove it: the saving targets are in [[targets]]".into(),
                );
                None
            }
            (_, None) => None,
        };
        CriterionRule {
            points: entry.points,
            bonus_per_point: entry.bonus_per_point,
            bonus_max: entry.bonus_max,
            deduction_per_point: entry.deduction_per_point,
            deduction_max: entry.deduction_max,
            missing_data: entry.missing_data,
            target_percent,
        }
    };
    let electricity = rule(&raw.electricity, "electricity", Entry::Resource);
    let water = rule(&raw.water, "water", Entry::Resource);
    let paper = rule(&raw.paper, "paper", Entry::Resource);
    let documents = rule(&raw.documents, "documents", Entry::Documents);
    let meetings = raw.meetings.as_ref().map_or_else(default_meetings, |e| rule(e, "meetings", Entry::Meetings));
    let supplies = raw.supplies.as_ref().map_or_else(default_supplies, |e| rule(e, "supplies", Entry::Supplies));
    let mut classes: Vec<Class> = Vec::new();
    for (i, c) in raw.classes.iter().enumerate() {
        let key = |f: &str| format!("scoring.classes[{i}].{f}");
        if c.name.trim().is_empty() {
            problem(key("name"), "is empty".into(), "name the classification, such as \"Hoàn thành xuất sắc\"".into());
        }
        if !c.min_points.is_finite() {
            problem(key("min_points"), "is not a number".into(), "give the least total points, such as 90".into());
        }
        if !(c.min_share_percent.is_finite() && (0.0..=100.0).contains(&c.min_share_percent)) {
            problem(
                key("min_share_percent"),
                format!("{} is not a share", c.min_share_percent),
                "give 0 to 100: the least share of each criterion's points".into(),
            );
        }
        if let Some(before) = classes.last().filter(|before| before.min_points <= c.min_points) {
            problem(
                key("min_points"),
                format!("{} is not below the class before it ({})", c.min_points, before.min_points),
                "list the classes from the highest down".into(),
            );
        }
        classes.push(Class {
            name: c.name.trim().to_owned(),
            min_points: c.min_points,
            min_share_percent: c.min_share_percent,
        });
    }
    if raw.unclassified.trim().is_empty() {
        problem(
            "scoring.unclassified".into(),
            "is empty".into(),
            "name the lowest classification, such as \"Không hoàn thành\"".into(),
        );
    }
    Rubric {
        electricity,
        water,
        paper,
        documents,
        meetings,
        supplies,
        classes,
        unclassified: raw.unclassified.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BUILT_IN_DEFAULT, Config};

    #[test]
    fn the_shipped_rubric_is_the_documented_default() {
        let config = Config::parse("default.toml", BUILT_IN_DEFAULT, &|_| None).unwrap();
        assert_eq!(config.rubric, default_rubric());
        assert_eq!(config.rubric.max_points(), 100.0);
    }

    #[test]
    fn an_office_rubric_replaces_the_default_and_its_mistakes_are_named() {
        let rule = |name: &str, points: &str| format!("[scoring.{name}]\npoints = {points}\n");
        let office = "[office]\nname = \"X\"\n";
        let text = format!(
            "{office}[scoring]\nunclassified = \"Chưa đạt\"\n{}{}{}{}[[scoring.classes]]\nname = \"Đạt\"\nmin_points = 50\n",
            rule("electricity", "40"),
            rule("water", "10"),
            rule("paper", "10"),
            rule("documents", "40")
        );
        let config = Config::parse("office.toml", &text, &|_| None).unwrap();
        assert_eq!((config.rubric.electricity.points, config.rubric.documents.target_percent), (40.0, Some(100.0)));
        assert_eq!(config.rubric.classes.len(), 1);
        assert_eq!(config.rubric.unclassified, "Chưa đạt");

        let text = format!(
            "{office}[scoring]\nunclassified = \"\"\n{}target_percent = 50\n{}{}{}target_percent = 120\n\
             [[scoring.classes]]\nname = \"A\"\nmin_points = 50\n[[scoring.classes]]\nname = \"B\"\nmin_points = 60\nmin_share_percent = 150\n",
            rule("electricity", "-1"),
            rule("water", "10"),
            rule("paper", "10"),
            rule("documents", "40")
        ) + "[scoring.meetings]\npoints = 10\ntarget_percent = 90\n[scoring.supplies]\npoints = 5\nbonus_max = 2\ntarget_percent = 100\n";
        let err = Config::parse("office.toml", &text, &|_| None).unwrap_err();
        for (key, words) in [
            ("scoring.electricity.points", "0 or more"),
            ("scoring.electricity.target_percent", "[[targets]]"),
            ("scoring.documents.target_percent", "at most 100"),
            ("scoring.classes[1].min_points", "highest down"),
            ("scoring.classes[1].min_share_percent", "0 to 100"),
            ("scoring.unclassified", "Không hoàn thành"),
            ("scoring.meetings.target_percent", "[meetings] target_percent"),
            ("scoring.supplies.bonus_max", "within its norm"),
            ("scoring.supplies.target_percent", "[[resources.norms]]"),
        ] {
            assert!(
                err.problems.iter().any(|p| p.key == key && format!("{} {}", p.problem, p.fix).contains(words)),
                "{key}: {words}\n{err}"
            );
        }
    }
}
