//! The CSV table: UTF-8 with a byte-order mark, so that Excel reads Vietnamese correctly; one
//! row per department and criterion; numbers with a decimal point, as the API gives them.

use crate::analysis::score_report::ScoreReport;
use crate::config::Criterion;
use crate::domain::Resource;
use crate::locale::{self, Lang};

pub const BOM: char = '\u{feff}';

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
            let points = (c.standing != crate::analysis::points::Standing::NotApplicable).then_some(c.points);
            let row: Vec<String> = match progress {
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
            out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    out
}
