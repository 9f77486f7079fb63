//! Emission factors set over the API (issue 18): the CO2e figures use the factor for each year
//! at once, each change is audited with the factor it replaced, kept over a restart and
//! printed by `xanh config export`.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, config_text, embedded_mqtt, send, spawn_app, spawn_app_from};
use xanh::domain::Role;

/// Phòng A's electricity: 3 650 kWh in 2025.
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "dien-a", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-01T00:00:00+07:00"},
    ]);
    let (status, body) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{body}");
}

async fn co2e_2025(app: &TestApp) -> Value {
    let (status, p) = app.get("/api/v1/progress?resource=electricity&department=phong-a&period=2025").await;
    assert_eq!(status, 200, "{p}");
    p["co2e"]["actual_kg"].clone()
}

async fn set_factor(app: &TestApp, body: Value) {
    let (status, kept) = send(app.http.post(app.url("/api/v1/emission-factors")).json(&body)).await;
    assert_eq!(status, 200, "{body}: {kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emission_factor_set_over_the_api_is_used_at_once_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    seed(&app).await;
    // The shipped 2023 grid factor, 0,6592 tCO2/MWh.
    approx(&co2e_2025(&app).await, 3650.0 * 0.6592);

    // 0,7 from 2025: 3 650 × 0,7 = 2 555 kg; 0,5 from 2026 leaves 2025 alone.
    set_factor(
        &app,
        json!({"resource": "electricity", "year": 2025, "value": "0,7", "unit": "tCO2/MWh", "source": "Bộ NN&MT 2025"}),
    )
    .await;
    approx(&co2e_2025(&app).await, 2555.0);
    set_factor(&app, json!({"resource": "electricity", "year": 2026, "value": 0.5, "unit": "kgCO2e/kWh"})).await;
    approx(&co2e_2025(&app).await, 2555.0);

    let (_, audit) = app.get("/api/v1/audit").await;
    let lines: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|l| l["action"] == "emission_factors.change").collect();
    assert_eq!(lines.len(), 2, "{audit}");
    let first = lines.iter().find(|l| l["target"] == "electricity from 2025").unwrap();
    assert_eq!((first["before"]["value"].as_f64(), first["after"]["value"].as_f64()), (Some(0.6592), Some(0.7)));

    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    approx(&co2e_2025(&app).await, 2555.0);
    let dir = app.dir_and_stop().await;

    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let factors: Vec<(String, i16, f64)> =
        parsed.plan.emission_factors.iter().map(|f| (f.resource.to_string(), f.year, f.value)).collect();
    assert_eq!(
        factors,
        [
            ("electricity".to_owned(), 2023, 0.6592),
            ("electricity".to_owned(), 2025, 0.7),
            ("electricity".to_owned(), 2026, 0.5),
            ("paper".to_owned(), 2023, 0.919),
        ],
        "{exported}"
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_sets_a_factor_and_a_wrong_one_says_what_to_send() {
    let app = spawn_app().await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let factor = json!({"resource": "water", "year": 2025, "value": 0.344, "unit": "kgCO2e/m3"});
    let (status, _) = send(client.post(app.url("/api/v1/emission-factors")).json(&factor)).await;
    assert_eq!(status, 403);
    let cases = [
        (json!({"resource": "gas", "year": 2025, "value": 1, "unit": "kgCO2e/m3"}), "electricity, water or paper"),
        (json!({"resource": "water", "year": 25, "value": 1, "unit": "kgCO2e/m3"}), "2000 to 2100"),
        (json!({"resource": "water", "year": 2025, "value": "nhiều", "unit": "kgCO2e/m3"}), "0.6592"),
        (json!({"resource": "water", "year": 2025, "value": -1, "unit": "kgCO2e/m3"}), "0 or more"),
        (json!({"resource": "water", "year": 2025, "value": 1, "unit": "tCO2/MWh"}), "kgCO2e/m3"),
        (json!({"resource": "paper", "year": 2025, "value": 1, "unit": "kgCO2e/kg"}), "kg_per_ream"),
    ];
    for (body, hint) in cases {
        let (status, answer) = send(app.http.post(app.url("/api/v1/emission-factors")).json(&body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (_, listed) = app.get("/api/v1/emission-factors").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2), "only the shipped factors: {listed}");
    app.stop().await;
}
