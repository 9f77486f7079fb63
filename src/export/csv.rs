//! The CSV table: UTF-8 with a byte-order mark, so that Excel reads Vietnamese correctly; one
//! row per department and criterion; numbers with a decimal point, as the API gives them.

use crate::analysis::points::Standing;
use crate::analysis::score_report::ScoreReport;
use crate::config::Criterion;
use crate::domain::Resource;
use crate::locale::{self, Lang};

pub const BOM: char = '\u{feff}';
/// The rows of the common areas and of the whole office.
pub const COMMON_AREA_ID: &str = crate::analysis::common_area::ID;
pub const OFFICE_ID: &str = "ca-van-phong";
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

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn table(report: &ScoreReport) -> String {
    let mut out = String::new();
    out.push(BOM);
    out.push_str(&HEADER.map(field).join(","));
    out.push_str("\r\n");
    for d in &report.departments {
        for c in &d.criteria {
            let resource = match c.criterion {
                Criterion::Electricity => Some(Resource::Electricity),
                Criterion::Water => Some(Resource::Water),
                Criterion::Paper => Some(Resource::Paper),
                Criterion::Documents => None,
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
                    row[16] = number(Some(d.total));
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
                    number(p.baseline.as_ref().map(|b| b.amount)),
                    number(p.baseline.as_ref().map(|b| b.to_date)),
                    number(p.target.as_ref().map(|t| t.amount)),
                    number(Some(p.actual)),
                    number(p.saving_percent),
                    number(p.per_person),
                    number(p.per_m2),
                    number(p.co2e.as_ref().map(|c| c.actual_kg)),
                    number(p.cost.as_ref().map(|c| c.actual_vnd)),
                    p.status.map(|s| s.vietnamese().to_owned()).unwrap_or_default(),
                    number(points),
                    number(Some(d.total)),
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
                    row[7] = number(c.target_percent);
                    row[8] = number(d.documents.share_percent);
                    row[15] = number(points);
                    row[16] = number(Some(d.total));
                    row[17] = d.classification.clone();
                    row[18] = d.rank.to_string();
                    row
                }
            };
            push_row(&mut out, &row);
        }
    }
    // The common areas and the office's total, beside the departments: not scored.
    for common in &report.common_areas {
        let (name, unit) = (locale::resource_name(common.resource, Lang::Vi), locale::unit(common.resource, Lang::Vi));
        for (id, label, amount, status) in [
            (COMMON_AREA_ID, "Khu vực chung", common.amount, "không chấm điểm"),
            (OFFICE_ID, "Cả văn phòng", common.office_total, ""),
        ] {
            let mut row = vec![String::new(); HEADER.len()];
            row[0] = report.period.to_string();
            row[1] = id.to_owned();
            row[2] = label.to_owned();
            row[3] = name.to_owned();
            row[4] = unit.to_owned();
            row[8] = number(Some(amount));
            row[14] = status.to_owned();
            push_row(&mut out, &row);
        }
    }
    out
}

fn push_row(out: &mut String, row: &[String]) {
    out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
}
