//! Corrections keep the old value, who, when and why, and the figures recompute; the
//! manual-entry forms store readings the way the API does.

use serde_json::{Value, json};
use xanh::domain::Role;

use crate::common::{ADMIN, PASSWORD, TestApp, approx, spawn_app};

async fn post_json(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_reading_keeps_its_history_and_the_figures_follow() {
    let app = spawn_app().await;
    // 01:00 was typed as 101 instead of 110.
    let rows = json!([
        {"meter": "dien-a", "value": 100, "ts": "02/11/2026 00:00"},
        {"meter": "dien-a", "value": 101, "ts": "02/11/2026 01:00"},
        {"meter": "dien-a", "value": 125, "ts": "02/11/2026 02:00"},
    ]);
    let (status, _) = post_json(&app, "/api/v1/readings", rows).await;
    assert_eq!(status, 200);
    let day = "resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-03&step=day";
    let hours =
        "resource=electricity&meter=dien-a&from=2026-11-02T00:00:00%2B07:00&to=2026-11-02T02:00:00%2B07:00&step=hour";
    let values = |body: Value| {
        body["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(values(app.consumption(hours).await), vec![1.0, 24.0]);

    // Lan reports for Phòng A, whose meter this is; her script corrects it.
    let lan = app.add_user("lan", Role::Reporter, &["phong-a"]).await;
    let (lan_script, _) = app.token_client(&lan, Role::Reporter, None).await;
    let correction =
        json!({"meter": "dien-a", "ts": "02/11/2026 01:00", "value": 110, "reason": "nhập nhầm hai chữ số"});
    let response = lan_script.post(app.url("/api/v1/corrections")).json(&correction).send().await.unwrap();
    let (status, record): (u16, Value) = (response.status().as_u16(), response.json().await.unwrap());
    assert_eq!(status, 200, "{record}");
    assert_eq!((record["old_value"].as_f64(), record["new_value"].as_f64()), (Some(101.0), Some(110.0)));
    // After: 10 in the first hour, 15 in the second.
    assert_eq!(values(app.consumption(hours).await), vec![10.0, 15.0]);
    approx(&app.consumption(day).await["total"], 25.0);

    // Removing the last reading leaves 10 kWh and moves the meter's last reading back.
    let removal = json!({"meter": "dien-a", "ts": "2026-11-02T02:00:00+07:00", "value": null, "reason": "công tơ đọc nhầm, đọc lại sau"});
    let (status, _) = post_json(&app, "/api/v1/corrections", removal).await;
    assert_eq!(status, 200);
    approx(&app.consumption(day).await["total"], 10.0);
    let meter = app.meter("dien-a").await;
    assert_eq!(meter["readings"], 2);
    approx(&meter["last_value"], 110.0);

    let (_, list) = app.get("/api/v1/corrections?meter=dien-a").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["new_value"].is_null() && items[0]["old_value"] == 125.0, "{list}");
    assert_eq!(items[1]["by"], "lan/script", "who corrected it is who signed the request");
    assert_eq!(items[1]["reason"], "nhập nhầm hai chữ số");
    assert_eq!(items[1]["ts"], "2026-11-02T01:00:00+07:00");
    // The stored readings show the corrected value.
    let (_, readings) = app.get("/api/v1/readings?meter=dien-a").await;
    let values: Vec<f64> =
        readings["readings"].as_array().unwrap().iter().map(|r| r["value"].as_f64().unwrap()).collect();
    assert_eq!(values, vec![110.0, 100.0]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_amount_recomputes_its_period_and_bad_corrections_are_refused() {
    let app = spawn_app().await;
    let (status, _) =
        post_json(&app, "/api/v1/readings", json!({"meter": "giay-a", "value": 3, "ts": "03/11/2026 09:00"})).await;
    assert_eq!(status, 200);
    let day = "resource=paper&from=2026-11-03&to=2026-11-04&step=day";
    approx(&app.consumption(day).await["total"], 1500.0);
    // Two reams were issued, not three: 1 000 sheets.
    let (status, _) = post_json(
        &app,
        "/api/v1/corrections",
        json!({"meter": "giay-a", "ts": "03/11/2026 09:00", "value": 1000, "reason": "phiếu xuất ghi 2 ram"}),
    )
    .await;
    assert_eq!(status, 200);
    approx(&app.consumption(day).await["total"], 1000.0);

    let cases = [
        (
            json!({"meter": "giay-a", "ts": "04/11/2026 09:00", "value": 1, "reason": "không có số liệu"}),
            404,
            "GET /api/v1/readings",
        ),
        (json!({"meter": "giay-a", "ts": "03/11/2026 09:00", "value": 1, "reason": ""}), 400, "reason"),
        (
            json!({"meter": "giay-a", "ts": "03/11/2026 09:00", "value": -1, "reason": "lý do đủ dài"}),
            400,
            "zero or more",
        ),
        (
            json!({"meter": "khong-co", "ts": "03/11/2026 09:00", "value": 1, "reason": "lý do đủ dài"}),
            404,
            "/api/v1/meters",
        ),
        (json!({"meter": "giay-a", "value": 1}), 400, "reason"),
    ];
    for (body, status, hint) in cases {
        let (got, answer) = post_json(&app, "/api/v1/corrections", body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(hint), "{body}: {answer}");
    }
    approx(&app.consumption(day).await["total"], 1000.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_forms_store_readings_periods_and_corrections() {
    let app = spawn_app().await;
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (_, page) = session.get("/entry").await;
    assert!(page.contains("Nhập chỉ số công tơ") && page.contains("Hiệu chỉnh số liệu"), "the page is Vietnamese");
    let csrf = session.csrf("/entry").await;

    let submit = async |path: &str, form: &[(&str, &str)]| -> String {
        let mut form = form.to_vec();
        form.push(("csrf", &csrf));
        let (status, location) = session.post_form(path, &form).await;
        assert_eq!(status, 303, "{location}");
        let query: Vec<(String, String)> = serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
        query.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    };
    // A water meter read by hand, Vietnamese style.
    let result = submit(
        "/entry/reading",
        &[("meter", "nuoc-tong"), ("date", "02/11/2026"), ("time", "08:00"), ("value", "1.234,5")],
    )
    .await;
    assert!(result.contains("ok=Đã lưu"), "{result}");
    let result = submit(
        "/entry/reading",
        &[("meter", "nuoc-tong"), ("date", "02/11/2026"), ("time", "18:00"), ("value", "1.240")],
    )
    .await;
    assert!(result.contains("ok="), "{result}");
    approx(
        &app.consumption("resource=water&meter=nuoc-tong&from=2026-11-02&to=2026-11-03&step=day").await["total"],
        5.5,
    );
    let (_, readings) = app.get("/api/v1/readings?meter=nuoc-tong").await;
    assert_eq!(readings["readings"][0]["entered_by"], ADMIN, "the signed-in person entered it");
    assert_eq!(readings["readings"][0]["source"], "manual");

    // 4 reams issued for 01/11 to 02/11, both days included: 1 000 sheets a day.
    let result = submit(
        "/entry/reading",
        &[("meter", "giay-a"), ("from", "01/11/2026"), ("date", "02/11/2026"), ("value", "4")],
    )
    .await;
    assert!(result.contains("ok="), "{result}");
    let days = app.consumption("resource=paper&from=2026-11-01&to=2026-11-03&step=day").await;
    approx(&days["series"][0]["value"], 1000.0);
    approx(&days["series"][1]["value"], 1000.0);

    // A reading that cannot be stored comes back with the reason in Vietnamese.
    let result =
        submit("/entry/reading", &[("meter", "nuoc-tong"), ("date", "02/11/2026"), ("time", "19:00"), ("value", "-3")])
            .await;
    assert!(result.contains("error=Giá trị âm"), "{result}");

    let result = submit(
        "/entry/correct",
        &[("meter", "nuoc-tong"), ("ts", "02/11/2026 18:00"), ("value", "1.236,5"), ("reason", "đọc lại đồng hồ")],
    )
    .await;
    assert!(result.contains("ok=Đã hiệu chỉnh"), "{result}");
    approx(
        &app.consumption("resource=water&meter=nuoc-tong&from=2026-11-02&to=2026-11-03&step=day").await["total"],
        2.0,
    );
    let (_, page) = session.get("/entry").await;
    assert!(
        page.contains("đọc lại đồng hồ") && page.contains("1.240,000") && page.contains("1.236,500"),
        "the correction is listed"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_kept_to_the_millisecond_is_corrected_by_picking_it_from_the_list() {
    let app = spawn_app().await;
    // A device stamps its readings to the millisecond; pages show them to the minute.
    let rows = json!([
        {"meter": "dien-a", "value": 100, "ts": "2026-11-02T08:00:00.437+07:00"},
        {"meter": "dien-a", "value": 150, "ts": "2026-11-02T09:00:00.912+07:00"},
    ]);
    assert_eq!(post_json(&app, "/api/v1/readings", rows).await.0, 200);
    // At the time shown there is no reading: the error says so in Vietnamese and where to look.
    let at_shown_time = json!({"meter": "dien-a", "ts": "02/11/2026 09:00", "value": 110, "reason": "đọc nhầm chữ số"});
    let (status, answer) = post_json(&app, "/api/v1/corrections", at_shown_time).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("không có số liệu lúc"), "{answer}");
    // The API lists the exact time.
    let (_, readings) = app.get("/api/v1/readings?meter=dien-a").await;
    assert_eq!(readings["readings"][0]["ts"], "2026-11-02T09:00:00.912+07:00");

    // The entry page lists the meter's readings, each with its own correction form.
    let admin = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (_, page) = admin.get("/entry?meter=dien-a").await;
    assert!(page.contains(r#"value="2026-11-02T09:00:00.912+07:00""#), "the form carries the exact time");
    let fields =
        [("meter", "dien-a"), ("ts", "2026-11-02T09:00:00.912+07:00"), ("value", "110"), ("reason", "đọc nhầm chữ số")];
    let after = admin.submit("/entry?meter=dien-a", "/entry/correct?lang=vi", &fields).await;
    assert!(after.contains("Đã hiệu chỉnh số liệu của dien-a"), "{after}");
    approx(
        &app.consumption("resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-03&step=day").await["total"],
        10.0,
    );
    app.stop().await;
}
