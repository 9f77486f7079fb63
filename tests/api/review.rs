//! Data that must be trusted: a restarting device is not a reset, unlikely jumps wait for a
//! person, and that person's decision is kept.

use serde_json::{Value, json};

use crate::common::{TestApp, approx, config_text, embedded_mqtt, publish, reading, spawn_app_from};

const CAPPED_METER: &str = "\n[[meters]]\nid = \"dien-gioi-han\"\nname = \"Công tơ có giới hạn\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\nmax_rate = 20\n";

async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&embedded_mqtt(), &dir.path().join("xanh.db")) + CAPPED_METER;
    spawn_app_from(&text, dir).await
}

fn day(meter: &str) -> String {
    format!("resource=electricity&meter={meter}&from=2026-11-02&to=2026-11-03&step=day")
}

async fn review(app: &TestApp, id: &Value, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url(&format!("/api/v1/rejected/{id}/review"))).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_restarts_at_zero_is_not_counted_twice() {
    let app = app().await;
    let topic = "xanh/dien-a/reading";
    // 5 000 → 0 (the plug restarted) → 5 002: 2 kWh, not 5 002.
    publish(
        &app.mqtt,
        &[(topic, reading(5000.0, "00:00")), (topic, reading(0.0, "01:00")), (topic, reading(5002.0, "02:00"))],
    )
    .await;
    app.wait_processed(3).await;
    approx(&app.consumption(&day("dien-a")).await["total"], 2.0);
    // The moment at zero is still stored, for the record.
    assert_eq!(app.meter("dien-a").await["readings"], 3);

    // A real reset goes on from near zero: 5 000 → 0 → 1 → 3 is 3 kWh.
    let topic = "xanh/dien-thang/reading";
    let sent = [
        (topic, reading(5000.0, "00:00")),
        (topic, reading(0.0, "01:00")),
        (topic, reading(1.0, "02:00")),
        (topic, reading(3.0, "03:00")),
    ];
    publish(&app.mqtt, &sent).await;
    app.wait_processed(7).await;
    approx(&app.consumption(&day("dien-thang")).await["total"], 3.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_slip_is_held_until_a_reviewer_rejects_it() {
    let app = app().await;
    let topic = "xanh/dien-a/reading";
    let sent = [
        (topic, reading(1234.0, "08:00")),
        (topic, reading(1240.0, "09:00")),
        (topic, reading(12_400.0, "10:00")), // a digit too many: ×10
        (topic, reading(1246.0, "11:00")),
        (topic, reading(124.6, "12:00")), // a digit lost: not a reset
    ];
    publish(&app.mqtt, &sent).await;
    app.wait_processed(5).await;
    // Only the plausible steps count: 6 + 6.
    approx(&app.consumption(&day("dien-a")).await["total"], 12.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held: Vec<&Value> =
        rejected["items"].as_array().unwrap().iter().filter(|i| i["reason"] == "held_for_review").collect();
    assert_eq!(held.len(), 2, "{rejected}");
    assert!(held.iter().any(|i| i["detail"].as_str().unwrap().contains("gấp 10 lần")), "{rejected}");
    assert!(held.iter().any(|i| i["detail"].as_str().unwrap().contains("thiếu một chữ số")), "{rejected}");
    let page = app.http.get(app.url("/rejected")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Tăng giảm bất thường, chờ xem xét") && page.contains("Chấp nhận"),
        "the page offers the review"
    );

    let slip = held.iter().find(|i| i["detail"].as_str().unwrap().contains("gấp 10 lần")).unwrap();
    let (status, answer) =
        review(&app, &slip["id"], json!({"decision": "reject", "reason": "nhân viên gõ thừa số 0"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], 0);
    approx(&app.consumption(&day("dien-a")).await["total"], 12.0);
    // Decided once: a second decision on it is refused.
    let (status, _) = review(&app, &slip["id"], json!({"decision": "accept", "reason": "thử lại lần nữa"})).await;
    assert_eq!(status, 404);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 1, "the rejected slip leaves the list of items waiting: {rejected}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_above_the_meter_maximum_counts_once_a_reviewer_accepts_it() {
    let app = app().await;
    let topic = "xanh/dien-gioi-han/reading";
    // A restart to zero and back is a glitch, not a jump of 100 kWh in an hour.
    publish(
        &app.mqtt,
        &[(topic, reading(100.0, "04:00")), (topic, reading(0.0, "05:00")), (topic, reading(101.0, "06:00"))],
    )
    .await;
    app.wait_processed(3).await;
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 1.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0, "{rejected}");
    // max_rate is 20 kWh an hour; 101 → 190 in one hour is 89.
    publish(&app.mqtt, &[(topic, reading(101.0, "08:00")), (topic, reading(190.0, "09:00"))]).await;
    app.wait_processed(5).await;
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 1.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    let held = &rejected["items"][0];
    assert_eq!(held["reason"], "held_for_review");
    assert!(held["detail"].as_str().unwrap().contains("max_rate"), "{held}");

    let (status, answer) = review(&app, &held["id"], json!({"decision": "maybe", "reason": "không rõ lắm"})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = review(&app, &held["id"], json!({"decision": "accept", "reason": ""})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = review(
        &app,
        &held["id"],
        json!({"decision": "accept", "reason": "hội nghị cả ngày, điều hoà chạy hết công suất"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], 1);
    approx(&app.consumption(&day("dien-gioi-han")).await["total"], 90.0); // 1 + 89
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glitches_are_found_however_the_readings_arrive() {
    let app = app().await;
    // Three zeros from a restarting plug, each in its own message, then the old total again.
    let topic = "xanh/dien-a/reading";
    let sent = [(5000.0, "10:00"), (0.0, "10:15"), (0.0, "10:30"), (0.0, "10:45"), (5003.0, "11:00")];
    for (i, (value, time)) in sent.iter().enumerate() {
        publish(&app.mqtt, &[(topic, reading(*value, time))]).await;
        app.wait_processed(i as u64 + 1).await;
    }
    approx(&app.consumption(&day("dien-a")).await["total"], 3.0);

    // A late reading that turns an earlier drop into a glitch moves the hours before it too:
    // 5 000 @10, 0 @11, 5 002 @13 spreads 2 kWh over three hours; 5 001 @12 arriving late
    // makes it 0,5 + 0,5 in hours 10 and 11 and 1 in hour 12.
    let topic = "xanh/dien-thang/reading";
    publish(
        &app.mqtt,
        &[(topic, reading(5000.0, "10:00")), (topic, reading(0.0, "11:00")), (topic, reading(5002.0, "13:00"))],
    )
    .await;
    app.wait_processed(8).await;
    publish(&app.mqtt, &[(topic, reading(5001.0, "12:00"))]).await;
    app.wait_processed(9).await;
    let hours = app
        .consumption("resource=electricity&meter=dien-thang&from=2026-11-02T10:00:00%2B07:00&to=2026-11-02T13:00:00%2B07:00&step=hour")
        .await;
    let values: Vec<f64> = hours["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    assert!(values.iter().zip([0.5, 0.5, 1.0]).all(|(a, b)| (a - b).abs() < 1e-9), "{values:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_without_a_time_all_count_and_absurd_values_are_refused() {
    let app = app().await;
    // Two reams issued, sent as bare numbers at once: the same arrival time, both count.
    publish(&app.mqtt, &[("xanh/giay-a/reading", "1".to_owned()), ("xanh/giay-a/reading", "1".to_owned())]).await;
    app.wait_processed(2).await;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date();
    let tomorrow = today.tomorrow().unwrap();
    let paper = app.consumption(&format!("resource=paper&from={today}&to={tomorrow}&step=day")).await;
    approx(&paper["total"], 1000.0);

    // A value no meter can read is refused, and the dashboard still draws.
    publish(&app.mqtt, &[("xanh/dien-a/reading", reading(1e308, "08:00"))]).await;
    app.wait_processed(3).await;
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"][0]["reason"], "non_finite", "{rejected}");
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    app.stop().await;
}

async fn submit(app: &TestApp, rows: Value) {
    let response = app.http.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert!(response.status().is_success() || response.status().as_u16() == 422, "{}", response.text().await.unwrap());
}

async fn reprocess(app: &TestApp) -> Value {
    let sent = app.http.post(app.url("/api/v1/rejected/reprocess")).send();
    let response = tokio::time::timeout(std::time::Duration::from_secs(20), sent)
        .await
        .expect("reprocess finishes: it handles the items there were when it started, once")
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_never_loops_on_a_conflicting_duplicate_which_a_person_dismisses() {
    let app = app().await;
    // 100 kWh at 08:00 is stored; 105 at the same time conflicts with it.
    submit(&app, json!([{"meter": "dien-a", "value": 100, "ts": "02/11/2026 08:00"}])).await;
    submit(&app, json!([{"meter": "dien-a", "value": 105, "ts": "02/11/2026 08:00"}])).await;
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 1, "{rejected}");
    let duplicate = rejected["items"][0].clone();
    assert_eq!(duplicate["reason"], "conflicting_duplicate");
    let detail = duplicate["detail"].as_str().unwrap();
    assert!(detail.contains("đã có giá trị 100 lúc 2026-11-02T08:00:00+07:00") && detail.contains("(105)"), "{detail}");

    // "Xử lý lại" twice: nothing to do, and the list does not grow.
    for _ in 0..2 {
        let summary = reprocess(&app).await;
        assert_eq!((summary["reprocessed"].as_u64(), summary["still_rejected"].as_u64()), (Some(0), Some(1)));
    }
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!((rejected["total"].as_u64(), &rejected["items"][0]["id"]), (Some(1), &duplicate["id"]), "{rejected}");

    // It cannot be accepted (the stored reading is corrected instead); it can be dismissed.
    let (status, answer) =
        review(&app, &duplicate["id"], json!({"decision": "accept", "reason": "giá trị mới đúng hơn"})).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("đính chính"), "the reason is given in Vietnamese: {answer}");
    let (status, answer) =
        review(&app, &duplicate["id"], json!({"decision": "reject", "reason": "gửi trùng, giá trị đúng đã lưu"})).await;
    assert_eq!(status, 200, "{answer}");
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0, "{rejected}");
    let (_, readings) = app.get("/api/v1/readings?meter=dien-a").await;
    assert_eq!(readings["readings"][0]["value"], 100.0, "{readings}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_readings_are_decided_in_bulk_by_meter_reason_and_period_with_one_audited_reason() {
    let app = app().await;
    submit(
        &app,
        json!([
            {"meter": "dien-a", "value": 1000, "ts": "02/11/2026 08:00"},
            {"meter": "dien-a", "value": 100, "ts": "02/11/2026 09:00"},     // a digit lost: held
            {"meter": "dien-a", "value": 10020, "ts": "02/11/2026 10:00"},   // ×10: held
            {"meter": "dien-a", "value": 1004, "ts": "02/11/2026 11:00"},
            {"meter": "dien-a", "value": 100.4, "ts": "03/11/2026 09:00"},   // held, the next day
            {"meter": "dien-thang", "value": 5000, "ts": "01/11/2026 08:00"},
            {"meter": "dien-thang", "value": 500, "ts": "02/11/2026 08:00"}, // held: a new meter
        ]),
    )
    .await;
    // A conflicting duplicate on dien-a too.
    submit(&app, json!([{"meter": "dien-a", "value": 1001, "ts": "02/11/2026 08:00"}])).await;
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 5, "{rejected}");

    let bulk = |body: Value| {
        let app = &app;
        async move {
            let response = app.http.post(app.url("/api/v1/rejected/review")).json(&body).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    // A filter that names no meter of the office, or half a period, is refused in Vietnamese.
    let (status, answer) =
        bulk(json!({"decision": "reject", "reason": "nhập sai", "filter": {"meter": "khong-co"}})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = bulk(json!({"decision": "reject", "reason": "nhập sai", "filter": {"from": "2026-11-02"}})).await;
    assert_eq!(status, 400);

    // Reject dien-a's held readings of 02/11: the lost digit and the ×10, not the one of
    // 03/11, nor the duplicate, nor dien-thang's.
    let filter = json!({"meter": "dien-a", "reason": "held_for_review", "from": "2026-11-02", "to": "2026-11-03"});
    let (status, answer) =
        bulk(json!({"decision": "reject", "reason": "nhân viên gõ nhầm khi nhập", "filter": filter})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"decided": 2, "stored": 0, "left": 0}));
    // 1000 → 1004 on 02/11: 4 kWh.
    approx(&app.consumption(&day("dien-a")).await["total"], 4.0);

    // Accept everything of dien-thang: the new meter really reads 500 (counted from zero).
    let (status, answer) = bulk(
        json!({"decision": "accept", "reason": "đã thay công tơ mới ngày 02/11", "filter": {"meter": "dien-thang"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"decided": 1, "stored": 1, "left": 0}));
    let two_days = "resource=electricity&meter=dien-thang&from=2026-11-01&to=2026-11-03&step=day";
    approx(&app.consumption(two_days).await["total"], 500.0);

    // Accepting what is left of dien-a leaves the duplicate (it cannot be accepted).
    let (_, answer) =
        bulk(json!({"decision": "accept", "reason": "đã kiểm tra tại chỗ", "filter": {"meter": "dien-a"}})).await;
    assert_eq!(answer, json!({"decided": 1, "stored": 1, "left": 1}));
    // 1004 → 100,4 accepted: the register was reset, 100,4 used since.
    let next_day = "resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-04&step=day";
    approx(&app.consumption(next_day).await["total"], 104.4);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 1);
    assert_eq!(rejected["items"][0]["reason"], "conflicting_duplicate");

    // One audit line a batch, with the reason, the filter and the items decided.
    let (_, log) = app.get("/api/v1/audit").await;
    let batches: Vec<&Value> =
        log["items"].as_array().unwrap().iter().filter(|i| i["action"] == "rejected.review_bulk").collect();
    assert_eq!(batches.len(), 3, "{log}");
    let first = batches.iter().find(|b| b["after"]["reason"] == "nhân viên gõ nhầm khi nhập").unwrap();
    assert_eq!(first["after"]["ids"].as_array().unwrap().len(), 2);
    assert_eq!(first["after"]["filter"]["meter"], "dien-a");
    assert_eq!(first["actor"], format!("{}/tests", crate::common::ADMIN));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_rows_are_kept_cut_and_the_rejected_list_comes_a_page_at_a_time() {
    let app = app().await;
    // Three rows of 2 MiB junk each, as a reporter's script could post them.
    let junk = "x".repeat(2 * 1024 * 1024);
    let rows: Vec<Value> =
        (0..3).map(|i| json!({"meter": "dien-a", "value": junk, "ts": format!("02/11/2026 0{i}:00")})).collect();
    submit(&app, Value::Array(rows)).await;

    let text = app.http.get(app.url("/api/v1/rejected")).send().await.unwrap().text().await.unwrap();
    assert!(text.len() < 24 * 1024, "the answer is {} bytes", text.len());
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["total"], 3);
    for item in list["items"].as_array().unwrap() {
        // The start of each row is kept, enough to find the sender; the detail is cut.
        let payload = item["payload"].as_str().unwrap();
        assert!(payload.len() <= 4096 && payload.starts_with('{'), "{} bytes kept", payload.len());
        assert!(item["detail"].as_str().unwrap().chars().count() <= 1020, "{item}");
    }

    // A page at a time.
    let (_, first) = app.get("/api/v1/rejected?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next_before"].as_i64().expect("a full page says where the next begins");
    let (_, second) = app.get(&format!("/api/v1/rejected?limit=2&before={next}")).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_before"].is_null(), "{second}");
    assert_eq!(app.get("/api/v1/rejected?limit=5000").await.0, 400);

    let page = app.http.get(app.url("/rejected")).send().await.unwrap().text().await.unwrap();
    assert!(page.len() < 64 * 1024, "the page is {} bytes", page.len());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rejected_page_dismisses_a_duplicate_and_decides_in_bulk() {
    let app = app().await;
    submit(&app, json!([{"meter": "dien-a", "value": 100, "ts": "02/11/2026 08:00"}])).await;
    submit(&app, json!([{"meter": "dien-a", "value": 105, "ts": "02/11/2026 08:00"}])).await;
    submit(&app, json!([{"meter": "dien-a", "value": 10, "ts": "02/11/2026 09:00"}, {"meter": "dien-a", "value": 11, "ts": "02/11/2026 10:00"}])).await;
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 3, "a duplicate and two held readings: {rejected}");
    let duplicate =
        rejected["items"].as_array().unwrap().iter().find(|i| i["reason"] == "conflicting_duplicate").unwrap();

    let admin = app.sign_in(crate::common::ADMIN, crate::common::PASSWORD).await.unwrap();
    let (_, page) = admin.get("/rejected").await;
    assert!(page.contains("Bỏ qua") && page.contains("Quyết định hàng loạt"), "the page offers both");
    let after = admin
        .submit(
            "/rejected",
            &format!("/rejected/{}/review?lang=vi", duplicate["id"]),
            &[("decision", "reject"), ("reason", "gửi trùng, đã có giá trị đúng")],
        )
        .await;
    assert!(after.contains("Đã ghi quyết định"), "{after}");
    let fields = [
        ("decision", "reject"),
        ("reason", "đồng hồ hỏng, đọc sai"),
        ("meter", "dien-a"),
        ("kind", "held_for_review"),
        ("from", "2026-11-02"),
        ("to", "2026-11-03"),
    ];
    let after = admin.submit("/rejected", "/rejected/review?lang=vi", &fields).await;
    assert!(after.contains("Đã quyết định 2 mục; 0 số liệu được lưu"), "{after}");
    assert_eq!(app.get("/api/v1/rejected").await.1["total"], 0);
    app.stop().await;
}
