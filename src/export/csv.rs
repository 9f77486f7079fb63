//! The CSV table: UTF-8 with a byte-order mark, so that Excel reads Vietnamese correctly; one
//! row per department and criterion. Two dialects: for scripts, commas between fields and
//! numbers with a decimal point at full precision, as the API gives them; for a Vietnamese
//! Excel (whose list separator is `;` and decimal mark `,`), semicolons, decimal commas and
//! numbers rounded to what the page shows.

use crate::analysis::points::{CriterionScore, Standing};
use crate::analysis::score_report::{DepartmentScore, ScoreReport};
use crate::analysis::supplies::{NormUse, SupplyFigures, SupplyUse};
use crate::analysis::supply_targets::SupplyTarget;
use crate::config::Criterion;
use crate::domain::{Measure, Resource};
use crate::locale::{self, Lang};

pub const BOM: char = '\u{feff}';
/// The rows of the common areas and of the whole office.
pub const COMMON_AREA_ID: &str = crate::analysis::common_area::ID;
pub const OFFICE_ID: &str = "ca-van-phong";
/// The criterion column of the paperless meetings' rows.
pub const MEETINGS: &str = "Họp không giấy";
/// The status of a figure the rubric does not score.
pub const NOT_SCORED: &str = "không chấm điểm";
/// The status of a resource a department has no meter of its own for.
pub const NO_METER: &str = "chưa có công tơ riêng";

pub const HEADER: [&str; 19] = [
    "Kỳ",
    "Mã phòng",
    "Phòng, ban",
    "Tiêu chí",
    "Đơn vị",
    "Mốc cơ sở cả kỳ",
    "Mốc cơ sở đến nay",
    "Mục tiêu cả kỳ",
    "Thực tế đến nay",
    "Tiết kiệm (%)",
    "Theo đầu người",
    "Theo m²",
    "CO2e (kg)",
    "Chi phí (đồng)",
    "Trạng thái",
    "Điểm",
    "Tổng điểm",
    "Xếp loại",
    "Xếp hạng",
];

/// How fields are separated and numbers written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `,` between fields, full precision with a decimal point: for scripts.
    Scripts,
    /// `;` between fields, a decimal comma, rounded as the page rounds: for a Vietnamese Excel.
    VietnameseExcel,
}

impl Dialect {
    pub fn separator(self) -> char {
        match self {
            Dialect::Scripts => ',',
            Dialect::VietnameseExcel => ';',
        }
    }

    /// `value` as this dialect writes it; `decimals` is what the page shows. No thousands
    /// grouping: Excel would read a grouped figure as text.
    fn number(self, value: Option<f64>, decimals: usize) -> String {
        let Some(value) = value else { return String::new() };
        match self {
            Dialect::Scripts => value.to_string(),
            Dialect::VietnameseExcel => {
                let text = format!("{value:.decimals$}");
                // "-0,0" would read as a loss where there is none.
                let text = if text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
                    text
                } else {
                    text.trim_start_matches('-').to_owned()
                };
                text.replace('.', ",")
            }
        }
    }

    fn field(self, text: &str) -> String {
        if text.contains([self.separator(), '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
}

/// Decimals the page shows: amounts and ratios 1, per m² and points 2, money 0.
const AMOUNT: usize = 1;
const PER_M2: usize = 2;
const POINTS: usize = 2;
const MONEY: usize = 0;

pub fn table(report: &ScoreReport, dialect: Dialect) -> String {
    let number = |value: Option<f64>, decimals: usize| dialect.number(value, decimals);
    let mut out = String::new();
    out.push(BOM);
    push_row(&mut out, &HEADER.map(str::to_owned), dialect);
    // Meetings have rows once the office counts them: an office that does not is not shown
    // empty rows.
    let meetings_counted = report.departments.iter().any(|d| d.meetings.held > 0);
    for d in &report.departments {
        for c in &d.criteria {
            let resource = match c.criterion {
                Criterion::Electricity => Some(Resource::Electricity),
                Criterion::Water => Some(Resource::Water),
                Criterion::Paper => Some(Resource::Paper),
                Criterion::Documents => None,
                // Their rows follow, with their figures beside the points.
                Criterion::Meetings | Criterion::Supply => continue,
            };
            let progress = resource.and_then(|r| d.resources.iter().find(|p| p.resource == r));
            let (name, unit) = match resource {
                Some(r) => (locale::resource_name(r, Lang::Vi), locale::unit(r, Lang::Vi)),
                None => ("Văn bản điện tử", "%"),
            };
            let metered = c.standing != Standing::NotApplicable;
            let points = metered.then_some(c.points);
            let row: Vec<String> = match progress {
                // No meter of its own: no figure at all, not 0.
                Some(_) if !metered => {
                    let mut row = vec![String::new(); HEADER.len()];
                    row[0] = report.period.to_string();
                    row[1] = d.department.to_string();
                    row[2] = d.name.clone();
                    row[3] = name.to_owned();
                    row[4] = unit.to_owned();
                    row[14] = NO_METER.to_owned();
                    row[16] = number(Some(d.total), POINTS);
                    row[17] = d.classification.clone();
                    row[18] = d.rank.to_string();
                    row
                }
                Some(p) => vec![
                    report.period.to_string(),
                    d.department.to_string(),
                    d.name.clone(),
                    name.to_owned(),
                    unit.to_owned(),
                    number(p.baseline.as_ref().map(|b| b.amount), AMOUNT),
                    number(p.baseline.as_ref().map(|b| b.to_date), AMOUNT),
                    number(p.target.as_ref().map(|t| t.amount), AMOUNT),
                    number(Some(p.actual), AMOUNT),
                    number(p.saving_percent, AMOUNT),
                    number(p.per_person, AMOUNT),
                    number(p.per_m2, PER_M2),
                    number(p.co2e.as_ref().map(|c| c.actual_kg), AMOUNT),
                    number(p.cost.as_ref().map(|c| c.actual_vnd), MONEY),
                    p.status.map(|s| s.vietnamese().to_owned()).unwrap_or_default(),
                    number(points, POINTS),
                    number(Some(d.total), POINTS),
                    d.classification.clone(),
                    d.rank.to_string(),
                ],
                // Documents: the electronic share is the "actual", the target share the target.
                None => {
                    let mut row = vec![String::new(); HEADER.len()];
                    row[0] = report.period.to_string();
                    row[1] = d.department.to_string();
                    row[2] = d.name.clone();
                    row[3] = name.to_owned();
                    row[4] = unit.to_owned();
                    row[7] = number(c.target_percent, AMOUNT);
                    row[8] = number(d.documents.share_percent, AMOUNT);
                    row[15] = number(points, POINTS);
                    row[16] = number(Some(d.total), POINTS);
                    row[17] = d.classification.clone();
                    row[18] = d.rank.to_string();
                    row
                }
            };
            push_row(&mut out, &row, dialect);
        }
        if meetings_counted {
            push_row(&mut out, &meetings_row(report, d, &number), dialect);
        }
        for figures in &report.supplies {
            if let Some(used) = figures.departments.iter().find(|u| u.department.as_ref() == Some(&d.department)) {
                let mut row = supply_row(report, &d.department.to_string(), &d.name, figures, used, &number);
                let scored = d.criteria.iter().find(|c| c.supply.as_ref() == Some(&figures.resource));
                if let (Some(c), Some(norm)) = (scored, &used.norm) {
                    row[14] = with_target(norm_words(figures, norm), used);
                    with_points(&mut row, d, c, &number);
                }
                push_row(&mut out, &row, dialect);
            }
        }
    }
    // The configured resources' office totals.
    for figures in &report.supplies {
        let row = supply_row(report, OFFICE_ID, "Cả văn phòng", figures, &figures.office, &number);
        push_row(&mut out, &row, dialect);
    }
    // The common areas and the office's total, beside the departments: not scored.
    for common in &report.common_areas {
        let (name, unit) = (locale::resource_name(common.resource, Lang::Vi), locale::unit(common.resource, Lang::Vi));
        for (id, label, amount, status) in [
            (COMMON_AREA_ID, "Khu vực chung", common.amount, NOT_SCORED),
            (OFFICE_ID, "Cả văn phòng", common.office_total, ""),
        ] {
            let mut row = vec![String::new(); HEADER.len()];
            row[0] = report.period.to_string();
            row[1] = id.to_owned();
            row[2] = label.to_owned();
            row[3] = name.to_owned();
            row[4] = unit.to_owned();
            row[8] = number(Some(amount), AMOUNT);
            row[14] = status.to_owned();
            push_row(&mut out, &row, dialect);
        }
    }
    out
}

/// The points of a criterion scored on a row of its own (meetings, a configured resource), and
/// the department's total, classification and rank.
fn with_points(
    row: &mut [String],
    d: &DepartmentScore,
    c: &CriterionScore,
    number: &dyn Fn(Option<f64>, usize) -> String,
) {
    if c.standing != Standing::NotApplicable {
        row[15] = number(Some(c.points), POINTS);
    }
    row[16] = number(Some(d.total), POINTS);
    row[17] = d.classification.clone();
    row[18] = d.rank.to_string();
}

/// Paperless meetings beside the documents: the share against its target, the trend in the
/// status, the points once the office's meetings are scored.
fn meetings_row(
    report: &ScoreReport,
    d: &DepartmentScore,
    number: &dyn Fn(Option<f64>, usize) -> String,
) -> Vec<String> {
    let m = &d.meetings;
    let mut row = vec![String::new(); HEADER.len()];
    row[0] = report.period.to_string();
    row[1] = d.department.to_string();
    row[2] = d.name.clone();
    row[3] = MEETINGS.to_owned();
    row[4] = "%".to_owned();
    row[7] = number(Some(m.target_percent), AMOUNT);
    row[8] = number(m.share_percent, AMOUNT);
    let scored = d.criteria.iter().find(|c| c.criterion == Criterion::Meetings);
    let trend = m
        .trend_points
        .map(|t| format!("xu hướng {}{} điểm %", if t >= 0.0 { "+" } else { "" }, locale::number(t, 1, Lang::Vi)));
    row[14] = match (trend, scored) {
        (trend, Some(_)) => trend.unwrap_or_default(),
        (Some(trend), None) => format!("{trend} — {NOT_SCORED}"),
        (None, None) => NOT_SCORED.to_owned(),
    };
    if let Some(c) = scored {
        with_points(&mut row, d, c, number);
    }
    row
}

/// A configured resource's use (stationery, toner, fuel): issued, per person, CO2e and value;
/// against its norm, not scored (the caller adds the points of a scored one).
fn supply_row(
    report: &ScoreReport,
    id: &str,
    name: &str,
    figures: &SupplyFigures,
    used: &SupplyUse,
    number: &dyn Fn(Option<f64>, usize) -> String,
) -> Vec<String> {
    let decimals = match figures.measure {
        Measure::Value => MONEY,
        Measure::Quantity => AMOUNT,
    };
    let mut row = vec![String::new(); HEADER.len()];
    row[0] = report.period.to_string();
    row[1] = id.to_owned();
    row[2] = name.to_owned();
    row[3] = figures.name_vi.clone();
    row[4] = figures.unit.clone();
    row[8] = number(Some(used.amount), decimals);
    row[10] = number(used.per_person, decimals);
    row[12] = number(used.co2e_kg, AMOUNT);
    row[13] = number(Some(used.value_vnd), MONEY);
    if let Some(target) = &used.target {
        row[5] = number(target.baseline, decimals);
        row[6] = number(target.baseline_to_date, decimals);
        row[7] = number(target.target, decimals);
        row[9] = number(target.saving_achieved_percent, AMOUNT);
    }
    let status = match &used.norm {
        None => NOT_SCORED.to_owned(),
        Some(norm) => format!("{} — {NOT_SCORED}", norm_words(figures, norm)),
    };
    row[14] = with_target(status, used);
    row
}

/// The status with the saving target's verdict after it, where the resource has a target.
fn with_target(status: String, used: &SupplyUse) -> String {
    match &used.target {
        Some(target) => format!("{status} — {}", target_words(target)),
        None => status,
    }
}

/// "mục tiêu tiết kiệm 5,0 % so với năm gốc 2025: không đạt"; without the baseline year's
/// slips "chưa có số liệu năm gốc"; before the period begins "kỳ chưa bắt đầu".
pub fn target_words(target: &SupplyTarget) -> String {
    let goal = format!(
        "mục tiêu tiết kiệm {} % so với năm gốc {}",
        locale::number(target.saving_percent, 1, Lang::Vi),
        target.reference
    );
    match (target.reference_amount, target.on_track) {
        (None, _) => format!("{goal}: chưa có số liệu năm gốc"),
        (Some(_), None) => format!("{goal}: kỳ chưa bắt đầu"),
        (Some(_), Some(true)) => format!("{goal}: đạt"),
        (Some(_), Some(false)) => format!("{goal}: không đạt"),
    }
}

/// "vượt định mức: 250,0 % của 2,0 hộp (theo Quyết định số 15/QĐ-VP ngày 20/12/2024)".
pub fn norm_words(figures: &SupplyFigures, norm: &NormUse) -> String {
    let verdict = if norm.over { "vượt định mức" } else { "trong định mức" };
    let allowance = match norm.measure {
        Measure::Value => format!("{} đ", locale::number(norm.allowance, 0, Lang::Vi)),
        Measure::Quantity => format!("{} {}", locale::number(norm.allowance, 1, Lang::Vi), figures.unit),
    };
    let percent = norm.percent.map(|p| format!("{} % của ", locale::number(p, 1, Lang::Vi))).unwrap_or_default();
    format!("{verdict}: {percent}{allowance} (theo {})", norm.sources.join(" và "))
}

fn push_row(out: &mut String, row: &[String], dialect: Dialect) {
    let fields: Vec<String> = row.iter().map(|f| dialect.field(f)).collect();
    out.push_str(&fields.join(&dialect.separator().to_string()));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn a_vietnamese_excel_gets_decimal_commas_rounded_as_shown_and_no_negative_zero() {
        let vi = Dialect::VietnameseExcel;
        assert_eq!(vi.number(Some(3503.999999999978), 1), "3504,0");
        assert_eq!(vi.number(Some(7_520_025.59999995), 0), "7520026");
        assert_eq!(vi.number(Some(-4.7031098178171336), 1), "-4,7");
        // A saving of -0,04 % shows as 0,0 on the page, not as a loss.
        assert_eq!(vi.number(Some(-0.04), 1), "0,0");
        assert_eq!(vi.number(None, 1), "");
        assert_eq!(Dialect::Scripts.number(Some(-4.7031098178171336), 1), "-4.7031098178171336");
    }

    #[test]
    fn a_field_holding_the_separator_is_quoted_in_that_dialect_only() {
        assert_eq!(Dialect::VietnameseExcel.field("Phòng, ban"), "Phòng, ban");
        assert_eq!(Dialect::Scripts.field("Phòng, ban"), "\"Phòng, ban\"");
        assert_eq!(Dialect::VietnameseExcel.field("a;b"), "\"a;b\"");
        assert_eq!(Dialect::VietnameseExcel.field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
