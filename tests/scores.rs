//! The council's table: a seeded office whose 2025 figures are worked out by hand below, the
//! scores the default rubric gives it, and the same figures in the JSON, the page and the
//! exports.

mod common;

use common::{approx, office_config_text, embedded_mqtt, spawn_app_from, TestApp};
use serde_json::{json, Value};

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
            let body = json!({"department": department, "month": format!("2025-{month:02}"), "electronic": 95, "paper": 5, "by": "HC-QT"});
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
