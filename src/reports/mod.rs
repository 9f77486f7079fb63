//! The report the emulation council files and signs, for a named period, as PDF and DOCX:
//! laid out as a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP). A pure function
//! of the figures [`period_report`] gathers, so it shows exactly what the dashboard and the
//! API show.
//!
//! [`period_report`]: crate::analysis::period_report::period_report

mod chart_png;
pub mod content;
mod docx;
mod pdf;

use jiff::civil::Date;

use crate::analysis::period_report::PeriodReport;
use crate::domain::Letterhead;
use crate::domain::period::NamedPeriod;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the embedded font could not be loaded")]
    Font,
    #[error("cannot draw a chart: {0}")]
    Chart(String),
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
    #[error("cannot write the DOCX: {0}")]
    Docx(String),
}

/// The formats a report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Pdf,
    Docx,
}

impl ReportFormat {
    /// The format a file name's extension asks for: report.pdf, report.docx.
    pub fn from_file_name(name: &str) -> Result<ReportFormat, String> {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match extension.as_str() {
            "pdf" => Ok(ReportFormat::Pdf),
            "docx" => Ok(ReportFormat::Docx),
            _ => Err(format!("`{name}` does not end in .pdf or .docx: name the file report.pdf or report.docx")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }
}

/// The report issued on `issued` (the office's local date), as the bytes of a file.
pub fn render(
    report: &PeriodReport,
    letterhead: &Letterhead,
    issued: Date,
    format: ReportFormat,
) -> Result<Vec<u8>, ReportError> {
    let content = content::content(report, letterhead, issued);
    match format {
        ReportFormat::Pdf => pdf::pdf(&content),
        ReportFormat::Docx => docx::docx(&content),
    }
}

/// A file name that says what the file holds: xanh-bao-cao-2026-Q3.pdf.
pub fn file_name(period: &NamedPeriod, format: ReportFormat) -> String {
    format!("xanh-bao-cao-{period}.{}", format.extension())
}
