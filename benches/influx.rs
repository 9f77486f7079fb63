//! Issue 6's figures, in one run: ingest through Mosquitto (QoS 1, acks after the durable
//! commit) into the SQLite backend and into the InfluxDB backend, whose points go to a server
//! that takes InfluxDB's v2 write API (VictoriaMetrics, from Debian; InfluxDB 2 itself cannot
//! be installed here); then how fast the outbox drains after that server was down.
//!
//! `cargo bench --bench influx`. The two backends are measured in XANH_BENCH_ROUNDS rounds
//! (default 3), SQLite first in odd rounds and InfluxDB first in even ones, each on a fresh
//! store behind its own fresh Mosquitto (a stopped instance's session would otherwise have the
//! broker queue every later message for it). The outage lasts XANH_BENCH_OUTAGE_SECS (default
//! 600: ten minutes) while readings keep arriving at XANH_BENCH_OUTAGE_RATE a second (default
//! 200, as 2 000 meters reporting every 10 s would send them).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use support::*;

const READINGS_PER_METER: usize = 1_000;
/// The pause before each measurement.
const SETTLE: Duration = Duration::from_secs(3);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Readings stored and acknowledged per second, from the first publish to the last store.
async fn ingest_rate(http: &reqwest::Client, web_port: u16, mqtt_port: u16, publisher: &str) -> (f64, u64, Instant) {
    let batch = readings("xanh", READINGS_PER_METER);
    let total = batch.len() as u64;
    let start = Instant::now();
    publish_all(mqtt_port, publisher, batch).await;
    while ingest_counter(http, web_port, "stored").await < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (total as f64 / start.elapsed().as_secs_f64(), total, start)
}

async fn outbox_pending(http: &reqwest::Client, web_port: u16) -> u64 {
    health(http, web_port).await["store"]["outbox"]["pending"].as_u64().unwrap_or(u64::MAX)
}

/// How many points of `metric` of `office` VictoriaMetrics holds, after flushing its buffers.
async fn points_held(vm_port: u16, metric: &str, office: &str) -> u64 {
    let http = http_client().build().unwrap();
    http.get(format!("http://127.0.0.1:{vm_port}/internal/force_flush")).send().await.unwrap();
    let export = http
        .get(format!("http://127.0.0.1:{vm_port}/api/v1/export"))
        .query(&[("match[]", format!("{metric}{{office=\"{office}\"}}"))])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    export
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|series| series["values"].as_array().map_or(0, |v| v.len() as u64))
        .sum()
}

/// Publish `rate` readings a second for `seconds`, continuing the bench meters' counters.
async fn paced(mqtt_port: u16, rate: u64, seconds: u64) -> u64 {
    let mut options = MqttOptions::new(format!("bench-paced-{}", free_port()), "127.0.0.1", mqtt_port);
    options.set_keep_alive(Duration::from_secs(60)).set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    let poll = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let total = rate * seconds;
    let per_meter = (total as usize).div_ceil(meter_ids().len());
    // After the first part's readings, each meter's counter going on from where it was.
    let base = "2026-03-01T00:00:00+07:00".parse().unwrap();
    let messages = readings_from("xanh", base, READINGS_PER_METER, per_meter);
    let started = Instant::now();
    for (second, chunk) in messages.chunks(rate as usize).take(seconds as usize).enumerate() {
        for (topic, payload) in chunk {
            client.publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone()).await.unwrap();
        }
        let next = Duration::from_secs(second as u64 + 1);
        if let Some(wait) = next.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        if second % 60 == 59 {
            eprintln!("  outage: {} s of {seconds}", second + 1);
        }
    }
    client.disconnect().await.ok();
    poll.await.ok();
    total.min(messages.len() as u64)
}

/// One Xanh on its own broker, and what it measured.
struct Instance {
    xanh: Process,
    web: u16,
    http: reqwest::Client,
    mqtt: u16,
    _broker: Process,
}

async fn start(dir: &std::path::Path, name: &str, store: &str) -> Instance {
    let broker_dir = dir.join(format!("mosquitto-{name}"));
    std::fs::create_dir_all(&broker_dir).unwrap();
    let (broker, mqtt) = start_mosquitto(&broker_dir);
    let env = [("XANH_INFLUXDB_TOKEN", "bench-token")];
    let (xanh, web, http) = start_xanh_with_store(dir, mqtt, name, store, &env).await;
    Instance { xanh, web, http, mqtt, _broker: broker }
}

/// What one round of the InfluxDB backend measured.
struct InfluxRound {
    rate: f64,
    through: f64,
    readings_held: u64,
    hours_held: u64,
    /// CPU seconds of Xanh and of the server while the readings were stored.
    xanh_cpu: f64,
    vm_cpu: f64,
}

async fn influx_round(instance: &Instance, vm: u32, vm_port: u16, office: &str) -> (InfluxRound, u64) {
    let (xanh_cpu, vm_cpu) = (cpu_seconds(instance.xanh.0.id()), cpu_seconds(vm));
    let (rate, total, started) = ingest_rate(&instance.http, instance.web, instance.mqtt, office).await;
    let xanh_cpu = cpu_seconds(instance.xanh.0.id()) - xanh_cpu;
    let vm_cpu = cpu_seconds(vm) - vm_cpu;
    // In the server: the outbox empty and every reading there (the health report's count is
    // refreshed after the fact, so it alone can say 0 a moment early), or 60 s gone.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut readings_held = 0;
    while Instant::now() < deadline {
        if outbox_pending(&instance.http, instance.web).await == 0 {
            readings_held = points_held(vm_port, "reading_value", office).await;
            if readings_held >= total {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let through = total as f64 / started.elapsed().as_secs_f64();
    let hours_held = points_held(vm_port, "consumption_consumption", office).await;
    (InfluxRound { rate, through, readings_held, hours_held, xanh_cpu, vm_cpu }, total)
}

/// CPU seconds (user and system) the process `pid` has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name (in parentheses, which may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

#[tokio::main]
async fn main() {
    let outage_secs = env_number("XANH_BENCH_OUTAGE_SECS", 600);
    let outage_rate = env_number("XANH_BENCH_OUTAGE_RATE", 200);
    let rounds = env_number("XANH_BENCH_ROUNDS", 3).max(1);
    let dir = tempfile::tempdir().unwrap();
    let vm_port = free_port();
    let vm_data = dir.path().join("victoria-metrics");
    let vm = start_victoria_metrics(&vm_data, vm_port);
    let influx_store =
        format!("backend = \"influxdb\"\nurl = \"http://127.0.0.1:{vm_port}\"\norg = \"xanh\"\nbucket = \"xanh\"\n");

    println!("ingest through Mosquitto, QoS 1, acks after the durable commit, 100 meters, {rounds} rounds");
    let mut ratios = Vec::new();
    let mut last_influx = None;
    let mut total = 0;
    for round in 1..=rounds {
        let (mut sqlite_rate, mut sqlite_cpu) = (0.0, 0.0);
        let mut influx = None;
        let influx_first = round % 2 == 0;
        for influx_turn in [influx_first, !influx_first] {
            // Let the server finish its own work on the points of the turn before (merging
            // them), which would otherwise fall on whichever backend comes next.
            tokio::time::sleep(SETTLE).await;
            if influx_turn {
                let office = format!("influx-{round}");
                // Only one Xanh runs at a time: stop the one kept from the round before.
                drop(last_influx.take());
                let instance = start(dir.path(), &office, &influx_store).await;
                let (measured, readings) = influx_round(&instance, vm.0.id(), vm_port, &office).await;
                total = readings;
                influx = Some(measured);
                last_influx = Some(instance);
            } else {
                let instance = start(dir.path(), &format!("sqlite-{round}"), "").await;
                let cpu = cpu_seconds(instance.xanh.0.id());
                (sqlite_rate, total, _) = ingest_rate(&instance.http, instance.web, instance.mqtt, "sqlite").await;
                sqlite_cpu = cpu_seconds(instance.xanh.0.id()) - cpu;
            }
        }
        let influx = influx.expect("each round measures the InfluxDB backend");
        let ratio = influx.rate / sqlite_rate;
        ratios.push(ratio);
        println!(
            "  round {round} ({} first), {total} readings: SQLite {sqlite_rate:.0} readings/s, InfluxDB {:.0} readings/s \
             ({:.0} % of SQLite); written to the server {:.0} readings/s end to end; \
             the server holds {} reading points and {} consumption points; \
             CPU while storing: Xanh {sqlite_cpu:.2} s (SQLite) and {:.2} s (InfluxDB), the server {:.2} s",
            if influx_first { "InfluxDB" } else { "SQLite" },
            influx.rate,
            100.0 * ratio,
            influx.through,
            influx.readings_held,
            influx.hours_held,
            influx.xanh_cpu,
            influx.vm_cpu,
        );
    }
    println!("  median: {:.0} % of SQLite", 100.0 * median(ratios));
    let Instance { xanh: influx_xanh, web, http, mqtt: mqtt_port, _broker } =
        last_influx.expect("at least one round ran");
    let office = format!("influx-{rounds}");

    vm.terminate();
    eprintln!("server down; {outage_rate} readings/s for {outage_secs} s");
    let sent = paced(mqtt_port, outage_rate, outage_secs).await;
    while ingest_counter(&http, web, "stored").await < total + sent {
        let rejected = ingest_counter(&http, web, "rejected").await;
        assert_eq!(rejected, 0, "readings of the outage were rejected: see the service's /rejected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let backlog = outbox_pending(&http, web).await;
    let status = health(&http, web).await;
    let _vm = start_victoria_metrics(&vm_data, vm_port);
    let start = Instant::now();
    while outbox_pending(&http, web).await > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = start.elapsed().as_secs_f64();
    let readings_after = points_held(vm_port, "reading_value", &office).await;
    println!(
        "outage of the server: {outage_secs} s at {outage_rate} readings/s ({sent} readings, all stored and acknowledged)"
    );
    println!(
        "  health during the outage: {} (outbox oldest {} s)",
        status["status"], status["store"]["outbox"]["oldest_pending_age_s"]
    );
    println!("  outbox backlog when it came back: {backlog} points");
    println!("  drained in {drain:.1} s: {:.0} points/s", backlog as f64 / drain);
    println!("  the server holds {readings_after} reading points ({} expected)", total + sent);
    println!("  Xanh peak RSS: {:.1} MiB", influx_xanh.peak_rss_mib());
}
