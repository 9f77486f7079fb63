//! Who is told of alerts, kept by an admin (docs/alerts.md): seeded once from
//! `[[alerts.recipients]]`, then listed, added, changed and removed through
//! `/api/v1/alerts/recipients` (admins only, each change audited with before and after), and
//! used from the engine's next round without a restart.

use serde_json::{Value, json};
use xanh::domain::Role;
use xanh::store::AlertBook;

use crate::common::{self, TestApp, publish, send};

/// HC-QT from the config: the list starts with them.
const RECIPIENTS: &str = r#"
[alerts]
rejected_per_hour = 3

[[alerts.recipients]]
name = "Chị Hoa, Chánh Văn phòng"
role = "hc_qt"
email = "hoa@ubnd-tinh.gov.vn"
quiet_hours = "21:00-06:30"
"#;

async fn start(dir: tempfile::TempDir) -> TestApp {
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db")) + RECIPIENTS;
    common::spawn_app_from(&text, dir).await
}

async fn listed(app: &TestApp) -> Vec<Value> {
    let (status, doc) = app.get("/api/v1/alerts/recipients").await;
    assert_eq!(status, 200, "{doc}");
    doc["items"].as_array().unwrap().clone()
}

fn audit_lines(log: &Value, action: &str) -> Vec<Value> {
    log["items"].as_array().unwrap().iter().filter(|i| i["action"] == action).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_adds_changes_and_removes_recipients_each_change_audited_and_kept_over_a_restart() {
    let app = start(tempfile::tempdir().unwrap()).await;
    let url = app.url("/api/v1/alerts/recipients");

    let seeded = listed(&app).await;
    assert_eq!(seeded.len(), 1, "{seeded:?}");
    assert_eq!(seeded[0]["name"], "Chị Hoa, Chánh Văn phòng");
    assert_eq!((&seeded[0]["role"], &seeded[0]["email"]), (&json!("hc_qt"), &json!("hoa@ubnd-tinh.gov.vn")));
    assert_eq!(seeded[0]["quiet_hours"], "21:00-06:30");

    // Only an admin: a viewer may not even list them.
    let viewer = app.add_user("nguyen.an", Role::Viewer, &[]).await;
    let (viewer_http, _) = app.token_client(&viewer, Role::Viewer, None).await;
    let (status, _) = send(viewer_http.get(&url)).await;
    assert_eq!(status, 403);
    let (status, _) =
        send(viewer_http.post(&url).json(&json!({"name": "X", "role": "hc_qt", "email": "x@y.vn"}))).await;
    assert_eq!(status, 403);

    // A department head needs their department, and one that exists.
    let head = json!({"name": "Anh Bình, Trưởng phòng A", "role": "department_head", "email": "binh@ubnd-tinh.gov.vn"});
    let (status, error) = send(app.http.post(&url).json(&head)).await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("recipient.department"), "{error}");
    let mut head = head;
    head["department"] = json!("phong-z");
    let (status, error) = send(app.http.post(&url).json(&head)).await;
    assert!(status == 400 && error.to_string().contains("`phong-z` is not a configured department"), "{error}");
    let (status, error) =
        send(app.http.post(&url).json(&json!({"name": "A", "role": "hc_qt", "webhook": "zalo"}))).await;
    assert!(status == 400 && error.to_string().contains("not a configured webhook"), "{error}");
    let (status, error) = send(app.http.post(&url).json(&json!({"name": "A", "role": "hc_qt", "phone": "1"}))).await;
    assert!(status == 400 && error.to_string().contains("phone"), "unknown fields are refused: {error}");

    head["department"] = json!("phong-a");
    head["digest_at"] = json!("7:00");
    let (status, added) = send(app.http.post(&url).json(&head)).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!((&added["department"], &added["digest_at"]), (&json!("phong-a"), &json!("07:00")), "{added}");
    let id = added["id"].as_i64().unwrap();
    assert_eq!(listed(&app).await.len(), 2);

    head["email"] = json!("binh.nguyen@ubnd-tinh.gov.vn");
    let (status, changed) = send(app.http.put(format!("{url}/{id}")).json(&head)).await;
    assert_eq!((status, &changed["email"]), (200, &json!("binh.nguyen@ubnd-tinh.gov.vn")), "{changed}");
    let (status, _) = send(app.http.put(format!("{url}/9999")).json(&head)).await;
    assert_eq!(status, 404);

    let hoa = seeded[0]["id"].as_i64().unwrap();
    let response = app.http.delete(format!("{url}/{hoa}")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = send(app.http.delete(format!("{url}/{hoa}"))).await;
    assert_eq!(status, 404, "removed once");

    let (_, log) = app.get("/api/v1/audit").await;
    let added_line = &audit_lines(&log, "alert_recipient.add")[0];
    assert!(added_line["before"].is_null() && added_line["after"]["email"] == "binh@ubnd-tinh.gov.vn", "{added_line}");
    let update = &audit_lines(&log, "alert_recipient.update")[0];
    assert_eq!(update["before"]["email"], "binh@ubnd-tinh.gov.vn", "{update}");
    assert_eq!(update["after"]["email"], "binh.nguyen@ubnd-tinh.gov.vn", "{update}");
    let removed = &audit_lines(&log, "alert_recipient.delete")[0];
    assert!(removed["before"]["name"] == "Chị Hoa, Chánh Văn phòng" && removed["after"].is_null(), "{removed}");

    // A restart with the same config: the list is what the admin left, not the config's again.
    let app = start(app.dir_and_stop().await).await;
    let kept = listed(&app).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["email"], "binh.nguyen@ubnd-tinh.gov.vn");
    app.stop().await;
}

/// A recipient added while the app runs hears of the next alert raised; the one removed does
/// not. No channel is configured, so the messages wait in the outbox, addressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_added_on_the_fly_is_told_of_the_next_alert_without_a_restart() {
    let app = start(tempfile::tempdir().unwrap()).await;
    let url = app.url("/api/v1/alerts/recipients");
    let hoa = listed(&app).await[0]["id"].as_i64().unwrap();
    let response = app.http.delete(format!("{url}/{hoa}")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let lan = json!({"name": "Chị Lan, HC-QT", "role": "hc_qt", "email": "lan@ubnd-tinh.gov.vn"});
    let (status, _) = send(app.http.post(&url).json(&lan)).await;
    assert_eq!(status, 201);

    let bad: Vec<(&str, String)> = (0..3).map(|i| ("xanh/dien-a/reading", format!("hỏng {i}"))).collect();
    publish(&app.mqtt, &bad).await;
    let book = AlertBook::open(&app.dir.path().join("xanh.db")).unwrap();
    let mut waiting = Vec::new();
    for _ in 0..150 {
        waiting = book.failures(10).unwrap();
        if !waiting.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let to: Vec<String> = waiting.iter().map(|item| item.notification["to"]["to"].to_string()).collect();
    assert_eq!(to, ["\"lan@ubnd-tinh.gov.vn\""], "only the recipient kept now is told");
    app.stop().await;
}
