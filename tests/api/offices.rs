//! The province's comparison of offices, on the embedded store: it holds this office only,
//! says so, and its figures follow the office's own rule (a sub-meter is not counted again).
//! The many-office answer comes from InfluxDB (see tests/store_conformance.rs).

use serde_json::{Value, json};

use crate::common::*;

fn reading(meter: &str, value: f64, ts: &str) -> Value {
    json!({ "meter": meter, "value": value, "ts": ts })
}

/// Sums of spread hourly amounts carry rounding: compare to a millionth.
fn assert_close(actual: &Value, expected: f64) {
    let value = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((value - expected).abs() < 1e-6, "{value} is not {expected}");
}

fn figure<'a>(figures: &'a Value, resource: &str) -> &'a Value {
    figures["resources"].as_array().unwrap().iter().find(|f| f["resource"] == resource).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_compares_this_office_with_its_own_last_year() {
    let app = spawn_app().await;
    let readings = json!([
        // November 2025: 20 m³ of water, 150 kWh on the main meter. Counters spread what
        // they counted between two readings, so each meter reads the same again on
        // 03/11/2026: nothing of the year between lands in either November.
        reading("nuoc-tong", 100.0, "2025-11-03T08:00:00+07:00"),
        reading("nuoc-tong", 120.0, "2025-11-20T08:00:00+07:00"),
        reading("dien-tong", 500.0, "2025-11-03T08:00:00+07:00"),
        reading("dien-tong", 650.0, "2025-11-20T08:00:00+07:00"),
        // November 2026: 10 m³; 100 kWh on the main meter, 30 of them through Phòng A's
        // sub-meter, which must not be added to the office's total again.
        reading("nuoc-tong", 120.0, "2026-11-03T08:00:00+07:00"),
        reading("nuoc-tong", 130.0, "2026-11-20T08:00:00+07:00"),
        reading("dien-tong", 650.0, "2026-11-03T08:00:00+07:00"),
        reading("dien-tong", 750.0, "2026-11-20T08:00:00+07:00"),
        reading("dien-a", 50.0, "2026-11-03T08:00:00+07:00"),
        reading("dien-a", 80.0, "2026-11-20T08:00:00+07:00"),
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&readings).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let (status, comparison) = app.get("/api/v1/offices?period=2026-11").await;
    assert_eq!(status, 200, "{comparison}");
    assert_eq!(comparison["shared_store"], false);
    let offices = comparison["offices"].as_array().unwrap();
    assert_eq!(offices.len(), 1, "the embedded store holds this office only: {comparison}");
    let office = &offices[0];
    assert_eq!((office["this_office"].as_bool(), office["name"].as_str()), (Some(true), Some("Văn phòng thử nghiệm")));
    let water = figure(office, "water");
    assert_close(&water["amount"], 10.0);
    assert_close(&water["last_year"], 20.0);
    assert_close(&water["change_percent"], -50.0);
    let electricity = figure(office, "electricity");
    assert_close(&electricity["amount"], 100.0);
    assert_close(&electricity["last_year"], 150.0);
    let phong_a = office["departments"].as_array().unwrap().iter().find(|d| d["department"] == "phong-a").unwrap();
    assert_eq!(phong_a["name"], "Phòng A");
    assert_close(&figure(phong_a, "electricity")["amount"], 30.0);
    assert_eq!(figure(phong_a, "electricity")["change_percent"], Value::Null, "nothing last year to compare with");

    // The same figures on the page, the Vietnamese way.
    let page = app.http.get(app.url("/offices?period=2026-11")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("So sánh các văn phòng"), "{page}");
    assert!(page.contains(r#"data-note="single-office""#));
    assert!(page.contains(r#"<td class="num" data-figure="water-amount">10,0 m³</td>"#), "{page}");
    assert!(page.contains(r#"<td class="num" data-figure="water-change">-50,0 %</td>"#), "{page}");
    assert!(page.contains(r#"<td class="num" data-figure="electricity-amount">100,0 kWh</td>"#), "{page}");

    // A phase has no year before it: no change to show, and no error.
    let (status, phase) = app.get("/api/v1/offices?period=gd1").await;
    assert_eq!(status, 200);
    assert_eq!(figure(&phase["offices"][0], "water")["last_year"], Value::Null);
    let (status, error) = app.get("/api/v1/offices?period=2026-13").await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("2026-13"), "{error}");
    app.stop().await;
}

/// The departments' table (issue 13): a department without a meter of its own has no figure
/// and no rank; the common areas are the main meter less the departments' meters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_departments_table_shows_the_common_areas_and_no_zero_for_a_missing_meter() {
    let app = spawn_app().await;
    let readings = json!([
        // November 2026: the main meter counted 100 kWh, Phòng A's sub-meter 30 of them;
        // Phòng B's sub-meter (in Wh) 20 kWh. The common areas used 100 − 30 − 20 = 50.
        reading("dien-tong", 650.0, "2026-11-03T08:00:00+07:00"),
        reading("dien-tong", 750.0, "2026-11-20T08:00:00+07:00"),
        reading("dien-a", 50.0, "2026-11-03T08:00:00+07:00"),
        reading("dien-a", 80.0, "2026-11-20T08:00:00+07:00"),
        reading("dien-b-wh", 1000.0, "2026-11-03T08:00:00+07:00"),
        reading("dien-b-wh", 21000.0, "2026-11-20T08:00:00+07:00"),
        reading("nuoc-tong", 120.0, "2026-11-03T08:00:00+07:00"),
        reading("nuoc-tong", 130.0, "2026-11-20T08:00:00+07:00"),
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&readings).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let (status, table) = app.get("/api/v1/departments?resource=electricity&period=2026-11").await;
    assert_eq!(status, 200, "{table}");
    let rows = table["departments"].as_array().unwrap();
    assert_close(&rows[0]["total"], 30.0);
    assert_close(&rows[1]["total"], 20.0);
    assert_eq!((rows[0]["rank"].as_u64(), rows[1]["rank"].as_u64()), (Some(1), Some(2)));
    // 30 kWh for Phòng A's 10 people and 100 m².
    assert_close(&rows[0]["per_person"], 3.0);
    assert_close(&table["common_area"]["office_total"], 100.0);
    assert_close(&table["common_area"]["amount"], 50.0);

    // Water: Phòng B has no water meter of its own: no total, not ranked, not 0.
    let (_, water) = app.get("/api/v1/departments?resource=water&period=2026-11").await;
    let phong_b = &water["departments"][1];
    assert_eq!(
        (phong_b["has_meter"].as_bool(), &phong_b["total"], &phong_b["rank"]),
        (Some(false), &Value::Null, &Value::Null)
    );
    assert_close(&water["common_area"]["amount"], 10.0);

    let (status, error) = app.get("/api/v1/departments?period=2026-11").await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("resource"), "{error}");
    app.stop().await;
}
