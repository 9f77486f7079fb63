//! Security, round two (issue 14): no token outgrows its limits, every write keeps its audit
//! line, logins cannot be flooded or used to lock people out, redirects stay on the site,
//! and secrets never travel in URLs. Each test reproduces a finding of the attacker's review.

use reqwest::Client;
use serde_json::{Value, json};
use xanh::domain::Role;

use crate::common::{ADMIN, PASSWORD, TestApp, spawn_app};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn no_redirects() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn reading(meter: &str, value: f64, hour: u32) -> Value {
    json!({ "meter": meter, "value": value, "ts": format!("2026-11-02T{hour:02}:00:00+07:00") })
}

async fn readings_of(app: &TestApp, meter: &str) -> u64 {
    app.meter(meter).await["readings"].as_u64().unwrap()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    let (status, log) = app.get("/api/v1/audit").await;
    assert_eq!(status, 200, "{log}");
    log["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_never_manages_users_or_tokens_and_a_meter_token_is_limited_in_everything() {
    let app = spawn_app().await;
    let (meter_token, _) = app.token_client(&app.admin, Role::Admin, Some(&["dien-a"])).await;
    let new_admin = [("username", "ke.gian"), ("display_name", "Kẻ Gian"), ("role", "admin"), ("password", PASSWORD)];
    let new_token = [("name", "vo-han"), ("role", "admin")];
    for (who, client) in [("a meter-limited admin token", &meter_token), ("an unlimited admin token", &app.http)] {
        let (status, _) = send(client.post(app.url("/admin/users")).form(&new_admin)).await;
        assert_eq!(status, 403, "{who} may not add a user");
        let (status, _) = send(client.post(app.url("/admin/tokens")).form(&new_token)).await;
        assert_eq!(status, 403, "{who} may not mint a token");
    }
    let users = app.auth.users().await.unwrap();
    assert!(users.iter().all(|u| u.username.as_str() != "ke.gian"), "no user was added");
    assert_eq!(app.auth.tokens().await.unwrap().len(), 2, "no token was minted");

    // A meter-limited token acts on its meter only: no admin action on the whole office.
    let target = json!({"resource": "water", "saving_percent": 6, "reason": "Kế hoạch năm 2026"});
    assert_eq!(send(meter_token.post(app.url("/api/v1/plan/target")).json(&target)).await.0, 403);
    assert_eq!(send(meter_token.post(app.url("/api/v1/rejected/reprocess"))).await.0, 403);
    assert_eq!(send(meter_token.get(app.url("/api/v1/audit"))).await.0, 403);
    assert_eq!(
        send(meter_token.post(app.url("/api/v1/readings")).json(&json!([reading("dien-a", 1.0, 1)]))).await.0,
        200
    );
    let other = json!([reading("dien-b-wh", 1.0, 1)]);
    assert_eq!(send(meter_token.post(app.url("/api/v1/readings")).json(&other)).await.0, 403);

    // A person signed in as admin still manages users.
    let admin = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = admin.csrf("/admin/users").await;
    let mut form = new_admin.to_vec();
    form.push(("csrf", &csrf));
    assert_eq!(admin.post_form("/admin/users", &form).await.0, 303);
    assert!(app.auth.users().await.unwrap().iter().any(|u| u.username.as_str() == "ke.gian"));
    app.stop().await;
}

/// Makes every insert into the audit log fail, as a full disk or a broken file would, in the
/// app's own database file.
fn break_the_audit_log(app: &TestApp) {
    let db = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    db.execute_batch("CREATE TRIGGER audit_fails BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_and_its_audit_line_commit_together_or_not_at_all() {
    let app = spawn_app().await;
    // Something to correct and something held for review, made while the audit log works.
    let batch = json!([
        reading("dien-a", 1234.0, 0),
        reading("dien-a", 1240.0, 1),
        reading("dien-a", 12400.0, 2),
        reading("dien-a", 1246.0, 3)
    ]);
    assert_eq!(send(app.http.post(app.url("/api/v1/readings")).json(&batch)).await.0, 200);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held = rejected["items"].as_array().unwrap().iter().find(|i| i["reason"] == "held_for_review").cloned();
    let held_id = held.unwrap_or_else(|| panic!("a reading is held for review: {rejected}"))["id"].as_i64().unwrap();
    let lines_before = audit_actions(&app).await.len();
    let stored_before = readings_of(&app, "dien-a").await;

    break_the_audit_log(&app);
    let many: Vec<Value> = (0..2000).map(|i| reading("dien-a", 1250.0 + f64::from(i) * 0.01, 3)).collect();
    let many: Vec<Value> = many
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r["ts"] = json!(format!("2026-11-03T{:02}:{:02}:{:02}+07:00", i / 3600, (i / 60) % 60, i % 60));
            r
        })
        .collect();
    let correction =
        json!({"meter": "dien-a", "ts": "2026-11-02T01:00:00+07:00", "value": 1239.5, "reason": "đọc lại công tơ"});
    let documents = json!({"department": "phong-a", "month": "2026-10", "electronic": 40, "paper": 2});
    let target = json!({"resource": "water", "saving_percent": 6, "reason": "Kế hoạch năm 2026"});
    let review = json!({"decision": "reject", "reason": "không hợp lý"});
    let attempts = [
        ("/api/v1/readings".to_owned(), Value::Array(many)),
        ("/api/v1/corrections".to_owned(), correction),
        ("/api/v1/documents".to_owned(), documents),
        ("/api/v1/plan/target".to_owned(), target),
        (format!("/api/v1/rejected/{held_id}/review"), review),
    ];
    for (path, body) in &attempts {
        let (status, answer) = send(app.http.post(app.url(path)).json(body)).await;
        assert_eq!(status, 500, "POST {path} cannot keep its audit line, so it fails: {answer}");
    }
    assert_eq!(readings_of(&app, "dien-a").await, stored_before, "no reading is kept without its audit line");
    let (_, corrections) = app.get("/api/v1/corrections").await;
    assert_eq!(corrections["items"].as_array().map(Vec::len).unwrap_or(0), 0, "no correction: {corrections}");
    let (_, documents) = app.get("/api/v1/documents?period=2026").await;
    assert!(!documents.to_string().contains("\"electronic\":40"), "no document counts: {documents}");
    let (_, edits) = app.get("/api/v1/plan/edits").await;
    assert_eq!(edits.as_array().map(Vec::len).unwrap_or(0), 0, "no plan edit: {edits}");
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let still = rejected["items"].as_array().unwrap().iter().find(|i| i["id"] == held_id).cloned().unwrap();
    assert_eq!(still["reason"], "held_for_review", "the held reading still waits: {still}");

    // Once the log works again, the same writes keep both.
    let db = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    db.execute_batch("DROP TRIGGER audit_fails").unwrap();
    for (path, body) in &attempts {
        let (status, answer) = send(app.http.post(app.url(path)).json(body)).await;
        assert_eq!(status, 200, "POST {path}: {answer}");
    }
    let actions = audit_actions(&app).await;
    assert_eq!(actions.len(), lines_before + attempts.len(), "{actions:?}");
    assert_eq!(readings_of(&app, "dien-a").await, stored_before + 2000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_counted_before_the_password_is_checked() {
    let app = spawn_app().await;
    app.add_user("lan", Role::Viewer, &[]).await;
    let address = Some("10.0.0.66".parse().unwrap());
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let auth = app.auth.clone();
            tokio::spawn(async move { auth.login("lan", &format!("đoán sai {i}"), address).await })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            Err(xanh::auth::AuthError::BadCredentials) => checked += 1,
            Err(xanh::auth::AuthError::Throttled(_)) => {}
            other => panic!("a guess was neither checked nor refused: {:?}", other.map(|_| ())),
        }
    }
    assert_eq!(checked, 5, "only five of 40 parallel guesses from one address are checked");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_cannot_lock_the_admin_out() {
    let app = spawn_app().await;
    let attacker = Some("10.0.0.66".parse().unwrap());
    for _ in 0..30 {
        assert!(app.auth.login(ADMIN, "đoán mò", attacker).await.is_err());
    }
    let refused = app.auth.login(ADMIN, PASSWORD, attacker).await;
    assert!(matches!(refused, Err(xanh::auth::AuthError::Throttled(_))), "the attacker's address is held back");
    let office = Some("192.168.1.20".parse().unwrap());
    assert!(app.auth.login(ADMIN, PASSWORD, office).await.is_ok(), "HC-QT still signs in from the office");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_token_must_come_from_a_page_load() {
    let app = spawn_app().await;
    let made_up = "a".repeat(64);
    let login = no_redirects()
        .post(app.url("/login"))
        .header("cookie", format!("xanh_form={made_up}"))
        .form(&[("csrf", made_up.as_str()), ("username", ADMIN), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 403, "a token the server never issued is refused");
    assert!(crate::common::set_cookie(&login, "xanh_session").is_none());
    assert!(app.sign_in(ADMIN, PASSWORD).await.is_ok(), "a token from the login page works");
    app.stop().await;
}
