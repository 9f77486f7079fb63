//! Issue 20: the office's other resources and its paperless meetings carry points. The demo
//! office's 2025 worked by hand: Phòng Kinh tế within its norms, with 8 of 10 meetings
//! paperless against a 90 % target; Phòng Tổng hợp over its toner norm and without meeting
//! counts; the same points in the API, the council's page, the CSV and the workbook.

use std::io::Cursor;

use calamine::{Data, DataType, Range, Reader, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};

use crate::common::{ADMIN, PASSWORD, TestApp, approx};
use crate::supplies::{demo_office_with, post_slip, slip};

async fn post(app: &TestApp, path: &str, body: Value) {
    let response = app.http.post(app.url(path)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{body}: {}", response.text().await.unwrap());
}

/// 2025 as entered: stationery for both departments, well within 150 000 đ a person a month;
/// toner: 9 cartridges for Tổng hợp (its norm: 2 a quarter, 8 a year), 1 for Kinh tế.
/// Kinh tế enters its documents (90 of 100 electronic each month) and its meetings: one a
/// month January to October, 8 of them paperless, none in November and December.
async fn enter_the_year(app: &TestApp) {
    for (number, department, lines) in [
        ("PX-1", "phong-tong-hop", vec![("van-phong-pham", "but-bi", 20.0), ("muc-in", "hp-85a", 9.0)]),
        ("PX-2", "phong-kinh-te", vec![("van-phong-pham", "bia-ho-so", 30.0), ("muc-in", "hp-85a", 1.0)]),
    ] {
        let (status, answer) = post_slip(app, slip(number, department, "2025-12-01", &lines)).await;
        assert_eq!(status, 200, "{answer}");
    }
    for month in 1..=12 {
        let month = format!("2025-{month:02}");
        let documents = json!({"department": "phong-kinh-te", "month": month, "electronic": 90, "paper": 10});
        post(app, "/api/v1/documents", documents).await;
        let (held, paperless) = match month.as_str() {
            "2025-11" | "2025-12" => (0, 0),
            "2025-03" | "2025-07" => (1, 0),
            _ => (1, 1),
        };
        let meetings = json!({"department": "phong-kinh-te", "month": month, "held": held, "paperless": paperless});
        post(app, "/api/v1/meetings", meetings).await;
    }
}

fn criterion<'a>(department: &'a Value, key: &str) -> &'a Value {
    department["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["supply"] == key || (c["supply"].is_null() && c["criterion"] == key))
        .unwrap_or_else(|| panic!("no criterion {key}: {department}"))
}

fn text_cell(range: &Range<Data>, row: u32, col: u32) -> String {
    range.get_value((row, col)).map(|d| d.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn norms_and_paperless_meetings_are_scored_and_the_total_brought_back_to_100() {
    let app = demo_office_with("\n[meetings]\ntarget_percent = 90\n").await;
    enter_the_year(&app).await;

    let (status, scores) = app.get("/api/v1/scores?period=2025").await;
    assert_eq!(status, 200, "{scores}");
    assert_eq!(scores["max_points"], 100.0, "the scale stays the core criteria's 100");
    let department =
        |id: &str| scores["departments"].as_array().unwrap().iter().find(|d| d["department"] == id).unwrap();
    let kinh_te = department("phong-kinh-te");
    // Every department has the same criteria: the four, meetings (the office counts them),
    // then stationery and toner (each with a norm in force); fuel has no norm, no points.
    let keys: Vec<String> = kinh_te["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["supply"].as_str().unwrap_or(c["criterion"].as_str().unwrap()).to_owned())
        .collect();
    assert_eq!(keys, ["electricity", "water", "paper", "documents", "meetings", "van-phong-pham", "muc-in"]);

    // Kinh tế. Meetings: 8 of 10 paperless = 80 % of a 90 % target: 10 × 80 / 90 = 8,89.
    let meetings = criterion(kinh_te, "meetings");
    assert_eq!(meetings["standing"], "scored");
    approx(&meetings["achieved_percent"], 80.0);
    approx(&meetings["target_percent"], 90.0);
    approx(&meetings["points"], 8.89);
    assert_eq!(meetings["explain"], "Tỉ lệ họp không giấy 80,0 % < mục tiêu 90,0 %: 10,00 × 80,0 / 90,0 = 8,89 điểm");
    // Toner: 1 of its 8 a year (12,5 %), within: the 5 points kept; stationery likewise.
    let toner = criterion(kinh_te, "muc-in");
    approx(&toner["achieved_percent"], 12.5);
    approx(&toner["points"], 5.0);
    assert_eq!(toner["explain"], "Dùng 12,5 % định mức, trong định mức: 5,00 điểm");
    approx(&criterion(kinh_te, "van-phong-pham")["points"], 5.0);
    // Documents 90 % of 100 %: 22,5. No readings: electricity and paper lose 5 each for
    // missing data; it has no water meter, not scored on water.
    approx(&criterion(kinh_te, "documents")["points"], 22.5);
    approx(&criterion(kinh_te, "electricity")["points"], -5.0);
    approx(&criterion(kinh_te, "paper")["points"], -5.0);
    assert_eq!(criterion(kinh_te, "water")["standing"], "not_applicable");
    // −5 − 5 + 22,5 + 8,89 + 5 + 5 = 31,39 of 30 + 25 + 25 + 10 + 5 + 5 = 100 possible.
    approx(&kinh_te["total"], 31.39);
    assert_eq!(kinh_te["classification"], "Không hoàn thành");

    // Tổng hợp: 9 cartridges of 8 (112,5 %): over its norm, the toner's 5 points lost.
    let tong_hop = department("phong-tong-hop");
    let toner = criterion(tong_hop, "muc-in");
    assert_eq!(toner["standing"], "scored");
    approx(&toner["points"], 0.0);
    assert_eq!(toner["explain"], "Dùng 112,5 % định mức, vượt định mức: không được 5,00 điểm = 0,00 điểm");
    approx(&criterion(tong_hop, "van-phong-pham")["points"], 5.0);
    // No meeting counts entered: 5 off for missing data, as for documents.
    let meetings = criterion(tong_hop, "meetings");
    assert_eq!(meetings["standing"], "missing_data");
    approx(&meetings["points"], -5.0);
    // −5 (electricity) − 5 (paper) − 5 (documents) − 5 (meetings) + 5 + 0 = −15 of 100.
    approx(&tong_hop["total"], -15.0);
    assert!(kinh_te["rank"].as_u64() < tong_hop["rank"].as_u64(), "{scores}");

    // The council's page: a column a criterion, the same points.
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (status, page) = session.get("/scores?period=2025").await;
    assert_eq!(status, 200);
    for header in ["<th>Họp không giấy</th>", "<th>Văn phòng phẩm</th>", "<th>Hộp mực in</th>"] {
        assert!(page.contains(header), "{header}: {page}");
    }
    let row = |id: &str| {
        let start = page.find(&format!(r#"<tr data-department="{id}">"#)).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    let kinh_te_row = row("phong-kinh-te");
    for cell in
        [r#"data-criterion="meetings">8,89<"#, r#"data-criterion="muc-in">5,00<"#, r#"data-figure="total">31,39<"#]
    {
        assert!(kinh_te_row.contains(cell), "{cell}: {kinh_te_row}");
    }
    assert!(row("phong-tong-hop").contains(r#"data-criterion="muc-in">0,00<"#), "{}", row("phong-tong-hop"));
    assert!(page.contains("Dùng 112,5 % định mức, vượt định mức"), "the rubric line in Cách tính điểm");
    assert!(!page.contains("Họp không giấy (không chấm điểm)"), "meetings are scored now");

    // The CSV for a Vietnamese Excel: the meetings' and the toner's rows carry their points.
    let csv = app
        .http
        .get(app.url("/api/v1/export/scores.csv?period=2025&format=csv-vi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csv_row = |id: &str, criterion: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(';').map(str::to_owned).collect::<Vec<_>>())
            .find(|r| r.get(1).map(String::as_str) == Some(id) && r.get(3).map(String::as_str) == Some(criterion))
            .unwrap_or_else(|| panic!("no row {id} {criterion}: {csv}"))
    };
    let meetings = csv_row("phong-kinh-te", "Họp không giấy");
    assert_eq!((meetings[7].as_str(), meetings[8].as_str(), meetings[15].as_str()), ("90,0", "80,0", "8,89"));
    assert_eq!(meetings[16], "31,39");
    let toner = csv_row("phong-tong-hop", "Hộp mực in");
    assert!(toner[14].starts_with("vượt định mức: 112,5 %"), "{toner:?}");
    assert!(!toner[14].contains("không chấm điểm"), "{toner:?}");
    assert_eq!((toner[15].as_str(), toner[16].as_str()), ("0,00", "-15,00"));
    assert_eq!(csv_row("phong-kinh-te", "Văn phòng phẩm")[15], "5,00");

    // The workbook: the summary's columns follow the criteria, then the total.
    let bytes =
        app.http.get(app.url("/api/v1/export/scores.xlsx?period=2025")).send().await.unwrap().bytes().await.unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let summary = workbook.worksheet_range("Tổng hợp").unwrap();
    let header: Vec<String> = (0..11).map(|col| text_cell(&summary, 1, col)).collect();
    assert_eq!(
        header[5..=8],
        ["Họp không giấy (điểm)", "Văn phòng phẩm (điểm)", "Hộp mực in (điểm)", "Tổng điểm"].map(str::to_owned)
    );
    let kinh_te_row = (0..summary.height() as u32).find(|r| text_cell(&summary, *r, 0) == "Phòng Kinh tế").unwrap();
    assert_eq!(text_cell(&summary, kinh_te_row, 2), "chưa có công tơ riêng", "no water meter");
    for (col, points) in [(5, 8.89), (6, 5.0), (7, 5.0), (8, 31.39)] {
        approx(&json!(summary.get_value((kinh_te_row, col)).and_then(|d| d.as_f64()).unwrap()), points);
    }
    let toner = workbook.worksheet_range("Hộp mực in").unwrap();
    let tong_hop = (0..toner.height() as u32).find(|r| text_cell(&toner, *r, 0) == "Phòng Tổng hợp").unwrap();
    assert_eq!(text_cell(&toner, tong_hop, 10), "vượt định mức");
    assert_eq!(toner.get_value((tong_hop, 11)).and_then(|d| d.as_f64()), Some(0.0));
    app.stop().await;
}
