//! The XLSX workbook: a summary sheet (department, criterion points, total, classification,
//! rank) and one sheet per resource (baseline, target, actual, saving, per person, per m²,
//! CO2e, cost), Vietnamese headers, number formats, frozen headers, totals as formulas with
//! their values cached for readers that do not recalculate. Set up to print: landscape A4,
//! fitted to the page width, the header row repeated, the office, period and export date in
//! the page header; cells keep full precision, their formats round for reading.

use jiff::civil::Date;
use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet, XlsxError};

use crate::analysis::points::Standing;
use crate::analysis::progress::Progress;
use crate::analysis::score_report::ScoreReport;
use crate::config::Criterion;
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
/// Shown for meetings or a resource's norm a department is not scored on (no meeting held, no
/// norm of its own).
pub const NOT_SCORED: &str = "không chấm";

pub(super) struct Formats {
    title: Format,
    pub(super) header: Format,
    pub(super) amount: Format,
    pub(super) money: Format,
    pub(super) percent: Format,
    pub(super) points: Format,
    pub(super) total_label: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_text_wrap()
                .set_align(rust_xlsxwriter::FormatAlign::Left)
                .set_align(rust_xlsxwriter::FormatAlign::VerticalCenter),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color("E8F5E9")
                .set_border(rust_xlsxwriter::FormatBorder::Thin),
            // `[$-42A]`: Vietnamese, so that a reader in any locale groups and rounds the
            // way the page does (1.234,5).
            amount: Format::new().set_num_format("[$-42A]#,##0.0"),
            money: Format::new().set_num_format("[$-42A]#,##0"),
            percent: Format::new().set_num_format("[$-42A]0.0%"),
            points: Format::new().set_num_format("[$-42A]0.00"),
            total_label: Format::new().set_bold(),
        }
    }
}

/// The sheet of a resource: Điện, Nước, Giấy.
pub fn sheet_name(resource: Resource) -> &'static str {
    locale::resource_name(resource, Lang::Vi)
}

/// 06/12/2026.
pub(super) fn vietnamese_date(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// `exported`: the day the file is made, printed in each page's header.
pub fn workbook(report: &ScoreReport, office: &str, exported: Date) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    summary(sheet, report, office, &f)?;
    print_setup(sheet, report, office, exported)?;
    for (index, resource) in Resource::ALL.into_iter().enumerate() {
        let sheet = workbook.add_worksheet();
        resource_sheet(sheet, report, index, resource, office, &f)?;
        print_setup(sheet, report, office, exported)?;
    }
    let mut taken: Vec<String> = Resource::ALL.into_iter().map(|r| sheet_name(r).to_owned()).collect();
    taken.push(SUMMARY_SHEET.to_owned());
    for figures in &report.supplies {
        let sheet = workbook.add_worksheet();
        let name = super::supplies_sheet::sheet_name(&figures.name_vi, &taken);
        taken.push(name.clone());
        super::supplies_sheet::sheet(sheet, report, figures, &name, office, &f)?;
        print_setup(sheet, report, office, exported)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// Landscape A4, as wide as the page, the header row on every page, and a page header that
/// says whose figures, for which period and from when.
fn print_setup(sheet: &mut Worksheet, report: &ScoreReport, office: &str, exported: Date) -> Result<(), XlsxError> {
    const A4: u8 = 9;
    sheet.set_paper_size(A4).set_landscape().set_print_fit_to_pages(1, 0).set_print_center_horizontally(true);
    sheet.set_margins(0.5, 0.5, 0.75, 0.6, 0.3, 0.3);
    sheet.set_repeat_rows(FIRST_DATA_ROW - 1, FIRST_DATA_ROW - 1)?;
    // `&` starts a code in a page header: an office named "A & B" is written "A && B".
    let office = office.replace('&', "&&");
    sheet.set_header(format!("&L{office}&CKỳ {}&RXuất ngày {}", report.period, vietnamese_date(exported)));
    sheet.set_footer("&CTrang &P/&N");
    Ok(())
}

/// `width`: of the figures' columns, in characters (the names' column is 36).
pub(super) fn headers(
    sheet: &mut Worksheet,
    title: &str,
    titles: &[&str],
    width: u16,
    f: &Formats,
) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(FIRST_DATA_ROW - 1, col as u16, *title, &f.header)?;
        sheet.set_column_width(col as u16, if col == 0 { 36 } else { width })?;
    }
    // The title across the table, wrapped: printed whole, never cut at the first column.
    let last = (titles.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last, title, &f.title)?;
    sheet.set_row_height(0, 36)?;
    sheet.set_row_height(FIRST_DATA_ROW - 1, 45)?;
    sheet.set_freeze_panes(FIRST_DATA_ROW, 1)?;
    Ok(())
}

/// A1-style name of a column: 0 → A.
fn column(col: u16) -> char {
    char::from(b'A' + col as u8)
}

/// A formula over the data rows of `col`, with the value it comes to cached.
pub(super) fn column_formula(function: &str, col: u16, rows: usize, value: f64) -> Formula {
    let (first, last) = (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + rows as u32);
    Formula::new(format!("={function}({c}{first}:{c}{last})", c = column(col))).set_result(value.to_string())
}

fn summary(sheet: &mut Worksheet, report: &ScoreReport, office: &str, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(SUMMARY_SHEET)?;
    let title = format!(
        "Kết quả chấm điểm thi đua tiết kiệm · {office} · kỳ {} · thang điểm {}",
        report.period,
        locale::number(report.max_points, 0, Lang::Vi)
    );
    // A column a criterion (the core four, then meetings and the resources where scored),
    // then the total, classification and rank.
    let names = report.criterion_names(Lang::Vi);
    let criteria = names.len() as u16;
    let (total_col, class_col, rank_col) = (criteria + 1, criteria + 2, criteria + 3);
    let mut titles = vec!["Phòng, ban".to_owned()];
    titles.extend(names.iter().map(|n| format!("{n} (điểm)")));
    titles.extend(["Tổng điểm", "Xếp loại", "Xếp hạng"].map(str::to_owned));
    // Wide enough for "chưa có công tơ riêng".
    headers(sheet, &title, &titles.iter().map(String::as_str).collect::<Vec<_>>(), 21, f)?;
    for (i, d) in report.departments.iter().enumerate() {
        let row = FIRST_DATA_ROW + i as u32;
        sheet.write_string(row, 0, &d.name)?;
        for (col, c) in d.criteria.iter().enumerate() {
            let col = col as u16 + 1;
            match (c.standing, c.criterion) {
                (Standing::NotApplicable, Criterion::Electricity | Criterion::Water | Criterion::Paper) => {
                    sheet.write_string(row, col, NO_METER)?
                }
                (Standing::NotApplicable, _) => sheet.write_string(row, col, NOT_SCORED)?,
                _ => sheet.write_number_with_format(row, col, c.points, &f.points)?,
            };
        }
        sheet.write_number_with_format(row, total_col, d.total, &f.points)?;
        sheet.write_string(row, class_col, &d.classification)?;
        sheet.write_number(row, rank_col, d.rank as f64)?;
    }
    let rows = report.departments.len();
    if rows > 0 {
        let row = FIRST_DATA_ROW + rows as u32;
        sheet.write_string_with_format(row, 0, "Trung bình", &f.total_label)?;
        for col in 1..=total_col {
            let values: Vec<f64> = report
                .departments
                .iter()
                .filter_map(|d| {
                    if col == total_col {
                        return Some(d.total);
                    }
                    d.criteria
                        .get(usize::from(col - 1))
                        .filter(|c| c.standing != Standing::NotApplicable)
                        .map(|c| c.points)
                })
                .collect();
            let mean = if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
            sheet.write_formula_with_format(row, col, column_formula("AVERAGE", col, rows, mean), &f.points)?;
        }
    }
    office_use(sheet, report, FIRST_DATA_ROW + rows as u32 + 2, f)
}

/// Under the points, the office's use of each resource: its departments, the common areas
/// (not scored) and the whole office, so that the printed summary adds up to the building.
fn office_use(sheet: &mut Worksheet, report: &ScoreReport, first: u32, f: &Formats) -> Result<(), XlsxError> {
    sheet.write_string_with_format(first, 0, "Sử dụng cả kỳ (đến nay)", &f.header)?;
    let (departments, common, office) = (first + 1, first + 2, first + 3);
    sheet.write_string(departments, 0, "Các phòng, ban")?;
    sheet.write_string(common, 0, "Khu vực chung")?;
    sheet.write_string_with_format(office, 0, "Cả văn phòng", &f.total_label)?;
    for (index, resource) in Resource::ALL.into_iter().enumerate() {
        let col = index as u16 + 1;
        let title = format!("{} ({})", locale::resource_name(resource, Lang::Vi), locale::unit(resource, Lang::Vi));
        sheet.write_string_with_format(first, col, title, &f.header)?;
        let c = column(col);
        match report.common_areas.iter().find(|c| c.resource == resource) {
            Some(area) => {
                sheet.write_number_with_format(departments, col, area.departments_total, &f.amount)?;
                sheet.write_number_with_format(common, col, area.amount, &f.amount)?;
                let sum = format!("={c}{}+{c}{}", departments + 1, common + 1);
                let formula = Formula::new(sum).set_result(area.office_total.to_string());
                sheet.write_formula_with_format(office, col, formula, &f.amount)?;
            }
            None => {
                let total: f64 = report
                    .departments
                    .iter()
                    .filter(|d| d.criteria.get(index).is_none_or(|c| c.standing != Standing::NotApplicable))
                    .filter_map(|d| d.resources.get(index).map(|p| p.actual))
                    .sum();
                sheet.write_number_with_format(departments, col, total, &f.amount)?;
                // No main meter: nothing measures the common areas.
                sheet.write_string(common, col, NONE)?;
                let formula = Formula::new(format!("={c}{}", departments + 1)).set_result(total.to_string());
                sheet.write_formula_with_format(office, col, formula, &f.amount)?;
            }
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
    let title = format!(
        "{} · {office} · kỳ {} · số liệu đến {}",
        locale::resource_name(resource, Lang::Vi),
        report.period,
        report.as_of.get(..10).and_then(|d| d.parse::<Date>().ok()).map(vietnamese_date).unwrap_or_default()
    );
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
    headers(sheet, &title, &titles.iter().map(String::as_str).collect::<Vec<_>>(), 15, f)?;
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
