//! The cost of the embedded broker's logins and publish limits: CONNECT→CONNACK with and
//! without a password (argon2id checked on a blocking thread, two at a time), a burst of
//! logins at once, and QoS 1 throughput through the topic guard.
//!
//! `cargo bench --bench broker_login`; results in docs/benchmarks.md.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet};
use support::{Process, free_port, office_config, percentiles, publish_all_as, readings, start_xanh, xanh_binary};

const PASSWORD: &str = "bench-gateway-password";

fn password_hash() -> String {
    use std::io::Write;
    let mut child =
        Command::new(xanh_binary()).arg("mqtt-password").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_owned()
}

/// `xanh serve` on the 100-meter office with its embedded broker, open or with one client.
fn start(dir: &std::path::Path, with_client: bool) -> (Process, u16) {
    let (mqtt_port, web_port) = (free_port(), free_port());
    let mut mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"\ninflight = 1000\n");
    if with_client {
        mqtt += &format!(
            "[[mqtt.clients]]\nusername = \"bench\"\npassword_hash = \"{}\"\npublish = [\"xanh/#\"]\n",
            password_hash()
        );
    }
    let name = if with_client { "clients" } else { "open" };
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, office_config(&mqtt, web_port, &dir.join(format!("{name}.db")))).unwrap();
    (start_xanh(&config, web_port, &[]), mqtt_port)
}

/// Time from opening a connection to the broker's CONNACK.
async fn connect_once(port: u16, id: String, login: bool) -> Duration {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    if login {
        options.set_credentials("bench", PASSWORD);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let started = Instant::now();
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("the broker refused the bench client: {e}"),
        }
    }
    let took = started.elapsed();
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_millis(100), eventloop.poll()).await;
    took
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    for with_client in [false, true] {
        let label = if with_client { "one client, password checked" } else { "open broker" };
        let (_xanh, port) = start(dir.path(), with_client);
        let mut samples = Vec::new();
        for i in 0..40 {
            samples.push(connect_once(port, format!("bench-seq-{i}"), with_client).await);
        }
        let (median, p95) = percentiles(samples);
        let started = Instant::now();
        let burst: Vec<_> =
            (0..20).map(|i| tokio::spawn(connect_once(port, format!("bench-burst-{i}"), with_client))).collect();
        for connect in burst {
            connect.await.unwrap();
        }
        let burst = started.elapsed();
        // Throughput through the codec guard (the open broker checks nothing).
        let messages = readings("xanh", 500);
        let count = messages.len();
        let started = Instant::now();
        publish_all_as(port, "guard", with_client.then_some(("bench", PASSWORD)), messages).await;
        let rate = count as f64 / started.elapsed().as_secs_f64();
        println!(
            "{label}: CONNECT→CONNACK median {median:.1} ms, p95 {p95:.1} ms; 20 logins at once {:.0} ms; {count} QoS 1 publishes at {rate:.0}/s",
            burst.as_secs_f64() * 1000.0
        );
    }
}
