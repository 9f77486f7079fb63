//! Memory over a long run through the embedded broker: 100 meters publishing QoS 1 readings
//! as fast as Xanh stores them, by default 7 200 000 readings (one hour at 2 000 readings/s,
//! time-compressed), with Xanh's resident memory (VmRSS) sampled after every 100 000. RSS
//! should level off after warm-up. Run with `cargo bench --bench soak`;
//! `XANH_SOAK_READINGS` sets another total.

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use support::*;

const ROUND_PER_METER: usize = 1_000;

/// Resident memory now, from /proc.
fn rss_mib(xanh: &Process) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", xanh.0.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("XANH_SOAK_READINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(7_200_000);
    let meters = meter_ids().len();
    let rounds = total.div_ceil(ROUND_PER_METER * meters);
    let dir = tempfile::tempdir().unwrap();
    let (web_port, mqtt_port) = (free_port(), free_port());
    let config = dir.path().join("xanh.toml");
    let mqtt = format!("embedded = true\nlisten = \"127.0.0.1:{mqtt_port}\"");
    std::fs::write(&config, office_config(&mqtt, web_port, &dir.path().join("xanh.db"))).unwrap();
    let xanh = start_xanh(&config, web_port, &[]);
    wait_port(mqtt_port);
    println!(
        "soak: {meters} meters, {} readings through the embedded broker, QoS 1",
        rounds * ROUND_PER_METER * meters
    );
    println!("  readings     seconds   readings/s   RSS MiB");
    println!("  {:>9} {:>10.0} {:>12} {:>9.1}", 0, 0.0, "-", rss_mib(&xanh));
    let base: jiff::Timestamp = "2026-01-05T00:00:00+07:00".parse().unwrap();
    let start = Instant::now();
    let mut samples = Vec::new();
    for round in 0..rounds {
        let first = round * ROUND_PER_METER;
        let from = base + jiff::SignedDuration::from_mins(first as i64);
        let messages = readings_from("xanh", from, first, ROUND_PER_METER);
        publish_all(mqtt_port, &format!("soak-{round}"), messages).await;
        let sent = (round + 1) * ROUND_PER_METER * meters;
        let seconds = start.elapsed().as_secs_f64();
        let rss = rss_mib(&xanh);
        samples.push(rss);
        println!("  {sent:>9} {seconds:>10.0} {:>12.0} {rss:>9.1}", sent as f64 / seconds);
    }
    // After warm-up: the last nine tenths of the run.
    let warm = &samples[samples.len() / 10..];
    let (low, high) = warm.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    println!("  after warm-up: RSS {low:.1}–{high:.1} MiB; peak {:.1} MiB", xanh.peak_rss_mib());
}
