//! The signed report of a period (PDF and DOCX): read back with poppler (pdftotext, pdffonts,
//! pdfinfo) and, for the DOCX, converted by LibreOffice headless as Writer opens it. Its
//! Vietnamese text, letterhead, fonts and page size, and every figure against the API's
//! JSON for the same period.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use xanh::locale::{self, Lang};

use crate::common::{TestApp, binary, embedded_mqtt, office_config_text, spawn_app_from};

/// Three departments: Phòng A and Phòng B with electricity meters and printers, Phòng C with
/// no meter at all; the building's electricity and water meters (whose use beyond the
/// departments' is Khu vực chung). The Lai Châu letterhead.
const OFFICE: &str = r#"
[office]
name = "Văn phòng UBND tỉnh"
superior = "UBND tỉnh Lai Châu"
issuing_body = "Văn phòng"
place = "Lai Châu"
signer_title = "Chánh Văn phòng"
signer_name = "Lò Thị Hướng"

[[departments]]
id = "phong-a"
name = "Phòng Tổng hợp"
headcount = 10
area_m2 = 100.0

[[departments]]
id = "phong-b"
name = "Phòng Kinh tế"
headcount = 5
area_m2 = 50.0

[[departments]]
id = "phong-c"
name = "Ban Tiếp công dân"
headcount = 4
area_m2 = 40.0

[[meters]]
id = "dien-toa-nha"
name = "Điện tòa nhà"
resource = "electricity"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-a"
name = "Điện A"
resource = "electricity"
department = "phong-a"
kind = "counter"
unit = "kWh"

[[meters]]
id = "dien-b"
name = "Điện B"
resource = "electricity"
department = "phong-b"
kind = "counter"
unit = "kWh"

[[meters]]
id = "nuoc-toa-nha"
name = "Nước tòa nhà"
resource = "water"
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
id = "may-in-b"
name = "Máy in B"
resource = "paper"
department = "phong-b"
kind = "counter"
unit = "sheet"

[baselines]
reference = "2025"
electricity = "total"
water = "total"
paper = "total"

[[tariffs]]
resource = "electricity"
from = "2025-01-01"
price_vnd = 2226.0
per = "kWh"
"#;

/// Each meter's monthly use in 2025 and in 2026 (the counters are read on each month's first
/// day, from January 2025 to December 2026).
const MONTHLY: [(&str, f64, f64); 6] = [
    ("dien-a", 1000.0, 940.0),
    ("dien-b", 500.0, 530.0),
    // The departments' and 400 kWh (2025) or 380 (2026) of common areas.
    ("dien-toa-nha", 1900.0, 1850.0),
    ("nuoc-toa-nha", 60.0, 57.5),
    ("may-in-a", 3000.0, 2600.0),
    ("may-in-b", 1500.0, 1500.0),
];

async fn seeded_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    let mut rows = Vec::new();
    for (meter, per_month_2025, per_month_2026) in MONTHLY {
        let mut value = 0.0;
        for month in 0..24 {
            let (year, m) = (2025 + month / 12, month % 12 + 1);
            rows.push(json!({"meter": meter, "value": value, "ts": format!("{year}-{m:02}-01T00:00:00+07:00")}));
            value += if year == 2025 { per_month_2025 } else { per_month_2026 };
        }
    }
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["stored"], rows.len(), "{answer}");
    for department in ["phong-a", "phong-b", "phong-c"] {
        for month in 1..=11 {
            let body =
                json!({"department": department, "month": format!("2026-{month:02}"), "electronic": 90, "paper": 10});
            let response = app.http.post(app.url("/api/v1/documents")).json(&body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
        }
    }
    app
}

async fn download(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The text of a PDF as pdftotext lays it out.
fn pdf_text(pdf: &Path) -> String {
    run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])
}

/// (pages, whether the pages are A4) from pdfinfo.
fn pages_and_a4(pdf: &Path) -> (u32, bool) {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = |key: &str| info.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_owned();
    let pages = line("Pages:").split_whitespace().last().unwrap().parse().unwrap();
    (pages, line("Page size:").contains("(A4)"))
}

/// The DOCX converted to PDF by LibreOffice Writer, with a profile of its own so that
/// parallel runs do not share one.
fn docx_to_pdf(docx: &[u8], dir: &Path) -> std::path::PathBuf {
    let input = dir.join("report.docx");
    std::fs::write(&input, docx).unwrap();
    let profile = format!("-env:UserInstallation=file://{}", dir.join("lo-profile").display());
    run(
        "soffice",
        &[&profile, "--headless", "--convert-to", "pdf", "--outdir", dir.to_str().unwrap(), input.to_str().unwrap()],
    );
    dir.join("report.pdf")
}

/// The first line of the laid-out text that starts with `label`, its spaces squeezed.
fn row(text: &str, label: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line starts with {label:?} in:\n{text}"))
}

/// The words of the first row that starts with `label`, with the label taken off.
fn cells(text: &str, label: &str) -> Vec<String> {
    row(text, label)[label.len()..].split_whitespace().map(str::to_owned).collect()
}

fn amount(value: &Value, resource: &str) -> String {
    let v = value.as_f64().unwrap_or_else(|| panic!("{value} is not a number"));
    if resource == "paper" { locale::number(v, 0, Lang::Vi) } else { locale::amount(v, Lang::Vi) }
}

/// The Vietnamese the report must carry, diacritics and all.
const LETTERHEAD: [&str; 8] = [
    "UBND TỈNH LAI CHÂU",
    "VĂN PHÒNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số:",
    "BÁO CÁO",
    "Nơi nhận:",
    "CHÁNH VĂN PHÒNG",
];

/// The office's figures against the API's: each resource's row of section I, the
/// departments' rows of section II and the scoring table's totals.
async fn assert_figures_match_the_api(app: &TestApp, text: &str, period: &str) {
    for (resource, label) in [("electricity", "Điện (kWh)"), ("water", "Nước (m³)"), ("paper", "Giấy (tờ)")]
    {
        let (status, p) = app.get(&format!("/api/v1/progress?resource={resource}&period={period}")).await;
        assert_eq!(status, 200, "{p}");
        let expected = [
            amount(&p["actual"], resource),
            amount(&p["last_year"]["total"], resource),
            amount(&p["baseline"]["amount"], resource),
            amount(&p["target"]["amount"], resource),
            amount(&p["forecast"]["amount"], resource),
            format!("{}%", locale::number(p["saving_percent"].as_f64().unwrap(), 1, Lang::Vi)),
        ];
        let found = cells(text, label);
        assert_eq!(found[..6], expected[..], "{label} in the report against /api/v1/progress: {p}");
    }
    let (status, table) = app.get(&format!("/api/v1/departments?resource=electricity&period={period}")).await;
    assert_eq!(status, 200, "{table}");
    for d in table["departments"].as_array().unwrap() {
        let name = d["name"].as_str().unwrap();
        let found = cells(text, name);
        if d["has_meter"] == true {
            assert_eq!(found[0], amount(&d["total"], "electricity"), "{name}");
            assert_eq!(found[1], locale::number(d["per_person"].as_f64().unwrap(), 2, Lang::Vi), "{name}");
        } else {
            assert_eq!(found.join(" "), "chưa có công tơ riêng", "{name}: a department without a meter is marked");
        }
    }
    let common = &table["common_area"];
    assert_eq!(cells(text, "Khu vực chung")[0], amount(&common["amount"], "electricity"));
    assert_eq!(cells(text, "Cả văn phòng")[0], amount(&common["office_total"], "electricity"));
    let (status, scores) = app.get(&format!("/api/v1/scores?period={period}")).await;
    assert_eq!(status, 200, "{scores}");
    for d in scores["departments"].as_array().unwrap() {
        let rank = d["rank"].to_string();
        let name = d["name"].as_str().unwrap();
        let line = row(text, &format!("{rank} {name}"));
        let total = locale::number(d["total"].as_f64().unwrap(), 1, Lang::Vi);
        assert!(line.contains(&total), "{name}'s total {total} in {line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pdf_report_is_a4_with_its_font_embedded_and_the_api_figures_in_vietnamese() {
    let app = seeded_app().await;
    let (status, content_type, pdf) = download(&app, "/api/v1/export/report.pdf?period=2026-Q3").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(content_type, "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf).unwrap();

    let (pages, a4) = pages_and_a4(&file);
    assert!(pages > 0 && a4, "{pages} pages, A4: {a4}");
    let fonts = run("pdffonts", &[file.to_str().unwrap()]);
    let serif: Vec<&str> = fonts.lines().filter(|l| l.contains("LiberationSerif")).collect();
    assert!(!serif.is_empty(), "{fonts}");
    // The columns after the type and encoding: emb, sub, uni.
    assert!(serif.iter().all(|l| l.split_whitespace().rev().nth(4) == Some("yes")), "not embedded:\n{fonts}");

    let text = pdf_text(&file);
    for words in LETTERHEAD {
        assert!(text.contains(words), "{words:?} missing from:\n{text}");
    }
    assert!(text.contains("Lai Châu, ngày "), "{text}");
    assert!(text.contains("Lò Thị Hướng"), "the signer's name: {text}");
    assert!(text.contains("quý III năm 2026"), "{text}");
    assert_figures_match_the_api(&app, &text, "2026-Q3").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docx_report_opens_in_writer_with_the_same_text_and_figures() {
    let app = seeded_app().await;
    let (status, content_type, docx) = download(&app, "/api/v1/export/report.docx?period=2026-11").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&docx));
    assert_eq!(content_type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let dir = tempfile::tempdir().unwrap();
    let pdf = docx_to_pdf(&docx, dir.path());
    let (pages, a4) = pages_and_a4(&pdf);
    assert!(pages > 0 && a4, "{pages} pages, A4: {a4}");
    let text = pdf_text(&pdf);
    for words in LETTERHEAD {
        assert!(text.contains(words), "{words:?} missing from:\n{text}");
    }
    assert!(text.contains("tháng 11 năm 2026"), "{text}");
    assert_figures_match_the_api(&app, &text, "2026-11").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_named_period_renders_and_a_bad_one_is_a_vietnamese_400() {
    let app = seeded_app().await;
    let dir = tempfile::tempdir().unwrap();
    for period in ["2026-11", "2026-Q3", "2026", "gd1", "gd2"] {
        let (status, _, pdf) = download(&app, &format!("/api/v1/export/report.pdf?period={period}")).await;
        assert_eq!(status, 200, "{period}: {}", String::from_utf8_lossy(&pdf));
        let file = dir.path().join(format!("{period}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        assert!(pages_and_a4(&file).0 > 0, "{period}");
        assert!(pdf_text(&file).contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "{period}");
        let (status, _, docx) = download(&app, &format!("/api/v1/export/report.docx?period={period}")).await;
        assert_eq!(status, 200, "{period}");
        assert!(docx.starts_with(b"PK"), "{period}: a DOCX is a zip");
    }
    for (query, words) in [
        ("?period=2026-13", "`2026-13` không phải là một kỳ báo cáo"),
        ("?period=quý 3", "không phải là một kỳ báo cáo"),
        ("", "Thiếu kỳ báo cáo"),
    ] {
        for format in ["pdf", "docx"] {
            let (status, body) = app.get(&format!("/api/v1/export/report.{format}{query}")).await;
            assert_eq!(status, 400, "{format}{query}: {body}");
            let message = body["error"].as_str().unwrap();
            assert!(message.contains(words) && message.contains("2026-Q3"), "{format}{query}: {message}");
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_page_links_both_formats_from_the_menu_and_the_command_line_writes_them() {
    let app = seeded_app().await;
    let response = app.http.get(app.url("/reports?period=2026-Q3")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"href="/reports?lang=vi" aria-current="page">Báo cáo</a>"#), "the menu links the page");
    for format in ["pdf", "docx"] {
        let link = format!(r#"href="/api/v1/export/report.{format}?period=2026-Q3""#);
        assert!(html.contains(&link), "{link} missing from the page");
    }

    let config = app.dir.path().join("config.toml");
    std::fs::write(&config, office_config_text(OFFICE, &embedded_mqtt(), &app.dir.path().join("xanh.db"))).unwrap();
    let out = app.dir.path().join("bao-cao.pdf");
    let output = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "report", "--period", "2026", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = pdf_text(&out);
    assert!(text.contains("năm 2026") && text.contains("Lò Thị Hướng"), "{text}");
    let output = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "report", "--period", "2026", "--out", "bao-cao.odt"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains(".pdf or .docx"), "{output:?}");
    app.stop().await;
}
