//! The working calendar set over the API (issue 18): a day off added changes the year's
//! working days and every working-day figure at once (the figures cache included), each
//! change is audited with the year before and after, kept over a restart, printed by
//! `xanh config export`, and a config file that later disagrees is reported.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, config_text, embedded_mqtt, send, spawn_app, spawn_app_from};
use xanh::domain::Role;

/// Phòng A's counter: 3 650 kWh in 2025, 810 in Q1 2026, 20 of them on Monday 05/01/2026
/// between 08:00 and 12:00.
async fn seed(app: &TestApp) {
    let rows = json!([
        {"meter": "dien-a", "value": 0, "ts": "2025-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-01T00:00:00+07:00"},
        {"meter": "dien-a", "value": 3650, "ts": "2026-01-05T08:00:00+07:00"},
        {"meter": "dien-a", "value": 3670, "ts": "2026-01-05T12:00:00+07:00"},
        {"meter": "dien-a", "value": 4460, "ts": "2026-04-01T00:00:00+07:00"},
    ]);
    let (status, body) = send(app.http.post(app.url("/api/v1/readings")).json(&rows)).await;
    assert_eq!(status, 200, "{body}");
}

async fn calendar(app: &TestApp, year: i16) -> Value {
    let (status, body) = app.get(&format!("/api/v1/calendar/{year}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn q1_baseline(app: &TestApp) -> Value {
    let (status, p) = app.get("/api/v1/progress?resource=electricity&department=phong-a&period=2026-Q1").await;
    assert_eq!(status, 200, "{p}");
    p["baseline"]["amount"].clone()
}

async fn holiday_share(app: &TestApp) -> Value {
    let query = "resource=electricity&department=phong-a&from=2026-01-05&to=2026-01-06";
    let (status, w) = app.get(&format!("/api/v1/waste?{query}")).await;
    assert_eq!(status, 200, "{w}");
    w["shares"]["holidays"].clone()
}

async fn change(app: &TestApp, year: i16, body: Value) -> (u16, Value) {
    send(app.http.post(app.url(&format!("/api/v1/calendar/{year}"))).json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_off_set_over_the_api_changes_the_working_day_figures_at_once_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    seed(&app).await;

    // The shipped 2026: 250 working days, Q1 58 (see tests/api/plan.rs); the baseline is
    // 2025's 3 650 kWh × 58 / 250. Both figures are asked first, so the cache holds them.
    let before = calendar(&app, 2026).await;
    assert_eq!((before["working_days"].as_u64(), before["status"].as_str()), (Some(250), Some("official")));
    approx(&q1_baseline(&app).await, 3650.0 * 58.0 / 250.0);
    approx(&holiday_share(&app).await, 0.0);

    // The office's own day off on Monday 05/01/2026: 249 working days, 57 in Q1.
    let day = json!({"date": "05/01/2026", "kind": "off", "reason": "Nghỉ riêng của đơn vị"});
    let (status, after) = change(&app, 2026, json!({"add": [day]})).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["working_days"], 249);
    let listed = after["days"].as_array().unwrap();
    assert!(listed.iter().any(|d| d["date"] == "2026-01-05" && d["reason"] == "Nghỉ riêng của đơn vị"), "{after}");
    approx(&q1_baseline(&app).await, 3650.0 * 57.0 / 250.0);
    // The day's use is now use on a holiday, though its hours were kept before the change.
    approx(&holiday_share(&app).await, 1.0);

    // The audit log has the year before and after.
    let (_, audit) = app.get("/api/v1/audit").await;
    let lines: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|l| l["action"] == "calendar.change").collect();
    assert_eq!(lines.len(), 1, "{audit}");
    assert_eq!((lines[0]["target"].as_str(), lines[0]["before"]["working_days"].as_u64()), (Some("2026"), Some(250)));
    assert_eq!(lines[0]["after"]["working_days"], 249);

    // A restart on the same store keeps it.
    let dir = app.dir_and_stop().await;
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(calendar(&app, 2026).await["working_days"], 249);
    approx(&q1_baseline(&app).await, 3650.0 * 57.0 / 250.0);
    assert_eq!(app.health().await["setup"]["file_differences"], 0);
    let dir = app.dir_and_stop().await;

    // `xanh config export` prints the year as `[[office.calendar]]`, which Xanh reads back.
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let office = &parsed.office;
    let working = office.working_days_between(jiff::civil::date(2026, 1, 1), jiff::civil::date(2027, 1, 1));
    assert_eq!(working, 249, "{exported}");
    assert!(exported.contains("Nghỉ riêng của đơn vị"), "{exported}");

    // `xanh export` counts with the store's calendar: Q1 2026's baseline by 57 working days.
    let out = dir.path().join("diem.csv");
    let output = std::process::Command::new(crate::common::binary())
        .args(["--config", file.to_str().unwrap(), "export", "--period", "2026-Q1", "--format", "csv", "--out"])
        .arg(&out)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    let row = csv.lines().find(|l| l.starts_with("2026-Q1,phong-a,Phòng A,Điện,"));
    let row: Vec<&str> = row.unwrap_or_else(|| panic!("no electricity row for Phòng A: {csv}")).split(',').collect();
    let baseline: f64 = row[5].parse().unwrap_or_else(|_| panic!("{row:?}"));
    assert!((baseline - 3650.0 * 57.0 / 250.0).abs() < 0.05, "{row:?}");

    // A file edited later to say another day off in 2026 is reported, not applied.
    let edited = text.replacen("[office]\n", "[office]\nholidays = [\"2026-01-06\"]\n", 1);
    let app = spawn_app_from(&edited, dir).await;
    assert_eq!(app.health().await["setup"]["file_differences"], 1);
    assert_eq!(calendar(&app, 2026).await["working_days"], 249);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_is_announced_and_wrong_days_are_refused_saying_why() {
    let app = spawn_app().await;
    // The provisional 2027 has Tết on Friday 05/02; the announcement moves it to Friday 12/02
    // and has Saturday 20/02 worked instead: 250 + 1 − 1 + 1 = 251 working days.
    let (status, set) = change(
        &app,
        2027,
        json!({
            "status": "official",
            "source": "Thông báo lịch nghỉ Tết Đinh Mùi",
            "remove": ["2027-02-05"],
            "add": [
                {"date": "2027-02-12", "kind": "off", "reason": "Nghỉ Tết"},
                {"date": "2027-02-20", "kind": "worked", "reason": "Làm bù cho 12/02"},
            ],
        }),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!((set["status"].as_str(), set["working_days"].as_u64()), (Some("official"), Some(251)), "{set}");
    assert_eq!(set["status_vi"], "chính thức");

    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let off = json!({"add": [{"date": "2027-03-01", "kind": "off"}]});
    let (status, _) = send(client.post(app.url("/api/v1/calendar/2027")).json(&off)).await;
    assert_eq!(status, 403);
    let (status, _) = send(client.get(app.url("/api/v1/calendar/2027"))).await;
    assert_eq!(status, 200, "everyone signed in reads the calendar");

    let add = |date: &str, kind: &str| json!({"add": [{"date": date, "kind": kind}]});
    let cases = [
        (add("2028-01-03", "off"), "not in 2027"),
        // 13/02/2027 is a Saturday.
        (add("2027-02-13", "off"), "does not work anyway"),
        // 15/02/2027 is a Monday.
        (add("2027-02-15", "worked"), "Saturday or Sunday"),
        (add("2027-02-12", "off"), "listed twice"),
        (
            json!({"add": [{"date": "2027-03-01", "kind": "off"}, {"date": "01/03/2027", "kind": "off"}]}),
            "listed twice",
        ),
        (add("2027-02-31", "off"), "2026-11-15"),
        (add("2027-03-01", "holiday"), "off"),
        (json!({"remove": ["2027-03-02"]}), "not listed"),
        (json!({"status": "final"}), "official or provisional"),
        (json!({"days": []}), "remove"),
    ];
    for (body, hint) in cases {
        let (status, answer) = change(&app, 2027, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (status, answer) = app.get("/api/v1/calendar/20x7").await;
    assert_eq!(status, 400, "{answer}");
    // Nothing refused was kept.
    assert_eq!(calendar(&app, 2027).await["working_days"], 251);
    app.stop().await;
}
