//! The council's table: a seeded office whose 2025 figures are worked out by hand below, the
//! scores the default rubric gives it, and the same figures in the JSON, the page and the
//! exports.

use std::io::Cursor;
use std::process::Command;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};

use crate::common;
use crate::common::{TestApp, approx, embedded_mqtt, office_config_text, spawn_app_from};

/// Two departments. Phòng A has electricity, water and a printer counter; Phòng B electricity
/// and a printer, no water meter. Baselines are 2024's use carried over by calendar days.
/// Electricity costs 2 000 VND/kWh until 09/05/2025 and 2 226 from 10/05/2025; water 10 000
/// VND/m³. Targets and the rubric are the shipped defaults.
const OFFICE: &str = r#"
[office]
name = "Văn phòng thử nghiệm"

[[departments]]
id = "phong-a"
name = "Phòng A"
headcount = 10
area_m2 = 100.0

[[departments]]
id = "phong-b"
name = "Phòng B"
headcount = 5
area_m2 = 50.0

[[meters]]
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"

[[meters]]
id = "nuoc-a"
name = "Nước A"
resource = "water"
department = "phong-a"
kind = "counter"
unit = "m3"

[[meters]]
id = "may-in-a"
name = "Máy in A"
resource = "paper"
department = "phong-a"
kind = "counter"
unit = "sheet"

[[meters]]
id = "dien-b"
name = "Điện B"
resource = "electricity"
department = "phong-b"
kind = "counter"
unit = "kWh"

[[meters]]
id = "may-in-b"
name = "Máy in B"
resource = "paper"
department = "phong-b"
kind = "counter"
unit = "sheet"

[baselines]
reference = "2024"
electricity = "total"
water = "total"
paper = "total"

[[tariffs]]
resource = "electricity"
from = "2024-01-01"
price_vnd = 2000.0
per = "kWh"

[[tariffs]]
resource = "electricity"
from = "2025-05-10"
price_vnd = 2226.0
per = "kWh"

[[tariffs]]
resource = "water"
from = "2024-01-01"
price_vnd = 10000.0
per = "m3"
"#;

/// 2024 has 366 days and 2025 365, so a 2024 use of 366 × r is a 2025 baseline of 365 × r.
///
/// | meter    | 2024 (→ baseline 2025) | 2025 actual           | saving |
/// | dien-a   | 3 660 (3 650 kWh)      | 3 650 × 0,96 = 3 504  | 4 %    |
/// | nuoc-a   | 366 (365 m³)           | 365 × 0,97 = 354,05   | 3 %    |
/// | may-in-a | 36 600 (36 500 tờ)     | 36 500 × 0,85 = 31 025| 15 %   |
/// | dien-b   | 1 830 (1 825 kWh)      | 1 825 × 1,03 = 1 879,75| −3 %  |
/// | may-in-b | 18 300 (18 250 tờ)     | 18 250                | 0 %    |
async fn seed(app: &TestApp) {
    let counter = |meter: &str, before: f64, after2024: f64, after2025: f64| {
        vec![
            json!({"meter": meter, "value": before, "ts": "2024-01-01T00:00:00+07:00"}),
            json!({"meter": meter, "value": after2024, "ts": "2025-01-01T00:00:00+07:00"}),
            json!({"meter": meter, "value": after2025, "ts": "2026-01-01T00:00:00+07:00"}),
        ]
    };
    let mut rows = Vec::new();
    rows.extend(counter("dien-a", 0.0, 3660.0, 3660.0 + 3504.0));
    rows.extend(counter("nuoc-a", 0.0, 366.0, 366.0 + 354.05));
    rows.extend(counter("may-in-a", 0.0, 36_600.0, 36_600.0 + 31_025.0));
    rows.extend(counter("dien-b", 0.0, 1830.0, 1830.0 + 1879.75));
    rows.extend(counter("may-in-b", 0.0, 18_300.0, 18_300.0 + 18_250.0));
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["stored"], 15, "{answer}");
    // Documents: Phòng A 95 electronic and 5 on paper every month of 2025; Phòng B the same
    // but December is not entered.
    for (department, months) in [("phong-a", 12), ("phong-b", 11)] {
        for month in 1..=months {
            let body =
                json!({"department": department, "month": format!("2025-{month:02}"), "electronic": 95, "paper": 5});
            let response = app.http.post(app.url("/api/v1/documents")).json(&body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
        }
    }
}

async fn seeded_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    seed(&app).await;
    app
}

fn criterion<'a>(department: &'a Value, name: &str) -> &'a Value {
    department["criteria"].as_array().unwrap().iter().find(|c| c["criterion"] == name).unwrap()
}

fn resource<'a>(department: &'a Value, name: &str) -> &'a Value {
    department["resources"].as_array().unwrap().iter().find(|p| p["resource"] == name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_rubric_scores_the_seeded_office_as_worked_out_by_hand() {
    let app = seeded_app().await;
    let (status, report) = app.get("/api/v1/scores?period=2025").await;
    assert_eq!(status, 200, "{report}");
    approx(&report["max_points"], 100.0);
    let a = &report["departments"][0];
    let b = &report["departments"][1];
    assert_eq!((a["department"].as_str(), b["department"].as_str()), (Some("phong-a"), Some("phong-b")));

    // Phòng A, electricity: baseline 3 660 × 365 / 366 = 3 650, actual 3 504, saved 4 %.
    let e = resource(a, "electricity");
    approx(&e["baseline"]["amount"], 3650.0);
    approx(&e["actual"], 3504.0);
    approx(&e["saving_percent"], 4.0);
    approx(&e["target"]["amount"], 3650.0 * 0.98);
    assert_eq!(e["status"], "dat");
    // 10 people, 100 m²: 350,4 kWh a person, 35,04 a m².
    approx(&e["per_person"], 350.4);
    approx(&e["per_m2"], 35.04);
    // 3 504 kWh × 0,6592 = 2 309,8368 kg CO2e.
    approx(&e["co2e"]["actual_kg"], 2309.8368);
    // 9,6 kWh a day: 129 days (1/1–9/5) at 2 000 VND and 236 days (10/5–31/12) at 2 226:
    // 1 238,4 × 2 000 + 2 265,6 × 2 226 = 2 476 800 + 5 043 225,6 = 7 520 025,6 VND.
    approx(&e["cost"]["actual_vnd"], 7_520_025.6);
    assert_eq!(e["cost"]["tariffs"].as_array().unwrap().len(), 2);
    // Water: 354,05 m³ × 10 000 VND; paper: 31 025 sheets × 0,004595 kg = 142,559875 kg.
    approx(&resource(a, "water")["cost"]["actual_vnd"], 3_540_500.0);
    approx(&resource(a, "paper")["co2e"]["actual_kg"], 142.559875);

    // Points (default rubric): electricity 4 % against 2 %: 30 + 0,5 × 2 = 31; water 3 % of
    // 5 %: 20 × 3/5 = 12; paper 15 % against 10 %: 25 + min(0,5 × 5, 2) = 27; documents 95 %
    // of 100 %: 25 × 0,95 = 23,75. Total 93,75, but water has 12/20 = 60 % of its points,
    // below the 70 % that hoàn thành xuất sắc asks of each criterion: Tốt.
    approx(&criterion(a, "electricity")["points"], 31.0);
    approx(&criterion(a, "water")["points"], 12.0);
    approx(&criterion(a, "paper")["points"], 27.0);
    approx(&criterion(a, "documents")["points"], 23.75);
    approx(&a["total"], 93.75);
    assert_eq!(a["classification"], "Tốt");
    assert_eq!(a["rank"], 1);

    // Phòng B: electricity −3 % (used more): −3 points; paper 0 % saved: 0; no water meter:
    // not applicable; documents with December missing: −5. −8 of the 80 possible points,
    // scaled to 100: −10. Không hoàn thành, second.
    approx(&resource(b, "electricity")["saving_percent"], -3.0);
    assert_eq!(resource(b, "electricity")["status"], "khong_dat");
    approx(&criterion(b, "electricity")["points"], -3.0);
    approx(&criterion(b, "paper")["points"], 0.0);
    assert_eq!(criterion(b, "water")["standing"], "not_applicable");
    assert_eq!(criterion(b, "documents")["standing"], "missing_data");
    approx(&criterion(b, "documents")["points"], -5.0);
    approx(&b["total"], -10.0);
    assert_eq!(b["classification"], "Không hoàn thành");
    assert_eq!(b["rank"], 2);
    assert_eq!(b["documents"]["missing_months"], json!(["2025-12"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_need_a_period_they_understand() {
    let app = seeded_app().await;
    for (query, hint) in [("", "period=2026"), ("?period=2025-Q0", "2026-Q3"), ("?period=năm 2025", "gd1")] {
        let (status, body) = app.get(&format!("/api/v1/scores{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(hint), "{query}: {body}");
    }
    // Every period form answers: a quarter, a month, a phase.
    for period in ["2025-Q4", "2025-11", "gd1"] {
        let (status, body) = app.get(&format!("/api/v1/scores?period={period}")).await;
        assert_eq!(status, 200, "{period}: {body}");
        assert_eq!(body["period"], period);
    }
    app.stop().await;
}

async fn bytes(app: &TestApp, path: &str) -> (u16, String, String, Vec<u8>) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (status, content_type, disposition, response.bytes().await.unwrap().to_vec())
}

fn number_cell(range: &Range<Data>, row: u32, col: u32) -> f64 {
    match range.get_value((row, col)) {
        Some(Data::Float(v)) => *v,
        Some(Data::Int(v)) => *v as f64,
        other => panic!("cell ({row}, {col}) is {other:?}, not a number"),
    }
}

fn text_cell(range: &Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        other => panic!("cell ({row}, {col}) is {other:?}, not text"),
    }
}

/// A JSON figure as the workbook holds it: a number, or "—" when there is none.
fn same(range: &Range<Data>, row: u32, col: u32, expected: &Value) {
    match expected.as_f64() {
        Some(v) => assert!(
            (number_cell(range, row, col) - v).abs() < 1e-9,
            "({row}, {col}): {:?} against {v}",
            range.get_value((row, col))
        ),
        None => assert_eq!(text_cell(range, row, col), "—", "({row}, {col})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbook_holds_the_apis_figures_cell_by_cell() {
    let app = seeded_app().await;
    let (_, report) = app.get("/api/v1/scores?period=2025").await;
    let (status, content_type, disposition, xlsx) = bytes(&app, "/api/v1/export/scores.xlsx?period=2025").await;
    assert_eq!(status, 200);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    assert!(disposition.contains("xanh-diem-thi-dua-2025.xlsx"), "{disposition}");

    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(workbook.sheet_names(), vec!["Tổng hợp", "Điện", "Nước", "Giấy"]);
    let departments = report["departments"].as_array().unwrap();

    // Summary: headers on row 2, one row per department from row 3, then the averages.
    let summary = workbook.worksheet_range("Tổng hợp").unwrap();
    assert_eq!(text_cell(&summary, 1, 0), "Phòng, ban");
    assert_eq!(text_cell(&summary, 1, 5), "Tổng điểm");
    assert_eq!(text_cell(&summary, 1, 6), "Xếp loại");
    for (i, d) in departments.iter().enumerate() {
        let row = 2 + i as u32;
        assert_eq!(text_cell(&summary, row, 0), d["name"].as_str().unwrap());
        for (col, c) in d["criteria"].as_array().unwrap().iter().enumerate() {
            if c["standing"] == "not_applicable" {
                assert_eq!(text_cell(&summary, row, 1 + col as u32), "chưa có công tơ riêng");
                continue;
            }
            same(&summary, row, 1 + col as u32, &c["points"]);
        }
        same(&summary, row, 5, &d["total"]);
        assert_eq!(text_cell(&summary, row, 6), d["classification"].as_str().unwrap());
        same(&summary, row, 7, &d["rank"]);
    }
    // The average of the totals is a formula: (93,75 + (−10)) / 2 = 41,875.
    let formulas = workbook.worksheet_formula("Tổng hợp").unwrap();
    assert_eq!(formulas.get_value((4, 5)).map(String::as_str), Some("AVERAGE(F3:F4)"));
    approx(&json!(number_cell(&summary, 4, 5)), 41.875);
    // Water applies to Phòng A only: its average is Phòng A's 12.
    approx(&json!(number_cell(&summary, 4, 2)), 12.0);

    // One sheet per resource: baseline, baseline to date, target, actual, saving (a
    // fraction shown as %), headcount, per person, area, per m², CO2e, cost, status.
    for (index, (sheet, resource)) in
        [("Điện", "electricity"), ("Nước", "water"), ("Giấy", "paper")].into_iter().enumerate()
    {
        let range = workbook.worksheet_range(sheet).unwrap();
        let mut actual_sum = 0.0;
        for (i, d) in departments.iter().enumerate() {
            let p = &d["resources"][index];
            assert_eq!(p["resource"], resource);
            let row = 2 + i as u32;
            assert_eq!(text_cell(&range, row, 0), d["name"].as_str().unwrap());
            // No meter of its own (Phòng B's water): no figure, not a 0.
            if d["criteria"][index]["standing"] == "not_applicable" {
                assert_eq!(text_cell(&range, row, 4), "chưa có công tơ riêng", "{sheet}");
                assert_eq!(text_cell(&range, row, 12), "chưa có công tơ riêng", "{sheet}");
                continue;
            }
            same(&range, row, 1, &p["baseline"]["amount"]);
            same(&range, row, 2, &p["baseline"]["to_date"]);
            same(&range, row, 3, &p["target"]["amount"]);
            same(&range, row, 4, &p["actual"]);
            same(&range, row, 5, &p["saving_percent"].as_f64().map(|s| json!(s / 100.0)).unwrap_or(Value::Null));
            same(&range, row, 6, &p["headcount"]);
            same(&range, row, 7, &p["per_person"]);
            same(&range, row, 8, &p["area_m2"]);
            same(&range, row, 9, &p["per_m2"]);
            same(&range, row, 10, &p["co2e"]["actual_kg"]);
            same(&range, row, 11, &p["cost"]["actual_vnd"]);
            let status = match p["status"].as_str() {
                Some("dat") => "đạt",
                Some("co_nguy_co") => "có nguy cơ",
                Some("khong_dat") => "không đạt",
                _ => "—",
            };
            assert_eq!(text_cell(&range, row, 12), status);
            actual_sum += p["actual"].as_f64().unwrap();
        }
        // The totals row sums with formulas whose cached values match.
        let formulas = workbook.worksheet_formula(sheet).unwrap();
        assert_eq!(formulas.get_value((4, 4)).map(String::as_str), Some("SUM(E3:E4)"), "{sheet}");
        assert!((number_cell(&range, 4, 4) - actual_sum).abs() < 1e-9, "{sheet}");
    }
    // Electricity in all: 3 504 + 1 879,75 = 5 383,75 kWh against a baseline of 3 650 + 1 825
    // = 5 475: saved 91,25 / 5 475 = 1,6667 %, a formula over the totals.
    let electricity = workbook.worksheet_range("Điện").unwrap();
    approx(&json!(number_cell(&electricity, 4, 4)), 5383.75);
    approx(&json!(number_cell(&electricity, 4, 5)), 91.25 / 5475.0);
    let formulas = workbook.worksheet_formula("Điện").unwrap();
    assert_eq!(formulas.get_value((4, 5)).map(String::as_str), Some("IF(C5>0,(C5-E5)/C5,0)"));
    // Which factor and tariffs the figures used is written under the table.
    let notes: Vec<String> = (6..10).filter_map(|r| electricity.get_value((r, 0)).map(|v| v.to_string())).collect();
    assert!(notes.iter().any(|n| n.contains("0,6592 tCO2/MWh")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("10/05/2025") && n.contains("2.226 đồng/kWh")), "{notes:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_the_page_and_the_command_line_show_the_same_figures() {
    let app = seeded_app().await;
    let (_, report) = app.get("/api/v1/scores?period=2025").await;
    let (status, content_type, _, csv) = bytes(&app, "/api/v1/export/scores.csv?period=2025").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    // UTF-8 with a BOM, so Excel shows the diacritics.
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(csv.clone()).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("Kỳ,Mã phòng,\"Phòng, ban\",Tiêu chí,Đơn vị,Mốc cơ sở cả kỳ"), "{}", lines[0]);
    // Two departments × four criteria.
    assert_eq!(lines.len(), 1 + 8);
    let a_electricity: Vec<&str> = lines[1].split(',').collect();
    assert_eq!((a_electricity[0], a_electricity[1], a_electricity[3]), ("2025", "phong-a", "Điện"));
    let a = &report["departments"][0];
    assert_eq!(a_electricity[8].parse::<f64>().unwrap(), a["resources"][0]["actual"].as_f64().unwrap());
    // Points are kept to the hundredth: 4,0000000000006 % saved gives 31, not 31,0000000000003.
    assert_eq!(a_electricity[15], "31");
    assert_eq!((a_electricity[17], a_electricity[18]), ("Tốt", "1"));
    let b_water: Vec<&str> = lines[6].split(',').collect();
    assert_eq!(
        (b_water[1], b_water[3], b_water[5], b_water[15]),
        ("phong-b", "Nước", "", ""),
        "no water meter, no points"
    );

    // The page shows the same figures, written the Vietnamese way.
    let page = app.http.get(app.url("/scores?period=2025")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"data-figure="total">93,75<"#), "{page}");
    assert!(page.contains(r#"data-figure="total">-10,00<"#), "{page}");
    assert!(page.contains(r#"data-figure="cost">7.520.026<"#), "the electricity cost, rounded to the đồng");
    assert!(page.contains(r#"href="/api/v1/export/scores.xlsx?period=2025""#));
    assert!(page.contains(r#"data-figure="classification">Tốt<"#));

    // `xanh export` on the same store writes the same CSV and a workbook.
    let dir = app.dir_and_stop().await;
    let config = dir.path().join("office.toml");
    std::fs::write(&config, office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"))).unwrap();
    let out = dir.path().join("diem.csv");
    let output = Command::new(common::binary())
        .args([
            "--config",
            config.to_str().unwrap(),
            "export",
            "--period",
            "2025",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 departments"));
    assert_eq!(std::fs::read(&out).unwrap(), csv);
    let out = dir.path().join("diem.xlsx");
    let output = Command::new(common::binary())
        .args(["--config", config.to_str().unwrap(), "export", "--period", "2025", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(std::fs::read(&out).unwrap())).unwrap();
    approx(&json!(number_cell(&workbook.worksheet_range("Tổng hợp").unwrap(), 2, 5)), 93.75);
    // A wrong period or format is refused before anything is written.
    let output = Command::new(common::binary())
        .args(["--config", config.to_str().unwrap(), "export", "--period", "2025-Q5", "--format", "pdf", "--out", "x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("2026-Q3"), "{}", String::from_utf8_lossy(&output.stderr));
}

/// A CSV line split the way Excel splits it: `sep` between fields, `"` quoting.
fn split_csv(line: &str, sep: char) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A Vietnamese Excel's reading of a number: a decimal comma, no grouping.
fn vietnamese_number(text: &str) -> f64 {
    assert!(!text.contains('.'), "{text} would not read as a number in a Vietnamese Excel");
    text.replace(',', ".").parse().unwrap_or_else(|_| panic!("{text} is not a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vietnamese_excel_reads_the_csv_with_semicolons_decimal_commas_and_the_pages_rounding() {
    let app = seeded_app().await;
    let (_, report) = app.get("/api/v1/scores?period=2025").await;
    let (status, content_type, disposition, csv) =
        bytes(&app, "/api/v1/export/scores.csv?period=2025&format=csv-vi").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(disposition.contains("xanh-diem-thi-dua-2025.csv"), "{disposition}");
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF", "a BOM, so Excel reads the diacritics");
    let text = String::from_utf8(csv).unwrap();
    let rows: Vec<Vec<String>> = text.trim_start_matches('\u{feff}').lines().map(|l| split_csv(l, ';')).collect();
    // "Phòng, ban" keeps its comma without quotes: the separator is `;`.
    assert!(text.contains("Kỳ;Mã phòng;Phòng, ban;Tiêu chí;Đơn vị;Mốc cơ sở cả kỳ"), "{text}");
    assert_eq!(rows.len(), 1 + 8, "two departments × four criteria (no main meter: no common areas)");
    assert!(rows.iter().all(|r| r.len() == 19), "{rows:?}");

    // Phòng A's electricity, as the page shows it: 3 504,0 kWh, 4,0 % saved, 7.520.026 đồng, 31,00 points.
    let a = &rows[1];
    assert_eq!((a[1].as_str(), a[3].as_str()), ("phong-a", "Điện"));
    assert_eq!((a[5].as_str(), a[8].as_str(), a[9].as_str()), ("3650,0", "3504,0", "4,0"));
    assert_eq!((a[13].as_str(), a[15].as_str(), a[16].as_str()), ("7520026", "31,00", "93,75"));
    assert_eq!((a[17].as_str(), a[18].as_str()), ("Tốt", "1"));
    // Every figure is the API's, rounded to what the page shows (1 decimal, 2 per m² and for
    // points, whole đồng): never the 16 digits of -4.7031098178171336.
    let departments = report["departments"].as_array().unwrap();
    for (d, department) in departments.iter().enumerate() {
        for (r, (resource, _)) in [("electricity", 0), ("water", 1), ("paper", 2)].into_iter().enumerate() {
            let row = &rows[1 + d * 4 + r];
            let p = &department["resources"][r];
            assert_eq!(p["resource"], resource);
            if department["criteria"][r]["standing"] == "not_applicable" {
                assert_eq!(row[14], "chưa có công tơ riêng");
                assert_eq!(row[8], "", "no meter of its own: no figure, not 0");
                continue;
            }
            for (col, value, decimals) in [
                (8, &p["actual"], 1),
                (9, &p["saving_percent"], 1),
                (10, &p["per_person"], 1),
                (11, &p["per_m2"], 2),
                (12, &p["co2e"]["actual_kg"], 1),
                (13, &p["cost"]["actual_vnd"], 0),
            ] {
                let Some(value) = value.as_f64() else { continue };
                let shown = &row[col];
                let places = shown.split_once(',').map_or(0, |(_, f)| f.len());
                assert_eq!(places, decimals, "{resource} column {col}: {shown}");
                let half_step = 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9;
                assert!(
                    (vietnamese_number(shown) - value).abs() <= half_step,
                    "{resource} column {col}: {shown} for {value}"
                );
            }
        }
    }
    // Phòng B's electricity: 1 879,75 kWh shows as 1 879,8; 3 % more than its baseline.
    assert_eq!((rows[5][8].as_str(), rows[5][9].as_str()), ("1879,8", "-3,0"));

    // The script form stays as it was: commas and full precision.
    let (_, _, _, plain) = bytes(&app, "/api/v1/export/scores.csv?period=2025").await;
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.contains("Kỳ,Mã phòng,\"Phòng, ban\""), "{plain}");
    let plain_b = split_csv(plain.lines().nth(5).unwrap(), ',');
    assert_eq!(plain_b[8].parse::<f64>().unwrap(), departments[1]["resources"][0]["actual"].as_f64().unwrap());
    // An unknown format is refused, saying which ones exist.
    let (status, _, _, body) = bytes(&app, "/api/v1/export/scores.csv?period=2025&format=csv-fr").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("csv-vi"));

    // The Vietnamese page offers the Excel form first; the script form stays beside it.
    let page = app.http.get(app.url("/scores?period=2025")).send().await.unwrap().text().await.unwrap();
    let vi = page.find(r#"href="/api/v1/export/scores.csv?period=2025&amp;format=csv-vi""#).expect("the csv-vi link");
    let scripts = page.find(r#"href="/api/v1/export/scores.csv?period=2025""#).expect("the script link");
    assert!(vi < scripts, "the Vietnamese Excel form comes first");
    app.stop().await;
}
