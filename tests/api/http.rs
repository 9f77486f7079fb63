//! The HTTP API's contract: what a wrong request gets told, the OpenAPI description, and the
//! start-up errors of a wrong config.

use std::process::Command;

use crate::common;
use crate::common::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_consumption_requests_get_a_400_that_says_what_to_send() {
    let app = spawn_app().await;
    let cases = [
        ("from=2026-11-01&to=2026-12-01&step=day", "`resource` is missing"),
        ("resource=gas&from=2026-11-01&to=2026-12-01&step=day", "electricity, water or paper"),
        ("resource=water&to=2026-12-01&step=day", "`from` is missing"),
        ("resource=water&from=2026-11-01&to=2026-12-01&step=week", "step=hour"),
        ("resource=water&from=2026-12-01&to=2026-11-01&step=day", "before"),
        ("resource=water&from=01/11/2026&to=2026-12-01&step=day", "2026-11-01"),
        ("resource=water&from=2000-01-01&to=2026-01-01&step=hour", "larger step"),
        ("resource=water&from=2026-11-01&to=2026-12-01&step=day&department=phong-z", "phong-a"),
        ("resource=water&from=2026-11-01&to=2026-12-01&step=day&department=Phòng A", "department"),
        ("resource=water&from=2026-11-01&to=2026-12-01&step=day&meter=khong-co", "/api/v1/meters"),
        ("resource=water&from=2026-11-01&to=2026-12-01&step=day&meter=dien-a", "resource=electricity"),
    ];
    for (query, hint) in cases {
        let (status, body) = app.get(&format!("/api/v1/consumption?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"].as_str().unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(message.contains(hint), "{query}: `{message}` should mention `{hint}`");
    }
    let (status, body) = app.get("/api/v1/rejected?limit=0").await;
    assert_eq!((status, body["error"].is_string()), (400, true));
    let (status, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("/api/v1"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meters_and_health_describe_the_configured_office() {
    let app = spawn_app().await;
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["broker"]["embedded"], true);
    assert_eq!(health["store"]["backend"], "sqlite");

    let (_, meters) = app.get("/api/v1/meters").await;
    let meters = meters.as_array().unwrap();
    assert_eq!(meters.len(), 7);
    let wh = meters.iter().find(|m| m["id"] == "dien-b-wh").unwrap();
    assert_eq!(wh["unit"], "kWh");
    assert_eq!(wh["reports_in"], "Wh");
    assert_eq!(wh["department"], "phong-b");
    assert_eq!(wh["parent"], "dien-tong");
    assert_eq!(wh["topic"], "xanh/dien-b-wh/reading");
    assert_eq!(wh["readings"], 0);
    assert!(wh["last_seen"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_lists_every_endpoint() {
    let app = spawn_app().await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in
        ["/api/v1/health", "/api/v1/meters", "/api/v1/consumption", "/api/v1/rejected", "/api/v1/me", "/api/v1/audit"]
    {
        assert!(doc["paths"][path]["get"].is_object(), "{path} is not described");
    }
    // Everything described as a GET answers, given the parameters it requires.
    let required = |path: &str| match path {
        "/api/v1/consumption" => "?resource=water&from=2026-11-01&to=2026-11-02&step=day",
        "/api/v1/readings" => "?meter=nuoc-tong",
        "/api/v1/progress" | "/api/v1/waste" | "/api/v1/departments" => "?resource=water&period=2026",
        "/api/v1/scores"
        | "/api/v1/offices"
        | "/api/v1/documents"
        | "/api/v1/supplies"
        | "/api/v1/meetings"
        | "/api/v1/export/scores.xlsx"
        | "/api/v1/export/scores.csv"
        | "/api/v1/export/report.pdf"
        | "/api/v1/export/report.docx" => "?period=2026",
        _ => "",
    };
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item["get"].is_object() && !path.contains('{') {
            let response = app.http.get(app.url(&format!("{path}{}", required(path)))).send().await.unwrap();
            let status = response.status().as_u16();
            assert_eq!(status, 200, "{path} is described but does not answer: {}", response.text().await.unwrap());
        }
    }
    // Everything but health and the description itself asks for credentials.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let open = item.as_object().unwrap().values().all(|op| op["security"] == serde_json::json!([]));
        assert_eq!(open, ["/api/v1/health", "/api/v1/openapi.json"].contains(&path.as_str()), "{path}");
    }
    app.stop().await;
}

#[test]
fn a_wrong_config_stops_start_up_naming_the_file_the_key_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("office.toml");
    let text = common::config_text(&common::embedded_mqtt(), &dir.path().join("x.db"))
        .replace("unit = \"Wh\"", "unit = \"m3\"")
        .replace("department = \"phong-b\"\nparent", "department = \"phong-z\"\nparent");
    std::fs::write(&path, text).unwrap();
    let output = Command::new(common::binary()).arg("--config").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let file = path.display().to_string();
    assert!(
        stderr.contains(&format!("{file}: meters[2] (\"dien-b-wh\").unit: m3 does not measure electricity")),
        "{stderr}"
    );
    assert!(stderr.contains("use one of Wh, kWh, MWh"), "{stderr}");
    assert!(stderr.contains("department: `phong-z` is not a configured department; fix:"), "{stderr}");

    // A misspelt key and a secret in the file are refused with the line and the remedy.
    std::fs::write(&path, "[office]\nname = \"X\"\n[mqtt]\npassword = \"hunter2\"\n").unwrap();
    let output = Command::new(common::binary()).arg("--config").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("line 4") && stderr.contains("XANH_MQTT_PASSWORD"), "{stderr}");
}

#[test]
fn the_environment_overrides_settings_and_carries_the_password() {
    let text = common::config_text(&common::embedded_mqtt(), std::path::Path::new("x.db"));
    let env = |name: &str| match name {
        "XANH_MQTT_EMBEDDED" => Some("false".to_owned()),
        "XANH_MQTT_HOST" => Some("broker.example".to_owned()),
        "XANH_MQTT_PORT" => Some("8883".to_owned()),
        "XANH_MQTT_USERNAME" => Some("xanh".to_owned()),
        "XANH_MQTT_PASSWORD" => Some("s3cret".to_owned()),
        "XANH_MQTT_SHARED_GROUP" => Some("xanh".to_owned()),
        "XANH_WEB_LISTEN" => Some("0.0.0.0:9000".to_owned()),
        _ => None,
    };
    let config = xanh::config::Config::parse("t.toml", &text, &env).unwrap();
    let expected = xanh::config::ExternalBroker {
        host: "broker.example".into(),
        port: 8883,
        tls: None,
        shared_group: Some("xanh".to_owned().try_into().unwrap()),
    };
    assert_eq!(config.mqtt.broker, xanh::config::Broker::External(expected));
    assert_eq!(config.mqtt.password.as_deref(), Some("s3cret"));
    assert_eq!(config.web_listen.to_string(), "0.0.0.0:9000");
    // The password never shows in logs of the config.
    assert!(!format!("{:?}", config.mqtt).contains("s3cret"));

    let bad_port = |name: &str| (name == "XANH_MQTT_PORT").then(|| "huge".to_owned());
    let err = xanh::config::Config::parse("t.toml", &text, &bad_port).unwrap_err().to_string();
    assert!(err.contains("XANH_MQTT_PORT") && err.contains("a port number"), "{err}");
}
