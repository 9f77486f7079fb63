//! The council's table as files: XLSX (a summary sheet and one sheet per resource, the
//! configured ones after the metered) and CSV
//! (UTF-8 with a BOM, one row per department and criterion; for scripts or for a Vietnamese
//! Excel). Pure functions of a
//! [`ScoreReport`], so a file shows exactly what the API and the page show.
//!
//! [`ScoreReport`]: crate::analysis::score_report::ScoreReport

pub mod csv;
mod supplies_sheet;
pub mod xlsx;

use crate::analysis::score_report::ScoreReport;
use crate::domain::period::NamedPeriod;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The formats an export can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    /// Comma-separated, full precision: for scripts.
    Csv,
    /// Semicolon-separated, decimal commas, rounded as the page shows: for a Vietnamese Excel.
    CsvVi,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Result<ExportFormat, String> {
        match text {
            "xlsx" => Ok(ExportFormat::Xlsx),
            "csv" => Ok(ExportFormat::Csv),
            "csv-vi" => Ok(ExportFormat::CsvVi),
            other => Err(format!("`{other}` is not an export format: use xlsx, csv or csv-vi")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv | ExportFormat::CsvVi => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Csv | ExportFormat::CsvVi => "text/csv; charset=utf-8",
        }
    }
}

/// The report in `format`, as the bytes of a file; `exported` is the day it is made (the
/// workbook prints it in its page header).
pub fn render(
    report: &ScoreReport,
    office: &str,
    exported: jiff::civil::Date,
    format: ExportFormat,
) -> Result<Vec<u8>, ExportError> {
    match format {
        ExportFormat::Xlsx => xlsx::workbook(report, office, exported),
        ExportFormat::Csv => Ok(csv::table(report, csv::Dialect::Scripts).into_bytes()),
        ExportFormat::CsvVi => Ok(csv::table(report, csv::Dialect::VietnameseExcel).into_bytes()),
    }
}

/// A file name that says what the file holds: xanh-diem-thi-dua-2026-Q3.xlsx.
pub fn file_name(period: &NamedPeriod, format: ExportFormat) -> String {
    format!("xanh-diem-thi-dua-{period}.{}", format.extension())
}
