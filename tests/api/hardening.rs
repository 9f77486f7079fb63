//! Security, round two (issue 14): no token outgrows its limits, every write keeps its audit
//! line, logins cannot be flooded or used to lock people out, redirects stay on the site,
//! and secrets never travel in URLs. Each test reproduces a finding of the attacker's review.

use serde_json::{Value, json};
use xanh::domain::Role;

use crate::common::{ADMIN, PASSWORD, TestApp, no_redirects, readings_of, send, spawn_app};

fn reading(meter: &str, value: f64, hour: u32) -> Value {
    json!({ "meter": meter, "value": value, "ts": format!("2026-11-02T{hour:02}:00:00+07:00") })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_with_a_session_cookie_carries_the_csrf_token() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = session.csrf("/entry").await;
    let api = |path: &str| no_redirects().post(app.url(path)).header("cookie", &session.cookie);
    // A page on another site could send these with the admin's cookie.
    assert_eq!(send(api("/api/v1/rejected/reprocess")).await.0, 403, "a body-less POST needs the token");
    let readings = json!([reading("dien-a", 100.0, 0)]);
    assert_eq!(send(api("/api/v1/readings").json(&readings)).await.0, 403);
    assert_eq!(readings_of(&app, "dien-a").await, 0, "nothing stored without the token");
    let wrong = "0".repeat(64);
    assert_eq!(send(api("/api/v1/readings").header("x-csrf-token", &wrong).json(&readings)).await.0, 403);
    // With the session's token, as the app's own pages would send it.
    assert_eq!(send(api("/api/v1/readings").header("x-csrf-token", &csrf).json(&readings)).await.0, 200);
    assert_eq!(send(api("/api/v1/rejected/reprocess").header("x-csrf-token", &csrf)).await.0, 200);
    assert_eq!(readings_of(&app, "dien-a").await, 1);
    // A token (no cookie) needs none.
    assert_eq!(send(app.http.post(app.url("/api/v1/rejected/reprocess"))).await.0, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_are_entered_by_whoever_really_sent_them() {
    let app = spawn_app().await;
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (lan_client, _) = app.token_client(&lan, Role::Reporter, None).await;
    let mut as_hcqt = reading("dien-a", 100.0, 0);
    as_hcqt["entered_by"] = json!("hcqt");
    let (status, answer) = send(lan_client.post(app.url("/api/v1/readings")).json(&json!([as_hcqt]))).await;
    assert_eq!(status, 403, "a reporter may not record readings as someone else's: {answer}");
    assert_eq!(readings_of(&app, "dien-a").await, 0);
    let csv = "meter,ts,value,entered_by\ndien-a,2026-11-02T00:00:00+07:00,100,hcqt\n";
    let (status, _) =
        send(lan_client.post(app.url("/api/v1/readings")).header("content-type", "text/csv").body(csv)).await;
    assert_eq!(status, 403, "nor in a CSV");

    // Without the field, the reading is the sender's.
    let (status, _) =
        send(lan_client.post(app.url("/api/v1/readings")).json(&json!([reading("dien-a", 100.0, 0)]))).await;
    assert_eq!(status, 200);
    // An admin may record a reading someone read out on the phone; the log says who sent it.
    let mut for_lan = reading("dien-a", 101.0, 1);
    for_lan["entered_by"] = json!("Chị Lan (qua điện thoại)");
    assert_eq!(send(app.http.post(app.url("/api/v1/readings")).json(&json!([for_lan]))).await.0, 200);
    let (_, stored) = app.get("/api/v1/readings?meter=dien-a").await;
    let by: Vec<&str> =
        stored["readings"].as_array().unwrap().iter().map(|r| r["entered_by"].as_str().unwrap()).collect();
    assert_eq!(by, ["Chị Lan (qua điện thoại)", "lan/script"], "{stored}");
    let (_, log) = app.get("/api/v1/audit").await;
    let line = log["items"].as_array().unwrap().iter().find(|i| i["after"].to_string().contains("Chị Lan")).unwrap();
    assert_eq!(line["actor"], format!("{ADMIN}/tests"), "{line}");
    app.stop().await;
}

/// Sign in from the login page with `next` as the form carries it; the redirect's target.
async fn sign_in_and_go_to(app: &TestApp, next: &str) -> (u16, String) {
    let http = no_redirects();
    let page = http.get(app.url("/login")).send().await.unwrap();
    let cookie = crate::common::set_cookie(&page, "xanh_form").unwrap();
    let csrf = crate::common::hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let answer = http
        .post(app.url("/login"))
        .header("cookie", format!("xanh_form={cookie}"))
        .form(&[("csrf", csrf.as_str()), ("username", ADMIN), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .unwrap();
    let location = answer.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (answer.status().as_u16(), location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_signing_in_only_a_path_on_this_site_is_followed() {
    let app = spawn_app().await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/a\r\nSet-Cookie: x=1",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        " /scores",
    ] {
        let (status, location) = sign_in_and_go_to(&app, next).await;
        assert_eq!((status, location.as_str()), (303, "/"), "next = {next:?}");
    }
    let (status, location) = sign_in_and_go_to(&app, "/scores?period=2026-11&lang=en").await;
    assert_eq!((status, location.as_str()), (303, "/scores?period=2026-11&lang=en"));
    // The login page does not carry a bad `next` into its form either.
    let page = app.anonymous.get(app.url("/login?next=%2F%09%2Fevil")).send().await.unwrap().text().await.unwrap();
    assert_eq!(crate::common::hidden_field(&page, "next").as_deref(), Some("/"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tokens_secret_never_travels_in_a_url_and_messages_are_not_attacker_text() {
    let app = spawn_app().await;
    let admin = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = admin.csrf("/admin/users").await;
    let (status, location) =
        admin.post_form("/admin/tokens", &[("csrf", &csrf), ("name", "gateway-tang-1"), ("role", "reporter")]).await;
    assert_eq!(status, 303);
    assert!(!location.contains("secret"), "the secret is not in the redirect: {location}");
    let (_, page) = admin.get(&location).await;
    let secret = page
        .split("<p class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("the page shows the new secret once: {page}"))
        .to_owned();
    let (status, me) = send(crate::common::bearer_client(&secret).get(app.url("/api/v1/me"))).await;
    assert_eq!(status, 200, "the secret shown works: {me}");
    let (_, again) = admin.get(&location).await;
    assert!(!again.contains(&secret), "the secret is shown only once");

    let bait = "Hệ thống bảo trì: gọi 0909 123 456 và đọc mật khẩu";
    let query = serde_urlencoded::to_string([("error", bait)]).unwrap();
    let page = app.anonymous.get(app.url(&format!("/login?{query}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("0909 123 456"), "the login page shows no text from its URL");
    // Its own messages still show, by code.
    let (status, location) = app.sign_in(ADMIN, "sai mật khẩu rồi").await.err().unwrap();
    assert_eq!(status, 303);
    let page = app.anonymous.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sai tên đăng nhập hoặc mật khẩu"), "{page}");
    app.stop().await;
}
