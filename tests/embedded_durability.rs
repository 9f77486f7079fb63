//! No loss on the embedded broker when Xanh is killed in the middle of a QoS 1 stream: a
//! device that sends again what it got no PUBACK for ends with every reading stored once,
//! plain and over TLS with a configured client; and SIGTERM drains before it stops.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    Acked, Service, acked_count, approx, config_text, counter_stream, device_options, free_port, get,
    mqtt_password_hash, publish_until_acked, test_ca_and_certificate, wait_for,
};
use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use xanh::config::ClientTls;

const READINGS: usize = 3000;

/// Run Xanh from `mqtt` (its `[mqtt]` section) as a process, stream the readings with
/// `options`, kill it mid-stream, start it again, and check that every reading is stored once.
async fn kill_mid_stream(
    dir: &tempfile::TempDir,
    mqtt: &str,
    options: impl Fn(u32) -> MqttOptions + Clone + Send + 'static,
) {
    let web_port = free_port();
    let config = dir.path().join("xanh.toml");
    let text = config_text(mqtt, &dir.path().join("xanh.db"))
        .replace("[web]\nlisten = \"127.0.0.1:0\"", &format!("[web]\nlisten = \"127.0.0.1:{web_port}\""));
    std::fs::write(&config, text).unwrap();
    let http = common::admin_client_by_command_line(&config);
    let base = format!("http://127.0.0.1:{web_port}/api/v1");
    let service = Service::start(&config);
    let up = wait_for(Duration::from_secs(20), async || {
        get(&http, &format!("{base}/health")).await.is_some_and(|h| h["broker"]["connected"] == true)
    });
    assert!(up.await, "the service did not start");

    let acked: Acked = Arc::new(Mutex::new(vec![false; READINGS]));
    let publisher = tokio::spawn(publish_until_acked(
        options.clone(),
        counter_stream("xanh/dien-a/reading", READINGS),
        acked.clone(),
    ));
    let stored = async || {
        get(&http, &format!("{base}/meters")).await.and_then(|m| {
            m.as_array()?.iter().find(|m| m["id"] == "dien-a").map(|m| m["readings"].as_u64().unwrap_or(0))
        })
    };
    let started = wait_for(Duration::from_secs(30), async || stored().await.unwrap_or(0) >= 500);
    assert!(started.await, "no readings were stored before the kill");
    service.kill();
    let at_kill = acked_count(&acked);
    // Every reading acknowledged before the kill was already committed.
    let service = Service::start(&config);
    let back = wait_for(Duration::from_secs(20), async || stored().await.is_some());
    assert!(back.await, "the service did not come back");
    assert!(
        stored().await.unwrap() >= at_kill as u64,
        "{at_kill} readings were acknowledged before the kill but only {:?} are stored",
        stored().await
    );
    assert!(at_kill < READINGS, "the publisher had finished before the kill; the test proved nothing");

    tokio::time::timeout(Duration::from_secs(120), publisher).await.expect("every reading acknowledged").unwrap();
    assert_eq!(stored().await, Some(READINGS as u64));
    let total = get(
        &http,
        &format!("{base}/consumption?resource=electricity&meter=dien-a&from=2026-11-01&to=2026-11-05&step=day"),
    )
    .await
    .unwrap();
    // Values 0, 1, …, 2999: exactly 2 999 kWh if nothing is lost or counted twice.
    approx(&total["total"], (READINGS - 1) as f64);
    let rejected = get(&http, &format!("{base}/rejected")).await.unwrap();
    assert_eq!(rejected["total"], 0, "{rejected}");

    // SIGTERM while a device is still sending: it stops taking publishes, commits and
    // acknowledges what it took, and exits 0; the device then has nothing unstored acknowledged.
    let more = Arc::new(Mutex::new(vec![false; 2000]));
    let later: Vec<(String, String)> = counter_stream("xanh/dien-a/reading", READINGS + 2000).split_off(READINGS);
    let device = tokio::spawn(publish_until_acked(options, later, more.clone()));
    let sending = wait_for(Duration::from_secs(20), async || acked_count(&more) >= 200);
    assert!(sending.await);
    let status = service.terminate();
    assert!(status.success(), "xanh exited with {status}");
    let acknowledged = acked_count(&more);
    device.abort();
    let service = Service::start(&config);
    let back = wait_for(Duration::from_secs(20), async || stored().await.is_some());
    assert!(back.await, "the service did not come back");
    let kept = stored().await.unwrap() as usize - READINGS;
    assert!(kept >= acknowledged, "{acknowledged} acknowledged before SIGTERM, {kept} stored");
    drop(service);
}

const GATEWAY: (&str, &str) = ("tang-1", "mật-khẩu-tầng-1");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_xanh_mid_stream_loses_and_doubles_nothing_on_the_embedded_broker() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{port}\"");
    kill_mid_stream(&dir, &mqtt, device_options(&("127.0.0.1".to_owned(), port))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_over_tls_with_a_configured_client() {
    let dir = tempfile::tempdir().unwrap();
    let pki = test_ca_and_certificate(dir.path());
    let (port, tls_port) = (free_port(), free_port());
    let mqtt = format!(
        "embedded = true\nlisten = \"127.0.0.1:{port}\"\n[[mqtt.clients]]\nusername = \"{}\"\npassword_hash = \"{}\"\npublish = [\"xanh/#\"]\n[mqtt.tls]\nlisten = \"127.0.0.1:{tls_port}\"\ncert = \"{}\"\nkey = \"{}\"\n",
        GATEWAY.0,
        mqtt_password_hash(GATEWAY.1),
        pki.cert.display(),
        pki.key.display()
    );
    let tls =
        xanh::ingest::mqtt::tls::client_config(&ClientTls { ca_file: Some(pki.ca.clone()), client_auth: None }, "test")
            .unwrap();
    let options = move |round| {
        let mut options = MqttOptions::new(format!("tang-1-{round}"), "localhost", tls_port);
        options.set_keep_alive(Duration::from_secs(30)).set_inflight(100).set_credentials(GATEWAY.0, GATEWAY.1);
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::clone(&tls))));
        options
    };
    kill_mid_stream(&dir, &mqtt, options).await;
}
