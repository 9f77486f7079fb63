//! The office's other resources (issue 20): a year of stationery slips for the demo office,
//! priced from the shipped price list, summed per department, per person and for the office;
//! a slip with an unknown resource or item refused in Vietnamese and kept among the rejected.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{ADMIN, PASSWORD, TestApp, approx, spawn_app_from};

/// The demo office as shipped (config/default.toml), on free ports and its own store.
async fn demo_office() -> TestApp {
    demo_office_with("").await
}

/// The demo office with `more` appended to its config.
pub(crate) async fn demo_office_with(more: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = demo_text(dir.path()) + more;
    spawn_app_from(&text, dir).await
}

/// The shipped config on free ports, its store in `dir`.
pub(crate) fn demo_text(dir: &Path) -> String {
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    shipped
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("listen = \"127.0.0.1:1883\"", "listen = \"127.0.0.1:0\"")
        .replace("path = \"data/xanh.db\"", &format!("path = \"{}\"", dir.join("xanh.db").display()))
}

pub(crate) async fn post_slip(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url("/api/v1/slips")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) fn slip(number: &str, department: &str, date: &str, lines: &[(&str, &str, f64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(resource, item, quantity)| json!({"resource": resource, "item": item, "quantity": quantity}))
        .collect();
    json!({"number": number, "department": department, "date": date, "lines": lines})
}

/// 2025 as HC-QT issued it: Phòng Tổng hợp a slip each month, Phòng Kinh tế one a quarter;
/// the shipped prices of pens and folders went up on 01/07/2025.
pub(crate) async fn issue_a_year_of_stationery(app: &TestApp) {
    for month in 1..=12 {
        let mut lines = vec![("van-phong-pham", "but-bi", 20.0), ("van-phong-pham", "so-tay", 2.0)];
        if month == 12 {
            lines.push(("muc-in", "hp-85a", 2.0));
        }
        // The Vietnamese date in half of them.
        let date = if month % 2 == 0 { format!("05/{month:02}/2025") } else { format!("2025-{month:02}-05") };
        let (status, stored) = post_slip(app, slip(&format!("PX-TH-{month}"), "phong-tong-hop", &date, &lines)).await;
        assert_eq!(status, 200, "{stored}");
    }
    // Toner beyond the quarter's norm in November.
    let toner = [("muc-in", "hp-85a", 3.0)];
    let (status, stored) = post_slip(app, slip("PX-TH-MUC", "phong-tong-hop", "2025-11-20", &toner)).await;
    assert_eq!(status, 200, "{stored}");
    for month in [1, 4, 7, 10] {
        let lines = [("van-phong-pham", "bia-ho-so", 30.0), ("van-phong-pham", "ghim-bam", 5.0)];
        let (status, stored) =
            post_slip(app, slip(&format!("PX-KT-{month}"), "phong-kinh-te", &format!("2025-{month:02}-10"), &lines))
                .await;
        assert_eq!(status, 200, "{stored}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_stationery_slips_sums_per_department_per_person_and_for_the_office() {
    let app = demo_office().await;
    issue_a_year_of_stationery(&app).await;

    let (status, answer) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2025").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resources"].as_array().unwrap().len(), 1, "only the resource asked for");
    let year = &answer["resources"][0];
    assert_eq!(year["unit"], "đồng");
    assert_eq!(year["name_vi"], "Văn phòng phẩm");
    let department = |id: &str| year["departments"].as_array().unwrap().iter().find(|d| d["department"] == id).unwrap();
    // Tổng hợp: January–June 20 pens at 3 500 đ and 2 notebooks at 25 000 đ = 120 000 đ a
    // month; July–December pens at 4 000 đ, 130 000 đ a month: 6 × 120 000 + 6 × 130 000.
    let tong_hop = department("phong-tong-hop");
    approx(&tong_hop["value_vnd"], 1_500_000.0);
    approx(&tong_hop["amount"], 1_500_000.0);
    approx(&tong_hop["quantity"], 12.0 * 22.0);
    // 14 people all year.
    approx(&tong_hop["headcount"], 14.0);
    approx(&tong_hop["per_person"], 1_500_000.0 / 14.0);
    // Kinh tế: 30 folders at 8 000 đ and 5 boxes of staples at 6 000 đ = 270 000 đ in January
    // and April; folders at 9 000 đ from July, 300 000 đ in July and October.
    let kinh_te = department("phong-kinh-te");
    approx(&kinh_te["value_vnd"], 2.0 * 270_000.0 + 2.0 * 300_000.0);
    approx(&kinh_te["per_person"], 1_140_000.0 / 12.0);
    // A department that was issued nothing shows 0, not a gap.
    approx(&department("ban-tiep-cong-dan")["value_vnd"], 0.0);
    // The office: both, over its 101 people.
    approx(&year["office"]["value_vnd"], 2_640_000.0);
    approx(&year["office"]["headcount"], 101.0);
    approx(&year["office"]["per_person"], 2_640_000.0 / 101.0);

    // Against the regulation's norm of 150 000 đ a person a month (Quyết định 15/QĐ-VP):
    // 14 people × 12 months × 150 000 đ = 25 200 000 đ, of which 1 500 000 đ were used.
    let norm = &tong_hop["norm"];
    approx(&norm["allowance"], 25_200_000.0);
    approx(&norm["used"], 1_500_000.0);
    approx(&norm["percent"], 1_500_000.0 / 25_200_000.0 * 100.0);
    assert_eq!(norm["over"], false);
    assert_eq!(
        norm["sources"],
        json!(["Quy chế chi tiêu nội bộ ban hành kèm theo Quyết định số 15/QĐ-VP ngày 20/12/2024"])
    );
    let explain = norm["explain"].as_str().unwrap();
    assert!(explain.contains("150.000 đ/người/tháng × 14 người × 12 tháng = 25.200.000 đ"), "{explain}");
    assert!(explain.contains("trong định mức"), "{explain}");
    // The office's: its 101 people's allowances together.
    approx(&year["office"]["norm"]["allowance"], 150_000.0 * 101.0 * 12.0);
    // The revision of 26/12/2025 lowers it to 120 000 đ from January 2026.
    let (_, december) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2025-12").await;
    approx(&december["resources"][0]["departments"][0]["norm"]["allowance"], 150_000.0 * 14.0);
    let (_, january) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2026-01").await;
    let january = &january["resources"][0]["departments"][0]["norm"];
    approx(&january["allowance"], 120_000.0 * 14.0);
    assert!(january["sources"][0].as_str().unwrap().starts_with("Quyết định số 02/QĐ-VP"), "{january}");

    // The toner counts cartridges (its measure is quantity): 2 in December and 3 in November,
    // worth 5 × 450 000 đ; its norm, 2 a department a quarter, is 2 for Q4: Tổng hợp is over
    // it (250 %), Kinh tế within it, and over the year Tổng hợp's 5 are within its 8.
    let (_, all) = app.get("/api/v1/supplies?period=2025-Q4").await;
    let toner = &all["resources"][1];
    assert_eq!(toner["resource"], "muc-in");
    approx(&toner["office"]["amount"], 5.0);
    approx(&toner["office"]["value_vnd"], 2_250_000.0);
    let q4 = &toner["departments"][0]["norm"];
    approx(&q4["allowance"], 2.0);
    approx(&q4["percent"], 250.0);
    assert_eq!(q4["over"], true);
    assert_eq!(toner["departments"][1]["norm"]["over"], false);
    let (_, all) = app.get("/api/v1/supplies?resource=muc-in&period=2025").await;
    let year_toner = &all["resources"][0]["departments"][0]["norm"];
    approx(&year_toner["allowance"], 8.0);
    assert_eq!(year_toner["over"], false);
    // A quarter holds only its own slips: Q3 is July–September.
    let (_, q3) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2025-Q3").await;
    approx(&q3["resources"][0]["office"]["value_vnd"], 3.0 * 130_000.0 + 300_000.0);

    let (status, answer) = app.get("/api/v1/supplies?resource=xi-mang&period=2025").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("van-phong-pham, muc-in, nhien-lieu"), "{answer}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slip_with_an_unknown_item_is_refused_in_vietnamese_and_kept_among_the_rejected() {
    let app = demo_office().await;
    let body = slip(
        "PX-99",
        "phong-noi-chinh",
        "2025-03-03",
        &[("van-phong-pham", "but-bi", 5.0), ("van-phong-pham", "but-chi", 10.0), ("xi-mang", "bao", 1.0)],
    );
    let (status, answer) = post_slip(&app, body).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(
        message.contains("Dòng 2: không có mặt hàng \"but-chi\" trong \"Văn phòng phẩm\""),
        "the unknown item is named: {message}"
    );
    assert!(message.contains("Dòng 3: không có nguồn lực \"xi-mang\""), "{message}");
    // Nothing of the slip is stored, not even its good line.
    let (_, year) = app.get("/api/v1/supplies?resource=van-phong-pham&period=2025").await;
    approx(&year["resources"][0]["office"]["value_vnd"], 0.0);
    // It waits among the rejected input, whole, with its reason.
    let (status, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(status, 200, "{rejected}");
    let items = rejected["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{rejected}");
    assert_eq!(items[0]["reason"], "unknown_supply");
    assert!(items[0]["detail"].as_str().unwrap().contains("PX-99"), "{rejected}");
    assert!(items[0]["detail"].as_str().unwrap().contains("but-chi"), "{rejected}");
    // "Xử lý lại" cannot store a slip as a reading: it stays among the rejected.
    let response = app.http.post(app.url("/api/v1/rejected/reprocess")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"].as_array().unwrap().len(), 1, "{rejected}");
    // Other mistakes are refused without being kept: they are the sender's to correct.
    for (body, hint) in [
        (slip("PX-1", "phong-z", "2025-03-03", &[("van-phong-pham", "but-bi", 1.0)]), "phong-tong-hop"),
        (slip("PX-1", "phong-noi-chinh", "31/02/2025", &[("van-phong-pham", "but-bi", 1.0)]), "05/01/2026"),
        (slip("PX-1", "phong-noi-chinh", "2024-12-31", &[("van-phong-pham", "but-bi", 1.0)]), "chưa có giá"),
        (slip("PX-1", "phong-noi-chinh", "2025-03-03", &[("van-phong-pham", "but-bi", -1.0)]), "lớn hơn 0"),
        (slip("PX-1", "phong-noi-chinh", "2025-03-03", &[]), "ít nhất một"),
        (slip(" ", "phong-noi-chinh", "2025-03-03", &[("van-phong-pham", "but-bi", 1.0)]), "số phiếu"),
    ] {
        let (status, answer) = post_slip(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slips_typed_on_the_entry_page_or_pasted_as_csv_are_stored_as_over_the_api() {
    let app = demo_office().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    // One slip typed in: 10 pens and 1 notebook on 10/03/2025 (3 500 đ and 25 000 đ then).
    let page = session
        .submit(
            "/entry",
            "/slips",
            &[
                ("number", "PX-F1"),
                ("department", "phong-noi-chinh"),
                ("date", "10/03/2025"),
                ("item0", "van-phong-pham/but-bi"),
                ("quantity0", "10"),
                ("item1", ""),
                ("quantity1", ""),
                ("item2", "van-phong-pham/so-tay"),
                ("quantity2", "1"),
            ],
        )
        .await;
    assert!(page.contains("Đã lưu phiếu PX-F1: 2 dòng, 60.000 đ."), "{page}");
    // Pasted CSV, the Vietnamese way: two slips stored, one refused for an unknown item (and
    // kept among the rejected), each on its own.
    let csv = "so_phieu;phong;ngay;nguon_luc;mat_hang;so_luong\n\
               PX-C1;phong-noi-chinh;02/04/2025;van-phong-pham;bia-ho-so;4\n\
               PX-C1;phong-noi-chinh;02/04/2025;nhien-lieu;dau-diesel;20,5\n\
               PX-C2;phong-noi-chinh;03/04/2025;van-phong-pham;giay-khen;1\n\
               PX-C3;ban-tiep-cong-dan;04/04/2025;van-phong-pham;ghim-bam;2\n";
    let page = session.submit("/entry", "/slips/import", &[("csv", csv)]).await;
    assert!(page.contains("Đã nhập 2 phiếu; 1 phiếu bị từ chối: PX-C2: Dòng 1: không có mặt hàng"), "{page}");

    let (_, year) = app.get("/api/v1/supplies?period=2025").await;
    let noi_chinh = |resource: usize| year["resources"][resource]["departments"][3].clone();
    assert_eq!(noi_chinh(0)["department"], "phong-noi-chinh");
    // 60 000 đ typed in, and 4 folders at 8 000 đ in April.
    approx(&noi_chinh(0)["value_vnd"], 60_000.0 + 32_000.0);
    approx(&noi_chinh(2)["quantity"], 20.5);
    approx(&year["resources"][0]["departments"][5]["value_vnd"], 12_000.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let items = rejected["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{rejected}");
    assert_eq!((items[0]["reason"].as_str(), items[0]["source"].as_str()), (Some("unknown_supply"), Some("import")));
    // A malformed CSV stores nothing and names its rows.
    let page = session.submit("/entry", "/slips/import", &[("csv", "so_phieu;phong\nPX-9;phong-a\n")]).await;
    assert!(page.contains("dòng 1 phải là tên cột"), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_resource_is_answered_by_id_on_consumption_progress_and_departments() {
    let app = demo_office().await;
    for (number, department, date, lines) in [
        (
            "PX-1",
            "phong-tong-hop",
            "2025-01-05",
            vec![("van-phong-pham", "but-bi", 20.0), ("van-phong-pham", "so-tay", 2.0)],
        ),
        ("PX-2", "phong-tong-hop", "2025-03-10", vec![("van-phong-pham", "but-bi", 10.0)]),
        ("PX-3", "phong-kinh-te", "2025-02-10", vec![("muc-in", "hp-85a", 1.0)]),
    ] {
        let (status, answer) = post_slip(&app, slip(number, department, date, &lines)).await;
        assert_eq!(status, 200, "{answer}");
    }
    // Stationery by month: 20 pens at 3 500 đ and 2 notebooks at 25 000 đ in January
    // (120 000 đ), nothing in February, 10 pens in March (35 000 đ).
    let (status, months) =
        app.get("/api/v1/consumption?resource=van-phong-pham&from=2025-01-01&to=2025-04-01&step=month").await;
    assert_eq!(status, 200, "{months}");
    assert_eq!((months["resource"].as_str(), months["unit"].as_str()), (Some("van-phong-pham"), Some("đồng")));
    let values: Vec<f64> = months["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [120_000.0, 0.0, 35_000.0]);
    assert_eq!(months["series"][1]["start"], "2025-02-01T00:00:00+07:00");
    approx(&months["total"], 155_000.0);
    let (_, kinh_te) = app
        .get("/api/v1/consumption?resource=van-phong-pham&from=2025-01-01&to=2025-04-01&step=month&department=phong-kinh-te")
        .await;
    approx(&kinh_te["total"], 0.0);
    // Toner counts cartridges: 1 on 10/02, worth 450 000 đ.
    let (_, days) = app.get("/api/v1/consumption?resource=muc-in&from=2025-02-10&to=2025-02-12&step=day").await;
    let values: Vec<f64> = days["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [1.0, 0.0]);
    approx(&days["value_vnd"], 450_000.0);
    let (status, answer) =
        app.get("/api/v1/consumption?resource=muc-in&from=2025-02-10&to=2025-02-12&step=day&meter=dien-kinh-te").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("not metered"), "{answer}");

    // Progress: Tổng hợp's use in the first quarter against its norm, 150 000 đ × 14 people
    // × 3 months = 6 300 000 đ.
    let (status, progress) =
        app.get("/api/v1/progress?resource=van-phong-pham&period=2025-Q1&department=phong-tong-hop").await;
    assert_eq!(status, 200, "{progress}");
    assert_eq!(progress["departments"].as_array().unwrap().len(), 1, "only the department asked for");
    let tong_hop = &progress["departments"][0];
    approx(&tong_hop["value_vnd"], 155_000.0);
    approx(&tong_hop["norm"]["allowance"], 6_300_000.0);
    assert_eq!(tong_hop["norm"]["over"], false);
    // The departments compared: Kinh tế's one cartridge, the office's total.
    let (status, table) = app.get("/api/v1/departments?resource=muc-in&period=2025-Q1").await;
    assert_eq!(status, 200, "{table}");
    let kinh_te = table["departments"].as_array().unwrap().iter().find(|d| d["department"] == "phong-kinh-te").unwrap();
    approx(&kinh_te["amount"], 1.0);
    approx(&table["office"]["amount"], 1.0);

    // An unknown id: refused, in Vietnamese and English, with every id known.
    for path in [
        "/api/v1/consumption?resource=xi-mang&from=2025-01-01&to=2025-02-01&step=day",
        "/api/v1/progress?resource=xi-mang&period=2025",
        "/api/v1/departments?resource=xi-mang&period=2025",
    ] {
        let (status, answer) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.starts_with("Không có nguồn lực \"xi-mang\""), "{message}");
        assert!(
            message.contains("dùng electricity, water, paper, van-phong-pham, muc-in hoặc nhien-lieu"),
            "{message}"
        );
        assert!(
            message.contains(
                "unknown resource \"xi-mang\": use electricity, water, paper, van-phong-pham, muc-in or nhien-lieu"
            ),
            "{message}"
        );
    }
    // The metered resources answer as before.
    let (status, electricity) = app.get("/api/v1/departments?resource=electricity&period=2025-Q1").await;
    assert_eq!((status, electricity["resource"].as_str()), (200, Some("electricity")), "{electricity}");
    app.stop().await;
}
