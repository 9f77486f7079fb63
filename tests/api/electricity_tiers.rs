//! Issue 18, item 1: electricity priced by time of use (hours of each band, Monday–Saturday
//! and Sunday apart) or in monthly blocks, set over the API; the costs worked by hand from the
//! kWh used in each window and in each block; kept by `xanh config export`.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, config_text, embedded_mqtt, send, spawn_app_from};

async fn readings(app: &TestApp, rows: Value) {
    let (status, body) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{body}");
}

async fn cost(app: &TestApp, query: &str) -> Value {
    let (status, p) = app.get(&format!("/api/v1/progress?resource=electricity&{query}")).await;
    assert_eq!(status, 200, "{p}");
    p["cost"].clone()
}

async fn set_price(app: &TestApp, body: &Value) -> (u16, Value) {
    send(app.http.post(app.url("/api/v1/tariffs")).json(body)).await
}

fn window(from: &str, to: &str, band: &str) -> Value {
    json!({"from": from, "to": to, "band": band})
}

/// Made-up prices and hours shaped like a bill's: normal 2 000, peak 3 000, off-peak 1 000.
fn time_of_use() -> Value {
    json!({
        "resource": "electricity", "from": "2025-11-01", "per": "kWh", "note": "Giá kinh doanh theo giờ",
        "time_of_use": {
            "normal_vnd": 2000.0, "peak_vnd": 3000.0, "off_peak_vnd": 1000.0,
            "monday_saturday": [
                window("22:00", "04:00", "off_peak"), window("04:00", "09:30", "normal"),
                window("09:30", "11:30", "peak"), window("11:30", "17:00", "normal"),
                window("17:00", "20:00", "peak"), window("20:00", "22:00", "normal"),
            ],
            "sunday": [window("22:00", "04:00", "off_peak"), window("04:00", "22:00", "normal")],
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_at_time_of_use_prices_costs_the_kwh_of_each_window_at_its_price() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    // Phòng A's meter on Monday 03/11/2025, then Sunday 09/11/2025.
    let at = |day: u8, hour: u8, value: f64| json!({"meter": "dien-a", "value": value, "ts": format!("2025-11-{day:02}T{hour:02}:00:00+07:00")});
    readings(
        &app,
        json!([
            at(3, 0, 0.0),
            at(3, 4, 8.0),   // 8 kWh off-peak: 8 000
            at(3, 9, 18.0),  // 10 kWh normal: 20 000
            at(3, 10, 22.0), // 09:00–10:00, half normal, half peak: 2 × 2 000 + 2 × 3 000 = 10 000
            at(3, 11, 25.0), // 3 kWh peak: 9 000
            at(3, 17, 37.0), // 2 kWh an hour: 11:00–12:00 half peak, half normal 5 000; 10 normal 20 000
            at(3, 20, 43.0), // 6 kWh peak: 18 000
            at(4, 0, 47.0),  // 2 kWh normal 4 000, 2 off-peak 2 000
            at(9, 0, 47.0),
            at(9, 10, 57.0), // Sunday: 4 kWh off-peak 4 000, 6 normal 12 000
        ]),
    )
    .await;
    let november = "department=phong-a&period=2025-11";
    // The shipped flat price: 57 kWh × 2 226.
    approx(&cost(&app, november).await["actual_vnd"], 57.0 * 2226.0);

    let (status, kept) = set_price(&app, &time_of_use()).await;
    assert_eq!(status, 200, "{kept}");
    let day_cost = 8_000.0 + 20_000.0 + 10_000.0 + 9_000.0 + 25_000.0 + 18_000.0 + 6_000.0;
    let november_cost = cost(&app, november).await;
    approx(&november_cost["actual_vnd"], day_cost + 16_000.0);
    assert_eq!(november_cost["projection_tariff"]["price_vnd"], 2000.0, "{november_cost}");
    let (_, listed) = app.get("/api/v1/tariffs").await;
    let listed = listed["items"].as_array().unwrap().iter().find(|t| t["from"] == "2025-11-01").unwrap().clone();
    assert_eq!(listed["time_of_use"], time_of_use()["time_of_use"], "{listed}");
    let dir = app.dir_and_stop().await;

    // `xanh config export` writes them as [tariffs.time_of_use], and the file reads back the same.
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let tariff = parsed.plan.tariffs.iter().find(|t| t.from.to_string() == "2025-11-01").unwrap();
    assert_eq!(tariff.scheme.parts().0.map(|t| t.monday_saturday.len()), Some(6), "{exported}");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_crossing_two_blocks_costs_each_blocks_kwh_at_its_price() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&config_text(&embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    // The office's main meter: 80 kWh in April 2025.
    readings(
        &app,
        json!([
            {"meter": "dien-tong", "value": 0, "ts": "2025-04-01T00:00:00+07:00"},
            {"meter": "dien-tong", "value": 30, "ts": "2025-04-11T00:00:00+07:00"},
            {"meter": "dien-tong", "value": 80, "ts": "2025-05-01T00:00:00+07:00"},
        ]),
    )
    .await;
    let blocks = json!({
        "resource": "electricity", "from": "2025-01-01", "per": "kWh",
        "blocks": [{"up_to_kwh": 50, "price_vnd": 1000}, {"up_to_kwh": 100, "price_vnd": 1500}, {"price_vnd": 2000}],
    });
    let (status, kept) = set_price(&app, &blocks).await;
    assert_eq!(status, 200, "{kept}");
    // 50 kWh at 1 000 and the other 30 at 1 500.
    approx(&cost(&app, "period=2025-04").await["actual_vnd"], 50.0 * 1000.0 + 30.0 * 1500.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_with_a_gap_or_an_overlap_and_blocks_not_increasing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_from(&config_text(&embedded_mqtt(), &dir.path().join("xanh.db")), dir).await;
    let mut gap = time_of_use();
    gap["time_of_use"]["sunday"] = json!([window("22:00", "04:00", "off_peak"), window("04:00", "21:00", "normal")]);
    let mut overlap = time_of_use();
    overlap["time_of_use"]["monday_saturday"][1] = window("03:00", "09:30", "normal");
    let mut negative = time_of_use();
    negative["time_of_use"]["peak_vnd"] = json!(-3000);
    let blocks = json!({
        "resource": "electricity", "from": "2025-01-01", "per": "kWh",
        "blocks": [{"up_to_kwh": 100, "price_vnd": 1000}, {"up_to_kwh": 50, "price_vnd": 1500}, {"price_vnd": 2000}],
    });
    let mut water = time_of_use();
    water["resource"] = json!("water");
    water["per"] = json!("m3");
    let cases = [
        (gap, "no Sunday window covers 21:00"),
        (overlap, "two Monday–Saturday windows both cover 03:00"),
        (negative, "the peak price -3000 is not a price"),
        (blocks, "block 2's bound is not above the one before"),
        (water, "for electricity per kWh"),
    ];
    for (body, said) in cases {
        let (status, answer) = set_price(&app, &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(said), "`{message}` should say `{said}`");
    }
    let (_, listed) = app.get("/api/v1/tariffs").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "only the shipped price: {listed}");
    app.stop().await;
}
