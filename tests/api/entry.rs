//! Readings sent over HTTP (JSON and CSV), imported from a file with `xanh import`, and
//! rejected input stored after the config was fixed.

use std::process::Command;

use serde_json::{Value, json};

use crate::common;
use crate::common::{approx, config_text, embedded_mqtt, publish, reading, spawn_app, spawn_app_from};

async fn post(app: &common::TestApp, content_type: &str, body: String) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/api/v1/readings"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rows_are_answered_one_by_one_and_stored_like_mqtt_readings() {
    let app = spawn_app().await;
    let body = json!([
        // A water meter read by hand, the Vietnamese way: 1.234,5 m³ on 02/11 at 08:00 …
        {"meter": "nuoc-tong", "value": "1.234,5", "ts": "02/11/2026 08:00", "entered_by": "Chị Lan (HC-QT)"},
        // … and 1.240 m³ (a JSON number) at 18:00.
        {"meter": "nuoc-tong", "value": 1240, "ts": "2026-11-02T18:00:00+07:00"},
        {"meter": "nuoc-tong", "value": 1240, "ts": "2026-11-02T18:00:00+07:00"},
        {"meter": "khong-co", "value": 1, "ts": "02/11/2026"},
        {"meter": "nuoc-tong", "value": "mười", "ts": "02/11/2026"},
        {"meter": "nuoc-tong", "value": 1, "ts": "31/02/2026"},
        {"meter": "nuoc-tong"},
    ]);
    let (status, answer) = post(&app, "application/json", body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["stored"].as_u64(), answer["duplicates"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(1), Some(4))
    );
    let statuses: Vec<&str> =
        answer["rows"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["stored", "stored", "duplicate", "rejected", "rejected", "rejected", "rejected"]);
    assert_eq!(answer["rows"][3]["reason"], "unknown_meter");
    assert!(answer["rows"][4]["detail"].as_str().unwrap().contains("1.234,5"), "{answer}");
    assert!(answer["rows"][5]["detail"].as_str().unwrap().contains("28/11/2026"), "{answer}");

    let day = app.consumption("resource=water&meter=nuoc-tong&from=2026-11-02&to=2026-11-03&step=day").await;
    approx(&day["total"], 5.5);
    // The rejected rows are kept, as sent, with the source.
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 4);
    assert!(rejected["items"].as_array().unwrap().iter().all(|i| i["source"] == "api"), "{rejected}");
    assert!(rejected["items"].as_array().unwrap().iter().any(|i| i["payload"].as_str().unwrap().contains("mười")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_from_excel_is_read_with_semicolons_and_a_byte_order_mark() {
    let app = spawn_app().await;
    // Excel's "CSV UTF-8" starts with a BOM; Vietnamese Excel separates fields with ';'.
    let csv = "\u{feff}meter;ts;value;from;cost_vnd\n\
               giay-a;03/11/2026 09:00;3;;\"225.000\"\n\
               dien-thang;20/10/2026;1.000;;\n\
               dien-thang;20/11/2026;\"1.744,0\";;\n\
               dien-a;;;;\n";
    let (status, answer) = post(&app, "text/csv; charset=utf-8", csv.to_owned()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], 3, "{answer}");
    assert_eq!(answer["rows"][3]["status"], "rejected");
    // 3 reams are 1 500 sheets; 744 kWh over 744 hours leaves 456 in November.
    let paper = app.consumption("resource=paper&from=2026-11-03&to=2026-11-04&step=day").await;
    approx(&paper["total"], 1500.0);
    // The price on the delivery note is kept with the amount.
    let (_, readings) = app.get("/api/v1/readings?meter=giay-a").await;
    approx(&readings["readings"][0]["cost_vnd"], 225_000.0);
    let november =
        app.consumption("resource=electricity&meter=dien-thang&from=2026-11-01&to=2026-12-01&step=month").await;
    approx(&november["total"], 456.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_body_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let (status, body) = post(&app, "text/plain", "x".into()).await;
    assert_eq!(status, 415);
    assert!(body["error"].as_str().unwrap().contains("application/json"));
    let (status, body) = post(&app, "application/json", "{\"meter\": ".into()).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("dien-tong-hop"), "{body}");
    let (status, body) = post(&app, "text/csv", "a,b\n1,2\n".into()).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("meter,ts,value"), "{body}");
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0, "a body refused as a whole is not a reading");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xanh_import_loads_a_history_file_that_the_service_then_shows() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("office.toml");
    let store = dir.path().join("xanh.db");
    std::fs::write(&config, config_text(&embedded_mqtt(), &store)).unwrap();
    // Two monthly bills of the main meter, and one row for a meter that does not exist.
    let csv = dir.path().join("bills.csv");
    std::fs::write(&csv, "meter,ts,value\ndien-tong,01/09/2026,10000\ndien-tong,01/10/2026,\"10.720\"\ndien-tong,01/11/2026,11464\nkhong-co,01/11/2026,5\n").unwrap();
    let output = Command::new(common::binary())
        .args(["import", "--entered-by", "HC-QT", "--config"])
        .arg(&config)
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("4 rows: 3 stored, 0 already stored, 1 rejected"), "{stdout}");
    assert!(stdout.contains("row 4: chưa khai báo công tơ `khong-co`"), "{stdout}");
    assert!(stderr.contains("4 / 4 rows (100 %)"), "{stderr}");

    let app = spawn_app_from(&std::fs::read_to_string(&config).unwrap(), dir).await;
    let months = app.consumption("resource=electricity&from=2026-09-01&to=2026-11-01&step=month").await;
    // September: 720 kWh over 30 days; October: 744 kWh over 31 days.
    let values: Vec<f64> = months["series"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
    assert!((values[0] - 720.0).abs() < 1e-6 && (values[1] - 744.0).abs() < 1e-6, "{values:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_readings_are_stored_once_the_config_names_their_meter() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("xanh.db");
    let app = spawn_app_from(&config_text(&embedded_mqtt(), &store), dir).await;
    publish(
        &app.mqtt,
        &[("xanh/dien-moi/reading", reading(50.0, "08:00")), ("xanh/dien-moi/reading", reading(58.0, "10:00"))],
    )
    .await;
    app.wait_processed(2).await;
    let page = app.http.get(app.url("/rejected")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Công tơ chưa được khai báo"), "the page names the reason in Vietnamese");
    let dir = app.dir_and_stop().await;

    // HC-QT adds the meter and restarts; the retry stores both readings.
    let fixed = config_text(&embedded_mqtt(), &store)
        + "\n[[meters]]\nid = \"dien-moi\"\nname = \"Công tơ mới\"\nresource = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\n";
    let app = spawn_app_from(&fixed, dir).await;
    let answer: Value =
        app.http.post(app.url("/api/v1/rejected/reprocess")).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer, json!({"reprocessed": 2, "stored": 2, "still_rejected": 0}));
    let day = app.consumption("resource=electricity&meter=dien-moi&from=2026-11-02&to=2026-11-03&step=day").await;
    approx(&day["total"], 8.0);
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["total"], 0);
    // A second retry finds nothing left to do.
    let again: Value = app.http.post(app.url("/api/v1/rejected/reprocess")).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["reprocessed"], 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_stores_a_reporters_rows_only_where_the_reporter_may_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("xanh.db");
    let app = spawn_app_from(&config_text(&embedded_mqtt(), &store), dir).await;
    // Lan reports for Phòng A. Her script sends rows for two meters not configured yet.
    let lan = app.add_user("lan", xanh::domain::Role::Reporter, &["phong-a"]).await;
    let (script, _) = app.token_client(&lan, xanh::domain::Role::Reporter, None).await;
    let rows = json!([
        {"meter": "dien-moi-a", "value": 10, "ts": "02/11/2026 08:00"},
        {"meter": "dien-moi-b", "value": 20, "ts": "02/11/2026 08:00"},
    ]);
    let response = script.post(app.url("/api/v1/readings")).json(&rows).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    assert_eq!(app.get("/api/v1/rejected").await.1["total"], 2);
    let dir = app.dir_and_stop().await;

    // HC-QT adds both meters, one in Phòng A and one in Phòng B, and reprocesses.
    let meter = |id: &str, department: &str| {
        format!(
            "\n[[meters]]\nid = \"{id}\"\nname = \"Công tơ mới\"\nresource = \"electricity\"\ndepartment = \"{department}\"\nkind = \"counter\"\nunit = \"kWh\"\n"
        )
    };
    let fixed =
        config_text(&embedded_mqtt(), &store) + &meter("dien-moi-a", "phong-a") + &meter("dien-moi-b", "phong-b");
    let app = spawn_app_from(&fixed, dir).await;
    let answer: Value =
        app.http.post(app.url("/api/v1/rejected/reprocess")).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer, json!({"reprocessed": 1, "stored": 1, "still_rejected": 1}));
    // Phòng A's row is stored as Lan's; Phòng B's is not, since Lan could not have stored it.
    let (_, readings) = app.get("/api/v1/readings?meter=dien-moi-a").await;
    assert_eq!(readings["readings"][0]["entered_by"], "lan/script", "{readings}");
    let (_, readings) = app.get("/api/v1/readings?meter=dien-moi-b").await;
    assert_eq!(readings["readings"].as_array().unwrap().len(), 0, "{readings}");
    let (_, rejected) = app.get("/api/v1/rejected").await;
    assert_eq!(rejected["items"][0]["meter"], "dien-moi-b");
    app.stop().await;
}
