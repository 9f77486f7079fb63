//! The saving plan over HTTP: progress against baselines and targets, and what a wrong
//! request is told.

use serde_json::json;

use crate::common::{ADMIN, PASSWORD, TestApp, approx, spawn_app};

/// Phòng A's counter: 0 at the start of 2025, 3 650 kWh at the start of 2026, 4 460 on
/// 01/04/2026: 3 650 kWh in 2025, 810 in Q1 2026.
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "dien-a", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 4460, "ts": "2026-04-01T00:00:00+07:00"},
    ]);
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_compares_a_quarter_with_its_baseline_target_and_last_year() {
    let app = spawn_app().await;
    seed(&app).await;
    let (status, p) = app.get("/api/v1/progress?resource=electricity&department=phong-a&period=2026-Q1").await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["finished"], true);
    approx(&p["actual"], 810.0);
    approx(&p["last_year"]["total"], 900.0);
    // Electricity baselines follow working days by default, by the shipped calendar: 2025 had
    // 250 (261 weekdays, 12 days off, Saturday 26/4 worked), Q1 2026 has 58 (64 weekdays less
    // 01–02/01 and Tết 16–20/02, plus Saturday 10/01), so the baseline is 3 650 × 58 / 250 =
    // 846,8 kWh and the −2 % target 829,86.
    assert_eq!(p["baseline"]["basis"], "per_working_day");
    assert_eq!(p["baseline"]["source"], "computed");
    let baseline = 3650.0 * 58.0 / 250.0;
    approx(&p["baseline"]["amount"], baseline);
    approx(&p["target"]["amount"], baseline * 0.98);
    approx(&p["saving_percent"], (baseline - 810.0) / baseline * 100.0);
    assert_eq!(p["status"], "dat");
    // 10 people and 100 m² in Phòng A.
    approx(&p["per_person"], 81.0);
    approx(&p["per_m2"], 8.1);
    approx(&p["co2e"]["actual_kg"], 810.0 * 0.6592);
    assert_eq!(p["co2e"]["factor"]["unit"], "tCO2/MWh");
    approx(&p["cost"]["actual_vnd"], 810.0 * 2226.0);
    assert_eq!(p["cost"]["tariffs"][0]["from"], "2025-05-10");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_progress_requests_say_what_to_send() {
    let app = spawn_app().await;
    let cases = [
        ("resource=electricity", "`period` is missing"),
        ("resource=electricity&period=2026-Q5", "2026-Q3"),
        ("resource=electricity&period=Q3/2026", "gd1"),
        ("period=2026", "`resource` is missing"),
        ("resource=gas&period=2026", "electricity, water or paper"),
        ("resource=water&period=2026&department=phong-z", "phong-a"),
    ];
    for (query, hint) in cases {
        let (status, body) = app.get(&format!("/api/v1/progress?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"].as_str().unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(message.contains(hint), "{query}: `{message}` should mention `{hint}`");
    }
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/progress"]["get"].is_object());
    app.stop().await;
}

async fn post(app: &TestApp, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = app.http.post(app.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_qt_changes_targets_and_baselines_and_every_change_is_kept() {
    let app = spawn_app().await;
    seed(&app).await;
    let progress = "/api/v1/progress?resource=electricity&department=phong-a&period=2026-Q1";
    let baseline = 3650.0 * 58.0 / 250.0;

    // Phòng A's own electricity target: 5 % instead of the office's 2 %.
    let body = json!({"resource": "electricity", "department": "phong-a", "saving_percent": "5", "reason": "Kế hoạch riêng của phòng"});
    let (status, edit) = post(&app, "/api/v1/plan/target", body).await;
    assert_eq!(status, 200, "{edit}");
    assert!(edit["old"].is_null(), "the department had no rule of its own: {edit}");
    let (_, p) = app.get(progress).await;
    approx(&p["target"]["amount"], baseline * 0.95);
    assert_eq!(p["target"]["department_rule"], true);

    // A baseline entered from Q1 2025's bills: 1.800 kWh (the Vietnamese way). Q1 2025 (64
    // weekdays less 01/01 and Tết 27–31/01) and Q1 2026 both have 58 working days, so it
    // carries over whole.
    let body = json!({"resource": "electricity", "department": "phong-a", "period": "2025-Q1", "amount": "1.800", "note": "Hoá đơn EVN quý I/2025", "reason": "Số liệu công tơ 2025 thiếu"});
    let (status, edit) = post(&app, "/api/v1/plan/baseline", body).await;
    assert_eq!(status, 200, "{edit}");
    let (_, p) = app.get(progress).await;
    assert_eq!(p["baseline"]["source"], "entered");
    assert_eq!(p["baseline"]["note"], "Hoá đơn EVN quý I/2025");
    approx(&p["baseline"]["amount"], 1800.0);
    approx(&p["target"]["amount"], 1800.0 * 0.95);

    // The office-wide default is changed too: its old value is the config's.
    let body = json!({"resource": "electricity", "saving_percent": 3, "stretch_percent": 12, "reason": "Nghị quyết của cơ quan"});
    let (_, edit) = post(&app, "/api/v1/plan/target", body).await;
    assert_eq!(edit["old"], json!({"kind": "target", "saving_percent": 2.0, "stretch_percent": 10.0}));

    // Back to the config's target for Phòng A: the office's new 3 % applies.
    let body = json!({"resource": "electricity", "department": "phong-a", "reset": true, "reason": "Thống nhất với toàn cơ quan"});
    let (status, edit) = post(&app, "/api/v1/plan/target", body.clone()).await;
    assert_eq!(status, 200, "{edit}");
    assert_eq!(edit["old"]["saving_percent"], 5.0);
    assert!(edit["new"].is_null());
    let (_, p) = app.get(progress).await;
    approx(&p["target"]["amount"], 1800.0 * 0.97);
    let (status, again) = post(&app, "/api/v1/plan/target", body).await;
    assert_eq!(status, 400);
    assert!(again["error"].as_str().unwrap().contains("nothing to reset"));

    // Every change, newest first, with who, when, old and new.
    let (_, edits) = app.get("/api/v1/plan/edits").await;
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 4);
    assert_eq!(
        (edits[0]["kind"].as_str(), edits[0]["by"].as_str()),
        (Some("target"), Some("quan.tri/tests")),
        "who changed it is who signed the request"
    );
    assert_eq!(edits[2]["new"], json!({"kind": "baseline", "amount": 1800.0, "note": "Hoá đơn EVN quý I/2025"}));
    assert!(edits[3]["at"].as_str().unwrap().ends_with("+07:00"));

    // The page lists the values in force and the history.
    let (_, page) = app.sign_in(ADMIN, PASSWORD).await.unwrap().get("/plan").await;
    assert!(page.contains("1.800 kWh · Quý 1/2025 · Hoá đơn EVN quý I/2025"), "{page}");
    assert!(page.contains("−3,0 % (−12,0 %)"), "{page}");
    assert_eq!(page.matches("data-edit=").count(), 4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_plan_changes_say_what_to_send_and_the_form_keeps_nothing_wrong() {
    let app = spawn_app().await;
    let with_reason = |mut body: serde_json::Value| {
        body["reason"] = json!("Điều chỉnh kế hoạch");
        body
    };
    let cases = [
        ("/api/v1/plan/target", with_reason(json!({"resource": "electricity", "saving_percent": 120})), "below 100"),
        (
            "/api/v1/plan/target",
            with_reason(json!({"resource": "electricity", "saving_percent": 5, "stretch_percent": 3})),
            "stretch",
        ),
        ("/api/v1/plan/target", with_reason(json!({"resource": "electricity"})), "`saving_percent` is missing"),
        (
            "/api/v1/plan/target",
            with_reason(json!({"resource": "gas", "saving_percent": 5})),
            "electricity, water or paper",
        ),
        (
            "/api/v1/plan/target",
            with_reason(json!({"resource": "water", "saving_percent": 5, "department": "phong-z"})),
            "phong-a",
        ),
        (
            "/api/v1/plan/target",
            with_reason(json!({"resource": "water", "saving_percent": 5, "period": "2026-Q9"})),
            "2026-Q3",
        ),
        ("/api/v1/plan/target", json!({"resource": "water", "saving_percent": 5, "reason": "x"}), "`reason`"),
        ("/api/v1/plan/baseline", with_reason(json!({"resource": "water", "amount": 100})), "`period` is missing"),
        (
            "/api/v1/plan/baseline",
            with_reason(json!({"resource": "water", "period": "2025", "amount": "mười"})),
            "not a number",
        ),
        (
            "/api/v1/plan/baseline",
            with_reason(json!({"resource": "water", "period": "2025", "amount": 0})),
            "greater than 0",
        ),
        ("/api/v1/plan/baseline", with_reason(json!({"resource": "water", "reset": true})), "nothing to reset"),
        ("/api/v1/plan/baseline", json!({"resource": "water"}), "\"reset\": true"),
    ];
    for (path, body, hint) in cases {
        let (status, answer) = post(&app, path, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let form = |saving: &'static str| {
        [
            ("resource", "water"),
            ("department", ""),
            ("period", "2026"),
            ("saving_percent", saving),
            ("stretch_percent", ""),
            ("reason", "Kế hoạch năm 2026"),
        ]
    };
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let page = session.submit("/plan", "/plan/target", &form("150")).await;
    assert!(page.contains(r#"data-result="error""#), "{page}");
    // The form says why in the page's language; its periods are chosen, not typed.
    assert!(page.contains("Tiết kiệm (%) = 150 không phải mức tiết kiệm phần trăm"), "{page}");
    assert!(page.contains(r#"<option value="gd1">Giai đoạn 1 (2026–06/2028)</option>"#), "{page}");
    assert!(!page.contains(r#"input name="period""#), "{page}");
    let page = session.submit("/plan?lang=en", "/plan/target?lang=en", &form("150")).await;
    assert!(page.contains("`saving_percent` = 150 is not a saving in percent"), "{page}");
    let mut short_reason = form("2");
    short_reason[5].1 = "vì";
    let page = session.submit("/plan", "/plan/target", &short_reason).await;
    assert!(page.contains("Hãy ghi lý do thay đổi (ít nhất vài chữ)."), "{page}");
    let (_, edits) = app.get("/api/v1/plan/edits").await;
    assert_eq!(edits, json!([]));
    // A right form, with a Vietnamese decimal comma, is kept.
    let page = session.submit("/plan", "/plan/target", &form("7,5")).await;
    assert!(page.contains(r#"data-result="ok""#), "{page}");
    let (_, edits) = app.get("/api/v1/plan/edits").await;
    assert_eq!(edits[0]["new"]["saving_percent"], 7.5);
    assert_eq!(edits[0]["period"], "2026");
    app.stop().await;
}
