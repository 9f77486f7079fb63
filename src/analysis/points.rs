//! Points from the rubric: pure functions of what was achieved, the target and the rule.

use serde::Serialize;

use crate::config::{Criterion, CriterionRule, Rubric};
use crate::domain::SupplyId;
use crate::locale::{Lang, number};

/// Whether a criterion could be scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Scored,
    /// The department has no meter for the resource: left out, the total is rescaled.
    NotApplicable,
    /// Nothing to score it on (no baseline, no use recorded, months of documents not entered):
    /// the rule's `missing_data` points are taken.
    MissingData,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionScore {
    pub criterion: Criterion,
    /// The configured resource a `supply` criterion scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supply: Option<SupplyId>,
    pub max_points: f64,
    pub standing: Standing,
    /// The saving achieved (resources), the electronic share (documents), the paperless share
    /// (meetings) or the use in percent of the norm's allowance (supplies), in percent.
    pub achieved_percent: Option<f64>,
    pub target_percent: Option<f64>,
    pub points: f64,
    /// The rubric line that gave the points, worked out (Vietnamese).
    pub explain: String,
}

/// Points for `achieved` percent against `target` percent: in proportion up to the target,
/// the full points at it, a capped bonus beyond; below zero (use above the baseline) a capped
/// deduction, or zero when the rule deducts nothing.
pub fn points(rule: &CriterionRule, achieved: f64, target: f64) -> f64 {
    if achieved >= target {
        rule.points + (rule.bonus_per_point * (achieved - target)).min(rule.bonus_max)
    } else if achieved >= 0.0 {
        rule.points * achieved / target
    } else {
        -(rule.deduction_per_point * -achieved).min(rule.deduction_max)
    }
}

/// Points are kept to the hundredth, as the council's table shows them, so the shown points add
/// up to the shown total and a classification threshold is met or not as people read it.
fn hundredths(points: f64) -> f64 {
    (points * 100.0).round() / 100.0
}

/// Score one criterion.
pub fn score(
    rubric: &Rubric,
    criterion: Criterion,
    standing: Standing,
    achieved: Option<f64>,
    target: Option<f64>,
) -> CriterionScore {
    let rule = rubric.rule(criterion);
    let points = match (standing, achieved, target) {
        (Standing::Scored, Some(a), Some(t)) => points(rule, a, t),
        (Standing::MissingData, _, _) => -rule.missing_data,
        _ => 0.0,
    };
    let points = hundredths(points);
    CriterionScore {
        criterion,
        supply: None,
        max_points: rule.points,
        standing,
        achieved_percent: achieved,
        target_percent: target,
        points,
        explain: rubric_line(rule, criterion, standing, achieved, target, points),
    }
}

/// Score a configured resource against its norm: the rule's points within it; over it none,
/// less `deduction_per_point` a percentage point over the allowance, up to `deduction_max`.
/// `used_percent` is the use in percent of the allowance (`None`: an allowance of 0).
/// Without a norm for the department the criterion does not apply.
pub fn norm_score(rubric: &Rubric, supply: &SupplyId, used_percent: Option<f64>, over: Option<bool>) -> CriterionScore {
    let rule = &rubric.supplies;
    let n = |v: f64| number(v, 2, Lang::Vi);
    let used = used_percent.map(|p| format!("Dùng {} % định mức", number(p, 1, Lang::Vi)));
    let (standing, points, explain) = match over {
        None => (
            Standing::NotApplicable,
            0.0,
            "Chưa có định mức cho phòng: không chấm tiêu chí này; tổng điểm quy đổi về thang điểm đầy đủ".to_owned(),
        ),
        Some(false) => {
            let points = hundredths(rule.points);
            let used = used.unwrap_or_else(|| "Không dùng".to_owned());
            (Standing::Scored, points, format!("{used}, trong định mức: {} điểm", n(points)))
        }
        Some(true) => {
            let beyond = used_percent.map_or(f64::INFINITY, |p| p - 100.0);
            let points = hundredths(-(rule.deduction_per_point * beyond).min(rule.deduction_max));
            let used = used.unwrap_or_else(|| "Dùng khi định mức bằng 0".to_owned());
            let explain = if rule.deduction_per_point > 0.0 {
                format!(
                    "{used}, vượt định mức: không được {} điểm; trừ {} × {}, tối đa {} = {} điểm",
                    n(rule.points),
                    n(rule.deduction_per_point),
                    number(beyond, 1, Lang::Vi),
                    n(rule.deduction_max),
                    n(points)
                )
            } else {
                format!("{used}, vượt định mức: không được {} điểm = {} điểm", n(rule.points), n(points))
            };
            (Standing::Scored, points, explain)
        }
    };
    CriterionScore {
        criterion: Criterion::Supply,
        supply: Some(supply.clone()),
        max_points: rule.points,
        standing,
        achieved_percent: used_percent,
        target_percent: Some(100.0),
        points,
        explain,
    }
}

/// The rubric's rule for one criterion, with the department's figures put in.
fn rubric_line(
    rule: &CriterionRule,
    criterion: Criterion,
    standing: Standing,
    achieved: Option<f64>,
    target: Option<f64>,
    points: f64,
) -> String {
    let n = |v: f64| number(v, 2, Lang::Vi);
    let pct = |v: f64| format!("{} %", number(v, 1, Lang::Vi));
    let what = match criterion {
        Criterion::Documents => "Tỉ lệ văn bản điện tử",
        Criterion::Meetings => "Tỉ lệ họp không giấy",
        _ => "Tiết kiệm",
    };
    match (standing, achieved, target) {
        (Standing::NotApplicable, _, _) => {
            "Chưa có công tơ riêng: không chấm tiêu chí này; tổng điểm quy đổi về thang điểm đầy đủ".to_owned()
        }
        (Standing::MissingData, _, _) => format!("Thiếu số liệu: trừ {} điểm", n(rule.missing_data)),
        (Standing::Scored, Some(a), Some(t)) if a >= t => format!(
            "{what} {} ≥ mục tiêu {}: {} + {} × ({} − {}), thưởng tối đa {} = {} điểm",
            pct(a),
            pct(t),
            n(rule.points),
            n(rule.bonus_per_point),
            number(a, 1, Lang::Vi),
            number(t, 1, Lang::Vi),
            n(rule.bonus_max),
            n(points)
        ),
        (Standing::Scored, Some(a), Some(t)) if a >= 0.0 => format!(
            "{what} {} < mục tiêu {}: {} × {} / {} = {} điểm",
            pct(a),
            pct(t),
            n(rule.points),
            number(a, 1, Lang::Vi),
            number(t, 1, Lang::Vi),
            n(points)
        ),
        (Standing::Scored, Some(a), Some(_)) => format!(
            "Dùng vượt mốc cơ sở {}: trừ {} × {}, tối đa {} = {} điểm",
            pct(-a),
            n(rule.deduction_per_point),
            number(-a, 1, Lang::Vi),
            n(rule.deduction_max),
            n(points)
        ),
        _ => format!("{} điểm", n(points)),
    }
}

/// The total, rescaled to the rubric's maximum when criteria do not apply.
pub fn total(rubric: &Rubric, criteria: &[CriterionScore]) -> f64 {
    let applicable: Vec<&CriterionScore> = criteria.iter().filter(|c| c.standing != Standing::NotApplicable).collect();
    let possible: f64 = applicable.iter().map(|c| c.max_points).sum();
    if possible <= 0.0 {
        return 0.0;
    }
    hundredths(applicable.iter().map(|c| c.points).sum::<f64>() * rubric.max_points() / possible)
}

/// The total worked out: the points of the criteria that apply, rescaled to the rubric's
/// maximum when some do not.
pub fn total_line(rubric: &Rubric, criteria: &[CriterionScore], total: f64) -> String {
    let applicable: Vec<&CriterionScore> = criteria.iter().filter(|c| c.standing != Standing::NotApplicable).collect();
    let sum: Vec<String> = applicable.iter().map(|c| number(c.points, 2, Lang::Vi)).collect();
    let possible: f64 = applicable.iter().map(|c| c.max_points).sum();
    let max = rubric.max_points();
    if (possible - max).abs() < 1e-9 {
        format!("Tổng điểm: {} = {} điểm", sum.join(" + "), number(total, 2, Lang::Vi))
    } else {
        format!(
            "Tổng điểm: ({}) × {} / {} (thang điểm của các tiêu chí được chấm) = {} điểm",
            sum.join(" + "),
            number(max, 0, Lang::Vi),
            number(possible, 0, Lang::Vi),
            number(total, 2, Lang::Vi)
        )
    }
}

/// The highest class whose total and per-criterion share the department reaches.
pub fn classify<'a>(rubric: &'a Rubric, total: f64, criteria: &[CriterionScore]) -> &'a str {
    rubric
        .classes
        .iter()
        .find(|class| {
            total >= class.min_points
                && criteria
                    .iter()
                    .filter(|c| c.standing != Standing::NotApplicable)
                    .all(|c| c.points >= c.max_points * class.min_share_percent / 100.0)
        })
        .map(|class| class.name.as_str())
        .unwrap_or(&rubric.unclassified)
}

/// Competition ranks (1, 2, 2, 4) of totals, highest first, in the totals' order.
pub fn ranks(totals: &[f64]) -> Vec<usize> {
    totals.iter().map(|t| 1 + totals.iter().filter(|other| *other > t).count()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_rubric;

    #[test]
    fn points_are_linear_to_the_target_with_a_capped_bonus_and_deduction() {
        let rubric = default_rubric();
        let electricity = &rubric.electricity; // 30 points, 0,5 a point beyond, at most 2; −1 a point, at most −5
        // 1 % saved of a 2 % target: half the way, 15 points.
        assert_eq!(points(electricity, 1.0, 2.0), 15.0);
        assert_eq!(points(electricity, 2.0, 2.0), 30.0);
        // 4 % saved: 2 points beyond the target, 0,5 each: 31.
        assert_eq!(points(electricity, 4.0, 2.0), 31.0);
        // 20 % saved: the bonus stops at 2: 32.
        assert_eq!(points(electricity, 20.0, 2.0), 32.0);
        // 3 % more used than the baseline: −3; 12 % more: −5 at most.
        assert_eq!(points(electricity, -3.0, 2.0), -3.0);
        assert_eq!(points(electricity, -12.0, 2.0), -5.0);
        // Documents: 90 % electronic of a 100 % target: 22,5 of 25.
        assert_eq!(points(&rubric.documents, 90.0, 100.0), 22.5);
    }

    #[test]
    fn classes_need_the_total_and_a_share_of_every_criterion() {
        let rubric = default_rubric();
        let c = |criterion, points: f64| CriterionScore {
            criterion,
            supply: None,
            max_points: rubric.rule(criterion).points,
            standing: Standing::Scored,
            achieved_percent: None,
            target_percent: None,
            points,
            explain: String::new(),
        };
        // 30 + 20 + 25 + 17 = 92, but documents at 17 of 25 is 68 % (< 70 %): not xuất sắc.
        let criteria = [
            c(Criterion::Electricity, 30.0),
            c(Criterion::Water, 20.0),
            c(Criterion::Paper, 25.0),
            c(Criterion::Documents, 17.0),
        ];
        assert_eq!(total(&rubric, &criteria), 92.0);
        assert_eq!(classify(&rubric, 92.0, &criteria), "Tốt");
        assert_eq!(classify(&rubric, 69.9, &criteria), "Không hoàn thành");
        // Water not applicable (no meter): 30 + 25 + 17 = 72 of 80 possible, scaled to 90.
        let mut without_water = criteria.clone();
        without_water[1].standing = Standing::NotApplicable;
        assert_eq!(total(&rubric, &without_water), 90.0);
        assert_eq!(
            total_line(&rubric, &without_water, 90.0),
            "Tổng điểm: (30,00 + 25,00 + 17,00) × 100 / 80 (thang điểm của các tiêu chí được chấm) = 90,00 điểm"
        );
        assert_eq!(ranks(&[80.0, 92.0, 80.0, 10.0]), vec![2, 1, 2, 4]);
        // Points are kept to the hundredth: 1 % of a 7 % target is 30 / 7 = 4,2857… → 4,29.
        assert_eq!(score(&rubric, Criterion::Electricity, Standing::Scored, Some(1.0), Some(7.0)).points, 4.29);
        assert_eq!(score(&rubric, Criterion::Water, Standing::MissingData, None, Some(5.0)).points, -5.0);
        assert_eq!(score(&rubric, Criterion::Water, Standing::NotApplicable, None, None).points, 0.0);
    }

    #[test]
    fn each_score_names_its_rubric_line_with_the_figures_put_in() {
        let rubric = default_rubric();
        let line =
            |standing, achieved, target| score(&rubric, Criterion::Electricity, standing, achieved, target).explain;
        // 1 % of a 7 % target: 30 × 1 / 7 = 4,29.
        assert_eq!(
            line(Standing::Scored, Some(1.0), Some(7.0)),
            "Tiết kiệm 1,0 % < mục tiêu 7,0 %: 30,00 × 1,0 / 7,0 = 4,29 điểm"
        );
        // 4 % of a 2 % target: 30 + 0,5 × 2 = 31.
        assert_eq!(
            line(Standing::Scored, Some(4.0), Some(2.0)),
            "Tiết kiệm 4,0 % ≥ mục tiêu 2,0 %: 30,00 + 0,50 × (4,0 − 2,0), thưởng tối đa 2,00 = 31,00 điểm"
        );
        assert_eq!(
            line(Standing::Scored, Some(-3.0), Some(2.0)),
            "Dùng vượt mốc cơ sở 3,0 %: trừ 1,00 × 3,0, tối đa 5,00 = -3,00 điểm"
        );
        assert_eq!(line(Standing::MissingData, None, Some(2.0)), "Thiếu số liệu: trừ 5,00 điểm");
        assert!(line(Standing::NotApplicable, None, None).starts_with("Chưa có công tơ riêng"));
    }
}
