//! Departments added and renamed over the API (issue 18): in force at once for every figure
//! and entry, audited with before and after, refused with a Vietnamese reason when the id is
//! held, kept over a restart, compared with the config file, and printed by `xanh config export`.

use serde_json::{Value, json};

use crate::common::{ADMIN, PASSWORD, TestApp, config_text, embedded_mqtt, send, spawn_app, spawn_app_from};
use xanh::domain::Role;

fn archive() -> Value {
    json!({"id": "phong-luu-tru", "name": "Phòng Lưu trữ", "name_en": "Archives", "headcount": 4, "area_m2": "80,5"})
}

async fn departments_table(app: &TestApp) -> Vec<Value> {
    let (status, table) = app.get("/api/v1/departments?resource=electricity&period=2026").await;
    assert_eq!(status, 200, "{table}");
    table["departments"].as_array().unwrap().clone()
}

async fn audit_lines(app: &TestApp, action: &str) -> Vec<Value> {
    let (_, audit) = app.get("/api/v1/audit").await;
    audit["items"].as_array().unwrap().iter().filter(|l| l["action"] == action).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_added_over_the_api_is_in_the_figures_and_entries_at_once() {
    let app = spawn_app().await;
    let (status, added) = send(app.http.post(app.url("/api/v1/departments")).json(&archive())).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!((added["id"].as_str(), added["area_m2"].as_f64()), (Some("phong-luu-tru"), Some(80.5)));

    // Without a restart: in the departments' table, and its counts, staffing and meters are taken.
    let table = departments_table(&app).await;
    let row = table.iter().find(|d| d["department"] == "phong-luu-tru").unwrap_or_else(|| panic!("{table:?}"));
    assert_eq!(row["name"], "Phòng Lưu trữ");
    let counts = json!({"department": "phong-luu-tru", "month": "2026-10", "electronic": 30, "paper": 2});
    let (status, body) = send(app.http.post(app.url("/api/v1/documents")).json(&counts)).await;
    assert_eq!(status, 200, "{body}");
    let staffing = json!({"from": "2026-01-01", "headcount": 6});
    let (status, body) =
        send(app.http.post(app.url("/api/v1/departments/phong-luu-tru/staffing")).json(&staffing)).await;
    assert_eq!(status, 200, "{body}");
    let meter = json!({"id": "dien-luu-tru", "name": "Công tơ Lưu trữ", "resource": "electricity",
        "department": "phong-luu-tru", "kind": "counter", "unit": "kWh"});
    let (status, body) = send(app.http.post(app.url("/api/v1/meters")).json(&meter)).await;
    assert_eq!(status, 201, "{body}");

    // Audited with what it is after.
    let lines = audit_lines(&app, "departments.add").await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (lines[0]["target"].as_str(), lines[0]["after"]["name"].as_str()),
        (Some("phong-luu-tru"), Some("Phòng Lưu trữ"))
    );
    assert!(lines[0]["before"].is_null(), "{:?}", lines[0]);
    // The audit page says it in words.
    let (_, page) = app.sign_in(ADMIN, PASSWORD).await.unwrap().get("/admin/audit").await;
    assert!(page.contains("Thêm phòng, ban") && page.contains("Tên tiếng Anh"), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_is_renamed_and_its_id_changes_only_while_nothing_holds_it() {
    let app = spawn_app().await;
    let (status, _) = send(app.http.post(app.url("/api/v1/departments")).json(&archive())).await;
    assert_eq!(status, 201);

    // Nothing holds the new id yet: it may change, with its names.
    let change = json!({"id": "phong-van-thu-luu-tru", "name": "Phòng Văn thư – Lưu trữ"});
    let (status, changed) = send(app.http.put(app.url("/api/v1/departments/phong-luu-tru")).json(&change)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["id"].as_str(), changed["name_en"].as_str()),
        (Some("phong-van-thu-luu-tru"), Some("Archives"))
    );
    let line = &audit_lines(&app, "departments.change").await[0];
    assert_eq!(
        (line["before"]["id"].as_str(), line["after"]["id"].as_str(), line["after"]["name"].as_str()),
        (Some("phong-luu-tru"), Some("phong-van-thu-luu-tru"), Some("Phòng Văn thư – Lưu trữ"))
    );
    let table = departments_table(&app).await;
    assert!(table.iter().any(|d| d["name"] == "Phòng Văn thư – Lưu trữ"), "{table:?}");
    assert!(!table.iter().any(|d| d["department"] == "phong-luu-tru"), "{table:?}");

    // Once it has counts, its id stays (said in Vietnamese, naming what holds it); its name
    // still changes.
    let counts = json!({"department": "phong-van-thu-luu-tru", "month": "2026-10", "electronic": 3, "paper": 1});
    let (status, _) = send(app.http.post(app.url("/api/v1/documents")).json(&counts)).await;
    assert_eq!(status, 200);
    let url = app.url("/api/v1/departments/phong-van-thu-luu-tru");
    let (status, refused) = send(app.http.put(&url).json(&json!({"id": "phong-khac"}))).await;
    assert_eq!(status, 409, "{refused}");
    let said = refused["error"].as_str().unwrap();
    assert!(said.contains("Không đổi được mã") && said.contains("số văn bản điện tử"), "{said}");
    let (status, _) = send(app.http.put(&url).json(&json!({"name": "Phòng Văn thư"}))).await;
    assert_eq!(status, 200);

    // Phòng A has meters and is in the config file: refused, naming its meters; in English on asking.
    let url = app.url("/api/v1/departments/phong-a?lang=en");
    let (status, refused) = send(app.http.put(&url).json(&json!({"id": "phong-a2"}))).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("the config file lists it"), "{refused}");
    let (status, added) = send(
        app.http
            .post(app.url("/api/v1/departments"))
            .json(&json!({"id": "phong-c", "name": "Phòng C", "headcount": 1, "area_m2": 10})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let meter = json!({"id": "dien-c", "name": "Công tơ C", "resource": "electricity", "department": "phong-c", "kind": "counter", "unit": "kWh"});
    assert_eq!(send(app.http.post(app.url("/api/v1/meters")).json(&meter)).await.0, 201);
    let (status, refused) =
        send(app.http.put(app.url("/api/v1/departments/phong-c")).json(&json!({"id": "phong-d"}))).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("công tơ dien-c"), "{refused}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_adds_a_department_and_a_wrong_one_says_what_to_fix() {
    let app = spawn_app().await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let (status, _) = send(client.post(app.url("/api/v1/departments")).json(&archive())).await;
    assert_eq!(status, 403);
    let (status, _) = send(client.put(app.url("/api/v1/departments/phong-a")).json(&json!({"name": "X"}))).await;
    assert_eq!(status, 403);
    let with = |key: &str, value: Value| {
        let mut body = archive();
        body[key] = value;
        body
    };
    let cases = [
        (with("id", json!("Phòng Lưu Trữ")), 400, "chữ thường không dấu"),
        (with("id", json!("phong-a")), 409, "Đã có phòng, ban mã `phong-a`"),
        (with("name", json!("  ")), 400, "Hãy nhập tên"),
        (with("headcount", json!(2.5)), 400, "số nguyên"),
        (with("area_m2", json!(0)), 400, "lớn hơn 0"),
        (json!({"id": "phong-x"}), 400, "số người và diện tích"),
        (with("floor", json!(2)), 400, "unknown field"),
    ];
    for (body, expected, hint) in cases {
        let (status, answer) = send(app.http.post(app.url("/api/v1/departments")).json(&body)).await;
        assert_eq!(status, expected, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{body}: `{message}` should mention `{hint}`");
    }
    let (status, _) = send(app.http.put(app.url("/api/v1/departments/phong-z")).json(&json!({"name": "Z"}))).await;
    assert_eq!(status, 404);
    assert!(audit_lines(&app, "departments.add").await.is_empty(), "nothing refused is audited");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departments_changed_in_the_app_stay_after_a_restart_and_the_file_is_compared_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(send(app.http.post(app.url("/api/v1/departments")).json(&archive())).await.0, 201);
    let (status, _) =
        send(app.http.put(app.url("/api/v1/departments/phong-b")).json(&json!({"name": "Phòng B mới"}))).await;
    assert_eq!(status, 200);
    let dir = app.dir_and_stop().await;

    // The export has the store's departments, and is a config Xanh accepts.
    let exported = crate::common::config_export(&file);
    let parsed = xanh::config::Config::parse("exported.toml", &exported, &|_| None).unwrap();
    let names: Vec<(&str, &str)> = parsed.departments.iter().map(|d| (d.id.as_str(), d.name.as_str())).collect();
    assert_eq!(names, [("phong-a", "Phòng A"), ("phong-b", "Phòng B mới"), ("phong-luu-tru", "Phòng Lưu trữ")]);
    assert_eq!(parsed.departments[2].name_en.as_deref(), Some("Archives"));

    // A new Application on the same data directory, its file unchanged: the store's
    // departments are in force, and the two keys the file lacks or says otherwise are reported.
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let app = spawn_app_from(&text, dir).await;
    let table = departments_table(&app).await;
    let names: Vec<&str> = table.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Phòng Lưu trữ") && names.contains(&"Phòng B mới"), "{names:?}");
    assert_eq!(app.health().await["setup"]["file_differences"], 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xanh_import_reads_a_meter_of_a_department_added_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db"));
    let file = dir.path().join("office.toml");
    std::fs::write(&file, &text).unwrap();
    let app = spawn_app_from(&text, dir).await;
    assert_eq!(send(app.http.post(app.url("/api/v1/departments")).json(&archive())).await.0, 201);
    let meter = json!({"id": "dien-luu-tru", "name": "Công tơ Lưu trữ", "resource": "electricity",
        "department": "phong-luu-tru", "kind": "counter", "unit": "kWh"});
    assert_eq!(send(app.http.post(app.url("/api/v1/meters")).json(&meter)).await.0, 201);
    let dir = app.dir_and_stop().await;

    let csv = dir.path().join("bills.csv");
    std::fs::write(&csv, "meter,ts,value\ndien-luu-tru,01/10/2026,100\ndien-luu-tru,01/11/2026,160\n").unwrap();
    let output = std::process::Command::new(crate::common::binary())
        .args(["import", "--entered-by", "HC-QT", "--config"])
        .arg(&file)
        .arg(&csv)
        .env_remove("XANH_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("2 rows: 2 stored"), "{stdout}");
}
