//! The XLSX workbook: a summary sheet (department, criterion points, total, classification,
//! rank) and one sheet per resource (baseline, target, actual, saving, per person, per m²,
//! CO2e, cost), Vietnamese headers, number formats, frozen headers, totals as formulas with
//! their values cached for readers that do not recalculate.

use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet, XlsxError};

use crate::analysis::points::Standing;
use crate::analysis::progress::Progress;
use crate::analysis::score_report::ScoreReport;
use crate::domain::Resource;
use crate::locale::{self, Lang};

use super::ExportError;

/// Rows above the data: the title, then the headers.
pub const FIRST_DATA_ROW: u32 = 2;
pub const SUMMARY_SHEET: &str = "Tổng hợp";
/// Shown where a figure does not exist (no baseline).
pub const NONE: &str = "—";
/// Shown for a resource a department has no meter of its own for: not scored, not 0.
pub const NO_METER: &str = "chưa có công tơ riêng";

struct Formats {
    title: Format,
    header: Format,
    amount: Format,
    money: Format,
    percent: Format,
    points: Format,
    total_label: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color("E8F5E9")
                .set_border(rust_xlsxwriter::FormatBorder::Thin),
            amount: Format::new().set_num_format("#,##0.0"),
            money: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.0%"),
            points: Format::new().set_num_format("0.00"),
            total_label: Format::new().set_bold(),
        }
    }
}

/// The sheet of a resource: Điện, Nước, Giấy.
pub fn sheet_name(resource: Resource) -> &'static str {
    locale::resource_name(resource, Lang::Vi)
}

pub fn workbook(report: &ScoreReport, office: &str) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut workbook = Workbook::new();
    summary(workbook.add_worksheet(), report, office, &f)?;
    for (index, resource) in Resource::ALL.into_iter().enumerate() {
        resource_sheet(workbook.add_worksheet(), report, index, resource, office, &f)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn headers(sheet: &mut Worksheet, titles: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(FIRST_DATA_ROW - 1, col as u16, *title, &f.header)?;
        sheet.set_column_width(col as u16, if col == 0 { 36 } else { 15 })?;
    }
    sheet.set_row_height(FIRST_DATA_ROW - 1, 45)?;
    sheet.set_freeze_panes(FIRST_DATA_ROW, 1)?;
    Ok(())
}

/// A1-style name of a column: 0 → A.
fn column(col: u16) -> char {
    char::from(b'A' + col as u8)
}

/// A formula over the data rows of `col`, with the value it comes to cached.
fn column_formula(function: &str, col: u16, rows: usize, value: f64) -> Formula {
    let (first, last) = (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + rows as u32);
    Formula::new(format!("={function}({c}{first}:{c}{last})", c = column(col))).set_result(value.to_string())
}

fn summary(sheet: &mut Worksheet, report: &ScoreReport, office: &str, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(SUMMARY_SHEET)?;
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "Kết quả chấm điểm thi đua tiết kiệm · {office} · kỳ {} · thang điểm {}",
            report.period,
            locale::number(report.max_points, 0, Lang::Vi)
        ),
        &f.title,
    )?;
    headers(
        sheet,
        &[
            "Phòng, ban",
            "Điện (điểm)",
            "Nước (điểm)",
            "Giấy (điểm)",
            "Văn bản điện tử (điểm)",
            "Tổng điểm",
            "Xếp loại",
            "Xếp hạng",
        ],
        f,
    )?;
    for (i, d) in report.departments.iter().enumerate() {
        let row = FIRST_DATA_ROW + i as u32;
        sheet.write_string(row, 0, &d.name)?;
        for (col, c) in d.criteria.iter().enumerate() {
            let col = col as u16 + 1;
            match c.standing {
                Standing::NotApplicable => sheet.write_string(row, col, NO_METER)?,
                _ => sheet.write_number_with_format(row, col, c.points, &f.points)?,
            };
        }
        sheet.write_number_with_format(row, 5, d.total, &f.points)?;
        sheet.write_string(row, 6, &d.classification)?;
        sheet.write_number(row, 7, d.rank as f64)?;
    }
    let rows = report.departments.len();
    if rows > 0 {
        let row = FIRST_DATA_ROW + rows as u32;
        sheet.write_string_with_format(row, 0, "Trung bình", &f.total_label)?;
        for col in 1..=5u16 {
            let values: Vec<f64> = report
                .departments
                .iter()
                .filter_map(|d| match col {
                    5 => Some(d.total),
                    _ => d
                        .criteria
                        .get(usize::from(col - 1))
                        .filter(|c| c.standing != Standing::NotApplicable)
                        .map(|c| c.points),
                })
                .collect();
            let mean = if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
            sheet.write_formula_with_format(row, col, column_formula("AVERAGE", col, rows, mean), &f.points)?;
        }
    }
    Ok(())
}

fn resource_sheet(
    sheet: &mut Worksheet,
    report: &ScoreReport,
    index: usize,
    resource: Resource,
    office: &str,
    f: &Formats,
) -> Result<(), XlsxError> {
    let unit = locale::unit(resource, Lang::Vi);
    sheet.set_name(sheet_name(resource))?;
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} · {office} · kỳ {} · số liệu đến {}",
            locale::resource_name(resource, Lang::Vi),
            report.period,
            report.as_of.get(..10).unwrap_or("")
        ),
        &f.title,
    )?;
    let titles = [
        "Phòng, ban".to_owned(),
        format!("Mốc cơ sở cả kỳ ({unit})"),
        format!("Mốc cơ sở đến nay ({unit})"),
        format!("Mục tiêu cả kỳ ({unit})"),
        format!("Thực tế đến nay ({unit})"),
        "Tiết kiệm so với mốc".to_owned(),
        "Số người".to_owned(),
        format!("Theo đầu người ({unit}/người)"),
        "Diện tích (m²)".to_owned(),
        format!("Theo m² ({unit}/m²)"),
        "CO2e (kg)".to_owned(),
        "Chi phí (đồng)".to_owned(),
        "Trạng thái".to_owned(),
    ];
    headers(sheet, &titles.iter().map(String::as_str).collect::<Vec<_>>(), f)?;
    let figures: Vec<(&str, &Progress, bool)> = report
        .departments
        .iter()
        .filter_map(|d| {
            let metered = d.criteria.get(index).is_none_or(|c| c.standing != Standing::NotApplicable);
            d.resources.get(index).map(|p| (d.name.as_str(), p, metered))
        })
        .collect();
    let mut sums = [0.0f64; 13];
    for (i, (name, p, metered)) in figures.iter().enumerate() {
        let row = FIRST_DATA_ROW + i as u32;
        sheet.write_string(row, 0, *name)?;
        if !metered {
            sheet.write_string(row, 4, NO_METER)?;
            for col in (1..12u16).filter(|c| *c != 4) {
                sheet.write_string(row, col, NONE)?;
            }
            sheet.write_string(row, 12, NO_METER)?;
            continue;
        }
        let cells: [(u16, Option<f64>, &Format); 11] = [
            (1, p.baseline.as_ref().map(|b| b.amount), &f.amount),
            (2, p.baseline.as_ref().map(|b| b.to_date), &f.amount),
            (3, p.target.as_ref().map(|t| t.amount), &f.amount),
            (4, Some(p.actual), &f.amount),
            (5, p.saving_percent.map(|s| s / 100.0), &f.percent),
            (6, Some(p.headcount), &f.amount),
            (7, p.per_person, &f.amount),
            (8, Some(p.area_m2), &f.amount),
            (9, p.per_m2, &f.amount),
            (10, p.co2e.as_ref().map(|c| c.actual_kg), &f.amount),
            (11, p.cost.as_ref().map(|c| c.actual_vnd), &f.money),
        ];
        for (col, value, format) in cells {
            match value {
                Some(v) => {
                    sheet.write_number_with_format(row, col, v, format)?;
                    sums[usize::from(col)] += v;
                }
                None => {
                    sheet.write_string(row, col, NONE)?;
                }
            }
        }
        let status = p.status.map(|s| s.vietnamese()).unwrap_or(NONE);
        sheet.write_string(row, 12, status)?;
    }
    let rows = figures.len();
    if rows == 0 {
        return Ok(());
    }
    let row = FIRST_DATA_ROW + rows as u32;
    let excel_row = row + 1;
    sheet.write_string_with_format(row, 0, "Cộng", &f.total_label)?;
    for (col, format) in [
        (1u16, &f.amount),
        (2, &f.amount),
        (3, &f.amount),
        (4, &f.amount),
        (6, &f.amount),
        (8, &f.amount),
        (10, &f.amount),
        (11, &f.money),
    ] {
        sheet.write_formula_with_format(row, col, column_formula("SUM", col, rows, sums[usize::from(col)]), format)?;
    }
    // Ratios of the totals, not sums of ratios.
    let ratio = |num: usize, den: usize| if sums[den] > 0.0 { sums[num] / sums[den] } else { 0.0 };
    let saving = if sums[2] > 0.0 { (sums[2] - sums[4]) / sums[2] } else { 0.0 };
    sheet.write_formula_with_format(
        row,
        5,
        Formula::new(format!("=IF(C{excel_row}>0,(C{excel_row}-E{excel_row})/C{excel_row},0)"))
            .set_result(saving.to_string()),
        &f.percent,
    )?;
    sheet.write_formula_with_format(
        row,
        7,
        Formula::new(format!("=IF(G{excel_row}>0,E{excel_row}/G{excel_row},0)")).set_result(ratio(4, 6).to_string()),
        &f.amount,
    )?;
    sheet.write_formula_with_format(
        row,
        9,
        Formula::new(format!("=IF(I{excel_row}>0,E{excel_row}/I{excel_row},0)")).set_result(ratio(4, 8).to_string()),
        &f.amount,
    )?;
    let mut next = row + 1;
    if let Some(common) = report.common_areas.iter().find(|c| c.resource == resource) {
        let common_row = next;
        sheet.write_string(common_row, 0, "Khu vực chung (công tơ tổng − công tơ các phòng, ban)")?;
        sheet.write_number_with_format(common_row, 4, common.amount, &f.amount)?;
        sheet.write_string(common_row, 12, "không chấm điểm")?;
        sheet.write_string_with_format(common_row + 1, 0, "Cả văn phòng", &f.total_label)?;
        sheet.write_formula_with_format(
            common_row + 1,
            4,
            Formula::new(format!("=E{excel_row}+E{}", common_row + 1)).set_result(common.office_total.to_string()),
            &f.amount,
        )?;
        next = common_row + 2;
    }
    let progress: Vec<(&str, &Progress)> = figures.iter().map(|(name, p, _)| (*name, *p)).collect();
    notes(sheet, next + 1, &progress)?;
    Ok(())
}

/// Which emission factor and tariffs the figures used.
fn notes(sheet: &mut Worksheet, mut row: u32, figures: &[(&str, &Progress)]) -> Result<(), XlsxError> {
    if let Some(c) = figures.iter().find_map(|(_, p)| p.co2e.as_ref()) {
        let factor = &c.factor;
        sheet.write_string(
            row,
            0,
            format!(
                "Hệ số phát thải: {} {} (năm {}) · {}",
                locale::number(factor.value, 4, Lang::Vi),
                factor.unit,
                factor.year,
                factor.source
            ),
        )?;
        row += 1;
    }
    let mut tariffs = Vec::new();
    for (_, p) in figures {
        if let Some(cost) = &p.cost {
            for t in &cost.tariffs {
                if !tariffs.contains(&t) {
                    tariffs.push(t);
                }
            }
        }
    }
    for t in tariffs {
        let from = format!("{:02}/{:02}/{}", t.from.day(), t.from.month(), t.from.year());
        sheet.write_string(
            row,
            0,
            format!("Đơn giá từ {from}: {} đồng/{} · {}", locale::number(t.price_vnd, 0, Lang::Vi), t.per, t.note),
        )?;
        row += 1;
    }
    Ok(())
}
