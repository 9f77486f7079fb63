//! Xanh behind an external Mosquitto as a production office runs it: TLS with a password and
//! an ACL, and several instances sharing one subscription (`$share/<group>/…`), each of which
//! must end up with every reading and the same figures as a single instance.

mod common;

use std::time::{Duration, Instant};

use common::{
    Mosquitto, OFFICE, TestApp, external_mqtt, mosquitto_pub_tls, office_config_text, publish, spawn_app_from_env,
    spawn_app_with, start_app_from_env, start_error, test_ca_and_certificate,
};
use serde_json::Value;

const XANH: (&str, &str) = ("xanh", "mật-khẩu-của-xanh");
const GATEWAY: (&str, &str) = ("tang-1", "mat-khau-tang-1");
/// As the README gives it: Xanh reads the devices' topics and talks to its peers; the gateway
/// only writes readings.
const ACL: &str =
    "user xanh\ntopic read xanh/+/reading\ntopic readwrite xanh-peers/#\n\nuser tang-1\ntopic write xanh/+/reading\n";

fn group_mqtt(port: u16, client_id: &str) -> String {
    external_mqtt(port, client_id) + "\nshared_group = \"xanh\""
}

/// Poll `check` until it gives `Some` or `timeout` passes.
async fn wait_for<T>(timeout: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_arrive_over_tls_with_a_password_and_a_wrong_ca_or_password_is_told_in_health() {
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = test_ca_and_certificate(pki_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start_secured_tls(&[XANH, GATEWAY], ACL, &pki);
    let tls_port = broker.tls_port.unwrap();
    let mqtt = |ca: &std::path::Path| {
        format!(
            "{}\nusername = \"xanh\"\nshared_group = \"xanh\"\n[mqtt.tls]\nca_file = \"{}\"",
            external_mqtt(tls_port, "xanh-tls"),
            ca.display()
        )
    };
    let text = office_config_text(OFFICE, &mqtt(&pki.ca), &dir.path().join("xanh.db"));
    let app = spawn_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", XANH.1)]).await;

    // The gateway's readings over TLS, checked against the same CA, with its own password.
    for (value, time) in [(500.0, "08:00"), (512.5, "09:00")] {
        assert!(mosquitto_pub_tls(
            "127.0.0.1",
            tls_port,
            &pki.ca,
            GATEWAY,
            "xanh/dien-a/reading",
            &common::reading(value, time)
        ));
    }
    app.wait_processed(2).await;
    let day = app.consumption("resource=electricity&meter=dien-a&from=2026-11-02&to=2026-11-03&step=day").await;
    common::approx(&day["total"], 12.5);
    // The ACL lets Xanh publish on its peer topic and read it back: its own batches return.
    let peers = wait_for(Duration::from_secs(10), async || {
        let peers = app.health().await["ingest"]["peers"].clone();
        (peers["sent"].as_u64() >= Some(1) && peers["returned"] == peers["sent"]).then_some(peers)
    })
    .await;
    assert!(peers.is_some(), "own peer batches did not come back: {}", app.health().await);
    app.stop().await;

    // A CA that did not sign the broker's certificate: Xanh runs, says why it cannot connect.
    let other = tempfile::tempdir().unwrap();
    let stranger = test_ca_and_certificate(other.path());
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &mqtt(&stranger.ca), &dir.path().join("xanh.db"));
    let app = start_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", XANH.1)]).await;
    let error = last_error(&app).await;
    assert!(error.contains("certificate") && error.contains("mqtt.tls.ca_file"), "{error}");
    let (status, health) = app.get("/api/v1/health").await;
    assert_eq!((status, &health["broker"]["connected"]), (503, &Value::Bool(false)), "{health}");
    app.stop().await;

    // The right CA with a wrong password.
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &mqtt(&pki.ca), &dir.path().join("xanh.db"));
    let app = start_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", "sai-mật-khẩu")]).await;
    let error = last_error(&app).await;
    assert!(error.contains("XANH_MQTT_PASSWORD"), "{error}");
    app.stop().await;

    // A CA file that is not PEM stops the start, naming the key and the fix.
    let not_pem = other.path().join("ca.txt");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let text = office_config_text(OFFICE, &mqtt(&not_pem), &other.path().join("xanh.db"));
    let error = start_error(&text).await;
    assert!(
        error.contains("mqtt.tls.ca_file") && error.contains("holds no PEM certificate") && error.contains("fix:"),
        "{error}"
    );
}

/// The ingestor's last error, once it has one.
async fn last_error(app: &TestApp) -> String {
    let found = wait_for(Duration::from_secs(25), async || {
        app.health().await["ingest"]["last_error"].as_str().map(str::to_owned)
    })
    .await;
    match found {
        Some(error) => error,
        None => panic!("no error was reported: {}", app.health().await),
    }
}

const COUNTER_READINGS: usize = 240;
const DELTA_READINGS: usize = 90;

/// A cumulative electricity meter every 5 minutes with uneven steps, then reams issued (a
/// delta meter) every 15 minutes, on 2 November 2026 from `first` on. Each meter's messages
/// follow one another, so the broker's per-message split gives every meter to both instances.
fn day_of_readings(first: usize, last: usize) -> Vec<(&'static str, String)> {
    let base: jiff::Timestamp = "2026-11-02T00:00:00+07:00".parse().unwrap();
    let at = |minutes: usize| base + jiff::SignedDuration::from_mins(minutes as i64);
    let mut total = 10_000.0;
    let mut messages = Vec::new();
    for i in 0..COUNTER_READINGS {
        total += ((i * 7919) % 13) as f64 * 0.25 + 0.5;
        if (first..last).contains(&i) {
            messages.push(("xanh/dien-a/reading", format!(r#"{{"value": {total}, "ts": "{}"}}"#, at(i * 5))));
        }
    }
    for i in 0..DELTA_READINGS {
        if (first..last).contains(&(i * COUNTER_READINGS / DELTA_READINGS)) {
            messages
                .push(("xanh/giay-a/reading", format!(r#"{{"value": {}, "ts": "{}"}}"#, i % 4 + 1, at(i * 15 + 2))));
        }
    }
    messages
}

/// The counter's and the delta meter's readings held, as the meters list counts them.
async fn held(app: &TestApp) -> (u64, u64) {
    let count = async |id: &str| app.meter(id).await["readings"].as_u64().unwrap_or(0);
    (count("dien-a").await, count("giay-a").await)
}

async fn wait_holding(app: &TestApp, name: &str, expected: (u64, u64)) {
    let done = wait_for(Duration::from_secs(30), async || (held(app).await == expected).then_some(())).await;
    assert!(done.is_some(), "{name} holds {:?} readings, not {expected:?}: {}", held(app).await, app.health().await);
}

/// Hourly figures of both meters over the day, and their totals.
async fn figures(app: &TestApp) -> Vec<f64> {
    let mut values = Vec::new();
    for query in ["resource=electricity&meter=dien-a", "resource=paper&meter=giay-a"] {
        let body = app.consumption(&format!("{query}&from=2026-11-02&to=2026-11-03&step=hour")).await;
        values.push(body["total"].as_f64().unwrap());
        values.extend(body["series"].as_array().unwrap().iter().map(|point| point["value"].as_f64().unwrap()));
    }
    values
}

fn assert_same_figures(name: &str, actual: &[f64], single: &[f64]) {
    assert_eq!(actual.len(), single.len(), "{name}");
    for (i, (a, s)) in actual.iter().zip(single).enumerate() {
        assert!((a - s).abs() < 1e-6, "{name}: figure {i} is {a}, a single instance says {s}\n{actual:?}\n{single:?}");
    }
}

fn device_messages(health: &Value) -> u64 {
    health["ingest"]["messages"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_split_the_devices_messages_and_give_a_single_instances_figures() {
    let broker = Mosquitto::start();
    let a = spawn_app_with(&group_mqtt(broker.port, "xanh-a"), tempfile::tempdir().unwrap()).await;
    let b = spawn_app_with(&group_mqtt(broker.port, "xanh-b"), tempfile::tempdir().unwrap()).await;
    // A single instance on an unshared subscription of its own: every message, no peers.
    let single = spawn_app_with(&external_mqtt(broker.port, "xanh-single"), tempfile::tempdir().unwrap()).await;

    let messages = day_of_readings(0, COUNTER_READINGS);
    publish(&broker.broker(), &messages).await;
    let all = (COUNTER_READINGS as u64, DELTA_READINGS as u64);
    for (name, app) in [("single", &single), ("a", &a), ("b", &b)] {
        wait_holding(app, name, all).await;
    }

    // The split really happened: each instance decoded a share of the devices' messages, and
    // stored the rest from its peer.
    let (health_a, health_b) = (a.health().await, b.health().await);
    let (from_devices_a, from_devices_b) = (device_messages(&health_a), device_messages(&health_b));
    assert!(from_devices_a > 0 && from_devices_b > 0, "a: {health_a}\nb: {health_b}");
    assert_eq!(from_devices_a + from_devices_b, messages.len() as u64, "a: {health_a}\nb: {health_b}");
    for health in [&health_a, &health_b] {
        let peers = &health["ingest"]["peers"];
        assert!(peers["sent"].as_u64() > Some(0) && peers["received"].as_u64() > Some(0), "{health}");
        assert_eq!(health["ingest"]["rejected"], 0, "{health}");
    }
    let readings = b.get("/api/v1/readings?meter=dien-a&limit=1000").await.1;
    let sources: std::collections::BTreeSet<&str> =
        readings["readings"].as_array().unwrap().iter().map(|r| r["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["mqtt", "peer"].into(), "{readings}");
    let from_a = readings["readings"].as_array().unwrap().iter().filter(|r| r["source"] == "peer");
    assert!(from_a.clone().all(|r| r["entered_by"] == "xanh-a"), "a peer reading names its sender: {readings}");

    let expected = figures(&single).await;
    // Independently: the counter's day is its last value less its first.
    let values: Vec<f64> = messages[..COUNTER_READINGS]
        .iter()
        .map(|(_, payload)| serde_json::from_str::<Value>(payload).unwrap()["value"].as_f64().unwrap())
        .collect();
    assert!((expected[0] - (values[values.len() - 1] - values[0])).abs() < 1e-6, "{expected:?}");
    assert_same_figures("a", &figures(&a).await, &expected);
    assert_same_figures("b", &figures(&b).await, &expected);

    // Messages delivered again (a device that did not see its PUBACK) are harmless: the
    // instance that gets one finds its reading stored, sends it on anyway, and its peer
    // finds it stored too.
    let again: Vec<_> =
        messages[..20].iter().chain(&messages[COUNTER_READINGS..COUNTER_READINGS + 5]).cloned().collect();
    publish(&broker.broker(), &again).await;
    let duplicates = async |app: &TestApp| app.health().await["ingest"]["duplicates"].as_u64().unwrap();
    let both = wait_for(Duration::from_secs(20), async || {
        (duplicates(&a).await + duplicates(&b).await == 2 * again.len() as u64).then_some(())
    })
    .await;
    assert!(both.is_some(), "a: {}\nb: {}", a.health().await, b.health().await);
    for (name, app) in [("a", &a), ("b", &b)] {
        assert_eq!(held(app).await, all, "{name}");
        assert_same_figures(name, &figures(app).await, &expected);
    }
    for app in [a, b, single] {
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_instance_catches_up_from_its_session_when_it_returns() {
    let broker = Mosquitto::start();
    let a = spawn_app_with(&group_mqtt(broker.port, "xanh-a"), tempfile::tempdir().unwrap()).await;
    let b = spawn_app_with(&group_mqtt(broker.port, "xanh-b"), tempfile::tempdir().unwrap()).await;
    let single = spawn_app_with(&external_mqtt(broker.port, "xanh-single"), tempfile::tempdir().unwrap()).await;

    let half = COUNTER_READINGS / 2;
    let morning = day_of_readings(0, half);
    publish(&broker.broker(), &morning).await;
    let counts = |messages: &[(&str, String)]| {
        let counter = messages.iter().filter(|(topic, _)| topic.contains("dien-a")).count() as u64;
        (counter, messages.len() as u64 - counter)
    };
    for (name, app) in [("single", &single), ("a", &a), ("b", &b)] {
        wait_holding(app, name, counts(&morning)).await;
    }

    // B stops; its session stays at the broker and collects A's peer batches. (Mosquitto
    // 2.0.11 also goes on giving B its share of the devices' messages while it is away: A
    // never sees those until B is back and sends them on.)
    let b_dir = b.dir_and_stop().await;
    publish(&broker.broker(), &day_of_readings(half, COUNTER_READINGS)).await;
    let all = (COUNTER_READINGS as u64, DELTA_READINGS as u64);
    wait_holding(&single, "single", all).await;

    let b = spawn_app_with(&group_mqtt(broker.port, "xanh-b"), b_dir).await;
    for (name, app) in [("a", &a), ("b after its restart", &b)] {
        wait_holding(app, name, all).await;
    }
    let health = b.health().await;
    assert!(health["ingest"]["peers"]["received"].as_u64() > Some(0), "nothing came from the session: {health}");
    let expected = figures(&single).await;
    assert_same_figures("a", &figures(&a).await, &expected);
    assert_same_figures("b", &figures(&b).await, &expected);
    for app in [a, b, single] {
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_drops_the_peer_batches_is_told_in_health() {
    // The ACL lets Xanh read the devices but not use its peer topic: Mosquitto acknowledges
    // the batches and drops them, so only their failure to come back shows it.
    let acl = "user xanh\ntopic read xanh/+/reading\n\nuser tang-1\ntopic write xanh/+/reading\n";
    let broker = Mosquitto::start_secured(&[XANH, GATEWAY], acl);
    let dir = tempfile::tempdir().unwrap();
    let mqtt = group_mqtt(broker.port, "xanh-acl") + "\nusername = \"xanh\"";
    let text = office_config_text(OFFICE, &mqtt, &dir.path().join("xanh.db"));
    let app = spawn_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", XANH.1)]).await;
    let outcome =
        common::publish_once(&broker.broker(), Some(GATEWAY), "xanh/dien-a/reading", common::reading(500.0, "08:00"))
            .await;
    assert_eq!(outcome, common::PublishOutcome::Acked);
    app.wait_processed(1).await;
    let error = last_error(&app).await;
    assert!(error.contains("xanh-peers/xanh") && error.contains("ACL"), "{error}");
    let peers = app.health().await["ingest"]["peers"].clone();
    assert_eq!((peers["sent"].as_u64(), peers["returned"].as_u64()), (Some(1), Some(0)), "{peers}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_asks_for_a_client_certificate_gets_xanhs() {
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = test_ca_and_certificate(pki_dir.path());
    let (client_cert, client_key) = common::test_client_certificate(&pki, "xanh");
    let broker = Mosquitto::start_secured_tls_with(&[XANH, GATEWAY], ACL, &pki, "require_certificate true");
    let tls_port = broker.tls_port.unwrap();
    let mqtt = |client_auth: &str| {
        format!(
            "{}\nusername = \"xanh\"\n[mqtt.tls]\nca_file = \"{}\"\n{client_auth}",
            external_mqtt(tls_port, "xanh-client-cert"),
            pki.ca.display()
        )
    };
    let with_certificate =
        format!("client_cert = \"{}\"\nclient_key = \"{}\"", client_cert.display(), client_key.display());
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &mqtt(&with_certificate), &dir.path().join("xanh.db"));
    let app = spawn_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", XANH.1)]).await;
    app.stop().await;

    // Without it the broker ends the handshake, and health says where to look.
    let dir = tempfile::tempdir().unwrap();
    let text = office_config_text(OFFICE, &mqtt(""), &dir.path().join("xanh.db"));
    let app = start_app_from_env(&text, dir, &[("XANH_MQTT_PASSWORD", XANH.1)]).await;
    let error = last_error(&app).await;
    assert!(error.contains("mqtt.tls.client_cert"), "{error}");
    app.stop().await;

    // A key that is not the certificate's stops the start.
    let text = office_config_text(
        OFFICE,
        &mqtt(&with_certificate.replace("xanh.key", "broker.key")),
        &pki_dir.path().join("x.db"),
    );
    let error = start_error(&text).await;
    assert!(error.contains("mqtt.tls.client_key") && error.contains("belongs to mqtt.tls.client_cert"), "{error}");
}
