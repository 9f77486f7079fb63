//! Who may do what, tested through HTTP against the real app: every route for every role, a
//! reporter kept to their own departments' meters, CSRF, expired sessions, revoked tokens,
//! repeated failed logins, the one-time setup link, the audit log and the security headers.

use serde_json::{Value, json};
use xanh::domain::Role;

use crate::common;
use crate::common::{
    ADMIN, PASSWORD, bearer_client, hidden_field, no_redirects, readings_of, send, set_cookie, spawn_app,
};

/// A reading of `meter` for the API, at 02/11/2026 `hour`:00 local time.
fn reading(meter: &str, value: f64, hour: u32) -> Value {
    json!({ "meter": meter, "value": value, "ts": format!("2026-11-02T{hour:02}:00:00+07:00") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_lets_in_exactly_the_roles_it_should() {
    let app = spawn_app().await;
    let viewer = app.add_user("xem", Role::Viewer, &[]).await;
    let reporter = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (viewer_client, _) = app.token_client(&viewer, Role::Viewer, None).await;
    let (reporter_client, _) = app.token_client(&reporter, Role::Reporter, None).await;
    let anonymous = no_redirects();

    // Something held for review, so that review routes have an item to act on.
    let (status, _) = send(
        app.http
            .post(app.url("/api/v1/readings"))
            .json(&json!([reading("dien-a", 100.0, 0), reading("dien-a", 101.0, 1)])),
    )
    .await;
    assert_eq!(status, 200);

    let reads = [
        "/api/v1/meters",
        "/api/v1/consumption?resource=electricity&from=2026-11-01&to=2026-11-02&step=day",
        "/api/v1/readings?meter=dien-a",
        "/api/v1/corrections",
        "/api/v1/rejected",
        "/api/v1/me",
        "/api/v1/progress?resource=electricity&period=2026",
        "/api/v1/scores?period=2026",
        "/api/v1/offices?period=2026-11",
        "/api/v1/export/scores.csv?period=2026",
        "/api/v1/documents?period=2026",
        "/api/v1/plan/edits",
    ];
    for path in reads {
        assert_eq!(send(anonymous.get(app.url(path))).await.0, 401, "anonymous GET {path}");
        assert_eq!(send(viewer_client.get(app.url(path))).await.0, 200, "viewer GET {path}");
        assert_eq!(send(reporter_client.get(app.url(path))).await.0, 200, "reporter GET {path}");
        assert_eq!(send(app.http.get(app.url(path))).await.0, 200, "admin GET {path}");
    }
    for path in ["/api/v1/audit", "/api/v1/export/audit.csv"] {
        assert_eq!(send(anonymous.get(app.url(path))).await.0, 401, "anonymous GET {path}");
        assert_eq!(send(viewer_client.get(app.url(path))).await.0, 403, "viewer GET {path}");
        assert_eq!(send(reporter_client.get(app.url(path))).await.0, 403, "reporter GET {path}");
        assert_eq!(send(app.http.get(app.url(path))).await.0, 200, "admin GET {path}");
    }
    // Open to everyone: health for monitoring, the API's description, the stylesheet, login.
    for path in ["/api/v1/health", "/api/v1/openapi.json", "/static/xanh.css", "/login"] {
        assert_eq!(send(anonymous.get(app.url(path))).await.0, 200, "anonymous GET {path}");
    }
    // Pages: a person who is not signed in is sent to the login page, and comes back after.
    for path in [
        "/",
        "/entry",
        "/rejected",
        "/scores",
        "/reports",
        "/reports/kept/xanh-bao-cao-2026-11.pdf",
        "/offices",
        "/plan",
        "/documents",
        "/admin/users",
        "/admin/audit",
    ] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "anonymous GET {path}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next="), "{path} → {location}");
    }
    for (path, viewer_status, reporter_status) in [
        ("/", 200, 200),
        ("/rejected", 200, 200),
        ("/scores", 200, 200),
        ("/reports", 200, 200),
        ("/offices", 200, 200),
        ("/plan", 200, 200),
        ("/documents", 200, 200),
        ("/entry", 403, 200),
        ("/admin/users", 403, 403),
        ("/admin/audit", 403, 403),
    ] {
        assert_eq!(send(viewer_client.get(app.url(path))).await.0, viewer_status, "viewer GET {path}");
        assert_eq!(send(reporter_client.get(app.url(path))).await.0, reporter_status, "reporter GET {path}");
        assert_eq!(send(app.http.get(app.url(path))).await.0, 200, "admin GET {path}");
    }

    // Writes: nobody anonymous, no viewer; a reporter for their meters; reviews for admins.
    let own = json!([reading("dien-a", 102.0, 2)]);
    let correction =
        json!({"meter": "dien-a", "ts": "2026-11-02T00:00:00+07:00", "value": 100.5, "reason": "đọc lại công tơ"});
    let documents = json!({"department": "phong-a", "month": "2026-10", "electronic": 40, "paper": 2});
    for (path, body) in
        [("/api/v1/readings", &own), ("/api/v1/corrections", &correction), ("/api/v1/documents", &documents)]
    {
        assert_eq!(send(anonymous.post(app.url(path)).json(body)).await.0, 401, "anonymous POST {path}");
        assert_eq!(send(viewer_client.post(app.url(path)).json(body)).await.0, 403, "viewer POST {path}");
        assert_eq!(send(reporter_client.post(app.url(path)).json(body)).await.0, 200, "reporter POST {path}");
    }
    // Baselines and targets are HC-QT's alone.
    let target = json!({"resource": "water", "saving_percent": 6, "reason": "Kế hoạch năm 2026"});
    for path in ["/api/v1/plan/target"] {
        assert_eq!(send(anonymous.post(app.url(path)).json(&target)).await.0, 401, "anonymous POST {path}");
        assert_eq!(send(viewer_client.post(app.url(path)).json(&target)).await.0, 403, "viewer POST {path}");
        assert_eq!(send(reporter_client.post(app.url(path)).json(&target)).await.0, 403, "reporter POST {path}");
        assert_eq!(send(app.http.post(app.url(path)).json(&target)).await.0, 200, "admin POST {path}");
    }
    let review = json!({"decision": "reject", "reason": "không hợp lý"});
    for path in ["/api/v1/rejected/reprocess", "/api/v1/rejected/1/review"] {
        assert_eq!(send(anonymous.post(app.url(path)).json(&review)).await.0, 401, "anonymous POST {path}");
        assert_eq!(send(viewer_client.post(app.url(path)).json(&review)).await.0, 403, "viewer POST {path}");
        assert_eq!(send(reporter_client.post(app.url(path)).json(&review)).await.0, 403, "reporter POST {path}");
    }
    assert_eq!(send(app.http.post(app.url("/api/v1/rejected/reprocess"))).await.0, 200, "admin reprocesses");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_cannot_touch_another_departments_meters() {
    let app = spawn_app().await;
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (lan_client, _) = app.token_client(&lan, Role::Reporter, None).await;

    // Phòng B's meter, and the building's main meter: refused, nothing stored.
    for meter in ["dien-b-wh", "dien-tong"] {
        let (status, answer) =
            send(lan_client.post(app.url("/api/v1/readings")).json(&json!([reading(meter, 5.0, 1)]))).await;
        assert_eq!(status, 403, "{meter}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(meter), "the answer names the meter: {answer}");
        assert_eq!(readings_of(&app, meter).await, 0, "{meter} got nothing");
    }
    // One foreign row spoils the batch: her own row is not stored either.
    let mixed = json!([reading("dien-a", 10.0, 1), reading("dien-b-wh", 5.0, 1)]);
    assert_eq!(send(lan_client.post(app.url("/api/v1/readings")).json(&mixed)).await.0, 403);
    assert_eq!(readings_of(&app, "dien-a").await, 0);
    // Her own department's meter is hers to write.
    let own = json!([reading("dien-a", 10.0, 1), reading("nuoc-a-lit", 2500.0, 1)]);
    let (status, answer) = send(lan_client.post(app.url("/api/v1/readings")).json(&own)).await;
    assert_eq!((status, answer["stored"].as_u64()), (200, Some(2)), "{answer}");

    // A correction of Phòng B's reading, written by the admin, is refused and changes nothing.
    send(app.http.post(app.url("/api/v1/readings")).json(&json!([reading("dien-b-wh", 5000.0, 1)]))).await;
    let change = json!({"meter": "dien-b-wh", "ts": "2026-11-02T01:00:00+07:00", "value": 1.0, "reason": "sửa thử số phòng khác"});
    assert_eq!(send(lan_client.post(app.url("/api/v1/corrections")).json(&change)).await.0, 403);
    let (_, readings) = app.get("/api/v1/readings?meter=dien-b-wh").await;
    assert_eq!(readings["readings"][0]["value"], 5.0, "the reading is unchanged");

    // In the browser: the form lists only her meters, and a meter id changed by hand is refused.
    let session = app.sign_in("lan", PASSWORD).await.unwrap();
    let (_, page) = session.get("/entry").await;
    assert!(
        page.contains("value=\"dien-a\"")
            && !page.contains("value=\"dien-b-wh\"")
            && !page.contains("value=\"dien-tong\"")
    );
    let csrf = session.csrf("/entry").await;
    let form =
        [("csrf", csrf.as_str()), ("meter", "dien-b-wh"), ("date", "02/11/2026"), ("time", "03:00"), ("value", "9")];
    assert_eq!(session.post_form("/entry/reading", &form).await.0, 403);
    assert_eq!(readings_of(&app, "dien-b-wh").await, 1, "still only the admin's reading");

    // Documents issued: her department's counts, not another's.
    let counts = |department: &str| json!({"department": department, "month": "2026-10", "electronic": 40, "paper": 2});
    assert_eq!(send(lan_client.post(app.url("/api/v1/documents")).json(&counts("phong-b"))).await.0, 403);
    let (_, shares) = app.get("/api/v1/documents?period=2026-10").await;
    assert!(shares["departments"][1]["share_percent"].is_null(), "nothing stored for Phòng B: {shares}");
    assert_eq!(send(lan_client.post(app.url("/api/v1/documents")).json(&counts("phong-a"))).await.0, 200);

    // A token limited to one meter cannot write another of the same department.
    let (gateway, _) = app.token_client(&lan, Role::Reporter, Some(&["dien-a"])).await;
    assert_eq!(
        send(gateway.post(app.url("/api/v1/readings")).json(&json!([reading("nuoc-a-lit", 2600.0, 2)]))).await.0,
        403
    );
    assert_eq!(send(gateway.post(app.url("/api/v1/readings")).json(&json!([reading("dien-a", 11.0, 2)]))).await.0, 200);
    // And a token never has more rights than its owner.
    assert!(app.auth.create_token(&lan, "too-much", Role::Admin, None).await.is_err());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_need_the_sessions_csrf_token() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = session.csrf("/entry").await;
    let fields = |csrf: Option<&'static str>| {
        let mut form = vec![("meter", "dien-a"), ("date", "02/11/2026"), ("time", "08:00"), ("value", "100")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        form
    };
    let (status, body) = session.post_form("/entry/reading", &fields(None)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("tải lại trang"), "the refusal says what to do: {body}");
    let wrong = "0".repeat(64);
    let mut form = fields(None);
    form.push(("csrf", &wrong));
    assert_eq!(session.post_form("/entry/reading", &form).await.0, 403);
    assert_eq!(readings_of(&app, "dien-a").await, 0, "a refused form stores nothing");

    let mut form = fields(None);
    form.push(("csrf", &csrf));
    assert_eq!(session.post_form("/entry/reading", &form).await.0, 303);
    assert_eq!(readings_of(&app, "dien-a").await, 1);

    // Another session's token is not this one's.
    let other = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let other_csrf = other.csrf("/entry").await;
    assert_ne!(other_csrf, csrf);
    let mut form = fields(None);
    form.push(("csrf", &other_csrf));
    assert_eq!(session.post_form("/entry/reading", &form).await.0, 403);

    // The login form itself needs its own token (its cookie and its field must match).
    let login = no_redirects()
        .post(app.url("/login"))
        .form(&[("username", ADMIN), ("password", PASSWORD), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 403);
    assert!(set_cookie(&login, "xanh_session").is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_end_at_sign_out() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    assert_eq!(session.get("/entry").await.0, 200);
    let cookie_header = {
        let response = no_redirects().get(app.url("/login")).send().await.unwrap();
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert!(cookie_header.iter().all(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict")), "{cookie_header:?}");

    // Time passes: the session's expiry (8 hours by default) is moved into the past in the
    // database file, as the clock would.
    let db = rusqlite::Connection::open(app.dir.path().join("xanh.db")).unwrap();
    db.execute("UPDATE sessions SET expires_at = 0", []).unwrap();
    let (status, _) = session.get("/entry").await;
    assert_eq!(status, 303, "an expired session is sent to the login page");
    let (status, _) = send(no_redirects().get(app.url("/api/v1/meters")).header("cookie", &session.cookie)).await;
    assert_eq!(status, 401);

    // Signing out ends the session at once.
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = session.csrf("/entry").await;
    assert_eq!(session.post_form("/logout", &[("csrf", &csrf)]).await.0, 303);
    assert_eq!(session.get("/entry").await.0, 303);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_and_disabled_users_are_refused() {
    let app = spawn_app().await;
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (gateway, token_id) = app.token_client(&lan, Role::Reporter, None).await;
    assert_eq!(send(gateway.get(app.url("/api/v1/me"))).await.1["username"], "lan");

    // The admin revokes it on the users page.
    let admin = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = admin.csrf("/admin/users").await;
    let (status, location) = admin.post_form(&format!("/admin/tokens/{token_id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303, "{location}");
    let (status, _) = send(gateway.post(app.url("/api/v1/readings")).json(&json!([reading("dien-a", 1.0, 1)]))).await;
    assert_eq!(status, 401);
    assert_eq!(readings_of(&app, "dien-a").await, 0);
    assert_eq!(send(bearer_client("not-a-token").get(app.url("/api/v1/meters"))).await.0, 401);

    // A disabled user can neither sign in nor use a token made before.
    let (script, _) = app.token_client(&lan, Role::Reporter, None).await;
    let (status, _) = admin.post_form("/admin/users/lan", &[("csrf", &csrf), ("action", "disable")]).await;
    assert_eq!(status, 303);
    assert!(app.sign_in("lan", PASSWORD).await.is_err());
    assert_eq!(send(script.get(app.url("/api/v1/meters"))).await.0, 401);
    // Enabled again, with a new password set by the admin.
    admin.post_form("/admin/users/lan", &[("csrf", &csrf), ("action", "enable")]).await;
    admin
        .post_form("/admin/users/lan", &[("csrf", &csrf), ("action", "reset"), ("password", "một mật khẩu mới dài")])
        .await;
    assert!(app.sign_in("lan", PASSWORD).await.is_err(), "the old password no longer works");
    assert!(app.sign_in("lan", "một mật khẩu mới dài").await.is_ok());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_refused_for_a_while_with_a_clear_message() {
    let app = spawn_app().await;
    app.add_user("lan", Role::Viewer, &[]).await;
    for attempt in 0..5 {
        let (status, location) = app.sign_in("lan", "sai mật khẩu rồi").await.err().unwrap();
        assert_eq!(status, 303, "attempt {attempt}");
        assert!(location.contains("error="), "{location}");
    }
    // Now even the right password is refused, with a message saying when to try again.
    let (_, location) = app.sign_in("lan", PASSWORD).await.err().unwrap();
    let page = app.anonymous.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("quá nhiều lần") && page.contains("15 phút"), "{page}");
    // Another user is not locked out by Lan's failures.
    assert!(app.sign_in(ADMIN, PASSWORD).await.is_ok());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_comes_from_a_one_time_setup_link() {
    // An app with no user at all: nothing is open but the setup link.
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"));
    let config = xanh::config::Config::parse("test.toml", &text, &|_| None).unwrap();
    let app = xanh::app::Application::build(config).await.unwrap();
    let (web, shutdown, auth) = (app.web_addr(), app.shutdown_handle(), app.auth());
    let task = tokio::spawn(app.run());
    let url = |path: &str| format!("http://{web}{path}");
    let http = no_redirects();
    assert_eq!(http.get(url("/setup?token=guess")).send().await.unwrap().status().as_u16(), 404);

    let secret = auth.setup_secret().await.unwrap().expect("no user yet, so there is a setup link");
    let page = http.get(url(&format!("/setup?token={secret}"))).send().await.unwrap();
    let form_cookie = set_cookie(&page, "xanh_form").unwrap();
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let create = |username: &'static str| {
        http.post(url("/setup"))
            .header("cookie", format!("xanh_form={form_cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("token", secret.as_str()),
                ("username", username),
                ("display_name", "Trưởng phòng HC-QT"),
                ("password", PASSWORD),
            ])
            .send()
    };
    assert_eq!(create("truong.phong").await.unwrap().status().as_u16(), 303);
    let users = auth.users().await.unwrap();
    assert_eq!((users.len(), users[0].role), (1, Role::Admin));
    // The link worked once.
    assert_eq!(create("ke.gian").await.unwrap().status().as_u16(), 404);
    assert_eq!(auth.users().await.unwrap().len(), 1);
    assert!(auth.setup_secret().await.unwrap().is_none(), "with a user, there is no setup link");
    shutdown.trigger();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_records_who_did_what_from_where() {
    let app = spawn_app().await;
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (lan_client, _) = app.token_client(&lan, Role::Reporter, None).await;
    send(
        lan_client
            .post(app.url("/api/v1/readings"))
            .json(&json!([reading("dien-a", 100.0, 0), reading("dien-a", 104.0, 1)])),
    )
    .await;
    let correction =
        json!({"meter": "dien-a", "ts": "2026-11-02T01:00:00+07:00", "value": 103.0, "reason": "đọc lại công tơ"});
    assert_eq!(send(lan_client.post(app.url("/api/v1/corrections")).json(&correction)).await.0, 200);
    let admin = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let csrf = admin.csrf("/admin/users").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("username", "minh"),
        ("display_name", "Trần Văn Minh"),
        ("role", "viewer"),
        ("password", PASSWORD),
    ];
    assert_eq!(admin.post_form("/admin/users", &form).await.0, 303);

    let (status, log) = app.get("/api/v1/audit").await;
    assert_eq!(status, 200);
    let items = log["items"].as_array().unwrap();
    let find = |action: &str| {
        items.iter().find(|i| i["action"] == action).unwrap_or_else(|| panic!("{action} is not in {log}"))
    };
    let submitted = find("readings.submit");
    assert_eq!(submitted["actor"], "lan/script");
    assert_eq!(submitted["address"], "127.0.0.1");
    assert_eq!(submitted["after"]["stored"], 2);
    let corrected = find("reading.correct");
    assert_eq!(
        (corrected["before"]["value"].as_f64(), corrected["after"]["value"].as_f64()),
        (Some(104.0), Some(103.0))
    );
    assert_eq!(corrected["target"], "dien-a 2026-11-02T01:00:00+07:00");
    let added = find("user.add");
    assert_eq!((added["actor"].as_str(), added["after"]["username"].as_str()), (Some(ADMIN), Some("minh")));

    // The CSV export opens in Excel with Vietnamese names intact.
    let csv = app.http.get(app.url("/api/v1/export/audit.csv")).send().await.unwrap().bytes().await.unwrap();
    assert!(csv.starts_with("\u{feff}id,at,actor".as_bytes()));
    let text = String::from_utf8(csv.to_vec()).unwrap();
    assert!(text.contains("Trần Văn Minh") && text.contains("reading.correct"), "{text}");
    // And the page shows it to admins.
    let (_, page) = admin.get("/admin/audit").await;
    assert!(page.contains("Nhật ký thao tác") && page.contains("reading.correct"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_strict_security_headers_and_big_bodies_are_refused() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    for path in ["/", "/entry", "/api/v1/meters", "/login", "/nothing-here"] {
        let response = session.http.get(app.url(path)).header("cookie", &session.cookie).send().await.unwrap();
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("<script"), "{path} has no script at all");
    }
    // A body larger than 8 MiB is refused before it is read: the answer comes while the
    // client has sent only the headers. (Sending the body too races the server's early
    // answer and close against the client's write, which fails with a broken pipe.)
    let (token, _) = app.auth.create_token(&app.admin, "big body", Role::Admin, None).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(app.web).await.unwrap();
    let head = format!(
        "POST /api/v1/readings HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        app.web,
        9 * 1024 * 1024
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::io::AsyncReadExt::read(&mut stream, &mut answer),
    )
    .await
    .expect("the server answers before the body is sent")
    .unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_owned();
    assert_eq!(status_line, "HTTP/1.1 413 Payload Too Large");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_command_line_manages_users() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xanh.toml");
    std::fs::write(&config, common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"))).unwrap();
    let xanh = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(common::binary())
            .args(args)
            .arg("--config")
            .arg(&config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{input}").unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, out) = xanh(
        &["user", "add", "lan", "--name", "Nguyễn Thị Lan", "--role", "reporter", "--department", "phong-a"],
        "ngắn",
    );
    assert!(!ok && out.contains("at least 10 characters"), "{out}");
    let (ok, out) = xanh(
        &["user", "add", "lan", "--name", "Nguyễn Thị Lan", "--role", "reporter", "--department", "phong-z"],
        PASSWORD,
    );
    assert!(!ok && out.contains("phong-z"), "{out}");
    let (ok, out) = xanh(
        &["user", "add", "lan", "--name", "Nguyễn Thị Lan", "--role", "reporter", "--department", "phong-a"],
        PASSWORD,
    );
    assert!(ok, "{out}");
    let (ok, out) = xanh(&["user", "add", "lan", "--name", "Lan khác", "--role", "viewer"], PASSWORD);
    assert!(!ok && out.contains("already a user `lan`"), "{out}");
    let (_, out) = xanh(&["user", "list"], "");
    assert!(out.contains("lan\treporter\tactive\tphong-a\tNguyễn Thị Lan"), "{out}");
    let (ok, _) = xanh(&["user", "disable", "lan"], "");
    assert!(ok);
    let (_, out) = xanh(&["user", "list"], "");
    assert!(out.contains("lan\treporter\tdisabled"), "{out}");

    // The service started on that data directory knows her, and refuses her while disabled.
    let app = common::spawn_app_from(&std::fs::read_to_string(&config).unwrap(), dir).await;
    assert!(app.sign_in("lan", PASSWORD).await.is_err());
    let (_, log) = app.get("/api/v1/audit").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["action"] == "user.disable" && i["actor"] == "(command line)"),
        "{log}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_overview_opens_only_the_overview() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("xanh.db"))
        .replace("[web]\n", "[web]\npublic_overview = true\n");
    let app = common::spawn_app_from(&text, dir).await;
    let anonymous = no_redirects();
    let overview = anonymous.get(app.url("/")).send().await.unwrap();
    assert_eq!(overview.status().as_u16(), 200);
    let html = overview.text().await.unwrap();
    assert!(html.contains("Đăng nhập") && !html.contains("Đăng xuất"), "a visitor is offered the login");
    let png = anonymous.get(app.url("/charts/overview/0.png")).send().await.unwrap();
    assert_ne!(png.status().as_u16(), 303, "the overview's charts are public with it");
    for path in ["/resource", "/waste", "/entry", "/charts/waste/0.png"] {
        assert_eq!(
            anonymous.get(app.url(path)).send().await.unwrap().status().as_u16(),
            303,
            "{path} still needs a sign-in"
        );
    }
    assert_eq!(send(anonymous.get(app.url("/api/v1/meters"))).await.0, 401);
    app.stop().await;
}
