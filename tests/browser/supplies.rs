//! The office's other resources (issue 20): slips entered for the demo office show on the
//! overview, the departments compared, a department's page and the scores, in Vietnamese
//! and English, and in both exports, with the figures worked out by hand.

use super::*;

/// The demo office as shipped, with no readings: only its slips matter here.
pub(super) async fn demo_office() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    let text = shipped
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("listen = \"127.0.0.1:1883\"", "listen = \"127.0.0.1:0\"")
        .replace("path = \"data/xanh.db\"", &format!("path = \"{}\"", dir.path().join("xanh.db").display()));
    spawn_app_from(&text, dir).await
}

/// The fields of the CSV row for a department and criterion, quoted fields read whole (a
/// status's decimal comma is quoted in the scripts' dialect).
fn quoted_csv_row(csv: &str, id: &str, criterion: &str) -> Vec<String> {
    let fields = |line: &str| {
        let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        fields
    };
    csv.lines()
        .map(fields)
        .find(|f| f.get(1).map(String::as_str) == Some(id) && f.get(3).map(String::as_str) == Some(criterion))
        .unwrap_or_else(|| panic!("no CSV row for {id}, {criterion}: {csv}"))
}

pub(super) async fn post_slip(app: &TestApp, body: Value) {
    let response = app.http.post(app.url("/api/v1/slips")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_stationery_toner_and_fuel_show_on_every_page_and_in_both_exports() {
    use calamine::{DataType, Reader, Xlsx, open_workbook_from_rs};
    let app = demo_office().await;
    let today = today();
    let date = today.to_string();
    post_slip(
        &app,
        json!({"number": "PX-1", "department": "phong-tong-hop", "date": date, "lines": [
            {"resource": "van-phong-pham", "item": "but-bi", "quantity": 20},
            {"resource": "van-phong-pham", "item": "so-tay", "quantity": 2},
            {"resource": "muc-in", "item": "hp-85a", "quantity": 9}]}),
    )
    .await;
    post_slip(
        &app,
        json!({"number": "PX-2", "department": "phong-kinh-te", "date": date, "lines": [
            {"resource": "nhien-lieu", "item": "dau-diesel", "quantity": 50}]}),
    )
    .await;
    // By hand, at the shipped prices in force since 2025 and 2026: 20 pens at 4 000 đ and 2
    // notebooks at 25 000 đ make 130 000 đ, 9 286 đ a person of Tổng hợp's 14; 50 litres of
    // diesel, 134 kg CO2e at 2,68 kg a litre. 9 toner cartridges are over the norm of 2 a
    // quarter (8 a year at most); the stationery is within 120 000 đ a person a month.
    let browser = Browser::start().await;
    browser.resize(DESKTOP).await;

    browser.open(&app, "/").await;
    let overview = |supply: &str, figure: &str| {
        format!("article[data-kind=supplies] tr[data-supply={supply}] td[data-figure={figure}]")
    };
    assert_eq!(text(&browser, &overview("van-phong-pham", "amount")).await, "130.000 đ");
    assert_eq!(text(&browser, &overview("muc-in", "amount")).await, "9,0 hộp");
    assert_eq!(text(&browser, &overview("muc-in", "value")).await, "4.050.000 đ");
    assert_eq!(text(&browser, &overview("nhien-lieu", "amount")).await, "50,0 lít");
    let heading = text(&browser, "article[data-kind=supplies] h3").await;
    assert!(heading.starts_with("Nguồn lực khác"), "{heading}");
    browser.screenshot("supplies-overview-desktop.png").await;

    browser.open(&app, "/?lang=en").await;
    let names = text(&browser, "article[data-kind=supplies] tbody").await;
    assert!(names.contains("Stationery") && names.contains("Fuel for official vehicles"), "{names}");

    browser.open(&app, &format!("/departments?period={}", today.year())).await;
    let row = |department: &str, figure: &str| {
        format!("article[data-kind=supplies] tr[data-row={department}] td[data-figure={figure}]")
    };
    assert_eq!(text(&browser, &row("phong-tong-hop", "van-phong-pham-amount")).await, "130.000 đ");
    assert_eq!(text(&browser, &row("phong-tong-hop", "van-phong-pham-per-person")).await, "9.286 đ");
    assert_eq!(text(&browser, &row("phong-kinh-te", "nhien-lieu-amount")).await, "50,0 lít");
    assert_eq!(text(&browser, &row("phong-kinh-te", "van-phong-pham-amount")).await, "0 đ");
    assert_eq!(text(&browser, &row("phong-tong-hop", "muc-in-amount")).await, "9,0 hộp vượt định mức");
    assert_eq!(text(&browser, &row("ca-van-phong", "van-phong-pham-amount")).await, "130.000 đ");
    browser.screenshot("supplies-departments-desktop.png").await;

    browser.open(&app, "/department?department=phong-kinh-te").await;
    assert_eq!(
        text(&browser, "article[data-kind=supplies] tr[data-supply=nhien-lieu] td[data-figure=amount]").await,
        "50,0 lít"
    );

    browser.open(&app, &format!("/scores?period={}", today.year())).await;
    assert_eq!(
        text(&browser, "section[data-supply=van-phong-pham] tr[data-department=phong-tong-hop] td[data-figure=amount]")
            .await,
        "130.000 đ"
    );
    let toner = "section[data-supply=muc-in] tr[data-department=phong-tong-hop] td[data-figure=against-norm]";
    assert!(text(&browser, toner).await.ends_with("% vượt định mức"), "{}", text(&browser, toner).await);
    // Scored against the norms: the toner over it loses its 5 points, the stationery within
    // it keeps them, in the table and in the resource's section.
    let points = |criterion: &str| format!("tr[data-department=phong-tong-hop] td[data-criterion={criterion}]");
    assert_eq!(text(&browser, &points("muc-in")).await, "0,00");
    assert_eq!(text(&browser, &points("van-phong-pham")).await, "5,00");
    assert_eq!(
        text(&browser, "section[data-supply=muc-in] tr[data-department=phong-tong-hop] td[data-figure=points]").await,
        "0,00"
    );
    let line = text(&browser, "details[data-explain=phong-tong-hop-points] li[data-line=muc-in]").await;
    assert!(line.contains("vượt định mức: không được 5,00 điểm"), "{line}");
    let source = text(&browser, "details[data-explain=phong-tong-hop-van-phong-pham] p").await;
    assert!(source.contains("120.000 đ/người/tháng × 14 người"), "{source}");
    assert!(source.contains("Quyết định số 02/QĐ-VP sửa đổi quy chế chi tiêu nội bộ ngày 26/12/2025"), "{source}");
    browser.quit().await;

    // Both exports: the CSV's rows for scripts, the workbook's sheet a resource.
    let period = today.year();
    let csv = app
        .http
        .get(app.url(&format!("/api/v1/export/scores.csv?period={period}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stationery = quoted_csv_row(&csv, "phong-tong-hop", "Văn phòng phẩm");
    assert_eq!((stationery[4].as_str(), stationery[8].as_str(), stationery[13].as_str()), ("đồng", "130000", "130000"));
    assert!(stationery[14].starts_with("trong định mức: "), "{stationery:?}");
    assert!(stationery[14].contains("Quyết định số 02/QĐ-VP"), "{stationery:?}");
    assert!(quoted_csv_row(&csv, "phong-tong-hop", "Hộp mực in")[14].starts_with("vượt định mức: "), "{csv}");
    let fuel = quoted_csv_row(&csv, "phong-kinh-te", "Nhiên liệu xe công");
    assert_eq!((fuel[8].as_str(), fuel[12].as_str(), fuel[13].as_str()), ("50", "134", "1015000"));
    assert_eq!(quoted_csv_row(&csv, "ca-van-phong", "Hộp mực in")[8], "9");
    let bytes = app
        .http
        .get(app.url(&format!("/api/v1/export/scores.xlsx?period={period}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("Văn phòng phẩm").unwrap();
    let tong_hop = xlsx_row(&sheet, "Phòng Tổng hợp");
    assert_eq!(tong_hop[2].as_f64(), Some(130_000.0));
    assert!((tong_hop[5].as_f64().unwrap() - 130_000.0 / 14.0).abs() < 1e-9);
    assert_eq!(xlsx_row(&sheet, "Cả văn phòng")[2].as_f64(), Some(130_000.0));
    assert!(tong_hop[10].to_string().starts_with("trong định mức"), "{:?}", tong_hop);
    let sheet = workbook.worksheet_range("Hộp mực in").unwrap();
    let toner = xlsx_row(&sheet, "Phòng Tổng hợp");
    assert!(toner[10].to_string().starts_with("vượt định mức"), "{toner:?}");
    assert!(toner[9].to_string().contains("Quyết định số 15/QĐ-VP"), "{toner:?}");
    let sheet = workbook.worksheet_range("Nhiên liệu xe công").unwrap();
    let kinh_te = xlsx_row(&sheet, "Phòng Kinh tế");
    assert_eq!((kinh_te[1].as_f64(), kinh_te[6].as_f64()), (Some(50.0), Some(134.0)));
    app.stop().await;
}
