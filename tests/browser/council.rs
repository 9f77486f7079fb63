//! Two Novembers worked by hand: the pages, the API and both exports agree on what the
//! council checks.

use super::*;

/// November 2025 and November 2026 on the test office (issue 13): the main electricity meter
/// counted 3 000 then 2 800 kWh, Phòng A's sub-meter 1 000 then 900, Phòng B's (in Wh) 800
/// then 700; the main water meter 60 then 50 m³, Phòng A's own (in litres, not under the main
/// one) 20 then 15 m³. Phòng B has no water meter and no paper meter of its own.
const NOVEMBERS: &str = r#"[
    {"meter": "dien-tong", "value": 1000.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 4000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 4000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-tong", "value": 6800.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-a", "value": 1900.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 800000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 800000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "dien-b-wh", "value": 1500000.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 100.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 160.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 160.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "nuoc-tong", "value": 210.0, "ts": "2026-12-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 0.0, "ts": "2025-11-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 20000.0, "ts": "2025-12-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 20000.0, "ts": "2026-11-01T00:00:00+07:00"},
    {"meter": "nuoc-a-lit", "value": 35000.0, "ts": "2026-12-01T00:00:00+07:00"}
]"#;

/// The dashboard, the API and both exports agree to the unit on the status, the explain, the
/// departments (the common areas, a department without a meter) and the offices (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_the_api_and_both_exports_agree_on_the_figures_a_council_checks() {
    use calamine::{DataType, Reader, Xlsx, open_workbook_from_rs};
    let dir = tempfile::tempdir().unwrap();
    // Baselines from November 2025, so that November 2026 compares like with like.
    let plan = "[baselines]\nreference = \"2025-11\"\n";
    let config = office_config_text(&format!("{OFFICE}\n{plan}"), &embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&config, dir).await;
    let readings: Value = serde_json::from_str(NOVEMBERS).unwrap();
    let response = app.http.post(app.url("/api/v1/readings")).json(&readings).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let n = |v: f64, decimals| locale::number(v, decimals, Lang::Vi);

    // The API, worked by hand. Phòng A's electricity: baseline 1 000 kWh × 21 working days of
    // November 2026 / 20 of November 2025 = 1 050; target −2 %: 1 029; actual 900; saved
    // (1 050 − 900) / 1 050 = 14,29 %: đạt.
    let (status, scores) = app.get("/api/v1/scores?period=2026-11").await;
    assert_eq!(status, 200, "{scores}");
    let department =
        |id: &str| scores["departments"].as_array().unwrap().iter().find(|d| d["department"] == id).unwrap().clone();
    let phong_a = department("phong-a");
    let a_electricity = &phong_a["resources"][0];
    common::approx(&a_electricity["baseline"]["amount"], 1050.0);
    common::approx(&a_electricity["target"]["amount"], 1029.0);
    common::approx(&a_electricity["actual"], 900.0);
    assert_eq!(a_electricity["status"], "dat");
    let baseline_line =
        a_electricity["explain"]["lines"].as_array().unwrap().iter().find(|l| l["key"] == "baseline").unwrap()["vi"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(
        baseline_line,
        "Mốc cơ sở: 1.000 kWh trong kỳ 2025-11 (tính từ số liệu công tơ) × 21 / 20 ngày làm việc = 1.050 kWh cả kỳ; đến nay × 21 / 20 ngày làm việc = 1.050 kWh"
    );
    // Phòng B has no water meter: not scored on water, not 0.
    let phong_b = department("phong-b");
    assert_eq!(phong_b["criteria"][1]["standing"], "not_applicable");
    // The common areas: electricity 2 800 − 900 − 700 = 1 200 kWh; water: the main meter's
    // 50 m³ and Phòng A's own 15 make the office's 65, less Phòng A's 15: 50.
    let common = |resource: &str| {
        scores["common_areas"].as_array().unwrap().iter().find(|c| c["resource"] == resource).unwrap().clone()
    };
    common::approx(&common("electricity")["amount"], 1200.0);
    common::approx(&common("electricity")["office_total"], 2800.0);
    common::approx(&common("water")["amount"], 50.0);
    let (status, table) = app.get("/api/v1/departments?resource=water&period=2026-11").await;
    assert_eq!(status, 200, "{table}");
    assert_eq!(table["departments"][1]["total"], Value::Null, "{table}");
    assert_eq!(table["departments"][1]["rank"], Value::Null);
    assert_eq!(table["departments"][0]["rank"], 1);
    common::approx(&table["common_area"]["amount"], 50.0);

    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;
    // The scores page: the same figures, the status as a coloured word, the same explain.
    browser.open(&app, "/scores?period=2026-11").await;
    let row = "section[data-resource=electricity] tr[data-department=phong-a]";
    assert_eq!(text(&browser, &format!("{row} td[data-figure=baseline]")).await, n(1050.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=target]")).await, n(1029.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=actual]")).await, n(900.0, 1));
    assert_eq!(text(&browser, &format!("{row} td[data-figure=status] span.badge.status-ok")).await, "đạt");
    assert_eq!(text(&browser, "details[data-explain=phong-a-electricity] li[data-line=baseline]").await, baseline_line);
    let points_line = text(&browser, "details[data-explain=phong-a-points] li[data-line=electricity]").await;
    assert_eq!(points_line, phong_a["criteria"][0]["explain"].as_str().unwrap());
    assert_eq!(text(&browser, "tr[data-department=phong-b] td[data-criterion=water]").await, "chưa có công tơ riêng");
    assert_eq!(
        text(&browser, "section[data-resource=water] tr[data-department=phong-b] td[data-figure=actual]").await,
        "chưa có công tơ riêng"
    );
    assert_eq!(
        text(&browser, "section[data-resource=electricity] tr[data-department=khu-vuc-chung] td[data-figure=actual]")
            .await,
        n(1200.0, 1)
    );
    assert_eq!(
        text(&browser, "section[data-resource=electricity] tr[data-department=ca-van-phong] td[data-figure=actual]")
            .await,
        n(2800.0, 1)
    );
    browser.screenshot("scores-explain-desktop.png").await;

    // The departments page: Phòng B's water is not a 0 and not ranked; the common areas a row.
    browser.open(&app, "/departments?period=2026-11").await;
    let water = "article[data-kind=ranking][data-resource=water]";
    assert_eq!(
        text(&browser, &format!("{water} tr[data-row=phong-b] td[data-figure=total]")).await,
        "chưa có công tơ riêng"
    );
    assert_eq!(text(&browser, &format!("{water} tr[data-row=phong-b] td[data-figure=rank]")).await, "");
    assert_eq!(text(&browser, &format!("{water} tr[data-row=phong-a] td[data-figure=rank]")).await, "1");
    assert_eq!(
        text(&browser, &format!("{water} tr[data-row=khu-vuc-chung] td[data-figure=total]")).await,
        locale::amount(50.0, Lang::Vi)
    );
    let electricity = "article[data-kind=ranking][data-resource=electricity]";
    assert_eq!(
        text(&browser, &format!("{electricity} tr[data-row=khu-vuc-chung] td[data-figure=total]")).await,
        locale::amount(1200.0, Lang::Vi)
    );
    assert_eq!(
        text(&browser, &format!("{electricity} tr[data-row=ca-van-phong] td[data-figure=total]")).await,
        locale::amount(2800.0, Lang::Vi)
    );

    // Phòng B's own page: its water has no meter of its own, not a chart of zeros.
    browser.open(&app, "/department?department=phong-b&period=2026-11").await;
    let water = "article[data-kind=bars][data-resource=water]";
    assert_eq!(
        text(&browser, &format!("{water} [data-figure=total]")).await,
        "Chưa có công tơ riêng cho tài nguyên này."
    );
    let electricity_total =
        text(&browser, "article[data-kind=bars][data-resource=electricity] [data-figure=total]").await;
    assert_eq!(electricity_total, locale::quantity(Resource::Electricity, 700.0, Lang::Vi));

    // The offices page: the common areas beside the departments, the same figures as the API.
    let (_, offices) = app.get("/api/v1/offices?period=2026-11").await;
    let common_row = offices["offices"][0]["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "khu-vuc-chung")
        .unwrap()
        .clone();
    common::approx(&common_row["resources"][0]["amount"], 1200.0);
    // Last November: 3 000 − 1 000 − 800 = 1 200 too: no change.
    common::approx(&common_row["resources"][0]["change_percent"], 0.0);
    browser.open(&app, "/offices?period=2026-11").await;
    assert_eq!(
        text(&browser, "tr[data-department=khu-vuc-chung] td[data-figure=electricity-amount]").await,
        locale::quantity(Resource::Electricity, 1200.0, Lang::Vi)
    );
    browser.quit().await;

    // The CSV: the API's numbers, Phòng B's water without a figure, the common areas' rows.
    let csv =
        app.http.get(app.url("/api/v1/export/scores.csv?period=2026-11")).send().await.unwrap().text().await.unwrap();
    let number = |cell: &str| json!(cell.parse::<f64>().unwrap_or_else(|_| panic!("`{cell}` is not a number")));
    let a = csv_row(&csv, "phong-a", "Điện");
    common::approx(&number(&a[5]), 1050.0);
    common::approx(&number(&a[8]), 900.0);
    assert_eq!(a[14], "đạt");
    let b = csv_row(&csv, "phong-b", "Nước");
    assert_eq!((b[8].as_str(), b[14].as_str(), b[15].as_str()), ("", "chưa có công tơ riêng", ""));
    common::approx(&number(&csv_row(&csv, "khu-vuc-chung", "Điện")[8]), 1200.0);
    common::approx(&number(&csv_row(&csv, "ca-van-phong", "Điện")[8]), 2800.0);
    common::approx(&number(&csv_row(&csv, "khu-vuc-chung", "Nước")[8]), 50.0);

    // The workbook: the same, cell by cell.
    let bytes =
        app.http.get(app.url("/api/v1/export/scores.xlsx?period=2026-11")).send().await.unwrap().bytes().await.unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("Điện").unwrap();
    let cell = |data: &calamine::Data| json!(data.as_f64().unwrap_or_else(|| panic!("{data} is not a number")));
    let a = xlsx_row(&sheet, "Phòng A");
    common::approx(&cell(&a[1]), 1050.0);
    common::approx(&cell(&a[4]), 900.0);
    assert_eq!(a[12].to_string(), "đạt");
    common::approx(&cell(&xlsx_row(&sheet, "Khu vực chung")[4]), 1200.0);
    common::approx(&cell(&xlsx_row(&sheet, "Cả văn phòng")[4]), 2800.0);
    let water = workbook.worksheet_range("Nước").unwrap();
    assert_eq!(xlsx_row(&water, "Phòng B")[4].to_string(), "chưa có công tơ riêng");
    let summary = workbook.worksheet_range("Tổng hợp").unwrap();
    assert_eq!(xlsx_row(&summary, "Phòng B")[2].to_string(), "chưa có công tơ riêng");
    app.stop().await;
}
