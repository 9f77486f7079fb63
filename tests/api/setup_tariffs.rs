//! Prices set over the API (issue 18): the cost figures use the price in force on each day at
//! once, each change is audited with the price it replaced, kept over a restart and printed by
//! `xanh config export`.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, config_text, embedded_mqtt, send, spawn_app, spawn_app_from};
use xanh::domain::Role;

/// Phòng A's water (its meter counts litres): 40 m³ in the first half of 2025, 60 in the second.
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "nuoc-a-lit", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 40000, "ts": "2025-07-01T00:00:00+07:00"},
        {"meter": "nuoc-a-lit", "value": 100000, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let (status, body) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{body}");
}

async fn water_cost_2025(app: &TestApp) -> Value {
    let (status, p) = app.get("/api/v1/progress?resource=water&department=phong-a&period=2025").await;
    assert_eq!(status, 200, "{p}");
    p["cost"].clone()
}

async fn set_price(app: &TestApp, body: Value) {
    let (status, kept) = send(app.http.post(app.url("/api/v1/tariffs")).json(&body)).await;
    assert_eq!(status, 200, "{body}: {kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_water_price_set_over_the_api_prices_its_days_at_once_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    seed(&app).await;
    // The shipped tariffs price electricity only.
    assert!(water_cost_2025(&app).await.is_null());

    // 10 000 đồng/m³ from 01/01/2025, then 12.000 from 01/07/2025: 40 × 10 000 + 60 × 12 000.
    set_price(&app, json!({"resource": "water", "from": "2025-01-01", "price_vnd": 10000, "per": "m3"})).await;
    approx(&water_cost_2025(&app).await["actual_vnd"], 400_000.0 + 600_000.0);
    set_price(
        &app,
        json!({"resource": "water", "from": "01/07/2025", "price_vnd": "12.000", "per": "m3", "note": "QĐ 12/2025"}),
    )
    .await;
    let cost = water_cost_2025(&app).await;
    approx(&cost["actual_vnd"], 400_000.0 + 720_000.0);
    assert_eq!(cost["tariffs"].as_array().map(Vec::len), Some(2), "{cost}");
    let (_, listed) = app.get("/api/v1/tariffs").await;
    assert!(listed["items"].as_array().unwrap().iter().any(|t| t["note"] == "QĐ 12/2025"), "{listed}");

    // The audit log says which price was in force before each.
    let (_, audit) = app.get("/api/v1/audit").await;
    let lines: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|l| l["action"] == "tariffs.change").collect();
    assert_eq!(lines.len(), 2, "{audit}");
    let second = lines.iter().find(|l| l["target"] == "water from 2025-07-01").unwrap();
    assert_eq!(
        (second["before"]["price_vnd"].as_f64(), second["after"]["price_vnd"].as_f64()),
        (Some(10000.0), Some(12000.0))
    );
    let first = lines.iter().find(|l| l["target"] == "water from 2025-01-01").unwrap();
    assert!(first["before"].is_null(), "{first}");

    // A restart on the same store keeps both prices.
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    approx(&water_cost_2025(&app).await["actual_vnd"], 400_000.0 + 720_000.0);
    let dir = app.dir_and_stop().await;

    // `xanh config export` prints them, with the shipped electricity price, as a config Xanh accepts.
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let prices: Vec<(String, String, f64)> =
        parsed.plan.tariffs.iter().map(|t| (t.resource.to_string(), t.from.to_string(), t.price_vnd)).collect();
    assert_eq!(
        prices,
        [
            ("electricity".to_owned(), "2025-05-10".to_owned(), 2226.0),
            ("water".to_owned(), "2025-01-01".to_owned(), 10000.0),
            ("water".to_owned(), "2025-07-01".to_owned(), 12000.0),
        ],
        "{exported}"
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_sets_a_price_and_a_wrong_one_says_what_to_send() {
    let app = spawn_app().await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let price = json!({"resource": "water", "from": "2025-01-01", "price_vnd": 10000, "per": "m3"});
    let (status, _) = send(client.post(app.url("/api/v1/tariffs")).json(&price)).await;
    assert_eq!(status, 403);
    let cases = [
        (json!({"resource": "gas", "from": "2025-01-01", "price_vnd": 1, "per": "m3"}), "electricity, water or paper"),
        (json!({"resource": "water", "from": "2025-13-01", "price_vnd": 1, "per": "m3"}), "2026-11-15"),
        (json!({"resource": "water", "from": "2025-01-01", "price_vnd": -5, "per": "m3"}), "12.500"),
        (json!({"resource": "water", "from": "2025-01-01", "price_vnd": "nhiều", "per": "m3"}), "12.500"),
        (json!({"resource": "water", "from": "2025-01-01", "price_vnd": 1, "per": "kWh"}), "L, m3"),
        (json!({"resource": "water", "from": "2025-01-01", "price_vnd": 1}), "price_vnd"),
    ];
    for (body, hint) in cases {
        let (status, answer) = send(app.http.post(app.url("/api/v1/tariffs")).json(&body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (_, listed) = app.get("/api/v1/tariffs").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "only the shipped price: {listed}");
    app.stop().await;
}
