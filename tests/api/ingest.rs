//! Readings published to the embedded broker, checked through the API against figures worked
//! out by hand.

use crate::common::{approx, local, publish, reading, spawn_app};

fn hourly(meter: &str, from: &str, to: &str) -> String {
    format!("resource=electricity&meter={meter}&step=hour&from={}%2B07:00&to={}%2B07:00", local(from), local(to))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_deltas_reset_duplicate_and_out_of_order_readings() {
    let app = spawn_app().await;
    let topic = "xanh/dien-a/reading";
    // Sent in this order: 01:30 arrives late, 02:00 twice, then the meter is replaced at 03:00.
    let sent = [
        reading(100.0, "00:00"),
        reading(110.0, "01:00"),
        reading(125.0, "02:00"),
        reading(120.0, "01:30"),
        reading(125.0, "02:00"),
        reading(2.0, "03:00"),
        reading(5.0, "04:00"),
    ];
    publish(&app.mqtt, &sent.iter().map(|p| (topic, p.clone())).collect::<Vec<_>>()).await;
    app.wait_processed(7).await;

    let body = app.consumption(&hourly("dien-a", "00:00", "05:00")).await;
    let hours: Vec<f64> = body["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    // 00–01: 110 − 100 = 10.
    // 01–02: 110 → 120 (01:00–01:30) = 10, plus 120 → 125 (01:30–02:00) = 5: 15.
    // 02–03: 125 → 2 is a drop, so a reset counted from zero: 2.
    // 03–04: 5 − 2 = 3. 04–05: nothing after 04:00 yet.
    assert_eq!(hours, vec![10.0, 15.0, 2.0, 3.0, 0.0]);
    approx(&body["total"], 30.0);
    assert_eq!(body["unit"], "kWh");
    assert_eq!(body["series"][0]["start"], "2026-11-02T00:00:00+07:00");

    let meter = app.meter("dien-a").await;
    assert_eq!(meter["readings"], 6, "the duplicate is stored once: {meter}");
    approx(&meter["last_value"], 5.0);
    assert_eq!(meter["last_reading_at"], "2026-11-02T04:00:00+07:00");
    assert_eq!(app.health().await["ingest"]["duplicates"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_that_wraps_is_a_rollover_and_units_are_converted() {
    let app = spawn_app().await;
    publish(
        &app.mqtt,
        &[
            // nuoc-tong wraps at 10 000 m³: 9 990 → 5 is 10 + 5 = 15, then 5 → 12 is 7.
            ("xanh/nuoc-tong/reading", reading(9990.0, "08:00")),
            ("xanh/nuoc-tong/reading", reading(5.0, "09:00")),
            ("xanh/nuoc-tong/reading", reading(12.0, "10:00")),
            // nuoc-a-lit reports litres: 250 L → 1 250 L is 1 m³.
            ("xanh/nuoc-a-lit/reading", reading(250.0, "08:00")),
            ("xanh/nuoc-a-lit/reading", reading(1250.0, "10:00")),
            // dien-b-wh reports Wh: 1 000 000 → 1 500 000 Wh is 500 kWh.
            ("xanh/dien-b-wh/reading", reading(1_000_000.0, "08:00")),
            ("xanh/dien-b-wh/reading", reading(1_500_000.0, "10:00")),
            // giay-a is a delta meter in reams: 3 reams issued is 1 500 sheets.
            ("xanh/giay-a/reading", reading(3.0, "09:15")),
        ],
    )
    .await;
    app.wait_processed(8).await;

    let day = "from=2026-11-02&to=2026-11-03&step=day";
    let water = app.consumption(&format!("resource=water&meter=nuoc-tong&{day}")).await;
    approx(&water["total"], 22.0);
    let litres = app.consumption(&format!("resource=water&meter=nuoc-a-lit&{day}")).await;
    approx(&litres["total"], 1.0);
    assert_eq!(litres["unit"], "m3");
    let wh = app.consumption(&format!("resource=electricity&meter=dien-b-wh&{day}")).await;
    approx(&wh["total"], 500.0);
    let paper = app.consumption(&format!("resource=paper&{day}")).await;
    approx(&paper["total"], 1500.0);
    assert_eq!(paper["unit"], "sheet");
    // The paper was issued in the 09:00 hour.
    let paper_hours = app
        .consumption("resource=paper&from=2026-11-02T09:00:00%2B07:00&to=2026-11-02T10:00:00%2B07:00&step=hour")
        .await;
    approx(&paper_hours["total"], 1500.0);

    // Office-wide water counts the main meter and the sub-meter (no parent link between
    // them here); office-wide electricity counts only the main meter, which has not sent.
    let office_water = app.consumption(&format!("resource=water&{day}")).await;
    approx(&office_water["total"], 23.0);
    let office_electricity = app.consumption(&format!("resource=electricity&{day}")).await;
    approx(&office_electricity["total"], 0.0);
    let phong_b = app.consumption(&format!("resource=electricity&department=phong-b&{day}")).await;
    approx(&phong_b["total"], 500.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_reading_is_spread_over_the_hours_of_both_months() {
    let app = spawn_app().await;
    publish(
        &app.mqtt,
        &[
            // 744 kWh over the 744 hours from 20/10 to 20/11: 1 kWh an hour.
            ("xanh/dien-thang/reading", reading(1000.0, "2026-10-20T00:00:00")),
            ("xanh/dien-thang/reading", reading(1744.0, "2026-11-20T00:00:00")),
        ],
    )
    .await;
    app.wait_processed(2).await;

    let months =
        app.consumption("resource=electricity&meter=dien-thang&from=2026-10-01&to=2026-12-01&step=month").await;
    let values: Vec<f64> = months["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    // October keeps 12 days × 24 h = 288 kWh, November 19 days × 24 h = 456 kWh.
    assert_eq!(values.len(), 2);
    assert!((values[0] - 288.0).abs() < 1e-6 && (values[1] - 456.0).abs() < 1e-6, "{values:?}");
    assert_eq!(months["series"][1]["start"], "2026-11-01T00:00:00+07:00");
    let one_day = app.consumption("resource=electricity&meter=dien-thang&from=2026-11-05&to=2026-11-06&step=day").await;
    approx(&one_day["total"], 24.0);
    // A range that does not start at midnight is answered from hours and agrees.
    let by_hours = app.consumption("resource=electricity&meter=dien-thang&from=2026-10-31T12:00:00%2B07:00&to=2026-11-01T12:00:00%2B07:00&step=day").await;
    approx(&by_hours["total"], 24.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_number_is_a_reading_taken_when_it_arrives() {
    let app = spawn_app().await;
    let before = jiff::Timestamp::now();
    publish(&app.mqtt, &[("xanh/dien-a/reading", "1234.5".to_owned())]).await;
    app.wait_processed(1).await;
    let meter = app.meter("dien-a").await;
    approx(&meter["last_value"], 1234.5);
    let taken: jiff::Timestamp = meter["last_reading_at"].as_str().unwrap().parse().unwrap();
    let lag = taken.duration_since(before).as_secs_f64();
    assert!((-1.0..10.0).contains(&lag), "taken {taken}, published at {before}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_kept_with_its_reason_and_ingest_goes_on() {
    let app = spawn_app().await;
    // Each with the reason code scripts rely on and a piece of the Vietnamese detail a clerk reads.
    let bad = [
        ("xanh/dien-a/reading", "{\"value\": 12".to_owned(), "undecodable", "không phải một số liệu"),
        ("xanh/khong-co/reading", "12".to_owned(), "unknown_meter", "chưa khai báo công tơ `khong-co`"),
        ("xanh/dien-a/reading", "\"mười hai\"".to_owned(), "undecodable", "không phải là số"),
        ("xanh/dien-a/reading", "{\"value\": \"abc\"}".to_owned(), "undecodable", "`value` \"abc\" không phải là số"),
        ("xanh/dien-a/reading", "NaN".to_owned(), "non_finite", "không phải là số hữu hạn"),
        ("xanh/dien-a/reading", "inf".to_owned(), "non_finite", "không phải là số hữu hạn"),
        ("xanh/dien-a/reading", "1e300".to_owned(), "non_finite", "vượt quá giới hạn"),
        ("xanh/dien-a/reading", "-5".to_owned(), "negative", "chỉ số công tơ không thể nhỏ hơn 0"),
        (
            "xanh/dien-a/reading",
            r#"{"value": 1, "ts": "2099-01-01T00:00:00+07:00"}"#.to_owned(),
            "future_timestamp",
            "đi trước thời điểm nhận",
        ),
        ("xanh/dien-a/reading", r#"{"value": 1, "ts": "1990-01-01T00:00:00+07:00"}"#.to_owned(), "too_old", "cũ hơn"),
        (
            "xanh/dien-a/reading",
            r#"{"value": 1, "ts": "hôm qua"}"#.to_owned(),
            "undecodable",
            "không phải thời điểm RFC 3339",
        ),
        ("xanh/dien-a/reading/extra", "1".to_owned(), "unknown_topic", ""),
    ];
    // The catch-all subscription is xanh/+/reading; publish the odd topic where it is heard.
    let messages: Vec<(&str, String)> =
        bad.iter().filter(|b| b.2 != "unknown_topic").map(|(t, p, _, _)| (*t, p.clone())).collect();
    publish(&app.mqtt, &messages).await;
    publish(&app.mqtt, &[("xanh/dien-a/reading", reading(42.0, "07:00"))]).await;
    app.wait_processed(messages.len() as u64 + 1).await;

    let (status, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(status, 200);
    assert_eq!(rejected["total"], messages.len());
    let items = rejected["items"].as_array().unwrap();
    for (topic, payload, reason, vietnamese) in bad.iter().filter(|b| b.2 != "unknown_topic") {
        let kept = items.iter().find(|i| i["payload"] == *payload && i["topic"] == *topic);
        let kept = kept.unwrap_or_else(|| panic!("{payload} was not kept: {rejected}"));
        assert_eq!(kept["reason"], *reason, "{payload}: {kept}");
        let detail = kept["detail"].as_str().unwrap();
        assert!(detail.contains(vietnamese), "{payload}: the detail should say “{vietnamese}”: {kept}");
        assert!(!detail.contains(" is ") && !detail.contains("the "), "{payload}: the detail is in English: {kept}");
    }

    // The page names each reason in the page's language, the code staying in the markup.
    let admin = app.sign_in(crate::common::ADMIN, crate::common::PASSWORD).await.unwrap();
    let (_, vi) = admin.get("/rejected").await;
    assert!(vi.contains(r#"data-reason="unknown_meter">Công tơ chưa được khai báo<"#), "{vi}");
    assert!(vi.contains(r#"data-reason="too_old">Thời điểm quá cũ<"#), "{vi}");
    let (_, en) = admin.get("/rejected?lang=en").await;
    assert!(en.contains(r#"data-reason="unknown_meter">Meter not configured<"#), "{en}");
    assert!(en.contains(r#"data-reason="too_old">Older than the office accepts<"#), "{en}");
    assert!(en.contains(r#"data-reason="non_finite">Not a finite number<"#), "{en}");

    // The good reading after the garbage was stored, and the service is healthy.
    let meter = app.meter("dien-a").await;
    assert_eq!(meter["readings"], 1);
    approx(&meter["last_value"], 42.0);
    assert_eq!(app.health().await["status"], "ok");
    app.stop().await;
}
