//! The workbook's sheet of a configured resource (stationery, toner, fuel): each department's
//! issued quantity, value, headcount, per person and CO2e, then the office; totals as formulas
//! with their values cached.

use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::xlsx::{FIRST_DATA_ROW, Formats, NONE, NOT_SCORED, column_formula, headers};
use crate::analysis::points::Standing;
use crate::analysis::score_report::ScoreReport;
use crate::analysis::supplies::{SupplyFigures, SupplyUse};
use crate::domain::Measure;
use crate::export::csv::target_words;

/// Excel's limit on a sheet's name.
const SHEET_NAME_CHARS: usize = 31;

/// The resource's Vietnamese name as a sheet's: without the characters Excel refuses, at most
/// 31 characters, and not one already `taken` (a number is added).
pub(super) fn sheet_name(name_vi: &str, taken: &[String]) -> String {
    let clean: String = name_vi
        .chars()
        .map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { ' ' } else { c })
        .take(SHEET_NAME_CHARS)
        .collect();
    let clean = clean.trim().trim_matches('\'').to_owned();
    let base = if clean.is_empty() { "Nguồn lực".to_owned() } else { clean };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
        let suffix = format!(" {n}");
        let room = SHEET_NAME_CHARS - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(room).collect::<String>());
        n += 1;
    }
    name
}

pub(super) fn sheet(
    sheet: &mut Worksheet,
    report: &ScoreReport,
    figures: &SupplyFigures,
    name: &str,
    office: &str,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let unit = &figures.unit;
    let title = format!("{} · {office} · kỳ {} · theo phiếu xuất kho", figures.name_vi, report.period);
    let titles = [
        "Phòng, ban".to_owned(),
        "Số lượng".to_owned(),
        "Giá trị (đồng)".to_owned(),
        format!("Sử dụng ({unit})"),
        "Số người".to_owned(),
        format!("Theo đầu người ({unit}/người)"),
        "CO2e (kg)".to_owned(),
        "Định mức cả kỳ".to_owned(),
        "So với định mức".to_owned(),
        "Căn cứ định mức".to_owned(),
        "Trạng thái".to_owned(),
        "Điểm".to_owned(),
        "Mục tiêu tiết kiệm".to_owned(),
        "Tiết kiệm so với năm gốc".to_owned(),
        "So với mục tiêu".to_owned(),
    ];
    headers(sheet, &title, &titles.iter().map(String::as_str).collect::<Vec<_>>(), 15, f)?;
    let mut rows = 0;
    for d in &report.departments {
        let (department, department_name) = (&d.department, d.name.as_str());
        let Some(used) = figures.departments.iter().find(|u| u.department.as_ref() == Some(department)) else {
            continue;
        };
        let row = FIRST_DATA_ROW + rows;
        rows += 1;
        sheet.write_string(row, 0, department_name)?;
        sheet.write_number_with_format(row, 1, used.quantity, &f.amount)?;
        sheet.write_number_with_format(row, 2, used.value_vnd, &f.money)?;
        sheet.write_number_with_format(row, 3, used.amount, &f.amount)?;
        sheet.write_number_with_format(row, 4, used.headcount, &f.amount)?;
        match used.per_person {
            Some(v) => sheet.write_number_with_format(row, 5, v, &f.amount)?,
            None => sheet.write_string(row, 5, NONE)?,
        };
        match used.co2e_kg {
            Some(v) => sheet.write_number_with_format(row, 6, v, &f.amount)?,
            None => sheet.write_string(row, 6, NONE)?,
        };
        let scored = d.criteria.iter().find(|c| c.supply.as_ref() == Some(&figures.resource));
        write_norm(sheet, row, used, scored.is_some(), f)?;
        match scored {
            Some(c) if c.standing != Standing::NotApplicable => {
                sheet.write_number_with_format(row, 11, c.points, &f.points)?
            }
            Some(_) => sheet.write_string(row, 11, NOT_SCORED)?,
            None => sheet.write_string(row, 11, NONE)?,
        };
        write_target(sheet, row, used, figures.measure, f)?;
    }
    if rows == 0 {
        return Ok(());
    }
    let row = FIRST_DATA_ROW + rows;
    let excel_row = row + 1;
    let o = &figures.office;
    sheet.write_string_with_format(row, 0, "Cả văn phòng", &f.total_label)?;
    let count = rows as usize;
    for (col, value, format) in [
        (1u16, o.quantity, &f.amount),
        (2, o.value_vnd, &f.money),
        (3, o.amount, &f.amount),
        (4, o.headcount, &f.amount),
    ] {
        sheet.write_formula_with_format(row, col, column_formula("SUM", col, count, value), format)?;
    }
    // The office's per person is its total over its people, not a sum of ratios.
    sheet.write_formula_with_format(
        row,
        5,
        Formula::new(format!("=IF(E{excel_row}>0,D{excel_row}/E{excel_row},0)"))
            .set_result(o.per_person.unwrap_or(0.0).to_string()),
        &f.amount,
    )?;
    if let Some(co2e) = o.co2e_kg {
        sheet.write_formula_with_format(row, 6, column_formula("SUM", 6, count, co2e), &f.amount)?;
    }
    write_norm(sheet, row, o, true, f)?;
    write_target(sheet, row, o, figures.measure, f)?;
    Ok(())
}

/// The saving target over the period so far, the saving achieved against the baseline year
/// and the verdict ("chưa có số liệu năm gốc" without the baseline year's slips).
fn write_target(
    sheet: &mut Worksheet,
    row: u32,
    used: &SupplyUse,
    measure: Measure,
    f: &Formats,
) -> Result<(), XlsxError> {
    let Some(target) = &used.target else {
        for col in 12..=14 {
            sheet.write_string(row, col, NONE)?;
        }
        return Ok(());
    };
    match target.target_to_date {
        Some(amount) => {
            let format = match measure {
                Measure::Value => &f.money,
                Measure::Quantity => &f.amount,
            };
            sheet.write_number_with_format(row, 12, amount, format)?
        }
        None => sheet.write_string(row, 12, NONE)?,
    };
    match target.saving_achieved_percent {
        Some(p) => sheet.write_number_with_format(row, 13, p / 100.0, &f.percent)?,
        None => sheet.write_string(row, 13, NONE)?,
    };
    sheet.write_string(row, 14, target_words(target))?;
    Ok(())
}

/// The norm's allowance, use in percent of it, its source and the verdict, said not to be
/// scored where it is not.
fn write_norm(sheet: &mut Worksheet, row: u32, used: &SupplyUse, scored: bool, f: &Formats) -> Result<(), XlsxError> {
    match &used.norm {
        Some(norm) => {
            let format = match norm.measure {
                Measure::Value => &f.money,
                Measure::Quantity => &f.amount,
            };
            sheet.write_number_with_format(row, 7, norm.allowance, format)?;
            match norm.percent {
                Some(p) => sheet.write_number_with_format(row, 8, p / 100.0, &f.percent)?,
                None => sheet.write_string(row, 8, NONE)?,
            };
            sheet.write_string(row, 9, norm.sources.join("; "))?;
            let verdict = if norm.over { "vượt định mức" } else { "trong định mức" };
            match scored {
                true => sheet.write_string(row, 10, verdict)?,
                false => sheet.write_string(row, 10, format!("{verdict}; không chấm điểm"))?,
            };
        }
        None => {
            for col in 7..=9 {
                sheet.write_string(row, col, NONE)?;
            }
            sheet.write_string(row, 10, "không chấm điểm")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sheet_name;

    #[test]
    fn a_sheet_name_is_one_excel_accepts_and_not_taken() {
        let taken = vec!["Điện".to_owned(), "Văn phòng phẩm".to_owned()];
        assert_eq!(sheet_name("Hộp mực in", &taken), "Hộp mực in");
        assert_eq!(sheet_name("Văn phòng phẩm", &taken), "Văn phòng phẩm 2");
        assert_eq!(sheet_name("Xăng/dầu [xe công]", &taken), "Xăng dầu  xe công");
        assert_eq!(sheet_name(&"a".repeat(40), &taken).chars().count(), 31);
    }
}
