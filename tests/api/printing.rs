//! The council's workbook printed (issue 17): converted to PDF by LibreOffice as an office
//! would print it, then its pages counted and read back with poppler, and its cells with
//! calamine. The demo office (the shipped config, a main electricity meter over eight
//! departments) gives a full-size table with common areas.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, DataType, Range, Reader, Xlsx, open_workbook_from_rs};
use serde_json::Value;

use crate::common;
use crate::common::{TestApp, spawn_app_from};

/// The shipped config, seeded by `xanh simulate --into-store` every 3 hours since 1 January 2025.
async fn demo_office() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    let text = shipped
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("listen = \"127.0.0.1:1883\"", "listen = \"127.0.0.1:0\"")
        .replace("path = \"data/xanh.db\"", &format!("path = \"{}\"", dir.path().join("xanh.db").display()));
    let file = dir.path().join("xanh.toml");
    std::fs::write(&file, &text).unwrap();
    let output = Command::new(common::binary())
        .args(["simulate", "--into-store", "--no-live", "--from", "2025-01-01", "--interval", "3h", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    spawn_app_from(&text, dir).await
}

/// `file` printed to PDF by LibreOffice headless, with a profile of its own.
fn print_to_pdf(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap();
    let output = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", dir.join("profile").display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("soffice (libreoffice-calc-nogui) is installed");
    let pdf = file.with_extension("pdf");
    assert!(pdf.exists(), "LibreOffice printed nothing: {}", String::from_utf8_lossy(&output.stderr));
    pdf
}

/// `pdfinfo`'s answer for `key` on page `page` (0 for the document).
fn pdf_info(pdf: &Path, page: u32, key: &str) -> String {
    let mut command = Command::new("pdfinfo");
    if page > 0 {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let output = command.arg(pdf).output().expect("pdfinfo (poppler-utils) is installed");
    let text = String::from_utf8(output.stdout).unwrap();
    let key = if page > 0 { format!("Page {page:>4} {key}:") } else { format!("{key}:") };
    text.lines()
        .find_map(|l| l.strip_prefix(key.as_str()))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .trim()
        .to_owned()
}

/// The text of page `page`, as pdftotext reads it.
fn page_text(pdf: &Path, page: u32) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn row_named(range: &Range<Data>, name: &str) -> u32 {
    (0..range.height() as u32)
        .find(|r| range.get_value((*r, 0)).is_some_and(|v| v.get_string() == Some(name)))
        .unwrap_or_else(|| panic!("no row named {name}"))
}

/// Equal to the last digits JSON carries (serde_json may read a float one unit in the last
/// place off): far finer than any rounding for display.
fn same(cell: f64, api: &Value) {
    let api = api.as_f64().unwrap();
    assert!((cell - api).abs() <= 1e-12 * api.abs().max(1.0), "{cell} is not the API's {api}");
}

fn number(range: &Range<Data>, row: u32, col: u32) -> f64 {
    match range.get_value((row, col)) {
        Some(Data::Float(v)) => *v,
        Some(Data::Int(v)) => *v as f64,
        other => panic!("({row}, {col}) is {other:?}, not a number"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbook_prints_landscape_one_page_a_sheet_with_headers_and_totals() {
    let app = demo_office().await;
    let (_, report) = app.get("/api/v1/scores?period=2026").await;
    let response = app.http.get(app.url("/api/v1/export/scores.xlsx?period=2026")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let xlsx = response.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("xanh-diem-thi-dua-2026.xlsx");
    std::fs::write(&file, &xlsx).unwrap();
    let pdf = print_to_pdf(&file);

    // One landscape A4 page per sheet: the summary is not split, no sheet runs over.
    let pages: u32 = pdf_info(&pdf, 0, "Pages").parse().unwrap();
    assert_eq!(
        pages, 7,
        "a summary, three metered resources' sheets and the demo's three configured ones, one page each"
    );
    for page in 1..=pages {
        let size = pdf_info(&pdf, page, "size");
        assert!(size.starts_with("841.") && size.contains(" x 595."), "page {page} is not landscape A4: {size}");
    }
    let summary = page_text(&pdf, 1);
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    // The title whole, the page header (office, period, export date) and every department.
    assert!(flat.contains("Kết quả chấm điểm thi đua tiết kiệm"), "{summary}");
    assert!(flat.contains("thang điểm 100"), "the title is cut: {summary}");
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date();
    assert!(flat.contains(&format!("Xuất ngày {}", today.strftime("%d/%m/%Y"))), "{summary}");
    assert!(flat.contains("Kỳ 2026"), "{summary}");
    for d in report["departments"].as_array().unwrap() {
        assert!(flat.contains(d["name"].as_str().unwrap()), "{} is not on the summary page: {summary}", d["name"]);
    }
    // Every page carries the office in its header; figures are rounded for reading.
    let office = "Văn phòng UBND tỉnh";
    let electricity = page_text(&pdf, 2);
    assert!(electricity.contains(office) || summary.contains(office), "{summary}");
    let common = report["common_areas"].as_array().unwrap().iter().find(|c| c["resource"] == "electricity").unwrap();
    let office_total = common["office_total"].as_f64().unwrap();
    let shown = xanh::locale::number(office_total, 1, xanh::locale::Lang::Vi);
    assert!(electricity.contains(&shown), "the office's total {shown} is printed as the page shows it: {electricity}");

    // The cells keep full precision; the totals rows add up.
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = workbook.worksheet_range("Điện").unwrap();
    let departments_row = row_named(&sheet, "Cộng");
    let common_row = row_named(&sheet, "Khu vực chung (công tơ tổng − công tơ các phòng, ban)");
    let office_row = row_named(&sheet, "Cả văn phòng");
    // Full precision, not the rounded figure printed.
    same(number(&sheet, office_row, 4), &common["office_total"]);
    same(number(&sheet, common_row, 4), &common["amount"]);
    let sum: f64 = (2..departments_row).filter_map(|r| sheet.get_value((r, 4)).and_then(|v| v.as_f64())).sum();
    assert!((number(&sheet, departments_row, 4) - sum).abs() < 1e-6);
    assert!((number(&sheet, departments_row, 4) + number(&sheet, common_row, 4) - office_total).abs() < 1e-6);
    let first = &report["departments"][0]["resources"][0]["actual"];
    same(number(&sheet, 2, 4), first);

    // The summary gives the office's use beside the points: departments, common areas, office.
    let summary_sheet = workbook.worksheet_range("Tổng hợp").unwrap();
    let office_row = row_named(&summary_sheet, "Cả văn phòng");
    let common_row = row_named(&summary_sheet, "Khu vực chung");
    same(number(&summary_sheet, office_row, 1), &common["office_total"]);
    same(number(&summary_sheet, common_row, 1), &common["amount"]);
    app.stop().await;
}
